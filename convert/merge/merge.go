// Package merge is the union of seccomp profiles by meaning: a call is
// allowed by the merged profile when any of the inputs allows it.
//
// It is meant for recordings (oci-sbx record), which deny by default and
// allow what a run did, so that several runs, replicas or containers give
// one profile. The union is taken per syscall and per argument condition:
// a syscall some input allows unconditionally is allowed unconditionally;
// otherwise the merged profile allows each distinct condition any input
// allows it under. Architectures are the union of the inputs'. A rule's
// comment in the form record writes ("N calls by EXE (n), …") is summed
// across inputs; other comments are joined.
package merge

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/conversion"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Input is one profile to merge, as read from a file.
type Input struct {
	Name string // for messages
	Data []byte
}

// Options steer Merge.
type Options struct {
	// From is the inputs' format; empty guesses each one's.
	From convert.Format
	// Warn receives notes; it may be nil.
	Warn func(string)
}

// Merge returns the union of the inputs. Each must deny by default: the
// union of a denylist with anything cannot be written as one profile of
// rules by name.
func Merge(inputs []Input, opt Options) (*rules.Profile, error) {
	warn := func(format string, args ...any) {
		if opt.Warn != nil {
			opt.Warn(fmt.Sprintf(format, args...))
		}
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("merging: no profiles")
	}
	out := &rules.Profile{HasDefault: true}
	arches := map[string]bool{}
	type cases struct {
		log      bool // an input logs the call: the merged profile does too
		allow    bool // an input allows it without logging
		uncond   bool
		conds    map[string][]rules.Cond
		comments map[string][]string // by condition key ("" unconditional)
	}
	allow := map[string]*cases{}
	denies := map[string][]deny{}
	var defaults []deny
	type inArches struct {
		name   string
		arches []string
	}
	var inputArches []inArches
	var named []string // every syscall an input names, for runc's ENOSYS stub

	for _, in := range inputs {
		s, err := convert.Read(in.Name, in.Data, opt.From, convert.Options{Warn: opt.Warn})
		if err != nil {
			return nil, fmt.Errorf("merging %q: %w", in.Name, err)
		}
		p, err := rules.FromSeccomp(s)
		if err != nil {
			return nil, fmt.Errorf("merging %q: %w", in.Name, err)
		}
		if lets(p.Default) {
			return nil, fmt.Errorf("merging %q: its default action is %s: merge joins profiles that deny by default (recordings)", in.Name, p.Default)
		}
		// Merged, the stricter of two denials wins where their conditions
		// overlap; under runc, the one listed first. Where an input lists
		// the less strict first, say so.
		for _, name := range laterStricter(s) {
			warn("%s: %s has conditional denials of two actions, the less strict listed first: where their conditions overlap, runc gives the first, the merged profile the stricter", in.Name, name)
		}
		defaults = append(defaults, deny{rules.Rule{Action: p.Default}, in.Name})
		own := []string{syscalls.NativeArch()}
		if len(p.Architectures) > 0 {
			own = own[:0]
			for _, a := range p.Architectures {
				own = append(own, a.Name)
			}
		}
		sort.Strings(own)
		for _, a := range own {
			arches[a] = true
		}
		inputArches = append(inputArches, inArches{in.Name, own})
		comments := commentsOf(in, opt.From)
		for _, r := range p.Rules {
			for _, n := range r.Syscalls {
				named = append(named, n.Name)
				if !lets(r.Action) {
					if r.Action != p.Default {
						denies[n.Name] = append(denies[n.Name], deny{r, in.Name})
					}
					continue
				}
				c := allow[n.Name]
				if c == nil {
					c = &cases{conds: map[string][]rules.Cond{}, comments: map[string][]string{}}
					allow[n.Name] = c
				}
				c.log = c.log || r.Action.Kind == rules.Log
				c.allow = c.allow || r.Action.Kind == rules.Allow
				key := condKey(r.When)
				if len(r.When) == 0 {
					c.uncond = true
				} else if _, ok := c.conds[key]; !ok {
					c.conds[key] = r.When
				}
				if cm := comments[n.Name+"\x00"+key]; cm != "" {
					c.comments[key] = append(c.comments[key], withArches(cm, p.Architectures))
				}
			}
		}
	}

	// The inputs' defaults may differ: the merged one is the strictest,
	// as for an explicit denial, so that the order of the inputs does not
	// matter.
	out.Default = strictest(defaults).rule.Action
	for _, d := range defaults {
		if d.rule.Action != out.Default {
			warn("%s denies by default with %s: the merged profile uses the strictest default of its inputs, %s", d.from, d.rule.Action, out.Default)
		}
	}
	for name, ds := range denies {
		// A denial that says what the merged default says adds nothing.
		ds = slices.DeleteFunc(ds, func(d deny) bool { return len(d.rule.When) == 0 && d.rule.Action == out.Default })
		if len(ds) == 0 {
			delete(denies, name)
		} else {
			denies[name] = ds
		}
	}

	all := slices.Sorted(maps.Keys(arches))
	for _, a := range all {
		out.Architectures = append(out.Architectures, rules.Name{Name: a})
	}
	// A rule by name applies on every architecture the profile lists:
	// where the inputs list different ones, what one allowed on its own
	// architectures the merged profile allows on the others too. Rules,
	// OCI and Docker cannot say otherwise; the comments keep where each
	// call was seen.
	sort.Slice(inputArches, func(i, j int) bool { return inputArches[i].name < inputArches[j].name })
	for _, ia := range inputArches {
		if len(ia.arches) != len(all) {
			warn("%s covers %s, the merged profile %s: its allows apply on every one of them (a rule names a syscall, not an architecture); the comments say where each call was seen",
				ia.name, strings.Join(ia.arches, ", "), strings.Join(all, ", "))
		}
	}

	names := make([]string, 0, len(allow)+len(denies))
	for n := range allow {
		names = append(names, n)
	}
	for n := range denies {
		if allow[n] == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		c := allow[name]
		if c == nil {
			// Denied explicitly, allowed nowhere: every denial, strictest
			// first, once each, up to the first unconditional one (which
			// leaves the rest nothing); where their conditions overlap
			// the stricter wins, as it does in each input. The strictest
			// alone would drop the others' conditions.
			seen := map[string]bool{}
			for _, d := range sortedDenies(denies[name]) {
				key := d.rule.Action.String() + "\x00" + condKey(d.rule.When)
				if seen[key] {
					continue
				}
				seen[key] = true
				out.Rules = append(out.Rules, rules.Rule{Syscalls: []rules.Name{{Name: name}}, Action: d.rule.Action, When: d.rule.When, Comment: d.rule.Comment})
				if len(d.rule.When) == 0 {
					break
				}
			}
			continue
		}
		for _, d := range sortedDenies(denies[name]) {
			warn("%s: %s's %s gives way to an allow of another input", name, d.from, d.rule.Action)
		}
		// A call an input logs stays logged: log lets it through as allow
		// does, and the log is what that input asked for.
		lets := rules.Action{Kind: rules.Allow}
		if c.log {
			lets.Kind = rules.Log
			if c.allow {
				warn("%s: logged wherever it is allowed, since an input logs it (merge keeps that a call is logged, not under which conditions)", name)
			}
		}
		if c.uncond {
			var all []string
			for _, k := range sortedKeys(c.comments) {
				all = append(all, c.comments[k]...)
			}
			cm := mergeComments(all, len(out.Architectures) > 1)
			out.Rules = append(out.Rules, rules.Rule{Syscalls: []rules.Name{{Name: name}}, Action: lets, Comment: cm})
			continue
		}
		for _, k := range sortedKeys(c.conds) {
			out.Rules = append(out.Rules, rules.Rule{Syscalls: []rules.Name{{Name: name}}, Action: lets,
				When: c.conds[k], Comment: mergeComments(c.comments[k], len(out.Architectures) > 1)})
		}
	}
	// runc's ENOSYS stub answers every number above the highest syscall a
	// profile names, denials with the default action included: name
	// again, with the default action, those that set it in the inputs.
	// runc adds the machine's own architecture, which has a stub too.
	stubArches := all
	if n := syscalls.NativeArch(); !slices.Contains(all, n) {
		stubArches = append(slices.Clone(all), n)
	}
	var keep []rules.Name
	for _, n := range rules.StubNames(stubArches, named) {
		if allow[n] == nil && denies[n] == nil {
			keep = append(keep, rules.Name{Name: n})
		}
	}
	defAct, defRet := out.Default.Spec()
	if len(keep) > 0 && rules.StubBounds(&specs.LinuxSeccomp{DefaultAction: defAct, DefaultErrnoRet: defRet}) != nil {
		out.Rules = append(out.Rules, rules.Rule{Syscalls: keep, Action: out.Default})
	}
	return out, nil
}

// laterStricter lists the syscalls for which s has a conditional denial
// listed after a less strict one.
func laterStricter(s *specs.LinuxSeccomp) []string {
	firsts := map[string]rules.Action{}
	var out []string
	for _, sc := range s.Syscalls {
		a, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil || len(sc.Args) == 0 || lets(a) {
			continue
		}
		for _, n := range sc.Names {
			f, ok := firsts[n]
			switch {
			case !ok:
				firsts[n] = a
			case rules.Rank(a) > rules.Rank(f) && !slices.Contains(out, n):
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return out
}

// deny is an input's denial of a syscall (or its default: a rule without
// syscalls).
type deny struct {
	rule rules.Rule
	from string
}

func lets(a rules.Action) bool { return a.Kind == rules.Allow || a.Kind == rules.Log }

// sortedDenies orders denials strictest first, as the kernel ranks
// actions; denials of one rank by the action's text (errno(EACCES) before
// errno(EPERM)), then conditions, comment and input name, so that every
// choice among them is the same whatever the order of the inputs.
func sortedDenies(ds []deny) []deny {
	out := slices.Clone(ds)
	slices.SortStableFunc(out, func(a, b deny) int {
		if ra, rb := rules.Rank(a.rule.Action), rules.Rank(b.rule.Action); ra != rb {
			return rb - ra
		}
		for _, c := range [][2]string{
			{a.rule.Action.String(), b.rule.Action.String()},
			{condKey(a.rule.When), condKey(b.rule.When)},
			{a.rule.Comment, b.rule.Comment},
			{a.from, b.from},
		} {
			if c[0] != c[1] {
				return strings.Compare(c[0], c[1])
			}
		}
		return 0
	})
	return out
}

// strictest is the denial a merged profile keeps of several.
func strictest(ds []deny) deny { return sortedDenies(ds)[0] }

// condKey is a condition list in a canonical order: the same conditions
// written in another order are the same case.
func condKey(cs []rules.Cond) string {
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.String()
	}
	sort.Strings(keys)
	return strings.Join(keys, " && ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// commentsOf reads the rule comments of a rules input, by syscall and
// condition; other formats carry none.
func commentsOf(in Input, from convert.Format) map[string]string {
	if from == "" {
		from, _ = convert.Sniff(in.Data)
	}
	out := map[string]string{}
	if from != convert.Rules {
		return out
	}
	p, err := rules.Parse(in.Name, in.Data)
	if err != nil {
		return out
	}
	for _, r := range p.Rules {
		if r.Comment == "" {
			continue
		}
		for _, n := range r.Syscalls {
			out[n.Name+"\x00"+condKey(r.When)] = r.Comment
		}
	}
	return out
}

// CallsBy is the comment record writes on a rule: "12 calls by /bin/a
// (10), /bin/b (2)", naming at most four executables, most frequent first.
// mergeComments reads it back (seenRE) and sums it across inputs.
func CallsBy(count uint64, exes map[string]uint64) string {
	type ec struct {
		exe string
		n   uint64
	}
	list := make([]ec, 0, len(exes))
	for e, n := range exes {
		list = append(list, ec{e, n})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].exe < list[j].exe
	})
	var parts []string
	for i, e := range list {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("%d more", len(list)-4))
			break
		}
		if len(list) == 1 {
			parts = append(parts, e.exe)
		} else {
			parts = append(parts, fmt.Sprintf("%s (%d)", e.exe, e.n))
		}
	}
	calls := "calls"
	if count == 1 {
		calls = "call"
	}
	return fmt.Sprintf("%d %s by %s", count, calls, strings.Join(parts, ", "))
}

// seenRE matches what record writes: "[CALL: ]N call(s) by EXES[ (…)]".
var seenRE = regexp.MustCompile(`^(?:(.*?): )?(\d+) calls? by (.*?)(?: \(((?:also on|on) [^)]*)\))?$`)

// withArches makes explicit where a comment record wrote says its calls
// were seen: record leaves the machine's own architecture unsaid, and in
// a profile of one architecture says none. Merged with a profile of
// other architectures, that would read as "seen everywhere".
func withArches(comment string, arches []rules.Name) string {
	pieces := strings.Split(comment, "; ")
	for i, p := range pieces {
		m := seenRE.FindStringSubmatch(p)
		if m == nil || m[4] != "" {
			continue
		}
		on := syscalls.NativeArch()
		if len(arches) == 1 {
			on = arches[0].Name
		}
		pieces[i] = p + " (on " + on + " only)"
	}
	return strings.Join(pieces, "; ")
}

// seenOn reads the architectures of a comment's suffix (withArches makes
// every one have it).
func seenOn(suffix string, into map[string]bool) {
	native := syscalls.NativeArch()
	if list, ok := strings.CutPrefix(suffix, "also on "); ok {
		into[native] = true
		for a := range strings.SplitSeq(list, ", ") {
			into[a] = true
		}
		return
	}
	if list, ok := strings.CutPrefix(suffix, "on "); ok {
		for a := range strings.SplitSeq(strings.TrimSuffix(list, " only"), ", ") {
			into[a] = true
		}
	}
}

// ArchSuffix says where calls were seen, as a recorded rule's comment
// says it: " (also on x86)", " (on x86 only)", or nothing when on the
// machine's own architecture only or the profile has one.
func ArchSuffix(on map[string]bool, multiArch bool) string {
	if !multiArch || len(on) == 0 {
		return ""
	}
	native := syscalls.NativeArch()
	var others []string
	for a := range on {
		if a != native {
			others = append(others, a)
		}
	}
	sort.Strings(others)
	switch {
	case len(others) == 0:
		return ""
	case on[native]:
		return " (also on " + strings.Join(others, ", ") + ")"
	}
	return " (on " + strings.Join(others, ", ") + " only)"
}

// mergeComments sums record's counts and joins where they were seen;
// comments it cannot read are joined.
func mergeComments(cs []string, multiArch bool) string {
	if len(cs) == 0 {
		return ""
	}
	prefixes := map[string]bool{}
	on := map[string]bool{}
	var total uint64
	exes := map[string]uint64{}
	var other []string
	var pieces []string
	for _, c := range cs {
		pieces = append(pieces, strings.Split(c, "; ")...)
	}
	for _, c := range pieces {
		m := seenRE.FindStringSubmatch(c)
		if m == nil {
			if !slices.Contains(other, c) {
				other = append(other, c)
			}
			continue
		}
		prefixes[m[1]] = true
		seenOn(m[4], on)
		n, _ := strconv.ParseUint(m[2], 10, 64)
		total += n
		parts := strings.Split(m[3], ", ")
		if len(parts) == 1 && !strings.HasSuffix(parts[0], ")") {
			exes[parts[0]] += n
			continue
		}
		for _, p := range parts {
			i := strings.LastIndex(p, " (")
			if i < 0 || !strings.HasSuffix(p, ")") {
				continue // "N more"
			}
			k, _ := strconv.ParseUint(p[i+2:len(p)-1], 10, 64)
			exes[p[:i]] += k
		}
	}
	var out string
	if total > 0 {
		out = CallsBy(total, exes) + ArchSuffix(on, multiArch)
		// A call's arguments head the count only when every count was
		// of that one call.
		for p := range prefixes {
			if len(prefixes) == 1 && p != "" {
				out = p + ": " + out
			}
		}
	}
	// Comments of other kinds in a fixed order: the inputs' order does
	// not show in the output.
	sort.Strings(other)
	return joinNonEmpty(append([]string{out}, other...)...)
}

func joinNonEmpty(ss ...string) string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

// Header is the comment a merged profile starts with. It names the inputs
// sorted, like everything else in the output: merging A and B writes the
// same bytes as merging B and A.
func Header(version string, names []string) string {
	names = slices.Clone(names)
	sort.Strings(names)
	return fmt.Sprintf("# Merged by oci-sbx %s from %s: allows what any of them allows.\n", version, strings.Join(names, ", "))
}

// Spec is the merged profile compiled for runc, for writing in formats
// other than rules.
func Spec(p *rules.Profile, warn func(string)) (*specs.LinuxSeccomp, error) {
	return p.Compile(rules.CompileOptions{Warn: func(e *rules.Error) {
		if warn != nil {
			warn(e.Error())
		}
	}})
}

// Output says how Profile writes the union.
type Output struct {
	// To is the format (rules when empty); Version is oci-sbx's, for the
	// header.
	To      convert.Format
	Version string
	// Strict refuses engine output that runc cannot start under, rather
	// than saying so (conversion.CheckStart).
	Strict bool
	// Alert hears what is never silenced: that runc cannot start under
	// the output. It may be nil.
	Alert func(string)
	// Check, if set, holds the union to runc's loader (program.Check)
	// and refuses it on what it finds.
	Check func(*specs.LinuxSeccomp) error
}

// Profile merges the inputs (Merge) and writes their union to w in o.To,
// after a header naming them, refusing or alerting where runc could not
// start under engine output.
func Profile(w io.Writer, inputs []Input, opt Options, o Output) error {
	p, err := Merge(inputs, opt)
	if err != nil {
		return err
	}
	to := o.To
	if to == "" {
		to = convert.Rules
	}
	names := make([]string, len(inputs))
	for i, in := range inputs {
		names[i] = in.Name
	}
	check := func(s *specs.LinuxSeccomp) error {
		if err := conversion.CheckStart(s, to, strings.Join(names, "+"), o.Strict, o.Alert); err != nil {
			return err
		}
		if o.Check == nil {
			return nil
		}
		if err := o.Check(s); err != nil {
			return fmt.Errorf("refusing to write the merged profile: %w", err)
		}
		return nil
	}
	return Write(w, p, to, Header(o.Version, names), convert.Options{Warn: opt.Warn}, check)
}

// Write writes the merged profile in format to, after header (comment
// lines): rules keep their comments (how often, by which executables);
// the other formats get the profile compiled for runc (Spec), and of them
// only spo, YAML, has a place for the header. check (when not nil) may
// refuse the compiled profile first, whatever the format.
func Write(w io.Writer, p *rules.Profile, to convert.Format, header string, opt convert.Options, check func(*specs.LinuxSeccomp) error) error {
	warn := opt.Warn
	if to == convert.Rules {
		warn = nil // the rules say it themselves
	}
	s, err := Spec(p, warn)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(s); err != nil {
			return err
		}
	}
	if to == convert.Rules {
		_, err := io.WriteString(w, header+p.String())
		return err
	}
	var buf bytes.Buffer
	if to == convert.SPO {
		buf.WriteString(header)
	}
	if err := convert.Write(&buf, s, to, opt); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
