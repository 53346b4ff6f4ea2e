package testutil

import (
	"fmt"
	"os"
	"testing"
)

// Missing reports a prerequisite the machine lacks (root, a runtime, a
// file a package ships): a skip on a developer's machine, a failure when
// CI=true, where a skip would hide a runner that was not set up to run
// the test.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true turns this skip into a failure)", msg)
	}
	t.Skip(msg)
}

// RequireRoot skips a test that needs root (fails it under CI=true).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "this test needs root")
	}
}
