//go:build linux && cgo && seccomp

package program_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// TestLoaderHangsMatchLibseccomp holds rules.LoaderHangs to the real
// libseccomp: each shape's rules for ioctl are handed to runc's loader,
// which must finish at once exactly where the model says it does. A shape
// is rules split by "/", each condition "ARG OP VALUE", a leading "E2"
// giving the rule errno 2 instead of 1.
func TestLoaderHangsMatchLibseccomp(t *testing.T) {
	shapes := map[string]string{ // shape → what libseccomp does: hang, exists (EEXIST) or ok
		"0 > 5, 1 == 5 / 0 > 5, 2 == 7":                               "hang",
		"0 != 5, 1 == 5 / 0 != 5, 2 == 7":                             "hang",
		"0 <= 5, 1 == 5 / 0 <= 5, 3 == 7":                             "hang",
		"1 > 5, 2 == 5 / 1 > 5, 3 == 7":                               "hang",
		"0 == 1, 1 > 5, 2 == 5 / 0 == 1, 1 > 5, 3 == 7":               "hang",
		"0 > 5, 1 == 5 / E2 0 > 5, 2 == 7":                            "hang",
		"0 > 5, 2 == 5 / 0 > 5, 1 == 6 / 0 > 5, 3 == 1":               "hang",
		"0 > 5, 1 == 5 / 0 > 5, 1 == 6":                               "ok",
		"0 > 5, 2 == 5 / 0 > 5, 1 == 6":                               "ok",
		"0 == 5, 1 == 5 / 0 == 5, 2 == 7":                             "ok",
		"0 & 5 == 5, 1 == 5 / 0 & 5 == 5, 2 == 7":                     "ok",
		"0 > 5, 1 == 5 / 0 > 6, 2 == 7":                               "ok",
		"0 > 5 / 0 > 5, 1 == 6":                                       "ok",
		"0 < 5, 1 == 6 / 0 >= 5, 3 == 1":                              "ok",
		"0 > 5, 3 == 1 / 0 > 5, 1 == 5 / 0 > 5, 2 == 6":               "ok",
		"0 > 5, 1 == 6 / 0 > 5, 1 == 6, 3 == 1":                       "ok",
		"0 > 5, 1 == 5, 2 == 1 / 0 > 5, 1 == 5, 3 == 1":               "ok",
		"0 > 5, 1 == 5 / 0 > 5, 1 == 5, 2 == 1 / 0 > 5":               "ok",
		"0 > 5, 1 == 5 / 0 > 5 / 0 > 5, 2 == 7":                       "ok",
		"0 > 5, 1 == 5 / E2 0 > 5 / 0 > 5, 2 == 7":                    "exists",
		"E2 0 > 5 / 0 > 5, 1 == 5 / 0 > 5, 2 == 7":                    "ok",
		"0 > 5, 1 == 5 / E2 0 > 5, 1 == 5":                            "exists",
		"E2 0 > 5 / 0 > 5, 1 == 5":                                    "ok",
		"0 > 5 / 0 > 5, 1 == 5 / 0 > 5, 2 == 7":                       "ok",
		"0 > 5, 1 == 5, 2 > 1, 3 == 1 / 0 > 5, 1 == 5, 2 > 1, 4 == 1": "hang",
	}
	var wg sync.WaitGroup
	for shape, want := range shapes {
		s, err := hangShape(shape)
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		model := "ok"
		if h := rules.LoaderHangs(s); len(h) > 0 {
			model = map[bool]string{false: "hang", true: "exists"}[h[0].Exists]
		}
		if model != want {
			t.Errorf("%s: LoaderHangs says %s, measured %s", shape, model, want)
		}
		wg.Go(func() {
			// A filter builds in milliseconds; seconds mean never.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, err := program.Export(ctx, s)
			got := "ok"
			switch {
			case errors.Is(err, context.DeadlineExceeded):
				got = "hang"
			case err != nil && strings.Contains(err.Error(), "file exists"):
				got = "exists"
			case err != nil:
				t.Errorf("%s: %v", shape, err)
			}
			if got != want {
				t.Errorf("%s: libseccomp: %s, expected %s (%v)", shape, got, want, err)
			}
		})
	}
	wg.Wait()
}

func hangShape(shape string) (*specs.LinuxSeccomp, error) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64}, Flags: []specs.LinuxSeccompFlag{}}
	ops := map[string]specs.LinuxSeccompOperator{"==": specs.OpEqualTo, "!=": specs.OpNotEqual, "<": specs.OpLessThan, "<=": specs.OpLessEqual, ">": specs.OpGreaterThan, ">=": specs.OpGreaterEqual}
	for _, r := range strings.Split(shape, "/") {
		r = strings.TrimSpace(r)
		ret := uint(1)
		if rest, ok := strings.CutPrefix(r, "E2 "); ok {
			r, ret = rest, 2
		}
		rule := specs.LinuxSyscall{Names: []string{"ioctl"}, Action: specs.ActErrno, ErrnoRet: &ret}
		for _, c := range strings.Split(r, ",") {
			var a specs.LinuxSeccompArg
			var op string
			if n, _ := fmt.Sscanf(strings.TrimSpace(c), "%d & %d == %d", &a.Index, &a.Value, &a.ValueTwo); n == 3 {
				a.Op = specs.OpMaskedEqual
			} else if _, err := fmt.Sscanf(strings.TrimSpace(c), "%d %s %d", &a.Index, &op, &a.Value); err != nil || ops[op] == "" {
				return nil, fmt.Errorf("condition %q", c)
			} else {
				a.Op = ops[op]
			}
			rule.Args = append(rule.Args, a)
		}
		s.Syscalls = append(s.Syscalls, rule)
	}
	return s, nil
}

// TestCheck: what the CLI writes is held to runc's loader — refused where
// libseccomp refuses the profile or builds a program that does not do
// what it says, and passed for the profiles users start from.
func TestCheck(t *testing.T) {
	ret := uint(1)
	le := []specs.LinuxSeccompArg{{Index: 2, Value: 2, Op: specs.OpLessEqual}}
	bad := map[string]struct {
		s    specs.LinuxSeccomp
		want string
	}{
		// libseccomp 2.5.4 leaves out the load of the syscall number in
		// the aarch64 section: the conditional denial never applies.
		"aarch64 miscompiled": {specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchAARCH64},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"open"}, Action: specs.ActErrno, ErrnoRet: &ret},
				{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: &ret, Args: le},
			}}, "on aarch64, openat(arg2=0): the profile says errno(EPERM), the program answers allow"},
		// Two rules libseccomp makes one on x86's 32-bit halves.
		"x86 EEXIST": {specs.LinuxSeccomp{DefaultAction: specs.ActTrace,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"semop"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{{Index: 2, Value: 0, Op: specs.OpLessThan}, {Index: 1, Value: 2, Op: specs.OpNotEqual}}},
				{Names: []string{"semop"}, Action: specs.ActErrno, ErrnoRet: &ret, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 0xffffffff, Op: specs.OpNotEqual}}},
			}}, "file exists"},
	}
	for name, tc := range bad {
		err := program.Check(context.Background(), &tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error saying %q", name, err, tc.want)
		}
	}
	for _, name := range []string{"docker-default", "podman-default"} {
		for _, arches := range [][]string{nil, {"x86_64", "x86", "x32"}, {"x86_64", "aarch64", "arm"}} {
			s, err := convert.Builtin(name, convert.Options{Arches: arches})
			if err != nil {
				t.Fatal(err)
			}
			if err := program.Check(context.Background(), s); err != nil {
				t.Errorf("%s for %v: %v", name, arches, err)
			}
		}
	}
	demo, err := convert.Read("demo.yaml", mustRead(t, "../../testdata/demo.yaml"), "", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := program.Check(context.Background(), demo); err != nil {
		t.Errorf("demo: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMultiplexedTreesMatchLibseccomp: on x86 libseccomp files a socket
// call's rule under socketcall too (arg0 the call's number, the rule's
// conditions on arg0 dropped), where the rules of every socket call and
// socketcall's own share one tree; rules.LoaderHangs models the EEXIST
// there, held here to the real libseccomp.
func TestMultiplexedTreesMatchLibseccomp(t *testing.T) {
	eacces := uint(13)
	rule := func(name string, act specs.LinuxSeccompAction, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		r := specs.LinuxSyscall{Names: []string{name}, Action: act, Args: args}
		if act == specs.ActErrno {
			r.ErrnoRet = &eacces
		}
		return r
	}
	eq := func(i uint, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Value: v, Op: specs.OpEqualTo}
	}
	for name, tc := range map[string]struct {
		rules  []specs.LinuxSyscall
		exists bool
	}{
		"allow socket, then deny it by family":       {[]specs.LinuxSyscall{rule("socket", specs.ActAllow), rule("socket", specs.ActErrno, eq(0, 40))}, true},
		"allow socket, then log socketcall's SOCKET": {[]specs.LinuxSyscall{rule("socket", specs.ActAllow), rule("socketcall", specs.ActLog, eq(0, 1))}, true},
		"log socketcall's SOCKET, then allow socket": {[]specs.LinuxSyscall{rule("socketcall", specs.ActLog, eq(0, 1)), rule("socket", specs.ActAllow)}, true},
		"allow socket, then deny it by type":         {[]specs.LinuxSyscall{rule("socket", specs.ActAllow), rule("socket", specs.ActErrno, eq(1, 5))}, false},
		"allow socketcall, then deny socket":         {[]specs.LinuxSyscall{rule("socketcall", specs.ActAllow), rule("socket", specs.ActErrno, eq(0, 40))}, false},
		"allow connect, deny socket by family":       {[]specs.LinuxSyscall{rule("connect", specs.ActAllow), rule("socket", specs.ActErrno, eq(0, 40))}, false},
	} {
		s := &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86}, Flags: []specs.LinuxSeccompFlag{}, Syscalls: tc.rules}
		model := slices.ContainsFunc(rules.LoaderHangs(s), func(h rules.LoaderHang) bool { return h.Exists && h.Arch == "x86" })
		_, err := program.Export(context.Background(), s)
		real := err != nil && strings.Contains(err.Error(), "file exists")
		if err != nil && !real {
			t.Errorf("%s: %v", name, err)
		}
		if model != tc.exists || real != tc.exists {
			t.Errorf("%s: EEXIST: model %v, libseccomp %v, measured %v", name, model, real, tc.exists)
		}
	}
}
