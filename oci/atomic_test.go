package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(got) != "new\n" || fi.Mode().Perm() != 0o644 {
		t.Errorf("got %q mode %v", got, fi.Mode())
	}

	// A symlink is refused, and neither it nor its target changes.
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	if err := WriteFileAtomic(link, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("target changed to %q", b)
	}

	// A failed write leaves no temporary file behind.
	missing := filepath.Join(dir, "missing", "x")
	if err := WriteFileAtomic(missing, []byte("x"), 0o644); err == nil || err.Error() != fmt.Sprintf("writing %q: no such file or directory", missing) {
		t.Errorf("write into a missing directory: %v", err)
	}
	assertNoTemp(t, dir)
}

// TestStaleTempsRemoved: the temporary files of writers killed before they
// cleaned up go with the next write of the same file, once they are old;
// those of a writer that may still be running, and other files, stay.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	old := time.Now().Add(-2 * staleTemp)
	files := map[string]bool{ // name: removed
		".config.json.tmp-0123456789ab": true,
		".config.json.tmp-ba9876543210": false, // fresh: a writer at work
		".config.json.tmp-notours":      false,
		".other.json.tmp-0123456789ab":  false, // another file's: RemoveStaleTemps(dir, "") takes it
		"config.json.orig":              false,
	}
	for name, stale := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if stale || name != ".config.json.tmp-ba9876543210" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := WriteFileAtomic(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		for name, removed := range files {
			_, err := os.Lstat(filepath.Join(dir, name))
			if gone := os.IsNotExist(err); gone != removed {
				t.Errorf("%s: removed %v, want %v", name, gone, removed)
			}
		}
	}
	check()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	RemoveStaleTemps(d, "")
	files[".other.json.tmp-0123456789ab"] = true
	check()
}
