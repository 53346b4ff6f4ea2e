package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// TestDockerAccept feeds what `oci-sbx convert --to docker` writes to the
// loader Docker itself uses (moby's seccomp.LoadProfile, for a container
// with `docker run`'s default capabilities): Docker must accept the file
// and end up with the profile we meant.
func TestDockerAccept(t *testing.T) {
	inputs := []string{"../testdata/demo.yaml"}
	for _, pattern := range []string{"testdata/inputs/*.json", "testdata/inputs/*.yaml"} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, matches...)
	}
	if len(inputs) < 2 {
		t.Fatalf("no inputs besides the demo under testdata/inputs: %q", inputs)
	}
	for _, path := range inputs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			from, err := Sniff(data)
			if err != nil {
				t.Fatalf("Sniff(%s): %v", path, err)
			}
			s := readGoldenInput(t, path, from)
			var buf bytes.Buffer
			if err := Write(&buf, s, Docker, Options{}); err != nil {
				t.Fatalf("writing %s as docker: %v", path, err)
			}
			spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
				Bounding:    docker.DefaultCaps,
				Effective:   docker.DefaultCaps,
				Permitted:   docker.DefaultCaps,
				Inheritable: docker.DefaultCaps,
			}}}
			loaded, err := seccomp.LoadProfile(buf.String(), spec)
			if err != nil {
				t.Fatalf("moby's LoadProfile rejects the output: %v\n%s", err, buf.Bytes())
			}
			if err := Equal(s, loaded); err != nil {
				t.Errorf("moby's LoadProfile reads another profile: %v\n%s", err, buf.Bytes())
			}
		})
	}
}
