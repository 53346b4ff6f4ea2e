// Package libseccompc reads C source that builds a seccomp filter with
// libseccomp, and returns the rules that filter enforces with positions
// in the C file.
package libseccompc
