package convert

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// TestExtendsKeepsDenials covers the class "a denial written in a base
// vanishes in the profile that extends it": a base's rule with its own
// default action changes nothing in the base, but it is still a denial
// the base wrote, so a group of the extending profile does not lift it
// and a default the extending profile changes does not swallow it, at
// any depth of extends.
func TestExtendsKeepsDenials(t *testing.T) {
	files := map[string]string{
		// connect denied with the default action, read allowed.
		"deny.yaml": "default: errno(EPERM)\nrules:\n  - {action: errno(EPERM), syscalls: [connect]}\n  - {action: allow, syscalls: [read, exit_group]}\n",
		// The same denial reached through a group of the base itself.
		"group.yaml": "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [\"@system-service\"]}\n  - {action: errno(EPERM), syscalls: [\"@network-connect\"]}\n",
		// A conditional denial with the default action: writing only.
		"cond.yaml": "default: errno(EPERM)\nrules:\n  - {action: errno(EPERM), syscalls: [openat], when: [\"arg2 & O_ACCMODE == O_WRONLY\"]}\n",
		"mid.yaml":  "extends: deny.yaml\nrules:\n  - {action: allow, syscalls: [getpid]}\n",
		"mid2.yaml": "extends: mid.yaml\n",
		"c.c":       "#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));\n\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);\n\tseccomp_load(ctx);\n}\n",
	}
	tests := []struct {
		name, top string
		want      map[string]string // syscall → verdict
		warn      string            // a warning that must be given
	}{
		{"group over a base's default denial",
			"extends: deny.yaml\nrules:\n  - {action: allow, syscalls: [\"@system-service\"]}\n",
			map[string]string{"connect": "errno(EPERM)", "read": "allow", "getpid": "allow"}, "deny.yaml"},
		{"group over a base's default denial, two levels down",
			"extends: mid.yaml\nrules:\n  - {action: allow, syscalls: [\"@system-service\"]}\n",
			map[string]string{"connect": "errno(EPERM)", "getpid": "allow"}, "a group does not lift"},
		{"three levels down",
			"extends: mid2.yaml\nrules:\n  - {action: allow, syscalls: [\"@network-io\"]}\n",
			map[string]string{"connect": "errno(EPERM)", "getpid": "allow"}, "a group does not lift"},
		{"a denial the base makes through its own group",
			"extends: group.yaml\nrules:\n  - {action: allow, syscalls: [\"@network-io\"]}\n",
			map[string]string{"connect": "errno(EPERM)", "sendto": "errno(EPERM)", "getpid": "allow"}, "a group does not lift"},
		{"a default that turns allow keeps the base's denial",
			"extends: deny.yaml\ndefault: allow\n",
			map[string]string{"connect": "errno(EPERM)", "read": "allow", "getpid": "allow"}, ""},
		{"a default that turns to another errno keeps the base's denial",
			"extends: mid.yaml\ndefault: errno(ENOSYS)\n",
			map[string]string{"connect": "errno(EPERM)", "read": "allow", "getpid": "allow", "ptrace": "errno(ENOSYS)"}, ""},
		{"a base's conditional denial with the default action stays beside a group's allow",
			"extends: cond.yaml\nrules:\n  - {action: allow, syscalls: [\"@file-open\"]}\n",
			map[string]string{"openat": "conditional", "openat2": "allow"}, ""},
		{"naming the syscall replaces the base's denial",
			"extends: mid.yaml\nrules:\n  - {action: allow, syscalls: [connect]}\n",
			map[string]string{"connect": "allow"}, ""},
		{"a C base is read as libseccomp applies it",
			"extends: c.c\nrules:\n  - {action: allow, syscalls: [\"@network-io\"]}\n",
			map[string]string{"connect": "allow", "read": "allow", "getpid": "errno(EPERM)"}, ""},
	}
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := filepath.Join(dir, "top.yaml")
			var warns []string
			s, err := Read(top, []byte(tt.top), Rules, Options{Arches: []string{"x86_64"}, Warn: func(m string) { warns = append(warns, m) }})
			if err != nil {
				t.Fatal(err)
			}
			d, err := rules.Decide(s)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				got := d.Default.String()
				if cs := d.Cases(name); len(cs) == 1 && len(cs[0].When) == 0 {
					got = cs[0].Action.String()
				} else if len(cs) > 0 {
					got = "conditional"
				}
				if got != want {
					t.Errorf("%s: %s, want %s", name, got, want)
				}
			}
			if cs := d.Cases("openat"); tt.want["openat"] == "conditional" {
				// Allowed exactly where the base does not deny: not for O_WRONLY.
				for _, flags := range []uint64{0, 1, 2} {
					allowed := slices.ContainsFunc(cs, func(c rules.Case) bool {
						return c.Action.Kind == rules.Allow && !slices.ContainsFunc(c.When, func(w rules.Cond) bool { return w.Arg == 2 && !w.Matches(flags) })
					})
					if allowed != (flags != 1) {
						t.Errorf("openat with flags %d: allowed %v, want %v (cases %v)", flags, allowed, flags != 1, cs)
					}
				}
			}
			for _, sc := range s.Syscalls {
				if a, _ := rules.ActionFromSpec(sc.Action, sc.ErrnoRet); a == d.Default {
					t.Errorf("the output keeps %v with the default action, which runc drops", sc.Names)
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(warns, "\n"), tt.warn) {
				t.Errorf("warnings %q: want one with %q", warns, tt.warn)
			}
			if strings.Contains(strings.Join(warns, "\n"), "changes nothing") {
				t.Errorf("warnings %q: a base's denial is not one that changes nothing", warns)
			}
		})
	}
}
