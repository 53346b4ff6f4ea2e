package testutil

import (
	"os"
	"testing"
)

// PrivateDir returns a new temporary directory with mode 0700, as a cache
// of root's must be.
func PrivateDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Entries lists the names in a directory, sorted.
func Entries(t testing.TB, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

// UseDir points the environment variable env at dir for the test: a
// fresh private directory when dir is "", any other value as given (a
// cache's "off", say).
func UseDir(t testing.TB, env, dir string) {
	t.Helper()
	if dir == "" {
		dir = PrivateDir(t)
	}
	t.Setenv(env, dir)
}
