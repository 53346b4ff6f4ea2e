package sandbox

import "errors"

// Errors of ExportBPF.
var (
	// ErrNoFilter: the profile has neither a default action nor rules,
	// which runc takes as "no seccomp".
	ErrNoFilter = errors.New("the profile loads no filter: runc applies none when it has neither a default action nor rules")
	// ErrReadBackDenied: the kernel hands a loaded program out only to a
	// tracer with CAP_SYS_ADMIN in the initial user namespace that is not
	// itself under seccomp.
	ErrReadBackDenied = errors.New("reading the loaded program back (PTRACE_SECCOMP_GET_FILTER) needs CAP_SYS_ADMIN in the initial user namespace and a process not itself under a seccomp filter: run as root, outside a container")
)
