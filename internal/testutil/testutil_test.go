package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStaticBuildArgs(t *testing.T) {
	args := StaticBuildArgs(t)
	if len(args) != 4 || args[0] != "-tags" || !strings.Contains(args[1], "seccomp") || args[2] != "-ldflags" ||
		!strings.Contains(args[3], "-static") || !strings.Contains(args[3], "sbx_start") {
		t.Errorf("StaticBuildArgs = %q", args)
	}
}

func TestGolden(t *testing.T) {
	if Update() {
		t.Skip("this test compares; -update would rewrite its file")
	}
	path := filepath.Join(t.TempDir(), "g.txt")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Golden(t, path, []byte("same\n"))
	var r recorder
	Golden(&r, path, []byte("other\n"))
	if !slices.ContainsFunc(r.errs, func(s string) bool { return strings.Contains(s, "differs from the golden file") }) {
		t.Errorf("a difference was not reported: %q", r.errs)
	}
}

// recorder is a testing.TB that keeps what a helper reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, strings.TrimSpace(strings.ReplaceAll(format, "%s", "")))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errs = append(r.errs, "fatal: "+fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.errs = append(r.errs, "skip: "+fmt.Sprint(args...))
	runtime.Goexit()
}

// TestMissing: a missing prerequisite skips, and fails under CI=true.
func TestMissing(t *testing.T) {
	for ci, want := range map[string]string{"": "skip: no runc here", "false": "skip: no runc here", "true": "fatal: no runc here (CI=true turns this skip into a failure)"} {
		t.Setenv("CI", ci)
		var r recorder
		done := make(chan struct{})
		go func() { defer close(done); Missing(&r, "no %s here", "runc") }()
		<-done
		if len(r.errs) != 1 || r.errs[0] != want {
			t.Errorf("CI=%q: %q, want %q", ci, r.errs, want)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("odd: %v", got)
	}
	if got := Median([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("even (durations, truncated): %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("even: %v", got)
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 {
		t.Error("Median sorted its argument")
	}
	if got := Ms(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Ms: %v", got)
	}
}

// TestSyncBuffer: writes from several goroutines all arrive, whole, while
// the buffer is read (go test -race checks the locking).
func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprintf(&b, "writer %d\n", g)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	counts := map[string]int{}
	for _, l := range lines {
		counts[l]++
	}
	for g := range 8 {
		if n := counts[fmt.Sprintf("writer %d", g)]; n != 100 {
			t.Errorf("writer %d: %d lines, want 100", g, n)
		}
	}
}
