package kernel

import (
	"os"
	"strings"
	"testing"
)

// TestRelease: uname's release is the one /proc says.
func TestRelease(t *testing.T) {
	want, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("Release() = %q, /proc/sys/kernel/osrelease says %q", got, want)
	}
}
