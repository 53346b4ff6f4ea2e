//go:build !(linux && cgo && seccomp)

package sandbox

import (
	"context"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// ExportBPF needs libseccomp and runc's loader; this build has neither.
func ExportBPF(context.Context, *specs.LinuxSeccomp) ([]byte, error) { return nil, ErrUnsupported }
