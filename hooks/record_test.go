package hooks

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/record"
)

// TestPrecreateRecordRefuses: a record name that leads out of the records
// directory, or a record annotation beside a profile, refuses the
// container before any recorder starts.
func TestPrecreateRecordRefuses(t *testing.T) {
	records := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(records, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(records, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	started := false
	opt := PrecreateOptions{Records: records, RecordRun: t.TempDir(), Recorder: func() (string, error) {
		started = true
		return "", errors.New("not in this test")
	}}
	for name, tc := range map[string]struct {
		ann  map[string]string
		want string
	}{
		"dot-dot":         {map[string]string{"io.oci-sbx.record": "../x.yaml"}, "outside the records directory"},
		"absolute":        {map[string]string{"io.oci-sbx.record": "/etc/x.yaml"}, "outside the records directory"},
		"symlink out":     {map[string]string{"io.oci-sbx.record": "out/x.yaml"}, "outside the records directory"},
		"no such dir":     {map[string]string{"io.oci-sbx.record": "nodir/x.yaml"}, "no such file"},
		"with a profile":  {map[string]string{"io.oci-sbx.record": "x.yaml", "io.oci-sbx.profile": "p.yaml"}, "not under io.oci-sbx.profile too"},
		"bad engine mode": {map[string]string{"io.oci-sbx.record": "x.yaml", "io.oci-sbx.engine-profile": "drop"}, `"drop" is neither`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Precreate(podmanConfig(t, tc.ann), opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if started {
				t.Fatal("a recorder was started for a container that was refused")
			}
		})
	}
	// A name inside, also through a subdirectory, gets as far as starting
	// the recorder.
	for _, name := range []string{"x.yaml", "web/x.yaml", filepath.Join(records, "web", "y.yaml")} {
		_, err := Precreate(podmanConfig(t, map[string]string{"io.oci-sbx.record": name}), opt)
		if err == nil || !strings.Contains(err.Error(), "not in this test") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRecordFilterWithinEngine: with the engine's profile kept, what it
// denies stays denied, what it allows is notified, and write and runc's
// needs stay allowed.
func TestRecordFilterWithinEngine(t *testing.T) {
	engine, err := convert.Builtin("podman-default", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, unobserved, err := record.ContainerFilterWithin(engine, "/run/x.sock", false)
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultAction != engine.DefaultAction || s.ListenerPath != "/run/x.sock" || s.ListenerMetadata != record.MetadataWithinEngine {
		t.Errorf("default %s, listener %q %q", s.DefaultAction, s.ListenerPath, s.ListenerMetadata)
	}
	actions := map[string]string{}
	for _, r := range s.Syscalls {
		for _, n := range r.Names {
			if len(r.Args) == 0 {
				actions[n] = string(r.Action)
			}
		}
	}
	for name, want := range map[string]string{"write": "SCMP_ACT_ALLOW", "read": "SCMP_ACT_ALLOW", "getdents64": "SCMP_ACT_ALLOW", "mkdir": "SCMP_ACT_NOTIFY", "uname": "SCMP_ACT_NOTIFY"} {
		if actions[name] != want {
			t.Errorf("%s: %s, want %s", name, actions[name], want)
		}
	}
	if actions["kexec_load"] == "SCMP_ACT_NOTIFY" || actions["kexec_load"] == "SCMP_ACT_ALLOW" {
		t.Errorf("kexec_load, which the engine denies, is %s", actions["kexec_load"])
	}
	if !slices.Contains(unobserved, "write") || !slices.Contains(unobserved, "capset") {
		t.Errorf("unobserved %v", unobserved)
	}
}
