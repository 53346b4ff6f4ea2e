// Package hooks is the OCI runtime hook: Podman's precreate config filter,
// which applies the seccomp profile a container's annotations name, the
// hooks.d 1.0.0 document that registers it, and the seccomp agent that
// reports and answers the notifications of a profile's listenerPath.
//
// ReportTo turns a profile's errno rules into notify rules for the agent
// (notify.ForReport, the policy `oci-sbx exec --report` follows too), with
// each syscall's errno in listenerMetadata; the agent answers every
// notification with that errno in notify.Serve and never lets a call run.
// runc hands its listener to the agent itself; oci-sbx's late stage
// (package late), which applies what runc cannot start under, hands its own
// over with notify.LateHandover, since the kernel allows one listener per
// chain of filters.
//
// Everything here is pure Go: the agent speaks the kernel's notification
// interface through package notify, not libseccomp, and loads no filter.
package hooks
