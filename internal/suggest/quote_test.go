package suggest

import (
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SCMP_ACT_X", `"SCMP_ACT_X"`},
		{strings.Repeat("a", MaxQuoted), `"` + strings.Repeat("a", MaxQuoted) + `"`},
		{strings.Repeat("a", MaxQuoted+1), `"` + strings.Repeat("a", MaxQuoted) + `"…`},
		// Never cut inside a character: é is two bytes, and byte 64 is
		// its second.
		{strings.Repeat("a", MaxQuoted-1) + "é" + "zzz", `"` + strings.Repeat("a", MaxQuoted-1) + `"…`},
		{strings.Repeat("x", 2<<20), `"` + strings.Repeat("x", MaxQuoted) + `"…`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%.20q…) = %s, want %s", tc.in, got, tc.want)
		}
	}
	err := UnknownName("seccomp action", strings.Repeat("SCMP_ACT_", 1<<18), []string{"SCMP_ACT_ALLOW"})
	if len(err.Error()) > 200 {
		t.Errorf("UnknownName of a 2 MiB name: %d bytes", len(err.Error()))
	}
}
