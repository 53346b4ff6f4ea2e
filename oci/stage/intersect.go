package stage

import (
	"fmt"
	"slices"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// rank orders actions as the kernel does between stacked filters (rules.Rank),
// lower being stricter.
func rank(a rules.Action) int { return -rules.Rank(a) }

// weakest is below every rank: no rule says anything yet.
const weakest = 1

// side is what one profile says about one syscall: one answer for every
// call (cond nil), or rules with conditions falling through to the
// default.
type side struct {
	action rules.Action
	cond   []specs.LinuxSyscall // the rules naming the syscall, when any has conditions
	worst  int                  // the strictest rank among everything it can answer
}

func sideOf(p *specs.LinuxSeccomp, def rules.Action, name string) (side, error) {
	var named []specs.LinuxSyscall
	conditional := false
	for _, r := range p.Syscalls {
		if slices.Contains(r.Names, name) {
			r.Names = []string{name}
			named = append(named, r)
			conditional = conditional || len(r.Args) > 0
		}
	}
	if len(named) == 0 {
		return side{action: def, worst: rank(def)}, nil
	}
	s := side{worst: weakest}
	for _, r := range named {
		a, err := rules.ActionFromSpec(r.Action, r.ErrnoRet)
		if err != nil {
			return side{}, fmt.Errorf("reading the rule for %q: %w", name, err)
		}
		s.worst = min(s.worst, rank(a))
		if !conditional {
			if len(named) > 1 && a != s.action {
				// Several unconditional rules with different actions:
				// which one a runtime keeps is not ours to guess.
				s.cond = named
			}
			s.action = a
		}
	}
	if conditional {
		s.cond = named
		s.worst = min(s.worst, rank(def))
	}
	return s, nil
}

// combine is the answer of two stacked filters that each answer one way:
// the stricter, and between equals (two errnos) the later filter's.
func combine(engine, p rules.Action) rules.Action {
	if rank(engine) < rank(p) {
		return engine
	}
	return p
}

// stubbed reports whether runc puts its ENOSYS stub in front of a
// profile with this default action: a syscall numbered above the last one
// the profile names then gets ENOSYS, whatever the rules say.
func stubbed(def rules.Action) bool {
	return def.Kind != rules.Allow && def.Kind != rules.Log && def.Kind != rules.Trace
}

var enosys = rules.Action{Kind: rules.Errno, Ret: uint(syscall.ENOSYS)}

// lastNamed is the highest syscall number on arch that runc's stub takes
// from p's rules: libseccomp resolves a call it filters through a
// multiplexer (connect on x86) to a pseudo number, which does not count,
// although its filter also matches the direct number.
func lastNamed(p *specs.LinuxSeccomp, arch string) int {
	last := 0
	for _, r := range p.Syscalls {
		for _, n := range r.Names {
			if syscalls.SyscallMultiplexer(arch, n) != "" {
				continue
			}
			if nr, ok := syscalls.SyscallNumber(arch, n); ok && nr > last {
				last = nr
			}
		}
	}
	return last
}

// archSet is a profile's architectures as runc loads them: the native
// one is always added.
func archSet(p *specs.LinuxSeccomp) ([]string, error) {
	set := []string{syscalls.NativeArch()}
	for _, a := range p.Architectures {
		n, err := syscalls.ArchFromSpec(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(set, n) {
			set = append(set, n)
		}
	}
	slices.Sort(set)
	return set, nil
}

// Intersect returns the one profile that answers every syscall exactly
// as engine and p stacked (engine loaded first, p on top) would: the
// stricter action, and between two errnos p's. It does so only where
// that is provably exact: the same architectures, no notifications in
// the engine's profile, and for every syscall at least one side answering
// without conditions — the result is then the stricter action, or the
// conditional side's rules where the other side allows and the default
// is the same. Otherwise it returns nil and the reason, and the profiles
// must be stacked.
func Intersect(engine, p *specs.LinuxSeccomp) (*specs.LinuxSeccomp, string, error) {
	ea, err := archSet(engine)
	if err != nil {
		return nil, "", fmt.Errorf("reading the engine's profile: %w", err)
	}
	pa, err := archSet(p)
	if err != nil {
		return nil, "", fmt.Errorf("reading the profile: %w", err)
	}
	if !slices.Equal(ea, pa) {
		return nil, fmt.Sprintf("the architectures differ (%v, %v)", ea, pa), nil
	}
	if engine.ListenerPath != "" || engine.DefaultAction == specs.ActNotify || slices.ContainsFunc(engine.Syscalls, func(r specs.LinuxSyscall) bool { return r.Action == specs.ActNotify }) {
		return nil, "the engine's profile notifies an agent", nil
	}
	if engine.Flags != nil && !slices.Equal(engine.Flags, p.Flags) {
		return nil, "the flags differ", nil
	}
	edef, err := rules.ActionFromSpec(engine.DefaultAction, engine.DefaultErrnoRet)
	if err != nil {
		return nil, "", fmt.Errorf("reading the engine's default action: %w", err)
	}
	pdef, err := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, "", fmt.Errorf("reading the default action: %w", err)
	}
	def := combine(edef, pdef)
	// runc's ENOSYS stub answers the syscalls past the last one a
	// profile names. With a default of errno(ENOSYS) that is the default's
	// answer anyway; the result names every syscall either profile
	// names, so its stub starts past both.
	for _, d := range []rules.Action{edef, pdef} {
		if stubbed(d) && d != enosys {
			return nil, fmt.Sprintf("runc's ENOSYS stub changes what a default action of %s answers", d), nil
		}
	}

	names := map[string]bool{}
	for _, s := range [][]specs.LinuxSyscall{engine.Syscalls, p.Syscalls} {
		for _, r := range s {
			for _, n := range r.Names {
				names[n] = true
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)

	// On an architecture with socketcall or ipc, libseccomp turns a rule
	// for a call it multiplexes (connect on x86) into a rule for the
	// multiplexer too, where an unconditional rule for the multiplexer
	// wins over it, and two such rules can clash. So such a group of
	// calls is taken whole, in its order, from the one profile that
	// says something about it, where the other allows all of it.
	grouped, groupRules, why, err := multiplexed(engine, p, edef, pdef, def, sorted)
	if why != "" || err != nil {
		return nil, why, err
	}
	out := clone(p)
	out.Syscalls = groupRules
	out.Architectures = slices.Clone(p.Architectures)
	if len(engine.Architectures) > len(out.Architectures) {
		out.Architectures = slices.Clone(engine.Architectures)
	}
	out.DefaultAction, out.DefaultErrnoRet = def.Spec()
	byAction := map[rules.Action][]string{}
	var order []rules.Action
	for _, n := range sorted {
		if grouped[n] {
			continue
		}
		es, err := sideOf(engine, edef, n)
		if err != nil {
			return nil, "", fmt.Errorf("reading the engine's profile: %w", err)
		}
		ps, err := sideOf(p, pdef, n)
		if err != nil {
			return nil, "", fmt.Errorf("reading the profile: %w", err)
		}
		var a rules.Action
		switch {
		case es.cond == nil && ps.cond == nil:
			a = combine(es.action, ps.action)
		case es.cond != nil && ps.cond == nil && ps.action.Kind == rules.Allow && edef == def:
			out.Syscalls = append(out.Syscalls, es.cond...)
			continue
		case es.cond != nil && ps.cond == nil && rank(ps.action) <= es.worst:
			a = ps.action // at least as strict as anything the engine says, and newer
		case ps.cond != nil && es.cond == nil && es.action.Kind == rules.Allow && pdef == def:
			out.Syscalls = append(out.Syscalls, ps.cond...)
			continue
		case ps.cond != nil && es.cond == nil && rank(es.action) < ps.worst:
			a = es.action
		default:
			return nil, fmt.Sprintf("both profiles, or the one that does not allow it, set conditions on %s", n), nil
		}
		if _, ok := byAction[a]; !ok {
			order = append(order, a)
		}
		byAction[a] = append(byAction[a], n)
	}
	for _, a := range order {
		act, ret := a.Spec()
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: byAction[a], Action: act, ErrnoRet: ret})
	}
	if why, err := checkMultiplexed(engine, p, out, edef, pdef, sorted); why != "" || err != nil {
		return nil, why, err
	}
	// libseccomp's x86_64 filter without x32 kills a call with the x32
	// bit, where runc's stub, when the filter has one, returns ENOSYS
	// first: the result must have a stub only where both have one.
	if slices.Contains(ea, "x86_64") && !slices.Contains(ea, "x32") {
		stub := func(q *specs.LinuxSeccomp, def rules.Action) bool { return stubbed(def) && lastNamed(q, "x86_64") > 0 }
		if stub(out, def) && !(stub(engine, edef) && stub(p, pdef)) {
			return nil, "runc's ENOSYS stub would answer x32 numbers on x86_64 that libseccomp kills", nil
		}
	}
	return out, "", nil
}

// multiplexed returns the names that belong to a multiplexer's group on
// one of the architectures, and the rules the result takes for them: the
// rules of the profile that names any of them, in its order, when the
// other allows every call of the group unconditionally.
func multiplexed(engine, p *specs.LinuxSeccomp, edef, pdef, def rules.Action, names []string) (map[string]bool, []specs.LinuxSyscall, string, error) {
	arches, err := archSet(p)
	if err != nil {
		return nil, nil, "", err
	}
	grouped := map[string]bool{}
	for _, arch := range arches {
		for _, n := range names {
			if m := syscalls.SyscallMultiplexer(arch, n); m != "" {
				grouped[n], grouped[m] = true, true
			}
		}
	}
	if len(grouped) == 0 {
		return grouped, nil, "", nil
	}
	allows := func(q *specs.LinuxSeccomp, def rules.Action) (bool, error) {
		for n := range grouped {
			s, err := sideOf(q, def, n)
			if err != nil {
				return false, err
			}
			if s.cond != nil || s.action.Kind != rules.Allow {
				return false, nil
			}
		}
		return true, nil
	}
	from, fromDef := engine, edef
	if ok, err := allows(engine, edef); err != nil {
		return nil, nil, "", err
	} else if ok {
		from, fromDef = p, pdef
	} else if ok, err := allows(p, pdef); err != nil {
		return nil, nil, "", err
	} else if !ok {
		return nil, nil, "both profiles say something about calls socketcall or ipc multiplex", nil
	}
	if fromDef != def {
		// A call of the group that the profile does not name would get
		// the result's default instead of the profile's.
		return nil, nil, "the profile that says something about calls socketcall or ipc multiplex has another default than the result", nil
	}
	var out []specs.LinuxSyscall
	for _, r := range from.Syscalls {
		var keep []string
		for _, n := range r.Names {
			if grouped[n] {
				keep = append(keep, n)
			}
		}
		if len(keep) > 0 {
			r.Names = keep
			out = append(out, r)
		}
	}
	return grouped, out, "", nil
}

// checkMultiplexed makes sure the direct numbers of multiplexed calls
// (connect on x86 is socketcall and 362) get the same answer from the
// result as from the stack: libseccomp's filter matches them, but runc's
// stub may answer them first, since they do not count as named.
func checkMultiplexed(engine, p, out *specs.LinuxSeccomp, edef, pdef rules.Action, names []string) (string, error) {
	arches, err := archSet(p)
	if err != nil {
		return "", err
	}
	odef, err := rules.ActionFromSpec(out.DefaultAction, out.DefaultErrnoRet)
	if err != nil {
		return "", err
	}
	for _, arch := range arches {
		lastE, lastP, lastO := lastNamed(engine, arch), lastNamed(p, arch), lastNamed(out, arch)
		for _, n := range names {
			nr, ok := syscalls.SyscallNumber(arch, n)
			if !ok || syscalls.SyscallMultiplexer(arch, n) == "" {
				continue
			}
			// runc adds no stub for an architecture whose last number is 0.
			stub := func(def rules.Action, last int) bool { return stubbed(def) && last > 0 && nr > last }
			if !stub(edef, lastE) && !stub(pdef, lastP) && !stub(odef, lastO) {
				continue // every filter answers it by its rules, as reasoned above
			}
			answer := func(q *specs.LinuxSeccomp, def rules.Action, last int) (rules.Action, bool, error) {
				if stub(def, last) {
					return enosys, true, nil
				}
				s, err := sideOf(q, def, n)
				return s.action, s.cond == nil, err
			}
			ae, okE, err := answer(engine, edef, lastE)
			if err != nil {
				return "", err
			}
			ap, okP, err := answer(p, pdef, lastP)
			if err != nil {
				return "", err
			}
			ao, okO, err := answer(out, odef, lastO)
			if err != nil {
				return "", err
			}
			if !okE || !okP || !okO || combine(ae, ap) != ao {
				return fmt.Sprintf("runc's ENOSYS stub answers %s's direct number on %s differently", n, arch), nil
			}
		}
	}
	return "", nil
}
