package rules

import (
	"strings"
	"testing"
)

// TestWideValueVariants: more members of the class "a value the kernel
// reads differently is accepted without a word". On a 32-bit argument, a
// negative literal becomes a value above 32 bits: "arg0 > -1" and
// "arg0 >= -1" never hold for an int a caller passes, so the denial never
// applies, just as "arg0 == -1" does not — which convert notes.
func TestWideValueVariants(t *testing.T) {
	for _, cond := range []string{"arg0 > -1", "arg0 >= -1", "arg0 > 0x100000000"} {
		t.Run(cond, func(t *testing.T) {
			src := "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [socket]\n    when: [\"" + cond + "\"]\n"
			p, err := Parse("w.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var warns []string
			_, err = p.Compile(CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Error()) }})
			if err == nil && !strings.Contains(strings.Join(warns, "\n"), "32 bits") {
				t.Errorf("%q compiles with no word about the 32-bit argument; warnings: %q", cond, warns)
			}
		})
	}
}

// TestConstant32 covers every operator: which compares of a 32-bit
// argument give one answer for every value a caller passing an int
// produces, checked against the values themselves, and that convert
// notes each with its position, for a deny and for an allow.
func TestConstant32(t *testing.T) {
	tests := []struct {
		cond            string
		constant, holds bool
	}{
		{"arg0 == -1", true, false},
		{"arg0 == 0x100000000", true, false},
		{"arg0 == 0xffffffff", false, false},
		{"arg0 == 2", false, false},
		{"arg0 != -1", true, true},
		{"arg0 != 0x1ffffffff", true, true},
		{"arg0 != 0xffffffff", false, false},
		{"arg0 < 0", true, false},
		{"arg0 < -1", true, true},
		{"arg0 < 0x100000000", true, true},
		{"arg0 < 0xffffffff", false, false},
		{"arg0 <= -1", true, true},
		{"arg0 <= 0xffffffff", true, true},
		{"arg0 <= 0xfffffffe", false, false},
		{"arg0 > -1", true, false},
		{"arg0 > 0xffffffff", true, false},
		{"arg0 > 0x100000000", true, false},
		{"arg0 > 0xfffffffe", false, false},
		{"arg0 >= -1", true, false},
		{"arg0 >= 0x100000000", true, false},
		{"arg0 >= 0", true, true},
		{"arg0 >= 0xffffffff", false, false},
		{"arg0 & 0xffffffff == 2", false, false},
		{"arg0 & 0xffffffffffffffff == 0xffffffffffffffff", true, false},
		{"arg0 & 0x100000000 == 0", true, true},
		{"arg0 & 0x100000000 == 0x100000000", true, false},
		{"arg0 & 0x1ffffffff == 2", false, false},
	}
	// Values a caller passing a 32-bit int produces, including both
	// ends and the sign boundary.
	values := []uint64{0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			for _, action := range []string{"errno(EPERM)", "allow"} {
				def := "allow"
				if action == "allow" {
					def = "errno(EPERM)"
				}
				src := "default: " + def + "\nrules:\n  - action: " + action + "\n    syscalls: [socket]\n    when: [\"" + tt.cond + "\"]\n"
				p, err := Parse("w.yaml", []byte(src))
				if err != nil {
					t.Fatal(err)
				}
				c := p.Rules[0].When[0]
				holds, constant := Constant32("socket", c)
				if constant != tt.constant || constant && holds != tt.holds {
					t.Fatalf("Constant32(%q) = %v, %v; want %v, %v", tt.cond, holds, constant, tt.holds, tt.constant)
				}
				seen := map[bool]bool{}
				for _, v := range values {
					seen[c.Matches(v)] = true
				}
				if constant && (len(seen) != 1 || !seen[holds]) || !constant && len(seen) != 2 {
					t.Errorf("%q answers %v over the values a caller passes; Constant32 says %v, %v", tt.cond, seen, holds, constant)
				}
				var warns []string
				if _, err := p.Compile(CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Error()) }}); err != nil {
					t.Fatal(err)
				}
				noted := strings.Contains(strings.Join(warns, "\n"), "w.yaml:5:12: socket: ")
				if constant && !noted {
					t.Errorf("%s %q: no note at its position; warnings %q", action, tt.cond, warns)
				}
			}
		})
	}
	if _, constant := Constant32("mmap", Cond{Arg: 0, Op: OpGT, Value: ^uint64(0)}); constant {
		t.Error("a 64-bit argument was taken for a 32-bit one")
	}
}
