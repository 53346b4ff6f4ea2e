// Package late is oci-sbx's late stage: ExecLate loads a profile into the
// calling process and replaces it with the container's process, the way
// runc applies a profile right before it execs the container's process.
// It serves the profiles runc itself could not start under (package
// stage plans them): a static oci-sbx inside the container runs it. With
// a listenerPath, the listener goes to the seccomp agent through
// notify.DialAgent.
//
// It needs cgo, libseccomp and the seccomp build tag; without them
// ExecLate returns loader.ErrUnsupported.
package late
