// Package rules is the rules language: a seccomp profile written for
// people, in YAML, and compiled to the OCI form runc loads.
//
// A rules document is one YAML mapping:
//
//	profile      = { key }
//	key          = "default:" action                 required unless extends gives one
//	             | "architectures:" list(arch)        default [native]
//	             | "extends:" base                    docker-default | podman-default | a file
//	             | "flags:" list(flag)                default []: no filter flags
//	             | "listenerPath:" path               where NOTIFY is sent (OCI listenerPath)
//	             | "listenerMetadata:" text
//	             | "harden:" ( "true" | "false" )      widen each deny intent to its class (see Harden)
//	             | "rules:" list(rule)
//	rule         = { "syscalls:" list(name) | "action:" action | "when:" list(condition) | "comment:" text }
//	action       = "allow" | "errno(" errno ")" | "kill-process" | "kill" | "kill-thread"
//	             | "trap" | "log" | "notify" | "trace(" number ")"
//	errno        = NAME | number                      EPERM, EACCES, ENOSYS, …; never 0
//	arch         = "native" | x86_64 | x86 | x32 | aarch64 | arm | riscv64 | ppc64le | s390x | …
//	flag         = SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW
//	             | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
//	name         = syscall | "@" group                a group needs quotes in YAML: "@file-open"
//	condition    = "arg" digit op value               digit 0-5; op: == != < <= > >=
//	             | "arg" digit "&" value "==" value   masked equality
//	value        = term { "|" term }
//	term         = number | CONSTANT                  number: decimal, 0x…, 0o…, 0b…, 0644, -1
//	list(x)      = "[" x { "," x } "]" | a block sequence | a single x
//
// Meaning, where other tools differ:
//
//   - Conditions of one rule are AND-ed; several rules for one syscall are
//     OR-ed cases. runc ORs several conditions on the same argument, so
//     those are merged into one exact condition or refused.
//   - kill means kill-process; OCI's SCMP_ACT_KILL is kill-thread.
//   - An unknown syscall name is an error (runc would skip it silently,
//     turning a typo into a bypass). A name missing on one target
//     architecture is a warning; inside a group it is simply left out there.
//   - Rules for a syscall replace what an extended base says about it, so
//     "the base minus one syscall" means the same under runc and crun.
//     Within one document, a syscall gets one unconditional action.
//   - errno(0) is refused: the call would report success without running.
//   - architectures [native] compiles to an empty OCI list, which runtimes
//     read as the host's own architecture; groups then keep every member
//     that exists on any architecture.
package rules
