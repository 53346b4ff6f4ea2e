//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

var nriRounds = flag.Int("nri-rounds", 41, "rounds of BenchmarkNRI")

// BenchmarkNRI measures what `oci-sbx nri` adds to a container's creation
// and start through containerd's CRI: the same pod and container with
// and without the annotation, the plugin registered for both. Each round
// runs every variant once, in an order that rotates from round to round;
// the table shows each variant's median and its median excess over the
// unannotated container within the same round, so that the load of a
// shared machine cancels out.
//
//	go test -tags 'seccomp e2e' -run '^$' -bench NRI -benchtime 1x ./e2e/
func BenchmarkNRI(b *testing.B) {
	if os.Geteuid() != 0 {
		testutil.Missing(b, "the measurement needs root: it runs containerd")
	}
	n := sharedNode(b)
	n.startNRI(b, map[string]string{
		"no-connect.yaml": noConnectRules,
		"demo.yaml":       demoRules,
	})
	variants := []struct {
		name        string
		annotations map[string]string
	}{
		{"no annotation", nil},
		{"oci-sbx.io/profile: a profile runc starts under (linux.seccomp only)", map[string]string{"oci-sbx.io/profile": "no-connect.yaml"}},
		{"oci-sbx.io/profile: the demo (late stage)", map[string]string{"oci-sbx.io/profile": "demo.yaml"}},
	}
	times := make([][]time.Duration, len(variants))
	for round := range *nriRounds {
		for k := range variants {
			i := (k + round) % len(variants)
			d, err := n.timeCreateStart(variants[i].annotations)
			if err != nil {
				b.Fatalf("%s: %v", variants[i].name, err)
			}
			times[i] = append(times[i], d)
		}
	}
	for b.Loop() { // the measurement above is the benchmark
	}
	fmt.Printf("\nMeasured %s, Linux %s, %d CPUs; containerd %s, runc %s; %d rounds; containerd's own time for CreateContainer and StartContainer, from its log; medians.\n\n",
		time.Now().UTC().Format("2006-01-02"), testutil.KernelRelease(b), runtime.NumCPU(), containerdVersion, runcRelease(b, "runc"), *nriRounds)
	fmt.Println("| container | CreateContainer + StartContainer | over no annotation (median, middle half of the rounds) |")
	fmt.Println("|---|---:|---:|")
	for i, v := range variants {
		var excess []time.Duration
		for r := range times[i] {
			excess = append(excess, times[i][r]-times[0][r])
		}
		over := fmt.Sprintf("%+.1f ms (%+.1f … %+.1f)", testutil.Ms(testutil.Median(excess)), testutil.Ms(quantile(excess, 0.25)), testutil.Ms(quantile(excess, 0.75)))
		if i == 0 {
			over = "—"
		}
		fmt.Printf("| %s | %.1f ms | %s |\n", v.name, testutil.Ms(testutil.Median(times[i])), over)
	}
}

// timeCreateStart runs a pod (not timed), creates and starts its
// container as the kubelet asks for them, and removes the pod. The time
// is containerd's own, from its log: from receiving CreateContainer to
// answering it, plus the same for StartContainer, so that starting crictl
// is not counted.
func (n *kubeNode) timeCreateStart(annotations map[string]string) (time.Duration, error) {
	pod, err := n.startPod(annotations)
	if err != nil {
		return 0, err
	}
	defer n.crictl("rmp", "--force", pod.id)
	fi, err := os.Stat(n.log)
	if err != nil {
		return 0, err
	}
	c := kubeContainer{name: "app", command: []string{"/bin/true"}, seccomp: &criSeccomp{Type: criUnconfined}}
	id, err := pod.createContainer(c)
	if err != nil {
		return 0, err
	}
	if _, err := n.crictl("start", id); err != nil {
		return 0, err
	}
	f, err := os.Open(n.log)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(fi.Size(), io.SeekStart); err != nil {
		return 0, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, span := range [][2]string{
		{fmt.Sprintf(`CreateContainer within sandbox \"%s\" for container`, pod.id), fmt.Sprintf(`returns container id \"%s\"`, id)},
		{fmt.Sprintf(`StartContainer for \"%s\""`, id), fmt.Sprintf(`StartContainer for \"%s\" returns successfully`, id)},
	} {
		from, to := logTime(data, span[0]), logTime(data, span[1])
		if from.IsZero() || to.IsZero() {
			return 0, fmt.Errorf("containerd's log lacks %q or %q", span[0], span[1])
		}
		total += to.Sub(from)
	}
	return total, nil
}

// logTime is the time of the first line of containerd's log holding s.
func logTime(log []byte, s string) time.Time {
	for _, line := range strings.Split(string(log), "\n") {
		if !strings.Contains(line, s) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, `time="`), `"`)
		t, _ := time.Parse(time.RFC3339Nano, stamp)
		return t
	}
	return time.Time{}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}
