package kubernetes

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func TestWrite(t *testing.T) {
	one := uint(1)
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, DefaultErrnoRet: &one, Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1<<64 - 100, Op: specs.OpEqualTo}}}},
	}
	var k8s bytes.Buffer
	if err := Write(&k8s, s, format.Options{}); err != nil {
		t.Fatal(err)
	}
	oci, _ := format.MarshalJSON(format.ToOCIJSON(s))
	if !bytes.Equal(k8s.Bytes(), oci) {
		t.Errorf("the kubernetes output is not the canonical OCI JSON:\n%s", k8s.Bytes())
	}
	// containerd decodes a Localhost profile straight into specs.LinuxSeccomp.
	var back specs.LinuxSeccomp
	dec := json.NewDecoder(bytes.NewReader(k8s.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.Syscalls[0].Args[0].Value != 1<<64-100 || back.Flags == nil {
		t.Errorf("decoded back as %+v", back)
	}
}

// The hint is what a user copies: exact, as a golden file.
func TestHint(t *testing.T) {
	testutil.Golden(t, filepath.Join("testdata", "golden", "hint-web.txt"), []byte(Hint("web")))
	if !strings.Contains(Hint(""), "profiles/oci-sbx.json") || !strings.Contains(Hint("a.json"), "profiles/a.json\n") || strings.Contains(Hint("a.json"), ".json.json") {
		t.Error("Hint: default name or .json suffix mishandled")
	}
}
