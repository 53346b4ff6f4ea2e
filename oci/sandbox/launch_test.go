//go:build linux && cgo && seccomp

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/cache"
)

// launchEntryMagic starts a launch entry (launch.h's SBX_LAUNCH_MAGIC).
const launchEntryMagic = "oci-sbx launch entry 1\n"

// notLaunched is what this test binary prints when the launcher left a
// command line to the Go code (TestMain).
const notLaunched = "not launched"

// launcher runs this test binary as `exec ARGS…` — the launcher's command
// line — with one descriptor it must not pass on. The program is this
// binary again, in helper mode "launched".
type launcher struct {
	t       *testing.T
	profile string // the profile file, absolute
	env     []string
	dir     string
}

type launchResult struct {
	pid            int
	stdout, stderr string
	code           int
}

func (l *launcher) run(args ...string) launchResult {
	l.t.Helper()
	cmd := exec.Command(self(l.t), append([]string{"exec"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=launched"}, l.env...)...)
	cmd.Dir = l.dir
	leak, err := os.Create(filepath.Join(l.t.TempDir(), "leak"))
	if err != nil {
		l.t.Fatal(err)
	}
	defer leak.Close()
	cmd.ExtraFiles = []*os.File{leak}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		l.t.Fatal(err)
	}
	return launchResult{cmd.Process.Pid, out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// launched asserts that args were launched: the program ran in the
// launcher's process, under the filter, with only stdio inherited.
func (l *launcher) launched(what string, args ...string) {
	l.t.Helper()
	r := l.run(args...)
	want := fmt.Sprintf("pid %d\nNoNewPrivs: 1\nSeccomp: 2\ngetppid errno=%d\n", r.pid, unix.EPERM)
	if r.stdout != want || r.code != 7 || r.stderr != "a note\n" {
		l.t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 7, stdout %q, stderr the note", what, r.code, r.stdout, r.stderr, want)
	}
}

// notLaunched asserts that args were left to the Go code.
func (l *launcher) notLaunched(what string, args ...string) {
	l.t.Helper()
	if r := l.run(args...); r.code != 3 || r.stdout != notLaunched+"\n" {
		l.t.Errorf("%s: exit %d, stdout %q, stderr %q; want it left to the Go code", what, r.code, r.stdout, r.stderr)
	}
}

// fileLaunchEntry runs a program under s the way `oci-sbx exec --profile
// path` does, which files the launch entry when it may.
func fileLaunchEntry(t *testing.T, s *specs.LinuxSeccomp, path string, c Config) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Seccomp, c.Args = s, []string{"/bin/true"}
	c.Launch = &Launch{Profile: path, Data: data, Notes: []byte("a note\n")}
	if r, err := Run(context.Background(), c); err != nil || r.Status() != 0 {
		t.Fatalf("Run: %v %v", r, err)
	}
}

func writeProfile(t *testing.T, s *specs.LinuxSeccomp) string {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLaunch: a command line a warm run filed starts from the launcher,
// before the Go runtime, in place of the Go code; every other command line,
// and every entry that fails a check, is left to the Go code.
func TestLaunch(t *testing.T) {
	testutil.RequireRoot(t)
	cacheDir := testutil.PrivateDir(t)
	testutil.UseDir(t, cache.Env, cacheDir)
	s := testutil.Deny(unix.EPERM, "getppid")
	profile := writeProfile(t, s)
	l := &launcher{t: t, profile: profile, env: []string{"SANDBOX_TEST_CODE=7"}}

	l.notLaunched("cold", "--profile", profile, "--", self(t))
	before := cache.Stats().Launches
	fileLaunchEntry(t, s, profile, Config{NoNewPrivileges: true})
	if got := cache.Stats().Launches - before; got != 1 {
		t.Fatalf("Run filed %d launch entries, want 1", got)
	}
	fileLaunchEntry(t, s, profile, Config{NoNewPrivileges: true})
	if got := cache.Stats().Launches - before; got != 1 {
		t.Errorf("Run filed the same launch entry again")
	}

	l.launched("--profile FILE --", "--profile", profile, "--", self(t))
	l.launched("-p FILE", "-p", profile, self(t))
	l.launched("--profile=FILE", "--profile="+profile, self(t))
	l.launched("-p=FILE", "-p="+profile, "--", self(t))
	t.Run("by PATH", func(t *testing.T) {
		l := *l
		l.env = append(l.env, "PATH=/nonexistent::"+filepath.Dir(self(t)))
		l.launched("PATH lookup", "-p", profile, filepath.Base(self(t)))
	})

	l.notLaunched("--report", "--report", "--profile", profile, self(t))
	l.notLaunched("--from", "--from", "oci", "--profile", profile, self(t))
	l.notLaunched("--profile twice", "--profile", profile, "--profile", profile, self(t))
	l.notLaunched("no command", "--profile", profile)
	l.notLaunched("a command not found", "--profile", profile, "no-such-command-here")
	t.Run("other spelling of FILE", func(t *testing.T) {
		l := *l
		l.dir = filepath.Dir(profile)
		l.notLaunched("relative FILE", "--profile", filepath.Base(profile), self(t))
	})
	for _, v := range []string{"off", "relative/dir", filepath.Join(cacheDir, "elsewhere")} {
		t.Run(cache.Env+"="+v, func(t *testing.T) {
			l := *l
			l.env = append(l.env, cache.Env+"="+v)
			l.notLaunched(cache.Env+"="+v, "--profile", profile, self(t))
		})
	}

	entry := launchEntry(t, cacheDir)
	changes := []struct {
		what         string
		change, undo func() error
	}{
		{"profile changed", func() error { return appendFile(profile, " ") }, func() error { return truncateBy(profile, 1) }},
		{"program byte flipped", func() error { return flipByte(entry, -70) }, func() error { return flipByte(entry, -70) }},
		{"key byte flipped", func() error { return flipByte(entry, 40) }, func() error { return flipByte(entry, 40) }},
		{"checksum byte flipped", func() error { return flipByte(entry, -5) }, func() error { return flipByte(entry, -5) }},
		{"entry readable by others", func() error { return os.Chmod(entry, 0o644) }, func() error { return os.Chmod(entry, 0o600) }},
		{"entry a symlink", func() error { return swapForSymlink(entry) }, func() error { return os.Rename(entry+".real", entry) }},
		{"cache open to others", func() error { return os.Chmod(cacheDir, 0o755) }, func() error { return os.Chmod(cacheDir, 0o700) }},
		{"entry truncated", func() error { return truncateBy(entry, 100) }, nil},
	}
	for _, c := range changes {
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		l.notLaunched(c.what, "--profile", profile, self(t))
		if c.undo == nil {
			break
		}
		if err := c.undo(); err != nil {
			t.Fatal(err)
		}
		l.launched("after undoing: "+c.what, "--profile", profile, self(t))
	}
	// The Go code rebuilds what it finds broken.
	fileLaunchEntry(t, s, profile, Config{NoNewPrivileges: true})
	l.launched("rebuilt", "--profile", profile, self(t))
}

// TestLaunchNotFiled: Run files no entry when the launcher would not run
// the program as Run does.
func TestLaunchNotFiled(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.UseDir(t, cache.Env, "")
	kill := testutil.Deny(unix.EPERM, "getppid")
	kill.Syscalls[0].Action = specs.ActKillProcess
	for _, c := range []struct {
		what string
		s    *specs.LinuxSeccomp
		c    Config
	}{
		{"a kill action", kill, Config{NoNewPrivileges: true}},
		{"a trap action", &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActTrap}}}, Config{NoNewPrivileges: true}},
		{"a loader's open denied", testutil.Deny(unix.EPERM, "open"), Config{NoNewPrivileges: true}},
		{"no no_new_privs", testutil.Deny(unix.EPERM, "getppid"), Config{}},
		{"an environment", testutil.Deny(unix.EPERM, "getppid"), Config{NoNewPrivileges: true, Env: []string{"PATH=/usr/bin"}}},
		{"a directory", testutil.Deny(unix.EPERM, "getppid"), Config{NoNewPrivileges: true, Dir: "/"}},
	} {
		before := cache.Stats().Launches
		fileLaunchEntry(t, c.s, writeProfile(t, c.s), c.c)
		if got := cache.Stats().Launches - before; got != 0 {
			t.Errorf("%s: Run filed a launch entry", c.what)
		}
	}
}

// TestLaunchExecError: a program the kernel refuses to execute fails the
// same way through the launcher as through the Go code.
func TestLaunchExecError(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.UseDir(t, cache.Env, "")
	s := testutil.Deny(unix.EPERM, "getppid")
	profile := writeProfile(t, s)
	bad := filepath.Join(t.TempDir(), "not-a-program")
	if err := os.WriteFile(bad, []byte("\x01\x02 not a program\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Config{Seccomp: s, NoNewPrivileges: true, Args: []string{bad}})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.NotFound() {
		t.Fatalf("Run: %v; want an ExecError for a program that does not run", err)
	}
	fileLaunchEntry(t, s, profile, Config{NoNewPrivileges: true})
	// 126, as the command line exits for such an ExecError (env and sh
	// do the same).
	r := (&launcher{t: t}).run("--profile", profile, bad)
	if want := "a note\noci-sbx: " + err.Error() + "\n"; r.code != 126 || r.stderr != want {
		t.Errorf("launcher: exit %d, stderr %q; want exit 126, stderr %q", r.code, r.stderr, want)
	}
}

// launchEntry is the one launch entry in the cache.
func launchEntry(t *testing.T, dir string) string {
	t.Helper()
	var found []string
	for _, name := range testutil.Entries(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && strings.HasPrefix(string(data), launchEntryMagic) {
			found = append(found, filepath.Join(dir, name))
		}
	}
	if len(found) != 1 {
		t.Fatalf("cache holds launch entries %q, want one", found)
	}
	return found[0]
}

func flipByte(path string, at int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if at < 0 {
		at += len(data)
	}
	data[at] ^= 0x20
	return os.WriteFile(path, data, 0o600)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func truncateBy(path string, n int64) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.Truncate(path, st.Size()-n)
}

func swapForSymlink(path string) error {
	if err := os.Rename(path, path+".real"); err != nil {
		return err
	}
	return os.Symlink(path+".real", path)
}
