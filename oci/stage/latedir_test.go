package stage

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// lateDir writes the late stage of a profile denying call under root, as
// the hook does, and returns its directory.
func lateDir(t *testing.T, root, call string) string {
	t.Helper()
	plan, err := Make(profile(specs.ActAllow, rule(specs.ActErrno, "openat", call)), Options{NoNewPrivileges: true})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := WriteLateDir(root, plan.Late)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// age sets a path's times to d ago.
func age(t *testing.T, path string, d time.Duration) {
	t.Helper()
	past := time.Now().Add(-d)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
}

// holdDir starts a process whose root has dir bound at MountPoint, as a
// created or running container's has, and returns when it holds it.
func holdDir(t *testing.T, dir string) {
	t.Helper()
	testutil.RequireRoot(t)
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		testutil.Missing(t, "a static busybox to chroot into: %v", err)
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		testutil.Missing(t, "unshare: %v", err)
	}
	root := t.TempDir()
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sleep"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, MountPoint), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" "$2/.oci-sbx" && exec chroot "$2" /sleep 300`, "sh", dir, root)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var want unix.Stat_t
	if err := unix.Stat(dir, &want); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "root", MountPoint), &st) == nil && st.Ino == want.Ino && st.Dev == want.Dev {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the holding process never bound the directory")
}

// CollectLateDirs removes exactly the late stages' directories that no
// process holds and nobody used for LateGrace, and the leftovers of
// killed writers; it leaves everything else in the root alone, scans at
// most once a minute, and never removes what a container holds.
func TestCollectLateDirs(t *testing.T) {
	testutil.RequireRoot(t)
	root := t.TempDir()
	held := lateDir(t, root, "mkdirat")
	unused := lateDir(t, root, "unlinkat")
	fresh := lateDir(t, root, "symlinkat")
	reused := lateDir(t, root, "linkat")
	tmp := filepath.Join(root, ".tmp-123")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	// Not a late stage's directory: other files, a binary the NRI plugin
	// installs, a symlink named like a directory.
	other := filepath.Join(root, "oci-sbx-"+strings.Repeat("a", 64))
	if err := os.WriteFile(other, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, strings.Repeat("b", 64))
	if err := os.Symlink(held, link); err != nil {
		t.Fatal(err)
	}
	holdDir(t, held)
	for _, d := range []string{held, unused, reused, tmp} {
		age(t, d, LateGrace+time.Minute)
	}
	// Used again: touched, so kept for another LateGrace.
	if again := lateDir(t, root, "linkat"); again != reused {
		t.Fatalf("the same profile got %s, then %s", reused, again)
	}

	now := time.Now()
	removed, err := collectLateDirs(root, now, false)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".tmp-123", filepath.Base(unused)}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range []string{held, fresh, reused, other, link} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{unused, tmp} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}

	// Within the minute nothing is scanned; after it, the directories
	// now past their grace go, but never the one held.
	for _, d := range []string{fresh, reused} {
		age(t, d, LateGrace+time.Minute)
	}
	if removed, err := collectLateDirs(root, now.Add(30*time.Second), false); err != nil || len(removed) != 0 {
		t.Errorf("a second scan within a minute removed %v (%v)", removed, err)
	}
	removed, err = collectLateDirs(root, now.Add(2*time.Minute), false)
	slices.Sort(removed)
	if want := []string{filepath.Base(fresh), filepath.Base(reused)}; err != nil || !slices.Equal(removed, want) {
		t.Errorf("removed %v (%v), want %v", removed, err, want)
	}
	if _, err := os.Stat(filepath.Join(held, ProfileName(mustRead(t, held)))); err != nil {
		t.Errorf("the held directory lost its profile: %v", err)
	}
}

// mustRead returns the bytes of the one late profile in dir.
func mustRead(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, ProfilePrefix+"*"))
	if err != nil || len(names) != 1 {
		t.Fatalf("%s holds %v (%v)", dir, names, err)
	}
	data, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// While a collection runs, another one does nothing; a writer waits for it.
func TestCollectLateDirsLocked(t *testing.T) {
	root := t.TempDir()
	lock, err := lockLateRoot(root, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	if removed, err := collectLateDirs(root, time.Now(), true); err != nil || removed != nil {
		t.Errorf("a second collection: %v %v", removed, err)
	}
	done := make(chan string)
	go func() {
		plan, err := Make(profile(specs.ActAllow, rule(specs.ActErrno, "openat")), Options{NoNewPrivileges: true})
		if err != nil {
			done <- err.Error()
			return
		}
		dir, err := WriteLateDir(root, plan.Late)
		if err != nil {
			done <- err.Error()
			return
		}
		done <- dir
	}()
	select {
	case got := <-done:
		t.Fatalf("WriteLateDir did not wait for the collection: %s", got)
	case <-time.After(200 * time.Millisecond):
	}
	lock.Close()
	if got := <-done; !strings.HasPrefix(got, root) {
		t.Error(got)
	}
}

// BenchmarkCollectLateDirs measures one collection (forced past the
// once-a-minute limit): the scan of /proc it costs the creation that runs
// it, against BenchmarkCollectLateDirsSkipped, what every other creation
// within the minute pays.
func BenchmarkCollectLateDirs(b *testing.B) {
	root := b.TempDir()
	// A directory in use a moment ago: scanned for, and kept.
	if err := os.Mkdir(filepath.Join(root, strings.Repeat("c", 64)), 0o755); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := collectLateDirs(root, time.Now(), true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollectLateDirsSkipped(b *testing.B) {
	root := b.TempDir()
	if _, err := collectLateDirs(root, time.Now(), true); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := collectLateDirs(root, time.Now(), false); err != nil {
			b.Fatal(err)
		}
	}
}
