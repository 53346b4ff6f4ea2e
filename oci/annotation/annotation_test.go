package annotation

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParseOCI(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]string
		want map[string]string // name → value
		err  string
	}{
		{name: "none", in: map[string]string{"io.podman.x": "1", "x.io.oci-sbx.profile": "a"}, want: map[string]string{}},
		{name: "profile", in: map[string]string{"io.oci-sbx.profile": "a.yaml", "io.oci-sbx.engine-profile": "replace"},
			want: map[string]string{Profile: "a.yaml", EngineProfile: "replace"}},
		{name: "namespace in any case", in: map[string]string{"IO.OCI-SBX.rules": "r"}, want: map[string]string{Rules: "r"}},
		{name: "typo", in: map[string]string{"io.oci-sbx.profil": "a"}, err: `"io.oci-sbx.profil": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{name: "key in another case", in: map[string]string{"io.oci-sbx.Rules": "a"}, err: `did you mean "io.oci-sbx.rules"?`},
		{name: "nothing close", in: map[string]string{"io.oci-sbx.zzzzzzzzzz": "a"}, err: `unknown oci-sbx annotation (known: profile, rules, engine-profile, report, record)`},
		{name: "empty key", in: map[string]string{"io.oci-sbx.": "a"}, err: `"io.oci-sbx.": unknown oci-sbx annotation`},
		{name: "internal", in: map[string]string{"io.oci-sbx.handover": "late"}, err: "annotation written by oci-sbx only"},
		{name: "namespace in two cases, one value", in: map[string]string{"io.oci-sbx.profile": "a", "IO.OCI-SBX.profile": "a"}, want: map[string]string{Profile: "a"}},
		{name: "namespace in two cases, two values", in: map[string]string{"io.oci-sbx.profile": "strict.yaml", "IO.OCI-SBX.profile": "weak.yaml"},
			err: `"IO.OCI-SBX.profile" and "io.oci-sbx.profile": conflicting oci-sbx annotations: one key written twice, with different values`},
		{name: "Cyrillic o in the key", in: map[string]string{"io.oci-sbx.pr\u043efile": "a"}, err: `"io.oci-sbx.pr\u043efile": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{name: "zero-width joiner", in: map[string]string{"io.oci-sbx.profile\u200d": "a"}, err: `"io.oci-sbx.profile\u200d": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{name: "trailing space", in: map[string]string{"io.oci-sbx.profile ": "a"}, err: `"io.oci-sbx.profile ": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{name: "NUL", in: map[string]string{"io.oci-sbx.profile\x00": "a"}, err: `"io.oci-sbx.profile\x00": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{name: "fullwidth full stop", in: map[string]string{"io.oci-sbx\uff0eprofile": "a"}, err: `"io.oci-sbx\uff0eprofile": unknown oci-sbx annotation: it only looks like the io.oci-sbx. namespace; did you mean "io.oci-sbx.profile"?`},
		{name: "every error", in: map[string]string{"io.oci-sbx.a": "1", "io.oci-sbx.profile": "p", "io.oci-sbx.b": "2"}, err: `"io.oci-sbx.a"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseOCI(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if v != nil {
					t.Error("values despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, v, tc.want)
			if v.Empty() != (len(tc.want) == 0) {
				t.Errorf("Empty() = %v", v.Empty())
			}
		})
	}
	_, err := ParseOCI(map[string]string{"io.oci-sbx.a": "1", "io.oci-sbx.b": "2"})
	if err == nil || !strings.Contains(err.Error(), `"io.oci-sbx.a"`) || !strings.Contains(err.Error(), `"io.oci-sbx.b"`) {
		t.Errorf("both unknown keys are not named: %v", err)
	}
	_, err = ParseOCI(map[string]string{"io.oci-sbx.set-no-new-privileges": "true"})
	if !errors.Is(err, ErrInternal) {
		t.Errorf("internal key: %v", err)
	}
}

func TestParseKubernetes(t *testing.T) {
	ann := map[string]string{
		"oci-sbx.io/profile":      "pod.yaml",
		"oci-sbx.io/profile.web":  "web.yaml",
		"oci-sbx.io/report.db":    "/run/agent.sock",
		"io.kubernetes.cri-o.foo": "x",
	}
	for ctr, want := range map[string]map[string]string{
		"web": {Profile: "web.yaml"},
		"db":  {Profile: "pod.yaml", Report: "/run/agent.sock"},
		"app": {Profile: "pod.yaml"},
	} {
		v, err := ParseKubernetes(ann, ctr)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range Keys {
			got, _ := v.Get(k.Name)
			if got != want[k.Name] {
				t.Errorf("container %s, %s: %q, want %q", ctr, k.Name, got, want[k.Name])
			}
		}
	}
	if v, _ := ParseKubernetes(ann, "web"); v.Key(Profile) != "oci-sbx.io/profile.web" {
		t.Errorf("key %q", v.Key(Profile))
	}
	for key, msg := range map[string]string{
		"oci-sbx.io/profil.web":                `did you mean "oci-sbx.io/profile`,
		"OCI-SBX.IO/Rules":                     `did you mean "OCI-SBX.IO/rules"?`,
		"oci-sbx.io/handover":                  "written by oci-sbx only",
		"oci-sbx.io/set-no-new-privileges.web": "written by oci-sbx only",
	} {
		if _, err := ParseKubernetes(map[string]string{key: "x"}, "web"); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", key, err, msg)
		}
	}
}

// What one container of a pod gets from pod-wide and per-container keys,
// and which keys refuse it.
func TestParseKubernetesContainers(t *testing.T) {
	long := "a-container-name-long-enough-that-profile-and-it-exceed-63-chars"
	for _, tc := range []struct {
		name      string
		in        map[string]string
		container string
		want      map[string]string
		err       string
	}{
		{name: "rules for the pod, a profile for the container", container: "web",
			in:   map[string]string{"oci-sbx.io/rules": "{default: allow}", "oci-sbx.io/profile.web": "web.yaml", "oci-sbx.io/engine-profile": "replace"},
			want: map[string]string{Profile: "web.yaml", EngineProfile: "replace"}},
		{name: "rules for the pod, a profile for another container", container: "db",
			in:   map[string]string{"oci-sbx.io/rules": "{default: allow}", "oci-sbx.io/profile.web": "web.yaml"},
			want: map[string]string{Rules: "{default: allow}"}},
		{name: "a profile for the pod, rules for the container", container: "web",
			in:   map[string]string{"oci-sbx.io/profile": "pod.yaml", "oci-sbx.io/rules.web": "{default: allow}"},
			want: map[string]string{Rules: "{default: allow}"}},
		{name: "the container's own engine-profile wins", container: "web",
			in:   map[string]string{"oci-sbx.io/profile": "pod.yaml", "oci-sbx.io/engine-profile": "replace", "oci-sbx.io/engine-profile.web": "keep"},
			want: map[string]string{Profile: "pod.yaml", EngineProfile: "keep"}},
		{name: "the pod's key in two cases, two values", container: "web",
			in:  map[string]string{"oci-sbx.io/profile": "strict.yaml", "OCI-SBX.IO/profile": "weak.yaml"},
			err: `"OCI-SBX.IO/profile" and "oci-sbx.io/profile": conflicting oci-sbx annotations`},
		{name: "the container's key in two cases, two values", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.web": "strict.yaml", "Oci-Sbx.Io/profile.web": "weak.yaml"},
			err: `"Oci-Sbx.Io/profile.web" and "oci-sbx.io/profile.web": conflicting oci-sbx annotations`},
		{name: "the container's name in another case", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.Web": "web.yaml"},
			err: `"oci-sbx.io/profile.Web": unknown oci-sbx annotation: it names container "Web", not "web"; did you mean "oci-sbx.io/profile.web"?`},
		{name: "the container's name with a Cyrillic e", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.w\u0435b": "web.yaml"},
			err: `"oci-sbx.io/profile.w\u0435b": unknown oci-sbx annotation: it names container "w\u0435b", not "web"; did you mean "oci-sbx.io/profile.web"?`},
		{name: "the container's name with another letter", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.w\u00e9b": "web.yaml"},
			err: `"w\u00e9b" can be no container's name`},
		{name: "the container's name with a trailing space", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.web ": "web.yaml"},
			err: `it names container "web ", not "web"; did you mean "oci-sbx.io/profile.web"?`},
		{name: "no container", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.": "web.yaml"},
			err: `"" can be no container's name`},
		{name: "a dot in the container's name", container: "web",
			in:  map[string]string{"oci-sbx.io/profile.web.v2": "web.yaml"},
			err: `"web.v2" can be no container's name`},
		{name: "another container of the pod", container: "web",
			in:   map[string]string{"oci-sbx.io/profile.db": "db.yaml"},
			want: map[string]string{}},
		{name: "a name cut short to fit 63 characters", container: long,
			in:  map[string]string{"oci-sbx.io/profile." + long[:55]: "web.yaml"},
			err: `Kubernetes allows 63 characters after oci-sbx.io/, too few for this container's name; use the pod-wide key "oci-sbx.io/profile"`},
		{name: "a name of 55 characters fits", container: long[:55],
			in:   map[string]string{"oci-sbx.io/profile." + long[:55]: "web.yaml"},
			want: map[string]string{Profile: "web.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseKubernetes(tc.in, tc.container)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, v, tc.want)
		})
	}
}

// BenchmarkParseOCIForeign is the precreate hook's cost for a container
// without oci-sbx annotations: only other engines' keys to look through.
func BenchmarkParseOCIForeign(b *testing.B) {
	ann := map[string]string{
		"io.container.manager":                "libpod",
		"io.podman.annotations.autoremove":    "TRUE",
		"io.podman.annotations.init":          "FALSE",
		"org.opencontainers.image.stopSignal": "15",
		"org.systemd.property.KillSignal":     "15",
	}
	for i := 0; i < b.N; i++ {
		if _, err := ParseOCI(ann); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPresent(t *testing.T) {
	v, err := ParseKubernetes(map[string]string{"oci-sbx.io/report": "/s", "OCI-SBX.io/engine-profile": "keep", "other": "x"}, "c")
	if err != nil {
		t.Fatal(err)
	}
	got, want := strings.Join(v.Present(), " "), "OCI-SBX.io/engine-profile oci-sbx.io/report"
	if got != want {
		t.Errorf("Present() = %q, want %q (as written, in the table's order)", got, want)
	}
}

// TestLongValuesAndKeys: a value longer than its key allows is refused,
// and an error quotes a key or value only in part, whatever its size.
func TestLongValuesAndKeys(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name string
		ann  map[string]string
		want string
	}{
		{"long profile", map[string]string{OCIKey(Profile): long}, "a value of 1048576 bytes, more than 4096"},
		{"long engine mode", map[string]string{OCIKey(EngineProfile): long}, "more than 4096"},
		{"long unknown key", map[string]string{OCI + long: "x"}, "unknown"},
		{"long look-alike key", map[string]string{"io_oci-sbx." + long: "x"}, "only looks like"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseOCI(tc.ann)
			if err == nil || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 1024 {
				t.Errorf("error of %d bytes: %.200v", len(fmt.Sprint(err)), err)
			}
		})
	}
	if _, err := ParseKubernetes(map[string]string{Kubernetes + Report: long}, "c"); err == nil || len(err.Error()) > 1024 {
		t.Errorf("kubernetes: %.200v", err)
	}
	// The rules key is bounded where it is read, with advice.
	if _, err := ParseOCI(map[string]string{OCIKey(Rules): strings.Repeat("x", MaxRules)}); err != nil {
		t.Errorf("rules: %v", err)
	}
}

// The engine-profile key reads alike in both namespaces: kept unless it
// says replace, and an error names the key as the container wrote it.
func TestReplaceEngine(t *testing.T) {
	for _, tc := range []struct {
		oci, kube string // the value; "" leaves the key out
		want      bool
		err       string
	}{
		{},
		{oci: "keep", kube: "keep"},
		{oci: "replace", kube: "replace", want: true},
		{oci: "Replace", kube: "Replace", err: `"Replace" is neither "keep" nor "replace"`},
	} {
		ociIn, kubeIn := map[string]string{}, map[string]string{}
		if tc.oci != "" {
			ociIn["io.oci-sbx.engine-profile"] = tc.oci
			kubeIn["oci-sbx.io/engine-profile.c"] = tc.kube
		}
		vo, err := ParseOCI(ociIn)
		if err != nil {
			t.Fatal(err)
		}
		vk, err := ParseKubernetes(kubeIn, "c")
		if err != nil {
			t.Fatal(err)
		}
		for key, v := range map[string]*Values{"io.oci-sbx.engine-profile": vo, "oci-sbx.io/engine-profile.c": vk} {
			got, err := v.ReplaceEngine()
			switch {
			case tc.err == "" && (err != nil || got != tc.want):
				t.Errorf("%s=%q: %v, %v; want %v", key, tc.oci, got, err, tc.want)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), key)):
				t.Errorf("%s=%q: error %v; want one naming %s and saying %s", key, tc.oci, err, key, tc.err)
			}
		}
	}
}

// The record key stands alone: beside a profile, rules or a report it
// is refused, naming both keys as written.
func TestRecordAlone(t *testing.T) {
	alone, err := ParseOCI(map[string]string{"io.oci-sbx.record": "web.yaml", "io.oci-sbx.engine-profile": "keep"})
	if err != nil {
		t.Fatal(err)
	}
	if err := alone.RecordAlone(); err != nil {
		t.Errorf("record with engine-profile: %v", err)
	}
	for _, other := range []string{"profile", "rules", "report"} {
		v, err := ParseKubernetes(map[string]string{"oci-sbx.io/record": "web.yaml", "oci-sbx.io/" + other: "x"}, "c")
		if err != nil {
			t.Fatal(err)
		}
		err = v.RecordAlone()
		if err == nil || !strings.Contains(err.Error(), "annotation oci-sbx.io/record:") || !strings.Contains(err.Error(), "not under oci-sbx.io/"+other+" too") {
			t.Errorf("record with %s: %v", other, err)
		}
	}
}

// docs/kubernetes.md says, for every key a container can have, how long
// a container name its per-container form fits: Kubernetes's 63 characters
// after the "/", less the key and its dot.
func TestDocumentedContainerNameLimits(t *testing.T) {
	data, err := os.ReadFile("../../docs/kubernetes.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(data)), " ")
	for _, k := range Keys {
		if !k.PerContainer || k.Internal {
			continue
		}
		want := maxNameLen - len(k.Name) - 1
		m := regexp.MustCompile(`\b(\d+)(?: characters)? for ` + "`" + regexp.QuoteMeta(k.Name) + "`").FindStringSubmatch(text)
		if m == nil {
			t.Errorf("docs/kubernetes.md does not say how long a container name %s.CONTAINER fits (%d)", k.Name, want)
			continue
		}
		if m[1] != strconv.Itoa(want) {
			t.Errorf("docs/kubernetes.md says %s for %s.CONTAINER; it is %d", m[1], k.Name, want)
		}
	}
}

// checkValues checks every key of the table in v against want (a key
// missing from want: absent).
func checkValues(t *testing.T, v *Values, want map[string]string) {
	t.Helper()
	for _, k := range Keys {
		got, ok := v.Get(k.Name)
		w, wantOK := want[k.Name]
		if got != w || ok != wantOK {
			t.Errorf("%s: %q %v, want %q %v", k.Name, got, ok, w, wantOK)
		}
	}
}
