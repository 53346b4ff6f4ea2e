package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// TestCheckWidth covers the class "a condition libseccomp reads
// differently on an architecture whose arguments it compares as 32 bits"
// (x86, x32, arm, … beside a 64-bit machine): each is refused at the
// condition, naming the architecture and what the filter tests there;
// values that keep their meaning pass.
func TestCheckWidth(t *testing.T) {
	tests := []struct {
		arches, cond string
		want         string // "" for none, else the error after "t.yaml:6:12: "
	}{
		{"x86_64, x86", "arg1 > 0x100000000", `"arg1 > 0x100000000" on x86: libseccomp compares x86 arguments as 32 bits and drops the upper half of the value, so the filter tests "arg1 > 0" there`},
		{"x86_64, x32", "arg1 != -1", `"arg1 != 0xffffffffffffffff" on x32: `},
		{"x86_64, x86, x32", "arg0 == AT_FDCWD", `"arg0 == 0xffffffffffffff9c" on x86: libseccomp compares x86 arguments as 32 bits and drops the upper half of the value, so the filter tests "arg0 == 0xffffff9c" there`},
		{"x86_64, x86", "arg1 >= -1", `filter tests "arg1 >= 0xffffffff" there`},
		{"x86_64, x86", "arg1 < 0x100000000", `filter tests "arg1 < 0" there`},
		{"x86_64, x86", "arg0 & 0xffffffff00000000 == 0x100000000", `filter tests "arg0 & 0 == 0" there`},
		{"x86_64, x86", "arg1 <= -1", ""}, // always, in 32 bits too
		{"x86_64, x86", "arg1 > -1", ""},  // never, in 32 bits too
		{"x86_64, x86", "arg1 == 0xffffffff", ""},
		{"x86_64, x86", "arg0 & 0xffffffff00000000 == 0", ""}, // the mask's upper half meets no 32-bit value
		{"x86_64", "arg1 > 0x100000000", ""},
		{"x86_64, aarch64", "arg1 > 0x100000000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.arches+" "+tt.cond, func(t *testing.T) {
			src := fmt.Sprintf("default: allow\narchitectures: [%s]\nrules:\n  - action: errno(EPERM)\n    syscalls: [kill]\n    when: [%q]\n", tt.arches, tt.cond)
			_, err := compileString(t, src, CompileOptions{Arches: strings.Split(strings.ReplaceAll(tt.arches, " ", ""), ",")})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "t.yaml:6:12: ") || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v\nwant t.yaml:6:12: …%s", err, tt.want)
			}
		})
	}
}

// TestCheckWidthMeaning checks CheckWidth against its definition: a
// condition passes exactly when it and its lower half agree on every
// 32-bit value (tried at the boundaries that decide each comparison).
func TestCheckWidthMeaning(t *testing.T) {
	values := []uint64{0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0xffffffff00000000, 0xffffffff00000001, 0xfffffffffffffffe, ^uint64(0)}
	masks := []uint64{0, 1, 0xffffffff, 0xffffffff00000000, ^uint64(0)}
	var args []uint64
	for _, v := range values {
		for _, d := range []uint64{0, 1, ^uint64(0)} { // v-1, v, v+1 in 32 bits
			args = append(args, (v+d)&0xffffffff)
		}
	}
	for op := OpEQ; op <= OpMaskedEQ; op++ {
		for _, v := range values {
			for _, m := range masks {
				c := Cond{Arg: 1, Op: op, Value: v}
				if op == OpMaskedEQ {
					if c.Mask = m; v&^m != 0 {
						continue
					}
				} else if m != 0 {
					continue
				}
				low := c
				low.Value, low.Mask = v&0xffffffff, c.Mask&0xffffffff
				same := true
				for _, a := range args {
					same = same && c.Matches(a) == low.Matches(a)
				}
				if err := c.CheckWidth([]string{"x86_64", "x86"}); (err == nil) != same {
					t.Errorf("%q: CheckWidth says %v, but it and %q agree on every 32-bit value: %v", c.String(), err, low.String(), same)
				}
			}
		}
	}
}

// TestMissingOnOtherArches: a profile of several architectures names
// syscalls the native one has and another lacks by nature (newfstatat is
// not i386's): one warning says so for all of them, at the first; a name
// the native architecture lacks is still warned of on its own, where it
// is written.
func TestMissingOnOtherArches(t *testing.T) {
	native := syscalls.NativeArch()
	if native != "x86_64" {
		t.Skipf("the cases are x86_64's; this machine is %s", native)
	}
	var foreign []string
	for _, n := range syscalls.AllSyscalls() {
		if syscalls.HasSyscall("x86_64", n) && !syscalls.HasSyscall("x86", n) && len(foreign) < 3 {
			foreign = append(foreign, n)
		}
	}
	if len(foreign) < 3 {
		t.Fatalf("only %v exist on x86_64 and not on x86", foreign)
	}
	src := "default: errno(EPERM)\narchitectures: [x86_64, x86]\nrules:\n" +
		"  - {action: allow, syscalls: [read, " + foreign[0] + "]}\n" +
		"  - {action: allow, syscalls: [" + foreign[1] + ", " + foreign[2] + "]}\n" +
		"  - {action: allow, syscalls: [" + foreign[0] + ", socketcall]}\n"
	p, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	if _, err := p.Compile(CompileOptions{Warn: func(e *Error) { warnings = append(warnings, e.Error()) }}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf(`t.yaml:6:%d: syscall "socketcall" does not exist on x86_64; the rule does nothing there`, len("  - {action: allow, syscalls: [, ")+len(foreign[0])+1),
		fmt.Sprintf(`t.yaml:4:%d: 3 syscalls named here and below do not exist on x86 (%s); their rules do nothing there`, len("  - {action: allow, syscalls: [read, ")+1, strings.Join(foreign, ", ")),
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}
