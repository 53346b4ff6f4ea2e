package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Hardening: a denylist names the syscalls its author knew of, and every
// other way to the same goal stays open (open beside openat, sendto
// beside connect, io_uring beside both). A Class names a goal, the
// syscalls whose denial states the intent to block it, and every syscall
// that reaches it; Harden widens each stated intent to its whole class.

// A Class is a goal that several syscalls reach.
type Class struct {
	Name string // "file-open"
	// Goal says what the members do, for messages: "open files".
	Goal string
	// Group names every member; members that exist on none of the
	// target architectures are left out.
	Group string
	// Extra members beyond the group.
	Extra []string
	// Triggers: a rule that denies one of them (not the default action)
	// states the intent.
	Triggers []string
	// Implied by: the intent of any of these classes implies this one.
	ImpliedBy []string
	// Enough holds members for which a conditional denial closes the
	// way: sendto reaches a peer only with a destination address.
	Enough map[string]Cond
	// LocalFamilies, when set, are the only socket families (socket's
	// arg0, an int) the intent leaves open: AF_UNIX, and AF_NETLINK,
	// which talks to the kernel only. Every other family is denied by
	// masked 32-bit comparisons, since the kernel ignores the upper
	// half of the argument.
	LocalFamilies []uint64
}

var classes = []Class{
	{
		Name:     "file-open",
		Goal:     "open files",
		Group:    "@file-open",
		Triggers: []string{"openat", "open", "openat2"},
	},
	{
		// accept and accept4 are in: a peer that connects in gets a
		// connected socket to talk over, no connect needed. sendto with
		// a NULL address (send(2) on a connected socket) reaches no one
		// new; with an address it connects (UDP, TCP Fast Open).
		// sendmsg and sendmmsg carry the address inside struct msghdr,
		// which seccomp cannot read, so they are denied whole.
		//
		// The calls reach a peer from a socket; a socket of a network
		// family needs none of them to use the network: a bound
		// AF_PACKET socket puts raw frames on the wire with write(2)
		// (CAP_NET_RAW, which docker run grants), and a bound UDP
		// socket receives with recvfrom. So the intent also limits
		// socket to the local families (see LocalFamilies).
		Name:          "network",
		Goal:          "reach a network peer",
		Group:         "@network-connect",
		Extra:         []string{"accept", "accept4"},
		Triggers:      []string{"connect", "socket"},
		Enough:        map[string]Cond{"sendto": {Arg: 4, Op: OpNE, Value: 0}},
		LocalFamilies: []uint64{unix.AF_UNIX, unix.AF_NETLINK},
	},
	{
		// A filtered process that may ptrace an unfiltered one of the
		// same user (its parent shell, a sibling) makes that process
		// open and connect for it: files and network imply this class.
		Name:      "process-inspect",
		Goal:      "read or steer another process",
		Group:     "@process-inspect",
		Triggers:  []string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"},
		ImpliedBy: []string{"file-open", "network"},
	},
}

// Members returns the class's syscalls that exist on at least one of the
// architectures (none: any architecture), sorted.
func (c Class) Members(arches []string) ([]string, error) {
	members, err := GroupMembers(c.Group, arches)
	if err != nil {
		return nil, err
	}
	for _, m := range c.Extra {
		if hasOn(m, arches) && !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	sort.Strings(members)
	return members, nil
}

func hasOn(name string, arches []string) bool {
	if len(arches) == 0 {
		return syscalls.IsSyscall(name)
	}
	for _, a := range arches {
		if a == Native {
			a = syscalls.NativeArch()
		}
		if syscalls.HasSyscall(a, name) {
			return true
		}
	}
	return false
}

// Verdict is what a profile does with a syscall over all its arguments.
type Verdict int

const (
	Allowed Verdict = iota // no argument values are denied
	Denied                 // every argument value is denied
	Partly                 // some argument values are denied
)

// A Case is one answer a profile gives a syscall: Action when every
// condition holds.
type Case struct {
	Action Action
	When   []Cond
}

// Decisions are a profile's answers per syscall as runc and libseccomp
// apply them: a rule whose action is the default is dropped, a rule with
// several conditions on one argument is one case per condition, and a
// syscall with an unconditional rule gets that rule only.
type Decisions struct {
	Default Action
	cases   map[string][]Case
}

// Decide reads the decisions of an OCI profile.
func Decide(s *specs.LinuxSeccomp) (*Decisions, error) {
	p, err := FromSeccomp(s)
	if err != nil {
		return nil, err
	}
	return decide(p.Default, p.Rules), nil
}

func decide(def Action, rs []Rule) *Decisions {
	d := &Decisions{Default: def, cases: map[string][]Case{}}
	uncond := map[string]bool{}
	for _, r := range rs {
		if r.Action == def {
			continue
		}
		var cases []Case
		perArg := map[uint]int{}
		for _, c := range r.When {
			perArg[c.Arg]++
		}
		split := false
		for _, n := range perArg {
			split = split || n > 1
		}
		if split {
			for _, c := range r.When {
				cases = append(cases, Case{Action: r.Action, When: []Cond{c}})
			}
		} else {
			cases = []Case{{Action: r.Action, When: r.When}}
		}
		for _, n := range r.Syscalls {
			if uncond[n.Name] {
				continue
			}
			if len(r.When) == 0 {
				d.cases[n.Name], uncond[n.Name] = nil, true
			}
			d.cases[n.Name] = append(d.cases[n.Name], cases...)
		}
	}
	return d
}

// Cases returns the rules' answers for a syscall; none means the default.
func (d *Decisions) Cases(name string) []Case { return slices.Clone(d.cases[name]) }

// Names returns every syscall a rule answers, sorted.
func (d *Decisions) Names() []string {
	names := make([]string, 0, len(d.cases))
	for n := range d.cases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Verdict says whether the profile denies a syscall always, sometimes or
// never.
func (d *Decisions) Verdict(name string) Verdict {
	cases := d.cases[name]
	if len(cases) == 1 && len(cases[0].When) == 0 {
		return verdictOf(cases[0].Action.IsDeny())
	}
	denies, allows := d.Default.IsDeny(), !d.Default.IsDeny()
	for _, c := range cases {
		denies = denies || c.Action.IsDeny()
		allows = allows || !c.Action.IsDeny()
	}
	switch {
	case denies && allows:
		return Partly
	case denies:
		return Denied
	}
	return Allowed
}

func verdictOf(deny bool) Verdict {
	if deny {
		return Denied
	}
	return Allowed
}

// RuleDenial returns the first deny action a rule (not the default) gives
// the syscall.
func (d *Decisions) RuleDenial(name string) (Action, bool) {
	for _, c := range d.cases[name] {
		if c.Action.IsDeny() {
			return c.Action, true
		}
	}
	return Action{}, false
}

// DeniesWhen reports whether the profile denies the syscall whenever cond
// holds: it denies it always, or a case denies exactly under cond and
// every case that lets it through holds only where cond does not.
func (d *Decisions) DeniesWhen(name string, cond Cond) bool {
	switch d.Verdict(name) {
	case Denied:
		return true
	case Allowed:
		return false
	}
	covered := false
	for _, c := range d.cases[name] {
		if !c.Action.IsDeny() {
			if len(c.When) != 1 || !disjoint(c.When[0], cond) {
				return false
			}
			continue
		}
		if len(c.When) == 1 && sameCond(c.When[0], cond) {
			covered = true
		}
	}
	return covered
}

// disjoint reports whether two conditions can never hold together, in
// the plain cases: == v and != v, or == of two values.
func disjoint(a, b Cond) bool {
	if a.Arg != b.Arg {
		return false
	}
	if b.Op == OpEQ {
		a, b = b, a
	}
	return a.Op == OpEQ && (b.Op == OpNE && a.Value == b.Value || b.Op == OpEQ && a.Value != b.Value)
}

// sameCond compares conditions by meaning where two spellings are common:
// arg != 0 and arg > 0 both mean "not zero".
func sameCond(a, b Cond) bool {
	norm := func(c Cond) Cond {
		c.Pos = Pos{}
		if c.Op == OpGT && c.Value == 0 || c.Op == OpGE && c.Value == 1 {
			c.Op, c.Value = OpNE, 0
		}
		return c
	}
	return norm(a) == norm(b)
}

// Intent is a class whose goal a profile means to block.
type Intent struct {
	Class   Class
	Trigger string // the denied trigger, or the implying class's
	Action  Action // how the trigger is denied
}

// Intents returns the classes the profile means to block: a rule denies
// one of the triggers outright (a conditional denial states a narrower
// intent, which Harden leaves alone), or an implying class is blocked.
func (d *Decisions) Intents() []Intent {
	var out []Intent
	byName := map[string]Intent{}
	for _, c := range classes {
		in, ok := Intent{Class: c}, false
		for _, t := range c.Triggers {
			if a, denied := d.RuleDenial(t); denied && d.Verdict(t) == Denied {
				in.Trigger, in.Action, ok = t, a, true
				break
			}
		}
		if len(c.LocalFamilies) > 0 && !ok {
			// "No network" said by family: socket denied for AF_INET
			// and AF_INET6 by rules of their own.
			if a, denied := d.familyDenial(); denied {
				in.Trigger, in.Action, ok = "socket", a, true
			}
		}
		for _, imp := range c.ImpliedBy {
			if by, blocked := byName[imp]; blocked && !ok {
				in.Trigger, in.Action, ok = by.Trigger, by.Action, true
			}
		}
		if ok {
			byName[c.Name] = in
			out = append(out, in)
		}
	}
	return out
}

// Harden returns the profile with each deny intent widened to its whole
// class on the given architectures (none: the profile's own, and any
// architecture when it lists none, since such a profile runs on whatever
// the host is), and notes saying what changed:
//
//   - openat, open or openat2 denied: every member of @file-open (creat,
//     open_by_handle_at, io_uring …) is denied with the same action;
//   - connect denied: @network-connect and accept/accept4, except that
//     sendto is denied only with a destination address (arg4 != 0), so
//     send(2) on a connected socket keeps working;
//   - either of those, or ptrace and friends denied: @process-inspect,
//     because a process that can ptrace an unfiltered one can make it do
//     the rest;
//   - a member that a rule let through loses that rule;
//   - trace becomes errno(EPERM) (a tracer of its own could let the call
//     through) and kill-thread kill-process;
//   - an equality on a 32-bit argument becomes a masked one
//     ("arg0 & 0xffffffff == AF_INET"), because the kernel ignores the
//     upper half that the filter compares.
//
// What seccomp cannot stop (listing /proc with stat and readlink, which
// paths are opened) stays as it was; see the lint package.
func Harden(s *specs.LinuxSeccomp, arches []string) (*specs.LinuxSeccomp, []string, error) {
	p, err := FromSeccomp(s)
	if err != nil {
		return nil, nil, fmt.Errorf("hardening: %w", err)
	}
	targets := arches
	if len(targets) == 0 {
		for _, a := range p.Architectures {
			targets = append(targets, a.Name)
		}
	}
	if len(targets) == 0 || len(targets) == 1 && targets[0] == Native {
		// No list: the filter covers the host's own architecture only
		// (the kernel answers every other with the bad-architecture
		// action), so the class members are the host's; socketcall
		// on x86_64 would be a name that does not exist there.
		if n := syscalls.NativeArch(); n != "" {
			targets = []string{n}
		}
	}
	for _, a := range targets {
		if _, err := syscalls.ArchSpec(a); err != nil && a != Native {
			return nil, nil, fmt.Errorf("hardening: %w", err)
		}
	}
	notes, err := harden(p, targets)
	if err != nil {
		return nil, nil, fmt.Errorf("hardening: %w", err)
	}
	// What compiling says about the hardened rules was said about the
	// input already, but for what a stricter default brings: runc's
	// ENOSYS stub, and a denial that now equals the default, which runc
	// drops, so that a weaker rule beside it takes its calls.
	out, err := p.Compile(CompileOptions{Warn: func(e *Error) {
		if strings.Contains(e.Msg, "ENOSYS stub") || strings.Contains(e.Msg, "with the default action") {
			notes = append(notes, e.Msg)
		}
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("hardening: %w", err)
	}
	return out, notes, nil
}

// harden applies `harden: true` after compiling.
func (c *compiler) harden(out *specs.LinuxSeccomp) (*specs.LinuxSeccomp, error) {
	var arches []string
	for _, a := range c.targets() {
		arches = append(arches, a.Name)
	}
	if len(arches) == 1 && arches[0] == Native {
		arches = nil
	}
	h, notes, err := Harden(out, arches)
	if err != nil {
		return nil, ErrorList{{File: c.p.File, Msg: err.Error()}}
	}
	for _, n := range notes {
		c.warnf(Pos{}, "harden: %s", n)
	}
	return h, nil
}

// harden rewrites the rules of p in place.
func harden(p *Profile, arches []string) ([]string, error) {
	var notes []string
	notef := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	// Actions that only look like denials.
	stronger := func(a Action, where string) Action {
		switch a.Kind {
		case Trace:
			notef("%s: trace became errno(EPERM): without a tracer the call fails with ENOSYS, but a process that traces itself lets it through", where)
			return Action{Kind: Errno, Ret: 1}
		case KillThread:
			notef("%s: kill-thread became kill-process: killing one thread leaves the others running", where)
			return Action{Kind: KillProcess}
		}
		return a
	}
	if p.HasDefault {
		p.Default = stronger(p.Default, "the default action")
	}
	for i := range p.Rules {
		p.Rules[i].Action = stronger(p.Rules[i].Action, "the rule for "+ruleNames(p.Rules[i]))
	}

	d := decide(p.Default, p.Rules)
	deny := map[string]Action{} // denied whole
	type condDeny struct {
		action Action
		cond   Cond
		allow  *Action // let the rest through with this action
	}
	partial := map[string]condDeny{}
	for _, in := range d.Intents() {
		members, err := in.Class.Members(arches)
		if err != nil {
			return nil, err
		}
		var added []string
		for _, m := range members {
			if _, done := deny[m]; done || d.Verdict(m) == Denied {
				continue
			}
			if _, done := partial[m]; done {
				continue
			}
			if cond, ok := in.Class.Enough[m]; ok {
				if d.DeniesWhen(m, cond) {
					continue
				}
				cd := condDeny{action: in.Action, cond: cond}
				cases := d.cases[m]
				switch {
				case len(cases) == 1 && len(cases[0].When) == 0:
					a := cases[0].Action // an unconditional rule let it through
					cd.allow = &a
				case len(cases) > 0:
					// Its own conditions cannot be kept apart from the
					// new one: deny it whole.
					deny[m] = in.Action
					added = append(added, m)
					continue
				}
				partial[m] = cd
				added = append(added, fmt.Sprintf("%s (when %s)", m, cond))
				continue
			}
			deny[m] = in.Action
			added = append(added, m)
		}
		switch {
		case len(added) == 0:
		case slices.Contains(in.Class.Triggers, in.Trigger):
			notef("%s: denied with %s, like %s: they %s too", strings.Join(added, ", "), in.Action, in.Trigger, in.Class.Goal)
		default:
			notef("%s: denied with %s, like %s: they %s, and a process the filter does not cover would do the rest", strings.Join(added, ", "), in.Action, in.Trigger, in.Class.Goal)
		}
	}

	// Socket families: the intent leaves only the local ones open.
	var families *familyRule
	for _, in := range d.Intents() {
		if len(in.Class.LocalFamilies) == 0 || !hasOn("socket", arches) {
			continue
		}
		if _, done := deny["socket"]; done || d.Verdict("socket") == Denied || d.DeniesFamilies(in.Class.LocalFamilies) {
			continue
		}
		fr := &familyRule{action: in.Action, local: in.Class.LocalFamilies, allow: Action{Kind: Allow}}
		cases := d.cases["socket"]
		switch {
		case len(cases) == 0:
			fr.allow = p.Default
		case len(cases) == 1 && len(cases[0].When) == 0:
			fr.allow = cases[0].Action
		default:
			// Its own conditions cannot be kept apart from the
			// families': the families decide, allowed as the least
			// strict of its rules allowed.
			fr.allow = p.Default
			for _, c := range cases {
				if !c.Action.IsDeny() && (fr.allow.IsDeny() || Rank(c.Action) < Rank(fr.allow)) {
					fr.allow = c.Action
				}
			}
			if fr.allow.IsDeny() {
				fr.allow = Action{Kind: Allow}
			}
			notef("socket: its own conditions gave way to the families'")
		}
		families = fr
		notef("socket: denied with %s for every family but %s: a socket of a network family reaches the network without connect (socket(AF_PACKET) + bind + write sends raw frames, bind + recvfrom receives); %s", in.Action, familyNames(fr.local), "the comparisons are masked to the 32 bits the kernel reads")
		break
	}

	// Take the syscalls out of the rules that said otherwise.
	var kept []Rule
	for _, r := range p.Rules {
		var names []Name
		var dropped []string
		for _, n := range r.Syscalls {
			_, whole := deny[n.Name]
			_, cond := partial[n.Name]
			if whole || cond || families != nil && n.Name == "socket" {
				if !r.Action.IsDeny() {
					dropped = append(dropped, n.Name)
				}
				continue
			}
			names = append(names, n)
		}
		if len(dropped) > 0 {
			notef("%s: taken out of the rule that gave them %s", strings.Join(dropped, ", "), r.Action)
		}
		if len(names) > 0 {
			r.Syscalls = names
			kept = append(kept, r)
		}
	}
	p.Rules = kept

	// One rule per action for the whole denials, then the conditional ones.
	byAction := map[Action][]string{}
	var actions []Action
	for name, a := range deny {
		if _, ok := byAction[a]; !ok {
			actions = append(actions, a)
		}
		byAction[a] = append(byAction[a], name)
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i].String() < actions[j].String() })
	for _, a := range actions {
		names := byAction[a]
		sort.Strings(names)
		r := Rule{Action: a}
		for _, n := range names {
			r.Syscalls = append(r.Syscalls, Name{Name: n})
		}
		p.Rules = append(p.Rules, r)
	}
	var condNames []string
	for name := range partial {
		condNames = append(condNames, name)
	}
	sort.Strings(condNames)
	for _, name := range condNames {
		cd := partial[name]
		p.Rules = append(p.Rules, Rule{Syscalls: []Name{{Name: name}}, Action: cd.action, When: []Cond{cd.cond}})
		if cd.allow != nil && *cd.allow != p.Default {
			other := cd.cond
			other.Op = OpEQ
			p.Rules = append(p.Rules, Rule{Syscalls: []Name{{Name: name}}, Action: *cd.allow, When: []Cond{other}})
		}
	}

	if families != nil {
		p.Rules = append(p.Rules, families.rules(p.Default)...)
	}

	notes = append(notes, maskIntArgs(p)...)
	notes = append(notes, maskTypeArgs(p)...)
	return notes, nil
}

// familyRule lets socket create sockets of the local families only.
type familyRule struct {
	action Action   // for every other family
	allow  Action   // for the local ones
	local  []uint64 // sorted
}

// rules returns one rule per case, none overlapping: the local families
// with the allow action, and every other value of the lower 32 bits, as
// aligned blocks, with the deny action. Rules with the default action are
// left out; the default says the same.
func (f *familyRule) rules(def Action) []Rule {
	var out []Rule
	add := func(a Action, c Cond) {
		if a != def {
			out = append(out, Rule{Syscalls: []Name{{Name: "socket"}}, Action: a, When: []Cond{c}})
		}
	}
	for _, v := range f.local {
		add(f.allow, Cond{Arg: 0, Op: OpMaskedEQ, Mask: 0xffffffff, Value: v})
	}
	next := uint64(0)
	for _, v := range append(slices.Clone(f.local), 1<<32) {
		for _, c := range alignedBlocks(0, next, v-1) {
			add(f.action, c)
		}
		next = v + 1
	}
	return out
}

// alignedBlocks covers [lo, hi] of an argument's lower 32 bits with
// masked equalities, each matching an aligned power-of-two block.
func alignedBlocks(arg uint, lo, hi uint64) []Cond {
	var out []Cond
	for lo <= hi && hi < 1<<32 {
		size := uint64(1)
		for lo%(size*2) == 0 && lo+size*2-1 <= hi {
			size *= 2
		}
		out = append(out, Cond{Arg: arg, Op: OpMaskedEQ, Mask: 0xffffffff &^ (size - 1), Value: lo})
		lo += size
		if lo == 0 {
			break
		}
	}
	return out
}

func familyNames(fs []uint64) string {
	var names []string
	for _, f := range fs {
		switch f {
		case unix.AF_UNIX:
			names = append(names, "AF_UNIX")
		case unix.AF_NETLINK:
			names = append(names, "AF_NETLINK")
		default:
			names = append(names, fmt.Sprint(f))
		}
	}
	return strings.Join(names, " and ")
}

// Allows reports whether the profile may let a call with these arguments
// run: some case that lets it through matches (whatever libseccomp would
// pick among overlapping ones), or none matches and the default does.
func (d *Decisions) Allows(name string, args [6]uint64) bool {
	matched := false
	for _, c := range d.cases[name] {
		holds := true
		for _, w := range c.When {
			holds = holds && w.Matches(args[w.Arg])
		}
		if holds {
			if !c.Action.IsDeny() {
				return true
			}
			matched = true
		}
	}
	return !matched && !d.Default.IsDeny()
}

// NetworkFamilies are the socket families that reach beyond the machine,
// with the names lint reports them by: every family the kernel knows but
// the local ones (AF_UNIX; AF_NETLINK and AF_KEY, which talk to the
// kernel; AF_ALG, its crypto) and the numbers no family uses. Raw frames
// go out through AF_PACKET, AF_XDP and AF_LLC, the old SOCK_PACKET through
// AF_INET; AF_VSOCK reaches the host of a virtual machine.
var NetworkFamilies = []struct {
	Name  string
	Value uint64
}{
	{"AF_INET", unix.AF_INET}, {"AF_INET6", unix.AF_INET6}, {"AF_PACKET", unix.AF_PACKET},
	{"AF_XDP", unix.AF_XDP}, {"AF_VSOCK", unix.AF_VSOCK}, {"AF_TIPC", unix.AF_TIPC}, {"AF_RDS", unix.AF_RDS},
	{"AF_LLC", unix.AF_LLC}, {"AF_CAN", unix.AF_CAN}, {"AF_BLUETOOTH", unix.AF_BLUETOOTH},
	{"AF_IEEE802154", unix.AF_IEEE802154}, {"AF_SMC", unix.AF_SMC}, {"AF_KCM", unix.AF_KCM},
	{"AF_RXRPC", unix.AF_RXRPC}, {"AF_QIPCRTR", unix.AF_QIPCRTR}, {"AF_MCTP", unix.AF_MCTP},
	{"AF_PHONET", unix.AF_PHONET}, {"AF_CAIF", unix.AF_CAIF}, {"AF_NFC", unix.AF_NFC},
	{"AF_ISDN", unix.AF_ISDN}, {"AF_IUCV", unix.AF_IUCV}, {"AF_PPPOX", unix.AF_PPPOX},
	{"AF_ATMPVC", unix.AF_ATMPVC}, {"AF_ATMSVC", unix.AF_ATMSVC}, {"AF_X25", unix.AF_X25},
	{"AF_AX25", unix.AF_AX25}, {"AF_NETROM", unix.AF_NETROM}, {"AF_ROSE", unix.AF_ROSE},
	{"AF_APPLETALK", unix.AF_APPLETALK}, {"AF_IPX", unix.AF_IPX}, {"AF_DECnet", unix.AF_DECnet},
	{"AF_NETBEUI", unix.AF_NETBEUI}, {"AF_ECONET", unix.AF_ECONET}, {"AF_ASH", unix.AF_ASH},
	{"AF_SNA", unix.AF_SNA}, {"AF_IRDA", unix.AF_IRDA}, {"AF_WANPIPE", unix.AF_WANPIPE},
}

// OpenFamilies returns the network families socket lets through, as
// written or with garbage in the upper half the kernel ignores, each with
// any socket type: the type argument carries SOCK_NONBLOCK and
// SOCK_CLOEXEC beside the type, so a condition on the type alone is
// slipped past by setting one of them.
func (d *Decisions) OpenFamilies() []string {
	types := []uint64{0, unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_RAW, unix.SOCK_RDM, unix.SOCK_SEQPACKET, unix.SOCK_DCCP, unix.SOCK_PACKET}
	var out []string
	for _, f := range NetworkFamilies {
	family:
		for _, v := range []uint64{f.Value, f.Value | 1<<32, f.Value | 0xffffffff<<32} {
			for _, t := range types {
				for _, flags := range []uint64{0, unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC} {
					if d.Allows("socket", [6]uint64{v, t | flags}) {
						out = append(out, f.Name)
						break family
					}
				}
			}
		}
	}
	return out
}

// familyDenial reports the action of the rules that deny socket for both
// IP families, AF_INET and AF_INET6, with conditions on the family alone:
// "no network" said by family rather than by connect. A denial of one IP
// family, or of AF_PACKET alone ("no raw frames"), says something
// narrower.
func (d *Decisions) familyDenial() (Action, bool) {
	var first Action
	for i, family := range []uint64{unix.AF_INET, unix.AF_INET6} {
		a, ok := d.familyRuleDenies(family)
		if !ok {
			return Action{}, false
		}
		if i == 0 {
			first = a
		}
	}
	return first, true
}

// familyRuleDenies returns the action of a rule (not the default) that
// denies socket for the family, with conditions on the family alone.
func (d *Decisions) familyRuleDenies(family uint64) (Action, bool) {
	for _, c := range d.cases["socket"] {
		if !c.Action.IsDeny() {
			continue
		}
		holds := true
		for _, w := range c.When {
			holds = holds && w.Arg == 0 && w.Matches(family)
		}
		if holds {
			return c.Action, true
		}
	}
	return Action{}, false
}

// DeniesFamilies reports whether socket is denied for every family but
// the local ones, checked at each boundary of the families and with
// garbage in the upper half.
func (d *Decisions) DeniesFamilies(local []uint64) bool {
	probe := []uint64{0, 2, 3, 9, 10, 15, 17, 44, 45, 46, 255, 1 << 16, 1<<31 + 2, 0xffffffff}
	for _, l := range local {
		probe = append(probe, l-1, l+1, l|1<<32)
	}
	for _, v := range probe {
		if slices.Contains(local, v&0xffffffff) {
			continue
		}
		for _, hi := range []uint64{0, 1 << 32, 0xffffffff << 32} {
			if d.Allows("socket", [6]uint64{v&0xffffffff | hi}) {
				return false
			}
		}
	}
	return true
}

func ruleNames(r Rule) string {
	names := make([]string, len(r.Syscalls))
	for i, n := range r.Syscalls {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}
