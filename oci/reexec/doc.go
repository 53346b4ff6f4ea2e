// Package reexec is the child mode in which oci-sbx starts its own
// executable again to load a seccomp filter away from the parent and exec a
// program from the loading thread (like "runc init"): Child and its Enter,
// which main calls explicitly for each mode, ReadLine for the child's
// orders, and what such a child needs before it execs — LookPath, which
// finds the program as runc finds process.args[0], ExecError, and
// HasCapSysAdmin. It is pure Go: the runner, the program catcher and the
// late stage (cgo, runc's loader) and the recorder (its own program) all
// use it.
package reexec
