package convert

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// TestCasesBounded: the syscall cases of a profile (each syscall a rule
// names, once a rule; a Docker rule whose conditions runc splits, once a
// condition) are bounded, and a profile beyond the bound is refused with
// the position of the rule that crosses it, in the rules language and in
// Docker JSON.
func TestCasesBounded(t *testing.T) {
	// @ipc: every member takes arg0, so that only the bound refuses it.
	perRule := len(mustMembers(t, "@ipc"))
	n := rules.MaxCases/perRule + 1
	var yaml strings.Builder
	yaml.WriteString("default: errno(EPERM)\nrules:\n")
	for i := range n {
		fmt.Fprintf(&yaml, "  - {action: allow, syscalls: [\"@ipc\"], when: [\"arg0 & 0xffff == %d\"]}\n", i)
	}
	// Every syscall that takes arg0, once for each condition runc splits
	// the rule into.
	perRule = strings.Count(allNames, ",") + 1
	var args []string
	for i := range rules.MaxCases/perRule + 1 {
		args = append(args, fmt.Sprintf(`{"index": 0, "value": %d, "op": "SCMP_CMP_NE"}`, i))
	}
	docker := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"},
{"names": [` + allNames + `], "action": "SCMP_ACT_ERRNO", "args": [` + strings.Join(args, ",") + `]}]}`
	for _, tt := range []struct {
		name, src string
		from      Format
		want      string
	}{
		{"rules", yaml.String(), Rules, fmt.Sprintf(":14: the rules give syscalls more than %d cases", rules.MaxCases)},
		{"docker", docker, Docker, fmt.Sprintf("p:2:1: the rules give syscalls more than %d cases", rules.MaxCases)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("p", []byte(tt.src), tt.from, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read: %.300v; want %q", err, tt.want)
			}
		})
	}
}

func mustMembers(t *testing.T, group string) []string {
	t.Helper()
	m, err := rules.GroupMembers(group, []string{"x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNamedTwice: a syscall a rule names twice (itself, or through
// groups that overlap) means what naming it once means, in every format.
func TestNamedTwice(t *testing.T) {
	for _, tt := range []struct {
		name, once, twice string
		from              Format
	}{
		{"rules", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [connect, sendto], when: [\"arg1 == 3\"]}\n",
			"default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [connect, sendto, connect, sendto], when: [\"arg1 == 3\"]}\n", Rules},
		{"rules groups", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [\"@network-connect\"], when: [\"arg1 == 3\"]}\n",
			"default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [\"@network-connect\", connect, \"@network-connect\"], when: [\"arg1 == 3\"]}\n", Rules},
		{"docker", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}`,
			`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", "write", "read", "write", "read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}`, Docker},
	} {
		t.Run(tt.name, func(t *testing.T) {
			once, err := Read("p", []byte(tt.once), tt.from, Options{})
			if err != nil {
				t.Fatal(err)
			}
			twice, err := Read("p", []byte(tt.twice), tt.from, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(once.Syscalls, twice.Syscalls) {
				t.Errorf("named twice:\n%+v\nnamed once:\n%+v", twice.Syscalls, once.Syscalls)
			}
		})
	}
}
