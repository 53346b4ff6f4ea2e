// Package stage is the plan of how a seccomp profile is applied to a
// container: which part runc loads from linux.seccomp (the early stage),
// which part, if any, oci-sbx loads inside the container right before it
// execs the container's process (the late stage), and what else the
// config needs for that. Make is the one function that decides; patch,
// the Podman hook and the NRI plugin render its Plan.
//
// runc loads the container's filter and then still makes syscalls of its
// own: it reopens its exec fifo through /proc/self/fd, lists and closes
// descriptors, writes to the fifo, and execs. With noNewPrivileges false it
// loads even earlier, before it sets the user, the capabilities and the
// working directory. A profile that denies one of those calls makes
// `runc run` fail. The calls are not guessed: they are measured against the
// real runc (package convert/runtimes, whose table an e2e test regenerates).
//
// If runc can start under a profile, it goes into linux.seccomp as it is,
// with process.noNewPrivileges set when that is what makes runc load late
// enough. Otherwise the early profile is the profile with the syscalls runc
// and the late stage need let through, and the late profile is the whole
// profile: filters stack, the kernel applies the strictest answer of all
// of them, so once the late stage has loaded its filter the container's
// process runs under exactly the original profile. Processes that
// `runc exec` starts in such a container do not pass through the late
// stage: they run under the early profile only.
//
// With an engine's profile (Podman's default, the kubelet's), the
// container is never less confined than under it: Intersect writes the
// exact intersection where it can prove it, against runc's own filters;
// otherwise the engine's profile stays in linux.seccomp and the late stage
// loads the profile on top.
//
// Rendering a plan:
//
//   - a config.json (patch, the precreate hook): Plan.Apply, or the
//     composable Plan.SpecOpts, with a Place saying where the late
//     stage's files are;
//   - a bundle as a whole: Patch writes the late profile under its hash,
//     then config.json (the one commit point), under a lock, and removes
//     what the new config no longer uses;
//   - an NRI ContainerAdjustment, which cannot set noNewPrivileges and
//     loses defaultErrnoRet: make the plan with
//     Options{Cannot: NoNewPrivileges | DefaultErrnoRet}, so that its
//     Relies is empty and the late stage does that work; then set the
//     seccomp policy to Plan.Seccomp unless Plan.Engine is Stacked (the
//     engine's policy stays), and with a Late stage write its directory
//     with WriteLateDir, add Late.Mounts(dir, binary) and put Late.Args
//     in front of the container's args.
//
// The hook and the NRI plugin share one directory per late profile and
// remove those no container holds with CollectLateDirs.
package stage
