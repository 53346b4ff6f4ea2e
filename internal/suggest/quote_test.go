package suggest

import (
	"strings"
	"testing"
	"unicode/utf8"
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

func TestClip(t *testing.T) {
	short := strings.Repeat("a", MaxMessage)
	if got := Clip(short); got != short {
		t.Errorf("Clip of %d bytes changed it", len(short))
	}
	// A message quoting a 16 MiB value keeps its start and end and says
	// how much it left out; a cut never splits a character.
	long := `unknown syscall "` + strings.Repeat("é", 8<<20) + `": did you mean "read"?`
	got := Clip(long)
	if len(got) > MaxMessage+32 || !strings.HasPrefix(got, `unknown syscall "é`) || !strings.HasSuffix(got, `é": did you mean "read"?`) || !strings.Contains(got, " bytes]…") || !utf8.ValidString(got) {
		t.Errorf("Clip of %d bytes = %d bytes: %.80q…%q", len(long), len(got), got, got[max(0, len(got)-40):])
	}
	if Closest(strings.Repeat("x", 4*MaxQuoted+1), []string{"read"}) != "" {
		t.Error("Closest of an overlong name suggested something")
	}
}
