//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// helpExample is a command line a command's help shows, indented as an
// example, with the command whose help shows it.
type helpExample struct {
	help, line string
}

// exampleLine is an example in a help text: a line indented deeper than
// the text around it that runs the program: oci-sbx itself, a shell
// sourcing what it prints, or oci-sbx after the mkdir it needs.
var exampleLine = regexp.MustCompile(`^ {6,}((?:oci-sbx|source <\(oci-sbx|mkdir -p \S+ && oci-sbx) .*?)(?:\s+#.*)?$`)

// helpExamples collects the examples of every command's help, following
// the COMMANDS sections down.
func helpExamples(t *testing.T, bin string) []helpExample {
	t.Helper()
	var out []helpExample
	seen := map[string]bool{}
	var walk func(path []string)
	walk = func(path []string) {
		code, text, stderr := runCmd(t, bin, append([]string{"help"}, path...)...)
		if code != 0 {
			t.Fatalf("oci-sbx help %s: exit %d\n%s", strings.Join(path, " "), code, stderr)
		}
		if name := "oci-sbx " + strings.Join(path, " "); len(path) > 0 && !strings.Contains(text, "\n   "+name+" - ") {
			t.Fatalf("oci-sbx help %s shows another command's help:\n%.200s", strings.Join(path, " "), text)
		}
		section := ""
		for _, line := range strings.Split(text, "\n") {
			if m := regexp.MustCompile(`^([A-Z][A-Z ]+):$`).FindStringSubmatch(line); m != nil {
				section = m[1]
				continue
			}
			if m := exampleLine.FindStringSubmatch(line); m != nil && !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, helpExample{help: strings.Join(path, " "), line: m[1]})
			}
			if f := strings.Fields(line); section == "COMMANDS" && len(f) > 0 && line[:3] == "   " && line[3] != ' ' {
				name := strings.TrimSuffix(f[0], ",")
				if name != "help" && (len(path) == 0 || name != path[len(path)-1]) {
					walk(append(append([]string(nil), path...), name))
				}
			}
		}
	}
	walk(nil)
	return out
}

// notRunExamples are the examples that cannot run on a test machine, by
// the start of their line, and why; everything else runs.
var notRunExamples = map[string]string{
	"oci-sbx nri ": "registers with a container runtime's NRI socket: e2e/nri_test.go runs it under containerd",
}

// TestHelpExamples runs every example the help texts show, as a user
// would copy it, in a directory holding the files the examples name (the
// checkout's testdata/demo.yaml and bin/suspicious-app, a bundle
// mybundle, the profiles hardened.yaml, docker.json, ls.yaml and so on).
// Paths below /run and /etc move into the scratch directory, so that the
// test touches nothing of the machine's. A command that serves (agent,
// record --listen) passes when it is still serving after a few seconds.
// Each example must exit 0, or with its command's documented answer: 1
// for lint's errors and diff's differences, 99 for record --check's new
// calls.
func TestHelpExamples(t *testing.T) {
	testutil.RequireRoot(t)
	for _, tool := range []string{"runc", "busybox", "jq", "ls"} {
		requireTool(t, tool)
	}
	root := testutil.Root(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	buildStatic(t, filepath.Join(bin, "oci-sbx"))
	goBuild(t, filepath.Join(bin, "suspicious-app"), false, "./testdata/suspicious-app")
	examples := helpExamples(t, filepath.Join(bin, "oci-sbx"))
	if len(examples) < 20 {
		t.Fatalf("only %d examples found in the help texts: %q", len(examples), examples)
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))

	// The files the examples name, made once, copied for each example.
	fixtures := filepath.Join(dir, "fixtures")
	demo, err := os.ReadFile(filepath.Join(root, "testdata", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(filepath.Join(bin, "suspicious-app"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"testdata/demo.yaml":       string(demo),
		"demo.yaml":                string(demo),
		"bin/suspicious-app":       string(app),
		"mybundle/rootfs/app":      string(app),
		"deny-connect.yaml":        "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [connect]\n",
		"run1.yaml":                "default: errno(EPERM)\nrules:\n  - action: allow\n    syscalls: [read, write, exit_group]\n",
		"run2.yaml":                "default: errno(EPERM)\nrules:\n  - action: allow\n    syscalls: [openat, close, exit_group]\n",
		"etc/oci-sbx/profiles/.ok": "",
		"run/oci-sbx/agents/.ok":   "",
	}
	for name, data := range files {
		path := filepath.Join(fixtures, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seccompJSON, err := os.ReadFile("/usr/share/containers/seccomp.json")
	if err != nil {
		testutil.Missing(t, "Podman's default profile: %v (apt-get install -y golang-github-containers-common)", err)
	}
	if err := os.WriteFile(filepath.Join(fixtures, "seccomp.json"), seccompJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	setup := `set -e
runc spec --bundle mybundle
jq '.process.args = ["/bin/sh", "-c", "exit 0"] | .process.terminal = false' mybundle/config.json > c.json
mv c.json mybundle/config.json
oci-sbx patch -q --profile deny-connect.yaml mybundle
oci-sbx convert -q --harden testdata/demo.yaml --to rules -o hardened.yaml
oci-sbx convert -q --to docker -o docker.json seccomp.json
oci-sbx convert -q --to bpf -o prog.bpf testdata/demo.yaml
oci-sbx record -q -o ls.yaml -- ls / > /dev/null
`
	if out, err := shell(fixtures, env, []string{"bash", "-c"}, setup, time.Minute); err != nil {
		t.Fatalf("preparing the examples' files: %v\n%s", err, out)
	}

	answers := map[string][]int{"lint": {0, 1}, "diff": {0, 1}}
	for i, ex := range examples {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			for prefix, why := range notRunExamples {
				if strings.HasPrefix(ex.line, prefix) {
					// Not a skip: nothing is missing, the example's
					// place to run is another test.
					t.Logf("%s (help %s): not run here: %s", ex.line, ex.help, why)
					return
				}
			}
			work := filepath.Join(dir, fmt.Sprintf("ex%02d", i))
			if out, err := exec.Command("cp", "-a", fixtures, work).CombinedOutput(); err != nil {
				t.Fatalf("copying the fixtures: %v\n%s", err, out)
			}
			t.Logf("oci-sbx help %s: %s", ex.help, ex.line)
			line := strings.NewReplacer(" /run/", " "+work+"/run/", " /etc/", " "+work+"/etc/").Replace(ex.line)
			want := []int{0}
			if f := strings.Fields(ex.line); len(f) > 1 && answers[f[1]] != nil {
				want = answers[f[1]]
			}
			if strings.Contains(ex.line, "record --check") {
				want = []int{0, 99}
			}
			serves := strings.HasPrefix(ex.line, "oci-sbx agent") || strings.Contains(ex.line, "--listen")
			limit := time.Minute
			if serves {
				limit = 3 * time.Second
			}
			sh := []string{"bash", "--noprofile", "--norc", "-o", "pipefail", "-c"}
			if m := regexp.MustCompile(`completion (zsh|fish)\b`).FindStringSubmatch(line); m != nil {
				// In the shell it is for; zsh's completion needs compinit,
				// as the example says.
				sh = []string{requireTool(t, m[1]), "-c"}
				if m[1] == "zsh" {
					sh = []string{sh[0], "-f", "-c"}
					line = "autoload -U compinit && compinit -u && " + line
				}
			}
			out, err := shell(work, env, sh, line, limit)
			if strings.Contains(line, "source") && err == nil && out != "" {
				t.Errorf("oci-sbx help %s: %s\nsourcing the script prints:\n%s", ex.help, line, out)
			}
			var ee *exec.ExitError
			switch {
			case serves && errors.Is(err, context.DeadlineExceeded):
				return // still serving
			case serves:
				t.Errorf("oci-sbx help %s: %s\nstopped (%v) where it should serve:\n%s", ex.help, line, err, out)
			case err == nil:
			case errors.As(err, &ee):
				code := ee.ExitCode()
				for _, w := range want {
					if code == w {
						return
					}
				}
				t.Errorf("oci-sbx help %s: %s\nexit status %d, want one of %v:\n%s", ex.help, line, code, want, out)
			default:
				t.Errorf("oci-sbx help %s: %s\n%v\n%s", ex.help, line, err, out)
			}
		})
	}
}

// shell runs a command line with the shell sh in dir, for at most
// limit; a line still running then is killed with its children, and the
// error is context.DeadlineExceeded.
func shell(dir string, env, sh []string, line string, limit time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, sh[0], append(sh[1:], line)...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), context.DeadlineExceeded
	}
	return string(out), err
}
