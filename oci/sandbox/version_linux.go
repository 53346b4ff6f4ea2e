//go:build linux && cgo && seccomp

package sandbox

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// LibseccompVersion is the version of the libseccomp this build links.
func LibseccompVersion() (string, error) {
	major, minor, micro := seccomp.Version()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro), nil
}

// Features is what the linked runc loader can put in a filter here, as
// `runc features` reports it: the actions, operators and architectures it
// knows, and the filter flags it knows and this kernel and libseccomp
// support.
func Features() *features.Seccomp {
	enabled := true
	return &features.Seccomp{
		Enabled:        &enabled,
		Actions:        seccomp.KnownActions(),
		Operators:      seccomp.KnownOperators(),
		Archs:          seccomp.KnownArchs(),
		KnownFlags:     seccomp.KnownFlags(),
		SupportedFlags: seccomp.SupportedFlags(),
	}
}
