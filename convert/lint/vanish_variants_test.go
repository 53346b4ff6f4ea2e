package lint

import (
	"slices"
	"testing"
)

// TestDenyVanishesVariants: more members of the class "a deny that runc
// drops, written in Docker or OCI input, passes lint without an error".
// Each profile denies a call with the default's errno, and another rule
// allows it where the deny then vanishes.
func TestDenyVanishesVariants(t *testing.T) {
	tests := []struct{ name, profile string }{
		{"an allow that a capability brings back", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
	{"names": ["read", "write", "exit_group", "ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}},
	{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`},
		{"a deny that a capability takes away", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
	{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_PTRACE"]}},
	{"names": ["read", "write", "exit_group", "ptrace"], "action": "SCMP_ACT_ALLOW"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lintSource(t, source{"p.json", []byte(tt.profile)})
			ok := slices.ContainsFunc(r.Findings, func(f Finding) bool {
				return f.ID == "deny-vanishes" && f.Severity == Error && slices.Contains(f.Syscalls, "ptrace")
			})
			if !ok {
				t.Errorf("no deny-vanishes error for ptrace; findings: %+v", r.Findings)
			}
		})
	}
}

// TestDenyVanishesThroughMultiplexer: on x86 libseccomp files a denial of
// a socket call under socketcall as well, with arg0 == its number, and an
// unconditional allow of socketcall decides there, before or after it;
// without x86 in the list, or with socketcall itself conditional, there
// is nothing to report. The error's verdict is the program's: simulate
// says allow for socketcall(SYS_BIND) on x86 in e2e's bypass test.
func TestDenyVanishesThroughMultiplexer(t *testing.T) {
	const x86 = `"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], `
	tests := []struct {
		name, profile string
		want          bool
	}{
		{"allow first", `{"defaultAction": "SCMP_ACT_ERRNO", ` + x86 + `"syscalls": [
	{"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"}, {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, true},
		{"deny first, with a condition", `{"defaultAction": "SCMP_ACT_ERRNO", ` + x86 + `"syscalls": [
	{"names": ["bind"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 2, "value": 16, "op": "SCMP_CMP_EQ"}]}, {"names": ["read", "socketcall", "bind"], "action": "SCMP_ACT_ALLOW"}]}`, true},
		{"x86_64 alone", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
	{"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"}, {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, false},
		{"socketcall conditional", `{"defaultAction": "SCMP_ACT_ERRNO", ` + x86 + `"syscalls": [
	{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["socketcall"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}, {"names": ["bind"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lintSource(t, source{"p.json", []byte(tt.profile)})
			got := slices.ContainsFunc(r.Findings, func(f Finding) bool {
				return f.ID == "deny-vanishes" && f.Severity == Error && slices.Contains(f.Syscalls, "bind")
			})
			if got != tt.want {
				t.Errorf("deny-vanishes for bind: %v, want %v; findings: %+v", got, tt.want, r.Findings)
			}
		})
	}
}
