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
