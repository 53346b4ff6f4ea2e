// Package lint produces findings about a seccomp profile: what it lets
// through that its author meant to stop, where runc or libseccomp read it
// otherwise than it reads, and what seccomp cannot enforce at all.
//
// A finding has a severity (error, warning or info), a stable id such as
// "bypass-file-open", a reason and a fix. Source lints a document in any
// format convert reads, looking at the document as written (a missing
// "flags" key, SCMP_ACT_KILL, errnoRet on a non-errno action, a rule runc
// drops, conditions runc ORs, a denial that vanishes under runc: what
// reading normalises away) and at the profile as runc loads it (bypass
// classes per architecture, network socket families beside a denied
// connect, conditions socketcall cannot carry, unmasked 32-bit
// arguments, denials runc or a dynamic loader cannot start with,
// dangerous syscalls an allowlist lets through, pitfalls of the default
// action, and what stays open whatever the filter says). A profile that convert refuses is reported with its errors as
// error findings, not as a failure.
//
// The classes of syscalls that reach one goal come from the rules
// package (Decisions.Intents), so that lint and rules.Harden agree: the
// hardened form of a profile has no error-level bypass finding.
package lint
