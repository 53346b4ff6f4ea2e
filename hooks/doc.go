// Package hooks is the OCI runtime hook: Podman's precreate config filter,
// which applies a seccomp profile named by a container's annotations, the
// hooks.d 1.0.0 document that registers it, and the seccomp agent that
// answers and reports the notifications a runtime hands over through a
// profile's listenerPath.
//
// Everything here is pure Go: the agent speaks the kernel's notification
// interface through package notify, not libseccomp, and loads no filter.
package hooks
