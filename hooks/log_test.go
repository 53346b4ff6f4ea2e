package hooks

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func TestAppendLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "new", "precreate.log")
	for _, line := range []string{"one", "two"} {
		if err := AppendLog(log, line); err != nil {
			t.Fatal(err)
		}
	}
	if data, err := os.ReadFile(log); err != nil || string(data) != "one\ntwo\n" {
		t.Errorf("log %q, %v", data, err)
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}

	// Past MaxLog the log starts over.
	if err := os.WriteFile(log, []byte(strings.Repeat("x", MaxLog+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AppendLog(log, "three"); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(log); err != nil || string(data) != "three\n" {
		t.Errorf("after MaxLog: %d bytes, %v", len(data), err)
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a log left readable stays so: %v, %v; want 0600", fi.Mode(), err)
	}
}

// A name planted where the log goes never receives a line, never changes
// mode and never holds the hook up.
func TestAppendLogPlanted(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("someone's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		plant func(log string) error
		want  string
	}{
		{"symlink", func(log string) error { return os.Symlink(other, log) }, "too many levels of symbolic links"},
		{"hard link", func(log string) error { return os.Link(other, log) }, "has 2 links"},
		{"FIFO", func(log string) error { return syscall.Mkfifo(log, 0o666) }, "no such device or address"},
		{"FIFO with a reader", func(log string) error {
			if err := syscall.Mkfifo(log, 0o666); err != nil {
				return err
			}
			f, err := os.OpenFile(log, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err == nil {
				t.Cleanup(func() { f.Close() })
			}
			return err
		}, "not a regular file"},
		{"device", func(log string) error { return os.Symlink("/dev/null", log) }, "too many levels of symbolic links"},
		{"directory", func(log string) error { return os.Mkdir(log, 0o755) }, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "precreate.log")
			if err := tc.plant(log); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- AppendLog(log, "secret line") }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("AppendLog blocked")
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("AppendLog: %v; want %q", err, tc.want)
			}
			if data, _ := os.ReadFile(other); string(data) != "someone's\n" {
				t.Errorf("the planted file's target changed: %q", data)
			}
			if fi, _ := os.Stat(other); fi.Mode().Perm() != 0o644 {
				t.Errorf("the planted file's target changed mode: %v", fi.Mode())
			}
		})
	}
	t.Run("another user's file", func(t *testing.T) {
		testutil.RequireRoot(t)
		log := filepath.Join(t.TempDir(), "precreate.log")
		if err := os.WriteFile(log, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(log, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := AppendLog(log, "secret line"); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("AppendLog: %v", err)
		}
		if data, _ := os.ReadFile(log); len(data) != 0 {
			t.Errorf("wrote %q", data)
		}
	})
}

// The hook's error says when it could not be logged, since Podman shows
// only the exit status.
func TestRunPrecreateLogRefused(t *testing.T) {
	log := filepath.Join(t.TempDir(), "precreate.log")
	if err := syscall.Mkfifo(log, 0o666); err != nil {
		t.Fatal(err)
	}
	config := `{"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "annotations": {"io.oci-sbx.profil": "x"}}`
	err := RunPrecreate(strings.NewReader(config), io.Discard, log, PrecreateOptions{Profiles: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `did you mean "io.oci-sbx.profile"?; not logging to `+log+": ") {
		t.Errorf("RunPrecreate: %v", err)
	}
}
