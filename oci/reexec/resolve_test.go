//go:build linux

package reexec

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Resolve finds the program in the PATH of the environment it will run
// with — this process's when none is given — and relative to its own
// working directory.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	path, env, err := Resolve([]string{"prog", "-x"}, []string{"PATH=/nonexistent:" + dir}, "")
	if err != nil || path != prog || !slices.Equal(env, []string{"PATH=/nonexistent:" + dir}) {
		t.Errorf("from the given PATH: %q, %q, %v", path, env, err)
	}
	t.Setenv("PATH", dir)
	if path, env, err = Resolve([]string{"prog"}, nil, ""); err != nil || path != prog || !slices.Equal(env, os.Environ()) {
		t.Errorf("from this process's PATH: %q, %d variables, %v", path, len(env), err)
	}
	if path, _, err = Resolve([]string{"./prog"}, []string{}, dir); err != nil || path != prog {
		t.Errorf("relative to dir: %q, %v", path, err)
	}
	var ee *ExecError
	if _, _, err = Resolve([]string{"prog"}, []string{"PATH=/nonexistent"}, ""); !errors.As(err, &ee) || !ee.NotFound() {
		t.Errorf("not in PATH: %v", err)
	}
	if _, _, err = Resolve(nil, nil, ""); err == nil {
		t.Error("no command: no error")
	}
}
