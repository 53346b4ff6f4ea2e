package annotation

import (
	"errors"
	"strings"
	"testing"
)

// TestLookAlikeNamespaces: more members of the class "a misspelt key
// starts the container unconfined, with no word": keys whose namespace
// differs from io.oci-sbx. only by white space or a character that looks
// the same must be refused, like a misspelt key inside the namespace.
func TestLookAlikeNamespaces(t *testing.T) {
	for _, key := range []string{
		" io.oci-sbx.profile",     // leading space
		"io.oci-sbx .profile",     // space before the dot
		"io.oci\u2010sbx.profile", // Unicode hyphen
		"io.oci\u2011sbx.profile", // non-breaking hyphen
		"\u0131o.oci-sbx.profile", // dotless i
		"io.oci-sbx\u3002profile", // ideographic full stop
		"io.\u043eci-sbx.profile", // Cyrillic o
		"io_oci-sbx.profile",      // underscore for the dot
	} {
		t.Run(key, func(t *testing.T) {
			_, err := ParseOCI(map[string]string{key: "demo.yaml"})
			if !errors.Is(err, ErrUnknown) {
				t.Errorf("ParseOCI(%q) = %v, want an error wrapping ErrUnknown", key, err)
			}
		})
	}
}

// TestLookAlikeClass runs the skeleton over more of the class, in both
// namespaces, and over keys of other tools that must pass untouched.
func TestLookAlikeClass(t *testing.T) {
	refused := []struct{ key, meant string }{
		{"io.oci-sbx.profile ", ""}, // in the namespace: a misspelt key, refused by the table
		{"\uff49\uff4f\uff0e\uff4f\uff43\uff49\uff0d\uff53\uff42\uff58\uff0eprofile", "io.oci-sbx.profile"}, // full width
		{"io.oci\u200b-sbx.rules", "io.oci-sbx.rules"},                                                      // zero-width space
		{"io.oci\u2212sbx.rules", "io.oci-sbx.rules"},                                                       // minus sign
		{"io.oci\u2013sbx.profile", "io.oci-sbx.profile"},                                                   // en dash
		{"i0.oci-sbx.profile", "io.oci-sbx.profile"},                                                        // digit zero
		{"io.oci-\u0455bx.profile", "io.oci-sbx.profile"},                                                   // Cyrillic dze
		{"io.oci-sb\u0445.profile", "io.oci-sbx.profile"},                                                   // Cyrillic ha
		{"io.o\u0441i-sbx.profile", "io.oci-sbx.profile"},                                                   // Cyrillic es
		{"io.oci-sbx\uff0eprofile", "io.oci-sbx.profile"},                                                   // full-width full stop
		{"io.oci-sbx..profile", "io.oci-sbx.profile"},                                                       // doubled dot
		{"io.oci-sbx.prof\u0456le", "io.oci-sbx.profile"},                                                   // in the namespace, Cyrillic i in the key
		{"io.oci-sbx\u00b7rules", "io.oci-sbx.rules"},                                                       // middle dot
		{"io.oci-sbx.weird", ""},                                                                            // in the namespace, unknown
		{"io.oci sbx.nothing", ""},                                                                          // resembles the namespace, no known key
		{"io.oci-sbx.e\u0301ngine-profile", ""},                                                             // combining mark
		{"io.oci-sbx/profile", "io.oci-sbx.profile"},                                                        // slash for the dot
		{"IO.OCI\u2010SBX.RULES", "io.oci-sbx.rules"},                                                       // upper case and a Unicode hyphen
		{"io.oci-sbx\u3002report", "io.oci-sbx.report"},                                                     // ideographic full stop
		{"io.oci-sbx\u3002engine-profile", "io.oci-sbx.engine-profile"},
	}
	for _, tt := range refused {
		t.Run(tt.key, func(t *testing.T) {
			_, err := ParseOCI(map[string]string{tt.key: "demo.yaml"})
			if !errors.Is(err, ErrUnknown) {
				t.Fatalf("ParseOCI(%q) = %v, want an error wrapping ErrUnknown", tt.key, err)
			}
			if tt.meant != "" && !strings.Contains(err.Error(), `"`+tt.meant+`"`) {
				t.Errorf("ParseOCI(%q): %v, want it to suggest %q", tt.key, err, tt.meant)
			}
		})
	}
	for _, key := range []string{"oci-sbx.io /profile", "oci\u2010sbx.io/profile", "\u043eci-sbx.io/profile", "oci-sbx\u3002io/profile", "oci-sbx.io.profile", "oci_sbx_io_profile"} {
		t.Run("kubernetes/"+key, func(t *testing.T) {
			if _, err := ParseKubernetes(map[string]string{key: "demo.yaml"}, "app"); !errors.Is(err, ErrUnknown) {
				t.Errorf("ParseKubernetes(%q) = %v, want an error wrapping ErrUnknown", key, err)
			}
		})
	}
	// Other tools' keys, and keys that merely contain the namespace
	// further in, stay somebody else's.
	others := map[string]string{
		"io.podman.annotations.seccomp":          "x",
		"io.kubernetes.cri.container-name":       "app",
		"io.container.manager":                   "libpod",
		"org.opencontainers.image.title":         "x",
		"x.io.oci-sbx.rules":                     "x",
		"run.oci.seccomp_bpf_data":               "x",
		"io.ocisb":                               "x",
		"seccomp.security.alpha.kubernetes.io/p": "x",
		"io.kubernetes.pod.namespace":            "default",
	}
	if v, err := ParseOCI(others); err != nil || !v.Empty() {
		t.Errorf("ParseOCI(other tools' keys) = %v, %v; want nothing of ours and no error", v, err)
	}
	if v, err := ParseKubernetes(others, "app"); err != nil || !v.Empty() {
		t.Errorf("ParseKubernetes(other tools' keys) = %v, %v; want nothing of ours and no error", v, err)
	}
}

// TestOtherNamespace: a key written in the other namespace's form (the
// pod form in Podman's annotations, the Podman form on a pod), exactly or
// looking like it, asked for something oci-sbx reads only in the other
// place: refused, pointing at the form this place reads.
func TestOtherNamespace(t *testing.T) {
	for _, tt := range []struct {
		key, want string
		kube      bool
	}{
		{"oci-sbx.io/profile", `did you mean "io.oci-sbx.profile"?`, false},
		{"OCI-SBX.IO/rules", `did you mean "io.oci-sbx.rules"?`, false},
		{"oci-sbx.io/profile.web", `did you mean "io.oci-sbx.profile"?`, false},
		{"oci\u2010sbx.io/report", `did you mean "io.oci-sbx.report"?`, false},
		{"io.oci-sbx.profile", `did you mean "oci-sbx.io/profile"?`, true},
		{"IO.OCI-SBX.engine-profile", `did you mean "oci-sbx.io/engine-profile"?`, true},
		{"io.\u043eci-sbx.record", `did you mean "oci-sbx.io/record"?`, true},
	} {
		t.Run(tt.key, func(t *testing.T) {
			a := map[string]string{tt.key: "demo.yaml"}
			var err error
			if tt.kube {
				_, err = ParseKubernetes(a, "web")
			} else {
				_, err = ParseOCI(a)
			}
			if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q: %v, want an error wrapping ErrUnknown with %s", tt.key, err, tt.want)
			}
		})
	}
	// Keys of other tools still pass in both places.
	other := map[string]string{"io.kubernetes.cri.sandbox-id": "x", "io.podman.annotations.seccomp": "x", "run.oci.seccomp_bpf_data": "x"}
	if _, err := ParseOCI(other); err != nil {
		t.Errorf("ParseOCI(other tools' keys): %v", err)
	}
	if _, err := ParseKubernetes(other, "web"); err != nil {
		t.Errorf("ParseKubernetes(other tools' keys): %v", err)
	}
}
