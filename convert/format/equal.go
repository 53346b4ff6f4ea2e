package format

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// DiffError lists how two profiles differ in meaning, one line per
// difference in the form "openat: errno(EPERM) vs allow".
type DiffError struct {
	Diffs []string
}

// maxDiffs is how many differences DiffError.Error spells out.
const maxDiffs = 10

func (e *DiffError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "profiles differ in %d place", len(e.Diffs))
	if len(e.Diffs) != 1 {
		b.WriteByte('s')
	}
	b.WriteByte(':')
	for i, d := range e.Diffs {
		if i == maxDiffs {
			fmt.Fprintf(&b, "\n\t… and %d more", len(e.Diffs)-maxDiffs)
			break
		}
		b.WriteString("\n\t")
		b.WriteString(d)
	}
	return b.String()
}

// Equal reports whether two profiles mean the same thing to runc: nil when
// they do, a *DiffError listing the differences when they do not, and
// another error when either profile is invalid.
//
// Meaning is what runc loads: the default action, with SCMP_ACT_KILL read
// as SCMP_ACT_KILL_THREAD and an errno action without errnoRet as EPERM;
// the architectures and flags as sets; listenerPath and listenerMetadata;
// and for each syscall name the set of cases (action and conjunction of
// conditions) that apply to it. A rule whose action equals the default is
// dropped, as runc drops it, and a rule with several conditions on one
// argument index counts as one case per condition, as runc adds it.
//
// A nil and an empty flags list compare equal, although runc adds
// SECCOMP_FILTER_FLAG_SPEC_ALLOW for nil: the converters always write
// "flags" explicitly, so the difference never reaches runc from them.
func Equal(a, b *specs.LinuxSeccomp) error {
	if a == nil || b == nil {
		if a == b {
			return nil
		}
		desc := func(s *specs.LinuxSeccomp) string {
			if s == nil {
				return "none"
			}
			return "present"
		}
		return &DiffError{Diffs: []string{fmt.Sprintf("seccomp: %s vs %s", desc(a), desc(b))}}
	}
	ma, err := meaningOf(a)
	if err != nil {
		return fmt.Errorf("reading the first profile: %w", err)
	}
	mb, err := meaningOf(b)
	if err != nil {
		return fmt.Errorf("reading the second profile: %w", err)
	}
	var diffs []string
	if ma.def != mb.def {
		diffs = append(diffs, fmt.Sprintf("default action: %s vs %s", ma.def, mb.def))
	}
	if !slices.Equal(ma.arches, mb.arches) {
		diffs = append(diffs, fmt.Sprintf("architectures: %s vs %s", setString(ma.arches), setString(mb.arches)))
	}
	if !slices.Equal(ma.flags, mb.flags) {
		diffs = append(diffs, fmt.Sprintf("flags: %s vs %s", setString(ma.flags), setString(mb.flags)))
	}
	if a.ListenerPath != b.ListenerPath {
		diffs = append(diffs, fmt.Sprintf("listenerPath: %q vs %q", a.ListenerPath, b.ListenerPath))
	}
	if a.ListenerMetadata != b.ListenerMetadata {
		diffs = append(diffs, fmt.Sprintf("listenerMetadata: %q vs %q", a.ListenerMetadata, b.ListenerMetadata))
	}
	// runc's ENOSYS stub answers every number above the highest syscall
	// a profile names, rules it drops included.
	ba, bb := rules.StubBounds(a), rules.StubBounds(b)
	for _, arch := range slices.Sorted(maps.Keys(ba)) {
		if _, ok := bb[arch]; ok && ba[arch] != bb[arch] {
			diffs = append(diffs, fmt.Sprintf("ENOSYS above (runc's stub, %s): %s vs %s", arch, ba[arch], bb[arch]))
		}
	}
	names := map[string]bool{}
	for n := range ma.cases {
		names[n] = true
	}
	for n := range mb.cases {
		names[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if ea, eb := ma.effective(n), mb.effective(n); ea != eb {
			diffs = append(diffs, fmt.Sprintf("%s: %s vs %s", n, ea, eb))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return &DiffError{Diffs: diffs}
}

// meaning is a profile reduced to what runc makes of it.
type meaning struct {
	def    rules.Action
	arches []string // sorted, unique
	flags  []string
	cases  map[string]map[string]bool // syscall → cases
	uncond map[string]bool            // syscalls with an unconditional rule
}

func meaningOf(s *specs.LinuxSeccomp) (*meaning, error) {
	def, err := rules.ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	m := &meaning{def: def, cases: map[string]map[string]bool{}, uncond: map[string]bool{}}
	for _, a := range s.Architectures {
		m.arches = append(m.arches, string(a))
	}
	for _, f := range s.Flags {
		m.flags = append(m.flags, string(f))
	}
	m.arches, m.flags = sortedSet(m.arches), sortedSet(m.flags)

	for i, sc := range s.Syscalls {
		act, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		conds := make([]string, len(sc.Args))
		perIndex := map[uint]int{}
		for j, a := range sc.Args {
			c, err := rules.CondFromSpec(a)
			if err != nil {
				return nil, fmt.Errorf("syscalls[%d].args[%d]: %w", i, j, err)
			}
			conds[j] = c.String()
			perIndex[a.Index]++
		}
		if act == def {
			continue // runc drops it
		}
		var cases []string
		split := false
		for _, n := range perIndex {
			split = split || n > 1
		}
		if split {
			for _, c := range conds {
				cases = append(cases, act.String()+" when "+c)
			}
		} else {
			c := act.String()
			if conds = sortedSet(conds); len(conds) > 0 {
				c += " when " + strings.Join(conds, " && ")
			}
			cases = append(cases, c)
		}
		for _, n := range sc.Names {
			// libseccomp keeps a syscall's first unconditional rule and
			// ignores every other rule for it, before or after.
			if m.uncond[n] {
				continue
			}
			if len(sc.Args) == 0 {
				m.cases[n], m.uncond[n] = map[string]bool{}, true
			}
			if m.cases[n] == nil {
				m.cases[n] = map[string]bool{}
			}
			for _, c := range cases {
				m.cases[n][c] = true
			}
		}
	}
	return m, nil
}

// effective describes what happens to one syscall: its cases, and the
// default when none of them is unconditional.
func (m *meaning) effective(name string) string {
	cases := slices.Sorted(maps.Keys(m.cases[name]))
	if len(cases) == 0 {
		return m.def.String()
	}
	unconditional := false
	for _, c := range cases {
		unconditional = unconditional || !strings.Contains(c, " when ")
	}
	s := strings.Join(cases, "; ")
	if !unconditional {
		s += "; otherwise " + m.def.String()
	}
	return s
}

func sortedSet(s []string) []string {
	sort.Strings(s)
	return slices.Compact(s)
}

func setString(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return "[" + strings.Join(s, ", ") + "]"
}
