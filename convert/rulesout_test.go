package convert

import (
	"bytes"
	"strings"
	"testing"
)

// TestRulesOutputMeaning: rules written from a profile mean, read back,
// what the profile means under runc, or the writer says where they do
// not: on x86 runc keeps an unconditional allow of socketcall for the
// socket calls other rules deny, which the rules language (the stricter
// action wins) cannot say.
func TestRulesOutputMeaning(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		warn      string // empty: no warning about the meaning
	}{
		{"socketcall allow beside a denial of bind",
			`{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "flags": [], "syscalls": [{"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"}, {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`,
			"socketcall: allow vs allow when arg0 == 1"},
		{"socketcall allow alone",
			`{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "flags": [], "syscalls": [{"names": ["read", "socketcall", "bind"], "action": "SCMP_ACT_ALLOW"}]}`, ""},
		{"x86_64 only", `{"defaultAction": "SCMP_ACT_ERRNO", "flags": [], "syscalls": [{"names": ["read", "connect"], "action": "SCMP_ACT_ALLOW"}, {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var warns []string
			opt := Options{Warn: func(m string) { warns = append(warns, m) }}
			s, err := Read("p", []byte(tt.src), OCI, opt)
			if err != nil {
				t.Fatal(err)
			}
			warns = nil
			var out bytes.Buffer
			if err := Write(&out, s, Rules, opt); err != nil {
				t.Fatal(err)
			}
			got := strings.Join(warns, "\n")
			if tt.warn == "" && strings.Contains(got, "mean something else") || tt.warn != "" && !strings.Contains(got, tt.warn) {
				t.Errorf("warnings:\n%s\nwant %q", got, tt.warn)
			}
		})
	}
}
