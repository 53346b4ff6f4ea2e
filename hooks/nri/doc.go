// Package nri is oci-sbx's NRI plugin: the hook of a Kubernetes node.
// containerd (2.0 and later) and CRI-O call it for every container they
// create, and it applies the seccomp profile that the pod's annotations
// name (oci-sbx.io/profile, oci-sbx.io/rules, and the per-container forms
// oci-sbx.io/KEY.CONTAINER; the table is package annotation's) by
// adjusting the container: its seccomp policy, and for a profile runc
// cannot start under, the late stage's mounts and arguments.
//
// The plan is stage.Make's, the same as the Podman hook's and patch's,
// made with what an NRI adjustment cannot carry: process.noNewPrivileges
// (NRI has no field for it) and linux.seccomp.defaultErrnoRet (containerd
// drops it). Where a profile relies on either, the late stage does that
// work inside the container. The kubelet's profile (RuntimeDefault or
// Localhost), as the runtime generated it, stays in force: the container
// gets the exact intersection, or the kubelet's profile with oci-sbx's
// loaded on top, unless the pod says oci-sbx.io/engine-profile: replace.
//
// oci-sbx.io/record runs the container under the recording filter of a
// recorder the plugin starts for it, as the Podman hook does.
//
// Any problem — a key that is not in the table, a name that leads out of
// the profiles directory, a missing file, a profile that does not parse —
// refuses the container: a typo must not start it unconfined.
package nri
