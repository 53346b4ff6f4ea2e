//go:build linux && cgo && seccomp

package stage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// rulesProfile compiles rules for a test.
func rulesProfile(t *testing.T, src string) *specs.LinuxSeccomp {
	t.Helper()
	s, err := convert.Read("test.yaml", []byte(src), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loaded is the filter runc loads for s (program.Export).
func loaded(t *testing.T, s *specs.LinuxSeccomp) *filter.Program {
	t.Helper()
	b, err := program.Export(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := filter.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIntersectIsTheStack compares, for every syscall number of every
// architecture and the arguments around each condition, runc's filter for
// Intersect's result with the stack of runc's filters for both profiles:
// where Intersect claims exactness, the answers are the same; where it
// declines, a reason is given.
func TestIntersectIsTheStack(t *testing.T) {
	const podmanLike = `default: errno(ENOSYS)
architectures: [x86_64, x86, x32]
rules:
  - action: allow
    syscalls: [read, write, openat, close, connect, mkdir, rmdir, exit_group, execve, futex, mmap, epoll_pwait2]
  - action: allow
    syscalls: [personality]
    when: ["arg0 == 0"]
  - action: errno(EPERM)
    syscalls: [keyctl, unshare]
`
	// Like the demo, but not connect, which libseccomp multiplexes on
	// x86 (see "podman and the demo").
	const denials = `default: allow
architectures: [x86_64, x86, x32]
rules:
  - action: errno(EPERM)
    syscalls: [openat, rmdir]
`
	const demo = `default: allow
architectures: [x86_64, x86, x32]
rules:
  - action: errno(EPERM)
    syscalls: [openat, connect]
`
	// Podman's default profile as Podman 4.3.1 puts it into a
	// container's config.json on x86_64 (saved by a precreate hook).
	podmanJSON, err := os.ReadFile("testdata/podman-4.3.1-default.json")
	if err != nil {
		t.Fatal(err)
	}
	podman, err := convert.Read("podman", podmanJSON, convert.OCI, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, engine, profile string
		exact                 bool
	}{
		{"podman-like and denials", podmanLike, denials, true},
		{"podman-like and the demo", podmanLike, demo, false},
		{"errno against errno: the profile's", podmanLike, denials + "  - action: errno(EACCES)\n    syscalls: [keyctl, mkdir]\n", true},
		// The condition's other case is the profile's allow, not the
		// result's default: that needs an unconditional rule beside a
		// conditional one, which libseccomp does not keep apart.
		{"a condition where the engine allows", podmanLike, denials + "  - action: errno(EAFNOSUPPORT)\n    syscalls: [socket]\n    when: [\"arg0 == 17\"]\n", false},
		{"a conditional allowlist", podmanLike, "default: errno(ENOSYS)\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read, write, exit_group]\n  - action: allow\n    syscalls: [mmap]\n    when: [\"arg2 == 3\"]\n", false},
		// socket is multiplexed on x86. The profile names nothing that
		// high there, so its stub answers socket's direct number, which
		// the engine's filter and the result answer by the condition.
		{"a condition on a multiplexed call", podmanLike, "default: errno(ENOSYS)\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read, write, exit_group]\n  - action: allow\n    syscalls: [socket]\n    when: [\"arg0 == 1\"]\n", false},
		// The engine denies socket by its default, the profile allows it
		// on a condition and denies it otherwise with the same errno:
		// exact would be the engine's answer, which Intersect does not
		// work out (a conditional side must be weaker or the other allow).
		{"a condition where the engine denies", strings.Replace(podmanLike, ", epoll_pwait2", "", 1), "default: errno(ENOSYS)\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read, write, exit_group]\n  - action: allow\n    syscalls: [socket]\n    when: [\"arg0 == 1\"]\n", false},
		// The engine conditions socket, the profile allows it: the
		// engine's rules, its direct number named by both.
		{"the engine's condition on a multiplexed call", strings.Replace(podmanLike, "  - action: errno(EPERM)\n", "  - action: allow\n    syscalls: [socket]\n    when: [\"arg0 == 1\"]\n  - action: errno(EPERM)\n", 1), denials, true},
		// runc's stub answers connect's direct number on x86 in the
		// engine's filter, which names nothing that high there.
		{"the stub before a multiplexed call", strings.Replace(podmanLike, ", epoll_pwait2", "", 1), denials + "  - action: errno(EPERM)\n    syscalls: [connect]\n", false},
		{"a default the stub changes", strings.Replace(podmanLike, "errno(ENOSYS)", "errno(EPERM)", 1), denials, false},
		{"kill where the engine conditions", podmanLike, denials + "  - action: kill-process\n    syscalls: [personality]\n", true},
		{"both conditional", podmanLike, demo + "  - action: errno(EPERM)\n    syscalls: [personality]\n    when: [\"arg0 == 8\"]\n", false},
		{"other architectures", podmanLike, "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat]\n", false},
		{"an allowlist that kills", podmanLike, "default: kill-process\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read]\n", false},
		// Podman's own: the demo denies connect, which Podman's profile
		// multiplexes on x86 with conditions on socket.
		{"podman and the demo", "podman", demo, false},
		{"podman and denials of other calls", "podman", "default: allow\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: errno(EPERM)\n    syscalls: [mkdirat, unlinkat, add_key]\n", true},
		{"podman and an allowlist", "podman", "default: errno(ENOSYS)\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read, write, exit_group, socket, socketcall, connect, futex]\n", false},
		// Both deny connect (one by its default) and multiplex it on
		// x86 differently: libseccomp's rules for socketcall are not
		// worked out.
		{"allowlists of both", podmanLike, "default: errno(ENOSYS)\narchitectures: [x86_64, x86, x32]\nrules:\n  - action: allow\n    syscalls: [read, write, mkdir, exit_group, getpid]\n", false},
		// The profile hands calls to an agent: a notification is weaker
		// than the engine's errno and stricter than its allow.
		{"the profile notifies", podmanLike, "default: allow\narchitectures: [x86_64, x86, x32]\nlistenerPath: /run/agent.sock\nrules:\n  - action: notify\n    syscalls: [mkdir, keyctl, add_key]\n", true},
		{"the engine notifies", strings.Replace(podmanLike, "errno(EPERM)", "notify", 1) + "listenerPath: /run/agent.sock\n", denials, false},
		// Actions that let a call through, and a tracer decide.
		{"the engine logs and traces", strings.Replace(strings.Replace(podmanLike, "action: allow\n    syscalls: [read", "action: log\n    syscalls: [read", 1), "errno(EPERM)", "trace(5)", 1), denials, true},
		{"the profile traces what the engine allows", podmanLike, denials + "  - action: trace(9)\n    syscalls: [mkdir, keyctl]\n", true},
		// Flags say how the kernel loads the filter (rules write "flags":
		// [] when they name none): the result would have one side's, so
		// flags that differ stack.
		{"flags of the engine", strings.Replace(podmanLike, "rules:", "flags: [SECCOMP_FILTER_FLAG_LOG]\nrules:", 1), denials, false},
		{"flags of the profile", podmanLike, strings.Replace(denials, "rules:", "flags: [SECCOMP_FILTER_FLAG_LOG]\nrules:", 1), false},
		{"the same flags", strings.Replace(podmanLike, "rules:", "flags: [SECCOMP_FILTER_FLAG_LOG]\nrules:", 1), strings.Replace(denials, "rules:", "flags: [SECCOMP_FILTER_FLAG_LOG]\nrules:", 1), true},
		{"allowlists of both on x86_64 only", strings.Replace(podmanLike, "[x86_64, x86, x32]", "[x86_64]", 1), "default: errno(ENOSYS)\narchitectures: [x86_64]\nrules:\n  - action: allow\n    syscalls: [read, write, mkdir, exit_group, getpid]\n  - action: allow\n    syscalls: [mmap]\n    when: [\"arg2 == 3\"]\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var engine *specs.LinuxSeccomp
			if tc.engine == "podman" {
				engine = podman
			} else {
				engine = rulesProfile(t, tc.engine)
			}
			p := rulesProfile(t, tc.profile)
			x, why, err := stage.Intersect(engine, p)
			if err != nil {
				t.Fatal(err)
			}
			if (x != nil) != tc.exact {
				t.Fatalf("exact %v (%s), want %v", x != nil, why, tc.exact)
			}
			if x == nil {
				if why == "" {
					t.Error("no reason given")
				}
				return
			}
			pe, pp, px := loaded(t, engine), loaded(t, p), loaded(t, x)
			arches, _ := stage.ArchSet(p)
			n := 0
			for _, arch := range arches {
				for _, c := range filter.Cases(arch, engine, p, x) {
					d := c.Data()
					want := stage.Combine(pe.Run(d).Action(), pp.Run(d).Action())
					if got := px.Run(d).Action(); got != want {
						t.Errorf("%s %s: intersection %v, stack %v (engine %v, profile %v)", arch, c, got, want, pe.Run(d).Action(), pp.Run(d).Action())
					}
					n++
				}
			}
			t.Logf("%d cases", n)
		})
	}
}

// TestIntersectRandom checks Intersect's claim of exactness on random
// pairs of profiles, against runc's own filters, as above.
func TestIntersectRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	random := func(arch string) string { return randomRules(r, arch) }
	exact, checked := 0, 0
	for i := range 400 {
		arch := randomArches[r.IntN(len(randomArches))]
		es, ps := random(arch), random(arch)
		engine, err := convert.Read("engine.yaml", []byte(es), convert.Rules, convert.Options{})
		if err != nil {
			continue // a pair the rules language refuses (a conflict)
		}
		p, err := convert.Read("profile.yaml", []byte(ps), convert.Rules, convert.Options{})
		if err != nil {
			continue
		}
		checked++
		x, _, err := stage.Intersect(engine, p)
		if err != nil {
			t.Fatalf("pair %d: %v\n%s\n%s", i, err, es, ps)
		}
		if x == nil {
			continue
		}
		exact++
		pe, pp, px := loaded(t, engine), loaded(t, p), loaded(t, x)
		as, _ := stage.ArchSet(p)
		for _, a := range as {
			for _, c := range filter.Cases(a, engine, p, x) {
				d := c.Data()
				if got, want := px.Run(d).Action(), stage.Combine(pe.Run(d).Action(), pp.Run(d).Action()); got != want {
					t.Fatalf("pair %d, %s %s: intersection %v, stack %v\nengine:\n%s\nprofile:\n%s", i, a, c, got, want, es, ps)
				}
			}
		}
	}
	t.Logf("%d random pairs read, %d claimed exact and checked against runc's filters", checked, exact)
	if exact == 0 {
		t.Error("no pair was exact: the test checks nothing")
	}
}

// The pools random profiles are drawn from.
var (
	randomPool = []string{"read", "write", "openat", "close", "connect", "socket", "socketcall", "mkdirat", "unlinkat", "getpid",
		"personality", "keyctl", "add_key", "mmap", "epoll_pwait2", "exit_group", "futex", "ioctl", "clone", "bpf"}
	randomActions  = []string{"allow", "errno(EPERM)", "errno(EACCES)", "errno(ENOSYS)", "kill-process", "kill-thread", "trap", "log", "trace(1)", "trace(7)"}
	randomDefaults = []string{"allow", "errno(ENOSYS)", "errno(ENOSYS)", "errno(EPERM)", "kill-process", "kill-thread", "trap", "log", "trace(3)"}
	// The conditions, on arguments 0 and 1, with every kind of compare.
	randomConds  = []string{"arg0 == %d", "arg0 != %d", "arg0 >= %d", "arg0 < %d", "arg1 == %d", "arg0 & 1 == %d"}
	randomArches = []string{"[x86_64, x86, x32]", "[x86_64]"}
)

// randomRules writes a random rules file: up to five rules over a pool of
// syscalls, some with a condition.
func randomRules(r *rand.Rand, arch string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default: %s\narchitectures: %s\nrules:\n", randomDefaults[r.IntN(len(randomDefaults))], arch)
	used := map[string]bool{}
	for range 1 + r.IntN(5) {
		var names []string
		for range 1 + r.IntN(4) {
			if n := randomPool[r.IntN(len(randomPool))]; !used[n] {
				used[n] = true
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  - action: %s\n    syscalls: [%s]\n", randomActions[r.IntN(len(randomActions))], strings.Join(names, ", "))
		if r.IntN(4) == 0 && len(names) == 1 && names[0] != "socketcall" {
			fmt.Fprintf(&b, "    when: [\""+randomConds[r.IntN(len(randomConds))]+"\"]\n", r.IntN(2))
		}
	}
	return b.String()
}

// TestSplitRandom checks the late stage on random profiles against runc's
// filters: linux.seccomp and the late profile stacked answer every case
// as the profile does, for the plans of patch (noNewPrivileges set) and
// of NRI (neither noNewPrivileges nor defaultErrnoRet).
func TestSplitRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	late, checked := 0, 0
	n := 150
	if testing.Short() {
		n = 40
	}
	for i := range n {
		src := "  - action: errno(EPERM)\n    syscalls: [openat]\n" // runc needs it: a late stage
		if i%3 == 0 {
			src = ""
		}
		rs := randomRules(r, randomArches[r.IntN(len(randomArches))])
		if !strings.Contains(rs, "openat") {
			rs += src
		}
		p, err := convert.Read("profile.yaml", []byte(rs), convert.Rules, convert.Options{})
		if err != nil {
			continue
		}
		checked++
		for _, opt := range []stage.Options{{NoNewPrivileges: true}, {Cannot: stage.NoNewPrivileges | stage.DefaultErrnoRet}} {
			plan, err := stage.Make(p, opt)
			if errors.Is(err, stage.ErrNotify) {
				continue
			}
			if err != nil {
				t.Fatalf("profile %d: %v\n%s", i, err, rs)
			}
			if plan.Late == nil {
				continue
			}
			late++
			pe, pl, pp := loaded(t, plan.Seccomp), loaded(t, plan.Late.Profile), loaded(t, p)
			as, _ := stage.ArchSet(p)
			for _, a := range as {
				for _, c := range filter.Cases(a, plan.Seccomp, p) {
					d := c.Data()
					if got, want := stage.Combine(pe.Run(d).Action(), pl.Run(d).Action()), pp.Run(d).Action(); got != want {
						t.Fatalf("profile %d (%+v), %s %s: stacked %v (early %v), profile %v\n%s", i, opt, a, c, got, pe.Run(d).Action(), want, rs)
					}
				}
			}
		}
	}
	t.Logf("%d random profiles read, %d plans with a late stage checked against runc's filters", checked, late)
}
