package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/hooks"
)

func TestHookHelp(t *testing.T) {
	for _, args := range [][]string{{"hook"}, {"hook", "precreate"}, {"hook", "config"}, {"agent"}} {
		name := "help-" + strings.Join(args, "-") + ".txt"
		t.Run(name, func(t *testing.T) {
			code, out, _ := runCLI(t, append(args, "--help")...)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			golden(t, name, out)
		})
	}
}

const hookConfig = `{"ociVersion":"1.0.2-dev","process":{"args":["/app"],"cwd":"/"},"root":{"path":"rootfs"},"x-unknown":[1.0]%s}`

func TestHookPrecreate(t *testing.T) {
	plain := strings.Replace(hookConfig, "%s", "", 1)
	code, out, stderr := runCLIInput(t, plain, "hook", "precreate", "--log", "")
	if code != 0 || out != plain || stderr != "" {
		t.Errorf("pass-through: exit %d, stderr %q\nout %q\nwant %q", code, stderr, out, plain)
	}

	rules, _ := json.Marshal("default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [connect]\n")
	in := strings.Replace(hookConfig, "%s", `,"annotations":{"io.oci-sbx.rules":`+string(rules)+`}`, 1)
	code, out, stderr = runCLIInput(t, in, "hook", "precreate", "--log", "")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var spec specs.Spec
	if err := json.Unmarshal([]byte(out), &spec); err != nil {
		t.Fatal(err)
	}
	if s := spec.Linux.Seccomp; s == nil || s.DefaultAction != specs.ActAllow || len(s.Syscalls) != 1 || s.Syscalls[0].Names[0] != "connect" {
		t.Errorf("linux.seccomp: %+v", spec.Linux.Seccomp)
	}
	if !strings.Contains(out, `"x-unknown":[1.0]`) {
		t.Errorf("an unknown field was lost:\n%s", out)
	}

	// An error: a message, a non-zero exit and nothing on standard
	// output, so that Podman does not create the container.
	profiles := t.TempDir()
	bad := strings.Replace(hookConfig, "%s", `,"annotations":{"io.oci-sbx.profile":"/etc/shadow"}`, 1)
	log := filepath.Join(t.TempDir(), "log", "precreate.log")
	code, out, stderr = runCLIInput(t, bad, "hook", "precreate", "--profiles", profiles, "--log", log)
	msg := `oci-sbx: hook precreate: annotation io.oci-sbx.profile: reading "/etc/shadow": outside the profiles directory "` + profiles + `"` + "\n"
	if code != 1 || out != "" || stderr != msg {
		t.Errorf("exit %d, stdout %q\nstderr %q\nwant   %q", code, out, stderr, msg)
	}
	// Podman discards the hook's standard error; the log keeps it, for
	// root's eyes only.
	data, err := os.ReadFile(log)
	if err != nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `+regexp.QuoteMeta(msg)+`$`).Match(data) {
		t.Errorf("log %q, %v", data, err)
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, %v; want 0600", fi.Mode(), err)
	}
	// A log left readable by an older version turns private.
	if err := os.Chmod(log, 0o644); err != nil {
		t.Fatal(err)
	}
	runCLIInput(t, bad, "hook", "precreate", "--profiles", profiles, "--log", log)
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v after a write, %v; want 0600", fi.Mode(), err)
	}

	if code, _, stderr := runCLI(t, "hook", "precreate", "extra"); code != 2 || !strings.Contains(stderr, "takes no arguments") {
		t.Errorf("an argument: exit %d, %q", code, stderr)
	}
}

func TestHookConfig(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "hook", "config")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc hooks.HooksD
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Hook.Path != self || doc.Version != "1.0.0" || len(doc.Stages) != 1 || doc.Stages[0] != "precreate" ||
		strings.Join(doc.Hook.Args, " ") != "oci-sbx hook precreate --profiles /etc/oci-sbx/profiles" {
		t.Errorf("document:\n%s", out)
	}
	if code, out, _ := runCLI(t, "hook", "config", "--profiles", "/srv/profiles/"); code != 0 || !strings.Contains(out, `"--profiles",
			"/srv/profiles"`) {
		t.Errorf("--profiles: exit %d\n%s", code, out)
	}

	dir := t.TempDir()
	code, printed, stderr := runCLI(t, "hook", "config", "--dir", dir)
	if code != 0 || printed != "" || !strings.Contains(stderr, "wrote "+filepath.Join(dir, "oci-sbx.json")) {
		t.Fatalf("--dir: exit %d, %q %q", code, printed, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "oci-sbx.json"))
	if err != nil || string(data) != out {
		t.Errorf("the file holds %q, %v; want what is printed", data, err)
	}
	// A directory that does not exist is not created: Podman would never
	// read a misspelt one. The error says what to do, in one line.
	missing := filepath.Join(dir, "missing")
	if code, _, stderr := runCLI(t, "hook", "config", "--dir", missing); code != 1 ||
		stderr != "oci-sbx: --dir "+missing+" does not exist: create it (mkdir -p) if it is one Podman reads\n" {
		t.Errorf("missing dir: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("hook config created the missing directory")
	}
	if code, _, stderr := runCLI(t, "hook", "config", "--dir", filepath.Join(dir, "oci-sbx.json")); code != 1 || !strings.Contains(stderr, "is not a directory") {
		t.Errorf("a file as --dir: exit %d, %q", code, stderr)
	}
}

func TestHookUsage(t *testing.T) {
	if code, _, stderr := runCLI(t, "hook"); code != 2 || !strings.Contains(stderr, "hook needs a subcommand") {
		t.Errorf("no subcommand: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "hook", "prestart"); code != 2 || !strings.Contains(stderr, `unknown hook subcommand "prestart"`) {
		t.Errorf("unknown subcommand: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "agent"); code != 2 || !strings.Contains(stderr, "agent needs --socket PATH") {
		t.Errorf("agent without --socket: exit %d, %q", code, stderr)
	}
}

// TestAgentStops runs the agent command until its context ends, as
// SIGINT or SIGTERM end it in main: it returns cleanly and removes the
// socket.
func TestAgentStops(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "agent.sock")
	a := New()
	pr, pw := io.Pipe()
	a.Reader, a.Writer, a.ErrWriter = strings.NewReader(""), io.Discard, pw
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, []string{"oci-sbx", "agent", "--socket", socket}); pw.Close() }()
	var lines []string
	var read sync.WaitGroup
	read.Go(func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(socket); err == nil && fi.Mode().Type() == os.ModeSocket {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no socket after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("agent: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
	if _, err := os.Lstat(socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left: %v", err)
	}
	read.Wait()
	if len(lines) == 0 || lines[0] != "oci-sbx agent: listening on "+socket {
		t.Errorf("stderr: %q", lines)
	}
}
