package oci

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary a patcher for the crash tests: it
// patches the bundle named by the variable, and with helperPause it stops
// between writing the new file and renaming it, so the test can kill it
// there.
const (
	helperEnv   = "OCI_TEST_PATCH_BUNDLE"
	helperPause = "OCI_TEST_PATCH_PAUSE"
)

func TestMain(m *testing.M) {
	if dir, ok := os.LookupEnv(helperEnv); ok {
		if os.Getenv(helperPause) != "" {
			beforeRename = func(tmp string) {
				fmt.Println("written", tmp)
				time.Sleep(time.Minute) // until killed
			}
		}
		if err := patchForTest(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testProfile is what the crash tests patch in.
var testProfile = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
	Syscalls: []specs.LinuxSyscall{{Names: []string{"connect"}, Action: specs.ActErrno}}}

func patchForTest(dir string) error {
	b, err := OpenBundle(dir)
	if err != nil {
		return err
	}
	defer b.Close()
	e, err := b.ReadConfig()
	if err != nil {
		return err
	}
	if err := e.Apply(WithSeccomp(testProfile)); err != nil {
		return err
	}
	_, err = b.WriteConfig(e, false)
	return err
}

// bundleWith makes a bundle directory holding config.json.
func bundleWith(t *testing.T, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const smallConfig = `{"ociVersion": "1.0.2", "process": {"args": ["/app"]}}` + "\n"

func readConfig(dir string) (*Editor, error) {
	b, err := OpenBundle(dir)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return b.ReadConfig()
}

// The file checks refuse before anything is read or written; the CLI
// tests of patch check the same cases end to end.
func TestReadConfigRefusesFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the bundle path
		want  string
	}{
		{"symlinked config.json", func(t *testing.T) string {
			dir := bundleWith(t, smallConfig)
			os.Rename(filepath.Join(dir, ConfigName), filepath.Join(dir, "real.json"))
			os.Symlink("real.json", filepath.Join(dir, ConfigName))
			return dir
		}, "a symlink, not a regular file"},
		{"symlinked bundle", func(t *testing.T) string {
			dir := bundleWith(t, smallConfig)
			link := filepath.Join(filepath.Dir(dir), "link")
			os.Symlink(dir, link)
			return link
		}, `/link" is a symlink, not a directory`},
		{"symlink higher up", func(t *testing.T) string {
			dir := bundleWith(t, smallConfig)
			link := filepath.Join(filepath.Dir(dir), "up")
			os.Symlink(".", link)
			return filepath.Join(link, "bundle")
		}, `/up" is a symlink, not a directory`},
		{"FIFO", func(t *testing.T) string {
			dir := bundleWith(t, "")
			os.Remove(filepath.Join(dir, ConfigName))
			if err := unix.Mkfifo(filepath.Join(dir, ConfigName), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "a FIFO, not a regular file"},
		{"device", func(t *testing.T) string {
			testutil.RequireRoot(t)
			dir := bundleWith(t, "")
			os.Remove(filepath.Join(dir, ConfigName))
			if err := unix.Mknod(filepath.Join(dir, ConfigName), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))); err != nil {
				t.Fatal(err) // /dev/null's numbers
			}
			return dir
		}, "a character device, not a regular file"},
		{"directory", func(t *testing.T) string {
			dir := bundleWith(t, "")
			os.Remove(filepath.Join(dir, ConfigName))
			os.Mkdir(filepath.Join(dir, ConfigName), 0o755)
			return dir
		}, "a directory, not a regular file"},
		{"too large", func(t *testing.T) string {
			dir := bundleWith(t, smallConfig)
			if err := os.Truncate(filepath.Join(dir, ConfigName), MaxConfigSize+1); err != nil {
				t.Fatal(err) // sparse: costs no disk
			}
			return dir
		}, "larger than 16 MiB"},
		{"bundle is a file", func(t *testing.T) string {
			return filepath.Join(bundleWith(t, smallConfig), ConfigName)
		}, "is a regular file, not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			done := make(chan error, 1)
			go func() { _, err := readConfig(dir); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want ErrUnsafe and %q", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("reading blocked") // a FIFO opened for reading waits for a writer
			}
		})
	}
}

func TestWriteConfig(t *testing.T) {
	dir := bundleWith(t, smallConfig)
	path := filepath.Join(dir, ConfigName)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := OpenBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// Nothing to change: nothing written.
	e, err := b.ReadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(WithArgs([]string{"/app"})); err != nil {
		t.Fatal(err)
	}
	if changed, err := b.WriteConfig(e, true); changed || err != nil {
		t.Errorf("an edit to the same value wrote the file: %v %v", changed, err)
	}

	// A change, with a backup of the original bytes; the mode is kept.
	if e, err = b.ReadConfig(); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(WithSeccomp(testProfile)); err != nil {
		t.Fatal(err)
	}
	if changed, err := b.WriteConfig(e, true); !changed || err != nil {
		t.Fatalf("write: %v %v", changed, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, e.Bytes()) {
		t.Errorf("config.json is %s", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, BackupName)); string(got) != smallConfig {
		t.Errorf("backup is %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 as before", fi.Mode())
	}

	// An existing backup is never replaced, and then nothing is written.
	before, _ := os.ReadFile(path)
	if e, err = b.ReadConfig(); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(WithSeccomp(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteConfig(e, true); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second backup: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, before) {
		t.Error("config.json changed although the backup failed")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, BackupName)); string(got) != smallConfig {
		t.Errorf("backup was replaced by %q", got)
	}

	// A file replaced since it was read is not overwritten.
	if e, err = b.ReadConfig(); err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(WithNoNewPrivileges(true)); err != nil {
		t.Fatal(err)
	}
	other := []byte(`{"process": {"args": ["/other"]}}`)
	if err := WriteFileAtomic(path, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteConfig(e, false); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Errorf("write over a replaced file: %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, other) {
		t.Errorf("the replaced file was overwritten with %s", got)
	}
	assertNoTemp(t, dir)
}

func TestBundleFiles(t *testing.T) {
	dir := bundleWith(t, smallConfig)
	b, err := OpenBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.WriteFile(".stage/bin", []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, ".stage/bin")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("stat: %v %v", fi, err)
	}
	for _, bad := range []string{"../x", "/x", "a/b/c"} {
		if err := b.WriteFile(bad, nil, 0o644); err == nil {
			t.Errorf("wrote %s", bad)
		}
	}
	os.Symlink("/tmp", filepath.Join(dir, "link"))
	if err := b.WriteFile("link/x", nil, 0o644); !errors.Is(err, ErrUnsafe) {
		t.Errorf("wrote through a symlinked directory: %v", err)
	}
	if err := b.RemoveFile(".stage/bin"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".stage")); !os.IsNotExist(err) {
		t.Errorf("the emptied directory is still there: %v", err)
	}
	if err := b.RemoveFile(".stage/bin"); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}

	// The lock: made, then refused as a hard link to a file elsewhere.
	unlock, err := b.Lock(".stage/lock")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	elsewhere := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(elsewhere, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ".stage/lock"))
	if err := os.Link(elsewhere, filepath.Join(dir, ".stage/lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(".stage/lock"); !errors.Is(err, ErrUnsafe) {
		t.Errorf("locked a hard link: %v", err)
	}
}

// A patcher killed with SIGKILL after it wrote the new file and before the
// rename leaves the old config.json, byte for byte.
func TestKillBeforeRename(t *testing.T) {
	dir := bundleWith(t, smallConfig)
	cmd := patcher(dir, true)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("the patcher did not reach the rename: %v", err)
	}
	tmp := strings.TrimSpace(strings.TrimPrefix(line, "written "))
	// The new file is complete at this point: only the rename is missing.
	if data, err := os.ReadFile(filepath.Join(dir, tmp)); err != nil || !bytes.Contains(data, []byte(`"seccomp"`)) {
		t.Errorf("temporary file %s: %q, %v", tmp, data, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if got, _ := os.ReadFile(filepath.Join(dir, ConfigName)); string(got) != smallConfig {
		t.Errorf("after the kill config.json is %q", got)
	}
}

// Killed at any moment, the patcher leaves the old or the new file.
func TestKillAnyMoment(t *testing.T) {
	e, err := ParseConfig([]byte(smallConfig))
	if err != nil {
		t.Fatal(err)
	}
	e.Apply(WithSeccomp(testProfile))
	patched := string(e.Bytes())
	// How long a whole run takes, to spread the kills over it.
	start := time.Now()
	if err := patcher(bundleWith(t, smallConfig), false).Run(); err != nil {
		t.Fatalf("patcher: %v", err)
	}
	span := time.Since(start)
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]int{}
	for range 40 {
		dir := bundleWith(t, smallConfig)
		cmd := patcher(dir, false)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(span))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got, _ := os.ReadFile(filepath.Join(dir, ConfigName))
		switch string(got) {
		case smallConfig:
			seen["old"]++
		case patched:
			seen["new"]++
		default:
			t.Fatalf("config.json is neither the old nor the new file: %q", got)
		}
	}
	t.Logf("kills within %v: %v", span, seen)
}

func patcher(dir string, pause bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	if pause {
		cmd.Env = append(cmd.Env, helperPause+"=1")
	}
	cmd.Stderr = os.Stderr
	return cmd
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}
