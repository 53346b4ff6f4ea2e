package nri

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

const (
	demo      = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"
	noConnect = "default: allow\nrules:\n  - action: errno(EACCES)\n    syscalls: [connect]\n"
	enosys    = "default: errno(ENOSYS)\nrules:\n  - action: allow\n    syscalls: [\"@default\", \"@system-service\"]\n"
)

// newPlugin returns a plugin whose profiles directory holds the given
// files, with a stand-in for the late stage's binary (nothing runs it
// here: the adjustment is what is checked).
func newPlugin(t testing.TB, files map[string]string) (*Plugin, string) {
	t.Helper()
	dir := t.TempDir()
	profiles := filepath.Join(dir, "profiles")
	if err := os.Mkdir(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(profiles, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "oci-sbx")
	if err := os.WriteFile(bin, []byte("a static oci-sbx"), 0o755); err != nil {
		t.Fatal(err)
	}
	return New(Options{Profiles: profiles, Agents: t.TempDir(), LateDir: filepath.Join(dir, "late"), LateBinary: bin}), dir
}

func pod(annotations map[string]string) *api.PodSandbox {
	return &api.PodSandbox{Name: "web", Namespace: "default", Annotations: annotations}
}

func container(name string, policy *specs.LinuxSeccomp) *api.Container {
	c := &api.Container{Name: name, Args: []string{"/app", "-v"}, Linux: &api.LinuxContainer{}}
	if policy != nil {
		c.Linux.SeccompPolicy = api.FromOCILinuxSeccomp(policy)
		c.Linux.SeccompProfile = &api.SecurityProfile{ProfileType: api.SecurityProfile_RUNTIME_DEFAULT}
	} else {
		c.Linux.SeccompProfile = &api.SecurityProfile{ProfileType: api.SecurityProfile_UNCONFINED}
	}
	return c
}

func TestAdjustNothingAsked(t *testing.T) {
	p, _ := newPlugin(t, nil)
	adj, _, err := p.Adjust(pod(map[string]string{"example.com/other": "x"}), container("app", nil))
	if err != nil || adj != nil {
		t.Errorf("a pod without oci-sbx keys: %v, %v; want no adjustment", adj, err)
	}
}

// A profile runc can start under becomes the seccomp policy, nothing else.
func TestAdjustPolicyOnly(t *testing.T) {
	p, _ := newPlugin(t, map[string]string{"no-connect.yaml": noConnect})
	adj, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}), container("app", nil))
	if err != nil {
		t.Fatal(err)
	}
	got := toOCI(adj.GetLinux().GetSeccompPolicy())
	want, err := convert.Read("no-connect.yaml", []byte(noConnect), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := convert.Equal(want, got); err != nil {
		t.Errorf("the policy is not the profile: %v", err)
	}
	if len(adj.Args) != 0 || len(adj.Mounts) != 0 {
		t.Errorf("args %q and mounts %v for a profile runc can start under", adj.Args, adj.Mounts)
	}
}

// The demo denies openat: the late stage, by mounts of its directory and
// binary and args that start it in front of the container's own.
func TestAdjustLateStage(t *testing.T) {
	p, dir := newPlugin(t, map[string]string{"demo.yaml": demo})
	adj, notes, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "demo.yaml"}), container("app", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(adj.Args) < 5 || adj.Args[0] != stage.BinaryPath || adj.Args[1] != "late" || !slices.Equal(adj.Args[len(adj.Args)-3:], []string{"--", "/app", "-v"}) {
		t.Fatalf("args %q do not start the late stage in front of the container's", adj.Args)
	}
	profile := strings.TrimPrefix(adj.Args[2], stage.MountPoint+"/")
	var lateDir, binary string
	for _, m := range adj.Mounts {
		if !slices.Contains(m.Options, "ro") || m.Type != "bind" {
			t.Errorf("mount %v is not a read-only bind", m)
		}
		switch m.Destination {
		case stage.MountPoint:
			lateDir = m.Source
		case stage.BinaryPath:
			binary = m.Source
		}
	}
	data, err := os.ReadFile(filepath.Join(lateDir, profile))
	if err != nil {
		t.Fatalf("the late profile is not in the bound directory: %v", err)
	}
	late, err := convert.Read(profile, data, convert.OCI, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := convert.Read("demo.yaml", []byte(demo), convert.Rules, convert.Options{})
	if err := convert.Equal(want, late); err != nil {
		t.Errorf("the late stage loads another profile: %v", err)
	}
	if !strings.HasPrefix(binary, filepath.Join(dir, "late")+"/oci-sbx-") {
		t.Errorf("the binary bound is %q, not the copy in the late directory", binary)
	}
	if b, err := os.ReadFile(binary); err != nil || string(b) != "a static oci-sbx" {
		t.Errorf("the copied binary: %q, %v", b, err)
	}
	// runc starts under the policy, which lets through what runc and the
	// late stage need: openat among them.
	if pol := toOCI(adj.GetLinux().GetSeccompPolicy()); slices.ContainsFunc(pol.Syscalls, func(r specs.LinuxSyscall) bool {
		return slices.Contains(r.Names, "openat") && r.Action != specs.ActAllow
	}) {
		t.Error("the policy denies openat, which runc needs")
	}
	if len(notes) == 0 {
		t.Error("no note says why the late stage is there")
	}
}

// NRI drops defaultErrnoRet: a default of errno(ENOSYS) is kept by the
// late stage, and the policy's default never claims an errno NRI loses.
func TestAdjustDefaultErrno(t *testing.T) {
	p, _ := newPlugin(t, map[string]string{"enosys.yaml": enosys})
	adj, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "enosys.yaml"}), container("app", nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(adj.Args) == 0 || adj.Args[0] != stage.BinaryPath {
		t.Fatalf("no late stage for a default errno NRI would drop: args %q", adj.Args)
	}
	if e := adj.GetLinux().GetSeccompPolicy().GetDefaultErrno(); e != nil && e.GetValue() != 1 {
		t.Errorf("the policy relies on defaultErrnoRet %d, which containerd drops", e.GetValue())
	}
}

// The kubelet's profile stays in force: the policy is never laxer than
// it, and replace drops it only when asked.
func TestAdjustKeepsEngine(t *testing.T) {
	p, _ := newPlugin(t, map[string]string{"no-connect.yaml": noConnect})
	kubelet := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"ptrace"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1)}}}
	adj, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}), container("app", kubelet))
	if err != nil {
		t.Fatal(err)
	}
	pol := toOCI(adj.GetLinux().GetSeccompPolicy())
	for _, call := range []string{"ptrace", "connect"} {
		if !slices.ContainsFunc(pol.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, call) && r.Action == specs.ActErrno }) {
			t.Errorf("the policy does not deny %s: %+v", call, pol.Syscalls)
		}
	}
	adj, _, err = p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml", "oci-sbx.io/engine-profile": "replace"}), container("app", kubelet))
	if err != nil {
		t.Fatal(err)
	}
	pol = toOCI(adj.GetLinux().GetSeccompPolicy())
	if slices.ContainsFunc(pol.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, "ptrace") }) {
		t.Error("engine-profile: replace kept the kubelet's ptrace rule")
	}
}

// A Localhost profile the runtime does not show is read from its file; a
// RuntimeDefault it does not show refuses the container.
func TestEngineProfileHidden(t *testing.T) {
	p, dir := newPlugin(t, map[string]string{"no-connect.yaml": noConnect})
	c := container("app", nil)
	c.Linux.SeccompProfile = &api.SecurityProfile{ProfileType: api.SecurityProfile_RUNTIME_DEFAULT}
	_, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}), c)
	if err == nil || !strings.Contains(err.Error(), "use oci-sbx.io/engine-profile: replace") {
		t.Errorf("an unseen RuntimeDefault: %v", err)
	}
	ref := filepath.Join(dir, "kubelet.json")
	if err := os.WriteFile(ref, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Linux.SeccompProfile = &api.SecurityProfile{ProfileType: api.SecurityProfile_LOCALHOST, LocalhostRef: ref}
	adj, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}), c)
	if err != nil {
		t.Fatal(err)
	}
	if pol := toOCI(adj.GetLinux().GetSeccompPolicy()); !slices.ContainsFunc(pol.Syscalls, func(r specs.LinuxSyscall) bool { return slices.Contains(r.Names, "ptrace") }) {
		t.Error("the Localhost profile read from its file is not kept")
	}
	// A file that is no profile is not quoted to the pod's author.
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root:$6$secret:19000:0:99999:7:::\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Linux.SeccompProfile = &api.SecurityProfile{ProfileType: api.SecurityProfile_LOCALHOST, LocalhostRef: secret}
	_, _, err = p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}), c)
	if err == nil || !strings.Contains(err.Error(), "not an OCI profile") || strings.Contains(err.Error(), "secret:") {
		t.Errorf("a Localhost file that is no profile: %v", err)
	}
}

func TestAdjustRefuses(t *testing.T) {
	p, _ := newPlugin(t, map[string]string{"demo.yaml": demo, "bad.yaml": "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n"})
	big := strings.Repeat("#", 64<<10) + "\n" + demo
	for _, tt := range []struct {
		name string
		ann  map[string]string
		want string
	}{
		{"unknown key", map[string]string{"oci-sbx.io/profil": "demo.yaml"}, `"oci-sbx.io/profil": unknown oci-sbx annotation: did you mean "oci-sbx.io/profile"?`},
		{"internal key", map[string]string{"oci-sbx.io/handover": "late"}, "annotation written by oci-sbx only"},
		{"outside", map[string]string{"oci-sbx.io/profile": "../x.yaml"}, "outside the profiles directory"},
		{"missing", map[string]string{"oci-sbx.io/profile": "none.yaml"}, "no such file or directory"},
		{"bad profile", map[string]string{"oci-sbx.io/profile": "bad.yaml"}, `reading "bad.yaml": not a profile oci-sbx reads (line 4, column 16)`},
		{"rules too long", map[string]string{"oci-sbx.io/rules": big}, "more than 64 KiB; put the rules in a file in the profiles directory and name it with oci-sbx.io/profile"},
		{"two profiles", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/rules": demo}, "give one profile, not two"},
		{"report socket outside", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/report": "/run/containerd/containerd.sock"}, `reporting to "/run/containerd/containerd.sock": outside the agents directory`},
		{"a listener outside", map[string]string{"oci-sbx.io/rules": "{default: allow, listenerPath: /run/containerd/containerd.sock, rules: [{action: notify, syscalls: [mkdir]}]}"},
			`annotation oci-sbx.io/rules: the profile's listenerPath: reporting to "/run/containerd/containerd.sock": outside the agents directory`},
		{"report socket out by ..", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/report": "../agent.sock"}, "outside the agents directory"},
		{"no agent", map[string]string{"oci-sbx.io/profile": "demo.yaml", "oci-sbx.io/report": "agent.sock"}, `reporting to "agent.sock": no such file or directory (start the agent with oci-sbx agent --socket `},
	} {
		t.Run(tt.name, func(t *testing.T) {
			adj, _, err := p.Adjust(pod(tt.ann), container("app", nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, %v; want an error containing %q", adj, err, tt.want)
			}
		})
	}
	// Without a binary for the late stage, the demo is refused, saying why.
	p = New(Options{Profiles: p.opt.Profiles, LateDir: p.opt.LateDir})
	if _, _, err := p.Adjust(pod(map[string]string{"oci-sbx.io/profile": "demo.yaml"}), container("app", nil)); err == nil || !strings.Contains(err.Error(), "the late stage needs a static oci-sbx") {
		t.Errorf("no late binary: %v", err)
	}
}

func TestToOCIRoundTrip(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(38), Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
		Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}, ListenerPath: "/run/a.sock", ListenerMetadata: "m",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(13),
			Args: []specs.LinuxSeccompArg{{Index: 2, Value: 3, ValueTwo: 1, Op: specs.OpMaskedEqual}}}},
	}
	if err := convert.Equal(s, toOCI(api.FromOCILinuxSeccomp(s))); err != nil {
		t.Error(err)
	}
}

// BenchmarkAdjust is the plugin's own work per container, what containerd
// waits for besides the ttrpc round trip: nothing asked, a profile runc
// starts under, and the demo with its late stage (the files already
// written, as for every container after the first with that profile).
func BenchmarkAdjust(b *testing.B) {
	for _, bc := range []struct{ name, profile string }{
		{"no-annotation", ""},
		{"linux.seccomp", "no-connect.yaml"},
		{"late-stage", "demo.yaml"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, _ := newPlugin(b, map[string]string{"demo.yaml": demo, "no-connect.yaml": noConnect})
			ann := map[string]string{}
			if bc.profile != "" {
				ann["oci-sbx.io/profile"] = bc.profile
			}
			for b.Loop() {
				if _, _, err := p.Adjust(pod(ann), container("app", nil)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A plugin the runtime starts from its plugin directory takes its
// settings from the runtime's configuration file for it.
func TestConfigure(t *testing.T) {
	p := New(Options{})
	if _, err := p.Configure(t.Context(), "profiles: /srv/profiles\nlateDir: /run/x\nagents: /run/agents\n", "containerd", "2.4.2"); err != nil {
		t.Fatal(err)
	}
	if p.opt.Profiles != "/srv/profiles" || p.opt.LateDir != "/run/x" || p.opt.Agents != "/run/agents" {
		t.Errorf("configured %+v", p.opt)
	}
	if _, err := p.Configure(t.Context(), "agents: run/agents\n", "containerd", "2.4.2"); err == nil || !strings.Contains(err.Error(), `agents: "run/agents" is not an absolute path`) {
		t.Errorf("a relative directory: %v, want an error", err)
	}
	// Of two relative paths, always the first key's is named.
	for range 20 {
		if _, err := p.Configure(t.Context(), "agents: run/agents\nprofiles: srv\n", "containerd", "2.4.2"); err == nil || !strings.Contains(err.Error(), `profiles: "srv" is not an absolute path`) {
			t.Fatalf("two relative directories: %v, want the error for profiles", err)
		}
	}
	if _, err := p.Configure(t.Context(), "profile: /srv/profiles\n", "containerd", "2.4.2"); err == nil || !strings.Contains(err.Error(), "profile") {
		t.Errorf("an unknown key: %v, want an error", err)
	}
	if _, err := p.Configure(t.Context(), "", "containerd", "2.4.2"); err != nil {
		t.Errorf("no configuration: %v", err)
	}
}

// A second plugin on a node waits for the first to let go of the lock,
// and a stop while waiting is a clean one.
func TestLockInstance(t *testing.T) {
	dir := t.TempDir()
	first, second := New(Options{LateDir: dir}), New(Options{LateDir: dir})
	unlock, err := first.lockInstance(context.Background())
	if err != nil || unlock == nil {
		t.Fatalf("first: %v", err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := second.lockInstance(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("the second took the lock the first holds")
	case <-time.After(300 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		if u == nil {
			t.Fatal("the second got no lock")
		}
		defer u()
	case <-time.After(10 * time.Second):
		t.Fatal("the second did not take the lock the first let go of")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		u, err := New(Options{LateDir: dir}).lockInstance(ctx)
		if u != nil {
			err = errors.New("a third took the lock the second holds")
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
