package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/annotation"
)

func TestHooksD(t *testing.T) {
	doc, err := NewHooksD("/usr/local/bin/oci-sbx", Dirs{Profiles: "/etc/oci-sbx/profiles"})
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

	// Podman runs a hook whose when.always is true for every container
	// (it checks always before any other condition). It must: the hook
	// refuses keys that only look like the namespace, which no regexp
	// can list, so it must see every container.
	if back.When.Always == nil || !*back.When.Always || len(back.When.Annotations) != 0 {
		t.Errorf("when = %+v, want always and nothing else", back.When)
	}
	// What the hook then does with each kind of key: refuse what is or
	// looks like the namespace, pass the rest through.
	for key, refused := range map[string]bool{
		"io.oci-sbx.profil":       true,
		"io.oci-sbx.Profile":      true,
		"IO.OCI-SBX.RULES":        true,
		"io.oci\u2010sbx.profile": true,
		"io.\u043eci-sbx.profile": true,
		" io.oci-sbx.profile":     true,
		"io_oci-sbx.profile":      true,
		"io.oci-sbx\u3002rules":   true,
		"x.io.oci-sbx.rules":      false,
		"io.podman.annotations.x": false,
	} {
		config := []byte(`{"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "annotations": {"` + key + `": "demo.yaml"}}`)
		out, err := Precreate(config, PrecreateOptions{Profiles: t.TempDir(), LateDir: t.TempDir()})
		switch {
		case refused && !errors.Is(err, annotation.ErrUnknown):
			t.Errorf("annotation %s: %v, want the container refused as an unknown annotation", key, err)
		case !refused && (err != nil || !bytes.Equal(out, config)):
			t.Errorf("annotation %s: %v, want the config passed through unchanged", key, err)
		}
	}

	if _, err := NewHooksD("oci-sbx", Dirs{}); err == nil {
		t.Error("a relative path was accepted")
	}
	for _, dirs := range []Dirs{{Profiles: "profiles"}, {Records: "records"}, {Agents: "agents"}} {
		if _, err := NewHooksD("/usr/bin/oci-sbx", dirs); err == nil {
			t.Errorf("a relative directory was accepted: %+v", dirs)
		}
	}
	doc, err = NewHooksD("/usr/bin/oci-sbx", Dirs{Agents: "/srv/agents/", Records: DefaultRecords})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(doc.Hook.Args, " "), "oci-sbx hook precreate --profiles /etc/oci-sbx/profiles --agents /srv/agents"; got != want {
		t.Errorf("args %q, want %q", got, want)
	}
}
