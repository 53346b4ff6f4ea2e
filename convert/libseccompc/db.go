package libseccompc

import (
	"fmt"
	"slices"
	"strings"

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
	byConds := map[string]int{}     // syscall and condition set → the first conditional rule
	uncond := map[string]int{}      // syscall → its unconditional rule
	for _, r := range rs {
		name := r.Syscalls[0].Name
		prev := bySyscall[name]
		if u, ok := uncond[name]; ok {
			first := out[u]
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
			bySyscall[name] = nil
			uncond[name] = len(out)
		} else if k, ok := byConds[condKey(name, r.When)]; ok && !gone[k] {
			first := out[k]
			if first.Action != r.Action {
				p.errorf(r.Pos, "seccomp_rule_add: libseccomp refuses this rule (EEXIST): the call at line %d already gives %s the action %s under the same conditions. The filter keeps the first; a program that checks the result never loads it. Remove one of the two",
					first.Pos.Line, name, first.Action)
			}
			continue
		}
		if len(r.When) > 0 {
			if _, ok := byConds[condKey(name, r.When)]; !ok {
				byConds[condKey(name, r.When)] = len(out)
			}
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

// condKey names a syscall and a set of conditions, in any order, so that
// two rules that compare the same arguments the same way share it.
func condKey(name string, when []rules.Cond) string {
	parts := make([]string, len(when))
	for i, c := range when {
		parts[i] = fmt.Sprintf("%d %d %d %d", c.Arg, c.Op, c.Mask, c.Value)
	}
	slices.Sort(parts)
	return name + "\x00" + strings.Join(parts, "\x00")
}
