//go:build !(linux && cgo && seccomp)

package loader

import "github.com/opencontainers/runtime-spec/specs-go"

// Supported reports whether this build can load seccomp filters.
const Supported = false

// Check needs libseccomp; this build has none.
func Check(*specs.LinuxSeccomp) error { return ErrUnsupported }

// LibseccompVersion reports that this build links no libseccomp.
func LibseccompVersion() (string, error) { return "", ErrUnsupported }
