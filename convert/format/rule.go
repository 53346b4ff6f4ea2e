package format

import "github.com/opencontainers/runtime-spec/specs-go"

// SplitRule gives the names of r for which move reports true another
// action (and errnoRet): it returns r with the other names, then a rule
// under the same conditions with the moved names and the new action,
// leaving out a side with no names. Reporting denials, recording within
// an engine's profile and softening an engine's kills past runc's load
// all change some names of a rule this way.
func SplitRule(r specs.LinuxSyscall, move func(name string) bool, action specs.LinuxSeccompAction, errnoRet *uint) []specs.LinuxSyscall {
	var keep, moved []string
	for _, n := range r.Names {
		if move(n) {
			moved = append(moved, n)
		} else {
			keep = append(keep, n)
		}
	}
	var out []specs.LinuxSyscall
	if len(keep) > 0 {
		k := r
		k.Names = keep
		out = append(out, k)
	}
	if len(moved) > 0 {
		m := r
		m.Names, m.Action, m.ErrnoRet = moved, action, errnoRet
		out = append(out, m)
	}
	return out
}
