//go:build linux && cgo && seccomp

package loader

import (
	"errors"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func deny(names ...string) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno}}}
}

func TestCheck(t *testing.T) {
	notify := func(name string) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{name}, Action: specs.ActNotify}}}
	}
	for _, tc := range []struct {
		name string
		s    *specs.LinuxSeccomp
		want error
	}{
		{"nil", nil, nil},
		{"notify-default", &specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, ErrNotifyDefault},
		{"notify-write", notify("write"), ErrNotifyWrite},
		{"notify-other", notify("openat"), ErrNotifyAgent},
		{"unknown-deny", deny("opnat"), ErrUnknownSyscall},
		{"unknown-allow", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "no_such_call"}, Action: specs.ActAllow}}}, nil},
		{"demo", deny("openat", "connect"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.s)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Errorf("Check: %v, want %v", err, tc.want)
			}
		})
	}
}
