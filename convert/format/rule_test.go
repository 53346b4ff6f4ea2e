package format

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestSplitRule(t *testing.T) {
	eperm, enosys := uint(1), uint(38)
	args := []specs.LinuxSeccompArg{{Index: 0, Value: 2, Op: specs.OpEqualTo}}
	r := specs.LinuxSyscall{Names: []string{"openat", "read", "connect"}, Action: specs.ActErrno, ErrnoRet: &eperm, Args: args}
	in := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	for _, tt := range []struct {
		name string
		move func(string) bool
		want []specs.LinuxSyscall
	}{
		{"some", in("openat", "connect"), []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: &eperm, Args: args},
			{Names: []string{"openat", "connect"}, Action: specs.ActNotify, ErrnoRet: &enosys, Args: args},
		}},
		{"none", in(), []specs.LinuxSyscall{r}},
		{"all", in("openat", "read", "connect"), []specs.LinuxSyscall{
			{Names: []string{"openat", "read", "connect"}, Action: specs.ActNotify, ErrnoRet: &enosys, Args: args},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitRule(r, tt.move, specs.ActNotify, &enosys)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if len(r.Names) != 3 || r.Action != specs.ActErrno || *r.ErrnoRet != 1 {
				t.Errorf("SplitRule changed its input: %+v", r)
			}
		})
	}
}
