package stage

import (
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

func profile(def specs.LinuxSeccompAction, rs ...specs.LinuxSyscall) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{DefaultAction: def, DefaultErrnoRet: nil, Flags: []specs.LinuxSeccompFlag{}, Syscalls: rs}
}

func rule(act specs.LinuxSeccompAction, names ...string) specs.LinuxSyscall {
	r := specs.LinuxSyscall{Names: names, Action: act}
	if act == specs.ActErrno {
		r.ErrnoRet = testutil.Errno(syscall.EPERM)
	}
	return r
}

// needed returns the table's syscalls of the phases, for tests that must
// not depend on what the table holds today.
func needed(phases ...runtimes.Phase) []string {
	var names []string
	for _, ph := range phases {
		for _, n := range runtimes.Default().Phase(ph) {
			if n.Errno && !slices.Contains(names, n.Syscall) {
				names = append(names, n.Syscall)
			}
		}
	}
	return names
}

// onlyIn returns a syscall the first phase needs (errno) and the second
// does not.
func onlyIn(t *testing.T, a, b runtimes.Phase) string {
	t.Helper()
	for _, n := range needed(a) {
		if !slices.Contains(needed(b), n) {
			return n
		}
	}
	testutil.Missing(t, "the table has no syscall that %s needs and %s does not", a, b)
	return ""
}

func TestSplit(t *testing.T) {
	runcNeeds := needed(runtimes.RuncNoNewPrivileges)
	if len(runcNeeds) == 0 {
		t.Fatal("the table lists nothing runc needs")
	}
	privOnly := onlyIn(t, runtimes.RuncPrivileged, runtimes.RuncNoNewPrivileges)

	t.Run("nothing runc needs", func(t *testing.T) {
		p := profile(specs.ActAllow, rule(specs.ActErrno, "connect"))
		for _, nnp := range []bool{true, false} {
			plan, err := splitFor(p, nnp)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Early != p || plan.Late != nil || plan.NoNewPrivileges || len(plan.Conflicts) > 0 {
				t.Errorf("nnp %v: %+v", nnp, plan)
			}
		}
	})
	t.Run("needed only without noNewPrivileges", func(t *testing.T) {
		p := profile(specs.ActAllow, rule(specs.ActErrno, privOnly))
		plan, err := splitFor(p, false)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Early != p || plan.Late != nil || !plan.NoNewPrivileges || len(plan.Conflicts) != 1 || plan.Conflicts[0].Syscall != privOnly {
			t.Errorf("%+v", plan)
		}
		if plan, _ := splitFor(p, true); plan.NoNewPrivileges || len(plan.Conflicts) > 0 {
			t.Errorf("with noNewPrivileges already: %+v", plan)
		}
	})
	t.Run("late stage", func(t *testing.T) {
		p := profile(specs.ActAllow, rule(specs.ActErrno, runcNeeds[0], "connect"))
		plan, err := splitFor(p, false)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Late == nil || !plan.NoNewPrivileges || plan.Conflicts[0].Syscall != runcNeeds[0] {
			t.Fatalf("%+v", plan)
		}
		want := profile(specs.ActAllow, rule(specs.ActErrno, "connect"))
		if !equalProfiles(plan.Early, want) || !equalProfiles(plan.Late, p) {
			t.Errorf("early %+v\nlate %+v", plan.Early, plan.Late)
		}
		msg := plan.Conflicts[0].String()
		if !strings.Contains(msg, runcNeeds[0]+": the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails: ") {
			t.Errorf("conflict reads %q", msg)
		}
	})
	t.Run("conditions count as denials", func(t *testing.T) {
		r := rule(specs.ActErrno, runcNeeds[0])
		r.Args = []specs.LinuxSeccompArg{{Index: 2, Value: 3, ValueTwo: 1, Op: specs.OpMaskedEqual}}
		plan, err := splitFor(profile(specs.ActAllow, r), true)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Late == nil || !strings.Contains(plan.Conflicts[0].Outcome, "errno(EPERM) when arg2 & 3 == 1") {
			t.Errorf("%+v", plan.Conflicts)
		}
	})
	t.Run("allowlist", func(t *testing.T) {
		p := profile(specs.ActErrno, rule(specs.ActAllow, "read", "exit_group"))
		plan, err := splitFor(p, true)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Late == nil || len(plan.Conflicts) == 0 || !strings.HasSuffix(plan.Conflicts[0].Outcome, "(the default action)") {
			t.Fatalf("%+v", plan)
		}
		// The early profile lets through all runc and the late stage
		// need, and nothing else that p denies.
		allowed := plan.Early.Syscalls[len(plan.Early.Syscalls)-1]
		for _, n := range needed(runtimes.RuncNoNewPrivileges, runtimes.LateStart) {
			if n != "read" && !slices.Contains(allowed.Names, n) {
				t.Errorf("the early profile does not allow %s", n)
			}
		}
		if allowed.Action != specs.ActAllow {
			t.Errorf("last early rule %+v", allowed)
		}
		for _, n := range allowed.Names {
			if !slices.ContainsFunc(append(runtimes.Default().Phase(runtimes.RuncNoNewPrivileges), runtimes.Default().Phase(runtimes.LateStart)...), func(x runtimes.Need) bool { return x.Syscall == n }) {
				t.Errorf("the early profile allows %s, which neither runc nor the late stage needs", n)
			}
		}
	})
	t.Run("notify", func(t *testing.T) {
		p := profile(specs.ActAllow, rule(specs.ActErrno, runcNeeds[0]), rule(specs.ActNotify, "connect"))
		p.ListenerPath = "/run/agent.sock"
		plan, err := splitFor(p, true)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Early.ListenerPath != p.ListenerPath || plan.Late.ListenerPath != "" {
			t.Errorf("listener: early %q late %q", plan.Early.ListenerPath, plan.Late.ListenerPath)
		}
		for _, r := range plan.Late.Syscalls {
			if r.Action == specs.ActNotify {
				t.Errorf("late profile keeps %+v", r)
			}
		}
		bad := profile(specs.ActAllow, rule(specs.ActErrno, runcNeeds[0]), rule(specs.ActNotify, runcNeeds[0]))
		if _, err := splitFor(bad, true); err == nil {
			t.Error("a notify rule for a syscall the late stage needs was accepted")
		}
		if _, err := splitFor(profile(specs.ActNotify), true); err == nil {
			t.Error("notify as the default action was accepted")
		}
	})
}

// equalProfiles compares the parts of profiles Split changes.
func equalProfiles(a, b *specs.LinuxSeccomp) bool {
	if a.DefaultAction != b.DefaultAction || len(a.Syscalls) != len(b.Syscalls) || (a.Flags == nil) != (b.Flags == nil) {
		return false
	}
	for i := range a.Syscalls {
		x, y := a.Syscalls[i], b.Syscalls[i]
		if !slices.Equal(x.Names, y.Names) || x.Action != y.Action || (x.ErrnoRet == nil) != (y.ErrnoRet == nil) {
			return false
		}
	}
	return true
}

// Stacked, the early and the late profile answer every syscall number of
// every architecture exactly as the profile does, runc's ENOSYS stub
// included. The kernel runs every filter and takes the most restrictive
// action; among equal actions the newest filter's (the late one's) data.
func TestStackAnswersAsProfile(t *testing.T) {
	needAll := needed(runtimes.RuncNoNewPrivileges, runtimes.LateStart)
	multi := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	tests := map[string]*specs.LinuxSeccomp{
		"demo":                profile(specs.ActAllow, rule(specs.ActErrno, "openat", "connect")),
		"kill what runc uses": profile(specs.ActAllow, rule(specs.ActKillProcess, needAll...)),
		"errno allowlist":     profile(specs.ActErrno, rule(specs.ActAllow, "read", "write", "exit_group")),
		"kill allowlist":      profile(specs.ActKillProcess, rule(specs.ActAllow, "read", "write", "exit_group", "getpid")),
		"trap allowlist":      profile(specs.ActTrap, rule(specs.ActAllow, "read"), rule(specs.ActErrno, "mkdir")),
		"kill allowlist, three arches": func() *specs.LinuxSeccomp {
			p := profile(specs.ActKillThread, rule(specs.ActAllow, "read", "write", "close"))
			p.Architectures = multi
			return p
		}(),
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			plan, err := splitFor(p, true)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Late == nil {
				t.Fatal("no late stage")
			}
			arches := []string{syscalls.NativeArch()}
			for _, a := range p.Architectures {
				n, _ := syscalls.ArchFromSpec(a)
				arches = append(arches, n)
			}
			for _, arch := range arches {
				for _, nr := range numbers(arch) {
					want := answer(p, arch, nr)
					got := stack(answer(plan.Early, arch, nr), answer(plan.Late, arch, nr))
					if got != want {
						t.Errorf("%s syscall %d: stacked %v, profile %v", arch, nr, got, want)
					}
				}
			}
			// And the early profile lets runc and the late stage run.
			for _, n := range needAll {
				nr, _ := syscalls.SyscallNumber(syscalls.NativeArch(), n)
				if a := answer(plan.Early, syscalls.NativeArch(), nr); a.Kind != rules.Allow && a.Kind != rules.Log {
					t.Errorf("early profile answers %s with %v", n, a)
				}
			}
		})
	}
}

// numbers returns every syscall number of an architecture and a few past
// the last.
func numbers(arch string) []int {
	var nrs []int
	last := 0
	for _, n := range syscalls.AllSyscalls() {
		if nr, ok := syscalls.SyscallNumber(arch, n); ok {
			nrs = append(nrs, nr)
			last = max(last, nr)
		}
	}
	return append(nrs, last+1, last+100)
}

// answer is what runc's filter for p does with a syscall number, for
// profiles without conditions: the rule naming it, else runc's ENOSYS stub
// for numbers past the last one p names, else the default.
func answer(p *specs.LinuxSeccomp, arch string, nr int) rules.Action {
	for _, r := range p.Syscalls {
		for _, n := range r.Names {
			if got, ok := syscalls.SyscallNumber(arch, n); ok && got == nr {
				a, _ := rules.ActionFromSpec(r.Action, r.ErrnoRet)
				return a
			}
		}
	}
	def, _ := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
	if def.Kind != rules.Allow && def.Kind != rules.Log {
		if last := lastNumbers(p.Syscalls, nil, []string{arch})[arch]; last > 0 && nr > last {
			return rules.Action{Kind: rules.Errno, Ret: uint(syscall.ENOSYS)}
		}
	}
	return def
}

// stack is the answer of two stacked filters, late loaded after early.
func stack(early, late rules.Action) rules.Action {
	if rules.Rank(early) > rules.Rank(late) {
		return early
	}
	return late
}

// SpecOpts puts a plan into a config, and WithoutEarlierPatch takes the late
// stage and the noNewPrivileges it set out again.
func TestSpecOpts(t *testing.T) {
	p := profile(specs.ActAllow, rule(specs.ActErrno, needed(runtimes.RuncNoNewPrivileges)[0]))
	plan, err := Make(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := oci.ParseConfig([]byte(`{"process": {"args": ["/app", "-x"]}, "mounts": [{"destination": "/proc", "type": "proc"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(e, Place{Dir: "/host/dir", Binary: "/host/oci-sbx"}); err != nil {
		t.Fatal(err)
	}
	s, _ := e.Spec()
	if want := append(plan.Late.Args(), "/app", "-x"); !slices.Equal(s.Process.Args, want) {
		t.Errorf("args %q, want %q", s.Process.Args, want)
	}
	if name, ok := LateProfile(s.Process.Args); !ok || name != plan.Late.File.Name || !strings.HasPrefix(name, ProfilePrefix) {
		t.Errorf("LateProfile %q %v, want %q", name, ok, plan.Late.File.Name)
	}
	if s.Annotations[NoNewPrivilegesAnnotation] != "true" || OriginalNoNewPrivileges(s) {
		t.Errorf("noNewPrivileges set without recording that it was false: %v", s.Annotations)
	}
	if !s.Process.NoNewPrivileges || s.Linux.Seccomp == nil || len(s.Mounts) != 3 || s.Mounts[1].Source != "/host/dir" || s.Mounts[1].Destination != MountPoint ||
		s.Mounts[2].Source != "/host/oci-sbx" || s.Mounts[2].Destination != BinaryPath {
		t.Errorf("spec %+v %+v", s.Process, s.Mounts)
	}
	if orig, ok := OriginalArgs(s.Process.Args); !ok || !slices.Equal(orig, []string{"/app", "-x"}) {
		t.Errorf("OriginalArgs: %q %v", orig, ok)
	}
	if err := e.Apply(WithoutEarlierPatch()); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Spec(); !slices.Equal(s.Process.Args, []string{"/app", "-x"}) || len(s.Mounts) != 1 ||
		s.Process.NoNewPrivileges || len(s.Annotations) != 0 {
		t.Errorf("after WithoutEarlierPatch: process %+v, mounts %+v, annotations %v", s.Process, s.Mounts, s.Annotations)
	}
}

// split is a plan by Make, as the fields the split itself decides.
type split struct {
	Early, Late     *specs.LinuxSeccomp
	NoNewPrivileges bool
	Conflicts       []runtimes.Conflict
}

func splitFor(p *specs.LinuxSeccomp, nnp bool) (*split, error) {
	plan, err := Make(p, Options{NoNewPrivileges: nnp})
	if err != nil {
		return nil, err
	}
	s := &split{Early: plan.Seccomp, NoNewPrivileges: plan.SetNoNewPrivileges || nnp && plan.Late != nil, Conflicts: plan.Conflicts}
	if plan.Late != nil {
		s.Late = plan.Late.Profile
	}
	return s, nil
}

// lastNumbers returns, per architecture, the highest syscall number the
// rules (and extra names) mention, as runc's stub computes it.
func lastNumbers(rs []specs.LinuxSyscall, extra []string, arches []string) map[string]int {
	last := map[string]int{}
	see := func(n string) {
		for _, arch := range arches {
			if nr, ok := syscalls.SyscallNumber(arch, n); ok && nr > last[arch] {
				last[arch] = nr
			}
		}
	}
	for _, r := range rs {
		for _, n := range r.Names {
			see(n)
		}
	}
	for _, n := range extra {
		see(n)
	}
	return last
}
