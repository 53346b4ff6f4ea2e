package testutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Root returns the module's root directory: the nearest parent of the
// working directory (a package directory under go test) with a go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// StaticBuildArgs are the `go build` arguments of a static oci-sbx, as
// `make build` builds it: read from the Makefile (STATIC_TAGS and
// STATIC_LDFLAGS), their one definition.
func StaticBuildArgs(t testing.TB) []string {
	t.Helper()
	args, err := StaticBuildFlags(Root(t))
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// StaticBuildFlags is StaticBuildArgs for the module at root, for code
// that runs outside one test (a node several tests share).
func StaticBuildFlags(root string) ([]string, error) {
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, fmt.Errorf("reading the static build flags: %w", err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(mk), "\n") {
		if name, value, ok := strings.Cut(line, ":="); ok {
			vars[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	tags, ldflags := vars["STATIC_TAGS"], vars["STATIC_LDFLAGS"]
	if tags == "" || ldflags == "" {
		return nil, errors.New("reading the static build flags: the Makefile defines no STATIC_TAGS or STATIC_LDFLAGS")
	}
	// make passes the value to the shell, which removes one level of
	// quotes: -ldflags '-extldflags "-static …"'.
	return []string{"-tags", tags, "-ldflags", ldflags}, nil
}
