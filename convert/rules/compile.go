package rules

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// CompileOptions steer Compile.
type CompileOptions struct {
	// Arches replaces the profile's architectures when not empty.
	Arches []string
	// Base resolves an extends reference for the given target
	// architectures (nil: native). Without it, extends is an error.
	Base func(ref string, arches []string) (*specs.LinuxSeccomp, error)
	// Warn receives problems that do not stop the conversion.
	Warn func(*Error)
	// AsBase compiles the profile as the base another one extends: a
	// rule with the default action is written out, though runc would
	// drop it, because the extending profile may change the default or
	// reach the syscall through a group, and a denial written in the base
	// must not vanish there.
	AsBase bool
}

// Compile turns the profile into the OCI form runc consumes. The result
// means under runc exactly what the rules say, or Compile fails saying
// why: conditions runc would OR are lowered or refused, a rule that
// conflicts with another for the same syscall is refused, and rules for a
// syscall replace what an extended base says about it.
func (p *Profile) Compile(opt CompileOptions) (*specs.LinuxSeccomp, error) {
	c := &compiler{p: p, opt: opt}
	out := c.compile()
	c.foreignOnly.warn(c)
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	if p.Harden {
		return c.harden(out)
	}
	return out, nil
}

type compiler struct {
	p    *Profile
	opt  CompileOptions
	errs ErrorList

	base       map[*Rule]bool // rules that came from the extended base
	losses     map[lossKey][]string
	lossAction map[lossKey][2]Action
	lossOrder  []lossKey

	wideForeign []string // syscalls of a converted profile with a 64-bit compare of a 32-bit argument
	foreignOnly missingNames
}

// missingNames collects the syscalls named in rules that exist on the
// native architecture but not on some other listed one, by the
// architectures they lack, for one warning each.
type missingNames struct {
	order []string // the lists of architectures, as first seen
	names map[string][]string
	at    map[string]Pos
}

func (m *missingNames) note(n Name, arches []string) {
	key := strings.Join(arches, ", ")
	if m.names == nil {
		m.names, m.at = map[string][]string{}, map[string]Pos{}
	}
	if _, ok := m.names[key]; !ok {
		m.order = append(m.order, key)
		m.at[key] = n.Pos
	}
	if !slices.Contains(m.names[key], n.Name) {
		m.names[key] = append(m.names[key], n.Name)
	}
}

func (m *missingNames) warn(c *compiler) {
	for _, key := range m.order {
		names := m.names[key]
		if len(names) == 1 {
			c.warnf(m.at[key], "syscall %q does not exist on %s; the rule does nothing there", names[0], key)
			continue
		}
		c.warnf(m.at[key], "%d syscalls named here and below do not exist on %s (%s); their rules do nothing there", len(names), key, strings.Join(names, ", "))
	}
}

func (c *compiler) errorf(at Pos, format string, args ...any) {
	c.errs.add(c.p.File, at, format, args...)
}

func (c *compiler) warnf(at Pos, format string, args ...any) {
	if c.opt.Warn != nil {
		c.opt.Warn(&Error{File: c.p.File, Pos: at, Msg: fmt.Sprintf(format, args...)})
	}
}

// targets returns the architectures to build for, nil meaning native.
func (c *compiler) targets() []Name {
	if len(c.opt.Arches) > 0 {
		names := make([]Name, len(c.opt.Arches))
		for i, a := range c.opt.Arches {
			names[i] = Name{Name: a}
		}
		return names
	}
	return c.p.Architectures
}

// syscallCase is one compiled rule: a syscall's action under conditions.
type syscallCase struct {
	action Action
	when   []Cond
	rule   *Rule
	// derived: a multiplexer's case that libseccomp makes of the rule
	// for a call it multiplexes; it takes part in the precedence, and
	// libseccomp writes it itself.
	derived bool
}

func (c *compiler) compile() *specs.LinuxSeccomp {
	out := &specs.LinuxSeccomp{
		Flags:            c.p.Flags,
		ListenerPath:     c.p.ListenerPath,
		ListenerMetadata: c.p.ListenerMetadata,
	}
	// Architectures: explicit names go into the profile; native alone
	// leaves the list empty, which runtimes read as "the host's own".
	var arches []string // nil: native
	seen := map[string]bool{}
	for _, a := range c.targets() {
		name := a.Name
		if name == Native {
			name = syscalls.NativeArch()
		}
		spec, err := syscalls.ArchSpec(name)
		if err != nil {
			c.errorf(a.Pos, "%v", err)
			continue
		}
		if !seen[name] {
			seen[name] = true
			arches = append(arches, name)
			out.Architectures = append(out.Architectures, spec)
		}
	}
	if len(c.targets()) == 1 && c.targets()[0].Name == Native {
		arches, out.Architectures = nil, nil
	}
	primary := syscalls.NativeArch()
	if len(c.opt.Arches) > 0 {
		primary = c.opt.Arches[0]
	}
	if len(c.opt.Arches) == 0 { // --arch names the machine: primary is its first
		i, note, err := CheckArchitectures(arches, primary)
		at := c.p.ArchitecturesPos
		if i >= 0 && i < len(c.targets()) && c.targets()[i].Pos.IsValid() {
			at = c.targets()[i].Pos
		}
		if err != nil {
			c.errorf(at, "%v", err)
		} else if note != "" {
			c.warnf(at, "%s", note)
		}
	} else if _, _, err := CheckArchitectures(arches, primary); err != nil {
		c.errorf(Pos{}, "--arch: %v", err)
	}

	var base *specs.LinuxSeccomp
	if c.p.Extends != "" {
		if c.opt.Base == nil {
			c.errorf(c.p.ExtendsPos, "extends %q: no base profiles available here", c.p.Extends)
		} else if b, err := c.opt.Base(c.p.Extends, arches); err != nil {
			c.errorf(c.p.ExtendsPos, "extends %q: %v", c.p.Extends, err)
		} else {
			base = b
		}
	}

	switch {
	case c.p.HasDefault:
		out.DefaultAction, out.DefaultErrnoRet = c.p.Default.Spec()
	case base != nil:
		out.DefaultAction, out.DefaultErrnoRet = base.DefaultAction, base.DefaultErrnoRet
	}
	def, err := ActionFromSpec(out.DefaultAction, out.DefaultErrnoRet)
	if err != nil && base != nil {
		c.errorf(c.p.ExtendsPos, "extends %q: default action: %v", c.p.Extends, err)
	}
	if def.Kind == Notify {
		c.errorf(c.p.DefaultPos, "default: notify cannot be the default action: runc refuses it (the runtime itself would be stopped by it)")
	}
	if base != nil {
		if out.Architectures == nil && len(c.p.Architectures) == 0 && len(c.opt.Arches) == 0 {
			out.Architectures = base.Architectures
		}
		if out.Flags == nil {
			out.Flags = base.Flags
		}
		if out.ListenerPath == "" {
			out.ListenerPath, out.ListenerMetadata = base.ListenerPath, base.ListenerMetadata
		}
	}

	// No flags means none, never runc's default: given no flags at all,
	// runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns a Spectre
	// mitigation off.
	if out.Flags == nil {
		out.Flags = []specs.LinuxSeccompFlag{}
	}

	// Expand every rule into per-syscall cases, in rule order.
	ncases := 0
	cases := map[string][]syscallCase{}
	explicit := map[string]bool{} // named by the document itself, not through a group
	var order []string
	for i := range c.p.Rules {
		r := &c.p.Rules[i]
		when, ok := c.lower(r)
		if !ok {
			continue
		}
		for _, w := range when {
			if err := w.CheckWidth(arches); err != nil {
				c.errorf(w.Pos, "%v", err)
			}
		}
		if r.Action.Kind == Errno && r.Action.Ret == 0 {
			c.errorf(r.ActionPos, "%v", ErrZeroErrno)
		}
		for _, n := range r.Syscalls {
			if !strings.HasPrefix(n.Name, "@") {
				explicit[n.Name] = true
			}
		}
		names := c.expand(r.Syscalls, arches)
		if w, err := CheckTaken(names, when, arches); err != nil {
			c.errorf(w.Pos, "%v", err)
		}
		c.noteWideCompares(r, when, names)
		if ncases += len(names); ncases > MaxCases {
			c.errorf(c.at(r), "the rules give syscalls more than %d cases (each syscall a rule names, once for each rule; a Docker or OCI rule ORing conditions on one argument is one rule per condition): more than any profile needs, so reading stops here", MaxCases)
			return out
		}
		for _, name := range names {
			if r.Action.Kind == Notify && name == "write" {
				c.errorf(r.ActionPos, "notify on write: runc refuses it, because the runtime must be able to write while it waits for the listener")
			}
			if _, dup := cases[name]; !dup {
				order = append(order, name)
			}
			cases[name] = append(cases[name], syscallCase{action: r.Action, when: when, rule: r})
		}
	}

	// A base's rules for a syscall the document reaches only through a
	// group take part in the precedence: a group does not lift a denial
	// of the base. A syscall the document names itself is the
	// document's alone.
	var baseRules []*Rule
	c.base = map[*Rule]bool{}
	c.losses, c.lossAction = map[lossKey][]string{}, map[lossKey][2]Action{}
	muxes := c.muxes(cases, arches)
	if base != nil {
		bp, err := FromSeccomp(base)
		if err != nil {
			c.errorf(c.p.ExtendsPos, "extends %q: %v", c.p.Extends, err)
		} else {
			for i := range bp.Rules {
				r := &bp.Rules[i]
				baseRules = append(baseRules, r)
				c.base[r] = true
				// A rule with the default action takes part too: runc
				// drops it, but what it denies is what the base says,
				// and a group here does not lift that.
				// So does a base's rule for a multiplexer (socketcall)
				// of a call the document decides: libseccomp filters
				// that call there too.
				for _, n := range r.Syscalls {
					if _, decided := cases[n.Name]; (decided || muxes[n.Name]) && !explicit[n.Name] {
						if !decided {
							order = append(order, n.Name)
						}
						cases[n.Name] = append([]syscallCase{{action: r.Action, when: r.When, rule: r}}, cases[n.Name]...)
					}
				}
			}
		}
	}

	c.multiplexed(cases, arches)

	shared := map[*Rule]bool{} // rules that share a syscall with another rule
	for _, name := range order {
		for _, sc := range cases[name] {
			shared[sc.rule] = shared[sc.rule] || len(cases[name]) > 1
		}
	}
	if len(c.wideForeign) > 0 {
		c.warnf(Pos{}, "conditions on %s compare all 64 bits of an argument the kernel reads as 32 bits, so a caller that sets the upper half gets past them; oci-sbx lint lists them, and convert --harden masks them",
			strings.Join(c.wideForeign, ", "))
	}
	var shadowed, vanished []string
	for _, name := range order {
		cs := cases[name]
		if c.p.FirstWins || !slices.ContainsFunc(cs, func(sc syscallCase) bool { return sc.rule.Pos.IsValid() }) {
			// A converted profile keeps the meaning it has under runc,
			// where a denial with the default action beside a rule that
			// lets the call through vanishes: say so.
			if slices.ContainsFunc(cs, func(sc syscallCase) bool { return sc.action == def && def.IsDeny() }) &&
				slices.ContainsFunc(cs, func(sc syscallCase) bool { return sc.action != def }) {
				vanished = append(vanished, name)
			}
			if kept, ok := c.resolveConflicts(name, cs, def, arches); !ok {
				cases[name] = kept
				shadowed = append(shadowed, name)
			}
			continue
		}
		if kept, ok := c.precedence(name, cs, def); ok {
			cases[name] = kept
		}
	}
	c.reportLosses()
	c.checkMultiplexed(cases, order, arches, def)
	if len(vanished) > 0 {
		c.warnf(Pos{}, "a denial of %s with the default action %s is dropped (runc drops such a rule; libseccomp refuses it), so another rule of the syscall takes its calls, as it does under runc (oci-sbx lint: deny-vanishes)",
			strings.Join(vanished, ", "), def)
	}
	if len(shadowed) > 0 {
		what := fmt.Sprintf("%d syscalls have", len(shadowed))
		if len(shadowed) == 1 {
			what = "1 syscall has"
		}
		c.warnf(Pos{}, "%s an unconditional rule and other rules; libseccomp keeps the first unconditional one and drops the rest, and so does this conversion: %s",
			what, strings.Join(shadowed, ", "))
	}

	var from []*Rule // the rule each of out.Syscalls came from; nil for a base's
	// A base's rules come first, minus every syscall this profile decides
	// and the rules runc would drop (kept in a base only for the
	// precedence above), unless this profile is a base itself.
	if base != nil {
		for _, sc := range base.Syscalls {
			if a, err := ActionFromSpec(sc.Action, sc.ErrnoRet); err == nil && a == def && !c.opt.AsBase {
				continue
			}
			var keep []string
			for _, n := range sc.Names {
				if _, overridden := cases[n]; !overridden {
					keep = append(keep, n)
				}
			}
			if len(keep) > 0 {
				sc.Names = keep
				out.Syscalls = append(out.Syscalls, sc)
				from = append(from, nil)
			}
		}
	}

	// Every name the profile and its base give: the highest sets where
	// runc's ENOSYS stub starts, even in a rule runc drops.
	written := slices.Clone(order)
	if base != nil {
		for _, sc := range base.Syscalls {
			written = append(written, sc.Names...)
		}
	}
	bounds := map[string]bool{}
	if StubBounds(out) != nil {
		for _, b := range stubBounds(stubArches(out.Architectures), written) {
			bounds[b.Name] = true
		}
	}

	// One OCI rule per source rule and set of conditions, listing the
	// syscalls that kept it; a base's rules first.
	sources := baseRules
	for i := range c.p.Rules {
		sources = append(sources, &c.p.Rules[i])
	}
	// Each rule's cases, in the syscalls' order, gathered in one pass:
	// looking through every case for each rule would grow with the square
	// of the rules (a Docker rule ORing many conditions becomes one rule
	// per condition).
	type namedCase struct {
		name string
		sc   syscallCase
	}
	byRule := map[*Rule][]namedCase{}
	for _, name := range order {
		for _, sc := range cases[name] {
			if sc.derived || sc.action == def && !c.keepDefault() {
				continue
			}
			byRule[sc.rule] = append(byRule[sc.rule], namedCase{name, sc})
		}
	}
	for _, r := range sources {
		var keys []string
		byWhen := map[string][]string{}
		whens := map[string][]Cond{}
		for _, nc := range byRule[r] {
			name, sc := nc.name, nc.sc
			{
				k := condsKey(sc.when)
				if _, ok := byWhen[k]; !ok {
					keys = append(keys, k)
					whens[k] = sc.when
				}
				byWhen[k] = append(byWhen[k], name)
			}
		}
		for _, k := range keys {
			names := byWhen[k]
			sort.Strings(names)
			act, ret := r.Action.Spec()
			sys := specs.LinuxSyscall{Names: slices.Compact(names), Action: act, ErrnoRet: ret}
			for _, w := range whens[k] {
				sys.Args = append(sys.Args, w.Spec())
			}
			out.Syscalls = append(out.Syscalls, sys)
			from = append(from, r)
		}
		if r.Action == def && r.Pos.IsValid() && !c.base[r] && !shared[r] && c.p.Extends == "" && !c.keepDefault() &&
			!slices.ContainsFunc(r.Syscalls, func(n Name) bool { return bounds[n.Name] }) {
			c.warnf(r.ActionPos, "rule has the default action %s and changes nothing (runc drops it)", def)
		}
	}
	c.checkLoaderHangs(out, from)
	keepStubBounds(out, written)
	above := aboveStub(out)
	for _, arch := range slices.Sorted(maps.Keys(above)) {
		names := above[arch]
		slices.Sort(names)
		c.warnf(Pos{}, "on %s runc answers %s with ENOSYS, not as the rules say: its ENOSYS stub answers every number above the highest syscall the profile names there (%s), and counts no call libseccomp multiplexes through socketcall or ipc; name a syscall numbered higher, with the default action, to keep them",
			arch, strings.Join(names, ", "), StubBounds(out)[arch])
	}
	return out
}

// multiplexed adds to a multiplexer's cases (socketcall, ipc) what the
// document says about the calls it multiplexes, where the document gives
// the multiplexer rules of its own: libseccomp filters a rule for connect
// on x86 on socketcall with arg0 == SYS_CONNECT as well, beside the rules
// for socketcall, and there too the stricter action wins. Without this,
// "allow socketcall" beside a denial of connect with the default action
// (which runc drops) lets connect through socketcall. Only unconditional
// cases carry over: a condition on connect's arguments cannot be checked
// through socketcall, whose arguments are behind a pointer.
func (c *compiler) multiplexed(cases map[string][]syscallCase, arches []string) {
	if c.p.FirstWins {
		return // a C program's filter is libseccomp's
	}
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	names := slices.Sorted(maps.Keys(cases))
	done := map[string]bool{}
	for _, arch := range arches {
		for _, name := range names {
			mux, call, ok := syscalls.Subcall(arch, name)
			if !ok || len(cases[mux]) == 0 || done[mux+" "+name] {
				continue
			}
			done[mux+" "+name] = true
			for _, sc := range cases[name] {
				if len(sc.when) == 0 && !sc.derived && sc.rule.Pos.IsValid() {
					cases[mux] = append(cases[mux], syscallCase{action: sc.action, when: []Cond{{Arg: 0, Op: OpEQ, Value: call, Pos: sc.rule.Pos}}, rule: sc.rule, derived: true})
				}
			}
		}
	}
	// An unconditional rule for the multiplexer beside stricter ones for
	// calls it carries keeps the other calls, one by one: "arg0 != 3"
	// and "arg0 != 11" cannot be one condition under runc, which ORs the
	// conditions on one argument. A call number the multiplexer does not
	// know (the kernel answers EINVAL) gets the default.
	for _, mux := range []string{"socketcall", "ipc"} {
		var out []syscallCase
		for _, sc := range cases[mux] {
			var stricter []uint64
			for _, d := range cases[mux] {
				if d.derived && Rank(d.action) > Rank(sc.action) {
					stricter = append(stricter, d.when[0].Value)
				}
			}
			if sc.derived || len(sc.when) != 0 || len(stricter) == 0 {
				out = append(out, sc)
				continue
			}
			for _, k := range syscalls.Subcalls(mux) {
				if !slices.Contains(stricter, k) {
					out = append(out, syscallCase{action: sc.action, when: []Cond{{Arg: 0, Op: OpEQ, Value: k, Pos: sc.rule.Pos}}, rule: sc.rule})
				}
			}
		}
		if out != nil {
			cases[mux] = out
		}
	}
}

// checkMultiplexed refuses what libseccomp cannot say of a call it
// multiplexes (socket through socketcall on x86 …): it turns each rule
// for the call into a rule on the multiplexer with arg0 equal to the
// call's number and without the rule's conditions, which it cannot read
// behind the multiplexer's pointer. So conditional rules for the call
// with two actions become two rules with one condition, which libseccomp
// refuses (EEXIST: runc cannot load the profile), and a conditional
// allow lets every such call through where the rules deny some (a
// warning: recordings allow socket by family on x86 too, and lint
// reports it as multiplexed-args). An unconditional rule of the
// multiplexer's own decides every call through it, so a stricter
// conditional rule for the call does not hold there: refused.
func (c *compiler) checkMultiplexed(cases map[string][]syscallCase, order, arches []string, def Action) {
	if c.p.FirstWins {
		return // a C program's filter is libseccomp's
	}
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	own := func(mux string) (syscallCase, bool) {
		u := slices.IndexFunc(cases[mux], func(sc syscallCase) bool {
			return len(sc.when) == 0 && !sc.derived && sc.action != def
		})
		if u < 0 {
			return syscallCase{}, false
		}
		return cases[mux][u], true
	}
	// Conditional rules runc keeps, as libseccomp moves them onto the
	// multiplexer: two actions for one set of conditions are refused.
	var rs []MuxRule
	var from []syscallCase
	for _, name := range order {
		for _, sc := range cases[name] {
			if !sc.derived && sc.rule.Pos.IsValid() {
				rs = append(rs, MuxRule{Names: []string{name}, Action: sc.action, When: sc.when})
				from = append(from, sc)
			}
		}
	}
	done := map[string]bool{}
	clashAt := map[string]string{} // the architecture a call's clashes are said for
	for _, cl := range MultiplexClashes(rs, arches, def, func(_ int, mux string) bool { _, ok := own(mux); return ok }) {
		if at, ok := clashAt[cl.Name]; ok && at != cl.Arch {
			continue
		}
		done[cl.Name], clashAt[cl.Name] = true, cl.Arch
		first, second := from[cl.First], from[cl.Second]
		c.errorf(c.at(second.rule), "%s: on %s, libseccomp moves the rules for %s onto %s, where arg0 is the call's number (%d) and the conditions on arg0 are lost: the %s here and the %s at %s become two rules with the same conditions and different actions, which libseccomp refuses (EEXIST), so runc cannot load the profile; give %s one action, deny %s on %s outright (convert --harden does for the network), or leave %s out of the architectures",
			cl.Name, cl.Arch, cl.Name, cl.Mux, cl.Call, second.action, first.action, c.where(first.rule), cl.Name, cl.Mux, cl.Arch, cl.Arch)
	}
	for _, arch := range arches {
		for _, name := range order {
			mux, call, ok := syscalls.Subcall(arch, name)
			if !ok || done[name] {
				continue
			}
			own, ok := own(mux)
			for _, sc := range cases[name] {
				if len(sc.when) == 0 || sc.derived || !sc.rule.Pos.IsValid() {
					continue
				}
				switch {
				case ok && Rank(sc.action) > Rank(own.action):
					// The multiplexer's own unconditional rule decides
					// every call through it: a stricter conditional rule
					// for the call vanishes there.
					done[name] = true
					c.errorf(c.at(sc.rule), "%s: on %s, %s also goes through %s (arg0 == %d), whose arguments seccomp cannot read, and the %s at %s lets every call through it: this conditional %s does not hold there; deny %s on %s outright (convert --harden does for the network), or leave %s out of the architectures",
						name, arch, name, mux, call, own.action, c.where(own.rule), sc.action, mux, arch, arch)
				case !ok && sc.action != def && MultiplexKey(sc.when) == "" && Rank(sc.action) < Rank(def):
					// What a recording writes (socket by family, on x86
					// too): said, as lint does (multiplexed-args), not
					// refused.
					done[name] = true
					c.warnf(c.at(sc.rule), "%s: on %s, libseccomp moves the rules for %s onto %s, where arg0 is the call's number (%d) and the conditions on arg0 are lost, so this conditional %s lets every %s call through %s whatever its arguments; deny %s on %s outright (convert --harden does for the network), or leave %s out of the architectures",
						name, arch, name, mux, call, sc.action, name, mux, mux, arch, arch)
				}
				if done[name] {
					break
				}
			}
		}
	}
}

// muxes returns the multiplexers through which libseccomp also filters a
// call the document gives an unconditional rule (see multiplexed).
func (c *compiler) muxes(cases map[string][]syscallCase, arches []string) map[string]bool {
	out := map[string]bool{}
	if c.p.FirstWins {
		return out
	}
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	for name, cs := range cases {
		for _, arch := range arches {
			if mux, _, ok := syscalls.Subcall(arch, name); ok && slices.ContainsFunc(cs, func(sc syscallCase) bool { return len(sc.when) == 0 }) {
				out[mux] = true
			}
		}
	}
	return out
}

// keepDefault reports whether rules with the default action are written
// out: in a rules document compiled as a base (libseccomp refuses such a
// rule in C, so a C program's filter never had it).
func (c *compiler) keepDefault() bool { return c.opt.AsBase && !c.p.FirstWins }

// noteWideCompares says where a condition compares all 64 bits of an
// argument the kernel reads as 32 so that it cannot do what it says: a
// denial a caller slips past by setting the upper half, or a compare
// whose answer is the same for every value a caller passing an int
// produces (Constant32: "== AT_FDCWD" sign-extended, "> -1", "!= -1"). A document's own conditions get a note each; a
// converted profile's are summed up in one.
func (c *compiler) noteWideCompares(r *Rule, when []Cond, names []string) {
	for _, w := range when {
		var hit []string
		holds, constant := constant32(w)
		for _, n := range names {
			if IntArg(n, w.Arg) && (constant || escapable(r.Action, w)) {
				hit = append(hit, n)
			}
		}
		if len(hit) == 0 {
			continue
		}
		if !r.Pos.IsValid() {
			for _, n := range hit {
				if !slices.Contains(c.wideForeign, n) {
					c.wideForeign = append(c.wideForeign, n)
				}
			}
			continue
		}
		fix := "compare the lower half only, with a mask (oci-sbx convert --harden does)"
		if m, ok := LowerHalf(w); ok {
			fix = fmt.Sprintf("write %q (oci-sbx convert --harden does)", m.String())
		}
		at := w.Pos
		if !at.IsValid() {
			at = r.Pos
		}
		if constant {
			fix := "write the value as the kernel reads it, in 32 bits (-1 is 0xffffffff), best as a masked equality (\"argN & 0xffffffff == V\")"
			if m, ok := LowerHalf(w); ok {
				fix = fmt.Sprintf("write %q (oci-sbx convert --harden does)", m.String())
			}
			c.warnf(at, "%s: %s; %s", strings.Join(hit, ", "), ConstantReason(w, holds), fix)
			continue
		}
		c.warnf(at, "%s: %q compares all 64 bits of an argument the kernel reads as 32 bits, so it does not match what the kernel sees (a caller sets the upper half as it likes); %s",
			strings.Join(hit, ", "), w.String(), fix)
	}
}

// MaxCases bounds the syscall cases of one profile: the syscalls each
// rule names, summed over the rules. Docker's default has about 500; the
// bound keeps the work on them, and the output, linear in the input.
const MaxCases = 100_000

// expand resolves syscall names and @groups for the target architectures
// (nil: native, where a group keeps every member any architecture has).
//
// Each syscall comes out once, however often the rule names it (itself, or
// in groups that overlap): a case per mention would repeat its conditions
// as often, and the work on them with it.
func (c *compiler) expand(names []Name, arches []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n.Name, "@") {
			members, err := GroupMembers(n.Name, arches)
			if err != nil {
				c.errorf(n.Pos, "%v", err)
			}
			for _, m := range members {
				if !seen[m] {
					seen[m] = true
					out = append(out, m)
				}
			}
			continue
		}
		if seen[n.Name] {
			continue
		}
		if err := checkName(n.Name); err != nil {
			c.errorf(n.Pos, "%v", err)
			continue
		}
		check := arches
		if check == nil {
			check = []string{syscalls.NativeArch()}
		}
		var missing []string
		for _, a := range check {
			if !syscalls.HasSyscall(a, n.Name) {
				missing = append(missing, a)
			}
		}
		// Only names a person wrote get the warning: converted profiles
		// list names for every architecture on purpose. A name the
		// native architecture has, missing only on other listed ones
		// (newfstatat on x86), is what a profile of several
		// architectures holds by nature: said once for all of them.
		switch {
		case len(missing) == 0 || !n.Pos.IsValid():
		case arches != nil && !slices.Contains(missing, syscalls.NativeArch()):
			c.foreignOnly.note(n, missing)
		default:
			c.warnf(n.Pos, "syscall %q does not exist on %s; the rule does nothing there", n.Name, strings.Join(missing, ", "))
		}
		seen[n.Name] = true
		out = append(out, n.Name)
	}
	return out
}

// resolveConflicts handles a syscall with an unconditional rule and other
// rules. libseccomp (and so runc and crun) keeps the first unconditional
// rule and ignores every other rule for that syscall, whatever its order
// or conditions (measured with libseccomp 2.5.4). In a rules document that
// is a mistake worth an error; a converted profile keeps runc's meaning,
// and ok is false when that dropped rules.
//
// runc drops a rule whose action is the default before libseccomp sees
// it, so such rules take no part.
func (c *compiler) resolveConflicts(name string, cs []syscallCase, def Action, arches []string) (kept []syscallCase, ok bool) {
	first := -1
	for i, sc := range cs {
		if len(sc.when) == 0 && sc.action != def {
			first = i
			break
		}
	}
	if first < 0 {
		return cs, true
	}
	// On a 32-bit architecture a condition on the upper half alone holds
	// for every call: libseccomp keeps such an earlier rule there as
	// the first unconditional one, unlike on the 64-bit ones.
	for _, sc := range cs[:first] {
		if narrow := alwaysOnNarrow(sc.when, arches); narrow != "" && sc.action != cs[first].action && sc.action != def {
			c.errorf(c.at(sc.rule), "%s: on %s this rule's conditions hold for every call (a 32-bit argument has no upper half), so libseccomp keeps it there before the unconditional %s, which decides the call on the 64-bit architectures: the profile means one thing per width; write one profile per width, or leave %s out",
				name, narrow, cs[first].action, narrow)
			return cs, true
		}
	}
	for _, sc := range cs {
		if sc.action == cs[first].action || sc.rule == cs[first].rule || sc.action == def {
			continue
		}
		if !sc.rule.Pos.IsValid() {
			return cs[first : first+1], false
		}
		c.errorf(sc.rule.Pos, "%s: this rule (%s) conflicts with the rule at line %d (%s): a syscall with an unconditional rule gets that action only; give it one action, or make every case conditional",
			name, sc.action, cs[first].rule.Pos.Line, cs[first].action)
		return cs, true
	}
	return cs, true
}

// lower returns the rule's conditions in a form runc ANDs. runc turns a
// rule with several conditions on one argument into one rule per
// condition (an OR), so such conditions are merged into one where that is
// exact, and refused otherwise.
func (c *compiler) lower(r *Rule) ([]Cond, bool) {
	byArg := map[uint][]Cond{}
	var args []uint
	for _, w := range r.When {
		if _, ok := byArg[w.Arg]; !ok {
			args = append(args, w.Arg)
		}
		byArg[w.Arg] = append(byArg[w.Arg], w)
	}
	var out []Cond
	ok := true
	for _, w := range r.When {
		if err := w.Check(); err != nil {
			c.errorf(w.Pos, "%v", err)
			ok = false
		}
	}
	if !ok {
		return nil, false
	}
	for _, a := range args {
		merged, err := mergeConds(byArg[a])
		if err != nil {
			c.errorf(byArg[a][1].Pos, "%v", err)
			ok = false
			continue
		}
		out = append(out, merged)
	}
	return out, ok
}

// mergeConds merges conditions on one argument into one equivalent
// condition, or explains why that is impossible.
func mergeConds(cs []Cond) (Cond, error) {
	m := cs[0]
	for _, n := range cs[1:] {
		var ok bool
		if m, ok = merge2(m, n); !ok {
			return Cond{}, fmt.Errorf("conditions %q and %q on arg%d cannot be combined: runc would OR them (it splits a rule with two conditions on one argument), "+
				"so write them as one condition or as separate rules", cs[0].String(), n.String(), n.Arg)
		}
	}
	return m, nil
}

func merge2(a, b Cond) (Cond, bool) {
	if a.Op == b.Op && a.Mask == b.Mask && a.Value == b.Value {
		return a, true
	}
	// An equality decides the value: the other condition holds or the
	// rule can never match, which cannot be written as one condition.
	if a.Op == OpEQ && b.Matches(a.Value) {
		return a, true
	}
	if b.Op == OpEQ && a.Matches(b.Value) {
		return b, true
	}
	asMask := func(c Cond) (Cond, bool) {
		switch c.Op {
		case OpMaskedEQ:
			return c, true
		case OpEQ:
			return Cond{Arg: c.Arg, Op: OpMaskedEQ, Mask: ^uint64(0), Value: c.Value, Pos: c.Pos}, true
		}
		return c, false
	}
	// Two masked equalities that agree where their masks overlap are one.
	if ma, ok := asMask(a); ok {
		if mb, ok := asMask(b); ok {
			overlap := ma.Mask & mb.Mask
			if ma.Value&overlap == mb.Value&overlap {
				return Cond{Arg: a.Arg, Op: OpMaskedEQ, Mask: ma.Mask | mb.Mask, Value: ma.Value | mb.Value, Pos: a.Pos}, true
			}
			return Cond{}, false
		}
	}
	// Bounds in the same direction: the tighter one decides.
	lower := func(c Cond) bool { return c.Op == OpGT || c.Op == OpGE }
	upper := func(c Cond) bool { return c.Op == OpLT || c.Op == OpLE }
	if (lower(a) && lower(b)) || (upper(a) && upper(b)) {
		if b.Matches(a.boundary()) && !a.Matches(b.boundary()) {
			return a, true
		}
		if a.Matches(b.boundary()) && !b.Matches(a.boundary()) {
			return b, true
		}
		return a, a.boundary() == b.boundary() && a.Op == b.Op
	}
	return Cond{}, false
}

// boundary is the tightest value a bound admits.
func (c Cond) boundary() uint64 {
	switch c.Op {
	case OpGT:
		return c.Value + 1
	case OpLT:
		return c.Value - 1
	}
	return c.Value
}
