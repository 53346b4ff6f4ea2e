//go:build !(linux && cgo && seccomp)

package program

import (
	"context"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/loader"
)

// Init has no child to enter in this build.
func Init() {}

// Export needs libseccomp and runc's loader; this build has neither.
func Export(context.Context, *specs.LinuxSeccomp) ([]byte, error) {
	return nil, loader.ErrUnsupported
}
