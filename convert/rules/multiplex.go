package rules

import (
	"slices"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// MultiplexKey is what libseccomp keeps of a rule's conditions when it
// moves the rule onto a multiplexer (socket onto socketcall on x86):
// arg0 becomes the call's number, so the conditions on arg0 are lost and
// the others stay, though they read the multiplexer's arguments. Two
// rules of one key and different actions are one rule to libseccomp,
// which refuses the second (EEXIST).
func MultiplexKey(cs []Cond) string {
	var rest []string
	for _, c := range cs {
		if c.Arg != 0 {
			rest = append(rest, c.String())
		}
	}
	slices.Sort(rest)
	return strings.Join(rest, ",")
}

// MuxRule is a rule as MultiplexClashes reads it.
type MuxRule struct {
	Names  []string
	Action Action
	When   []Cond
}

// MuxClash is two rules libseccomp makes one rule with two actions on a
// multiplexer: Second, added after First, is refused (EEXIST).
type MuxClash struct {
	Arch, Name, Mux string
	Call            uint64 // Name's number in the multiplexer's arg0
	First, Second   int    // indexes of the rules
}

// MultiplexClashes finds what libseccomp refuses of rules added in the
// order given on a call an architecture multiplexes (socket through
// socketcall on x86 …): it moves each conditional rule for the call onto
// the multiplexer, where arg0 is the call's number, so rules whose other
// conditions agree (one MultiplexKey) become one rule, and a second action
// for it fails with EEXIST. Rules without conditions or with the default
// action take no part (runc drops the latter), nor a rule skip excludes
// for a multiplexer (one the multiplexer's own unconditional rule already
// decides there). A later rule clashes with the first of its key, once for
// each action other than the first's.
func MultiplexClashes(rs []MuxRule, arches []string, def Action, skip func(i int, mux string) bool) []MuxClash {
	type first struct {
		at   int
		seen []Action
	}
	firsts := map[string]*first{}
	var out []MuxClash
	for i, r := range rs {
		if len(r.When) == 0 || r.Action == def {
			continue
		}
		key := MultiplexKey(r.When)
		for _, name := range r.Names {
			for _, arch := range arches {
				mux, call, ok := syscalls.Subcall(arch, name)
				if !ok || skip != nil && skip(i, mux) {
					continue
				}
				at := arch + " " + name + " " + key
				f := firsts[at]
				switch {
				case f == nil:
					firsts[at] = &first{at: i, seen: []Action{r.Action}}
				case !slices.Contains(f.seen, r.Action):
					f.seen = append(f.seen, r.Action)
					out = append(out, MuxClash{Arch: arch, Name: name, Mux: mux, Call: call, First: f.at, Second: i})
				}
			}
		}
	}
	return out
}
