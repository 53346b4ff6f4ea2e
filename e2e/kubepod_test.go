//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// CRI's seccomp profile types (cri-api's SecurityProfile_ProfileType).
const (
	criRuntimeDefault = 0
	criUnconfined     = 1
	criLocalhost      = 2
)

// podSeq makes pod and container names unique within a run.
var podSeq atomic.Int64

// kubePod is a pod sandbox on the node, as the kubelet creates one:
// host network, no hostname.
type kubePod struct {
	node   *kubeNode
	id     string
	config string // the pod's config file, which crictl create needs again
	logDir string
}

// runPod starts a pod with the annotations; it is removed when the test
// ends.
func (n *kubeNode) runPod(t testing.TB, annotations map[string]string) *kubePod {
	t.Helper()
	p, err := n.startPod(annotations)
	if err != nil {
		t.Fatalf("%v\ncontainerd's log:\n%s", err, n.logTail())
	}
	t.Cleanup(func() {
		if _, err := n.crictl("rmp", "--force", p.id); err != nil {
			t.Errorf("removing pod: %v", err)
		}
	})
	return p
}

// startPod starts a pod with the annotations.
func (n *kubeNode) startPod(annotations map[string]string) (*kubePod, error) {
	name := fmt.Sprintf("sbx-%d-%d", os.Getpid(), podSeq.Add(1))
	logDir := filepath.Join(n.dir, "pods", name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	config := map[string]any{
		"metadata":      map[string]any{"name": name, "namespace": "oci-sbx-e2e", "uid": name, "attempt": 0},
		"log_directory": logDir,
		"annotations":   annotations,
		"linux": map[string]any{"security_context": map[string]any{
			"namespace_options": map[string]any{"network": 2}, // NODE: no CNI needed
		}},
	}
	path := filepath.Join(logDir, "pod.json")
	if err := writeJSONFile(path, config); err != nil {
		return nil, err
	}
	out, err := n.crictl("runp", path)
	if err != nil {
		return nil, fmt.Errorf("running pod %v: %w", annotations, err)
	}
	return &kubePod{node: n, id: strings.TrimSpace(out), config: path, logDir: logDir}, nil
}

// kubeContainer is what a container asks for.
type kubeContainer struct {
	name        string
	command     []string
	annotations map[string]string
	// seccomp is the CRI security profile: nil leaves it unset (what the
	// kubelet sends for no seccompProfile: RuntimeDefault's zero value).
	seccomp *criSeccomp
}

type criSeccomp struct {
	Type         int    `json:"profile_type"`
	LocalhostRef string `json:"localhost_ref,omitempty"`
}

// containerResult is how a container ended.
type containerResult struct {
	id     string
	err    error // creating or starting failed
	exit   int
	output string // its log: stdout and stderr, in order
}

// create creates the container in the pod, and returns its id or the
// error containerd gave.
func (p *kubePod) create(t testing.TB, c kubeContainer) (string, error) {
	t.Helper()
	return p.createContainer(c)
}

func (p *kubePod) createContainer(c kubeContainer) (string, error) {
	if c.name == "" {
		c.name = "app"
	}
	sc := map[string]any{}
	if c.seccomp != nil {
		sc["seccomp"] = c.seccomp
	}
	config := map[string]any{
		"metadata":    map[string]any{"name": c.name},
		"image":       map[string]any{"image": nodeImage},
		"command":     c.command,
		"log_path":    c.name + ".log",
		"annotations": c.annotations,
		"linux":       map[string]any{"security_context": sc},
	}
	path := filepath.Join(p.logDir, c.name+".json")
	if err := writeJSONFile(path, config); err != nil {
		return "", err
	}
	out, err := p.node.crictl("create", p.id, path, p.config)
	return strings.TrimSpace(out), err
}

// run creates and starts the container and waits for it to exit.
func (p *kubePod) run(t *testing.T, c kubeContainer) containerResult {
	t.Helper()
	id, err := p.create(t, c)
	if err != nil {
		return containerResult{err: err}
	}
	r := containerResult{id: id}
	if _, err := p.node.crictl("start", id); err != nil {
		r.err = err
		return r
	}
	r.exit = p.wait(t, id, time.Minute)
	if c.name == "" {
		c.name = "app"
	}
	r.output = readCRILog(t, filepath.Join(p.logDir, c.name+".log"))
	return r
}

// wait polls the container's state until it exits, and returns its exit
// code.
func (p *kubePod) wait(t *testing.T, id string, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := p.node.crictl("inspect", id)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status struct {
				State    string `json:"state"`
				ExitCode int    `json:"exitCode"`
			} `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("decoding crictl inspect: %v\n%s", err, out)
		}
		if st.Status.State == "CONTAINER_EXITED" {
			return st.Status.ExitCode
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s still %s after %v", id, st.Status.State, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readCRILog returns what a container wrote, from the CRI log format
// ("TIME STREAM P|F TEXT" per line; P continues on the next line).
func readCRILog(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) < 3 {
			continue
		}
		if len(f) == 4 {
			b.WriteString(f[3])
		}
		if f[2] == "F" {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
