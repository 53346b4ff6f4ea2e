//go:build !(linux && cgo && seccomp)

package sandbox

import "github.com/opencontainers/runtime-spec/specs-go/features"

// LibseccompVersion reports that this build links no libseccomp.
func LibseccompVersion() (string, error) { return "", ErrUnsupported }

// Features reports, like `runc features`, that this build has no seccomp
// support.
func Features() *features.Seccomp {
	enabled := false
	return &features.Seccomp{Enabled: &enabled}
}
