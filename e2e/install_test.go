//go:build e2e

package e2e

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestInstall builds and installs with make install into a scratch
// DESTDIR and PREFIX, checks that the binary (its version stamped from
// git), a man page for every command and the completions are there and
// work, then uninstalls and checks that nothing is left.
func TestInstall(t *testing.T) {
	requireTool(t, "make")
	requireTool(t, "man")
	bash := requireTool(t, "bash")
	zshShell, fishShell := requireTool(t, "zsh"), requireTool(t, "fish")
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		testutil.Missing(t, "this test needs bash-completion: %v (apt-get install -y bash-completion)", err)
	}
	requireTool(t, "git")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	dest, prefix := filepath.Join(dir, "dest"), "/opt/oci-sbx-test"
	root := filepath.Join(dest, prefix)
	makeTarget := func(target string) {
		t.Helper()
		cmd := exec.Command("make", target, "BIN="+bin, "PREFIX="+prefix, "DESTDIR="+dest)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	makeTarget("install")

	installed := filepath.Join(root, "bin", "oci-sbx")
	if fi, err := os.Stat(installed); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("bin/oci-sbx: %v, %v", fi, err)
	}
	// The version is the checkout's, and the runc loader go.mod's.
	describe, err := exec.Command("git", "-C", repoRoot(t), "describe", "--always", "--dirty").Output()
	if err != nil {
		t.Fatal(err)
	}
	runcVersion, err := exec.Command("go", "list", "-C", repoRoot(t), "-m", "-f", "{{.Version}}", "github.com/opencontainers/runc").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Version string  `json:"version"`
		Runc    *string `json:"runc"`
	}
	_, out, _ := runCmd(t, installed, "version", "--format", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != strings.TrimSpace(string(describe)) ||
		v.Runc == nil || *v.Runc != strings.TrimSpace(string(runcVersion)) {
		t.Errorf("version --format json: %v\n%s\nwant version %s and runc %s", err, out, describe, runcVersion)
	}
	// A page for the root and for every command the binary offers.
	_, out, _ = runCmd(t, installed, "--generate-shell-completion")
	want := []string{"oci-sbx.1"}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, _, _ := strings.Cut(line, ":"); name != "help" {
			want = append(want, "oci-sbx-"+name+".1")
		}
	}
	if len(want) < 8 {
		t.Fatalf("the binary offers too few commands:\n%s", out)
	}
	for _, page := range want {
		code, text, stderr := runCmd(t, "man", "-l", filepath.Join(root, "share", "man", "man1", page))
		if code != 0 || !strings.Contains(text, "NAME") || !strings.Contains(text, "SYNOPSIS") || stderr != "" {
			t.Errorf("man -l %s: exit %d, stderr %q\n%.300s", page, code, stderr, text)
		}
	}
	path := "PATH=" + filepath.Join(root, "bin") + ":" + os.Getenv("PATH")
	// fish completes a command and a flag by asking the installed binary.
	fish := exec.Command(fishShell, "--no-config", "-c", `source $argv[1]; complete -C 'oci-sbx con'; complete -C 'oci-sbx convert --har'`,
		filepath.Join(root, "share", "fish", "vendor_completions.d", "oci-sbx.fish"))
	fish.Env = append(os.Environ(), path)
	if got, err := fish.CombinedOutput(); err != nil || !regexp.MustCompile("(?m)^convert\t.*\n--harden\t").Match(got) {
		t.Errorf("fish completion: %v\n%s\nwant convert, then --harden", err, got)
	}
	// zsh's completion system takes the function for oci-sbx. (Driving
	// zsh's completion itself takes a terminal; the function asks the
	// binary as bash's does.)
	zsh := exec.Command(zshShell, "-f", "-c", `autoload -U compinit && compinit -u -D && source "$1" && print -r -- ${_comps[oci-sbx]}`,
		"zsh", filepath.Join(root, "share", "zsh", "site-functions", "_oci-sbx"))
	zsh.Env = append(os.Environ(), path)
	if got, err := zsh.CombinedOutput(); err != nil || string(got) != "_oci-sbx\n" {
		t.Errorf("zsh completion: %v, %q; want the function _oci-sbx registered", err, got)
	}
	// Bash completes a command, and a command's flag, by asking the
	// installed binary.
	script := `source ` + bashCompletion + `; source "$1"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
  __oci-sbx_bash_autocomplete; echo "${COMPREPLY[*]}"; }
complete_words oci-sbx con
complete_words oci-sbx convert --har
`
	cmd := exec.Command(bash, "--noprofile", "--norc", "-c", script, "bash", filepath.Join(root, "share", "bash-completion", "completions", "oci-sbx"))
	cmd.Env = append(os.Environ(), path)
	got, err := cmd.CombinedOutput()
	if err != nil || string(got) != "convert\n--harden\n" {
		t.Errorf("bash completion: %v\n%s\nwant convert, then --harden", err, got)
	}

	makeTarget("uninstall")
	var left []string
	_ = filepath.WalkDir(dest, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("make uninstall left %q", left)
	}
}

// TestVersionFromArchive builds from a tarball, as git archive makes one
// and a user unpacks it: no git checkout to ask, yet oci-sbx --version
// names the commit, as git describe does in the checkout.
func TestVersionFromArchive(t *testing.T) {
	requireTool(t, "make")
	requireTool(t, "git")
	root := repoRoot(t)
	want, err := exec.Command("git", "-C", root, "describe", "--always").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", root, dir)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive | tar x: %v\n%s", err, out)
	}
	build := exec.Command("make", "build-pure")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build-pure in the unpacked tarball: %v\n%s", err, out)
	}
	_, out, _ := runCmd(t, filepath.Join(dir, "bin", "oci-sbx-pure"), "--version")
	if out != "oci-sbx version "+string(want) {
		t.Errorf("--version from a tarball: %q, want the commit %q", out, want)
	}
}
