package syscalls

import (
	"slices"
	"sort"
	"sync"

	"golang.org/x/sys/unix"
)

// Named constants for conditions ("arg0 == AF_UNIX",
// "arg2 & O_ACCMODE == O_RDONLY").
//
// The values come from golang.org/x/sys/unix, so they are those of the
// architecture oci-sbx was built for. Most agree across Linux
// architectures, but not all: O_DIRECTORY, O_NOFOLLOW, O_DIRECT and
// O_LARGEFILE differ on arm, aarch64 and ppc; mips, parisc and sparc
// number many O_*, SOCK_*, MAP_* and ioctl values their own way. A
// condition using them is right for the build's architecture; profiles for
// another one are best generated on it.

// atFDCWD is AT_FDCWD (-100) as a filter sees it in a 64-bit register:
// sign-extended, 0xffffffffffffff9c. On 32-bit ABIs the kernel zero-extends
// the register, so the value there is 0xffffff9c.
const atFDCWD = uint64(1<<64 + unix.AT_FDCWD)

// perQuery is personality(0xffffffff), which reads the persona without
// changing it. The name is ours: the kernel headers have none for it.
const perQuery = 0xffffffff

// Personality values from <linux/personality.h>, which x/sys/unix lacks.
const (
	perLinux        = 0x0000
	perLinux32      = 0x0008
	perMask         = 0x00ff
	uname26         = 0x0020000
	addrNoRandomize = 0x0040000
	fdpicFuncptrs   = 0x0080000
	mmapPageZero    = 0x0100000
	addrCompatLay   = 0x0200000
	readImpliesExec = 0x0400000
	addrLimit32Bit  = 0x0800000
	shortInode      = 0x1000000
	wholeSeconds    = 0x2000000
	stickyTimeouts  = 0x4000000
	addrLimit3GB    = 0x8000000
)

var constants = map[string]uint64{
	// Address families: socket(2) arg0.
	"AF_UNSPEC":     unix.AF_UNSPEC,
	"AF_UNIX":       unix.AF_UNIX,
	"AF_LOCAL":      unix.AF_LOCAL,
	"AF_INET":       unix.AF_INET,
	"AF_AX25":       unix.AF_AX25,
	"AF_IPX":        unix.AF_IPX,
	"AF_APPLETALK":  unix.AF_APPLETALK,
	"AF_NETROM":     unix.AF_NETROM,
	"AF_BRIDGE":     unix.AF_BRIDGE,
	"AF_ATMPVC":     unix.AF_ATMPVC,
	"AF_X25":        unix.AF_X25,
	"AF_INET6":      unix.AF_INET6,
	"AF_ROSE":       unix.AF_ROSE,
	"AF_DECnet":     unix.AF_DECnet,
	"AF_NETBEUI":    unix.AF_NETBEUI,
	"AF_SECURITY":   unix.AF_SECURITY,
	"AF_KEY":        unix.AF_KEY,
	"AF_NETLINK":    unix.AF_NETLINK,
	"AF_ROUTE":      unix.AF_ROUTE,
	"AF_PACKET":     unix.AF_PACKET,
	"AF_ASH":        unix.AF_ASH,
	"AF_ECONET":     unix.AF_ECONET,
	"AF_ATMSVC":     unix.AF_ATMSVC,
	"AF_RDS":        unix.AF_RDS,
	"AF_SNA":        unix.AF_SNA,
	"AF_IRDA":       unix.AF_IRDA,
	"AF_PPPOX":      unix.AF_PPPOX,
	"AF_WANPIPE":    unix.AF_WANPIPE,
	"AF_LLC":        unix.AF_LLC,
	"AF_IB":         unix.AF_IB,
	"AF_MPLS":       unix.AF_MPLS,
	"AF_CAN":        unix.AF_CAN,
	"AF_TIPC":       unix.AF_TIPC,
	"AF_BLUETOOTH":  unix.AF_BLUETOOTH,
	"AF_IUCV":       unix.AF_IUCV,
	"AF_RXRPC":      unix.AF_RXRPC,
	"AF_ISDN":       unix.AF_ISDN,
	"AF_PHONET":     unix.AF_PHONET,
	"AF_IEEE802154": unix.AF_IEEE802154,
	"AF_CAIF":       unix.AF_CAIF,
	"AF_ALG":        unix.AF_ALG,
	"AF_NFC":        unix.AF_NFC,
	"AF_VSOCK":      unix.AF_VSOCK,
	"AF_KCM":        unix.AF_KCM,
	"AF_QIPCRTR":    unix.AF_QIPCRTR,
	"AF_SMC":        unix.AF_SMC,
	"AF_XDP":        unix.AF_XDP,
	"AF_MCTP":       unix.AF_MCTP,
	"AF_MAX":        unix.AF_MAX,

	// Socket types: socket(2) arg1, with the flags or-ed in.
	"SOCK_STREAM":    unix.SOCK_STREAM,
	"SOCK_DGRAM":     unix.SOCK_DGRAM,
	"SOCK_RAW":       unix.SOCK_RAW,
	"SOCK_RDM":       unix.SOCK_RDM,
	"SOCK_SEQPACKET": unix.SOCK_SEQPACKET,
	"SOCK_DCCP":      unix.SOCK_DCCP,
	"SOCK_PACKET":    unix.SOCK_PACKET,
	"SOCK_NONBLOCK":  unix.SOCK_NONBLOCK,
	"SOCK_CLOEXEC":   unix.SOCK_CLOEXEC,

	// Protocols: socket(2) arg2.
	"IPPROTO_IP":       unix.IPPROTO_IP,
	"IPPROTO_ICMP":     unix.IPPROTO_ICMP,
	"IPPROTO_IGMP":     unix.IPPROTO_IGMP,
	"IPPROTO_IPIP":     unix.IPPROTO_IPIP,
	"IPPROTO_TCP":      unix.IPPROTO_TCP,
	"IPPROTO_EGP":      unix.IPPROTO_EGP,
	"IPPROTO_PUP":      unix.IPPROTO_PUP,
	"IPPROTO_UDP":      unix.IPPROTO_UDP,
	"IPPROTO_IDP":      unix.IPPROTO_IDP,
	"IPPROTO_TP":       unix.IPPROTO_TP,
	"IPPROTO_DCCP":     unix.IPPROTO_DCCP,
	"IPPROTO_IPV6":     unix.IPPROTO_IPV6,
	"IPPROTO_RSVP":     unix.IPPROTO_RSVP,
	"IPPROTO_GRE":      unix.IPPROTO_GRE,
	"IPPROTO_ESP":      unix.IPPROTO_ESP,
	"IPPROTO_AH":       unix.IPPROTO_AH,
	"IPPROTO_ICMPV6":   unix.IPPROTO_ICMPV6,
	"IPPROTO_MTP":      unix.IPPROTO_MTP,
	"IPPROTO_BEETPH":   unix.IPPROTO_BEETPH,
	"IPPROTO_ENCAP":    unix.IPPROTO_ENCAP,
	"IPPROTO_PIM":      unix.IPPROTO_PIM,
	"IPPROTO_COMP":     unix.IPPROTO_COMP,
	"IPPROTO_L2TP":     unix.IPPROTO_L2TP,
	"IPPROTO_SCTP":     unix.IPPROTO_SCTP,
	"IPPROTO_UDPLITE":  unix.IPPROTO_UDPLITE,
	"IPPROTO_MPLS":     unix.IPPROTO_MPLS,
	"IPPROTO_ETHERNET": unix.IPPROTO_ETHERNET,
	"IPPROTO_RAW":      unix.IPPROTO_RAW,
	"IPPROTO_SMC":      unix.IPPROTO_SMC,
	"IPPROTO_MPTCP":    unix.IPPROTO_MPTCP,

	// Netlink protocols: socket(AF_NETLINK, …) arg2.
	"NETLINK_ROUTE":          unix.NETLINK_ROUTE,
	"NETLINK_SOCK_DIAG":      unix.NETLINK_SOCK_DIAG,
	"NETLINK_NETFILTER":      unix.NETLINK_NETFILTER,
	"NETLINK_AUDIT":          unix.NETLINK_AUDIT,
	"NETLINK_KOBJECT_UEVENT": unix.NETLINK_KOBJECT_UEVENT,
	"NETLINK_GENERIC":        unix.NETLINK_GENERIC,
	"NETLINK_XFRM":           unix.NETLINK_XFRM,
	"NETLINK_CONNECTOR":      unix.NETLINK_CONNECTOR,
	"NETLINK_SELINUX":        unix.NETLINK_SELINUX,
	"NETLINK_CRYPTO":         unix.NETLINK_CRYPTO,

	// Message flags: send*/recv* flags; MSG_FASTOPEN makes sendto and
	// sendmsg connect a TCP socket.
	"MSG_OOB":          unix.MSG_OOB,
	"MSG_PEEK":         unix.MSG_PEEK,
	"MSG_DONTROUTE":    unix.MSG_DONTROUTE,
	"MSG_CTRUNC":       unix.MSG_CTRUNC,
	"MSG_PROXY":        unix.MSG_PROXY,
	"MSG_TRUNC":        unix.MSG_TRUNC,
	"MSG_DONTWAIT":     unix.MSG_DONTWAIT,
	"MSG_EOR":          unix.MSG_EOR,
	"MSG_WAITALL":      unix.MSG_WAITALL,
	"MSG_FIN":          unix.MSG_FIN,
	"MSG_SYN":          unix.MSG_SYN,
	"MSG_CONFIRM":      unix.MSG_CONFIRM,
	"MSG_RST":          unix.MSG_RST,
	"MSG_ERRQUEUE":     unix.MSG_ERRQUEUE,
	"MSG_NOSIGNAL":     unix.MSG_NOSIGNAL,
	"MSG_MORE":         unix.MSG_MORE,
	"MSG_WAITFORONE":   unix.MSG_WAITFORONE,
	"MSG_BATCH":        unix.MSG_BATCH,
	"MSG_ZEROCOPY":     unix.MSG_ZEROCOPY,
	"MSG_FASTOPEN":     unix.MSG_FASTOPEN,
	"MSG_CMSG_CLOEXEC": unix.MSG_CMSG_CLOEXEC,

	// Open flags: open(2) arg1, openat(2) arg2. O_ACCMODE masks the
	// access mode, which is a number (O_RDONLY is 0), not a flag.
	"O_ACCMODE":   unix.O_ACCMODE,
	"O_RDONLY":    unix.O_RDONLY,
	"O_WRONLY":    unix.O_WRONLY,
	"O_RDWR":      unix.O_RDWR,
	"O_CREAT":     unix.O_CREAT,
	"O_EXCL":      unix.O_EXCL,
	"O_NOCTTY":    unix.O_NOCTTY,
	"O_TRUNC":     unix.O_TRUNC,
	"O_APPEND":    unix.O_APPEND,
	"O_NONBLOCK":  unix.O_NONBLOCK,
	"O_NDELAY":    unix.O_NDELAY,
	"O_DSYNC":     unix.O_DSYNC,
	"O_SYNC":      unix.O_SYNC,
	"O_ASYNC":     unix.O_ASYNC,
	"O_DIRECT":    unix.O_DIRECT,
	"O_DIRECTORY": unix.O_DIRECTORY,
	"O_NOFOLLOW":  unix.O_NOFOLLOW,
	"O_NOATIME":   unix.O_NOATIME,
	"O_CLOEXEC":   unix.O_CLOEXEC,
	"O_PATH":      unix.O_PATH,
	"O_TMPFILE":   unix.O_TMPFILE, // includes O_DIRECTORY, as the kernel requires

	// *at(2) dirfd and flags.
	"AT_FDCWD":            atFDCWD,
	"AT_SYMLINK_NOFOLLOW": unix.AT_SYMLINK_NOFOLLOW,
	"AT_REMOVEDIR":        unix.AT_REMOVEDIR,
	"AT_SYMLINK_FOLLOW":   unix.AT_SYMLINK_FOLLOW,
	"AT_NO_AUTOMOUNT":     unix.AT_NO_AUTOMOUNT,
	"AT_EMPTY_PATH":       unix.AT_EMPTY_PATH,
	"AT_EACCESS":          unix.AT_EACCESS,
	"AT_RECURSIVE":        unix.AT_RECURSIVE,

	// File types and mode bits: mknod(2) mode, chmod(2) mode.
	"S_IFMT":   unix.S_IFMT,
	"S_IFSOCK": unix.S_IFSOCK,
	"S_IFLNK":  unix.S_IFLNK,
	"S_IFREG":  unix.S_IFREG,
	"S_IFBLK":  unix.S_IFBLK,
	"S_IFDIR":  unix.S_IFDIR,
	"S_IFCHR":  unix.S_IFCHR,
	"S_IFIFO":  unix.S_IFIFO,
	"S_ISUID":  unix.S_ISUID,
	"S_ISGID":  unix.S_ISGID,
	"S_ISVTX":  unix.S_ISVTX,

	// fcntl(2) commands (arg1) and FD_CLOEXEC.
	"F_DUPFD":         unix.F_DUPFD,
	"F_GETFD":         unix.F_GETFD,
	"F_SETFD":         unix.F_SETFD,
	"F_GETFL":         unix.F_GETFL,
	"F_SETFL":         unix.F_SETFL,
	"F_GETLK":         unix.F_GETLK,
	"F_SETLK":         unix.F_SETLK,
	"F_SETLKW":        unix.F_SETLKW,
	"F_SETOWN":        unix.F_SETOWN,
	"F_GETOWN":        unix.F_GETOWN,
	"F_SETSIG":        unix.F_SETSIG,
	"F_GETSIG":        unix.F_GETSIG,
	"F_SETOWN_EX":     unix.F_SETOWN_EX,
	"F_GETOWN_EX":     unix.F_GETOWN_EX,
	"F_OFD_GETLK":     unix.F_OFD_GETLK,
	"F_OFD_SETLK":     unix.F_OFD_SETLK,
	"F_OFD_SETLKW":    unix.F_OFD_SETLKW,
	"F_SETLEASE":      unix.F_SETLEASE,
	"F_GETLEASE":      unix.F_GETLEASE,
	"F_NOTIFY":        unix.F_NOTIFY,
	"F_DUPFD_CLOEXEC": unix.F_DUPFD_CLOEXEC,
	"F_SETPIPE_SZ":    unix.F_SETPIPE_SZ,
	"F_GETPIPE_SZ":    unix.F_GETPIPE_SZ,
	"F_ADD_SEALS":     unix.F_ADD_SEALS,
	"F_GET_SEALS":     unix.F_GET_SEALS,
	"FD_CLOEXEC":      unix.FD_CLOEXEC,

	// Clone flags: clone(2) arg0 (clone3 passes a struct, which filters
	// cannot read).
	"CSIGNAL":              unix.CSIGNAL,
	"CLONE_NEWTIME":        unix.CLONE_NEWTIME,
	"CLONE_VM":             unix.CLONE_VM,
	"CLONE_FS":             unix.CLONE_FS,
	"CLONE_FILES":          unix.CLONE_FILES,
	"CLONE_SIGHAND":        unix.CLONE_SIGHAND,
	"CLONE_PIDFD":          unix.CLONE_PIDFD,
	"CLONE_PTRACE":         unix.CLONE_PTRACE,
	"CLONE_VFORK":          unix.CLONE_VFORK,
	"CLONE_PARENT":         unix.CLONE_PARENT,
	"CLONE_THREAD":         unix.CLONE_THREAD,
	"CLONE_NEWNS":          unix.CLONE_NEWNS,
	"CLONE_SYSVSEM":        unix.CLONE_SYSVSEM,
	"CLONE_SETTLS":         unix.CLONE_SETTLS,
	"CLONE_PARENT_SETTID":  unix.CLONE_PARENT_SETTID,
	"CLONE_CHILD_CLEARTID": unix.CLONE_CHILD_CLEARTID,
	"CLONE_DETACHED":       unix.CLONE_DETACHED,
	"CLONE_UNTRACED":       unix.CLONE_UNTRACED,
	"CLONE_CHILD_SETTID":   unix.CLONE_CHILD_SETTID,
	"CLONE_NEWCGROUP":      unix.CLONE_NEWCGROUP,
	"CLONE_NEWUTS":         unix.CLONE_NEWUTS,
	"CLONE_NEWIPC":         unix.CLONE_NEWIPC,
	"CLONE_NEWUSER":        unix.CLONE_NEWUSER,
	"CLONE_NEWPID":         unix.CLONE_NEWPID,
	"CLONE_NEWNET":         unix.CLONE_NEWNET,
	"CLONE_IO":             unix.CLONE_IO,
	"CLONE_CLEAR_SIGHAND":  unix.CLONE_CLEAR_SIGHAND,
	"CLONE_INTO_CGROUP":    unix.CLONE_INTO_CGROUP,

	// prctl(2) options (arg0) that profiles commonly filter.
	"PR_SET_PDEATHSIG":             unix.PR_SET_PDEATHSIG,
	"PR_GET_PDEATHSIG":             unix.PR_GET_PDEATHSIG,
	"PR_GET_DUMPABLE":              unix.PR_GET_DUMPABLE,
	"PR_SET_DUMPABLE":              unix.PR_SET_DUMPABLE,
	"PR_GET_KEEPCAPS":              unix.PR_GET_KEEPCAPS,
	"PR_SET_KEEPCAPS":              unix.PR_SET_KEEPCAPS,
	"PR_SET_NAME":                  unix.PR_SET_NAME,
	"PR_GET_NAME":                  unix.PR_GET_NAME,
	"PR_GET_SECCOMP":               unix.PR_GET_SECCOMP,
	"PR_SET_SECCOMP":               unix.PR_SET_SECCOMP,
	"PR_CAPBSET_READ":              unix.PR_CAPBSET_READ,
	"PR_CAPBSET_DROP":              unix.PR_CAPBSET_DROP,
	"PR_GET_TSC":                   unix.PR_GET_TSC,
	"PR_SET_TSC":                   unix.PR_SET_TSC,
	"PR_GET_SECUREBITS":            unix.PR_GET_SECUREBITS,
	"PR_SET_SECUREBITS":            unix.PR_SET_SECUREBITS,
	"PR_SET_TIMERSLACK":            unix.PR_SET_TIMERSLACK,
	"PR_GET_TIMERSLACK":            unix.PR_GET_TIMERSLACK,
	"PR_MCE_KILL":                  unix.PR_MCE_KILL,
	"PR_SET_MM":                    unix.PR_SET_MM,
	"PR_SET_PTRACER":               unix.PR_SET_PTRACER,
	"PR_SET_CHILD_SUBREAPER":       unix.PR_SET_CHILD_SUBREAPER,
	"PR_GET_CHILD_SUBREAPER":       unix.PR_GET_CHILD_SUBREAPER,
	"PR_SET_NO_NEW_PRIVS":          unix.PR_SET_NO_NEW_PRIVS,
	"PR_GET_NO_NEW_PRIVS":          unix.PR_GET_NO_NEW_PRIVS,
	"PR_SET_THP_DISABLE":           unix.PR_SET_THP_DISABLE,
	"PR_GET_THP_DISABLE":           unix.PR_GET_THP_DISABLE,
	"PR_CAP_AMBIENT":               unix.PR_CAP_AMBIENT,
	"PR_GET_SPECULATION_CTRL":      unix.PR_GET_SPECULATION_CTRL,
	"PR_SET_SPECULATION_CTRL":      unix.PR_SET_SPECULATION_CTRL,
	"PR_SET_TAGGED_ADDR_CTRL":      unix.PR_SET_TAGGED_ADDR_CTRL,
	"PR_GET_TAGGED_ADDR_CTRL":      unix.PR_GET_TAGGED_ADDR_CTRL,
	"PR_SET_IO_FLUSHER":            unix.PR_SET_IO_FLUSHER,
	"PR_GET_IO_FLUSHER":            unix.PR_GET_IO_FLUSHER,
	"PR_SET_SYSCALL_USER_DISPATCH": unix.PR_SET_SYSCALL_USER_DISPATCH,
	"PR_SCHED_CORE":                unix.PR_SCHED_CORE,
	"PR_SET_MDWE":                  unix.PR_SET_MDWE,
	"PR_GET_MDWE":                  unix.PR_GET_MDWE,
	"PR_SET_MEMORY_MERGE":          unix.PR_SET_MEMORY_MERGE,
	"PR_GET_MEMORY_MERGE":          unix.PR_GET_MEMORY_MERGE,
	"PR_SET_VMA":                   unix.PR_SET_VMA,

	// ioctl(2) requests (arg1): TIOCSTI and TIOCLINUX inject input into a
	// terminal another process reads.
	"TIOCSTI":     unix.TIOCSTI,
	"TIOCLINUX":   unix.TIOCLINUX,
	"TIOCSETD":    unix.TIOCSETD,
	"TIOCSCTTY":   unix.TIOCSCTTY,
	"TIOCNOTTY":   unix.TIOCNOTTY,
	"TIOCCONS":    unix.TIOCCONS,
	"TIOCGWINSZ":  unix.TIOCGWINSZ,
	"TIOCSWINSZ":  unix.TIOCSWINSZ,
	"TIOCGPTN":    unix.TIOCGPTN,
	"TIOCSPTLCK":  unix.TIOCSPTLCK,
	"TIOCGPTPEER": unix.TIOCGPTPEER,
	"TCGETS":      unix.TCGETS,
	"TCSETS":      unix.TCSETS,

	// lseek(2) whence (arg2).
	"SEEK_SET":  unix.SEEK_SET,
	"SEEK_CUR":  unix.SEEK_CUR,
	"SEEK_END":  unix.SEEK_END,
	"SEEK_DATA": unix.SEEK_DATA,
	"SEEK_HOLE": unix.SEEK_HOLE,

	// Signals: kill(2) arg1, tgkill(2) arg2, rt_sigaction(2) arg0.
	"SIGHUP":   uint64(unix.SIGHUP),
	"SIGINT":   uint64(unix.SIGINT),
	"SIGQUIT":  uint64(unix.SIGQUIT),
	"SIGILL":   uint64(unix.SIGILL),
	"SIGTRAP":  uint64(unix.SIGTRAP),
	"SIGABRT":  uint64(unix.SIGABRT),
	"SIGBUS":   uint64(unix.SIGBUS),
	"SIGFPE":   uint64(unix.SIGFPE),
	"SIGKILL":  uint64(unix.SIGKILL),
	"SIGUSR1":  uint64(unix.SIGUSR1),
	"SIGSEGV":  uint64(unix.SIGSEGV),
	"SIGUSR2":  uint64(unix.SIGUSR2),
	"SIGPIPE":  uint64(unix.SIGPIPE),
	"SIGALRM":  uint64(unix.SIGALRM),
	"SIGTERM":  uint64(unix.SIGTERM),
	"SIGCHLD":  uint64(unix.SIGCHLD),
	"SIGCONT":  uint64(unix.SIGCONT),
	"SIGSTOP":  uint64(unix.SIGSTOP),
	"SIGTSTP":  uint64(unix.SIGTSTP),
	"SIGTTIN":  uint64(unix.SIGTTIN),
	"SIGTTOU":  uint64(unix.SIGTTOU),
	"SIGURG":   uint64(unix.SIGURG),
	"SIGXCPU":  uint64(unix.SIGXCPU),
	"SIGXFSZ":  uint64(unix.SIGXFSZ),
	"SIGPROF":  uint64(unix.SIGPROF),
	"SIGWINCH": uint64(unix.SIGWINCH),
	"SIGIO":    uint64(unix.SIGIO),
	"SIGSYS":   uint64(unix.SIGSYS),

	// Memory protection: mmap(2) arg2, mprotect(2) arg2.
	"PROT_NONE":      unix.PROT_NONE,
	"PROT_READ":      unix.PROT_READ,
	"PROT_WRITE":     unix.PROT_WRITE,
	"PROT_EXEC":      unix.PROT_EXEC,
	"PROT_GROWSDOWN": unix.PROT_GROWSDOWN,
	"PROT_GROWSUP":   unix.PROT_GROWSUP,

	// Mapping flags: mmap(2) arg3.
	"MAP_SHARED":          unix.MAP_SHARED,
	"MAP_PRIVATE":         unix.MAP_PRIVATE,
	"MAP_SHARED_VALIDATE": unix.MAP_SHARED_VALIDATE,
	"MAP_TYPE":            unix.MAP_TYPE,
	"MAP_FIXED":           unix.MAP_FIXED,
	"MAP_ANONYMOUS":       unix.MAP_ANONYMOUS,
	"MAP_ANON":            unix.MAP_ANON,
	"MAP_GROWSDOWN":       unix.MAP_GROWSDOWN,
	"MAP_DENYWRITE":       unix.MAP_DENYWRITE,
	"MAP_EXECUTABLE":      unix.MAP_EXECUTABLE,
	"MAP_LOCKED":          unix.MAP_LOCKED,
	"MAP_NORESERVE":       unix.MAP_NORESERVE,
	"MAP_POPULATE":        unix.MAP_POPULATE,
	"MAP_NONBLOCK":        unix.MAP_NONBLOCK,
	"MAP_STACK":           unix.MAP_STACK,
	"MAP_HUGETLB":         unix.MAP_HUGETLB,
	"MAP_FIXED_NOREPLACE": unix.MAP_FIXED_NOREPLACE,

	// Mount flags: mount(2) arg3.
	"MS_RDONLY":      unix.MS_RDONLY,
	"MS_NOSUID":      unix.MS_NOSUID,
	"MS_NODEV":       unix.MS_NODEV,
	"MS_NOEXEC":      unix.MS_NOEXEC,
	"MS_SYNCHRONOUS": unix.MS_SYNCHRONOUS,
	"MS_REMOUNT":     unix.MS_REMOUNT,
	"MS_MANDLOCK":    unix.MS_MANDLOCK,
	"MS_DIRSYNC":     unix.MS_DIRSYNC,
	"MS_NOSYMFOLLOW": unix.MS_NOSYMFOLLOW,
	"MS_NOATIME":     unix.MS_NOATIME,
	"MS_NODIRATIME":  unix.MS_NODIRATIME,
	"MS_BIND":        unix.MS_BIND,
	"MS_MOVE":        unix.MS_MOVE,
	"MS_REC":         unix.MS_REC,
	"MS_SILENT":      unix.MS_SILENT,
	"MS_POSIXACL":    unix.MS_POSIXACL,
	"MS_UNBINDABLE":  unix.MS_UNBINDABLE,
	"MS_PRIVATE":     unix.MS_PRIVATE,
	"MS_SLAVE":       unix.MS_SLAVE,
	"MS_SHARED":      unix.MS_SHARED,
	"MS_RELATIME":    unix.MS_RELATIME,
	"MS_KERNMOUNT":   unix.MS_KERNMOUNT,
	"MS_I_VERSION":   unix.MS_I_VERSION,
	"MS_STRICTATIME": unix.MS_STRICTATIME,
	"MS_LAZYTIME":    unix.MS_LAZYTIME,
	"MS_MGC_VAL":     unix.MS_MGC_VAL,
	"MS_MGC_MSK":     unix.MS_MGC_MSK,

	// Personalities: personality(2) arg0.
	"PER_LINUX":          perLinux,
	"PER_LINUX_32BIT":    perLinux | addrLimit32Bit,
	"PER_LINUX_FDPIC":    perLinux | fdpicFuncptrs,
	"PER_LINUX32":        perLinux32,
	"PER_LINUX32_3GB":    perLinux32 | addrLimit3GB,
	"PER_MASK":           perMask,
	"PER_QUERY":          perQuery,
	"UNAME26":            uname26,
	"ADDR_NO_RANDOMIZE":  addrNoRandomize,
	"FDPIC_FUNCPTRS":     fdpicFuncptrs,
	"MMAP_PAGE_ZERO":     mmapPageZero,
	"ADDR_COMPAT_LAYOUT": addrCompatLay,
	"READ_IMPLIES_EXEC":  readImpliesExec,
	"ADDR_LIMIT_32BIT":   addrLimit32Bit,
	"SHORT_INODE":        shortInode,
	"WHOLE_SECONDS":      wholeSeconds,
	"STICKY_TIMEOUTS":    stickyTimeouts,
	"ADDR_LIMIT_3GB":     addrLimit3GB,
}

// Constant returns the value of a named constant usable in conditions.
func Constant(name string) (uint64, bool) {
	v, ok := constants[name]
	return v, ok
}

var constantNames = sync.OnceValue(func() []string {
	names := make([]string, 0, len(constants))
	for name := range constants {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
})

// ConstantNames returns the names Constant knows, sorted.
func ConstantNames() []string {
	return slices.Clone(constantNames())
}
