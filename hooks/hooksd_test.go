package hooks

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/annotation"
)

func TestHooksD(t *testing.T) {
	doc, err := NewHooksD("/usr/local/bin/oci-sbx", "/etc/oci-sbx/profiles", "")
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
	wants := map[string]bool{
		// The hook refuses every key of the namespace it does not
		// know, so it must run for every one, in any case.
		"io.oci-sbx.profile-old":  true,
		"io.oci-sbx.profil":       true,
		"io.oci-sbx.Profile":      true,
		"IO.OCI-SBX.RULES":        true,
		"x.io.oci-sbx.rules":      false,
		"io_oci-sbx_profile":      false,
		"io.podman.annotations.x": false,
	}
	for _, k := range annotation.Keys {
		wants[annotation.OCIKey(k.Name)] = true
	}
	for ann, want := range wants {
		if got := matches(map[string]string{ann: "default: allow\nrules: []\n"}); got != want {
			t.Errorf("annotation %s: hook runs = %v, want %v", ann, got, want)
		}
	}
	if !matches(map[string]string{AnnotationRules: ""}) {
		t.Error("an empty value does not run the hook (which would then fail on it)")
	}

	if _, err := NewHooksD("oci-sbx", "", ""); err == nil {
		t.Error("a relative path was accepted")
	}
	if _, err := NewHooksD("/usr/bin/oci-sbx", "profiles", ""); err == nil {
		t.Error("a relative profiles directory was accepted")
	}
}
