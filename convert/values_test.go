package convert

import (
	"strings"
	"testing"
)

// TestValueRanges: a value an action carries that runc would truncate is
// refused with its position, for every action that carries one, in
// every format that writes it as a number; and an unknown action is
// quoted only in part, however long it is.
func TestValueRanges(t *testing.T) {
	tests := []readCase{
		{"oci trace 70000", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 70000}]}`, OCI, "trace message 70000 is out of range (0-65535): the kernel carries 16 bits, and runc would pass 4464"},
		{"oci trace 65536", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 65536}]}`, OCI, "trace message 65536 is out of range"},
		{"oci trace 65535", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 65535}]}`, OCI, ""},
		{"oci default trace 70000", `{"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 70000, "flags": [], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`, OCI, "trace message 70000 is out of range"},
		{"docker trace 70000", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 70000}]}`, Docker, "trace message 70000 is out of range"},
		{"oci errno 4095", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}]}`, OCI, "errno 4095 cannot load"},
		{"oci errno 70000", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 70000}]}`, OCI, "errno 70000 cannot load"},
		{"rules trace(70000)", "default: allow\nrules:\n  - {action: trace(70000), syscalls: [ptrace]}\n", Rules, "trace takes a message number from 0 to 65535"},
		{"rules errno(70000)", "default: allow\nrules:\n  - {action: errno(70000), syscalls: [ptrace]}\n", Rules, `errno "70000" is not a number from 1 to`},
	}
	checkRead(t, tests)

	long := "SCMP_ACT_" + strings.Repeat("X", 2<<20)
	for _, tt := range []struct {
		name, src string
		from      Format
	}{
		{"oci action", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "` + long + `"}]}`, OCI},
		{"docker default action", `{"defaultAction": "` + long + `", "syscalls": []}`, Docker},
		{"rules action", "default: allow\nrules:\n  - {action: " + long[:1<<20] + ", syscalls: [ptrace]}\n", Rules},
	} {
		t.Run("long "+tt.name, func(t *testing.T) {
			_, err := Read("p", []byte(tt.src), tt.from, Options{})
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := err.Error(); len(msg) > 2048 || !strings.Contains(msg, `"SCMP_ACT_XXX`) || !strings.Contains(msg, `"…`) {
				t.Errorf("error of %d bytes, want the action quoted in part (64 bytes and …): %.300s", len(msg), msg)
			}
		})
	}
}

// readCase is a source Read takes as from, and a piece of the positioned
// error it must fail with (empty: Read accepts it).
type readCase struct {
	name, src string
	from      Format
	want      string
}

// checkRead reads each case's source as a file named "p" and checks it is
// accepted, or refused with an error that starts with its position and
// holds the case's want.
func checkRead(t *testing.T, tests []readCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("p", []byte(tt.src), tt.from, Options{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "p:") {
				t.Errorf("Read: %v, want a positioned error with %q", err, tt.want)
			}
		})
	}
}

// TestAlwaysOnNarrow: a rule whose conditions hold for every call on a
// 32-bit architecture (a mask on the upper half alone) is, there, the
// first unconditional rule libseccomp keeps; before an unconditional rule
// of another action, the profile means one thing per width: refused where
// the list names such an architecture, kept where it does not.
func TestAlwaysOnNarrow(t *testing.T) {
	profile := func(arches string) string {
		return `{"defaultAction": "SCMP_ACT_TRAP", "architectures": [` + arches + `], "flags": [], "syscalls": [
			{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 9223372036854775808, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["personality"], "action": "SCMP_ACT_NOTIFY"}]}`
	}
	for arches, want := range map[string]string{
		`"SCMP_ARCH_X86_64", "SCMP_ARCH_ARM"`: "personality: on arm this rule's conditions hold for every call",
		`"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"`: "personality: on x86 this rule's conditions hold for every call",
		`"SCMP_ARCH_X86_64"`:                  "",
	} {
		_, err := Read("p", []byte(profile(arches)), OCI, Options{})
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arches, err, want)
		}
	}
}
