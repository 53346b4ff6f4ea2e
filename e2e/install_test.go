//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

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
		cmd.Dir = testutil.Root(t)
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
	describe, err := exec.Command("git", "-C", testutil.Root(t), "describe", "--always", "--dirty").Output()
	if err != nil {
		t.Fatal(err)
	}
	runcVersion, err := exec.Command("go", "list", "-C", testutil.Root(t), "-m", "-f", "{{.Version}}", "github.com/opencontainers/runc").Output()
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
	// fish completes a command, a flag, a flag's values and, where oci-sbx
	// offers nothing, a file name (run in the repository: testdata/).
	fish := exec.Command(fishShell, "--no-config", "-c", `source $argv[1]; complete -C 'oci-sbx con'; complete -C 'oci-sbx convert --har'
echo ==; complete -C 'oci-sbx convert --to '; echo ==; complete -C 'oci-sbx convert testd'`,
		filepath.Join(root, "share", "fish", "vendor_completions.d", "oci-sbx.fish"))
	fish.Env = append(os.Environ(), path)
	fish.Dir = testutil.Root(t)
	if got, err := fish.CombinedOutput(); err != nil ||
		!regexp.MustCompile("(?m)^convert\t.*\n--harden\t.*\n==\n(?s:.*)^kubernetes\n(?s:.*)==\ntestdata/\n$").Match(got) {
		t.Errorf("fish completion: %v\n%s\nwant convert, --harden, the formats, then testdata/", err, got)
	}
	// zsh completes in a terminal: a zsh of its own, driven through a
	// pseudo-terminal (zsh/zpty), types a command and a tab.
	zsh := exec.Command(zshShell, "-f", "-c", `zmodload zsh/zpty || exit 3
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w -n z $'oci-sbx convert --to \t'
zpty -r z out '*kubernetes*' && print -r -- completed`,
		"zsh", filepath.Join(root, "share", "zsh", "site-functions"))
	zsh.Env = append(os.Environ(), path)
	zsh.WaitDelay = time.Second
	done := make(chan struct{})
	timer := time.AfterFunc(30*time.Second, func() { _ = zsh.Process.Kill(); close(done) })
	got, err := zsh.CombinedOutput()
	if !timer.Stop() {
		<-done
		err = fmt.Errorf("no completion offered kubernetes within 30s: %v", err)
	}
	if err != nil || !strings.HasSuffix(string(got), "completed\n") {
		t.Errorf("zsh completion of convert --to: %v\n%q", err, got)
	}
	// Bash completes a command, a flag and a flag's values by asking the
	// installed binary, with the bash-completion package and without it
	// (source <(oci-sbx completion bash) in a plain bash).
	for _, setup := range []string{"source " + bashCompletion, "! declare -F _get_comp_words_by_ref"} {
		script := setup + `; source "$1"
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
  __oci-sbx_bash_autocomplete; echo "${COMPREPLY[*]}"; }
complete_words oci-sbx con
complete_words oci-sbx convert --har
complete_words oci-sbx convert --to ""
complete_words oci-sbx convert ""
`
		cmd := exec.Command(bash, "--noprofile", "--norc", "-e", "-c", script, "bash", filepath.Join(root, "share", "bash-completion", "completions", "oci-sbx"))
		cmd.Env = append(os.Environ(), path)
		got, err = cmd.CombinedOutput()
		// An empty answer lets bash complete file names (complete -o default).
		if err != nil || string(got) != "convert\n--harden\noci docker kubernetes spo rules bpf\n\n" {
			t.Errorf("bash completion (%s): %v\n%s\nwant convert, --harden, the formats, then nothing", setup, err, got)
		}
	}

	makeTarget("uninstall")
	var left []string
	// Nothing, not even an empty directory, below PREFIX.
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && path != root {
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
	root := testutil.Root(t)
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
