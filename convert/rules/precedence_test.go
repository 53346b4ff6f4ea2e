package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// intended is what a rules document means for a call: the strictest
// action among the rules whose conditions all hold, else the default.
func intended(p *Profile, name string, args [6]uint64) Action {
	best, found := p.Default, false
	for _, r := range p.Rules {
		members := []string{}
		for _, n := range r.Syscalls {
			if strings.HasPrefix(n.Name, "@") {
				m, _ := GroupMembers(n.Name, nil)
				members = append(members, m...)
			} else {
				members = append(members, n.Name)
			}
		}
		if !slices.Contains(members, name) {
			continue
		}
		holds := true
		for _, c := range r.When {
			holds = holds && c.Matches(args[c.Arg])
		}
		if holds && (!found || Rank(r.Action) > Rank(best)) {
			best, found = r.Action, true
		}
	}
	return best
}

// underRunc is what runc and libseccomp do with a compiled profile: rules
// with the default action dropped, a syscall's unconditional rule alone,
// and otherwise the conditional rule that matches. Two matching
// conditional rules with different actions are an error: their outcome
// would hang on libseccomp's internals.
func underRunc(d *Decisions, name string, args [6]uint64) (Action, error) {
	var got []Action
	for _, c := range d.Cases(name) {
		holds := true
		for _, w := range c.When {
			holds = holds && w.Matches(args[w.Arg])
		}
		if holds && !slices.Contains(got, c.Action) {
			got = append(got, c.Action)
		}
	}
	switch len(got) {
	case 0:
		return d.Default, nil
	case 1:
		return got[0], nil
	}
	return Action{}, fmt.Errorf("%s%v: overlapping rules with actions %v", name, args, got)
}

// argVectors are the argument values worth trying for the conditions of
// a profile: each operand, its neighbours, and the extremes.
func argVectors(p *Profile) [][6]uint64 {
	vals := map[uint][]uint64{}
	add := func(arg uint, vs ...uint64) {
		for _, v := range vs {
			if !slices.Contains(vals[arg], v) {
				vals[arg] = append(vals[arg], v)
			}
		}
	}
	for _, r := range p.Rules {
		for _, c := range r.When {
			add(c.Arg, 0, ^uint64(0), c.Value, c.Value+1, c.Value-1, c.Mask, c.Value|^c.Mask, c.Value^c.Mask)
		}
	}
	out := [][6]uint64{{}}
	for arg := uint(0); arg < 6; arg++ {
		if len(vals[arg]) == 0 {
			continue
		}
		var next [][6]uint64
		for _, v := range out {
			for _, x := range vals[arg] {
				v[arg] = x
				next = append(next, v)
			}
		}
		out = next
	}
	return out
}

// TestPrecedence checks the class "several rules name one syscall": for
// every document, syscall and argument vector worth trying, the compiled
// profile under runc's reading does what the document means, and no two
// compiled rules of different actions overlap (so libseccomp's order of
// rules cannot matter).
func TestPrecedence(t *testing.T) {
	docs := map[string]string{
		"deny equal to default beside a group allow": `default: errno(EPERM)
rules:
  - {action: allow, syscalls: ["@system-service"]}
  - {action: errno(EPERM), syscalls: ["@network-connect"]}
`,
		"deny first, allow after": `default: errno(EPERM)
rules:
  - {action: errno(EPERM), syscalls: [openat]}
  - {action: allow, syscalls: [openat, read]}
`,
		"stricter deny than the default beside an allow": `default: errno(EPERM)
rules:
  - {action: allow, syscalls: ["@network-io"]}
  - {action: kill, syscalls: [connect]}
`,
		"allow beside a stricter default-less deny": `default: allow
rules:
  - {action: log, syscalls: [openat]}
  - {action: errno(EACCES), syscalls: ["@file-open"]}
`,
		"conditional deny equal to the default beside an allow": `default: errno(EPERM)
rules:
  - {action: allow, syscalls: [socket, openat]}
  - {action: errno(EPERM), syscalls: [socket], when: ["arg0 == AF_PACKET"]}
  - {action: errno(EPERM), syscalls: [openat], when: ["arg2 & O_ACCMODE == O_WRONLY"]}
`,
		"conditional deny beside a conditional allow": `default: errno(EPERM)
rules:
  - {action: allow, syscalls: [socket], when: ["arg1 == 1"]}
  - {action: errno(EPERM), syscalls: [socket], when: ["arg0 == 17"]}
`,
		"conditional deny with two conditions": `default: allow
rules:
  - {action: log, syscalls: [socket]}
  - {action: kill, syscalls: [socket], when: ["arg0 == 17", "arg1 < 4"]}
`,
		"unconditional deny beats a conditional allow": `default: errno(EPERM)
rules:
  - {action: allow, syscalls: [personality], when: ["arg0 == 0"]}
  - {action: errno(EPERM), syscalls: [personality]}
  - {action: allow, syscalls: [clone], when: ["arg0 & 0x10000000 == 0"]}
  - {action: trap, syscalls: [clone]}
`,
		"three levels": `default: allow
rules:
  - {action: log, syscalls: [kill]}
  - {action: errno(EPERM), syscalls: [kill], when: ["arg1 == 9"]}
  - {action: kill, syscalls: [kill], when: ["arg0 == 1"]}
`,
		"same errno through two rules": `default: allow
rules:
  - {action: errno(EPERM), syscalls: ["@file-open"]}
  - {action: errno(EPERM), syscalls: [openat], when: ["arg0 == 3"]}
`,
		"disjoint errnos": `default: allow
rules:
  - {action: errno(EPERM), syscalls: [socket], when: ["arg0 == 1"]}
  - {action: errno(EACCES), syscalls: [socket], when: ["arg0 == 2"]}
`,
	}
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			p, err := Parse("t.yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			s, err := p.Compile(CompileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d := mustDecide(t, s)
			var names []string
			for _, r := range p.Rules {
				for _, n := range r.Syscalls {
					if strings.HasPrefix(n.Name, "@") {
						m, _ := GroupMembers(n.Name, nil)
						names = append(names, m...)
					} else {
						names = append(names, n.Name)
					}
				}
			}
			slices.Sort(names)
			for _, n := range slices.Compact(names) {
				for _, args := range argVectors(p) {
					got, err := underRunc(d, n, args)
					if err != nil {
						t.Fatal(err)
					}
					if want := intended(p, n, args); got != want {
						t.Fatalf("%s%v: runc would apply %s, the rules say %s; compiled:\n%s", n, args, got, want, mustJSON(t, s))
					}
				}
			}
		})
	}
}

// TestPrecedenceRefusals: a document that no compiled profile can say
// exactly is refused, naming both rules.
func TestPrecedenceRefusals(t *testing.T) {
	for _, src := range []string{
		"default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [openat]}\n  - {action: errno(EACCES), syscalls: [\"@file-open\"]}\n",
		"default: allow\nrules:\n  - {action: trace(1), syscalls: [openat]}\n  - {action: trace(2), syscalls: [openat], when: [\"arg0 == 1\"]}\n",
		"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg1 > 1\"]}\n  - {action: kill, syscalls: [socket], when: [\"arg1 == 5\"]}\n",
	} {
		_, err := compileString(t, src, CompileOptions{})
		if err == nil {
			t.Errorf("compiled:\n%s", src)
			continue
		}
		if n := strings.Count(err.Error(), "t.yaml:"); n != 2 {
			t.Errorf("error names %d positions, want both rules: %v", n, err)
		}
	}
}

// TestPrecedenceWarnings: what the precedence overrides is said.
func TestPrecedenceWarnings(t *testing.T) {
	var warns []string
	opt := CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Error()) }}
	src := "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [personality], when: [\"arg0 == 0\"]}\n  - {action: kill, syscalls: [personality]}\n"
	if _, err := compileString(t, src, opt); err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "t.yaml:3:14") || !strings.Contains(warns[0], "t.yaml:4:14") {
		t.Errorf("warnings: %q", warns)
	}

	// A group does not lift a denial of the base; a name does.
	base := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write"}, Action: specs.ActAllow},
		{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
	}}
	opt.Base = func(string, []string) (*specs.LinuxSeccomp, error) { return base, nil }
	warns = nil
	s, err := compileString(t, "extends: b\nrules:\n  - {action: allow, syscalls: [\"@process-inspect\"]}\n", opt)
	if err != nil {
		t.Fatal(err)
	}
	if a := mustDecide(t, s).Cases("ptrace"); len(a) != 1 || a[0].Action.Kind != KillProcess {
		t.Errorf("ptrace through a group: %v, want the base's kill-process", a)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "a group does not lift") {
		t.Errorf("warnings: %q", warns)
	}
	s, err = compileString(t, "extends: b\nrules:\n  - {action: allow, syscalls: [ptrace]}\n", opt)
	if err != nil {
		t.Fatal(err)
	}
	if a := mustDecide(t, s).Cases("ptrace"); len(a) != 1 || a[0].Action.Kind != Allow {
		t.Errorf("ptrace by name: %v, want allow", a)
	}
}

func u(v uint) *uint { return &v }

func mustJSON(t *testing.T, s *specs.LinuxSeccomp) string {
	t.Helper()
	var b strings.Builder
	for _, sc := range s.Syscalls {
		fmt.Fprintf(&b, "%v %s %v %v\n", sc.Names, sc.Action, sc.ErrnoRet, sc.Args)
	}
	return b.String()
}

// TestCheckArchitectures covers the class "an architecture list runc
// cannot load or that means more than it says", for each machine kind.
func TestCheckArchitectures(t *testing.T) {
	tests := []struct {
		list    []string
		primary string
		err     string // "" for none
		note    bool
	}{
		{[]string{"x86_64", "x86", "x32"}, "x86_64", "", false},
		{[]string{"x86"}, "x86_64", "name x86 but not x86_64", false},
		{[]string{"x32"}, "x86_64", "name x32 but not x86_64", false},
		{[]string{"arm"}, "aarch64", "name arm but not aarch64", false},
		{[]string{"x86"}, "x86", "", false}, // a 32-bit machine
		{[]string{"x86_64", "s390x"}, "x86_64", `"s390x" is big-endian`, false},
		{[]string{"s390x", "s390"}, "x86_64", "", true},
		{[]string{"s390x"}, "s390x", "", false},
		{[]string{"aarch64", "arm"}, "x86_64", "", true},
		{[]string{"ppc64le", "ppc64"}, "ppc64le", `"ppc64" is big-endian`, false},
	}
	for _, tt := range tests {
		_, note, err := CheckArchitectures(tt.list, tt.primary)
		switch {
		case tt.err == "" && err != nil, tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v on %s: error %v, want %q", tt.list, tt.primary, err, tt.err)
		case (note != "") != tt.note:
			t.Errorf("%v on %s: note %q, want one: %v", tt.list, tt.primary, note, tt.note)
		}
	}
	if syscalls.NativeArch() != "x86_64" {
		return
	}
	_, err := compileString(t, "default: allow\narchitectures: [x86]\n", CompileOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "t.yaml:2:17: ") {
		t.Errorf("x86-only list: %v, want an error at the entry", err)
	}
}

// TestWideCompareNote: a 64-bit comparison of a 32-bit argument is
// written as asked, with a note that names the mask that fixes it.
func TestWideCompareNote(t *testing.T) {
	var warns []string
	opt := CompileOptions{Warn: func(e *Error) { warns = append(warns, e.Error()) }}
	src := "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [openat], when: [\"arg0 == AT_FDCWD\"]}\n  - {action: errno(EPERM), syscalls: [mmap], when: [\"arg0 == 0\"]}\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_PACKET\"]}\n"
	if _, err := compileString(t, src, opt); err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0], "t.yaml:3:55: openat:") || !strings.Contains(warns[0], `"arg0 & 0xffffffff == 0xffffff9c"`) {
		t.Errorf("warnings: %q", warns)
	}
}

// FuzzPrecedence builds documents of up to five rules for one syscall
// from the fuzzer's bytes (actions, and up to two conditions each on two
// arguments) and checks every one that compiles the way TestPrecedence
// does: runc's reading of the output is what the document means, and no
// two compiled rules of different actions overlap. A refusal is fine; a
// wrong profile is not.
func FuzzPrecedence(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 2, 0, 0, 1, 17, 5, 1, 1, 1, 2})
	f.Add([]byte{3, 0, 1, 0, 9, 0, 6, 1, 6, 0, 3, 1, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) { checkPrecedence(t, b) })
}

// refusals counts TestPrecedenceRandom's refusals by kind.
var refusals map[string]int

// TestPrecedenceRandom runs the fuzz check over many pseudo-random
// documents on every test run, and makes sure most of them compile, so
// that the check is not passed by refusing.
func TestPrecedenceRandom(t *testing.T) {
	refusals = map[string]int{}
	defer func() { refusals = nil }()
	r := rand.New(rand.NewPCG(1, 2))
	compiled := 0
	const n = 3000
	for i := 0; i < n; i++ {
		b := make([]byte, 32)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		if checkPrecedence(t, b) {
			compiled++
		}
	}
	t.Logf("%d of %d documents compiled; the rest were refused: %v", compiled, n, refusals)
	if compiled < n/2 {
		t.Errorf("only %d of %d documents compiled", compiled, n)
	}
}

// checkPrecedence is FuzzPrecedence's check; it reports whether the
// document compiled.
func checkPrecedence(t *testing.T, b []byte) bool {
	t.Helper()
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	actions := []string{"allow", "log", "errno(EPERM)", "errno(EACCES)", "trap", "kill-process", "notify", "trace(1)"}
	ops := []string{"==", "!=", "<", "<=", ">", ">=", "& 3 ==", "& 0xffffffff =="}
	var src strings.Builder
	fmt.Fprintf(&src, "default: %s\nrules:\n", actions[int(next())%3])
	n := 1 + int(next())%5
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "  - action: %s\n    syscalls: [kill]\n", actions[int(next())%len(actions)])
		if k := int(next()) % 3; k > 0 {
			src.WriteString("    when: [")
			for j := 0; j < k; j++ {
				op := ops[int(next())%len(ops)]
				v := int(next()) % 4
				if j > 0 {
					src.WriteString(", ")
				}
				fmt.Fprintf(&src, "\"arg%d %s %d\"", int(next())%2, op, v)
			}
			src.WriteString("]\n")
		}
	}
	p, err := Parse("f.yaml", []byte(src.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	s, err := p.Compile(CompileOptions{})
	if err != nil {
		if refusals != nil {
			msg := err.Error()
			for _, k := range []string{"equally strict", "cannot AND", "more than", "runc would OR", "notify"} {
				if strings.Contains(msg, k) {
					refusals[k]++
				}
			}
		}
		return false
	}
	d, err := Decide(s)
	if err != nil {
		t.Fatalf("%v\n%s", err, src.String())
	}
	for _, args := range argVectors(p) {
		got, err := underRunc(d, "kill", args)
		if err != nil {
			t.Fatalf("%v\n%s\ncompiled:\n%s", err, src.String(), mustJSON(t, s))
		}
		if want := intended(p, "kill", args); got != want {
			t.Fatalf("kill%v: runc would apply %s, the rules say %s\n%s\ncompiled:\n%s", args, got, want, src.String(), mustJSON(t, s))
		}
	}
	return true
}

// TestPlainlyDisjoint: the quick answer precedence gives for rules that
// pin an argument never says two lists of conditions are disjoint when
// some arguments satisfy both (checked by trying every value of small
// arguments), and it finds the usual case, two equalities.
func TestPlainlyDisjoint(t *testing.T) {
	ops := []Op{OpEQ, OpNE, OpLT, OpLE, OpGT, OpGE, OpMaskedEQ}
	r := rand.New(rand.NewPCG(3, 4))
	cond := func() Cond {
		c := Cond{Arg: uint(r.IntN(2)), Op: ops[r.IntN(len(ops))], Value: uint64(r.IntN(16))}
		if c.Op == OpMaskedEQ {
			c.Mask = uint64(r.IntN(16))
			c.Value &= c.Mask
		}
		return c
	}
	found := 0
	for range 20_000 {
		a, b := []Cond{cond()}, []Cond{cond(), cond()}
		if !plainlyDisjoint(a, b) {
			continue
		}
		found++
		for v0 := uint64(0); v0 < 16; v0++ {
			for v1 := uint64(0); v1 < 16; v1++ {
				all := true
				for _, c := range append(slices.Clone(a), b...) {
					all = all && c.Matches([]uint64{v0, v1}[c.Arg])
				}
				if all {
					t.Fatalf("%v and %v: said disjoint, both hold for arg0=%d arg1=%d", a, b, v0, v1)
				}
			}
		}
	}
	if found == 0 || !plainlyDisjoint([]Cond{{Arg: 0, Op: OpEQ, Value: 1}}, []Cond{{Arg: 0, Op: OpEQ, Value: 2}}) {
		t.Errorf("found %d disjoint pairs; two equalities on one argument are not among them", found)
	}
}
