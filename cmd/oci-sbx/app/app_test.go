package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// TestMain calls the re-exec entry points as main does: record, exec,
// simulate, diff and convert --to bpf start this binary again.
func TestMain(m *testing.M) {
	record.Init()
	sandbox.Init()
	program.Init()
	os.Exit(m.Run())
}

// runCLI runs the app in-process and prints errors as main does.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIInput(t, "", args...)
}

func runCLIInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	a := New()
	var out, errOut bytes.Buffer
	a.Reader, a.Writer, a.ErrWriter = strings.NewReader(stdin), &out, &errOut
	err := a.Run(context.Background(), append([]string{"oci-sbx"}, args...))
	PrintError(&errOut, err)
	return ExitCode(err), out.String(), errOut.String()
}

// checkUsageError asserts what a usage error prints: the mistake on one
// line, then where to read more — never the whole help.
func checkUsageError(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "oci-sbx: ") ||
		!regexp.MustCompile(`^Run 'oci-sbx( [a-z-]+)* --help' for more information\.$`).MatchString(lines[1]) {
		t.Errorf("a usage error is not one line and where to read more:\n%s", stderr)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), []byte(got))
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"", "convert", "exec", "lint", "simulate", "diff", "record", "merge", "nri", "version"} {
		name := "help-" + cmd + ".txt"
		args := []string{"--help"}
		if cmd == "" {
			name = "help.txt"
		} else {
			args = []string{cmd, "--help"}
		}
		t.Run(name, func(t *testing.T) {
			code, out, _ := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			golden(t, name, out)
		})
	}
}

const demo = "../../../testdata/demo.yaml"

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out.json")
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{name: "flags after the input", args: []string{"convert", demo, "--to", "docker"}, stdout: `"errnoRet": 1`},
		{name: "standard input", stdin: "default: allow\n", args: []string{"convert", "-", "--to", "rules"}, stdout: "default: allow\n"},
		{name: "to a file", args: []string{"convert", "-o", outFile, demo}, noStdout: true},
		{name: "kubernetes says where the file goes", args: []string{"convert", "--to", "kubernetes", demo}, stdout: `"defaultAction"`, stderr: "/var/lib/kubelet/seccomp/profiles/demo.json"},
		{name: "spo takes a name", args: []string{"convert", "--to", "spo", "--name", "web", demo}, stdout: "name: web"},
		{name: "arch list", args: []string{"convert", "--arch", "x86_64,x86", demo}, stdout: `"SCMP_ARCH_X86"`},
		{name: "bad input", stdin: "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [opnat]}\n", args: []string{"convert", "-"},
			code: 1, stderr: `oci-sbx: <stdin>:3:39: unknown syscall "opnat": did you mean "openat"?`},
		{name: "missing file", args: []string{"convert", filepath.Join(dir, "nope.yaml")}, code: 1, stderr: "no such file"},
		{name: "no input", args: []string{"convert"}, code: 2, stderr: "convert takes one INPUT"},
		{name: "two inputs", args: []string{"convert", demo, demo}, code: 2, stderr: "got 2"},
		{name: "unknown output format", args: []string{"convert", "--to", "yaml", demo}, code: 2, stderr: `unknown format "yaml"`},
		{name: "unknown flag", args: []string{"convert", "--frm", "rules", demo}, code: 2, stderr: "unknown flag --frm: did you mean --from?"},
		{name: "unknown short flag", args: []string{"convert", "-x", demo}, code: 2, stderr: "unknown flag -x\n"},
		{name: "unknown global flag", args: []string{"--quite", "convert", demo}, code: 2, stderr: "unknown flag --quite: did you mean --quiet?"},
		{name: "a bad value", args: []string{"convert", "--harden=maybe", demo}, code: 2, stderr: `invalid value "maybe" for flag --harden`},
		{name: "unwritable output", args: []string{"convert", "-o", filepath.Join(dir, "no/such/dir.json"), demo}, code: 1, stderr: "writing"},
		{name: "unknown command", args: []string{"cnvert"}, code: 2, stderr: "cnvert"},
		{name: "no command", args: []string{}, code: 2, stderr: "no command given: one of convert, exec, lint, patch, simulate, record, merge, diff, hook, agent, nri, version, completion\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLIInput(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) || (tt.noStdout && out != "") {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
			if tt.code == 2 {
				checkUsageError(t, errOut)
			}
		})
	}
	// -o writes the same bytes standard output gets, and leaves no temporary file.
	_, want, _ := runCLI(t, "convert", demo)
	got, err := os.ReadFile(outFile)
	if err != nil || string(got) != want {
		t.Errorf("-o wrote %q, %v; want %q", got, err, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.Contains(out, "runtime-spec:  1.") || !strings.Contains(out, "inputs:        rules, libseccomp-c, docker, oci, spo") {
		t.Errorf("version: exit %d\n%s", code, out)
	}
}

// -o - is standard output, as - is standard input, for every command that
// writes a profile; - names standard input once at most.
func TestOutputDash(t *testing.T) {
	abs, err := filepath.Abs(demo)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	recorded := "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [read, exit_group]}\n"
	if err := os.WriteFile("rec.yaml", []byte(recorded), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"convert", "-q", "-o", "-", abs},
		{"convert", "-q", "--to", "spo", "-o", "-", abs},
		{"merge", "-o", "-", "rec.yaml"},
	} {
		code, out, stderr := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "SCMP_ACT_") && !strings.Contains(out, "allow") {
			t.Errorf("%v: exit %d, stderr %q\n%s", args, code, stderr, out)
		}
		if _, err := os.Stat("-"); err == nil {
			t.Fatalf("%v wrote a file named -", args)
		}
	}
	// A device or a pipe is written into, not replaced.
	if err := unix.Mkfifo("fifo", 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		data, _ := os.ReadFile("fifo")
		got <- data
	}()
	for _, args := range [][]string{{"convert", "-q", "-o", "/dev/null", abs}, {"merge", "-o", "/dev/null", "rec.yaml"}, {"convert", "-q", "-o", "fifo", abs}} {
		if code, out, stderr := runCLI(t, args...); code != 0 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, stderr)
		}
	}
	if fi, err := os.Lstat("fifo"); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("-o FIFO replaced the FIFO: %v, %v", fi, err)
	}
	select {
	case data := <-got:
		if !strings.Contains(string(data), "SCMP_ACT_ALLOW") {
			t.Errorf("-o FIFO: the reader got %q", data)
		}
	case <-time.After(10 * time.Second):
		t.Error("-o FIFO: the reader got nothing")
	}
	// The spo resource is named after the input, not after "-".
	if _, out, _ := runCLI(t, "convert", "-q", "--to", "spo", "-o", "-", abs); !strings.Contains(out, "name: demo\n") {
		t.Errorf("convert --to spo -o -:\n%s", out)
	}
	for _, args := range [][]string{{"diff", "-", "-"}, {"merge", "rec.yaml", "-", "-"}} {
		code, _, stderr := runCLIInput(t, recorded, args...)
		if code != 2 || !strings.Contains(stderr, "standard input (-) can be only one") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
		checkUsageError(t, stderr)
	}
}

// Whatever oci-sbx itself writes on standard error, notes and warnings of
// many lines included, starts each line with "oci-sbx:", so that it stands
// apart from a program's own output and from the result; and no output
// holds a terminal's escapes.
func TestStderrPrefixed(t *testing.T) {
	for _, args := range [][]string{
		{"convert", "--to", "kubernetes", demo},
		{"convert", "--to", "spo", demo},
		{"convert", "--harden", "--to", "rules", demo},
		{"convert", "--to", "rules", "/usr/share/containers/seccomp.json"},
		{"lint", "no-such.yaml"},
		{"lint", demo},
		{"cnvert"},
	} {
		if _, err := os.Stat(args[len(args)-1]); err != nil && strings.HasPrefix(args[len(args)-1], "/usr") {
			continue // Podman's profile is not installed here
		}
		_, stdout, stderr := runCLI(t, args...)
		// Plain text, terminal or not: nothing for NO_COLOR to switch off.
		if strings.ContainsRune(stdout+stderr, 0x1b) {
			t.Errorf("%v: a terminal escape in the output:\n%q", args, stdout+stderr)
		}
		for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
			if stderr != "" && !strings.HasPrefix(line, "oci-sbx: ") && !strings.HasPrefix(line, "Run 'oci-sbx") {
				t.Errorf("%v: a line of standard error without oci-sbx: %q\n%s", args, line, stderr)
				break
			}
		}
	}
}

// A one-letter flag means the same in every command (-b is --bundle, as
// for runc; -f --from, -o --output, …).
func TestShortFlagsAgree(t *testing.T) {
	long := map[string]string{} // short → long
	where := map[string]string{}
	if err := New().Walk(func(c *cli.Command) error {
		for _, f := range c.Flags {
			names := f.Names()
			for _, n := range names[1:] {
				if len(n) != 1 {
					continue
				}
				if prev, ok := long[n]; ok && prev != names[0] {
					t.Errorf("-%s is --%s in %s but --%s in %s", n, prev, where[n], names[0], c.Name)
				}
				long[n], where[n] = names[0], c.Name
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A misspelt --arch is a usage error on every command that takes one,
// named as the flag's, not the profile's.
func TestArchFlagUsage(t *testing.T) {
	args := map[string][]string{
		"convert":  {demo},
		"lint":     {demo},
		"diff":     {demo, demo},
		"simulate": {demo, "read"},
	}
	var with []string
	for _, cmd := range New().Commands {
		if !slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "arch") }) {
			continue
		}
		with = append(with, cmd.Name)
		rest, ok := args[cmd.Name]
		if !ok {
			t.Errorf("%s takes --arch: give it arguments here", cmd.Name)
			continue
		}
		code, _, stderr := runCLI(t, append([]string{cmd.Name, "--arch", "x86_65"}, rest...)...)
		if code != 2 || !strings.HasPrefix(stderr, `oci-sbx: --arch: unknown architecture "x86_65": did you mean "x86_64"?`) {
			t.Errorf("%s --arch x86_65: exit %d\n%s", cmd.Name, code, stderr)
		}
		checkUsageError(t, stderr)
	}
	if len(with) < len(args) {
		t.Errorf("only %q take --arch", with)
	}
}

// TestWindsDown: the commands that hold a program, a recording or a
// listener are the ones main lets wind down at a signal; the command is
// found past the global flags, and help is no such command.
func TestWindsDown(t *testing.T) {
	for args, want := range map[string]bool{
		"oci-sbx exec --profile p -- true": true, "oci-sbx -q record -- true": true, "oci-sbx agent": true, "oci-sbx nri": true,
		"oci-sbx convert -": false, "oci-sbx -q lint x": false, "oci-sbx help exec": false, "oci-sbx": false, "oci-sbx --version": false,
	} {
		if got := WindsDown(strings.Fields(args)); got != want {
			t.Errorf("WindsDown(%s) = %v, want %v", args, got, want)
		}
	}
	for name := range windsDown {
		found := false
		for _, c := range New().Commands {
			found = found || c.Name == name
		}
		if !found {
			t.Errorf("%q winds down, but there is no such command", name)
		}
	}
}
