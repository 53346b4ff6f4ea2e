package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Precedence: what a syscall gets when several rules name it.
//
// In a rules document the stricter action wins, ranked as the kernel ranks
// the results of stacked filters, whatever the order of the rules and
// whether they come from a group, a name or an extended base. runc and
// libseccomp decide otherwise (runc drops a rule whose action is the
// default; libseccomp keeps a syscall's first unconditional rule and
// ignores the rest), so the compiler writes out the winner's meaning: a
// weaker rule keeps only the argument values no stricter rule matches,
// which it says with negated conditions, or the document is refused where
// seccomp cannot say that.

// Rank orders actions as the kernel orders the results of stacked filters:
// kill-process > kill-thread > trap > errno > notify > trace > log > allow.
func Rank(a Action) int {
	switch a.Kind {
	case KillProcess:
		return 7
	case KillThread:
		return 6
	case Trap:
		return 5
	case Errno:
		return 4
	case Notify:
		return 3
	case Trace:
		return 2
	case Log:
		return 1
	}
	return 0
}

// Negate returns conditions of which one holds exactly where c does not
// (an OR): the opposite comparison, or for a masked equality one
// single-bit masked equality per bit of the mask (x & m != v holds when
// some bit of m differs from v's).
func Negate(c Cond) []Cond {
	n := c
	switch c.Op {
	case OpEQ:
		n.Op = OpNE
	case OpNE:
		n.Op = OpEQ
	case OpLT:
		n.Op = OpGE
	case OpGE:
		n.Op = OpLT
	case OpLE:
		n.Op = OpGT
	case OpGT:
		n.Op = OpLE
	case OpMaskedEQ:
		if c.Mask == ^uint64(0) {
			return []Cond{{Arg: c.Arg, Op: OpNE, Value: c.Value, Pos: c.Pos}}
		}
		var out []Cond
		for bit := uint64(1); bit != 0; bit <<= 1 {
			if c.Mask&bit != 0 {
				out = append(out, Cond{Arg: c.Arg, Op: OpMaskedEQ, Mask: bit, Value: (c.Value & bit) ^ bit, Pos: c.Pos})
			}
		}
		return out // none for a zero mask, which always holds
	}
	return []Cond{n}
}

// meeting is what two conditions on one argument are together.
type meeting int

const (
	meetOne     meeting = iota // one condition says both
	meetNever                  // no value satisfies both
	meetUnknown                // both can hold, but not as one condition
)

// interval returns the values a comparison admits as [lo, hi].
func interval(c Cond) (lo, hi uint64, ok bool) {
	switch c.Op {
	case OpEQ:
		return c.Value, c.Value, true
	case OpGT:
		if c.Value == ^uint64(0) {
			return 1, 0, true
		}
		return c.Value + 1, ^uint64(0), true
	case OpGE:
		return c.Value, ^uint64(0), true
	case OpLT:
		if c.Value == 0 {
			return 1, 0, true
		}
		return 0, c.Value - 1, true
	case OpLE:
		return 0, c.Value, true
	}
	return 0, 0, false
}

// meet ANDs two conditions on one argument.
func meet(a, b Cond) (Cond, meeting) {
	if lo, hi, ok := interval(a); ok && lo > hi {
		return Cond{}, meetNever
	}
	if lo, hi, ok := interval(b); ok && lo > hi {
		return Cond{}, meetNever
	}
	if b.Op == OpEQ {
		a, b = b, a
	}
	if a.Op == OpEQ {
		if b.Matches(a.Value) {
			return a, meetOne
		}
		return Cond{}, meetNever
	}
	if a.Op == b.Op && a.Mask == b.Mask && a.Value == b.Value {
		return a, meetOne
	}
	if a.Op == OpMaskedEQ && b.Op == OpMaskedEQ {
		overlap := a.Mask & b.Mask
		if a.Value&overlap != b.Value&overlap {
			return Cond{}, meetNever
		}
		return Cond{Arg: a.Arg, Op: OpMaskedEQ, Mask: a.Mask | b.Mask, Value: a.Value | b.Value, Pos: a.Pos}, meetOne
	}
	if b.Op == OpNE {
		a, b = b, a
	}
	if a.Op == OpNE {
		if !b.Matches(a.Value) {
			return b, meetOne // b already excludes the value
		}
		if lo, hi, ok := interval(b); ok {
			switch {
			case lo == hi:
				return Cond{}, meetNever
			case a.Value == lo && hi == ^uint64(0):
				return Cond{Arg: b.Arg, Op: OpGT, Value: lo, Pos: b.Pos}, meetOne
			case a.Value == hi && lo == 0:
				return Cond{Arg: b.Arg, Op: OpLT, Value: hi, Pos: b.Pos}, meetOne
			}
		}
		return Cond{}, meetUnknown
	}
	alo, ahi, aok := interval(a)
	blo, bhi, bok := interval(b)
	if !aok || !bok {
		return Cond{}, meetUnknown
	}
	lo, hi := max(alo, blo), min(ahi, bhi)
	switch {
	case lo > hi:
		return Cond{}, meetNever
	case lo == alo && hi == ahi:
		return a, meetOne
	case lo == blo && hi == bhi:
		return b, meetOne
	case lo == hi:
		return Cond{Arg: a.Arg, Op: OpEQ, Value: lo, Pos: a.Pos}, meetOne
	}
	return Cond{}, meetUnknown
}

// conjoin ANDs conditions into at most one per argument, in the order the
// arguments first appear. On meetUnknown, bad holds the two conditions
// that cannot be one.
func conjoin(cs []Cond) (out []Cond, m meeting, bad [2]Cond) {
	byArg := map[uint]int{}
	for _, c := range cs {
		i, seen := byArg[c.Arg]
		if !seen {
			byArg[c.Arg] = len(out)
			out = append(out, c)
			continue
		}
		merged, r := meet(out[i], c)
		switch r {
		case meetNever:
			return nil, meetNever, bad
		case meetUnknown:
			if m != meetUnknown {
				m, bad = meetUnknown, [2]Cond{out[i], c}
			}
			continue
		}
		out[i] = merged
	}
	if m == meetUnknown {
		return nil, m, bad
	}
	return out, meetOne, bad
}

// conjoinSplit ANDs neg onto conj. Where x != v cannot be ANDed with a
// bound on the same argument, it tries x < v and x > v apart (an OR of
// two cases, each one condition).
func conjoinSplit(conj []Cond, neg Cond) (out [][]Cond, bad [2]Cond, ok bool) {
	merged, m, bad := conjoin(append(slices.Clone(conj), neg))
	switch m {
	case meetOne:
		return [][]Cond{merged}, bad, true
	case meetNever:
		return nil, bad, true
	}
	if neg.Op != OpNE {
		return nil, bad, false
	}
	var halves []Cond
	if neg.Value > 0 {
		halves = append(halves, Cond{Arg: neg.Arg, Op: OpLT, Value: neg.Value, Pos: neg.Pos})
	}
	if neg.Value < ^uint64(0) {
		halves = append(halves, Cond{Arg: neg.Arg, Op: OpGT, Value: neg.Value, Pos: neg.Pos})
	}
	for _, h := range halves {
		merged, m, _ := conjoin(append(slices.Clone(conj), h))
		switch m {
		case meetNever:
			continue
		case meetUnknown:
			return nil, bad, false // name the condition as the rule wrote it
		}
		out = append(out, merged)
	}
	return out, bad, true
}

// Overlap reports whether some arguments satisfy both lists of
// conditions (each AND-ed), or might.
func Overlap(a, b []Cond) bool { return overlap(a, b) }

func overlap(a, b []Cond) bool {
	if plainlyDisjoint(a, b) {
		return false
	}
	_, m, _ := conjoin(append(slices.Clone(a), b...))
	return m != meetNever
}

// plainlyDisjoint is the quick answer for the usual case, rules that pin
// one argument to different values: an equality on an argument that a
// condition of the other list on it does not admit, or two masked
// equalities with one mask and different values. Anything else is left
// to conjoin, which is exact and slower (a syscall may have thousands of
// conditional rules, compared pairwise).
func plainlyDisjoint(a, b []Cond) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Arg != y.Arg {
				continue
			}
			switch {
			case x.Op == OpEQ && !y.Matches(x.Value), y.Op == OpEQ && !x.Matches(y.Value):
				return true
			case x.Op == OpMaskedEQ && y.Op == OpMaskedEQ && x.Mask == y.Mask && x.Value != y.Value:
				return true
			}
		}
	}
	return false
}

// maxCases bounds the cases one syscall's lowering may produce.
const maxCases = 64

// precedence resolves the rules a document gives one syscall: the
// stricter action wins wherever two rules' conditions overlap. It returns
// the cases to write, or reports an error and returns ok false.
func (c *compiler) precedence(name string, cs []syscallCase, def Action) ([]syscallCase, bool) {
	// The same case twice from one rule (a name repeated in its list)
	// says nothing new; the comparisons below take time in the square of
	// the cases.
	seenCase := map[string]bool{}
	uniq := cs[:0:0]
	for _, sc := range cs {
		key := fmt.Sprintf("%p|%v|%s|%s", sc.rule, sc.derived, sc.action.String(), condsKey(sc.when))
		if !seenCase[key] {
			seenCase[key] = true
			uniq = append(uniq, sc)
		}
	}
	cs = uniq
	ranks := make([]int, len(cs))
	order := make([]int, len(cs))
	for i := range order {
		order[i], ranks[i] = i, Rank(cs[i].action)
	}
	sort.SliceStable(order, func(i, j int) bool { return ranks[order[i]] > ranks[order[j]] })
	// stronger[x]: how many cases, from the front of order, rank above
	// order[x] (order is sorted by rank, strictest first); mixed[x]:
	// whether the cases of order[x]'s rank hold more than one action, the
	// only way two of them can conflict.
	stronger := make([]int, len(order))
	mixed := make([]bool, len(order))
	for x := range order {
		if x > 0 && ranks[order[x]] == ranks[order[x-1]] {
			stronger[x] = stronger[x-1]
		} else {
			stronger[x] = x
		}
	}
	for x := 0; x < len(order); {
		end, m := x, false
		for end < len(order) && stronger[end] == stronger[x] {
			m = m || cs[order[end]].action != cs[order[x]].action
			end++
		}
		for ; x < end; x++ {
			mixed[x] = m
		}
	}

	// Equally strict and different (errno(EPERM) beside errno(EACCES)):
	// no ranking decides, so the author must.
	for x, i := range order {
		if !mixed[x] {
			continue
		}
		for _, j := range order[x+1:] {
			if ranks[i] != ranks[j] {
				break // sorted by rank: no more of the same
			}
			a, b := cs[i], cs[j]
			if a.action == b.action || !overlap(a.when, b.when) {
				continue
			}
			first, second := a, b
			if c.before(b.rule, a.rule) {
				first, second = b, a
			}
			k := lossKey{first.rule, second.rule, "conflict"}
			if _, seen := c.losses[k]; !seen {
				c.lossOrder = append(c.lossOrder, k)
			}
			c.losses[k] = append(c.losses[k], name)
			c.lossAction[k] = [2]Action{first.action, second.action}
			return nil, false
		}
	}

	var out []syscallCase
	for x, j := range order {
		weak := cs[j]
		if weak.action == def {
			out = append(out, weak) // dropped when written; the default decides there
			continue
		}
		dnf := [][]Cond{weak.when}
		for _, i := range order[:stronger[x]] {
			strong := cs[i]
			if !overlap(strong.when, weak.when) {
				continue
			}
			if len(strong.when) == 0 {
				c.lost(strong, weak, name)
				dnf = nil
				break
			}
			var next [][]Cond
			var negs []Cond
			for _, sc := range strong.when {
				negs = append(negs, Negate(sc)...)
			}
			for _, neg := range negs {
				for _, conj := range dnf {
					parts, bad, ok := conjoinSplit(conj, neg)
					if !ok {
						c.errorf(c.at(weak.rule), "%s: the %s here holds beside the stricter %s at %s only when %q and %q, which runc cannot AND on one argument: write conditions that never meet, or one rule",
							name, weak.action, strong.action, c.where(strong.rule), bad[0].String(), bad[1].String())
						return nil, false
					}
					next = append(next, parts...)
				}
			}
			if len(next) > maxCases {
				c.errorf(c.at(weak.rule), "%s: keeping the %s here apart from the stricter rules takes more than %d cases; simplify the conditions", name, weak.action, maxCases)
				return nil, false
			}
			dnf = next
			if len(dnf) == 0 {
				c.lost(strong, weak, name)
				break
			}
		}
		for _, conj := range dnf {
			out = append(out, syscallCase{action: weak.action, when: conj, rule: weak.rule, derived: weak.derived})
		}
	}

	// An unconditional case makes the others of its action redundant;
	// libseccomp would keep only the first anyway.
	uncond := map[Action]bool{}
	for _, sc := range out {
		if len(sc.when) == 0 {
			uncond[sc.action] = true
		}
	}
	var kept []syscallCase
	seen := map[string]bool{}
	for _, sc := range out {
		key := sc.action.String() + "|" + condsKey(sc.when)
		if (uncond[sc.action] && len(sc.when) > 0) || seen[key] {
			continue
		}
		seen[key] = true
		kept = append(kept, sc)
	}
	return kept, true
}

func condsKey(cs []Cond) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ",")
}

// lost notes a weaker rule that a stricter one overrides for a syscall
// wherever it would apply, where the author may not expect it.
func (c *compiler) lost(strong, weak syscallCase, name string) {
	var kind string
	switch {
	case c.base[strong.rule] && !c.base[weak.rule]:
		kind = "base"
	case len(weak.when) > 0 && len(strong.when) == 0 && !weak.derived:
		kind = "conditional"
	default:
		return // the stricter rule wins, as documented
	}
	k := lossKey{strong.rule, weak.rule, kind}
	if _, ok := c.losses[k]; !ok {
		c.lossOrder = append(c.lossOrder, k)
	}
	c.losses[k] = append(c.losses[k], name)
	c.lossAction[k] = [2]Action{strong.action, weak.action}
}

type lossKey struct {
	strong, weak *Rule
	kind         string
}

func (c *compiler) reportLosses() {
	for _, k := range c.lossOrder {
		names := slices.Compact(c.losses[k])
		acts := c.lossAction[k]
		switch k.kind {
		case "conflict":
			list := strings.Join(names, ", ")
			one := "it"
			if len(names) > 1 {
				one = "each"
			}
			c.errorf(c.at(k.weak), "%s: %s here and %s at %s are equally strict and disagree: give %s one of them, or conditions that never overlap",
				list, acts[1], acts[0], c.where(k.strong), one)
		case "base":
			verb := "keeps"
			if len(names) > 1 {
				verb = "keep"
			}
			c.warnf(c.at(k.weak), "extends %q: %s %s the base's %s: a group does not lift a denial of the base (name a syscall itself to replace what the base says about it)",
				c.p.Extends, strings.Join(names, ", "), verb, acts[0])
		case "conditional":
			this := "this conditional " + acts[1].String()
			if c.base[k.weak] {
				this = fmt.Sprintf("the conditional %s of extends %q", acts[1], c.p.Extends)
			}
			c.warnf(c.at(k.weak), "%s: %s never applies: the unconditional %s at %s is stricter and wins",
				strings.Join(names, ", "), this, acts[0], c.where(k.strong))
		}
	}
}

// at is where a rule was written: its action, else its start.
func (c *compiler) at(r *Rule) Pos {
	if r.ActionPos.IsValid() {
		return r.ActionPos
	}
	return r.Pos
}

// where names a rule in a message: file:line:col, or the base it came from.
func (c *compiler) where(r *Rule) string {
	if c.base[r] {
		return fmt.Sprintf("extends %q", c.p.Extends)
	}
	p := c.at(r)
	if !p.IsValid() {
		return "an earlier rule"
	}
	if c.p.File == "" {
		return fmt.Sprintf("line %d:%d", p.Line, max(p.Col, 1))
	}
	return fmt.Sprintf("%s:%d:%d", c.p.File, p.Line, max(p.Col, 1))
}

// before reports whether rule a comes before rule b in the document (a
// base's rules come first).
func (c *compiler) before(a, b *Rule) bool {
	if c.base[a] != c.base[b] {
		return c.base[a]
	}
	pa, pb := c.at(a), c.at(b)
	return pa.Line < pb.Line || pa.Line == pb.Line && pa.Col < pb.Col
}
