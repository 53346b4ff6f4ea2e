// Package formattest is the test support of the format packages: Warnings
// collects what a conversion warns about and checks a profile read
// against the one expected. Only tests import it.
package formattest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
)

// Warnings collects what a conversion warns about.
type Warnings []string

// Options returns o with its Warn collecting into w.
func (w *Warnings) Options(o format.Options) format.Options {
	o.Warn = func(msg string) { *w = append(*w, msg) }
	return o
}

// Contain reports whether a warning contains s.
func (w Warnings) Contain(s string) bool {
	return slices.ContainsFunc(w, func(m string) bool { return strings.Contains(m, s) })
}

// Check compares a profile read with w collecting warnings against the
// expected profile, by its canonical OCI JSON, and each expected warning
// against w (no warning at all when expect is empty).
func (w Warnings) Check(t testing.TB, got, want *specs.LinuxSeccomp, expect []string) {
	t.Helper()
	gotJSON, err := format.MarshalJSON(format.ToOCIJSON(got))
	if err != nil {
		t.Fatalf("encoding the profile read: %v", err)
	}
	wantJSON, err := format.MarshalJSON(format.ToOCIJSON(want))
	if err != nil {
		t.Fatalf("encoding the expected profile: %v", err)
	}
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("got\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	for _, s := range expect {
		if !w.Contain(s) {
			t.Errorf("no warning contains %q; warnings: %q", s, w)
		}
	}
	if len(expect) == 0 && len(w) > 0 {
		t.Errorf("unexpected warnings: %q", w)
	}
}
