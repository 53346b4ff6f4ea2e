package kubernetes

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
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

func TestHint(t *testing.T) {
	hint := Hint("web")
	for _, want := range []string{
		"/var/lib/kubelet/seccomp/profiles/web.json",
		"seccompProfile:\n      type: Localhost\n      localhostProfile: profiles/web.json\n",
		"--to spo",
	} {
		if !strings.Contains(hint, want) {
			t.Errorf("Hint lacks %q:\n%s", want, hint)
		}
	}
	if !strings.Contains(Hint(""), "profiles/oci-sbx.json") || !strings.Contains(Hint("a.json"), "profiles/a.json\n") {
		t.Error("Hint: default name or .json suffix mishandled")
	}
}
