// Package sandbox runs a program under a seccomp profile the way runc
// applies it, using runc's own libcontainer/seccomp: the profile becomes a
// libcontainer config with specconv.SetupSeccomp and is loaded with
// seccomp.InitSeccomp, which adds runc's ENOSYS stub for syscalls newer
// than the profile.
//
// The filter is loaded in a child process, never in the caller: Run starts
// its own executable again in a hidden init mode (like "runc init", entered
// by Init, which the binary's main calls first), sends it the profile over
// a socket, and the child locks its OS thread, sets
// no_new_privs when asked, marks every inherited descriptor above 2
// close-on-exec, loads the filter and calls execve on that same thread.
// runc never loads with TSYNC, so the filter covers only the calling thread,
// and only a thread that loads and then execs hands it on reliably.
//
// As root, the program runc's loader produced (package program) is kept in
// a cache (package cache: /var/cache/oci-sbx, root-owned, each entry
// verified before use); a warm run loads that exact program from a small
// vfork'ed C child that does the same steps in the same order, without
// starting Go or libseccomp again.
//
// A binary that imports this package also starts with the cache's launcher
// (launch.c), C code that runs before the Go runtime: for an
// `exec --profile FILE [--] CMD` command line whose program the cache holds
// under a launch entry, it does those steps in its own process and replaces
// itself with CMD. Run files the launch entries (Config.Launch).
//
// The parent stays to report what happened: the exit status, a death by
// signal, a seccomp kill with the syscall that caused it (from the kernel's
// audit record in /dev/kmsg when readable), and, with Config.Report, every
// syscall the profile denies with an errno. For the report the errno rules
// are loaded as SCMP_ACT_NOTIFY (notify.ForReport, the policy the seccomp
// agent follows too) and the parent answers each notification with the
// configured errno in notify.Serve, never with "continue", so the decision
// cannot be raced. runc's limits hold: neither write nor the default action
// can be turned into notifications, so those denials are not reported.
//
// Like the other packages of oci-sbx that use cgo, libseccomp and runc's
// libcontainer (loader, program, late), it needs the seccomp build tag and
// cgo; without them Run returns ErrUnsupported.
package sandbox
