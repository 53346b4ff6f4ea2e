package libseccompc

import (
	"slices"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// asLibseccomp keeps the rules that libseccomp's filter keeps when the
// calls come in this order (measured with libseccomp 2.5.4 and
// seccomp_export_pfc), one syscall per rule:
//   - once a syscall has an unconditional rule, later rules for it change
//     nothing (seccomp_rule_add returns 0);
//   - an unconditional rule replaces the conditional rules before it;
//   - a conditional rule with the conditions of an earlier one and another
//     action fails with EEXIST, and the filter keeps the first. Whether
//     the program then goes on depends on whether it checks the result,
//     which this reader cannot tell, so such a rule is refused.
func (p *lscParser) asLibseccomp(rs []rules.Rule) []rules.Rule {
	var out []rules.Rule
	gone := map[int]bool{}
	bySyscall := map[string][]int{} // indices into out
	for _, r := range rs {
		name := r.Syscalls[0].Name
		prev := bySyscall[name]
		if u := slices.IndexFunc(prev, func(i int) bool { return len(out[i].When) == 0 && !gone[i] }); u >= 0 {
			first := out[prev[u]]
			if r.Action != first.Action || len(r.When) > 0 {
				p.notef(r.Pos, "seccomp_rule_add: changes nothing: libseccomp keeps the unconditional rule for %s at line %d (%s) and ignores this one", name, first.Pos.Line, first.Action)
			}
			continue
		}
		if len(r.When) == 0 {
			for _, i := range prev {
				if gone[i] {
					continue
				}
				if out[i].Action != r.Action {
					p.notef(out[i].Pos, "seccomp_rule_add: the rule for %s here (%s) is replaced by the unconditional one at line %d (%s), as libseccomp replaces it", name, out[i].Action, r.Pos.Line, r.Action)
				}
				gone[i] = true
			}
		} else if k := slices.IndexFunc(prev, func(i int) bool { return !gone[i] && sameCondSet(out[i].When, r.When) }); k >= 0 {
			first := out[prev[k]]
			if first.Action != r.Action {
				p.errorf(r.Pos, "seccomp_rule_add: libseccomp refuses this rule (EEXIST): the call at line %d already gives %s the action %s under the same conditions. The filter keeps the first; a program that checks the result never loads it. Remove one of the two",
					first.Pos.Line, name, first.Action)
			}
			continue
		}
		bySyscall[name] = append(bySyscall[name], len(out))
		out = append(out, r)
	}
	kept := out[:0]
	for i, r := range out {
		if !gone[i] {
			kept = append(kept, r)
		}
	}
	return kept
}

// sameCondSet reports whether two rules compare the same arguments the
// same way, in any order.
func sameCondSet(a, b []rules.Cond) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		x.Pos = rules.Pos{}
		if !slices.ContainsFunc(b, func(y rules.Cond) bool { y.Pos = rules.Pos{}; return x == y }) {
			return false
		}
	}
	return true
}
