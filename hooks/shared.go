package hooks

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// What the Podman hook and the NRI plugin (package hooks/nri) do alike.

// ReadProfile reads the profile an annotation (key, as written) names: a
// regular file beneath dir (DefaultProfiles when empty), resolved so that
// no symlink leads out; the content of a file that does not parse is never
// repeated.
func ReadProfile(dir, name, key string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	return readProfileFile(dir, name, key, opt)
}

// WriteLateDir makes the late stage's directory for l under root
// (DefaultLateDir when empty), named by the profile's hash, and returns
// its path.
func WriteLateDir(root string, l *stage.Late) (string, error) {
	return writeLateDir(root, l)
}

// CheckSocket makes sure an agent listens at path.
func CheckSocket(path string) error { return checkSocket(path) }
