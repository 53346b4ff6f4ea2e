//go:build !(linux && cgo && seccomp)

package sandbox

import "github.com/opencontainers/runtime-spec/specs-go"

// ExecLate needs libseccomp and runc's loader; this build has neither.
func ExecLate(*specs.LinuxSeccomp, []string, []string) error { return ErrUnsupported }
