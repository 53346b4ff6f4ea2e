package record

import (
	"fmt"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Base is what a profile lets run, asked per call: the recorder lets
// these calls through unrecorded, and --check reports every other one.
//
// A call is allowed when the profile covers its architecture (the native
// one and those it lists) and its syscall's rules, read as runc reads
// them, end in allow or log: of the rules whose conditions hold the
// strictest action wins (kill > trap > errno > notify > trace > log >
// allow, as the kernel ranks stacked filters), and the default action
// applies when none holds. On a 32-bit ABI only the low 32 bits of an
// argument are compared, as libseccomp compares them there.
type Base struct {
	profile *specs.LinuxSeccomp
	arches  map[string]bool
	def     rules.Action
	rules   map[string][]rules.Rule // by syscall name
}

// NewBase reads a profile for the recorder. A nil profile allows nothing.
func NewBase(s *specs.LinuxSeccomp) (*Base, error) {
	b := &Base{profile: s, arches: map[string]bool{}, rules: map[string][]rules.Rule{}}
	if s == nil {
		b.def = rules.Action{Kind: rules.Errno, Ret: 1}
		return b, nil
	}
	p, err := rules.FromSeccomp(s)
	if err != nil {
		return nil, fmt.Errorf("reading the base profile: %w", err)
	}
	b.def = p.Default
	if n := syscalls.NativeArch(); n != "" {
		b.arches[n] = true
	}
	for _, a := range p.Architectures {
		b.arches[a.Name] = true
	}
	for _, r := range p.Rules {
		for _, n := range r.Syscalls {
			b.rules[n.Name] = append(b.rules[n.Name], r)
		}
	}
	return b, nil
}

// Profile returns the profile the base was read from (nil for none).
func (b *Base) Profile() *specs.LinuxSeccomp { return b.profile }

// Default returns the base's default action (errno(EPERM) for none).
func (b *Base) Default() rules.Action { return b.def }

// Covers reports whether the base's filter covers an architecture.
func (b *Base) Covers(arch string) bool { return b.arches[arch] }

func lets(a rules.Action) bool { return a.Kind == rules.Allow || a.Kind == rules.Log }

// is32 reports whether an ABI passes 32-bit arguments.
func is32(arch string) bool {
	switch arch {
	case "x86", "x32", "arm", "mips", "mipsel", "mips64n32", "mipsel64n32", "ppc", "s390", "parisc":
		return true
	}
	return false
}

func condHolds(c rules.Cond, v uint64, narrow bool) bool {
	if narrow {
		c.Value &= 0xffffffff
		c.Mask &= 0xffffffff
		v &= 0xffffffff
	}
	return c.Matches(v)
}

// Action returns what the base does to a call.
func (b *Base) Action(arch string, nr uint32, args [6]uint64) rules.Action {
	if !b.arches[arch] {
		return rules.Action{Kind: rules.KillThread} // libseccomp's bad-arch action
	}
	name := filter.SyscallName(arch, nr)
	if name == "" {
		return b.def
	}
	narrow := is32(arch)
	var act rules.Action
	matched := false
	for _, r := range b.rules[name] {
		holds := true
		for _, c := range r.When {
			if !condHolds(c, args[c.Arg], narrow) {
				holds = false
				break
			}
		}
		if holds && (!matched || rules.Rank(r.Action) > rules.Rank(act)) {
			act, matched = r.Action, true
		}
	}
	if !matched {
		return b.def
	}
	return act
}

// Allows reports whether the base lets a call run.
func (b *Base) Allows(arch string, nr uint32, args [6]uint64) bool {
	return lets(b.Action(arch, nr, args))
}

// verdict is what the base says about a syscall whatever its arguments.
type verdict int

const (
	never   verdict = iota // not allowed, whatever the arguments
	always                 // allowed, whatever the arguments
	depends                // the arguments decide
)

// classify tells whether a syscall's arguments matter to the base. For
// depends it returns the allow rules; the filter can let a call through
// in the kernel only when no deny rule could hold beside them.
func (b *Base) classify(arch string, nr uint32) (verdict, []rules.Rule, bool) {
	if !b.arches[arch] {
		return never, nil, false
	}
	name := filter.SyscallName(arch, nr)
	if name == "" {
		if lets(b.def) {
			return always, nil, false
		}
		return never, nil, false
	}
	rs := b.rules[name]
	var allows []rules.Rule
	anyDeny, uncondAllow, uncondDeny := false, false, false
	for _, r := range rs {
		if lets(r.Action) {
			allows = append(allows, r)
			uncondAllow = uncondAllow || len(r.When) == 0
		} else {
			anyDeny = true
			uncondDeny = uncondDeny || len(r.When) == 0
		}
	}
	switch {
	case uncondDeny:
		return never, nil, false
	case anyDeny:
		// A conditional deny: decided here, call by call.
		return depends, nil, false
	case uncondAllow || lets(b.def):
		return always, nil, false
	case len(allows) == 0:
		return never, nil, false
	}
	// Only conditional allow rules and a denying default: the kernel lets
	// a call through when one of them holds.
	return depends, slices.Clone(allows), true
}

// allowsSeen reports whether the base allows every call a recorded kind of
// call stands for, knowing only what the recording keeps of it: the
// syscall, and the chosen arguments' bits (Call.Values). That is the case
// when the base allows the syscall whatever its arguments, or when each of
// its rules for the syscall reads only those bits (a masked compare within
// the recorded mask, as an earlier recording's conditions are) and they
// allow the call. When a rule reads more, the answer is no: the call is
// recorded again, which adds nothing the program did not do.
func (b *Base) allowsSeen(c Call) bool {
	switch v, _, _ := b.classify(c.Arch, c.Nr); v {
	case always:
		return true
	case never:
		return false
	}
	name := c.Name()
	specs := chosenArgs[name]
	if c.AnyArgs || len(specs) == 0 {
		return false
	}
	var args [6]uint64
	known := map[uint]uint64{}
	for i, s := range specs {
		args[s.index], known[s.index] = c.Values[i], s.mask
	}
	narrow := is32(c.Arch)
	for _, r := range b.rules[name] {
		for _, cond := range r.When {
			m, ok := known[cond.Arg]
			mask := cond.Mask
			if narrow {
				mask &= 0xffffffff
			}
			if !ok || cond.Op != rules.OpMaskedEQ || mask&^m != 0 {
				return false
			}
		}
	}
	return b.Allows(c.Arch, c.Nr, args)
}
