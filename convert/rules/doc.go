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
//	             | SECCOMP_FILTER_FLAG_TSYNC             runc ignores it
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
//   - Between rules for one syscall (on one architecture) the stricter
//     action wins, ranked as the kernel ranks stacked filters:
//     kill-process > kill-thread > trap > errno > notify > trace > log >
//     allow; order, groups and names do not matter. runc drops a rule
//     whose action is the default and libseccomp keeps a syscall's first
//     unconditional rule, so the compiler writes the winner's meaning out:
//     a weaker rule keeps only the arguments no stricter rule matches,
//     said with negated conditions (a masked equality negates bit by
//     bit), and a rule equal to the default takes its syscalls out of
//     every allow. Where that cannot be said exactly the document is
//     refused naming both rules, as are two denials of one rank with
//     different values (errno(EPERM) and errno(EACCES)). An unconditional
//     denial beats a conditional allow with a warning naming both. Where
//     an architecture multiplexes calls (socketcall and ipc on x86 …),
//     libseccomp filters a rule for connect on socketcall too, so the
//     precedence holds there as well: an allow of socketcall beside a
//     denial of connect keeps socketcall for the other calls, one call
//     number each (runc ORs conditions on one argument).
//   - Rules for a syscall the document names itself replace what an
//     extended base says about it, so "the base minus one syscall" means
//     the same under runc and crun. A group in the document does not
//     lift a denial of the base: the stricter wins there too, with a note.
//     That includes a base's denial with its own default action, which
//     changes nothing in the base but is still what the base says about
//     the syscall, at any depth of extends and whatever default the
//     extending document sets.
//   - Profiles read from Docker, OCI or SPO JSON keep the meaning they have
//     under runc (that is what the file says to a runtime); lint reports
//     each denial that vanishes there (deny-vanishes).
//   - errno(0) is refused: the call would report success without running,
//     and so is an errno above MaxErrno (4094), which libseccomp refuses.
//   - What cannot mean what it says is refused with its position: a masked
//     equality whose value has bits outside its mask, valueTwo on a plain
//     comparison, an architecture list that mixes byte orders or names a
//     compat ABI without the machine's own architecture (runc always adds
//     it), a value above 32 bits where the list names an architecture
//     whose arguments libseccomp compares as 32 bits (x86, x32, arm …:
//     it drops the upper half, so "arg1 > 0x100000000" tests "arg1 > 0"),
//     and conditional rules libseccomp cannot tell apart where it moves a
//     multiplexed call onto socketcall or ipc (arg0 becomes the call's
//     number, so conditions on arg0 are lost): two actions there are one
//     rule to it, which it refuses (EEXIST), and a conditional denial
//     beside an allow of socketcall does not hold there; and a condition
//     on an argument the syscall does not take (getpid: arg0, read: arg3),
//     by the kernel's own declarations (syscalls.ArgCount): seccomp hands
//     every call six registers, and one the kernel does not read is the
//     caller's to set, so the rule would apply at its choice. A conditional
//     allow there lets every such call through: a warning. A 64-bit comparison of an argument the kernel reads as 32 bits
//     is written with a note naming the mask that fixes it. --harden
//     compares a denied socket or socketpair type on the type's bits
//     (arg1 & 0xf), since SOCK_NONBLOCK and SOCK_CLOEXEC sit beside it.
//   - "No network" is an intent, not a group: @network-connect names the
//     calls that reach a peer from a socket (connect, sendto, sendmsg,
//     sendmmsg, socketcall, io_uring); a socket of a network family needs
//     none of them (a bound AF_PACKET socket sends raw frames with write,
//     a bound UDP socket receives with recvfrom), so hardening the intent
//     also limits socket to AF_UNIX and AF_NETLINK with masked 32-bit
//     comparisons of its family, and on i386, where socketcall carries
//     the family behind a pointer, denies socketcall whole. Rules that
//     deny socket for both AF_INET and AF_INET6 state the same intent as
//     a denied connect. AF_NETLINK stays open: it talks to the kernel, not
//     to a peer.
//   - architectures [native] compiles to an empty OCI list, which runtimes
//     read as the host's own architecture; groups then keep every member
//     that exists on any architecture.
package rules
