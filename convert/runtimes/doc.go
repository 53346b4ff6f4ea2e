// Package runtimes is the measured table of what container runtimes do
// after they load a container's seccomp filter: per runtime release, the
// syscalls it still makes before the container's process runs, and what
// it prints when one of them is denied.
//
// runc loads the container's filter and then reopens its exec fifo, lists
// and closes descriptors, writes to the fifo and execs; with
// noNewPrivileges false it loads even earlier, before it sets the user,
// the capabilities and the working directory. A profile that denies one
// of those calls makes the start fail. oci-sbx's own late stage (package
// oci/stage) has such calls too, from its start until it loads the late
// profile. None of this is guessed: the e2e test TestRuncNeeds measures
// the runtime installed on a host (`make measure-runc`) and writes the
// table into needs_gen.go, keyed by the runtime's name and version, the
// kernel and the architecture; without -update it checks the committed
// table against the runtime, as CI does.
//
// A call whose EPERM stops the start is failed with ENOSYS too: where the
// caller falls back to an older call (clone3 to clone), a profile that
// answers ENOSYS (containerd's and Docker's default do for clone3) does
// not stop it.
//
// Conflicts tells which needs a profile denies; lint reports them and
// oci/stage plans around them. The package is data and pure Go.
package runtimes
