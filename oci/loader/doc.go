// Package loader is runc's seccomp loader as oci-sbx uses it: Check
// reports what runc would refuse or mishandle in a profile, and Profile
// carries a profile to a child process unchanged (the child itself is
// package reexec's). Loading itself is runc's
// libcontainer/seccomp (specconv.SetupSeccomp, seccomp.InitSeccomp), which
// the runner (package sandbox), the late stage (package late) and the
// program read-back (package program) call in a child or right before
// execve, never in a long-lived process.
//
// It needs cgo, libseccomp and the seccomp build tag; without them Check
// and LibseccompVersion return ErrUnsupported and Supported is false.
package loader
