package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// LoaderHang is two rules of a profile for one syscall that libseccomp
// cannot hold together (measured with libseccomp 2.5.4 on x86_64):
// seccomp_rule_add loops forever on the second, so runc hangs as it
// starts the container, or (Exists) refuses it with EEXIST, so runc
// cannot start it.
type LoaderHang struct {
	Name          string
	First, Second int // indexes into the profile's syscalls
	Exists        bool
	// Arch is set where the rules meet on a multiplexer (Name, such as
	// socketcall) of that architecture.
	Arch string
}

// LoaderHangs finds the rules of s that libseccomp never finishes adding,
// as runc adds them: in order, each name on its own, a rule with the
// default action dropped, the conditions of a rule sorted by argument (a
// rule comparing one argument twice is one rule per condition), and
// nothing added for a syscall after its first unconditional rule.
//
// libseccomp keeps a syscall's rules as a tree of comparisons. Two rules
// that share their first comparisons and then compare different arguments
// branch below the last shared comparison; when that comparison is a
// range or an inequality (!=, <, <=, >, >=) and the later rule's next
// argument is higher than the next argument of the first rule that
// branched there, the insertion never ends. (Measured: an equality or a
// masked equality there, the same next argument, or a lower one all add
// at once; so do the same rules on 32-bit architectures.)
func LoaderHangs(s *specs.LinuxSeccomp) []LoaderHang {
	def, err := ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil
	}
	wide := wideArches(s.Architectures)
	var adds []treeAdd
	runcAdds(s, def, func(ad treeAdd) {
		if slices.ContainsFunc(wide, func(a string) bool { return syscalls.HasSyscall(a, ad.name) }) {
			adds = append(adds, ad)
		}
	})
	out := addToTrees(adds, true)
	// On an architecture that multiplexes calls (socket and the rest
	// through socketcall on x86), libseccomp files a call's rule on the
	// multiplexer too, with arg0 the call's number and the rule's other
	// conditions: there, rules of several calls and of the multiplexer
	// share one tree, where one may refuse another.
	// (Measured with libseccomp 2.5.4 on x86: "allow socket" then
	// "errno socket when arg0 == 40", or then "log socketcall when arg0
	// == 1", is refused.)
	for _, arch := range append(syscalls.ArchesFromSpec(s.Architectures), syscalls.NativeArch()) {
		adds = adds[:0]
		runcAdds(s, def, func(ad treeAdd) {
			mux, call, ok := syscalls.Subcall(arch, ad.name)
			if !ok {
				if syscalls.Subcalls(ad.name) == nil || !syscalls.HasSyscall(arch, ad.name) {
					return
				}
				mux = ad.name // the multiplexer's own rule
			} else {
				moved := []specs.LinuxSeccompArg{{Index: 0, Value: call, Op: specs.OpEqualTo}}
				for _, a := range ad.chain {
					if a.Index != 0 {
						moved = append(moved, a)
					}
				}
				ad.chain = moved
			}
			ad.name = mux
			adds = append(adds, ad)
		})
		for _, h := range addToTrees(adds, false) {
			if !slices.ContainsFunc(out, func(o LoaderHang) bool { return o.Name == h.Name }) {
				h.Arch = arch
				out = append(out, h)
			}
		}
	}
	return out
}

// treeAdd is one seccomp_rule_add as libseccomp sees it: a syscall, its
// conditions in argument order, the action, and the profile's rule it
// came from.
type treeAdd struct {
	name  string
	chain []specs.LinuxSeccompArg
	act   Action
	rule  int
}

// runcAdds calls add for each seccomp_rule_add runc makes for s, in
// order: each name of each rule, once for each set of conditions
// (runcConditions); a rule with the default action is dropped.
func runcAdds(s *specs.LinuxSeccomp, def Action, add func(treeAdd)) {
	for i, sc := range s.Syscalls {
		act, err := ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil || act == def {
			continue
		}
		for _, chain := range runcConditions(sc.Args) {
			for _, name := range sc.Names {
				add(treeAdd{name: name, chain: chain, act: act, rule: i})
			}
		}
	}
}

// addToTrees adds the rules to libseccomp's per-syscall trees in order
// and returns what it refuses (EEXIST: a rule ending where an earlier
// one of another action goes on, or the same conditions with another
// action) and, with hangs, what it never finishes adding (see
// LoaderHangs). After its first unconditional rule a syscall takes no
// more.
func addToTrees(adds []treeAdd, hangs bool) []LoaderHang {
	type node struct {
		arg      specs.LinuxSeccompArg
		children []*node
		rule     int     // the rule that made the node
		leaf     *Action // where a rule ends
	}
	// same reports whether every rule below n ends in act.
	var same func(n *node, act Action) bool
	same = func(n *node, act Action) bool {
		if n.leaf != nil && *n.leaf != act {
			return false
		}
		return !slices.ContainsFunc(n.children, func(c *node) bool { return !same(c, act) })
	}
	roots := map[string]*node{}
	closed := map[string]bool{}
	reported := map[string]bool{}
	var out []LoaderHang
	for _, ad := range adds {
		name, chain, act, i := ad.name, ad.chain, ad.act, ad.rule
		if closed[name] || reported[name] {
			continue
		}
		if len(chain) == 0 {
			closed[name] = true
			continue
		}
		n := roots[name]
		if n == nil {
			n = &node{rule: i}
			roots[name] = n
		}
		for k, a := range chain {
			j := slices.IndexFunc(n.children, func(c *node) bool { return c.arg == a })
			if j < 0 {
				if hangs && len(n.children) > 0 && a.Index > n.children[0].arg.Index && isRange(n.arg.Op) {
					reported[name] = true
					out = append(out, LoaderHang{Name: name, First: n.children[0].rule, Second: i})
				}
				n.children = append(n.children, &node{arg: a, rule: i})
				j = len(n.children) - 1
			}
			n = n.children[j]
			if n.leaf != nil && len(n.children) == 0 && k < len(chain)-1 {
				break // an earlier, shorter rule decides these calls
			}
			if k == len(chain)-1 {
				// A shorter rule with the action of the longer ones
				// below it replaces them; with another action, it is
				// refused, and runc stops there.
				if !same(n, act) {
					return append(out, LoaderHang{Name: name, First: n.rule, Second: i, Exists: true})
				}
				n.children, n.leaf = nil, &act
			}
		}
	}
	return out
}

// runcConditions is how runc hands a rule's conditions to libseccomp:
// one rule with all of them, or, when two compare the same argument, one
// rule for each; libseccomp orders each rule's by argument.
func runcConditions(args []specs.LinuxSeccompArg) [][]specs.LinuxSeccompArg {
	seen := map[uint]bool{}
	split := false
	for _, a := range args {
		split = split || seen[a.Index]
		seen[a.Index] = true
	}
	if !split {
		chain := slices.Clone(args)
		slices.SortStableFunc(chain, func(a, b specs.LinuxSeccompArg) int { return int(a.Index) - int(b.Index) })
		return [][]specs.LinuxSeccompArg{chain}
	}
	var out [][]specs.LinuxSeccompArg
	for _, a := range args {
		out = append(out, []specs.LinuxSeccompArg{a})
	}
	return out
}

// wideArches are the 64-bit architectures runc's filter for the list has
// (the host's own among them), where the insertion was measured to hang.
func wideArches(list []specs.Arch) []string {
	var out []string
	for _, a := range append(syscalls.ArchesFromSpec(list), syscalls.NativeArch()) {
		if strings.Contains(a, "64") || a == "s390x" {
			out = append(out, a)
		}
	}
	return out
}

func isRange(op specs.LinuxSeccompOperator) bool {
	switch op {
	case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpGreaterThan, specs.OpGreaterEqual:
		return true
	}
	return false
}

// checkLoaderHangs refuses rules libseccomp never finishes adding
// (LoaderHangs): runc would hang starting the container.
func (c *compiler) checkLoaderHangs(out *specs.LinuxSeccomp, from []*Rule) {
	const why = "seccomp_rule_add loops forever when two rules of a syscall share a range or != comparison and then compare different arguments, the later one a higher argument; runc would hang starting the container"
	for _, h := range LoaderHangs(out) {
		first, second := from[h.First], from[h.Second]
		if h.Exists {
			at, other := Pos{}, "an earlier rule"
			if second != nil {
				at = c.at(second)
			}
			if first != nil && first != second && first.Pos.IsValid() {
				other = "the one at " + c.where(first)
			}
			on := ""
			if h.Arch != "" {
				on = fmt.Sprintf(" on %s, where it moves the rules of the calls it multiplexes onto %s with arg0 the call's number and the conditions on arg0 dropped,", h.Arch, h.Name)
			}
			c.errorf(at, "%s: libseccomp%s refuses this rule (EEXIST) after %s, which goes on to compare other arguments with another action, so runc cannot start the container: give the two rules one action, or conditions that do not end inside each other", h.Name, on, other)
			continue
		}
		switch {
		case second == nil || !second.Pos.IsValid():
			c.errorf(Pos{}, "%s: libseccomp never finishes adding the rules for it (%s): compare the same arguments in each rule", h.Name, why)
		case first == second:
			c.errorf(c.at(second), "%s: the rules that take precedence split this rule into two for %s, and libseccomp never finishes adding the second (%s): compare the same arguments here as in the rules that take precedence", h.Name, h.Name, why)
		default:
			c.errorf(c.at(second), "%s: libseccomp never finishes adding this rule after the one at %s (%s): compare the same arguments in both rules", h.Name, c.where(first), why)
		}
	}
}
