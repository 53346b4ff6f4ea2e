package sandbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
)

// FromBundle takes the bundle's process as it is, and its linux.seccomp
// when asked to; a bundle without what a run needs is refused, naming
// its config.json.
func TestFromBundle(t *testing.T) {
	write := func(t *testing.T, config string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	const good = `{"ociVersion": "1.0.2", "process": {"args": ["/bin/true", "x"], "env": [], "cwd": "/tmp", "noNewPrivileges": true},
		"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_ERRNO"}]}}}`
	dir := write(t, good)
	var c Config
	if err := c.FromBundle(dir, true, convert.Options{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Args, []string{"/bin/true", "x"}) || c.Env == nil || len(c.Env) != 0 || c.Dir != "/tmp" || !c.NoNewPrivileges {
		t.Errorf("process: %+v", c)
	}
	if c.Seccomp == nil || c.Seccomp.DefaultAction != specs.ActAllow || len(c.Seccomp.Syscalls) != 1 {
		t.Errorf("profile: %+v", c.Seccomp)
	}
	var without Config
	if err := without.FromBundle(dir, false, convert.Options{}); err != nil || without.Seccomp != nil {
		t.Errorf("without the profile: %+v, %v", without.Seccomp, err)
	}

	for _, tc := range []struct{ name, config, err string }{
		{"no process", `{"ociVersion": "1.0.2"}`, "has no process"},
		{"no args", `{"ociVersion": "1.0.2", "process": {"cwd": "/"}}`, "has no process.args"},
		{"no seccomp", `{"ociVersion": "1.0.2", "process": {"args": ["/bin/true"], "cwd": "/"}}`, "has no linux.seccomp; give --profile"},
		{"not JSON", `{`, "decoding"},
	} {
		dir := write(t, tc.config)
		err := (&Config{}).FromBundle(dir, true, convert.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), filepath.Join(dir, "config.json")) {
			t.Errorf("%s: %v; want an error naming config.json and saying %q", tc.name, err, tc.err)
		}
	}
	if err := (&Config{}).FromBundle(t.TempDir(), true, convert.Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no config.json: %v", err)
	}
}
