package conversion

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
)

// demo denies openat, which runc needs after it loads the filter.
const demo = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"

// Output for an engine that no runc can start under is refused with
// Strict and otherwise written with an alert; output for no engine is
// written without one.
func TestStartCheck(t *testing.T) {
	for _, tc := range []struct {
		to     convert.Format
		strict bool
		alert  string // "" for none
		err    string
	}{
		{to: convert.OCI, alert: "warning: oci output: [runc-cannot-start]"},
		{to: convert.Docker, alert: "warning: docker output: [runc-cannot-start]"},
		{to: convert.OCI, strict: true, err: "refusing to write oci output that no runc can start: [runc-cannot-start]"},
		{to: convert.Rules, strict: true},
	} {
		var alerts []string
		var out bytes.Buffer
		err := Convert(&out, "demo.yaml", []byte(demo), Options{To: tc.to, Strict: tc.strict, Alert: func(m string) { alerts = append(alerts, m) }})
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s strict: error %v, want %q", tc.to, err, tc.err)
			}
			if out.Len() > 0 {
				t.Errorf("%s strict: wrote %q", tc.to, out.String())
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", tc.to, err)
			continue
		}
		if out.Len() == 0 {
			t.Errorf("%s: nothing written", tc.to)
		}
		if got := strings.Join(alerts, "\n"); tc.alert == "" && got != "" || !strings.HasPrefix(got, tc.alert) {
			t.Errorf("%s: alerts %q, want one starting %q", tc.to, got, tc.alert)
		}
	}
}

// CheckStart: a profile runc starts only with noNewPrivileges (it denies
// capset, which runc calls after loading the filter when noNewPrivileges
// is false) is alerted about for every engine output, and refused by
// strict for docker, kubernetes and spo, whose engines leave it false.
func TestCheckStartNoNewPrivileges(t *testing.T) {
	s, err := convert.Read("capset.yaml", []byte("default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [capset]}\n"), "", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO, convert.Rules} {
		var alerts []string
		if err := CheckStart(s, to, "capset.yaml", false, func(m string) { alerts = append(alerts, m) }); err != nil {
			t.Errorf("%s: %v", to, err)
		}
		if engine := to != convert.Rules; engine != (len(alerts) == 1 && strings.Contains(alerts[0], "[runc-needs-nnp]")) {
			t.Errorf("%s: alerts %q", to, alerts)
		}
		err := CheckStart(s, to, "capset.yaml", true, nil)
		if refuse := to == convert.Docker || to == convert.Kubernetes || to == convert.SPO; refuse != (err != nil) {
			t.Errorf("%s strict: %v", to, err)
		}
	}
}

// Harden widens the profile and tells each change to Note, once, also
// for Docker output read per capability set.
func TestHarden(t *testing.T) {
	for _, to := range []convert.Format{convert.Rules, convert.Docker} {
		var plain, hard bytes.Buffer
		if err := Convert(&plain, "demo.yaml", []byte(demo), Options{To: to}); err != nil {
			t.Fatal(err)
		}
		var notes []string
		if err := Convert(&hard, "demo.yaml", []byte(demo), Options{To: to, Harden: true, Note: func(m string) { notes = append(notes, m) }}); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(plain.Bytes(), hard.Bytes()) {
			t.Errorf("%s: hardening changed nothing", to)
		}
		seen := map[string]bool{}
		for _, n := range notes {
			if !strings.HasPrefix(n, "harden: ") || seen[n] {
				t.Errorf("%s: note %q (first, or without the prefix)", to, n)
			}
			seen[n] = true
		}
		if len(notes) == 0 {
			t.Errorf("%s: no notes", to)
		}
	}
}

// A format convert.Write does not write goes to Write, wrapped in the
// same error as any other.
func TestWriteHook(t *testing.T) {
	var got *specs.LinuxSeccomp
	err := Convert(io.Discard, "demo.yaml", []byte(demo), Options{To: convert.BPF,
		Write: func(w io.Writer, s *specs.LinuxSeccomp, to convert.Format, _ convert.Options) error {
			got = s
			return io.ErrShortWrite
		}})
	if got == nil || got.DefaultAction != specs.ActAllow {
		t.Errorf("Write got %+v", got)
	}
	if err == nil || err.Error() != "writing bpf: "+io.ErrShortWrite.Error() {
		t.Errorf("error %v", err)
	}
}
