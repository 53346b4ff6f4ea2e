//go:build e2e

package e2e

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/format"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// needsRunTimeout bounds one container start; a normal one takes about
// 0.1 s, and a start that cannot write its exec fifo hangs until killed.
const needsRunTimeout = 5 * time.Second

// TestRuncNeeds keeps convert/runtimes' table of the syscalls runc (and the late
// stage) make after runc loads a container's filter true to the runc
// installed here.
//
// With -update it measures the table: for every syscall of the native
// table, a container whose profile allows everything but kills the
// process on that syscall; a container that does not start means the
// call is made. Each syscall that is made is then denied with EPERM to
// see whether runc survives its failure. Repeated runs tell the calls
// made every time from those made now and then (marked Sometimes: the
// Go runtime's futex, signal returns, preemption). The container's
// process is a tiny static program that prints a line and exits, so the
// only calls that matter are runc's and the late stage's. This takes
// about five minutes.
//
// Without -update (as in CI) it checks the committed table: each entry
// not marked Sometimes still stops the start, and a profile that denies
// every syscall but the table's still starts.
func TestRuncNeeds(t *testing.T) {
	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	tiny := tinyProgram(t)

	dir := t.TempDir()
	static := filepath.Join(dir, "oci-sbx-static")
	buildStatic(t, static)
	rootfs := filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"tiny": tiny})

	version := runcRelease(t, runc)
	known, err := runtimes.Lookup("runc", version)
	if err != nil {
		if !testutil.Update() {
			t.Fatalf("%v (the table is kept per runtime release)", err)
		}
		known = &runtimes.Runtime{Name: "runc", Version: version}
	}
	m := &needsMeasurer{t: t, runc: runc, workers: runtime.NumCPU(), known: known}
	m.configs[runtimes.RuncNoNewPrivileges] = m.template(filepath.Join(dir, "nnp"), rootfs, true, "")
	m.configs[runtimes.RuncPrivileged] = m.template(filepath.Join(dir, "priv"), rootfs, false, "")
	m.configs[runtimes.LateStart] = m.template(filepath.Join(dir, "late"), rootfs, true, static)

	phases := []runtimes.Phase{runtimes.RuncNoNewPrivileges, runtimes.RuncPrivileged, runtimes.LateStart}
	table := map[runtimes.Phase][]runtimes.Need{}
	if testutil.Update() {
		start := time.Now()
		for _, ph := range phases {
			table[ph] = m.measure(ph)
		}
		// The late stage runs after runc: what runc needs is listed there.
		table[runtimes.LateStart] = slices.DeleteFunc(table[runtimes.LateStart], func(n runtimes.Need) bool {
			i := slices.IndexFunc(table[runtimes.RuncNoNewPrivileges], func(r runtimes.Need) bool { return r.Syscall == n.Syscall })
			return i >= 0 && (table[runtimes.RuncNoNewPrivileges][i].Errno || !n.Errno)
		})
		t.Logf("measured in %v", time.Since(start).Round(time.Second))
	} else {
		for _, ph := range phases {
			table[ph] = known.Phase(ph)
		}
	}
	for _, ph := range phases {
		var names []string
		for _, n := range table[ph] {
			names = append(names, n.Syscall)
		}
		t.Logf("%s: %s", ph, strings.Join(names, " "))
	}

	// Each entry not marked Sometimes still stops the start. An entry
	// that lets the container start is tried twice more before it counts
	// as stale: the Go runtime's calls vary from run to run, and a call
	// runc makes only sometimes is still one it makes.
	var jobs []needsJob
	for _, ph := range phases {
		for _, n := range table[ph] {
			if !n.Sometimes {
				jobs = append(jobs, needsJob{phase: ph, name: n.Syscall, errno: n.Errno})
			}
		}
	}
	for try := 0; try < 3 && len(jobs) > 0; try++ {
		var again []needsJob
		for i, r := range m.run(jobs) {
			if r.started {
				again = append(again, jobs[i])
			}
		}
		jobs = again
	}
	for _, j := range jobs {
		// The late stage's own needs are its Go runtime's, which vary with
		// load (sched_yield, futex …); one it did not make this time is no
		// sign of a stale table. runc's needs are its code's and must hold.
		if j.phase == runtimes.LateStart {
			t.Logf("%s: denying %s did not stop the start this time (a runtime call made only under some schedules)", j.phase, j.name)
			continue
		}
		t.Errorf("%s: denying %s (errno %v) no longer stops the start: measure again with -update", j.phase, j.name, j.errno)
	}

	// Each entry marked ENOSYSFallback starts when the call fails with
	// ENOSYS: the plan lets such a profile stand beneath the late stage
	// (containerd's RuntimeDefault fails clone3 with ENOSYS).
	for _, ph := range phases {
		for _, n := range table[ph] {
			if !n.ENOSYSFallback {
				continue
			}
			j := needsJob{phase: ph, name: n.Syscall, errno: true, enosys: true}
			for i, r := range m.run([]needsJob{j, j, j}) {
				if !r.started {
					t.Errorf("%s: failing %s with ENOSYS stopped the start (run %d): %s; measure again with -update", ph, n.Syscall, i+1, r.why)
				}
			}
		}
	}

	// Allowing just the table is enough: everything else fails with
	// EPERM. The late stage starts after runc, so it gets runc's too.
	allow := map[runtimes.Phase][]string{}
	for _, ph := range phases {
		for _, n := range table[ph] {
			allow[ph] = append(allow[ph], n.Syscall)
		}
	}
	allow[runtimes.LateStart] = append(allow[runtimes.LateStart], allow[runtimes.RuncNoNewPrivileges]...)
	for _, ph := range phases {
		p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Flags: []specs.LinuxSeccompFlag{},
			Syscalls: []specs.LinuxSyscall{{Names: allow[ph], Action: specs.ActAllow}}}
		if r := m.start(ph, p); !r.started {
			t.Errorf("%s: a profile that allows only the table's syscalls does not start: %s", ph, r.why)
		}
	}

	if testutil.Update() && !t.Failed() {
		writeNeeds(t, m.known, table)
	}
}

type needsMeasurer struct {
	t       *testing.T
	runc    string
	workers int
	known   *runtimes.Runtime // the committed table of this runc, if any
	configs [3][]byte         // config.json per phase, without linux.seccomp
}

// template makes a bundle for a phase and returns its config.json: the
// tiny program under runc, or, with a late binary, the late stage in front
// of it as `oci-sbx patch` sets it up (oci/stage's Plan.SpecOpts), loading the
// demo's rules. The late stage's files are given by absolute path, so that
// every worker's bundle can use them.
func (m *needsMeasurer) template(dir, rootfs string, nnp bool, late string) []byte {
	t := m.t
	runcBundle(t, m.runc, dir, rootfs, []string{"/tiny"}, oci.WithNoNewPrivileges(nnp))
	if late != "" {
		files := filepath.Join(dir, stage.DirName)
		bin, err := os.ReadFile(late)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(files, 0o755); err != nil {
			t.Fatal(err)
		}
		demo := `{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["openat", "connect"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`
		if err := os.WriteFile(filepath.Join(files, stage.BinaryName), bin, 0o755); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(demo))
		late := &stage.Late{File: stage.File{Name: stage.ProfilePrefix + hex.EncodeToString(sum[:]) + ".json", Data: []byte(demo)}}
		if err := os.WriteFile(filepath.Join(files, late.File.Name), late.File.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		plan := &stage.Plan{Late: late, SetNoNewPrivileges: !nnp}
		editBundle(t, dir, plan.SpecOpts(stage.Place{Dir: files})...)
	}
	data, err := os.ReadFile(filepath.Join(dir, oci.ConfigName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type needsJob struct {
	phase runtimes.Phase
	name  string
	errno bool // deny with EPERM; otherwise kill the process
	// enosys: deny with ENOSYS instead of EPERM (errno is set too).
	enosys bool
}

type needsResult struct {
	started bool
	why     string // what runc printed, boiled down, when it did not start
}

// deny is the profile of a job: allow all, deny one syscall.
func (j needsJob) profile() *specs.LinuxSeccomp {
	rule := specs.LinuxSyscall{Names: []string{j.name}, Action: specs.ActKillProcess}
	if j.errno {
		ret := uint(unix.EPERM)
		if j.enosys {
			ret = uint(unix.ENOSYS)
		}
		rule = specs.LinuxSyscall{Names: []string{j.name}, Action: specs.ActErrno, ErrnoRet: &ret}
	}
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{}, Syscalls: []specs.LinuxSyscall{rule}}
}

// run starts a container per job, m.workers at a time.
func (m *needsMeasurer) run(jobs []needsJob) []needsResult {
	results := make([]needsResult, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range m.workers {
		wg.Go(func() {
			dir := m.t.TempDir()
			for i := range next {
				results[i] = m.startIn(dir, jobs[i].phase, jobs[i].profile())
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func (m *needsMeasurer) start(ph runtimes.Phase, p *specs.LinuxSeccomp) needsResult {
	return m.startIn(m.t.TempDir(), ph, p)
}

// startIn runs the phase's container under p in bundle dir.
func (m *needsMeasurer) startIn(dir string, ph runtimes.Phase, p *specs.LinuxSeccomp) needsResult {
	t := m.t
	e, err := oci.ParseConfig(m.configs[ph])
	if err == nil {
		err = e.Apply(oci.WithSeccomp(p))
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, oci.ConfigName), e.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	code, out, timedOut := runcRun(t, m.runc, dir, needsRunTimeout)
	if strings.Contains(out, startedMarker) {
		return needsResult{started: true}
	}
	return needsResult{why: runcError(out, code, timedOut)}
}

// measureReps is how often each candidate is denied again, to tell the
// calls runc always makes from those the Go runtime makes now and then.
const measureReps = 5

// measure finds what a phase needs (see TestRuncNeeds). One sweep over
// every native syscall finds candidates; the committed table adds those
// an earlier measurement saw, so that a call made now and then does not
// drop out because this sweep missed it. Each candidate is then killed
// measureReps times, and each that was ever killed is failed with EPERM as
// often.
func (m *needsMeasurer) measure(ph runtimes.Phase) []runtimes.Need {
	var names []string
	for _, n := range syscalls.AllSyscalls() {
		if _, ok := syscalls.SyscallNumber(syscalls.NativeArch(), n); ok {
			names = append(names, n)
		}
	}
	// sweep denies each name reps times and returns, per name, what was
	// printed each time the start failed.
	sweep := func(names []string, errno, enosys bool, reps int) map[string][]string {
		var jobs []needsJob
		for range reps {
			for _, n := range names {
				jobs = append(jobs, needsJob{phase: ph, name: n, errno: errno, enosys: enosys})
			}
		}
		stopped := map[string][]string{}
		for i, r := range m.run(jobs) {
			if !r.started {
				stopped[jobs[i].name] = append(stopped[jobs[i].name], r.why)
			}
		}
		return stopped
	}
	found := sweep(names, false, false, 1)
	known := m.known.Phase(ph)
	if ph == runtimes.LateStart {
		known = append(known, m.known.Phase(runtimes.RuncNoNewPrivileges)...) // measured together
	}
	cands := slices.Collect(maps.Keys(found))
	for _, n := range known {
		cands = append(cands, n.Syscall)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)

	killed := sweep(cands, false, false, measureReps)
	for n, whys := range found {
		killed[n] = append(killed[n], whys...)
	}
	made := slices.Sorted(maps.Keys(killed))
	failed := sweep(made, true, false, measureReps)
	// A call whose EPERM stops the start may still be one the caller
	// falls back from on ENOSYS (clone3 to clone): fail it with ENOSYS.
	eperm := slices.Sorted(maps.Keys(failed))
	enosysFailed := sweep(eperm, true, true, measureReps)

	var out []runtimes.Need
	for _, n := range made {
		need := runtimes.Need{Syscall: n, Kill: true, Sometimes: len(killed[n]) < measureReps, Error: killed[n][0]}
		if whys, ok := failed[n]; ok {
			need.Errno, need.Sometimes, need.Error = true, len(whys) < measureReps, whys[0]
			// Only a call EPERM stopped every time can show a fallback:
			// one made now and then may just not have been made.
			_, stops := enosysFailed[n]
			need.ENOSYSFallback = !stops && !need.Sometimes
		}
		out = append(out, need)
	}
	return out
}

var (
	logLine  = regexp.MustCompile(`^time="[^"]*" level=(\w+) msg="((?:[^"\\]|\\.)*)"`)
	runcNoun = regexp.MustCompile(`^(runc run failed: )?(unable to start container process: )?`)
)

// runcError boils down what runc printed when a container did not start:
// the line the container's init wrote itself, else runc's error messages.
func runcError(out string, code int, timedOut bool) string {
	if timedOut {
		return fmt.Sprintf("runc did not finish within %v", needsRunTimeout)
	}
	var plain, errs []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m := logLine.FindStringSubmatch(line)
		if m == nil {
			plain = append(plain, line)
			continue
		}
		if m[1] == "error" {
			msg, err := strconv.Unquote(`"` + m[2] + `"`)
			if err != nil {
				msg = m[2]
			}
			errs = append(errs, runcNoun.ReplaceAllString(msg, ""))
		}
	}
	switch {
	case len(plain) > 0:
		return plain[0]
	case len(errs) > 0:
		return strings.Join(errs, "; ")
	case code > 128:
		return fmt.Sprintf("killed by signal %d", code-128)
	}
	return fmt.Sprintf("exit status %d", code)
}

// writeNeeds writes the measured table of rt's release into
// convert/runtimes/needs_gen.go, keeping the tables of other releases.
func writeNeeds(t *testing.T, rt *runtimes.Runtime, table map[runtimes.Phase][]runtimes.Need) {
	measured := &runtimes.Runtime{Name: rt.Name, Version: rt.Version, Kernel: testutil.KernelRelease(t), Arch: syscalls.NativeArch(), Needs: table}
	all := slices.DeleteFunc(runtimes.All(), func(r *runtimes.Runtime) bool { return r.Name == rt.Name && r.Version == rt.Version })
	all = append(all, measured)
	slices.SortFunc(all, func(a, b *runtimes.Runtime) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version))
	})

	var b bytes.Buffer
	b.WriteString(`// Code generated by go test -tags 'seccomp e2e' ./e2e -run TestRuncNeeds -update; DO NOT EDIT.

package runtimes

var measured = []*Runtime{
`)
	for _, r := range all {
		fmt.Fprintf(&b, "\t{\n\t\tName: %q, Version: %q, Kernel: %q, Arch: %q,\n\t\tNeeds: map[Phase][]Need{\n", r.Name, r.Version, r.Kernel, r.Arch)
		for _, ph := range runtimes.Phases {
			fmt.Fprintf(&b, "\t\t\t%#v: {\n", ph)
			for _, n := range r.Needs[ph] {
				fmt.Fprintf(&b, "\t\t\t\t{Syscall: %q, Errno: %v, Kill: %v, Sometimes: %v, ENOSYSFallback: %v, Error: %q},\n", n.Syscall, n.Errno, n.Kill, n.Sometimes, n.ENOSYSFallback, n.Error)
			}
			b.WriteString("\t\t\t},\n")
		}
		b.WriteString("\t\t},\n\t},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("formatting the table: %v\n%s", err, b.Bytes())
	}
	if err := oci.WriteFileAtomic(filepath.Join(testutil.Root(t), "convert", "runtimes", "needs_gen.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote convert/runtimes/needs_gen.go (%s)", measured)
}
