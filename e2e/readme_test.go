//go:build e2e

package e2e

// TestReadme runs the documentation as a new user would: every shell block
// of README.md, then of docs/*.md (in name order), one after the other,
// from a scratch copy of the checkout.
//
// What runs: fenced blocks whose info string is sh, bash or shell. Other
// blocks (yaml, text, or none: a transcript) are read, not run; an
// oci-sbx command in one that is not yaml is an error, so that no command
// escapes the run by its block's marking.
//
// What is left out: a block right after the line
//
//	<!-- not run: REASON -->
//
// (blank lines between them allowed). The reason is shown in the test log.
// Use it only for what cannot run on a test machine: a real cluster, `make
// test` itself, `make bench`.
//
// How a block runs: with bash -e -o pipefail, so the first command that
// fails stops the run (in an && list too, which bash -e alone lets go on);
// the test then names the file, the line and the command, and prints what
// that command wrote. A command that is meant to
// exit with another status says so in a trailing comment the reader sees
// too:
//
//	oci-sbx lint testdata/demo.yaml   # exit status 1: it has errors
//
// and then any other status fails. A command whose output the comment
// quotes must print it (standard output and error together), with the
// exit status 0 unless the comment says otherwise:
//
//	runc run --bundle mybundle demo   # prints "Summary: 0 succeed, 3 failed"
//	oci-sbx convert bad.yaml          # exit status 1, prints "unknown syscall"
//
// Blocks share the working directory and
// the exported variables, as commands typed into one terminal do; a
// process a block leaves running in the background is killed when the
// block ends.
//
// Where it runs, and the only ways it differs from a user's terminal:
//   - a clone of the checkout in a scratch directory, with the working
//     tree's edits (tracked files, and untracked files git does not
//     ignore) copied over: what a fresh clone holds once they are
//     committed;
//   - `make install` installs into the scratch directory (PREFIX), and its
//     bin comes first on PATH, so that the test does not touch the machine;
//   - runc keeps its state (--root) and Podman its images and containers
//     (CONTAINERS_STORAGE_CONF) in the scratch directory, so that container
//     names cannot collide with tests running beside this one.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// notRunMarker excludes the next block.
var notRunMarker = regexp.MustCompile(`^<!--\s*not run:\s*(\S.*?)\s*-->$`)

// expectation is a command with a trailing comment that says what it
// does: its exit status, what it prints, or both.
var (
	expectation  = regexp.MustCompile(`^(.*\S)\s+#\s*((?:exit status \d+|prints ").*)$`)
	expectStatus = regexp.MustCompile(`^exit status (\d+)\b`)
	expectOutput = regexp.MustCompile(`\bprints "(.*)"[^"]*$`)
)

// shellBlock is one fenced shell block of a Markdown file.
type shellBlock struct {
	file   string // relative to the repository
	line   int    // of the first line inside the fence
	lines  []string
	notRun string // why it is left out, or ""
	lang   string // the info string's first word
}

func (b shellBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// shellBlocks extracts the fenced shell blocks of a Markdown document.
func shellBlocks(file string, data []byte) ([]shellBlock, error) {
	var blocks []shellBlock
	var cur *shellBlock
	var fence, lastText string
	run := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				if run {
					blocks = append(blocks, *cur)
				}
				fence, cur = "", nil
				continue
			}
			if run {
				cur.lines = append(cur.lines, line)
			} else if t := strings.TrimPrefix(trimmed, "$ "); strings.HasPrefix(t, "oci-sbx ") && cur.lang != "yaml" {
				// Commands in a block that is not run would drift unseen.
				return nil, fmt.Errorf("%s:%d: a command in a block marked %q: mark it sh, so that it runs", file, n, cur.lang)
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			ch := trimmed[:1]
			i := len(trimmed) - len(strings.TrimLeft(trimmed, ch))
			fence = trimmed[:i]
			lang, _, _ := strings.Cut(strings.TrimSpace(trimmed[i:]), " ")
			switch lang {
			case "sh", "bash", "shell":
				run = true
			default:
				run = false
			}
			cur = &shellBlock{file: file, line: n + 1, lang: lang}
			if m := notRunMarker.FindStringSubmatch(lastText); m != nil {
				cur.notRun = m[1]
			}
			lastText = ""
			continue
		}
		if trimmed != "" {
			lastText = trimmed
		}
		if strings.HasPrefix(trimmed, "<!--") && strings.Contains(trimmed, "not run") && notRunMarker.FindString(trimmed) == "" {
			return nil, fmt.Errorf("%s:%d: a marker reads <!-- not run: REASON -->, not %q", file, n, trimmed)
		}
	}
	if fence != "" {
		return nil, fmt.Errorf("%s: a block opened with %s is never closed", file, fence)
	}
	return blocks, sc.Err()
}

func TestShellBlocks(t *testing.T) {
	md := "# t\n\n```sh\necho a\n```\n\n<!-- not run: needs a cluster -->\n\n```bash\nkubectl apply\n```\n" +
		"```yaml\nnot: run\n```\n````sh\n```\necho b\n````\n"
	blocks, err := shellBlocks("x.md", []byte(md))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, b := range blocks {
		got += fmt.Sprintf("%v %q %q; ", b, b.lines, b.notRun)
	}
	want := `x.md:4 ["echo a"] ""; x.md:10 ["kubectl apply"] "needs a cluster"; x.md:16 ["` + "```" + `" "echo b"] ""; `
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := shellBlocks("x.md", []byte("<!-- not run -->\n```sh\nx\n```\n")); err == nil {
		t.Error("a marker without a reason is accepted")
	}
	if _, err := shellBlocks("x.md", []byte("```sh\nx\n")); err == nil {
		t.Error("an unclosed block is accepted")
	}
	for _, md := range []string{"```\n$ oci-sbx version\n```\n", "```console\noci-sbx lint x.yaml\n```\n"} {
		if _, err := shellBlocks("x.md", []byte(md)); err == nil || !strings.Contains(err.Error(), "mark it sh") {
			t.Errorf("commands in a block that is not run: %v\n%s", err, md)
		}
	}
}

func TestReadme(t *testing.T) {
	testutil.RequireRoot(t)
	for _, tool := range []string{"git", "make", "runc", "podman", "bwrap", "jq"} {
		requireTool(t, tool)
	}
	root := testutil.Root(t)
	var blocks []shellBlock
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	sort.Strings(docs)
	for _, path := range append([]string{filepath.Join(root, "README.md")}, docs...) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		bs, err := shellBlocks(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}

	scratch := t.TempDir()
	work := filepath.Join(scratch, "oci-sbx")
	copyCheckout(t, root, work)
	env := readmeEnv(t, scratch)
	t.Cleanup(func() { cleanScratch(t, scratch, env) })

	state := filepath.Join(scratch, "state")
	if err := os.WriteFile(state+".cwd", []byte(work), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.notRun != "" {
			t.Logf("%v: not run: %s", b, b.notRun)
			continue
		}
		start := time.Now()
		if msg := runBlock(t, b, scratch, state, env); msg != "" {
			t.Fatal(msg)
		}
		t.Logf("%v: %d lines in %v", b, len(b.lines), time.Since(start).Round(time.Millisecond))
	}
}

// copyCheckout clones the checkout's commit and brings over the working
// tree's edits: what git tracks and untracked files it does not ignore, as
// they are, and the removal of deleted ones.
func copyCheckout(t *testing.T, root, dst string) {
	t.Helper()
	if out, err := exec.Command("git", "clone", "--quiet", "--shared", root, dst).CombinedOutput(); err != nil {
		testutil.Missing(t, "cloning the checkout with git: %v\n%s", err, out)
	}
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("listing the checkout's files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		to := filepath.Join(dst, name)
		fi, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Remove(to); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			continue // deleted in the working tree
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(to); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, to); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// readmeEnv is the environment of the blocks: the user's, with PREFIX,
// runc's state and Podman's storage moved into the scratch directory.
func readmeEnv(t *testing.T, scratch string) []string {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	shims := filepath.Join(scratch, "shims")
	if err := os.MkdirAll(shims, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n# runc, with its state in the test's scratch directory.\nexec %s --root %s \"$@\"\n",
		runc, filepath.Join(scratch, "runc"))
	if err := os.WriteFile(filepath.Join(shims, "runc"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(scratch, "storage.conf")
	conf := fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(scratch, "containers", "graph"), filepath.Join(scratch, "containers", "run"))
	if err := os.WriteFile(storage, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(scratch, "prefix")
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "PATH", "PREFIX", "DESTDIR", "CONTAINERS_STORAGE_CONF", "MAKEFLAGS", "MAKELEVEL", "MFLAGS":
		default:
			env = append(env, kv)
		}
	}
	return append(env,
		"PATH="+shims+":"+filepath.Join(prefix, "bin")+":"+os.Getenv("PATH"),
		"PREFIX="+prefix,
		"MANPATH="+filepath.Join(prefix, "share", "man")+":",
		"CONTAINERS_STORAGE_CONF="+storage,
	)
}

// cleanScratch removes the containers and images the blocks left in the
// scratch directory's storage, and unmounts what is still mounted there.
func cleanScratch(t *testing.T, scratch string, env []string) {
	for _, args := range [][]string{{"rm", "--all", "--force"}, {"rmi", "--all", "--force"}} {
		cmd := exec.Command("podman", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], scratch+"/") {
			mounts = append(mounts, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Logf("unmounting %s: %v", m, err)
		}
	}
}

// blockPrelude starts every block: stop at the first failure and say
// where (on descriptor 3), trace each command with its line (to cut the
// failing command's output from the rest), and take over the working
// directory and exported variables the previous block left.
const blockPrelude = `trap 'echo "${BASH_SOURCE[0]##*/} $LINENO" >&3' ERR
__want() { if [ "$2" -ne "$1" ]; then echo "exit status $2, want $1" >&2; return 1; fi; }
__show() { cat "$STATE.out"; }
__has() { grep -qF -- "$1" "$STATE.out" || { echo "the output lacks: $1" >&2; return 1; }; }
if [ -f "$STATE.env" ]; then . "$STATE.env"; fi
cd "$(cat "$STATE.cwd")"
PS4='@@readme ${BASH_SOURCE[0]##*/}:${LINENO}@@ '
# The trace has a descriptor of its own, so that capturing a command's
# output does not capture the trace.
exec 4>&2
BASH_XTRACEFD=4
set -x
`

// blockEpilogue keeps what the next block takes over.
const blockEpilogue = `{ set +x; } 2>/dev/null
export -p > "$STATE.env"
pwd > "$STATE.cwd"
`

// runBlock runs one block and returns "" or what went wrong.
func runBlock(t *testing.T, b shellBlock, scratch, state string, env []string) string {
	t.Helper()
	body := append([]string(nil), b.lines...)
	for i, line := range body {
		// The line count stays the same, so that $LINENO is the block's.
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		first := i // the command's first line, before its continuations
		for first > 0 && strings.HasSuffix(body[first-1], "\\") {
			first--
		}
		m := expectation.FindStringSubmatch(line)
		if m == nil {
			// bash -e goes on after a failing command that a later &&
			// follows: such a list is held to exit status 0 as a whole.
			code, _ := cutComment(line)
			if strings.HasSuffix(line, "\\") || !strings.Contains(unquoted(strings.Join(append(body[first:i:i], code), "\n")), "&&") {
				continue
			}
			m = []string{line, code, "exit status 0"}
		}
		status, prints := "0", ""
		if st := expectStatus.FindStringSubmatch(m[2]); st != nil {
			status = st[1]
		}
		if out := expectOutput.FindStringSubmatch(m[2]); out != nil {
			prints = out[1]
		}
		start := "if "
		if prints != "" {
			// Into a file, not a variable: the trace would quote a
			// variable's whole value.
			start = "if { "
			m[1] += `; } > "$STATE.out" 2>&1`
		}
		if first == i {
			m[1] = start + m[1]
		} else {
			body[first] = start + body[first]
		}
		show, check := "", ""
		if prints != "" {
			show = "; __show"
			check = fmt.Sprintf("; __has '%s'", strings.ReplaceAll(prints, "'", `'\''`))
		}
		body[i] = fmt.Sprintf("%s; then __st=0; else __st=$?; fi%s; __want %s $__st%s", m[1], show, status, check)
	}
	script := filepath.Join(scratch, "block.sh")
	prelude := filepath.Join(scratch, "prelude.sh")
	epilogue := filepath.Join(scratch, "epilogue.sh")
	for path, text := range map[string]string{script: strings.Join(body, "\n") + "\n", prelude: blockPrelude, epilogue: blockEpilogue} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failed, err := os.Create(filepath.Join(scratch, "failed"))
	if err != nil {
		t.Fatal(err)
	}
	defer failed.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eE", "-o", "pipefail", "-c",
		`. "$1"; . "$2"; . "$3"`, "bash", prelude, script, epilogue)
	cmd.Env = append(env, "STATE="+state)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.ExtraFiles = []*os.File{failed}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A background process keeps the output open: stop waiting for it
	// once the block is done, and kill it.
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	where, _ := os.ReadFile(failed.Name())
	if err == nil {
		return ""
	}
	if ctx.Err() != nil {
		return fmt.Sprintf("%v: the block did not finish within 5 minutes\n%s", b, clean(out.String()))
	}
	// The first line on descriptor 3 is the failing command's file and line.
	line := 0
	if f := strings.Fields(strings.SplitN(string(where), "\n", 2)[0]); len(f) == 2 && f[0] == "block.sh" {
		line, _ = strconv.Atoi(f[1])
	}
	if line < 1 || line > len(b.lines) {
		return fmt.Sprintf("%v: the block failed (%v) outside its own lines\n%s", b, err, clean(out.String()))
	}
	// bash names a command's last line; the report, all of it.
	first := line
	for first > 1 && strings.HasSuffix(b.lines[first-2], "\\") {
		first--
	}
	return fmt.Sprintf("%s:%d: %s\n(the block stopped there: bash %v)\n%s", b.file, b.line+first-1,
		strings.TrimSpace(strings.Join(b.lines[first-1:line], "\n")), err, clean(outputOf(out.String(), first, line)))
}

// unquoted is s with what single and double quotes enclose blanked out,
// the quotes kept: what bash reads as operators and comments stays.
func unquoted(s string) string {
	b := []byte(s)
	var quote byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case quote == 0 && c == '\\' && i+1 < len(b):
			b[i+1] = ' '
			i++
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case quote == '"' && c == '\\' && i+1 < len(b):
			b[i], b[i+1] = ' ', ' '
			i++
		case quote != 0:
			b[i] = ' '
		}
	}
	return string(b)
}

// cutComment splits a line into its code and a trailing comment.
func cutComment(line string) (code, comment string) {
	u := unquoted(line)
	for i := 0; i < len(u); i++ {
		if u[i] == '#' && (i == 0 || u[i-1] == ' ' || u[i-1] == '\t') {
			return strings.TrimRight(line[:i], " \t"), line[i:]
		}
	}
	return line, ""
}

// traceLine is the trace of one command: the marker with its file and
// line (bash repeats the marker's first character once per level of
// nesting), the command.
var traceLine = regexp.MustCompile(`@+readme ([^:@]*):(\d+)@@ [^\n]*\n?`)

// outputOf is what the block printed from the first trace of the last
// run of the command on lines first to last.
func outputOf(out string, first, last int) string {
	ours := func(l []int) bool { // a trace of the command's own lines
		n, _ := strconv.Atoi(out[l[4]:l[5]])
		return out[l[2]:l[3]] == "block.sh" && n >= first && n <= last
	}
	start := 0
	locs := traceLine.FindAllStringSubmatchIndex(out, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		if !ours(locs[i]) {
			continue
		}
		start = locs[i][0]
		// Back to the first trace of this run of the command; traces
		// of the helpers it called (prelude.sh) belong to it.
		for j := i - 1; j >= 0 && (ours(locs[j]) || out[locs[j][2]:locs[j][3]] != "block.sh"); j-- {
			start = locs[j][0]
		}
		break
	}
	return out[start:]
}

// clean removes the trace lines from a block's output.
func clean(out string) string {
	out = traceLine.ReplaceAllString(out, "")
	if len(out) > 8000 {
		out = "…" + out[len(out)-8000:]
	}
	return out
}

// A failing block is reported with the Markdown line of the command that
// failed and that command's output alone; a stated exit status is held to.
func TestRunBlock(t *testing.T) {
	scratch := t.TempDir()
	state := filepath.Join(scratch, "state")
	if err := os.WriteFile(state+".cwd", []byte(scratch), 0o644); err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	run := func(lines ...string) string {
		return runBlock(t, shellBlock{file: "x.md", line: 10, lines: lines}, scratch, state, env)
	}
	if msg := run("export GREETING=hello", "cd /", "sh -c 'exit 1'   # exit status 1: expected",
		"printf 'a \\\\\\n  b\\n' \\", "  | grep -q b   # exit status 0"); msg != "" {
		t.Errorf("a block that works failed: %s", msg)
	}
	// The next block starts where the last one left off.
	msg := run(`test "$GREETING" = hello`, `test "$PWD" = /`, "echo first", "sh -c 'echo boom; exit 3'", "echo never")
	for _, want := range []string{"x.md:13: sh -c 'echo boom; exit 3'", "exit status 3", "boom"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report lacks %q:\n%s", want, msg)
		}
	}
	for _, not := range []string{"first", "never", "@readme"} {
		if strings.Contains(msg, not) {
			t.Errorf("the report holds %q:\n%s", not, msg)
		}
	}
	msg = run("true \\", "  --x   # exit status 1: a failure that does not come")
	if !strings.Contains(msg, "x.md:10: true") || !strings.Contains(msg, "exit status 0, want 1") {
		t.Errorf("a stated exit status is not held to:\n%s", msg)
	}
	// What a command is said to print, it prints (standard error too).
	if msg := run(`sh -c 'echo "it'"'"'s \"fine\"" >&2; exit 3'   # exit status 3, prints "it's "fine"": quotes and all`,
		"echo one \\", `  two   # prints "one two"`); msg != "" {
		t.Errorf("output as said: %s", msg)
	}
	msg = run("echo first", `echo something else   # prints "Summary: 0 succeed"`)
	if !strings.Contains(msg, "x.md:11:") || !strings.Contains(msg, "the output lacks: Summary: 0 succeed") || !strings.Contains(msg, "something else") {
		t.Errorf("output not as said:\n%s", msg)
	}
	// bash -e goes on after the failing first command of an && list; the
	// runner does not, and quoted && or # are not operators.
	msg = run("echo first", "sh -c 'echo boom; exit 3' \\", "  > out.txt && cat out.txt   # cat does not run", "echo after")
	if !strings.Contains(msg, "x.md:11: sh -c 'echo boom; exit 3'") || !strings.Contains(msg, "exit status 3, want 0") ||
		strings.Contains(msg, "after") {
		t.Errorf("an && list whose first command fails:\n%s", msg)
	}
	if msg := run("true && echo '&& # x' && test \"$(echo '#')\" = '#'   # all true", `echo "a && b"`); msg != "" {
		t.Errorf("&& lists that work: %s", msg)
	}
	// A command over several lines is reported whole, from its first
	// line, with what it printed.
	msg = run("echo first", "sh -c 'echo boom >&2; exit 3' \\", `  --x   # prints "Summary"`)
	if !strings.Contains(msg, "x.md:11: sh -c 'echo boom >&2; exit 3' \\\n  --x") || !strings.Contains(msg, "exit status 3, want 0") ||
		!strings.Contains(msg, "\nboom\n") || strings.Contains(msg, "first") || strings.Contains(msg, "@readme") {
		t.Errorf("a command over two lines:\n%s", msg)
	}
}

// The Go release the README asks for is the one go.mod requires.
func TestReadmeGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join(testutil.Root(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	readme, err := os.ReadFile(filepath.Join(testutil.Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	mentions := regexp.MustCompile(`Go (?:≥ ?|>= ?)?(\d+\.\d+)`).FindAllSubmatch(readme, -1)
	if len(mentions) == 0 {
		t.Error("README.md does not say which Go it needs")
	}
	for _, got := range mentions {
		if string(got[1]) != string(m[1]) {
			t.Errorf("README.md says %q; go.mod requires Go %s", got[0], m[1])
		}
	}
}
