package notify

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A listenerPath socket replaces what a crashed server left, and nothing
// else.
func TestListenSocket(t *testing.T) {
	dir := t.TempDir()

	// A socket left by a crashed agent is replaced.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	l, err = ListenSocket(stale)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	fi, err := os.Stat(stale)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v; want 0600", fi.Mode(), err)
	}

	// A live one is not.
	if _, err := ListenSocket(stale); err == nil || !strings.Contains(err.Error(), "another agent is listening") {
		t.Errorf("live socket: %v", err)
	}
	l.Close()

	// Nor is a file.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenSocket(file); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("regular file: %v", err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the file is gone: %v", err)
	}
}
