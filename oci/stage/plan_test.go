package stage

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// A back-end that cannot set noNewPrivileges or defaultErrnoRet (NRI)
// gets plans that rely on neither: the late stage does that work, and the
// early and late stages together still answer as the profile.
func TestMakeWithoutWhatTheBackEndCannotSet(t *testing.T) {
	privOnly := onlyIn(t, runtimes.RuncPrivileged, runtimes.RuncNoNewPrivileges)
	enosysDefault := profile(specs.ActErrno, rule(specs.ActAllow, needed(runtimes.RuncPrivileged, runtimes.RuncNoNewPrivileges, runtimes.LateStart)...))
	enosysDefault.DefaultErrnoRet = testutil.Errno(syscall.ENOSYS)
	tests := map[string]*specs.LinuxSeccomp{
		"demo":                    profile(specs.ActAllow, rule(specs.ActErrno, "openat", "connect")),
		"needs only nnp":          profile(specs.ActAllow, rule(specs.ActErrno, privOnly)),
		"default errno(ENOSYS)":   enosysDefault,
		"nothing runc needs":      profile(specs.ActAllow, rule(specs.ActErrno, "connect")),
		"kill allowlist with nnp": profile(specs.ActKillProcess, rule(specs.ActAllow, "read", "write", "exit_group")),
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			for _, nnp := range []bool{false, true} {
				free, err := Make(p, Options{NoNewPrivileges: nnp})
				if err != nil {
					t.Fatal(err)
				}
				plan, err := Make(p, Options{NoNewPrivileges: nnp, Cannot: NoNewPrivileges | DefaultErrnoRet})
				if err != nil {
					t.Fatal(err)
				}
				if plan.Relies != 0 || plan.SetNoNewPrivileges {
					t.Errorf("nnp %v: relies on %v", nnp, plan.Relies)
				}
				if plan.Seccomp.DefaultErrnoRet != nil && *plan.Seccomp.DefaultErrnoRet != uint(syscall.EPERM) {
					t.Errorf("nnp %v: linux.seccomp keeps defaultErrnoRet %d", nnp, *plan.Seccomp.DefaultErrnoRet)
				}
				// What the free back-end needs nnp or defaultErrnoRet
				// for goes into a late stage here.
				if free.Relies != 0 && plan.Late == nil {
					t.Errorf("nnp %v: the free plan relies on %v, and this one has no late stage", nnp, free.Relies)
				}
				if plan.Late == nil {
					if !equalProfiles(plan.Seccomp, p) {
						t.Errorf("nnp %v: linux.seccomp is not the profile", nnp)
					}
					continue
				}
				// runc, in the phase it runs in, and the late stage start.
				phase := runtimes.RuncPrivileged
				if nnp {
					phase = runtimes.RuncNoNewPrivileges
				}
				for _, ph := range []runtimes.Phase{phase, runtimes.LateStart} {
					if cs, _ := runtimes.Default().Conflicts(plan.Seccomp, ph); len(cs) > 0 {
						t.Errorf("nnp %v: linux.seccomp stops %s: %v", nnp, ph, cs)
					}
				}
				arch := syscalls.NativeArch()
				for _, nr := range numbers(arch) {
					early, late := answer(plan.Seccomp, arch, nr), answer(plan.Late.Profile, arch, nr)
					if early.Kind == rules.Errno && late.Kind == rules.Errno {
						early = late // the newest filter's errno
					}
					if got, want := stack(early, late), answer(p, arch, nr); got != want {
						t.Errorf("nnp %v: syscall %d: stacked %v, profile %v", nnp, nr, got, want)
					}
				}
			}
		})
	}
}

func TestMakeEngine(t *testing.T) {
	demo := profile(specs.ActAllow, rule(specs.ActErrno, "openat", "connect"))
	engine := profile(specs.ActErrno, rule(specs.ActAllow, append(needed(runtimes.RuncPrivileged, runtimes.RuncNoNewPrivileges, runtimes.LateStart), "connect", "openat", "mkdir")...))
	engine.DefaultErrnoRet = testutil.Errno(syscall.ENOSYS)

	t.Run("intersected", func(t *testing.T) {
		// With x32 among the architectures, as Podman lists them:
		// libseccomp kills x32 numbers on an x86_64-only filter, where
		// the result's ENOSYS stub would not.
		three := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
		// And not connect, which libseccomp multiplexes on x86.
		e, d := *engine, *profile(specs.ActAllow, rule(specs.ActErrno, "openat", "mkdirat"))
		e.Architectures, d.Architectures = three, three
		plan, err := Make(&d, Options{Engine: &e})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Engine != Intersected || plan.Late == nil {
			t.Fatalf("engine %v, late %v", plan.Engine, plan.Late)
		}
		// The late stage loads the intersection: the engine's default,
		// the demo's denials.
		arch := syscalls.NativeArch()
		for name, want := range map[string]rules.Action{
			"openat": {Kind: rules.Errno, Ret: 1}, "mkdirat": {Kind: rules.Errno, Ret: 1}, "connect": {Kind: rules.Allow},
			"mkdir": {Kind: rules.Allow}, "keyctl": {Kind: rules.Errno, Ret: uint(syscall.ENOSYS)},
		} {
			nr, _ := syscalls.SyscallNumber(arch, name)
			if got := answer(plan.Late.Profile, arch, nr); got != want {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
	})
	t.Run("stacked", func(t *testing.T) {
		other := *demo
		other.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86}
		plan, err := Make(&other, Options{Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Engine != Stacked || !equalProfiles(plan.Seccomp, engine) || plan.Late == nil || !equalProfiles(plan.Late.Profile, &other) {
			t.Fatalf("%+v", plan)
		}
		if plan.SetNoNewPrivileges || plan.Relies != 0 {
			t.Errorf("a stacked plan relies on %v", plan.Relies)
		}
		if !strings.Contains(strings.Join(plan.Explain(), "\n"), "get the engine's profile only") {
			t.Errorf("explanation: %q", plan.Explain())
		}
		// containerd's RuntimeDefault fails clone3 with ENOSYS, from which
		// the late stage falls back to clone (measured): the profile
		// stacks on it. With EPERM it would not start, and is refused.
		var rest []string
		for _, n := range needed(runtimes.RuncPrivileged, runtimes.RuncNoNewPrivileges, runtimes.LateStart) {
			if n != "clone3" {
				rest = append(rest, n)
			}
		}
		for ret, ok := range map[syscall.Errno]bool{syscall.ENOSYS: true, syscall.EPERM: false} {
			clone3 := rule(specs.ActErrno, "clone3")
			clone3.ErrnoRet = testutil.Errno(ret)
			def := profile(specs.ActErrno, rule(specs.ActAllow, append(rest, "connect", "openat")...), clone3)
			plan, err := Make(&other, Options{Engine: def})
			switch {
			case ok && (err != nil || plan.Engine != Stacked):
				t.Errorf("an engine that fails clone3 with %v: %v, want the profile stacked on it", ret, err)
			case !ok && (err == nil || !strings.Contains(err.Error(), "clone3: the profile gives errno(EPERM)")):
				t.Errorf("an engine that fails clone3 with %v: %v, want a refusal naming clone3", ret, err)
			}
		}
		// An engine's profile the late stage cannot start under.
		strict := profile(specs.ActErrno, rule(specs.ActAllow, "read"))
		if _, err := Make(&other, Options{Engine: strict}); err == nil || !strings.Contains(err.Error(), "engine-profile: replace") {
			t.Errorf("strict engine: %v", err)
		}
	})
	t.Run("replaced", func(t *testing.T) {
		plan, err := Make(demo, Options{Engine: engine, ReplaceEngine: true})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Engine != Replaced || !equalProfiles(plan.Late.Profile, demo) {
			t.Errorf("%+v", plan)
		}
	})
}

func TestLateFile(t *testing.T) {
	p := profile(specs.ActAllow, rule(specs.ActErrno, "openat", "connect"))
	a, err := Make(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Make(p, Options{NoNewPrivileges: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(a.Late.File.Data)
	if a.Late.File.Name != ProfilePrefix+hex.EncodeToString(sum[:])+".json" || a.Late.File.Name != b.Late.File.Name {
		t.Errorf("names %q %q", a.Late.File.Name, b.Late.File.Name)
	}
	if args := a.Late.Args(); !slices.Equal(args, []string{BinaryPath, "late", MountPoint + "/" + a.Late.File.Name, "--"}) {
		t.Errorf("args %q", args)
	}
	q := profile(specs.ActAllow, rule(specs.ActErrno, "openat", "socket"))
	c, _ := Make(q, Options{})
	if c.Late.File.Name == a.Late.File.Name {
		t.Error("two profiles share a name")
	}
	if _, err := Make(nil, Options{}); err != ErrNoProfile {
		t.Errorf("nil profile: %v", err)
	}
}

// HostArgs maps a late stage's paths in the container to the host paths
// the mounts bind there, as runc would find them.
func TestHostArgs(t *testing.T) {
	p := profile(specs.ActAllow, rule(specs.ActErrno, "openat"))
	plan, err := Make(p, Options{NoNewPrivileges: true})
	if err != nil {
		t.Fatal(err)
	}
	args := append(plan.Late.Args(), "/app", "-x")
	for name, tc := range map[string]struct {
		mounts []specs.Mount
		want   []string
	}{
		"a bundle": {plan.Late.Mounts(DirName, ""),
			[]string{"/b/.oci-sbx/oci-sbx", "late", "/b/.oci-sbx/" + plan.Late.File.Name, "--", "/app", "-x"}},
		"a hook": {plan.Late.Mounts("/run/oci-sbx/late/x", "/usr/bin/oci-sbx-static"),
			[]string{"/usr/bin/oci-sbx-static", "late", "/run/oci-sbx/late/x/" + plan.Late.File.Name, "--", "/app", "-x"}},
	} {
		got, late, err := HostArgs(&specs.Spec{Process: &specs.Process{Args: args}, Mounts: tc.mounts}, "/b")
		if err != nil || !late || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q %v %v, want %q", name, got, late, err, tc.want)
		}
	}
	// A late stage that reports: the agent's socket the bundle binds
	// into the container, on the host.
	reporting := *plan.Late
	reporting.AgentSocket = "/run/agent.sock"
	rargs := append(reporting.Args(), "/app")
	got, _, err := HostArgs(&specs.Spec{Process: &specs.Process{Args: rargs}, Mounts: reporting.Mounts(DirName, "")}, "/b")
	if want := []string{"/b/.oci-sbx/oci-sbx", "late", AgentFlag, "/run/agent.sock", "/b/.oci-sbx/" + reporting.File.Name, "--", "/app"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("reporting: %q %v, want %q", got, err, want)
	}

	// A bundle named relative to the working directory: the process
	// starts in process.cwd, so the paths must not be relative.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	got, _, err = HostArgs(&specs.Spec{Process: &specs.Process{Args: args}, Mounts: plan.Late.Mounts(DirName, "")}, "b")
	if want := filepath.Join(wd, "b", DirName, BinaryName); err != nil || len(got) == 0 || got[0] != want {
		t.Errorf("a relative bundle: %q %v, want %s first", got, err, want)
	}
	if _, _, err := HostArgs(&specs.Spec{Process: &specs.Process{Args: args}}, "/b"); err == nil {
		t.Error("a late stage without its mount was run")
	}
	if got, late, err := HostArgs(&specs.Spec{Process: &specs.Process{Args: []string{"/app"}}}, "/b"); err != nil || late || !slices.Equal(got, []string{"/app"}) {
		t.Errorf("no late stage: %q %v %v", got, late, err)
	}
}
