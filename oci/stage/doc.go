// Package stage is the staging of a seccomp profile in a container: which
// part runc loads from linux.seccomp (the early stage), and which part, if
// any, oci-sbx loads inside the container right before it execs the
// container's process (the late stage).
//
// runc loads the container's filter and then still makes syscalls of its
// own: it reopens its exec fifo through /proc/self/fd, lists and closes
// descriptors, writes to the fifo, and execs. With noNewPrivileges false it
// loads even earlier, before it sets the user, the capabilities and the
// working directory. A profile that denies one of those calls makes
// `runc run` fail. The calls are not guessed: they are measured against the
// real runc (package convert/runtimes, whose table an e2e test regenerates).
//
// Split decides what to do with a profile. If runc can start under it, the
// profile goes into linux.seccomp as it is, with process.noNewPrivileges
// set when that is what makes runc load late enough. Otherwise the early
// profile is the profile with the syscalls runc and the late stage need
// let through, and the late profile is the whole profile: filters stack,
// the kernel applies the strictest answer of all of them, so once the late
// stage has loaded its filter the container's process runs under exactly
// the original profile. Processes that `runc exec` starts in such a
// container do not pass through the late stage: they run under the early
// profile only.
package stage
