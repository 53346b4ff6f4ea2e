// Package filter is a compiled seccomp program: the classic BPF the kernel
// runs on every system call, as struct sock_filter instructions.
//
// It decodes a program the way the kernel checks one when it is loaded,
// and runs it in userspace on a seccomp_data record — a syscall number,
// an AUDIT_ARCH_* value and six 64-bit arguments — to tell which action
// the kernel would take and how many instructions that costs. Compare runs
// two programs over every syscall number of every architecture, with the
// argument values their profiles' conditions make interesting, and reports
// where the outcomes differ.
//
// A program comes from elsewhere: oci-sbx reads back the one runc loads
// (package oci/sandbox). This package only decodes and runs it, with no
// cgo and no privileges.
package filter
