package record

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/merge"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Profile returns the least-privilege profile of a recording: it denies
// by default and allows each kind of call seen, on the architectures seen,
// with the recorded arguments as conditions. With a base, it is the base
// plus what the recording saw beyond it: the base's allow rules stay, its
// other rules stay too except for syscalls the recording saw, whose allow
// replaces them. notes says what the profile cannot express.
func Profile(rec *Recording, base *Base) (p *rules.Profile, notes []string, err error) {
	p = &rules.Profile{HasDefault: true, Default: rules.Action{Kind: rules.Errno, Ret: 1}}
	arches := map[string]bool{}
	var kept []rules.Rule
	if base != nil && base.Profile() != nil {
		if lets(base.Default()) {
			return nil, nil, fmt.Errorf("the base allows every call it does not name (default %s): a recording adds allows to a base that denies by default", base.Default())
		}
		bp, err := rules.FromSeccomp(base.Profile())
		if err != nil {
			return nil, nil, fmt.Errorf("reading the base profile: %w", err)
		}
		p.Default = bp.Default
		for _, a := range bp.Architectures {
			arches[a.Name] = true
		}
		if len(bp.Architectures) == 0 {
			arches[syscalls.NativeArch()] = true
		}
		kept = bp.Rules
	}

	calls, seen := rec.Calls()
	type group struct {
		uncond bool
		cases  map[[2]uint64][]Call
		all    []Call
	}
	byName := map[string]*group{}
	for _, c := range calls {
		if strings.HasPrefix(c.Arch, "audit-") {
			notes = append(notes, fmt.Sprintf("calls of an architecture libseccomp does not know (%s, number %d, %s): no profile can allow them", c.Arch, c.Nr, describe(seen[c])))
			continue
		}
		name := c.Name()
		if name == "" {
			notes = append(notes, fmt.Sprintf("%s syscall number %d has no name in libseccomp's tables (%s): no profile can allow it by name", c.Arch, c.Nr, describe(seen[c])))
			continue
		}
		arches[c.Arch] = true
		g := byName[name]
		if g == nil {
			g = &group{cases: map[[2]uint64][]Call{}}
			byName[name] = g
		}
		g.all = append(g.all, c)
		if c.AnyArgs || len(chosenArgs[name]) == 0 {
			g.uncond = true
		} else {
			g.cases[c.Values] = append(g.cases[c.Values], c)
		}
	}

	for a := range arches {
		p.Architectures = append(p.Architectures, rules.Name{Name: a})
	}
	sort.Slice(p.Architectures, func(i, j int) bool { return p.Architectures[i].Name < p.Architectures[j].Name })
	multiArch := len(p.Architectures) > 1

	// The base's allow rules, by syscall and conditions: a recorded case
	// the base already allows in the same words is not written twice (the
	// eBPF recorder leaves only what the base always allows in the
	// kernel, and counts the calls it allows under conditions).
	inBase := map[string]bool{}
	// The base's rules, without those that merely repeat the default and
	// without the recorded syscalls in its deny rules.
	for _, r := range kept {
		if r.Action == p.Default {
			continue
		}
		if !lets(r.Action) {
			var names []rules.Name
			for _, n := range r.Syscalls {
				if byName[n.Name] != nil {
					notes = append(notes, fmt.Sprintf("the base's %s for %s is replaced by an allow: the run needed it", r.Action, n.Name))
					continue
				}
				names = append(names, n)
			}
			if len(names) == 0 {
				continue
			}
			r.Syscalls = names
		}
		r.Comment = joinComment("from the base", r.Comment)
		p.Rules = append(p.Rules, r)
		if lets(r.Action) {
			for _, n := range r.Syscalls {
				inBase[caseKey(n.Name, r.When)] = true
			}
		}
	}

	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		g := byName[name]
		hidden := hiddenArgs[name]
		if inBase[caseKey(name, nil)] {
			continue
		}
		if g.uncond {
			comment := summarize(g.all, seen, multiArch)
			if len(chosenArgs[name]) > 0 {
				comment = fmt.Sprintf("more than %d distinct arguments: allowed whatever they are; %s", maxValues, comment)
			}
			p.Rules = append(p.Rules, rules.Rule{
				Syscalls: []rules.Name{{Name: name}}, Action: rules.Action{Kind: rules.Allow},
				Comment: joinComment(comment, hidden),
			})
			continue
		}
		vals := make([][2]uint64, 0, len(g.cases))
		for v := range g.cases {
			vals = append(vals, v)
		}
		sort.Slice(vals, func(i, j int) bool {
			if vals[i][0] != vals[j][0] {
				return vals[i][0] < vals[j][0]
			}
			return vals[i][1] < vals[j][1]
		})
		for _, v := range vals {
			if inBase[caseKey(name, conds(name, v))] {
				continue
			}
			comment := name + formatArgs(name, v) + ": " + summarize(g.cases[v], seen, multiArch)
			p.Rules = append(p.Rules, rules.Rule{
				Syscalls: []rules.Name{{Name: name}}, Action: rules.Action{Kind: rules.Allow},
				When: conds(name, v), Comment: joinComment(comment, hidden),
			})
		}
	}
	return p, notes, nil
}

// caseKey names an allow of a syscall under conditions, whatever their
// order.
func caseKey(name string, when []rules.Cond) string {
	keys := make([]string, len(when))
	for i, c := range when {
		keys[i] = c.String()
	}
	sort.Strings(keys)
	return name + "\x00" + strings.Join(keys, " && ")
}

func joinComment(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// summarize says how often calls were seen and by which executables.
func summarize(cs []Call, seen map[Call]Seen, multiArch bool) string {
	var total uint64
	exes := map[string]uint64{}
	on := map[string]bool{}
	for _, c := range cs {
		s := seen[c]
		total += s.Count
		for e, n := range s.Exes {
			exes[e] += n
		}
		on[c.Arch] = true
	}
	// The other ABIs are named; the native one goes without saying.
	return describe(Seen{Count: total, Exes: exes}) + merge.ArchSuffix(on, multiArch)
}

// describe prints "12 calls by /bin/a (10), /bin/b (2)", the form merge
// reads back.
func describe(s Seen) string { return merge.CallsBy(s.Count, s.Exes) }

// Header is the provenance a recorded profile carries as comments.
type Header struct {
	Command   []string
	Kernel    string // uname: release and machine
	Date      string
	Version   string // of oci-sbx
	Base      string // the base profile's file, if any
	Status    string // how the command ended
	Leftovers []Process
	Notes     []string
	Arches    []string // observed
}

// String prints the header as "#" lines.
func (h Header) String() string {
	var b strings.Builder
	line := func(format string, args ...any) {
		for l := range strings.SplitSeq(fmt.Sprintf(format, args...), "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	line("Recorded by oci-sbx %s on %s.", h.Version, h.Date)
	line("Command: %s (%s)", shellQuote(h.Command), h.Status)
	seenOn := strings.Join(h.Arches, ", ")
	if seenOn == "" {
		seenOn = "none (no call was recorded)"
	}
	line("Kernel: %s; architectures seen: %s", h.Kernel, seenOn)
	if h.Base != "" {
		line("Base: %s. This profile is the base plus what the run needed beyond it.", h.Base)
		line("Deny by default: it allows what the base allows and the calls the run made, nothing else.")
	} else {
		line("Deny by default: it allows the calls the run made and nothing else.")
	}
	line("Coverage is what the run exercised: record more runs and join them with oci-sbx merge.")
	if len(h.Leftovers) > 0 {
		line("Still running when the command exited (their later calls are not recorded):")
		for _, p := range h.Leftovers {
			line("  %s", p)
		}
	}
	for _, n := range h.Notes {
		line("Note: %s", n)
	}
	return b.String()
}

func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// observedArches lists the architectures a recording saw.
func observedArches(rec *Recording) []string {
	calls, _ := rec.Calls()
	var out []string
	for _, c := range calls {
		if !slices.Contains(out, c.Arch) {
			out = append(out, c.Arch)
		}
	}
	sort.Strings(out)
	return out
}
