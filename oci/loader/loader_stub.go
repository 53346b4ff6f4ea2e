//go:build !(linux && cgo && seccomp)

package loader

import (
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Supported reports whether this build can load seccomp filters.
const Supported = false

// Check needs libseccomp; this build has none.
func Check(*specs.LinuxSeccomp) error { return ErrUnsupported }

// LibseccompVersion reports that this build links no libseccomp.
func LibseccompVersion() (string, error) { return "", ErrUnsupported }

// Features reports, like `runc features`, that this build has no seccomp
// support.
func Features() *features.Seccomp {
	enabled := false
	return &features.Seccomp{Enabled: &enabled}
}
