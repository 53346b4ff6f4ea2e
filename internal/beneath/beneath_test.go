package beneath

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// tree makes a profiles directory with every kind of name an annotation
// could give, and returns it and a directory beside it.
func tree(t *testing.T) (dir, outside string) {
	t.Helper()
	root := t.TempDir()
	dir, outside = filepath.Join(root, "profiles"), filepath.Join(root, "outside")
	for _, d := range []string{dir, outside, filepath.Join(dir, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "a.yaml"), "in\n")
	write(filepath.Join(outside, "secret"), "out\n")
	write(filepath.Join(dir, "huge"), strings.Repeat("x", 1<<20))
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	link("a.yaml", "rel-in")
	link("sub/../a.yaml", "rel-in-dots")
	link("../outside/secret", "rel-out")
	link("../profiles/a.yaml", "out-and-back")
	link(filepath.Join(dir, "a.yaml"), "abs-in")
	link(filepath.Join(outside, "secret"), "abs-out")
	link("/dev/zero", "zero")
	link("rel-out", "chain-out")
	link("rel-in", "chain-in")
	link("sub", "sub-link")
	link("loop", "loop")
	// A ConfigMap volume's layout: each key a symlink through ..data to
	// the current timestamped directory.
	if err := os.Mkdir(filepath.Join(dir, "..2026_12_06_08_00_00.1"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir, "..2026_12_06_08_00_00.1", "cm.yaml"), "cm\n")
	link("..2026_12_06_08_00_00.1", "..data")
	link("..data/cm.yaml", "cm.yaml")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The directory itself through a symlink, as /etc/oci-sbx/profiles
	// may be on a host.
	if err := os.Symlink(dir, filepath.Join(root, "profiles-link")); err != nil {
		t.Fatal(err)
	}
	return dir, outside
}

func TestReadFile(t *testing.T) {
	dir, outside := tree(t)
	viaLink := filepath.Join(filepath.Dir(dir), "profiles-link")
	for _, tc := range []struct {
		name, dir, file string
		want            string // the content, or the error's text
		err             error
	}{
		{name: "relative", file: "a.yaml", want: "in\n"},
		{name: "dot segments inside", file: "sub/../a.yaml", want: "in\n"},
		{name: "through a symlinked subdirectory", file: "sub-link/../a.yaml", want: "in\n"},
		{name: "absolute inside", file: filepath.Join(dir, "a.yaml"), want: "in\n"},
		{name: "absolute, not clean, inside", file: dir + "//sub/./../a.yaml", want: "in\n"},
		{name: "relative symlink inside", file: "rel-in", want: "in\n"},
		{name: "relative symlink with dots inside", file: "rel-in-dots", want: "in\n"},
		{name: "chain of symlinks inside", file: "chain-in", want: "in\n"},
		{name: "a ConfigMap's key", file: "cm.yaml", want: "cm\n"},
		{name: "directory through a symlink, absolute name through it", dir: viaLink, file: filepath.Join(viaLink, "a.yaml"), want: "in\n"},
		{name: "directory through a symlink, absolute name resolved", dir: viaLink, file: filepath.Join(dir, "a.yaml"), want: "in\n"},
		{name: "dot dot out", file: "../outside/secret", err: ErrOutside},
		{name: "dot dot out and back", file: "../profiles/a.yaml", err: ErrOutside},
		{name: "absolute outside", file: filepath.Join(outside, "secret"), err: ErrOutside},
		{name: "absolute with dots leading out", file: dir + "/../outside/secret", err: ErrOutside},
		{name: "relative symlink out", file: "rel-out", err: ErrOutside},
		{name: "symlink out and back", file: "out-and-back", err: ErrOutside},
		{name: "absolute symlink out", file: "abs-out", err: ErrOutside},
		// The kernel cannot tell an absolute symlink to a place inside
		// from one outside without following it: both are refused, and
		// the error says to write it relative.
		{name: "absolute symlink in", file: "abs-in", err: ErrOutside},
		{name: "chain of symlinks out", file: "chain-out", err: ErrOutside},
		{name: "symlink to a device", file: "zero", err: ErrOutside},
		{name: "proc magic link", dir: "/proc/self", file: "exe", err: ErrOutside},
		{name: "symlink loop", file: "loop", want: "too many levels of symbolic links"},
		{name: "a file as a directory", file: "a.yaml/x", want: "not a directory"},
		{name: "NUL", file: "a.yaml\x00.x", want: "a name with a NUL byte"},
		{name: "empty", file: "", want: "no name"},
		{name: "FIFO", file: "fifo", want: "not a regular file (FIFO)"},
		{name: "directory", file: "sub", want: "not a regular file (directory)"},
		{name: "the directory itself", file: dir, want: "not a regular file (directory)"},
		{name: "over the limit", file: "huge", err: bounded.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.dir
			if d == "" {
				d = dir
			}
			done := make(chan struct{})
			var data []byte
			var err error
			go func() { data, err = ReadFile(d, tc.file, 1<<16); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFile blocked")
			}
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Errorf("ReadFile(%q) = %q, %v; want %v", tc.file, data, err, tc.err)
				}
			case err != nil:
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("ReadFile(%q): %v; want %q", tc.file, err, tc.want)
				}
			case string(data) != tc.want:
				t.Errorf("ReadFile(%q) = %q; want %q", tc.file, data, tc.want)
			}
		})
	}
}

func TestReadFileWritable(t *testing.T) {
	dir, _ := tree(t)
	p := filepath.Join(dir, "a.yaml")
	for _, tc := range []struct {
		name  string
		path  string
		mode  os.FileMode
		chown bool // to nobody (needs root)
		want  string
	}{
		{name: "file anyone writes", path: p, mode: 0o646, want: `"a.yaml": writable by others (mode 0646 lets anyone write)`},
		{name: "directory anyone writes", path: dir, mode: 0o777, want: "writable by others (mode 0777 lets anyone write)"},
		{name: "sticky directory anyone writes", path: dir, mode: os.ModeSticky | 0o777, want: "writable by others (mode 1777 lets anyone write)"},
		{name: "file of another user", path: p, mode: 0o644, chown: true, want: `"a.yaml": writable by others (owned by uid 65534)`},
		{name: "directory of another user", path: dir, mode: 0o755, chown: true, want: "writable by others (owned by uid 65534)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chown {
				testutil.RequireRoot(t)
				if err := os.Chown(tc.path, 65534, -1); err != nil {
					t.Fatal(err)
				}
				defer os.Chown(tc.path, 0, -1)
			}
			fi, err := os.Stat(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(tc.path, fi.Mode().Perm())
			if err := os.Chmod(tc.path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err = ReadFile(dir, "a.yaml", 1<<16)
			if !errors.Is(err, ErrWritable) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadFile: %v; want %q", err, tc.want)
			}
		})
	}
	// A group write bit is fine for root's group, whose members are root
	// already in all that matters here.
	if os.Getegid() == 0 {
		if err := os.Chmod(p, 0o664); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(dir, "a.yaml", 1<<16); err != nil {
			t.Errorf("group root may write: %v", err)
		}
	}
}

// A directory others can write anywhere on the way to the file lets them
// choose it: a file of theirs, a symlink to another profile.
func TestReadFileWritableOnTheWay(t *testing.T) {
	dir, _ := tree(t)
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "web.yaml"), []byte("web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("shared/web.yaml", filepath.Join(dir, "via-shared")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../a.yaml", filepath.Join(shared, "planted")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"shared/web.yaml", "via-shared", "shared/planted"} {
		if _, err := ReadFile(dir, name, 1<<16); err != nil {
			t.Fatalf("ReadFile(%q) with a private directory: %v", name, err)
		}
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"shared/web.yaml", "via-shared", "shared/planted", "sub-link/../shared/web.yaml"} {
		_, err := ReadFile(dir, name, 1<<16)
		if !errors.Is(err, ErrWritable) || !strings.Contains(err.Error(), filepath.Join(dir, "shared")+`": writable by others (mode 0777 lets anyone write)`) {
			t.Errorf("ReadFile(%q) through a directory anyone writes: %v", name, err)
		}
	}
	// What does not pass through it is not concerned.
	if _, err := ReadFile(dir, "a.yaml", 1<<16); err != nil {
		t.Errorf("ReadFile(a.yaml): %v", err)
	}
}

func TestOpenParent(t *testing.T) {
	dir, _ := tree(t)
	for _, tc := range []struct {
		name, file, base string
		err              error
		want             string
	}{
		{name: "relative", file: "rec.json", base: "rec.json"},
		{name: "in a subdirectory through a symlink", file: "sub-link/rec.json", base: "rec.json"},
		{name: "absolute inside", file: filepath.Join(dir, "sub", "rec.json"), base: "rec.json"},
		{name: "a name that is a symlink out", file: "abs-out", base: "abs-out"}, // replaced, never followed
		{name: "dot dot out", file: "../rec.json", err: ErrOutside},
		{name: "parent a symlink out", file: "rel-out/x/rec.json", err: ErrOutside},
		{name: "dots taken as written", file: "rel-out/../rec.json", base: "rec.json"}, // DIR/rec.json
		{name: "absolute outside", file: "/etc/rec.json", err: ErrOutside},
		{name: "dot", file: ".", want: "not a file name"},
		{name: "dot dot", file: "..", want: "not a file name"},
		{name: "root", file: "/", err: ErrOutside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, base, err := OpenParent(dir, tc.file)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Errorf("OpenParent(%q): %v; want %v", tc.file, err, tc.err)
				}
			case tc.want != "":
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("OpenParent(%q): %v; want %q", tc.file, err, tc.want)
				}
			case err != nil:
				t.Errorf("OpenParent(%q): %v", tc.file, err)
			default:
				d.Close()
				if base != tc.base {
					t.Errorf("OpenParent(%q) base %q; want %q", tc.file, base, tc.base)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	dir, _ := tree(t)
	l, err := net.Listen("unix", filepath.Join(dir, "sub", "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Symlink("sub/agent.sock", filepath.Join(dir, "agent-link")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "sub", "agent.sock")
	for _, name := range []string{"sub/agent.sock", "agent-link", "sub-link/agent.sock", want} {
		path, typ, err := Lookup(dir, name)
		if err != nil || path != want || typ != syscall.S_IFSOCK {
			t.Errorf("Lookup(%q) = %q, %o, %v; want %q, a socket", name, path, typ, err, want)
		}
	}
	for _, name := range []string{"rel-out", "abs-out", "../outside/secret", "/run/x.sock"} {
		if _, _, err := Lookup(dir, name); !errors.Is(err, ErrOutside) {
			t.Errorf("Lookup(%q): %v; want %v", name, err, ErrOutside)
		}
	}
	if _, typ, err := Lookup(dir, "fifo"); err != nil || typ != syscall.S_IFIFO {
		t.Errorf("Lookup(fifo): %o, %v", typ, err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if _, _, err := Lookup(dir, "sub/agent.sock"); !errors.Is(err, ErrWritable) {
		t.Errorf("Lookup in a directory anyone writes: %v", err)
	}
}

// A read-only mount forgives write bits (a ConfigMap volume's directory
// is 0777), never another owner, who can write through another mount.
func TestReadFileReadOnlyMount(t *testing.T) {
	testutil.RequireRoot(t)
	src, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "p.yaml"), []byte("p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(src, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(src, dir, "", syscall.MS_BIND, ""); err != nil {
		testutil.Missing(t, "bind-mounting %s: %v", src, err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	if _, err := ReadFile(dir, "p.yaml", 1<<16); !errors.Is(err, ErrWritable) {
		t.Fatalf("a directory anyone writes, mounted read-write: %v", err)
	}
	if err := syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(dir, "p.yaml", 1<<16); err != nil || string(data) != "p\n" {
		t.Fatalf("mounted read-only: %q, %v", data, err)
	}
	if err := os.Chown(filepath.Join(src, "p.yaml"), 65534, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(dir, "p.yaml", 1<<16); !errors.Is(err, ErrWritable) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("another user's file on a read-only mount: %v", err)
	}
}

// BenchmarkReadFile is what the checks cost a hook per profile it reads:
// ReadFile (a walk that checks each directory, through a ConfigMap's two
// symlinks) beside a plain open and read of the same file.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	data := []byte(strings.Repeat("x", 2<<10))
	ts := filepath.Join(dir, "..2026_12_06")
	if err := os.Mkdir(ts, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, "web.yaml"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	for target, name := range map[string]string{"..2026_12_06": "..data", "..data/web.yaml": "web.yaml"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("beneath", func(b *testing.B) {
		for range b.N {
			if _, err := ReadFile(dir, "web.yaml", 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain", func(b *testing.B) {
		for range b.N {
			if _, err := bounded.ReadFile(filepath.Join(dir, "web.yaml"), 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The way to the directory counts too: whoever can rename a directory on
// it, or change a symlink on it, chooses the profiles directory. A sticky
// directory (/tmp) is no such place for entries root owns.
func TestReadFileWritableWayToDir(t *testing.T) {
	testutil.RequireRoot(t)
	top := t.TempDir()
	mkdir := func(p string, mode uint32, uid int) string {
		t.Helper()
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Chmod(p, mode); err != nil { // past the umask, with the sticky bit
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	profiles := func(parent string) string {
		t.Helper()
		dir := mkdir(filepath.Join(parent, "profiles"), 0o755, 0)
		if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("in\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	const nobody = 65534
	sticky := profiles(mkdir(filepath.Join(top, "sticky"), 0o1777, 0))
	users := profiles(mkdir(filepath.Join(top, "users"), 0o755, nobody))
	open := profiles(mkdir(filepath.Join(top, "open"), 0o777, 0))
	private := profiles(mkdir(filepath.Join(top, "private"), 0o755, 0))
	linkTo := func(dir, target, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, dir := range []string{sticky, private, linkTo(filepath.Dir(private), private, "link-abs"), linkTo(filepath.Dir(private), "profiles", "link-rel")} {
		if _, err := ReadFile(dir, "a.yaml", 1<<16); err != nil {
			t.Errorf("ReadFile in %s: %v", dir, err)
		}
	}
	for _, dir := range []string{users, open,
		linkTo(filepath.Dir(private), users, "to-users"),
		linkTo(filepath.Dir(users), private, "from-users"),
	} {
		if _, err := ReadFile(dir, "a.yaml", 1<<16); !errors.Is(err, ErrWritable) {
			t.Errorf("ReadFile in %s: %v", dir, err)
		}
	}
}
