//go:build !(linux && cgo && seccomp)

package late

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/loader"
)

// ExecLate needs libseccomp and runc's loader; this build has neither.
func ExecLate(*specs.LinuxSeccomp, []string, []string) error { return loader.ErrUnsupported }
