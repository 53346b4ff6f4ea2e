package merge

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

const run1 = `default: errno(EPERM)
architectures: [x86_64]
rules:
  - action: allow
    syscalls: [read]
    comment: "10 calls by /bin/a"
  - action: allow
    syscalls: [socket]
    when: ["arg0 & 0xffffffff == 1", "arg1 & 15 == 1"]
    comment: "socket(AF_UNIX, SOCK_STREAM): 2 calls by /bin/a"
  - action: allow
    syscalls: [ioctl]
    when: ["arg1 & 0xffffffff == 0x5401"]
    comment: "ioctl(TCGETS): 1 call by /bin/a"
  - action: allow
    syscalls: [clone3]
    comment: "3 calls by /bin/a; clone3's flags are in struct clone_args behind a pointer"
  - action: kill
    syscalls: [ptrace]
`

const run2 = `default: errno(EPERM)
architectures: [x86_64, x86]
rules:
  - action: allow
    syscalls: [read]
    comment: "5 calls by /bin/b (3), /bin/a (2) (also on x86)"
  - action: allow
    syscalls: [socket]
    when: ["arg1 & 15 == 1", "arg0 & 0xffffffff == 1"]
    comment: "socket(AF_UNIX, SOCK_STREAM): 1 call by /bin/b"
  - action: allow
    syscalls: [socket]
    when: ["arg0 & 0xffffffff == 2", "arg1 & 15 == 2"]
    comment: "socket(AF_INET, SOCK_DGRAM): 1 call by /bin/b"
  - action: allow
    syscalls: [ioctl]
    comment: "more than 64 distinct arguments: allowed whatever they are; 900 calls by /bin/b"
  - action: allow
    syscalls: [clone3]
    comment: "1 call by /bin/b; clone3's flags are in struct clone_args behind a pointer"
`

// A Docker profile (no comments) that allows ptrace: the union allows it.
const run3 = `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["ptrace", "write"], "action": "SCMP_ACT_ALLOW"}]}`

func TestMergeGolden(t *testing.T) {
	var warnings []string
	p, err := Merge([]Input{{"run1.yaml", []byte(run1)}, {"run2.yaml", []byte(run2)}, {"run3.json", []byte(run3)}},
		Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	got := p.String() + "# warnings:\n# " + strings.Join(warnings, "\n# ") + "\n"
	testutil.Golden(t, filepath.Join("testdata", "merged.yaml"), []byte(got))
}

// TestMergeIsUnion checks the meaning: over every syscall and the argument
// values the inputs' conditions make interesting, the merged profile
// allows a call exactly when one of the inputs does (as rules read them).
func TestMergeIsUnion(t *testing.T) {
	ins := []Input{{"run1.yaml", []byte(run1)}, {"run2.yaml", []byte(run2)}, {"run3.json", []byte(run3)}}
	p, err := Merge(ins, Options{})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := Spec(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := rules.FromSeccomp(merged)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []*rules.Profile
	for _, in := range ins {
		s, err := convert.Read(in.Name, in.Data, "", convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ip, err := rules.FromSeccomp(s)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, ip)
	}
	checked := 0
	for _, c := range filter.Cases("x86_64", merged) {
		d := c.Data()
		name := filter.SyscallName("x86_64", uint32(d.Nr))
		if name == "" {
			continue
		}
		want := false
		for _, ip := range inputs {
			want = want || allows(ip, name, d.Args)
		}
		if got := allows(mp, name, d.Args); got != want {
			t.Errorf("%s: merged allows %v, inputs %v", c, got, want)
		}
		checked++
	}
	if checked < 300 {
		t.Fatalf("only %d cases", checked)
	}
}

// allows reads a deny-by-default profile of allow rules (and denies that
// win) the way runc does for these shapes.
func allows(p *rules.Profile, name string, args [6]uint64) bool {
	ok := false
	for _, r := range p.Rules {
		if !containsName(r.Syscalls, name) {
			continue
		}
		holds := true
		for _, c := range r.When {
			holds = holds && c.Matches(args[c.Arg])
		}
		if holds {
			if !lets(r.Action) {
				return false
			}
			ok = true
		}
	}
	return ok
}

func containsName(ns []rules.Name, name string) bool {
	for _, n := range ns {
		if n.Name == name {
			return true
		}
	}
	return false
}

func TestMergeRefusesAllowDefault(t *testing.T) {
	_, err := Merge([]Input{{"run1.yaml", []byte(run1)}, {"open.yaml", []byte("default: allow\n")}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `merging "open.yaml": its default action is allow`) {
		t.Fatalf("got %v", err)
	}
}

// Write puts the header where the format has room for comments (rules,
// spo) and reads back as the merged profile in every format.
func TestWrite(t *testing.T) {
	p, err := Merge([]Input{{"run1.yaml", []byte(run1)}, {"run3.json", []byte(run3)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Spec(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	const header = "# Merged from run1.yaml, run3.json.\n"
	for _, to := range convert.OutputFormats {
		var b strings.Builder
		var checked *specs.LinuxSeccomp
		if err := Write(&b, p, to, header, convert.Options{}, func(s *specs.LinuxSeccomp) error { checked = s; return nil }); err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		// The check sees what is written (for rules, what they compile
		// to), in every format.
		if checked == nil {
			t.Errorf("%s: checked %v", to, checked != nil)
		}
		hasHeader := strings.HasPrefix(b.String(), header)
		if wantHeader := to == convert.Rules || to == convert.SPO; hasHeader != wantHeader {
			t.Errorf("%s: header %v, want %v:\n%s", to, hasHeader, wantHeader, b.String())
		}
		if to == convert.Rules && !strings.Contains(b.String(), "10 calls by /bin/a") {
			t.Errorf("rules lost the counts:\n%s", b.String())
		}
		got, err := convert.Read("merged", []byte(b.String()), "", convert.Options{}) // kubernetes reads as docker
		if err != nil {
			t.Fatalf("%s: reading it back: %v\n%s", to, err, b.String())
		}
		if err := convert.Equal(got, want); err != nil {
			t.Errorf("%s: reads back as another profile: %v\n%s", to, err, b.String())
		}
	}
}

// Inputs whose defaults and denials differ, with a comment of another
// kind: what the merged profile keeps of them must not depend on their
// order.
const (
	enosys = `default: errno(ENOSYS)
rules:
  - {action: allow, syscalls: [read, write], comment: "kept for the tests"}
  - {action: errno(EACCES), syscalls: [openat, mkdir]}
`
	killer = `default: kill-process
rules:
  - {action: allow, syscalls: [read, openat], comment: "the loader"}
  - {action: errno(EPERM), syscalls: [mkdir]}
`
)

// TestMergeOrderIndependent merges every order of inputs whose defaults,
// errno denials and comments differ, and gets the same bytes each time:
// the strictest default, the strictest denial (errno(EACCES) before
// errno(EPERM) at one rank), comments and the header's names sorted.
func TestMergeOrderIndependent(t *testing.T) {
	ins := []Input{{"run1.yaml", []byte(run1)}, {"enosys.yaml", []byte(enosys)}, {"killer.yaml", []byte(killer)}, {"run3.json", []byte(run3)}}
	var first string
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}} {
		var in []Input
		var names []string
		for _, i := range order {
			in = append(in, ins[i])
			names = append(names, ins[i].Name)
		}
		p, err := Merge(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := Header("v", names) + p.String()
		if first == "" {
			first = got
			for _, want := range []string{"default: kill-process", "action: errno(EACCES)\n    syscalls: [mkdir]", "from enosys.yaml, killer.yaml, run1.yaml, run3.json"} {
				if !strings.Contains(got, want) {
					t.Errorf("the merge lacks %q:\n%s", want, got)
				}
			}
			continue
		}
		if got != first {
			t.Errorf("order %v merges to\n%s\nwant\n%s", order, got, first)
		}
	}
}

// TestMergeIdempotent: a profile merged with itself allows what it
// allows; only the counts of its comments add up (two runs).
func TestMergeIdempotent(t *testing.T) {
	for _, in := range []string{run1, enosys, killer} {
		once, err := Merge([]Input{{"a", []byte(in)}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		twice, err := Merge([]Input{{"a", []byte(in)}, {"a", []byte(in)}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := Spec(once, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Spec(twice, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := convert.Equal(a, b); err != nil {
			t.Errorf("merge A A differs from A: %v\n%s", err, twice)
		}
	}
}

// TestProfile: the one call the command makes writes the union under a
// header naming the inputs, in order of name; engine output that runc
// cannot start under (these recordings lack what runc calls after loading
// a filter) is alerted of, and refused when strict.
func TestProfile(t *testing.T) {
	inputs := []Input{{"run2.yaml", []byte(run2)}, {"run1.yaml", []byte(run1)}}
	var out strings.Builder
	if err := Profile(&out, inputs, Options{}, Output{Version: "v1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "# Merged by oci-sbx v1 from run1.yaml, run2.yaml: allows what any of them allows.\ndefault: errno(EPERM)\n") {
		t.Errorf("rules output:\n%s", out.String())
	}
	var alerts []string
	out.Reset()
	if err := Profile(&out, inputs, Options{}, Output{To: convert.Docker, Alert: func(m string) { alerts = append(alerts, m) }}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || !strings.Contains(alerts[0], "docker output: [runc-cannot-start]") || !strings.HasPrefix(out.String(), "{") {
		t.Errorf("docker output: alerts %q\n%s", alerts, out.String())
	}
	out.Reset()
	err := Profile(&out, inputs, Options{}, Output{To: convert.Docker, Strict: true})
	if err == nil || !strings.Contains(err.Error(), "refusing to write docker output") || out.Len() != 0 {
		t.Errorf("strict docker output: %v\n%s", err, out.String())
	}
}

// TestMergeKeepsLog: a call one input logs and another allows stays
// logged, whichever order the inputs come in and whether the log is
// conditional: log lets the call through as allow does, and dropping it
// would drop what that input asked for.
func TestMergeKeepsLog(t *testing.T) {
	logs := "default: errno(EPERM)\nrules:\n  - {action: log, syscalls: [uname]}\n  - {action: log, syscalls: [openat], when: [\"arg2 & 3 == 1\"]}\n"
	allows := "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [uname, read]}\n  - {action: allow, syscalls: [openat], when: [\"arg2 & 3 == 0\"]}\n"
	for _, in := range [][]Input{{{"logs", []byte(logs)}, {"allows", []byte(allows)}}, {{"allows", []byte(allows)}, {"logs", []byte(logs)}}} {
		p, err := Merge(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, r := range p.Rules {
			got[r.Syscalls[0].Name] = append(got[r.Syscalls[0].Name], r.Action.String())
		}
		want := map[string][]string{"uname": {"log"}, "read": {"allow"}, "openat": {"log", "log"}}
		for name, w := range want {
			if strings.Join(got[name], ",") != strings.Join(w, ",") {
				t.Errorf("%s merged as %v, want %v", name, got[name], w)
			}
		}
	}
}

// The union of one profile means the profile: every denial of a call no
// input allows stays (runc ORs conditions on one argument, so one rule
// is several denials), and so does the bound of runc's ENOSYS stub that a
// rule with the default action sets.
func TestMergeOfOneKeepsMeaning(t *testing.T) {
	for _, in := range []string{
		`{"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
			{"names": ["semop"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 9223372036854775809, "op": "SCMP_CMP_GT"}, {"index": 0, "value": 2147483648, "op": "SCMP_CMP_GE"}]},
			{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
			{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["prctl"], "action": "SCMP_ACT_KILL", "args": [{"index": 2, "value": 39, "op": "SCMP_CMP_GE"}]}]}`,
	} {
		want, err := convert.Read("a", []byte(in), convert.OCI, convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := Merge([]Input{{"a", []byte(in)}}, Options{From: convert.OCI})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Spec(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := convert.Equal(want, got); err != nil {
			t.Errorf("merge of %s: %v\n%s", in, err, p)
		}
	}
}
