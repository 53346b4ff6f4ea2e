//go:build !(linux && cgo && seccomp)

package sandbox

import (
	"context"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Supported reports whether this build can load seccomp filters.
const Supported = false

// Check needs libseccomp; this build has none.
func Check(*specs.LinuxSeccomp) error { return ErrUnsupported }

// Run needs libseccomp and runc's loader; this build has neither.
func Run(context.Context, Config) (*Result, error) { return nil, ErrUnsupported }
