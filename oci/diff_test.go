package oci

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// Diff prints what GNU diff -u prints, headers aside, for edits of the
// kind a patch makes.
func TestDiffLikeGNUDiff(t *testing.T) {
	gnu, err := exec.LookPath("diff")
	if err != nil {
		testutil.Missing(t, "GNU diff is not installed to compare with")
	}
	lines := func(n int) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf("line %d\n", i))
		}
		return l
	}
	edit := func(f func(l []string) []string) string { return strings.Join(f(lines(40)), "") }
	base := edit(func(l []string) []string { return l })
	tests := map[string]string{
		"insert": edit(func(l []string) []string {
			return append(l[:10:10], append([]string{"new a\n", "new b\n"}, l[10:]...)...)
		}),
		"delete":            edit(func(l []string) []string { return append(l[:10:10], l[13:]...) }),
		"change":            edit(func(l []string) []string { l[20] = "changed\n"; return l }),
		"two hunks":         edit(func(l []string) []string { l[3], l[30] = "x\n", "y\n"; return l }),
		"one merged hunk":   edit(func(l []string) []string { l[10], l[15] = "x\n", "y\n"; return l }),
		"at the start":      edit(func(l []string) []string { return append([]string{"first\n"}, l...) }),
		"at the end":        edit(func(l []string) []string { return append(l, "last\n") }),
		"no newline":        strings.TrimSuffix(base, "\n"),
		"everything":        "something else\n",
		"append to nothing": "",
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			b := filepath.Join(dir, "b")
			if err := os.WriteFile(b, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command(gnu, "-u", "--label", "old", "--label", "new", a, b).Output()
			if got := Diff("old", "new", []byte(base), []byte(text)); got != string(out) {
				t.Errorf("got:\n%s\nGNU diff:\n%s", got, out)
			}
		})
	}
	if Diff("a", "b", []byte(base), []byte(base)) != "" {
		t.Error("equal inputs give a diff")
	}
}

// Applying the diff to the old text gives the new one, for random edits.
func TestDiffApplies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var a []string
		for j := range r.IntN(30) {
			a = append(a, fmt.Sprintf("%d\n", j%7))
		}
		b := append([]string{}, a...)
		for range r.IntN(6) {
			k := r.IntN(len(b) + 1)
			switch r.IntN(3) {
			case 0:
				b = append(b[:k:k], append([]string{"new\n"}, b[k:]...)...)
			case 1:
				if k < len(b) {
					b = append(b[:k:k], b[k+1:]...)
				}
			default:
				if k < len(b) {
					b[k] = "changed\n"
				}
			}
		}
		old, new := strings.Join(a, ""), strings.Join(b, "")
		if got := applyDiff(t, old, Diff("a", "b", []byte(old), []byte(new))); got != new {
			t.Fatalf("case %d: applying the diff of\n%q\nto\n%q gives\n%q", i, old, new, got)
		}
	}
}

// applyDiff applies a unified diff (without "no newline" markers).
func applyDiff(t *testing.T, old, diff string) string {
	if diff == "" {
		return old
	}
	src := splitLines([]byte(old))
	var out []string
	next := 0
	for _, line := range splitLines([]byte(diff))[2:] {
		switch line[0] {
		case '@':
			var start, n int
			if _, err := fmt.Sscanf(line, "@@ -%d,%d", &start, &n); err != nil {
				fmt.Sscanf(line, "@@ -%d", &start)
				n = 1
			}
			if n > 0 {
				start--
			}
			out = append(out, src[next:start]...)
			next = start
		case ' ', '-':
			if src[next] != line[1:] {
				t.Fatalf("context %q does not match %q", line, src[next])
			}
			if line[0] == ' ' {
				out = append(out, line[1:])
			}
			next++
		case '+':
			out = append(out, line[1:])
		}
	}
	return strings.Join(append(out, src[next:]...), "")
}
