package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// A group names a set of syscalls, and may include other groups. The
// classic sets follow the themes of systemd's SystemCallFilter= sets so
// their names mean what administrators expect; the lists are ours. The
// intent groups (@file-open, @network-connect, @io-uring,
// @process-inspect) gather every call that achieves one thing, so that
// denying the intent leaves no other syscall that does the same.
//
// Members may exist on only some architectures (open is not on aarch64);
// GroupMembers keeps those of the target architectures.
type group struct {
	desc    string
	members []string
}

// knownGroup is the group of every syscall libseccomp knows; its members
// come from the syscall table.
const knownGroup = "@known"

var groups = map[string]group{
	"@aio": {"asynchronous I/O: the Linux AIO calls and io_uring", []string{
		"@io-uring",
		"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
		"io_setup", "io_submit",
	}},
	"@basic-io": {"reading, writing, seeking and closing file descriptors", []string{
		"_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek",
		"pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2",
		"read", "readv", "write", "writev",
	}},
	"@chown": {"changing file owners", []string{
		"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
	}},
	"@clock": {"setting the system clock", []string{
		"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
		"settimeofday", "stime",
	}},
	"@cpu-emulation": {"running code for other CPU modes: vm86, LDT edits, endianness switches", []string{
		"modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old",
	}},
	"@debug": {"debugging, tracing and profiling, of this process or others", []string{
		"kcmp", "lookup_dcookie", "perf_event_open", "pidfd_getfd", "process_vm_readv",
		"process_vm_writev", "ptrace", "rtas", "s390_runtime_instr", "sys_debug_setcontext",
	}},
	"@file-system": {"working with files and directories by path and by descriptor", []string{
		"access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate",
		"fchdir", "fchmod", "fchmodat", "fchmodat2", "fcntl", "fcntl64", "fgetxattr",
		"flistxattr", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
		"fstatfs64", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
		"getdents64", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
		"inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr", "llistxattr",
		"lremovexattr", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat", "mknod",
		"mknodat", "mmap", "mmap2", "munmap", "newfstatat", "oldfstat", "oldlstat", "oldstat",
		"open", "openat", "openat2", "readdir", "readlink", "readlinkat", "removexattr",
		"rename", "renameat", "renameat2", "rmdir", "setxattr", "stat", "stat64", "statfs",
		"statfs64", "statx", "symlink", "symlinkat", "truncate", "truncate64", "unlink",
		"unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
	}},
	"@io-event": {"waiting for events on file descriptors: poll, select, epoll, eventfd", []string{
		"_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
		"epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
		"poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64", "select",
	}},
	"@ipc": {"pipes, SysV IPC, POSIX message queues and memfds", []string{
		"ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
		"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
		"msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget", "semop",
		"semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
	}},
	"@keyring": {"the kernel keyring", []string{
		"add_key", "keyctl", "request_key",
	}},
	"@memlock": {"locking memory into RAM", []string{
		"mlock", "mlock2", "mlockall", "munlock", "munlockall",
	}},
	"@module": {"loading and unloading kernel modules", []string{
		"create_module", "delete_module", "finit_module", "get_kernel_syms", "init_module",
		"query_module",
	}},
	"@mount": {"mounting, unmounting and changing the root directory", []string{
		"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
		"move_mount", "open_tree", "pivot_root", "umount", "umount2",
	}},
	"@network-io": {"sockets: creating, connecting, sending, receiving", []string{
		"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
		"listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send",
		"sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socket", "socketcall",
		"socketpair",
	}},
	"@obsolete": {"calls the kernel no longer implements or only stubs", []string{
		"_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
		"get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "nfsservctl", "prof",
		"profil", "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stty",
		"sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vserver",
	}},
	"@pkey": {"memory protection keys", []string{
		"pkey_alloc", "pkey_free", "pkey_mprotect",
	}},
	"@privileged": {"calls that need a capability such as CAP_SYS_ADMIN", []string{
		"@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap",
		"_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init", "fanotify_mark",
		"nfsservctl", "open_by_handle_at", "pivot_root", "quotactl", "quotactl_fd",
		"setdomainname", "setfsuid", "setfsuid32", "setgroups", "setgroups32", "sethostname",
		"setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32", "syslog",
		"vhangup",
	}},
	"@process": {"creating, running, signalling and waiting for processes and threads; namespaces", []string{
		"capget", "clone", "clone3", "execve", "execveat", "fork", "getrusage", "kill",
		"pidfd_open", "pidfd_send_signal", "prctl", "process_mrelease", "rt_sigqueueinfo",
		"rt_tgsigqueueinfo", "setns", "swapcontext", "tgkill", "times", "tkill", "unshare",
		"vfork", "wait4", "waitid", "waitpid",
	}},
	"@raw-io": {"raw access to I/O ports and PCI devices", []string{
		"ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
		"s390_pci_mmio_read", "s390_pci_mmio_write",
	}},
	"@reboot": {"rebooting and loading a new kernel", []string{
		"kexec_file_load", "kexec_load", "reboot",
	}},
	"@resources": {"changing scheduling, priorities, memory policy and resource limits", []string{
		"ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "prlimit64",
		"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
		"set_mempolicy", "set_mempolicy_home_node", "setpriority", "setrlimit",
	}},
	"@sandbox": {"setting up sandboxes: seccomp and Landlock", []string{
		"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp",
	}},
	"@setuid": {"changing user and group credentials", []string{
		"setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
		"setgroups32", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
		"setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
	}},
	"@signal": {"handling signals in this process (sending them is @process)", []string{
		"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
		"rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal", "signalfd",
		"signalfd4", "sigpending", "sigprocmask", "sigsuspend",
	}},
	"@swap": {"enabling and disabling swap", []string{
		"swapoff", "swapon",
	}},
	"@sync": {"flushing files and memory to storage", []string{
		"arm_sync_file_range", "fdatasync", "fsync", "msync", "sync", "sync_file_range",
		"sync_file_range2", "syncfs",
	}},
	"@timer": {"timers and alarms", []string{
		"alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
		"timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd",
		"timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
		"timerfd_settime64",
	}},
	"@default": {"what every process needs to start, run and exit; never worth denying", []string{
		"arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64",
		"clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
		"execve", "exit", "exit_group", "futex", "futex_requeue", "futex_time64", "futex_wait",
		"futex_waitv", "futex_wake", "get_robust_list", "get_thread_area", "get_tls",
		"getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
		"getgroups32", "getpgid", "getpgrp", "getpid", "getppid", "getrandom", "getresgid",
		"getresgid32", "getresuid", "getresuid32", "getrlimit", "getsid", "gettid",
		"gettimeofday", "getuid", "getuid32", "membarrier", "mmap", "mmap2", "mprotect",
		"munmap", "nanosleep", "pause", "prlimit64", "restart_syscall", "riscv_flush_icache",
		"rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",
		"set_thread_area", "set_tid_address", "set_tls", "sigreturn", "time", "ugetrlimit",
	}},
	"@system-service": {"what an ordinary system service uses; excludes @privileged, @mount, @debug and the like", []string{
		"@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc",
		"@keyring", "@memlock", "@network-io", "@process", "@resources", "@setuid", "@signal",
		"@sync", "@timer",
		"arm_fadvise64_64", "cachestat", "capset", "copy_file_range", "fadvise64",
		"fadvise64_64", "flock", "get_mempolicy", "getcpu", "getpriority", "ioctl",
		"ioprio_get", "kcmp", "madvise", "mincore", "mremap", "name_to_handle_at",
		"oldolduname", "olduname", "personality", "readahead", "remap_file_pages",
		"sched_get_priority_max", "sched_get_priority_min", "sched_getattr",
		"sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
		"sched_rr_get_interval_time64", "sendfile", "sendfile64", "setpgid", "setsid",
		"splice", "sysinfo", "tee", "umask", "uname", "userfaultfd", "vmsplice",
	}},
	knownGroup: {"every syscall libseccomp " + syscalls.LibseccompVersion + " knows", nil},

	// Intent groups.
	//
	// @file-open leaves out name_to_handle_at: it only turns a path into
	// a handle and opens nothing; open_by_handle_at, which opens the
	// handle, is in. io_uring is in because IORING_OP_OPENAT opens files
	// without any open syscall.
	"@file-open": {"every way to open a file: open, openat, openat2, creat, open_by_handle_at, and io_uring (IORING_OP_OPENAT)", []string{
		"@io-uring",
		"creat", "open", "open_by_handle_at", "openat", "openat2",
	}},
	// A peer is reached by connect, by sendto/sendmsg/sendmmsg (UDP, or
	// TCP Fast Open with MSG_FASTOPEN, which connects without connect),
	// by socketcall where the architecture multiplexes them, and by
	// io_uring's IORING_OP_CONNECT and IORING_OP_SENDMSG. A socket of a
	// network family needs none of them (raw AF_PACKET frames go out with
	// write, a bound UDP socket receives): that takes a rule on socket's
	// family, which hardening the network intent adds (see Class).
	"@network-connect": {"the calls that reach a network peer from a socket: connect, sendto, sendmsg, sendmmsg (TCP Fast Open), socketcall, and io_uring; raw and inbound sockets need a rule on socket's family", []string{
		"@io-uring",
		"connect", "sendmmsg", "sendmsg", "sendto", "socketcall",
	}},
	"@io-uring": {"io_uring, whose operations (open, connect, send, …) run without their own syscalls, out of seccomp's sight", []string{
		"io_uring_enter", "io_uring_register", "io_uring_setup",
	}},
	// pidfd_open is left out: it only names a process, and Go's os/exec
	// and process supervisors use it; pidfd_getfd, which takes the
	// target's descriptors, is in. perf_event_open is in because
	// sampling another process can copy its registers and stack.
	"@process-inspect": {"reading or changing another process: ptrace, process_vm_readv/writev, pidfd_getfd, kcmp, perf_event_open", []string{
		"kcmp", "perf_event_open", "pidfd_getfd", "process_vm_readv", "process_vm_writev",
		"ptrace",
	}},
}

// Groups returns the names of every group, sorted, each starting with '@'.
func Groups() []string {
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// GroupDescription returns a one-line description of a group, or "" if
// there is no such group.
func GroupDescription(group string) string {
	return groups[group].desc
}

// GroupMembers returns the syscalls of a group, nested groups expanded,
// that exist on at least one of the given architectures, sorted and
// without duplicates. No architectures means any architecture libseccomp
// knows; "native" means the build's own.
func GroupMembers(group string, arches []string) ([]string, error) {
	if _, ok := groups[group]; !ok {
		return nil, unknownGroup(group)
	}
	// The tables never change: a document naming a group in each of
	// thousands of rules expands it once.
	// Long-running readers (the hook, the NRI plugin) see documents of
	// any architecture list, so the cache keeps a bounded number.
	key := group + "\x00" + strings.Join(arches, ",")
	memberCache.Lock()
	m, ok := memberCache.m[key]
	memberCache.Unlock()
	if ok {
		return slices.Clone(m), nil
	}
	out, err := groupMembers(group, arches)
	if err == nil {
		memberCache.Lock()
		if memberCache.m == nil {
			memberCache.m = map[string][]string{}
		}
		if len(memberCache.m) < maxCachedGroups {
			memberCache.m[key] = slices.Clone(out)
		}
		memberCache.Unlock()
	}
	return out, err
}

const maxCachedGroups = 512

var memberCache struct {
	sync.Mutex
	m map[string][]string // group and architectures → sorted members
}

func groupMembers(group string, arches []string) ([]string, error) {
	targets := make([]string, 0, len(arches))
	for _, a := range arches {
		if a == Native {
			a = syscalls.NativeArch()
		}
		if _, err := syscalls.ArchSpec(a); err != nil {
			return nil, err
		}
		targets = append(targets, a)
	}
	seen := map[string]bool{}
	var out []string
	for _, name := range expandGroup(groups, group, map[string]bool{}) {
		if seen[name] {
			continue
		}
		seen[name] = true
		if len(targets) == 0 {
			if syscalls.IsSyscall(name) {
				out = append(out, name)
			}
			continue
		}
		for _, a := range targets {
			if syscalls.HasSyscall(a, name) {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// expandGroup lists a group's syscalls with nested groups expanded. Each
// group is expanded once, so a group reached twice adds nothing new and a
// cycle cannot loop.
func expandGroup(gs map[string]group, name string, seen map[string]bool) []string {
	if seen[name] {
		return nil
	}
	seen[name] = true
	if name == knownGroup {
		return syscalls.AllSyscalls()
	}
	var out []string
	for _, m := range gs[name].members {
		if strings.HasPrefix(m, "@") {
			out = append(out, expandGroup(gs, m, seen)...)
		} else {
			out = append(out, m)
		}
	}
	return out
}

func unknownGroup(name string) error {
	if sug := suggest.Closest(name, Groups()); sug != "" {
		return fmt.Errorf("unknown group %q: did you mean %q?", name, sug)
	}
	if !strings.HasPrefix(name, "@") {
		if sug := suggest.Closest("@"+name, Groups()); sug != "" {
			return fmt.Errorf("unknown group %q: did you mean %q?", name, sug)
		}
	}
	return fmt.Errorf("unknown group %q (groups: %s)", name, strings.Join(Groups(), ", "))
}
