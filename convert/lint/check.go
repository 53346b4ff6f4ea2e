package lint

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/plural"
)

// The profile as runc loads it.

type checker struct {
	file   string
	s      *specs.LinuxSeccomp
	d      *rules.Decisions
	arches []string // the filter's architectures, the primary first
	out    []Finding
}

func (c *checker) add(f Finding) {
	f.File = c.file
	c.out = append(c.out, f)
}

func check(file string, s *specs.LinuxSeccomp) []Finding {
	d, err := rules.Decide(s)
	if err != nil {
		return []Finding{{ID: "invalid-profile", Severity: Error, File: file, Reason: err.Error(), Fix: "fix the profile"}}
	}
	c := &checker{file: file, s: s, d: d, arches: syscalls.ArchesFromSpec(s.Architectures)}
	if len(c.arches) == 0 {
		// No list: the host's own architecture only; the kernel answers
		// every other with the bad-architecture action.
		c.arches = []string{syscalls.NativeArch()}
	}
	c.classes()
	c.actions()
	c.defaults()
	c.dangerous()
	c.args()
	c.runtimes()
	c.flags()
	c.multiplexedArgs()
	c.archList()
	c.unresolvable()
	c.cache()
	return c.out
}

// denied reports whether the profile denies a syscall whatever its
// arguments.
func (c *checker) denied(name string) bool {
	return c.d.Verdict(name) == rules.Denied
}

// leaks lists, per architecture, the class members the profile lets
// through: those not denied whole (or, for members where a condition is
// enough, not denied under it). io_uring and the class's extra members are
// reported on their own.
func (c *checker) leaks(cl rules.Class, skip func(string) bool) map[string][]string {
	out := map[string][]string{}
	for _, arch := range c.arches {
		members, _ := cl.Members([]string{arch})
		for _, m := range members {
			if skip(m) || c.denied(m) {
				continue
			}
			if cond, ok := cl.Enough[m]; ok && c.d.DeniesWhen(m, cond) {
				continue
			}
			if m == "socketcall" && c.socketcallCovered(cl, arch) {
				continue
			}
			out[arch] = append(out[arch], m)
		}
	}
	return out
}

// socketcallCovered: libseccomp turns the denial of a multiplexed call
// (connect on x86) into a denial of socketcall with that call number, so
// socketcall needs no rule of its own when every member that goes through
// it is denied whole, and no rule lets socketcall through outright (an
// unconditional rule would win over those). Measured against libseccomp
// 2.5.4 with oci-sbx simulate (e2e TestBypass/socketcall).
func (c *checker) socketcallCovered(cl rules.Class, arch string) bool {
	for _, cs := range c.d.Cases("socketcall") {
		if len(cs.When) == 0 && !cs.Action.IsDeny() {
			return false
		}
	}
	members, _ := cl.Members([]string{arch})
	for _, m := range members {
		if syscalls.SyscallMultiplexer(arch, m) == "socketcall" && !c.denied(m) && !slices.Contains(cl.Extra, m) {
			return false
		}
	}
	return true
}

var ioUring = []string{"io_uring_enter", "io_uring_register", "io_uring_setup"}

func (c *checker) classes() {
	intents := c.d.Intents()
	var files, network bool
	for _, in := range intents {
		cl := in.Class
		files = files || cl.Name == "file-open"
		network = network || cl.Name == "network"
		leaks := c.leaks(cl, func(m string) bool { return slices.Contains(ioUring, m) || slices.Contains(cl.Extra, m) })
		if len(leaks) > 0 {
			c.classLeak(in, leaks)
		}
		if len(cl.LocalFamilies) > 0 {
			c.add(Finding{ID: "network-stays-open", Severity: Info, Syscalls: []string{"recvfrom", "recvmsg", "write"}, anchor: in.Trigger,
				Reason: "even with every network call and family denied, a socket the process already holds keeps working (one inherited at start, or received over an AF_UNIX socket with SCM_RIGHTS): read, write and recvfrom on it look the same to seccomp as on a pipe; an AF_UNIX socket reaches whatever listens on it, such as a proxy or an engine's socket mounted into the container; and AF_NETLINK stays open, for it talks to the kernel: with CAP_NET_ADMIN it changes the addresses, routes and firewall of the process's network namespace, the host's when it shares the host's",
				Fix:    "start the process in its own network namespace (runc and Podman do by default; bwrap --unshare-net), close inherited descriptors, and mount no host sockets"})
		}
		if len(cl.LocalFamilies) > 0 && !c.denied("socket") {
			if open := c.d.OpenFamilies(); len(open) > 0 {
				c.add(Finding{ID: "network-socket-family", Severity: Error, Syscalls: []string{"socket"}, anchor: in.Trigger,
					Reason: fmt.Sprintf("%s is denied (%s), but socket is allowed for %s: a socket of a network family needs no connect: socket(AF_PACKET, SOCK_RAW) + bind + write puts raw frames on the wire (CAP_NET_RAW, which docker run grants), and bind + recvfrom receives",
						in.Trigger, in.Action, andMore(open, 6)),
					Fix: "allow socket only for the local families: arg0 & 0xffffffff == AF_UNIX (and AF_NETLINK), and deny the rest (oci-sbx convert --harden does)"})
			}
		}
		if len(cl.Extra) > 0 {
			extra := c.leaks(cl, func(m string) bool { return !slices.Contains(cl.Extra, m) })
			if names := union(extra); len(names) > 0 {
				c.add(Finding{ID: "network-accept", Severity: Warning, Syscalls: names, anchor: in.Trigger,
					Reason: fmt.Sprintf("%s is denied, but %s %s allowed: a peer that connects in (to a port the program listens on) gets a connection without any connect", in.Trigger, and(names), isAre(names)),
					Fix:    fmt.Sprintf("deny %s as well (oci-sbx convert --harden does)", and(names))})
			}
		}
	}
	if files || network {
		var left []string
		for _, arch := range c.arches {
			for _, m := range ioUring {
				if syscalls.HasSyscall(arch, m) && !c.denied(m) && !slices.Contains(left, m) {
					left = append(left, m)
				}
			}
		}
		if len(left) > 0 {
			what, ops := "opens files", "IORING_OP_OPENAT"
			switch {
			case files && network:
				what, ops = "opens files and connects", "IORING_OP_OPENAT, IORING_OP_CONNECT, IORING_OP_SENDMSG"
			case network:
				what, ops = "connects and sends", "IORING_OP_CONNECT, IORING_OP_SENDMSG"
			}
			c.add(Finding{ID: "bypass-io-uring", Severity: Error, Syscalls: left, anchor: "io_uring_setup",
				Reason: fmt.Sprintf("%s %s allowed: io_uring %s (%s) inside the kernel, without any syscall the filter sees", and(left), isAre(left), what, ops),
				Fix:    "deny \"@io-uring\" with the same action (denying io_uring_setup alone stops new rings; a ring inherited from the parent still works)"})
		}
	}
	if files {
		c.add(Finding{ID: "seccomp-cannot-proc", Severity: Info, anchor: "openat",
			Reason: "listing processes needs no open: stat and readlink on /proc/<pid> find them too, and seccomp cannot tell those paths from others, so a filter cannot hide processes",
			Fix:    "run it in a PID namespace: a \"pid\" entry in the bundle's linux.namespaces (as runc and Podman do by default), bwrap --unshare-pid, or unshare --pid --fork --mount-proc"})
		c.add(Finding{ID: "seccomp-cannot-path", Severity: Info, anchor: "openat",
			Reason: "seccomp sees a path as a pointer, not as text: it cannot deny /etc/passwd and allow other files, so denying the open family denies every file, the program's own included",
			Fix:    "hide one file with a mount namespace (bind-mount over it, or leave it out of the root filesystem), Landlock, or file permissions"})
	}
}

// classLeak reports the members of a blocked class that still reach its
// goal: on the primary architecture a bypass, on a compat one only, rules
// not translated for it.
func (c *checker) classLeak(in rules.Intent, leaks map[string][]string) {
	cl := in.Class
	primary := leaks[c.arches[0]]
	names := union(leaks)
	if !slices.Contains(cl.Triggers, in.Trigger) {
		// Implied by another class: the denial is of files or network.
		c.add(Finding{ID: "bypass-" + cl.Name, Severity: Warning, Syscalls: names, anchor: in.Trigger,
			Reason: fmt.Sprintf("%s is denied, but %s %s allowed: a process the filter does not cover (its parent shell, a sibling of the same user) can be made to open and connect for it", in.Trigger, and(names), isAre(names)),
			Fix:    fmt.Sprintf("deny \"%s\" as well (oci-sbx convert --harden does)", cl.Group)})
		return
	}
	var others []string
	for _, arch := range c.arches[1:] {
		var extra []string
		for _, m := range leaks[arch] {
			if !slices.Contains(primary, m) {
				extra = append(extra, m)
			}
		}
		if len(extra) > 0 {
			others = append(others, fmt.Sprintf("on %s: %s", arch, and(c.annotate(extra))))
		}
	}
	what := fmt.Sprintf("%s is denied (%s)", in.Trigger, in.Action)
	id := "bypass-" + cl.Name
	reason := fmt.Sprintf("%s, but other calls %s as well: %s", what, cl.Goal, and(c.annotate(primary)))
	if len(others) > 0 {
		reason += "; and " + strings.Join(others, "; ")
	}
	if len(primary) == 0 {
		id = "arch-untranslated"
		reason = fmt.Sprintf("%s and every other way on %s is closed, but other calls %s as well %s; the rules are written for %s alone",
			what, c.arches[0], cl.Goal, strings.Join(others, "; "), c.arches[0])
	}
	fix := fmt.Sprintf("deny the whole class with the same action: syscalls: [\"%s\"] (oci-sbx convert --harden does that", cl.Group)
	if cond, ok := cl.Enough["sendto"]; ok {
		fix += fmt.Sprintf(", denying sendto only when %s, with a destination address, so that send(2) on a connected socket keeps working", cond)
	}
	c.add(Finding{ID: id, Severity: Error, Syscalls: names, anchor: in.Trigger, Reason: reason, Fix: fix + ")"})
}

// memberNotes say how a member reaches the goal where that is not plain.
var memberNotes = map[string]string{
	"open_by_handle_at": "open_by_handle_at (with CAP_DAC_READ_SEARCH)",
	"sendto":            "sendto (a UDP datagram to an address, TCP Fast Open)",
	"sendmsg":           "sendmsg (UDP)",
}

func (c *checker) annotate(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		if note, ok := memberNotes[n]; ok {
			out[i] = note
		}
		if n == "socketcall" {
			out[i] = "socketcall (the i386 multiplexer: libseccomp cannot apply a conditional denial to the calls it carries)"
			for _, cs := range c.d.Cases(n) {
				if len(cs.When) == 0 && !cs.Action.IsDeny() {
					out[i] = "socketcall (the i386 multiplexer, which a rule allows outright: that rule wins over libseccomp's denials of the calls it carries)"
				}
			}
		}
	}
	return out
}

func (c *checker) actions() {
	def, _ := rules.ActionFromSpec(c.s.DefaultAction, c.s.DefaultErrnoRet)
	var trace, kill, notify []string
	for _, n := range c.d.Names() {
		for _, cs := range c.d.Cases(n) {
			switch cs.Action.Kind {
			case rules.Trace:
				trace = appendNew(trace, n)
			case rules.KillThread:
				kill = appendNew(kill, n)
			case rules.Notify:
				notify = appendNew(notify, n)
			}
		}
	}
	if def.Kind == rules.Trace {
		c.add(traceAsDeny("", rules.Pos{}, "the default action"))
	}
	if len(trace) > 0 {
		f := traceAsDeny("", rules.Pos{}, "the action for "+and(trace))
		f.Syscalls, f.anchor = trace, trace[0]
		c.add(f)
	}
	if def.Kind == rules.KillThread {
		c.add(killThread("", rules.Pos{}, "the default action"))
	}
	if len(kill) > 0 {
		f := killThread("", rules.Pos{}, "the action for "+and(kill))
		f.Syscalls, f.anchor = kill, kill[0]
		c.add(f)
	}
	if len(notify) > 0 || c.s.ListenerPath != "" {
		c.add(Finding{ID: "notify-continue", Severity: Info, Syscalls: notify, anchor: first(notify),
			Reason: "notify hands calls to a seccomp agent: an agent that lets a call continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE) checked arguments the caller can still change (pointers, from another thread), so that answer is not a security decision",
			Fix:    "deny in the filter what must not happen; use notify to observe, or to emulate calls in the agent"})
	}
}

func (c *checker) defaults() {
	def := c.d.Default
	if def.Kind == rules.Errno && def.Ret != enosys {
		c.add(Finding{ID: "eperm-default", Severity: Warning,
			Reason: fmt.Sprintf("the default action is %s: a syscall the profile does not know fails with %s, while programs fall back to an older call only on ENOSYS (clone3 to clone, faccessat2 to faccessat); runc's stub answers ENOSYS only above the highest syscall number the profile names", def, syscalls.ErrnoName(def.Ret)),
			Fix:    "default: errno(ENOSYS), as Podman's default does; or errno(ENOSYS) rules for the calls with fallbacks"})
	}
	if c.hasSyscall("clone3") && c.denied("clone3") && !c.denied("clone") {
		var how rules.Action
		if cs := c.d.Cases("clone3"); len(cs) > 0 {
			how = cs[0].Action
		} else {
			how = def
		}
		if how.Kind != rules.Errno || how.Ret != enosys {
			c.add(Finding{ID: "clone3-eperm", Severity: Warning, Syscalls: []string{"clone3"}, anchor: "clone3",
				Reason: fmt.Sprintf("clone3 gets %s while clone is allowed: glibc 2.34 and later create threads with clone3 and fall back to clone only on ENOSYS, so pthread_create fails (measured with glibc 2.36: Python's threading says \"can't start new thread\")", how),
				Fix:    "clone3: errno(ENOSYS), as Docker's default does"})
		}
	}
	if !def.IsDeny() && def.Kind != rules.Notify {
		var open []string
		for _, dg := range dangerousSets {
			for _, n := range dg.names {
				if c.hasSyscall(n) && c.d.Verdict(n) == rules.Allowed {
					open = appendNew(open, n)
				}
			}
		}
		sort.Strings(open)
		including := ""
		switch {
		case len(open) > 8:
			including = fmt.Sprintf(", including %s and %s", strings.Join(open[:8], ", "), plural.Of(len(open)-8, "more dangerous one", "more dangerous ones"))
		case len(open) > 0:
			including = ", including " + and(open)
		}
		c.add(Finding{ID: "default-allow", Severity: Warning, Syscalls: open,
			Reason: fmt.Sprintf("the default action is %s: every syscall no rule names runs%s; a denylist stops only the calls its author thought of", def, including),
			Fix:    "deny by default (default: errno(ENOSYS)) and allow what the program needs; extends: docker-default is a start"})
	}
}

const enosys = 38

func (c *checker) hasSyscall(name string) bool {
	for _, a := range c.arches {
		if syscalls.HasSyscall(a, name) {
			return true
		}
	}
	return false
}

// dangerousSets are syscalls an allowlist should not let through without
// a reason, grouped by why.
var dangerousSets = []struct {
	id, why string
	names   []string
}{
	{"mount", "mounting filesystems, and leaving a chroot through a new root", []string{
		"fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", "umount2"}},
	{"kernel", "loading code into the running kernel, or booting another one", []string{
		"delete_module", "finit_module", "init_module", "kexec_file_load", "kexec_load"}},
	{"attack-surface", "large kernel attack surfaces: eBPF programs, perf events, user-space page-fault handling, io_uring", []string{
		"bpf", "io_uring_setup", "perf_event_open", "userfaultfd"}},
	{"process", "reading and steering other processes", []string{
		"kcmp", "pidfd_getfd", "process_vm_readv", "process_vm_writev", "ptrace"}},
	{"keyring", "the kernel keyring, which is not namespaced", []string{
		"add_key", "keyctl", "request_key"}},
	{"namespace", "creating and joining namespaces; a new user namespace gives every capability inside it and opens kernel code to unprivileged users", []string{
		"setns", "unshare"}},
	{"handle", "opening any file of a mounted filesystem by its handle, outside the mount namespace (the \"shocker\" escape)", []string{
		"open_by_handle_at"}},
	{"host", "acting on the whole host: I/O ports, swap, process accounting, quotas, the kernel log, reboot", []string{
		"acct", "ioperm", "iopl", "lookup_dcookie", "quotactl", "reboot", "swapoff", "swapon", "syslog"}},
}

func (c *checker) dangerous() {
	if !c.d.Default.IsDeny() {
		return // default-allow says it
	}
	for _, dg := range dangerousSets {
		var open []string
		for _, n := range dg.names {
			if c.hasSyscall(n) && c.d.Verdict(n) == rules.Allowed {
				open = append(open, n)
			}
		}
		if len(open) == 0 {
			continue
		}
		them := "them"
		if len(open) == 1 {
			them = "it"
		}
		c.add(Finding{ID: "dangerous-allowed", Severity: Warning, Syscalls: open, anchor: open[0],
			Reason: fmt.Sprintf("the profile allows %s: %s", and(open), dg.why),
			Fix:    fmt.Sprintf("leave %[1]s out of the allow rules unless the program needs %[1]s, and then allow %[1]s under conditions or with the capability that guards %[1]s", them)})
	}
}

func (c *checker) args() {
	// Each finding once per syscall and condition, however many cases
	// repeat it.
	seen := map[string]bool{}
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	for _, n := range c.d.Names() {
		for _, cs := range c.d.Cases(n) {
			for _, cond := range cs.When {
				if holds, ok := rules.Constant32(n, cond); ok {
					if !once("int " + n + cond.String()) {
						continue
					}
					fix := "write the value as the kernel reads it, in 32 bits (-1 is 0xffffffff), best as a masked equality (\"argN & 0xffffffff == V\")"
					if masked, ok := rules.LowerHalf(cond); ok {
						fix = fmt.Sprintf("compare the lower half only: %q (oci-sbx convert --harden does)", masked.String())
					}
					c.add(Finding{ID: "unmasked-int-arg", Severity: Error, Syscalls: []string{n}, anchor: n,
						Reason: fmt.Sprintf("%s (%s): %s", n, cs.Action, rules.ConstantReason(cond, holds)),
						Fix:    fix})
					continue
				}
				if rules.Escapable(n, cs.Action, cond) {
					if !once("int " + n + cond.String()) {
						continue
					}
					fix := "seccomp has no masked " + strings.Fields(cond.String())[1] + ": write the case as masked equalities (\"argN & 0xffffffff == V\"), or deny by default and allow the values wanted"
					if masked, ok := rules.LowerHalf(cond); ok {
						if typed, ok := rules.FlagEscapable(n, cs.Action, masked); ok {
							masked = typed // the type's bits: no upper half, no flags
						}
						fix = fmt.Sprintf("compare the lower half only: %q (oci-sbx convert --harden does)", masked.String())
					}
					c.add(Finding{ID: "unmasked-int-arg", Severity: Error, Syscalls: []string{n}, anchor: n,
						Reason: fmt.Sprintf("%s when %q (%s) compares all 64 bits of an argument the kernel reads as 32: a caller that sets the upper half slips past the condition and the kernel still sees the value", n, cond.String(), cs.Action),
						Fix:    fix})
				}
				if typed, ok := rules.FlagEscapable(n, cs.Action, cond); ok {
					if !once("type " + n + cond.String()) {
						continue
					}
					c.add(Finding{ID: "type-flags", Severity: Error, Syscalls: []string{n}, anchor: n,
						Reason: fmt.Sprintf("%s when %q (%s) compares the flags beside the type: SOCK_NONBLOCK or SOCK_CLOEXEC makes another number for the same socket type, which slips past the condition", n, cond.String(), cs.Action),
						Fix:    fmt.Sprintf("compare the type's bits only: %q (oci-sbx convert --harden does)", typed.String())})
				}
				if pointerArg(n, cond.Arg) && !(cond.Value == 0 && (cond.Op == rules.OpEQ || cond.Op == rules.OpNE || cond.Op == rules.OpGT)) {
					if !once("ptr " + n + cond.String()) {
						continue
					}
					c.add(Finding{ID: "pointer-arg", Severity: Error, Syscalls: []string{n}, anchor: n,
						Reason: fmt.Sprintf("%s when %q compares the address of what arg%d points to (a path, a buffer), not its contents: seccomp cannot read memory, so the rule cannot mean a file or an address", n, cond.String(), cond.Arg),
						Fix:    "filter paths with a mount namespace, Landlock or file permissions; only a NULL test (== 0, != 0) means something on a pointer"})
				}
			}
		}
	}
}

// pointerArgs are arguments that point to memory, among the syscalls
// people try to filter by path or address.
var pointerArgs = map[string][]uint{
	"access": {0}, "bind": {1}, "chdir": {0}, "chmod": {0}, "chown": {0}, "chroot": {0}, "connect": {1},
	"creat": {0}, "execve": {0, 1, 2}, "execveat": {1, 2, 3}, "faccessat": {1}, "faccessat2": {1},
	"fchmodat": {1}, "fchownat": {1}, "lchown": {0}, "link": {0, 1}, "linkat": {1, 3}, "lstat": {0, 1},
	"mkdir": {0}, "mkdirat": {1}, "mknod": {0}, "mknodat": {1}, "mount": {0, 1, 2, 4},
	"name_to_handle_at": {1, 2}, "newfstatat": {1, 2}, "open": {0}, "open_by_handle_at": {1}, "openat": {1},
	"openat2": {1, 2}, "readlink": {0, 1}, "readlinkat": {1, 2}, "rename": {0, 1}, "renameat": {1, 3},
	"renameat2": {1, 3}, "rmdir": {0}, "sendto": {1, 4}, "stat": {0, 1}, "statx": {1, 4}, "symlink": {0, 1},
	"symlinkat": {0, 2}, "truncate": {0}, "umount2": {0}, "unlink": {0}, "unlinkat": {1}, "utimensat": {1, 2},
}

func pointerArg(name string, arg uint) bool { return slices.Contains(pointerArgs[name], arg) }

// loaderNeeds are the syscalls the dynamic loader makes before main,
// each of which stops the program when denied (measured with glibc 2.36's
// ld.so on x86_64, by denying one at a time under oci-sbx exec).
var loaderNeeds = []string{"arch_prctl", "close", "mmap", "mprotect", "newfstatat", "openat", "pread64", "read"}

func (c *checker) runtimes() {
	conflicts, err := runtimes.Default().Conflicts(c.s, runtimes.RuncNoNewPrivileges)
	if err == nil && len(conflicts) > 0 {
		var names []string
		sure := false
		for _, cf := range conflicts {
			names = appendNew(names, cf.Syscall)
			sure = sure || !strings.Contains(cf.Outcome, " when ")
		}
		// What runc says is measured per call: the first one shows how it fails.
		reason := fmt.Sprintf("runc cannot start a container under this profile: after loading the filter, runc itself still calls %s, and fails (denied %s, it stops with %q)",
			and(names), conflicts[0].Syscall, conflicts[0].Need.Error)
		if !sure {
			reason = fmt.Sprintf("runc may fail to start a container under this profile: after loading the filter, runc itself still calls %s, which the profile denies under conditions; runc's own arguments decide", and(names))
		}
		c.add(Finding{ID: "runc-cannot-start", Severity: Warning, Syscalls: names, anchor: names[0],
			Reason: reason,
			Fix:    "let oci-sbx patch put it in a bundle in two stages (runc loads a profile it can start under, oci-sbx loads this one inside the container; filters stack), or the Podman hook (oci-sbx hook config) do the same for podman run, or run a static program under oci-sbx exec"})
	} else if pc, err := runtimes.Default().Conflicts(c.s, runtimes.RuncPrivileged); err == nil && len(pc) > 0 {
		var names []string
		for _, cf := range pc {
			names = appendNew(names, cf.Syscall)
		}
		c.add(Finding{ID: "runc-needs-nnp", Severity: Info, Syscalls: names, anchor: names[0],
			Reason: fmt.Sprintf("runc can start a container under this profile only with process.noNewPrivileges true: otherwise it loads the filter earlier and then calls %s", and(names)),
			Fix:    "set process.noNewPrivileges to true (oci-sbx patch does)"})
	}
	var blocked []string
	for _, n := range loaderNeeds {
		if c.hasSyscall(n) && c.denied(n) {
			blocked = append(blocked, n)
		}
	}
	if len(blocked) > 0 {
		c.add(Finding{ID: "dynamic-binary", Severity: Warning, Syscalls: blocked, anchor: blocked[0],
			Reason: fmt.Sprintf("a dynamically linked program cannot start under it: the loader (ld.so) needs %s to map libc before main runs", and(blocked)),
			Fix:    "run a static program (CGO_ENABLED=0 go build, gcc -static), or deny these calls only under conditions the loader does not meet"})
	}
}

// flags reports the filter flags a runc may refuse or ignore. Measured:
// Debian 12's runc 1.1.5 refuses any flag ("seccomp flags are not yet
// supported by runc"); runc 1.5.3 linked with libseccomp 2.5.4 fails to
// load SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ("SetWaitKill requires
// libseccomp >= 2.6.0").
func (c *checker) flags() {
	if len(c.s.Flags) == 0 {
		return
	}
	var names []string
	notify := c.d.Default.Kind == rules.Notify
	for _, n := range c.d.Names() {
		for _, cs := range c.d.Cases(n) {
			notify = notify || cs.Action.Kind == rules.Notify
		}
	}
	for _, f := range c.s.Flags {
		names = append(names, string(f))
		switch f {
		case specs.LinuxSeccompFlagWaitKillableRecv:
			reason := "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a runc linked with libseccomp 2.6 or later and Linux 5.19 or later: a runc linked with libseccomp 2.5 fails to load the profile (\"SetWaitKill requires libseccomp >= 2.6.0\")"
			if !notify {
				reason += ", and without a notify rule the flag changes nothing"
			}
			c.add(Finding{ID: "flag-unloadable", Severity: Warning, Reason: reason,
				Fix: "drop the flag unless every runc that runs the profile has libseccomp 2.6 (oci-sbx version names the libseccomp of oci-sbx exec)"})
		case "SECCOMP_FILTER_FLAG_TSYNC":
			c.add(Finding{ID: "flag-ignored", Severity: Info,
				Reason: "runc ignores SECCOMP_FILTER_FLAG_TSYNC: it loads the filter on the thread that executes the container's process, and that process starts with one thread",
				Fix:    "drop the flag"})
		}
	}
	c.add(Finding{ID: "flags-old-runc", Severity: Warning,
		Reason: fmt.Sprintf("runc before 1.2 (Debian 12 ships 1.1.5) refuses a profile with any flag (\"seccomp flags are not yet supported by runc\"), so a container under this one (flags %s) does not start there", strings.Join(names, ", ")),
		Fix:    "use runc 1.2 or later, or write \"flags\": [] for an older runc"})
}

func (c *checker) archList() {
	if slices.Contains(c.arches, "x32") {
		c.add(Finding{ID: "x32-listed", Severity: Info,
			Reason: "x32 is listed: on kernels with the x32 ABI enabled, programs call the kernel with nr | 0x40000000; libseccomp translates each rule by name, and the checks here cover x32 as well",
			Fix:    "leave x32 out unless the program is an x32 one: the filter then kills x32 calls (the bad-architecture action)"})
	}
}

func (c *checker) unresolvable() {
	var names []string
	for _, n := range c.d.Names() {
		if len(syscalls.SyscallArches(n)) > 0 {
			continue
		}
		for _, cs := range c.d.Cases(n) {
			if cs.Action.IsDeny() && !c.d.Default.IsDeny() {
				names = appendNew(names, n)
			}
		}
	}
	if len(names) > 0 {
		c.add(Finding{ID: "unresolvable-syscall", Severity: Warning, Syscalls: names, anchor: names[0],
			Reason: fmt.Sprintf("libseccomp 2.5.4 does not know %s: runc built against it skips %s, so the calls get the default action %s", and(names), pluralIt(names), c.d.Default),
			Fix:    "build runc against a newer libseccomp, or deny by default"})
	}
}

func pluralIt(names []string) string {
	if len(names) == 1 {
		return "its rule"
	}
	return "their rules"
}

func union(m map[string][]string) []string {
	var out []string
	for _, names := range m {
		for _, n := range names {
			out = appendNew(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

func isAre(list []string) string {
	if len(list) == 1 {
		return "is"
	}
	return "are"
}

// andMore joins the first n names as English and counts the rest:
// "a, b and 3 more".
func andMore(list []string, n int) string {
	if len(list) <= n {
		return and(list)
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], ", "), len(list)-n)
}

// and joins names as English: "a", "a and b", "a, b and c".
func and(list []string) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return list[0]
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}

// multiplexedArgs reports conditions libseccomp cannot check where a call
// goes through a multiplexer (socket and friends through socketcall on
// x86, s390 and ppc): the arguments are behind socketcall's pointer, so
// libseccomp keeps the rule for socketcall with the call's number only,
// whatever the conditions say. A conditional allow beside a denying
// default then allows every call of that kind through socketcall; a
// conditional denial denies every one.
func (c *checker) multiplexedArgs() {
	type hit struct{ arch, via string }
	allows, denies := map[hit][]string{}, map[hit][]string{}
	for _, arch := range c.arches {
		for _, name := range c.d.Names() {
			via := syscalls.SyscallMultiplexer(arch, name)
			// An unconditional rule for the multiplexer wins over the
			// translated ones (libseccomp keeps it alone).
			if via == "" || slices.ContainsFunc(c.d.Cases(via), func(cs rules.Case) bool { return len(cs.When) == 0 }) {
				continue
			}
			for _, cs := range c.d.Cases(name) {
				if len(cs.When) == 0 {
					continue
				}
				h := hit{arch, via}
				switch {
				case !cs.Action.IsDeny() && c.d.Default.IsDeny():
					allows[h] = appendNew(allows[h], name)
				case cs.Action.IsDeny() && !c.d.Default.IsDeny():
					denies[h] = appendNew(denies[h], name)
				}
			}
		}
	}
	for h, names := range allows {
		c.add(Finding{ID: "multiplexed-args", Severity: Error, Syscalls: append(slices.Clone(names), h.via), anchor: names[0],
			Reason: fmt.Sprintf("on %s, %s also %s through %s, whose arguments are behind a pointer seccomp cannot read: libseccomp keeps the conditional allow of %s for %s without its conditions, so %s lets every such call through, whatever its arguments (a socket of any family)",
				h.arch, and(names), goGoes(names), h.via, and(names), h.via, h.via),
			Fix: fmt.Sprintf("deny %s outright (oci-sbx convert --harden does); programs use the direct calls where the kernel has them (Linux 4.3 on x86)", h.via)})
	}
	for h, names := range denies {
		c.add(Finding{ID: "multiplexed-args", Severity: Warning, Syscalls: append(slices.Clone(names), h.via), anchor: names[0],
			Reason: fmt.Sprintf("on %s, %s also %s through %s, whose arguments are behind a pointer seccomp cannot read: libseccomp keeps the conditional denial of %s for %s without its conditions, so every such call through %s is denied, whatever its arguments",
				h.arch, and(names), goGoes(names), h.via, and(names), h.via, h.via),
			Fix: fmt.Sprintf("nothing, if denying more through %s is fine; a program that needs the call uses the direct one", h.via)})
	}
}

func goGoes(names []string) string {
	if len(names) == 1 {
		return "goes"
	}
	return "go"
}
