package hooks

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func TestHooksD(t *testing.T) {
	doc, err := NewHooksD("/usr/local/bin/oci-sbx")
	if err != nil {
		t.Fatal(err)
	}
	got, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "hooksd.json"), got)
	var back HooksD
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("re-decoding: %v", err)
	}

	// Podman matches each regexp anywhere in the annotation's key and
	// value (regexp.MatchString), and runs the hook if any annotation
	// matches both.
	matches := func(annotations map[string]string) bool {
		for k, v := range annotations {
			for kre, vre := range back.When.Annotations {
				if regexp.MustCompile(kre).MatchString(k) && regexp.MustCompile(vre).MatchString(v) {
					return true
				}
			}
		}
		return false
	}
	for ann, want := range map[string]bool{
		AnnotationProfile:         true,
		AnnotationRules:           true,
		AnnotationReport:          false, // a report without a profile: the hook has nothing to do
		"io.oci-sbx.profile-old":  false,
		"x.io.oci-sbx.rules":      false,
		"io_oci-sbx_profile":      false,
		"io.podman.annotations.x": false,
	} {
		if got := matches(map[string]string{ann: "default: allow\nrules: []\n"}); got != want {
			t.Errorf("annotation %s: hook runs = %v, want %v", ann, got, want)
		}
	}
	if !matches(map[string]string{AnnotationRules: ""}) {
		t.Error("an empty value does not run the hook (which would then fail on it)")
	}

	if _, err := NewHooksD("oci-sbx"); err == nil {
		t.Error("a relative path was accepted")
	}
}
