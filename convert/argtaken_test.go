package convert

import (
	"testing"
)

// TestArgNotTaken: a condition on an argument the syscall does not take
// compares a register the caller sets as it likes, so it is refused with
// its position in every format that can write one; an argument the call
// takes on one of the listed ABIs only (pread64's offset halves on arm)
// is refused where another listed ABI lacks it.
func TestArgNotTaken(t *testing.T) {
	c := func(call string) string {
		return "#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n\t" + call + ";\n\treturn seccomp_load(ctx);\n}\n"
	}
	spo := func(args string) string {
		return "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - action: SCMP_ACT_ERRNO\n    names: [getpid]\n    args: [" + args + "]\n"
	}
	tests := []readCase{
		{"rules getpid arg0", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [getpid], when: [\"arg0 == 0\"]}\n", Rules, `p:3:55: getpid takes no arguments on x86_64, so "arg0 == 0" compares a register`},
		{"rules read arg3", "default: allow\nrules:\n  - {action: allow, syscalls: [read], when: [\"arg3 == 1\"]}\n", Rules, `p:3:46: read takes 3 arguments (arg0 to arg2)`},
		{"rules read arg2", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [read], when: [\"arg2 == 1\"]}\n", Rules, ""},
		// One member of a group that does not take the argument is enough.
		{"rules group", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [\"@network-connect\"], when: [\"arg4 == 0\"]}\n", Rules, `takes 3 arguments (arg0 to arg2) on x86_64, so "arg4 == 0"`},
		// On arm pread64 takes arg5 (the offset's upper half after a pad),
		// on x86_64 it does not; runc adds x86_64 here.
		{"rules arm only", "default: allow\narchitectures: [arm]\nrules:\n  - {action: errno(EPERM), syscalls: [pread64], when: [\"arg5 == 0\"]}\n", Rules, ""},
		{"rules arm and x86_64", "default: allow\narchitectures: [x86_64, x86]\nrules:\n  - {action: errno(EPERM), syscalls: [pread64], when: [\"arg5 == 0\"]}\n", Rules, "pread64 takes 4 arguments (arg0 to arg3) on x86_64"},
		{"docker", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", "getpid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`, Docker, "p:1:127: getpid takes no arguments"},
		{"oci", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 3, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`, OCI, "socket takes 3 arguments"},
		{"oci config.json", `{"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]}}}`, OCI, "getppid takes no arguments"},
		{"spo", spo("{index: 0, value: 0, op: SCMP_CMP_EQ}"), SPO, "getpid takes no arguments"},
		{"libseccomp-c", c("seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(getpid), 1, SCMP_A0(SCMP_CMP_EQ, 0))"), LibseccompC, "p:4:64: getpid takes no arguments"},
		{"libseccomp-c mmap arg5", c("seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(mmap), 1, SCMP_A5(SCMP_CMP_EQ, 0))"), LibseccompC, ""},
	}
	checkRead(t, tests)
}
