package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

func writeExecFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	execDemoJSON   = `{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[{"names":["openat","connect"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
	execGetppidOCI = `{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`
)

// exec exits as env and sh do when CMD does not start: 127 when it is not
// there, 126 when it is but cannot run.
func TestExecNotRunnable(t *testing.T) {
	profile := writeExecFile(t, "p.json", execGetppidOCI)
	dir := t.TempDir()
	notExecutable := writeExecFile(t, "plain", "#!/bin/sh\n")
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, cmd string
		code      int
		want      string
	}{
		{"not-in-path", "no-such-program-oci-sbx", 127, `finding "no-such-program-oci-sbx": not found in the program's PATH "`},
		{"no-such-file", filepath.Join(dir, "nope"), 127, "no such file"},
		{"directory", dir, 126, "is a directory"},
		{"not-executable", notExecutable, 126, "permission denied"},
		{"exec-format", garbage, 126, "exec format error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "exec", "--report", "--profile", profile, "--", tc.cmd)
			if !sandbox.Supported {
				tc.code, tc.want = OwnFailure, "built without seccomp support"
			}
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit status %d, want %d; stderr (want one line with %q):\n%s", code, tc.code, tc.want, stderr)
			}
		})
	}
}

func TestExecBadInput(t *testing.T) {
	profile := writeExecFile(t, "p.json", execGetppidOCI)
	notifyWrite := writeExecFile(t, "nw.json", `{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[{"names":["write"],"action":"SCMP_ACT_NOTIFY"}]}`)
	notifyDefault := writeExecFile(t, "nd.json", `{"defaultAction":"SCMP_ACT_NOTIFY","flags":[],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`)
	garbage := writeExecFile(t, "g.json", `{"defaultAction": `)
	noProcess := t.TempDir()
	if err := os.WriteFile(filepath.Join(noProcess, "config.json"), []byte(`{"ociVersion":"1.2.0","root":{"path":"rootfs"},"linux":{"seccomp":`+execGetppidOCI+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr, when this build supports seccomp
	}{
		{"no-command", []string{"exec", "--profile", profile}, OwnFailure, "exec needs a command"},
		{"no-profile", []string{"exec", "--", "true"}, OwnFailure, "exec needs --profile FILE or --bundle DIR"},
		{"command-and-bundle", []string{"exec", "--bundle", noProcess, "--", "true"}, OwnFailure, "not both"},
		{"bad-from", []string{"exec", "--from", "xml", "--profile", profile, "--", "true"}, OwnFailure, "--from"},
		{"missing-profile", []string{"exec", "--profile", filepath.Join(t.TempDir(), "nope.json"), "--", "true"}, OwnFailure, "no such file"},
		{"invalid-profile", []string{"exec", "--profile", garbage, "--", "true"}, OwnFailure, "g.json"},
		{"bundle-without-process", []string{"exec", "--bundle", noProcess}, OwnFailure, "has no process"},
		{"missing-bundle", []string{"exec", "--bundle", filepath.Join(t.TempDir(), "nope")}, OwnFailure, "config.json"},
		{"notify-write", []string{"exec", "--profile", notifyWrite, "--", "true"}, OwnFailure, "notify on write"},
		{"notify-default", []string{"exec", "--profile", notifyDefault, "--", "true"}, OwnFailure, "notify cannot be the default action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			// Usage errors come first; the rest, with seccomp support.
			usage := strings.Contains(stderr, "Run 'oci-sbx exec --help'")
			if (usage || sandbox.Supported) && !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if !usage && !sandbox.Supported && !strings.Contains(stderr, "built without seccomp support") {
				t.Errorf("stderr lacks the unsupported-build error:\n%s", stderr)
			}
		})
	}
}

func TestExecRuns(t *testing.T) {
	if !sandbox.Supported {
		t.Skip("built without seccomp support")
	}
	profile := writeExecFile(t, "p.json", execGetppidOCI)
	demo := writeExecFile(t, "demo.json", execDemoJSON)

	t.Run("exit-status", func(t *testing.T) {
		code, _, stderr := runCLI(t, "exec", "--profile", profile, "--", "sh", "-c", "exit 3")
		if code != 3 {
			t.Errorf("exit status %d, want 3; stderr:\n%s", code, stderr)
		}
	})
	t.Run("signal", func(t *testing.T) {
		code, _, stderr := runCLI(t, "exec", "--profile", profile, "--", "sh", "-c", "kill -TERM $$")
		if code != 128+15 {
			t.Errorf("exit status %d, want 143; stderr:\n%s", code, stderr)
		}
	})
	t.Run("dynamic-loader", func(t *testing.T) {
		code, _, stderr := runCLI(t, "exec", "--profile", demo, "--", "cat", "/etc/hostname")
		if code != 126 || !strings.Contains(stderr, "is dynamically linked: its loader ") || !strings.Contains(stderr, "openat, which this profile denies (errno EPERM)") {
			t.Errorf("exit status %d, stderr:\n%s", code, stderr)
		}
	})
	t.Run("bundle", func(t *testing.T) {
		dir := t.TempDir()
		config := `{"ociVersion":"1.2.0","process":{"args":["sh","-c","echo $GREETING; exit 4"],"env":["PATH=/usr/bin:/bin","GREETING=hello"],"cwd":"/","noNewPrivileges":true},"root":{"path":"rootfs"},"linux":{"seccomp":` + execGetppidOCI + `}}`
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "exec", "--bundle", dir)
		if code != 4 || stdout != "hello\n" {
			t.Errorf("exit status %d, stdout %q, want 4 and hello; stderr:\n%s", code, stdout, stderr)
		}
	})
}

func TestExecPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	w := &prefixWriter{w: &b, prefix: "p: "}
	for _, s := range []string{"one\ntw", "o\n", "three\nfour\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if want := "p: one\np: two\np: three\np: four\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestExecLaunchForm: only `exec --profile FILE [--] CMD` with no other flag
// is the command line the launcher starts; everything else runs through Go.
func TestExecLaunchForm(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"--profile", "p.json", "--", "true"}, true},
		{[]string{"-p", "p.json", "true", "--report"}, true}, // CMD's own flag
		{[]string{"--profile=p.json", "true"}, true},
		{[]string{"--report", "--profile", "p.json", "true"}, false},
		{[]string{"--from", "oci", "--profile", "p.json", "true"}, false},
		{[]string{"--no-new-privs", "--profile", "p.json", "true"}, false},
		{[]string{"--no-new-privs=false", "--profile", "p.json", "true"}, false},
		{[]string{"--bundle", "b", "--profile", "p.json"}, false},
		{[]string{"--profile", "-", "true"}, false},
		{[]string{"--profile", "p.json"}, false},
	} {
		cmd := execCommand()
		var got bool
		cmd.Action = func(_ context.Context, c *cli.Command) error { got = launchForm(c); return nil }
		if err := cmd.Run(context.Background(), append([]string{"exec"}, c.args...)); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if got != c.want {
			t.Errorf("%q: launch form %v, want %v", c.args, got, c.want)
		}
	}

	// --quiet is not the launcher's form: it repeats the warnings reading
	// the profile printed.
	for _, args := range [][]string{{"--quiet", "exec", "-p", "p.json", "true"}, {"exec", "-q", "-p", "p.json", "true"}} {
		root := New()
		var got, ran bool
		for _, sub := range root.Commands {
			if sub.Name == "exec" {
				sub.Action = func(_ context.Context, c *cli.Command) error { got, ran = launchForm(c), true; return nil }
			}
		}
		if err := root.Run(context.Background(), append([]string{"oci-sbx"}, args...)); err != nil || !ran || got {
			t.Errorf("%q: launch form %v (ran %v, %v), want false", args, got, ran, err)
		}
	}
}

// TestExecLoadLaunch: what the launcher gets to start the same command line
// again — FILE's bytes and the warnings reading it printed — and nothing
// for a profile that reads another file.
func TestExecLoadLaunch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	docker := write("docker.json", `{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],`+
		`"syscalls":[{"names":["connect"],"action":"SCMP_ACT_ERRNO"}]}`)
	write("base.yaml", "default: allow\n")
	fromFile := write("from-file.yaml", "extends: base.yaml\nrules:\n  - syscalls: [connect]\n    action: errno(EPERM)\n")
	builtin := write("builtin.yaml", "extends: docker-default\nrules:\n  - syscalls: [connect]\n    action: errno(EPERM)\n")
	for _, c := range []struct {
		path   string
		launch bool
		notes  string
	}{
		{docker, true, "archMap"},
		{builtin, true, ""},
		{fromFile, false, ""},
	} {
		cmd := execCommand()
		var stderr bytes.Buffer
		cmd.ErrWriter = &stderr
		var l *sandbox.Launch
		cmd.Action = func(_ context.Context, cc *cli.Command) error {
			var err error
			_, l, err = loadLaunch(cc, c.path)
			return err
		}
		if err := cmd.Run(context.Background(), []string{"exec", "--profile", c.path, "true"}); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if (l != nil) != c.launch {
			t.Errorf("%s: launch %v, want %v", c.path, l != nil, c.launch)
			continue
		}
		if l == nil {
			continue
		}
		data, _ := os.ReadFile(c.path)
		if l.Profile != c.path || !bytes.Equal(l.Data, data) || string(l.Notes) != stderr.String() || !strings.Contains(string(l.Notes), c.notes) {
			t.Errorf("%s: launch %+v; stderr %q", c.path, l, stderr.String())
		}
	}
}
