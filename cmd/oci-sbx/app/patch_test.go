package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// runcSpec is config.json as `runc spec` writes it.
const runcSpec = "../../../oci/testdata/runc-spec.json"

const denyConnect = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [connect]\n"

// newBundle makes a bundle directory holding config (`runc spec`'s when
// empty), and returns it with a rules file holding rules.
func newBundle(t *testing.T, config, rules string) (bundle, profile string) {
	t.Helper()
	dir := t.TempDir()
	bundle = filepath.Join(dir, "bundle")
	if err := os.Mkdir(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte(config)
	if config == "" {
		var err error
		if data, err = os.ReadFile(runcSpec); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	profile = filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(profile, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return bundle, profile
}

// runcReads decodes config.json as runc does, with runtime-spec's types.
func runcReads(t *testing.T, bundle string) *specs.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestPatchHelp(t *testing.T) {
	code, out, _ := runCLI(t, "patch", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	golden(t, "help-patch.txt", out)
}

// Every config.json runc would read differently than it reads, and every
// file that is not a plain file reached without symlinks, is refused with
// exit status 1 and left exactly as it was.
func TestPatchRefusesHostileConfigs(t *testing.T) {
	const good = `{"ociVersion": "1.0.2", "process": {"args": ["/app"]}}`
	type hostile struct {
		name   string
		config string
		setup  func(t *testing.T, bundle string) string // may replace the bundle path
		stderr string
	}
	tests := []hostile{
		{name: "case variant", config: `{"process": {"args": ["/app"]}, "linux": {"SECCOMP": {"defaultAction": "SCMP_ACT_ALLOW"}}}`,
			stderr: `1:43: key "SECCOMP" differs only in case from "seccomp": runc's decoder would read it as linux.seccomp`},
		{name: "duplicate key", config: `{"process": {"args": ["/app"]}, "process": {"args": ["/other"]}}`,
			stderr: `duplicate key "process"`},
		{name: "trailing data", config: good + "\n{}\n", stderr: "2:1: unexpected data after the JSON object"},
		{name: "symlinked config.json", config: good, setup: func(t *testing.T, bundle string) string {
			real := filepath.Join(filepath.Dir(bundle), "real.json")
			os.Rename(filepath.Join(bundle, "config.json"), real)
			os.Symlink(real, filepath.Join(bundle, "config.json"))
			return bundle
		}, stderr: "a symlink, not a regular file"},
		{name: "symlinked bundle", config: good, setup: func(t *testing.T, bundle string) string {
			link := filepath.Join(filepath.Dir(bundle), "link")
			os.Symlink(bundle, link)
			return link
		}, stderr: `link" is a symlink, not a directory`},
		{name: "FIFO", setup: func(t *testing.T, bundle string) string {
			os.Remove(filepath.Join(bundle, "config.json"))
			if err := unix.Mkfifo(filepath.Join(bundle, "config.json"), 0o644); err != nil {
				t.Fatal(err)
			}
			return bundle
		}, stderr: "a FIFO, not a regular file"},
		{name: "device", setup: func(t *testing.T, bundle string) string {
			if os.Geteuid() != 0 {
				testutil.Missing(t, "making a device node needs root")
			}
			os.Remove(filepath.Join(bundle, "config.json"))
			if err := unix.Mknod(filepath.Join(bundle, "config.json"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))); err != nil {
				t.Fatal(err)
			}
			return bundle
		}, stderr: "a character device, not a regular file"},
		{name: "too large", config: good, setup: func(t *testing.T, bundle string) string {
			if err := os.Truncate(filepath.Join(bundle, "config.json"), oci.MaxConfigSize+1); err != nil {
				t.Fatal(err)
			}
			return bundle
		}, stderr: "larger than 16 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bundle, profile := newBundle(t, tt.config, denyConnect)
			if tt.setup != nil {
				bundle = tt.setup(t, bundle)
			}
			before := snapshot(t, filepath.Dir(bundle))
			code, _, stderr := runCLI(t, "patch", "--backup", "--profile", profile, bundle)
			if code != 1 || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want 1 and %q in stderr:\n%s", code, tt.stderr, stderr)
			}
			if after := snapshot(t, filepath.Dir(bundle)); after != before {
				t.Errorf("the bundle changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot describes every file under dir: name, type, and for regular
// files the content, so that any change shows.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(path + " " + d.Type().String())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			b.WriteString(" " + strings.TrimRight(string(bytes.ReplaceAll(data, []byte{0}, nil)), "\n") + " " + string(rune(len(data))))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A profile runc can start with goes into linux.seccomp: runc reads the
// intended profile, with "flags": [], and nothing else in the file moves.
func TestPatchDenyConnect(t *testing.T) {
	bundle, profile := newBundle(t, "", denyConnect)
	before, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	code, stdout, stderr := runCLI(t, "patch", "--profile", profile, bundle)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "oci-sbx: patched "+bundle+"/config.json\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	want, err := convert.Read(profile, []byte(denyConnect), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := runcReads(t, bundle).Linux.Seccomp
	if err := convert.Equal(got, want); err != nil {
		t.Error(err)
	}
	if got.Flags == nil || !bytes.Contains(after, []byte("\"flags\": [],")) {
		t.Error(`no "flags": []`)
	}
	// The change is the new linux.seccomp object, nothing else.
	golden(t, "patch-deny-connect.diff", oci.Diff("runc spec", "patched", before, after))

	// Patching again with the same profile changes nothing.
	code, _, stderr = runCLI(t, "patch", "--profile", profile, bundle)
	if again, _ := os.ReadFile(filepath.Join(bundle, "config.json")); code != 0 || !bytes.Equal(again, after) || !strings.Contains(stderr, "already holds this patch") {
		t.Errorf("second patch: exit %d, stderr %s", code, stderr)
	}
}

// The demo's openat denial stops runc: --dry-run shows the late stage it
// would set up, and changes nothing.
func TestPatchDemoDryRun(t *testing.T) {
	// The late profile's name: the SHA-256 of the demo as OCI JSON.
	const demoLate = "profile-688d6dbfd712eae9c1a575d3b88d2c7c326b4b48a58b5bf19bbdf5c8a5bdd03a.json"
	bundle, _ := newBundle(t, "", "")
	before := snapshot(t, bundle)
	code, stdout, stderr := runCLI(t, "patch", "--dry-run", "--profile", demo, bundle)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"--- " + bundle + "/config.json\n+++ " + bundle + "/config.json (patched)\n",
		"+\t\t\t\"/.oci-sbx/oci-sbx\",\n+\t\t\t\"late\",\n+\t\t\t\"/.oci-sbx/" + demoLate + "\",\n+\t\t\t\"--\",\n \t\t\t\"sh\"\n",
		"+\t\t\t\"destination\": \"/.oci-sbx\",\n+\t\t\t\"type\": \"bind\",\n+\t\t\t\"source\": \".oci-sbx\",\n",
		"+\t\t\"seccomp\": {\n+\t\t\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n+\t\t\t\"flags\": [],\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff lacks\n%s", want)
		}
	}
	for _, want := range []string{"would write " + bundle + "/.oci-sbx/" + demoLate + " and " + bundle + "/.oci-sbx/oci-sbx", "late stage: runc cannot start under this profile",
		"openat: the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails:"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if after := snapshot(t, bundle); after != before {
		t.Errorf("--dry-run changed the bundle:\n%s", after)
	}
}

func TestPatchNoLate(t *testing.T) {
	bundle, _ := newBundle(t, "", "")
	before := snapshot(t, bundle)
	code, _, stderr := runCLI(t, "patch", "--no-late", "--profile", demo, bundle)
	want := `oci-sbx: refusing to patch "` + bundle + `": runc cannot start a container under this profile, and --no-late rules out the late stage:
	openat: the profile gives errno(EPERM); runc with noNewPrivileges true calls it after loading the filter and fails: "open exec fifo /proc/self/fd/`
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
	if after := snapshot(t, bundle); after != before {
		t.Error("the bundle changed")
	}
}

// Without noNewPrivileges runc loads before it sets the user and the
// capabilities; a profile that denies what that needs gets
// noNewPrivileges, and no late stage.
func TestPatchSetsNoNewPrivileges(t *testing.T) {
	data, err := os.ReadFile(runcSpec)
	if err != nil {
		t.Fatal(err)
	}
	config := strings.Replace(string(data), `"noNewPrivileges": true`, `"noNewPrivileges": false`, 1)
	const capset = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [capset]\n"
	bundle, profile := newBundle(t, config, capset)
	code, _, stderr := runCLI(t, "patch", "--no-late", "--profile", profile, bundle)
	if code != 0 || !strings.Contains(stderr, "set process.noNewPrivileges") || !strings.Contains(stderr, "capset: the profile gives errno(EPERM); runc with noNewPrivileges false") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if s := runcReads(t, bundle); !s.Process.NoNewPrivileges || len(s.Process.Args) != 1 {
		t.Errorf("noNewPrivileges %v, args %q", s.Process.NoNewPrivileges, s.Process.Args)
	}
	patched, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Patching again with the same profile changes nothing; with one
	// that does not need noNewPrivileges, it is false again, as before
	// the first patch.
	if code, _, stderr := runCLI(t, "patch", "--no-late", "--profile", profile, bundle); code != 0 || !strings.Contains(stderr, "already holds this patch") {
		t.Errorf("same patch again: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(profile, []byte(denyConnect), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "patch", "--no-late", "--profile", profile, bundle); code != 0 || strings.Contains(stderr, "set process.noNewPrivileges") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := runcReads(t, bundle)
	if s.Process.NoNewPrivileges || s.Annotations[stage.NoNewPrivilegesAnnotation] != "" {
		t.Errorf("after patching deny-connect: noNewPrivileges %v, annotations %v", s.Process.NoNewPrivileges, s.Annotations)
	}
	// And back: the same bytes as the first time.
	if err := os.WriteFile(profile, []byte(capset), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "patch", "--no-late", "--profile", profile, bundle); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(bundle, "config.json")); string(again) != string(patched) {
		t.Errorf("patching capset again gave\n%s\nwant\n%s", again, patched)
	}
}

func TestPatchLateBinary(t *testing.T) {
	bundle, _ := newBundle(t, "", "")
	before := snapshot(t, bundle)
	// The test binary is neither oci-sbx nor static.
	code, _, stderr := runCLI(t, "patch", "--late-binary", os.Args[0], "--profile", demo, bundle)
	if code != 1 || !strings.Contains(stderr, "the profile needs a late stage: --late-binary: "+os.Args[0]+" is ") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if after := snapshot(t, bundle); after != before {
		t.Error("the bundle changed")
	}
}

// Patching a bundle that has a late stage from an earlier patch replaces
// it: the original process comes back, the mount and the files go.
func TestPatchReplacesLateStage(t *testing.T) {
	bundle, profile := newBundle(t, `{"process": {"args": ["/.oci-sbx/oci-sbx", "late", "/.oci-sbx/late.json", "--", "/app", "-x"], "noNewPrivileges": true},
		"mounts": [{"destination": "/proc", "type": "proc"}, {"destination": "/.oci-sbx", "type": "bind", "source": ".oci-sbx"}]}`, denyConnect)
	os.Mkdir(filepath.Join(bundle, ".oci-sbx"), 0o755)
	for _, f := range []string{"oci-sbx", "late.json"} {
		os.WriteFile(filepath.Join(bundle, ".oci-sbx", f), nil, 0o644)
	}
	code, _, stderr := runCLI(t, "patch", "--profile", profile, bundle)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	s := runcReads(t, bundle)
	if strings.Join(s.Process.Args, " ") != "/app -x" || len(s.Mounts) != 1 || s.Mounts[0].Destination != "/proc" {
		t.Errorf("args %q, mounts %+v", s.Process.Args, s.Mounts)
	}
	// The replaced config's files stay for a runc that read it just
	// before; the next patch leaves only the lock.
	if entries, err := os.ReadDir(filepath.Join(bundle, ".oci-sbx")); err != nil || len(entries) != 3 {
		t.Errorf("after one patch: %v %v", entries, err)
	}
	if code, _, stderr := runCLI(t, "patch", "--profile", profile, bundle); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if entries, err := os.ReadDir(filepath.Join(bundle, ".oci-sbx")); err != nil || len(entries) != 1 || entries[0].Name() != "lock" {
		t.Errorf("the late stage's files are still there: %v %v", entries, err)
	}
}

func TestPatchBackup(t *testing.T) {
	bundle, profile := newBundle(t, "", denyConnect)
	orig, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	if code, _, stderr := runCLI(t, "patch", "--backup", "--profile", profile, bundle); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(bundle, "config.json.orig")); !bytes.Equal(b, orig) {
		t.Error("config.json.orig is not the original")
	}
	patched, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err := os.WriteFile(profile, []byte("default: allow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "patch", "--backup", "--profile", profile, bundle)
	if code != 1 || !strings.Contains(stderr, "config.json.orig\" already exists") {
		t.Errorf("second backup: exit %d\n%s", code, stderr)
	}
	if now, _ := os.ReadFile(filepath.Join(bundle, "config.json")); !bytes.Equal(now, patched) {
		t.Error("config.json changed although the backup was refused")
	}
}

func TestPatchUsage(t *testing.T) {
	bundle, profile := newBundle(t, "", denyConnect)
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"patch", "--profile", profile}, "patch takes one BUNDLE directory, got 0 arguments"},
		{[]string{"patch", "--profile", profile, bundle, bundle}, "got 2 arguments"},
		{[]string{"patch", bundle}, "patch needs --profile FILE"},
		{[]string{"patch", "--from", "yaml", "--profile", profile, bundle}, `--from: unknown format "yaml"`},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("%q: exit %d\n%s", tt.args, code, stderr)
		}
		checkUsageError(t, stderr)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	// The path is named once, and the missing part of a longer one too.
	if code, _, stderr := runCLI(t, "patch", "--profile", profile, missing); code != 1 ||
		stderr != "oci-sbx: opening bundle \""+missing+"\": no such file or directory\n" {
		t.Errorf("missing bundle: exit %d\n%s", code, stderr)
	}
	if _, _, stderr := runCLI(t, "patch", "--profile", profile, filepath.Join(missing, "b")); !strings.Contains(stderr, "\": \""+missing+"\": no such file") {
		t.Errorf("missing bundle's parent:\n%s", stderr)
	}
}
