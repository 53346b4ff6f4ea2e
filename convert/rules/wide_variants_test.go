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
