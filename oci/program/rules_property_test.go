//go:build linux && cgo && seccomp

package program_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

var rulesCases = flag.Int("rules.cases", 40, "random rules documents TestRulesKeepMeaning compiles")

// TestRulesKeepMeaning compiles random rules documents that name calls
// through groups and by name, with and without conditions, and runs the
// program runc's loader builds for each against what the language says:
// for every call a rule names, the strictest action of the rules that
// match it, else the default. A document the compiler refuses is left
// out, as is one the loader check refuses (program.Check: libseccomp
// refuses it or builds it wrong); one both accept must mean exactly that.
func TestRulesKeepMeaning(t *testing.T) {
	r := rand.New(rand.NewPCG(*formatsSeed, 0x7a1e5))
	refused, loaderFaults, checked := 0, 0, 0
	for i := range *rulesCases {
		doc, rs, def, arches := randomRules(r)
		s, err := convert.Read("doc.yaml", []byte(doc), convert.Rules, convert.Options{})
		if err != nil {
			refused++
			if *formatsVerbose {
				t.Logf("case %d refused: %v\n%s", i, err, doc)
			}
			continue
		}
		// What runc's loader refuses or builds wrong, the CLI refuses
		// (program.Check); the rest must mean what the rules say.
		if err := program.Check(context.Background(), s); err != nil {
			loaderFaults++
			if *formatsVerbose {
				t.Logf("case %d: the loader check refuses it: %v\n%s", i, err, doc)
			}
			continue
		}
		data, err := program.Export(context.Background(), s)
		if err != nil {
			t.Errorf("case %d: the compiled rules do not load: %v\n%s", i, err, doc)
			continue
		}
		p, err := filter.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		bad := 0
		for _, arch := range arches {
			for _, c := range filter.Cases(arch, s) {
				name := filter.SyscallName(arch, c.Nr)
				if _, _, muxed := syscalls.Subcall(arch, name); muxed || name == "socketcall" || name == "ipc" {
					// A call libseccomp also files under socketcall or
					// ipc: runc's stub answers its own number ENOSYS
					// (convert says so), and the multiplexer is the
					// formats test's.
					continue
				}
				want, ok := rulesAnswer(rs, def, name, arch, c.Args)
				if !ok {
					continue
				}
				if got := p.Run(c.Data()).Action(); got != want && bad < 3 {
					bad++
					t.Errorf("case %d: %s/%s: the rules say %s, the program answers %s\n%s", i, arch, c, want, got, doc)
				}
			}
		}
	}
	t.Logf("%d documents compiled and checked, %d refused by the compiler, %d by the loader check", checked, refused, loaderFaults)
	if checked == 0 {
		t.Error("every document was refused: the test checked nothing")
	}
}

// randomRule is a rule as the test wrote it.
type randomRule struct {
	action rules.Action
	names  []string  // syscalls and @groups
	when   [2]uint64 // argN & 0xff == when[N]-1, for N 0 and 1; 0 compares nothing
}

func randomRules(r *rand.Rand) (string, []randomRule, rules.Action, []string) {
	actions := []rules.Action{
		{Kind: rules.Allow}, {Kind: rules.Errno, Ret: 1}, {Kind: rules.Errno, Ret: 13},
		{Kind: rules.KillProcess}, {Kind: rules.Trap}, {Kind: rules.Log},
	}
	names := []string{"@network-connect", "@file-open", "@io-uring", "@process-inspect", "openat", "connect", "socket", "ptrace", "sendto", "read"}
	def := actions[r.IntN(len(actions))]
	arches := []string{syscalls.NativeArch()}
	var b strings.Builder
	fmt.Fprintf(&b, "default: %s\n", def)
	if arches[0] == "x86_64" && r.IntN(3) == 0 {
		arches = append(arches, "x86")
		b.WriteString("architectures: [x86_64, x86]\n")
	}
	b.WriteString("rules:\n")
	var rs []randomRule
	for range 1 + r.IntN(4) {
		rr := randomRule{action: actions[r.IntN(len(actions))]}
		for range 1 + r.IntN(2) {
			if n := names[r.IntN(len(names))]; !slices.Contains(rr.names, n) {
				rr.names = append(rr.names, n)
			}
		}
		var quoted []string
		for _, n := range rr.names {
			quoted = append(quoted, fmt.Sprintf("%q", n))
		}
		fmt.Fprintf(&b, "  - action: %s\n    syscalls: [%s]\n", rr.action, strings.Join(quoted, ", "))
		var when []string
		for n := range 2 {
			if r.IntN(3) == 0 {
				v := r.IntN(4)
				rr.when[n] = uint64(v) + 1
				when = append(when, fmt.Sprintf("%q", fmt.Sprintf("arg%d & 0xff == %d", n, v)))
			}
		}
		if when != nil {
			fmt.Fprintf(&b, "    when: [%s]\n", strings.Join(when, ", "))
		}
		rs = append(rs, rr)
	}
	return b.String(), rs, def, arches
}

// rulesAnswer is what the rules say of a call: the strictest action of
// the rules that match it, or the default when none does; false when no
// rule names the call (the program's stub and default decide it) or two
// matching rules of one rank disagree (the compiler refuses that).
func rulesAnswer(rs []randomRule, def rules.Action, name, arch string, args [6]uint64) (rules.Action, bool) {
	named, matched := false, false
	var best rules.Action
	for _, r := range rs {
		if !slices.ContainsFunc(r.names, func(n string) bool { return names(n, name, arch) }) {
			continue
		}
		named = true
		if r.when[0] != 0 && args[0]&0xff != r.when[0]-1 || r.when[1] != 0 && args[1]&0xff != r.when[1]-1 {
			continue
		}
		switch {
		case !matched || rules.Rank(r.action) > rules.Rank(best):
			best, matched = r.action, true
		case rules.Rank(r.action) == rules.Rank(best) && r.action != best:
			return rules.Action{}, false
		}
	}
	if !named {
		return rules.Action{}, false
	}
	if !matched {
		return def, true
	}
	return best, true
}

// names reports whether n (a syscall or a @group) names the call.
func names(n, call, arch string) bool {
	if !strings.HasPrefix(n, "@") {
		return n == call
	}
	members, err := rules.GroupMembers(n, []string{arch})
	return err == nil && slices.Contains(members, call)
}
