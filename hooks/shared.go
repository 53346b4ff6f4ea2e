package hooks

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
)

// What the Podman hook and the NRI plugin (package hooks/nri) do alike.

// ReadProfile reads the profile an annotation (key, as written) names: a
// regular file beneath dir (DefaultProfiles when empty), resolved so that
// no symlink leads out; the content of a file that does not parse is never
// repeated.
func ReadProfile(dir, name, key string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	return readProfileFile(dir, name, key, opt)
}

// CheckSocket makes sure an agent listens at path.
func CheckSocket(path string) error { return checkSocket(path) }
