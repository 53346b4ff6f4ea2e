//go:build linux && cgo && seccomp

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/cache"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/program"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// BenchmarkCost measures what the sandbox costs and prints one markdown
// table, the one in docs/performance.md. Every figure is a ratio of two
// measurements taken side by side: each round runs every variant once,
// in an order that rotates from round to round, and the table shows the
// median over the rounds of each round's ratio, so that the load of a
// shared machine cancels out. Instruction counts come from the programs
// runc loads (package program) run in filter's interpreter: deterministic.
//
//	go test -tags seccomp -run '^$' -bench Cost -benchtime 1x ./oci/sandbox/
//
// It needs root (reading programs back, runc) and builds the probe
// (testdata/probe) and oci-sbx itself. -rounds sets the rounds.
func BenchmarkCost(b *testing.B) {
	if os.Geteuid() != 0 {
		testutil.Missing(b, "the measurement needs root: it reads programs back from the kernel and runs runc")
	}
	h := newHarness(b)
	var rows []row
	rows = append(rows, h.syscallRows()...)
	rows = append(rows, h.compileRows()...)
	rows = append(rows, h.startupRows()...)
	for b.Loop() { // the measurement above is the benchmark
	}
	fmt.Printf("\nMeasured %s on %s, Linux %s, %d CPUs; %d rounds; medians of per-round ratios.\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), testutil.KernelRelease(b), runtime.NumCPU(), *benchRounds)
	printTable(os.Stdout, rows)
	fmt.Println()
	for _, t := range h.targets {
		fmt.Println(t)
	}
}

var benchRounds = flag.Int("rounds", 15, "rounds of BenchmarkCost")

// The helper child of the compile+load timing, entered like the init
// mode: it loads the profile it reads from standard input on its own
// thread and prints how long that took.
const benchLoadEnv = "SANDBOX_BENCH_LOAD"

func init() {
	mode, ok := os.LookupEnv(benchLoadEnv)
	if !ok {
		return
	}
	runtime.LockOSThread()
	if mode == "read" {
		tables, read, err := benchRead()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(tables, read)
		os.Exit(0)
	}
	ns, err := benchLoad(mode)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Raw: the profile decides what runs now.
	unix.Write(1, strconv.AppendInt(nil, ns, 10))
	unix.Exit(0)
}

// benchRead times what oci-sbx exec does before Run in a fresh process:
// the rules package's syscall tables, built on first use, and reading
// the profile from standard input.
func benchRead() (tables, read int64, err error) {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	syscalls.IsSyscall("read")
	tables = time.Since(start).Nanoseconds()
	start = time.Now()
	if _, err := convert.Read("profile", data, "", convert.Options{}); err != nil {
		return 0, 0, err
	}
	return tables, time.Since(start).Nanoseconds(), nil
}

// benchLoad times what the exec path does to get a profile loaded:
// runc's loader (libseccomp compiles, runc adds its stub, the kernel
// loads), or the cache (key, read, verify, decode, load).
func benchLoad(mode string) (int64, error) {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 0, err
	}
	ic, err := decodeInitConfig(data)
	if err != nil {
		return 0, err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 0, err
	}
	switch mode {
	case "runc":
		start := time.Now()
		cfg, err := specconv.SetupSeccomp(ic.Seccomp)
		if err != nil {
			return 0, err
		}
		if _, err := seccomp.InitSeccomp(cfg); err != nil {
			return 0, err
		}
		return time.Since(start).Nanoseconds(), nil
	case "cache":
		start := time.Now()
		p, err := cache.Get(context.Background(), ic.Seccomp)
		if err != nil {
			return 0, err
		}
		fprog := unix.SockFprog{Len: uint16(len(p.Raw) / unix.SizeofSockFilter), Filter: (*unix.SockFilter)(unsafe.Pointer(&p.Raw[0]))}
		if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(p.Flags), uintptr(unsafe.Pointer(&fprog))); e != 0 {
			return 0, e
		}
		return time.Since(start).Nanoseconds(), nil
	}
	return 0, fmt.Errorf("unknown mode %q", mode)
}

// A call the probe times, and how the kernel sees it.
type call struct {
	path string // allowed, checked, denied
	spec string // the probe's CALL
	name string
	args [6]uint64
}

func (c call) data(arch uint32) filter.Data {
	nr, _ := syscalls.SyscallNumber(syscalls.NativeArch(), c.name)
	return filter.Data{Nr: int32(nr), Arch: arch, Args: c.args}
}

var (
	getppid  = call{"allowed", "getppid", "getppid", [6]uint64{}}
	persona  = call{"checked", "personality:0xffffffff", "personality", [6]uint64{0xffffffff}}
	sendto   = call{"checked", "sendto:-1:0:0:0:0:0", "sendto", [6]uint64{^uint64(0)}}
	connect  = call{"denied", "connect:-1:0:0", "connect", [6]uint64{^uint64(0)}}
	umount2  = call{"denied", "umount2:0:0xffffffff", "umount2", [6]uint64{0, 0xffffffff}}
	allCalls = []call{getppid, persona, sendto, connect, umount2}
)

// profile is one profile of the table.
type profile struct {
	name  string
	s     *specs.LinuxSeccomp
	calls []call
	prog  *filter.Program
	raw   []byte
	// oneRule, per call, is the one-rule filter that decides the call
	// the same way: the shortest program to compare with.
	oneRule map[string]*profile
}

type harness struct {
	b        *testing.B
	dir      string
	probe    string
	strue    string // a static true: C, so that start-up is the kernel's and the sandbox's
	sexec    string // a static C program that execs its arguments: the floor of any launcher
	sload    string // … that loads a program from a file first: the floor of a launcher
	ocisbx   string
	arch     uint32
	profiles []*profile
	refs     map[string]*profile // one-rule filters by name
	docker3  *profile
	targets  []string
}

func newHarness(b *testing.B) *harness {
	h := &harness{b: b, dir: b.TempDir(), refs: map[string]*profile{}}
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	h.probe = filepath.Join(h.dir, "probe")
	h.ocisbx = filepath.Join(h.dir, "oci-sbx")
	h.build(root, h.probe, false, "./testdata/probe")
	// As make build builds it: static.
	h.build(root, h.ocisbx, true, append(testutil.StaticBuildArgs(b), "./cmd/oci-sbx")...)
	h.strue = h.staticC("true", "int main(void) { return 0; }\n")
	h.sexec = h.staticC("exec", noLibC+execC, "-nostdlib")
	h.sload = h.staticC("loadexec", noLibC+loadExecC, "-nostdlib")
	cacheDir := filepath.Join(h.dir, "cache")
	if err := os.Mkdir(cacheDir, 0o700); err != nil {
		b.Fatal(err)
	}
	b.Setenv(cache.Env, cacheDir)
	if h.arch, err = filter.AuditArch(syscalls.NativeArch()); err != nil {
		b.Fatal(err)
	}

	read := func(path string) *specs.LinuxSeccomp {
		data, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			b.Fatal(err)
		}
		s, err := convert.Read(path, data, "", convert.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	demo := read("testdata/demo.yaml")
	hardened, _, err := rules.Harden(demo, nil)
	if err != nil {
		b.Fatal(err)
	}
	docker, err := convert.Builtin("docker-default", convert.Options{})
	if err != nil {
		b.Fatal(err)
	}
	docker3, err := convert.Builtin("docker-default", convert.Options{Arches: append([]string{syscalls.NativeArch()}, syscalls.SubArches(syscalls.NativeArch())...)})
	if err != nil {
		b.Fatal(err)
	}
	allow := read("testdata/probe/allowlist.yaml")

	denyOne := func(c call) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{c.name}, Action: specs.ActErrno}}}
	}
	checkOne := func(c call, arg specs.LinuxSeccompArg) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{c.name}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{arg}}}}
	}
	refs := map[string]*specs.LinuxSeccomp{
		"deny connect":      denyOne(connect),
		"deny umount2":      denyOne(umount2),
		"check personality": checkOne(persona, specs.LinuxSeccompArg{Index: 0, Value: 0xffffffff, Op: specs.OpNotEqual}),
		"check sendto arg4": checkOne(sendto, specs.LinuxSeccompArg{Index: 4, Value: 0, Op: specs.OpNotEqual}),
		"docker-default x3": docker3,
	}
	for name, s := range refs {
		h.refs[name] = h.profile(name, s, nil)
	}
	h.docker3 = h.refs["docker-default x3"]
	delete(h.refs, "docker-default x3")
	// Per profile, the calls timed, and for each path the one-rule filter
	// that decides the call the same way.
	for _, p := range []struct {
		name  string
		s     *specs.LinuxSeccomp
		calls []call
		refs  map[string]string
	}{
		{"demo", demo, []call{getppid, connect}, map[string]string{"allowed": "deny connect", "denied": "deny connect"}},
		{"demo hardened", hardened, []call{getppid, sendto, connect}, map[string]string{"allowed": "deny connect", "checked": "check sendto arg4", "denied": "deny connect"}},
		{"docker-default", docker, []call{getppid, persona, umount2}, map[string]string{"allowed": "deny umount2", "checked": "check personality", "denied": "deny umount2"}},
		{"allowlist", allow, []call{getppid, persona, umount2}, map[string]string{"allowed": "deny umount2", "checked": "check personality", "denied": "deny umount2"}},
	} {
		pr := h.profile(p.name, p.s, p.calls)
		for _, c := range p.calls {
			pr.oneRule[c.spec] = h.refs[p.refs[c.path]]
		}
		h.profiles = append(h.profiles, pr)
	}
	return h
}

// The floors of a launcher: programs that start without a C library (on
// this machine kind its initialisation costs more than a launcher's work)
// and do nothing but what any launcher must. x86_64 only.
const noLibC = `#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
static long sys(long n, long a, long b, long c) {
	register long r10 __asm__("r10") = 0, r8 __asm__("r8") = 0, r9 __asm__("r9") = 0;
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}
void run(int argc, char **argv, char **envp);
void cstart(long *sp) {
	run((int)sp[0], (char **)(sp + 1), (char **)(sp + 1) + sp[0] + 1);
	sys(SYS_exit_group, 127, 0, 0);
}
__asm__(".text\n.globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call cstart\n");
`

// execC is `exec CMD...`.
const execC = `void run(int argc, char **argv, char **envp) { sys(SYS_execve, (long)argv[1], (long)(argv + 1), (long)envp); }
`

// loadExecC is `loadexec PROGRAM CMD...`: load the raw program as runc
// does (no_new_privs, prctl) and exec CMD.
const loadExecC = `static char prog[65536];
void run(int argc, char **argv, char **envp) {
	long fd = sys(SYS_openat, AT_FDCWD, (long)argv[1], O_RDONLY | O_CLOEXEC);
	long n = sys(SYS_read, fd, (long)prog, sizeof prog);
	struct sock_fprog p = {(unsigned short)(n / 8), (struct sock_filter *)prog};
	sys(SYS_close, fd, 0, 0);
	if (n <= 0 || sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0) || sys(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (long)&p))
		return;
	sys(SYS_execve, (long)argv[2], (long)(argv + 2), (long)envp);
}
`

// staticC builds a static C program from src: start-up then is the
// kernel's and the sandbox's, not a runtime's.
func (h *harness) staticC(name, src string, flags ...string) string {
	file := filepath.Join(h.dir, name+".c")
	out := filepath.Join(h.dir, name)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		h.b.Fatal(err)
	}
	if output, err := exec.Command("cc", append(append([]string{"-static", "-O2", "-o", out}, flags...), file)...).CombinedOutput(); err != nil {
		h.b.Fatalf("building the static C %s: %v\n%s", name, err, output)
	}
	return out
}

func (h *harness) build(root, out string, cgo bool, args ...string) {
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if cgo {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	}
	if output, err := cmd.CombinedOutput(); err != nil {
		h.b.Fatalf("building %s: %v\n%s", filepath.Base(out), err, output)
	}
}

// profile exports the program runc loads for s. Every profile carries
// "flags": [], as the OCI files oci-sbx writes do.
func (h *harness) profile(name string, s *specs.LinuxSeccomp, calls []call) *profile {
	s.Flags = []specs.LinuxSeccompFlag{}
	raw, err := program.Export(context.Background(), s)
	if err != nil {
		h.b.Fatalf("%s: %v", name, err)
	}
	prog, err := filter.Decode(raw)
	if err != nil {
		h.b.Fatalf("%s: %v", name, err)
	}
	return &profile{name: name, s: s, calls: calls, prog: prog, raw: raw, oneRule: map[string]*profile{}}
}

// executed is the instructions the kernel runs for c under p: none when
// its action cache answers.
func (h *harness) executed(p *profile, c call) (int, bool) {
	d := c.data(h.arch)
	if cached, _ := kernelCached(p.raw, uint32(d.Nr), h.arch); cached {
		return 0, true
	}
	return p.prog.Run(d).Steps, false
}

func (h *harness) insns(p *profile, c call) string {
	if n, cached := h.executed(p, c); !cached {
		return fmt.Sprintf("%d / %d", n, p.prog.Len())
	}
	return fmt.Sprintf("cached / %d", p.prog.Len())
}

// rounds runs every variant once per round, rotating the order, and
// returns each variant's samples.
func rounds[T any](n int, variants []func() T) [][]T {
	out := make([][]T, len(variants))
	for r := range n {
		for i := range variants {
			v := (i + r) % len(variants)
			out[v] = append(out[v], variants[v]())
		}
	}
	return out
}

// ratio is the median over rounds of a[i]/b[i].
func ratio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return testutil.Median(r)
}

// runProbe runs the probe under s (nil: unfiltered) through Run, and
// returns nanoseconds per call by CALL.
func (h *harness) runProbe(s *specs.LinuxSeccomp, calls []call) map[string]float64 {
	args := []string{h.probe}
	for _, c := range calls {
		args = append(args, c.spec)
	}
	var out, errOut bytes.Buffer
	r, err := Run(context.Background(), Config{Seccomp: s, NoNewPrivileges: true, Args: args, Stdout: &out, Stderr: &errOut})
	if err != nil || r.Status() != 0 {
		h.b.Fatalf("probe: %v %v\n%s", err, r, errOut.String())
	}
	ns := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 {
			ns[f[0]], _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return ns
}

type row struct{ measure, profile, what, insns, ratio, against, median string }

func (h *harness) syscallRows() []row {
	type variant struct {
		s     *specs.LinuxSeccomp
		calls []call
	}
	variants := []variant{{nil, allCalls}}
	index := map[*profile]int{}
	for _, p := range h.profiles {
		index[p] = len(variants)
		variants = append(variants, variant{p.s, p.calls})
	}
	refCalls := map[*profile][]call{}
	for _, p := range h.profiles {
		for _, c := range p.calls {
			ref := p.oneRule[c.spec]
			if !slices.Contains(refCalls[ref], c) {
				refCalls[ref] = append(refCalls[ref], c)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(h.refs)) {
		ref := h.refs[name]
		index[ref] = len(variants)
		variants = append(variants, variant{ref.s, refCalls[ref]})
	}
	fns := make([]func() map[string]float64, len(variants))
	for i, v := range variants {
		fns[i] = func() map[string]float64 { return h.runProbe(v.s, v.calls) }
	}
	samples := rounds(*benchRounds, fns)
	series := func(v int, spec string) []float64 {
		var s []float64
		for _, m := range samples[v] {
			s = append(s, m[spec])
		}
		return s
	}

	var rows []row
	for _, p := range h.profiles {
		for _, c := range p.calls {
			mine := series(index[p], c.spec)
			ref := p.oneRule[c.spec]
			what := fmt.Sprintf("%s: %s", c.path, c.spec)
			rows = append(rows,
				row{"syscall", p.name, what, h.insns(p, c), fmt.Sprintf("%.3f×", ratio(mine, series(0, c.spec))), "unfiltered", fmt.Sprintf("%.0f ns", testutil.Median(mine))},
				row{"syscall", p.name, what, h.insns(p, c), fmt.Sprintf("%.3f×", ratio(mine, series(index[ref], c.spec))),
					fmt.Sprintf("one-rule filter (%s: %s)", ref.name, strings.TrimSuffix(h.insns(ref, c), fmt.Sprintf(" / %d", ref.prog.Len()))), ""})
			r := ratio(mine, series(index[ref], c.spec))
			switch {
			case p.name == "docker-default" && c.path == "allowed":
				h.target(r <= 1.02, "always-allowed %s under Docker's default: %.3f× the one-rule filter (target ≤ 1.02×)", c.name, r)
			case p.name == "docker-default":
				h.target(r <= 1.10, "%s %s under Docker's default: %.3f× the one-rule filter (target ≤ 1.10×)", c.path, c.name, r)
			}
		}
		// The kernel's action cache, over every syscall of the native
		// ABI: how many allowed ones skip the program, and why others
		// cannot.
		allowed, cached := 0, 0
		var not []string
		for _, nr := range filter.Numbers(syscalls.NativeArch()) {
			name := filter.SyscallName(syscalls.NativeArch(), nr)
			if name == "" || p.prog.Run(filter.Data{Nr: int32(nr), Arch: h.arch}).Ret != filter.RetAllow {
				continue
			}
			allowed++
			if ok, why := kernelCached(p.raw, nr, h.arch); ok {
				cached++
			} else {
				reason, _, _ := strings.Cut(why, " (")
				not = append(not, fmt.Sprintf("%s %s", name, reason))
			}
		}
		note := "every one"
		if len(not) > 0 {
			note = "not: " + strings.Join(not, ", ")
		}
		rows = append(rows, row{"kernel cache", p.name, "syscalls allowed with zero arguments that skip the program", fmt.Sprintf("%d of %d", cached, allowed), "", note, ""})
	}
	return rows
}

func (h *harness) target(ok bool, format string, args ...any) {
	verdict := "NOT MET"
	if ok {
		verdict = "met"
	}
	h.targets = append(h.targets, fmt.Sprintf("- %s: %s", verdict, fmt.Sprintf(format, args...)))
}

// benchLoadOnce runs the helper child once and returns its nanoseconds.
func (h *harness) benchLoadOnce(mode string, s *specs.LinuxSeccomp) float64 {
	data, err := encodeInitConfig(&initConfig{Profile: loader.Wire(s)})
	if err != nil {
		h.b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		h.b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchLoadEnv+"="+mode)
	cmd.Stdin = bytes.NewReader(data)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		h.b.Fatalf("load helper: %v\n%s", err, errOut.String())
	}
	ns, err := strconv.ParseFloat(string(out), 64)
	if err != nil {
		h.b.Fatalf("load helper printed %q", out)
	}
	return ns
}

func (h *harness) compileRows() []row {
	ref := h.refs["deny umount2"]
	all := append([]*profile{ref}, h.profiles...)
	all = append(all, h.docker3)
	var docker *profile
	for _, p := range h.profiles {
		if p.name == "docker-default" {
			docker = p
		}
	}
	var fns []func() float64
	for _, p := range all {
		fns = append(fns, func() float64 { return h.benchLoadOnce("runc", p.s) })
	}
	// Warm: from the cache the harness filled while exporting.
	for _, p := range []*profile{docker, h.docker3} {
		if _, err := cache.Get(context.Background(), p.s); err != nil {
			h.b.Fatal(err)
		}
		fns = append(fns, func() float64 { return h.benchLoadOnce("cache", p.s) })
	}
	samples := rounds(*benchRounds, fns)
	ms := func(i int) string { return fmt.Sprintf("%.2f ms", testutil.Median(samples[i])/1e6) }
	var rows []row
	for i, p := range all {
		against, r := "one-rule filter (deny umount2)", ratio(samples[i], samples[0])
		if p == h.docker3 {
			against, r = "docker-default, native only", ratio(samples[i], samples[slices.Index(all, docker)])
		}
		if p == ref {
			continue
		}
		rows = append(rows, row{"compile+load", p.name, "runc's loader: libseccomp, runc's stub, seccomp(2)", fmt.Sprintf("— / %d", p.prog.Len()), fmt.Sprintf("%.2f×", r), against, ms(i)})
	}
	rows = append(rows, row{"compile+load", "one-rule filter", "runc's loader", fmt.Sprintf("— / %d", ref.prog.Len()), "1×", "itself", ms(0)})
	for j, p := range []*profile{docker, h.docker3} {
		i := len(all) + j
		rows = append(rows, row{"compile+load", p.name, "warm: cache key, read, verify, decode, seccomp(2)", fmt.Sprintf("— / %d", p.prog.Len()),
			fmt.Sprintf("%.3f×", ratio(samples[i], samples[slices.Index(all, p)])), "runc's loader, same profile", ms(i)})
	}
	return rows
}

func (h *harness) startupRows() []row {
	var docker *profile
	for _, p := range h.profiles {
		if p.name == "docker-default" {
			docker = p
		}
	}
	profileFile := filepath.Join(h.dir, "docker-default.json")
	var buf bytes.Buffer
	if err := convert.Write(&buf, docker.s, convert.OCI, convert.Options{}); err != nil {
		h.b.Fatal(err)
	}
	if err := os.WriteFile(profileFile, buf.Bytes(), 0o644); err != nil {
		h.b.Fatal(err)
	}
	timeCmd := func(env []string, name string, args ...string) float64 {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			h.b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
		return float64(time.Since(start).Nanoseconds())
	}
	programFile := filepath.Join(h.dir, "docker-default.bpf")
	if err := os.WriteFile(programFile, docker.raw, 0o644); err != nil {
		h.b.Fatal(err)
	}
	execArgs := []string{"exec", "--profile", profileFile, "--", h.strue}
	timeCmd(nil, h.ocisbx, execArgs...) // fills the cache
	if !h.launchFiled() {
		h.b.Fatal("oci-sbx exec filed no launch entry: the warm start would not reach the launcher")
	}
	type variant struct {
		what string
		fn   func() float64
	}
	variants := []variant{
		{"plain fork+exec of a static true (os/exec)", func() float64 { return timeCmd(nil, h.strue) }},
		{"sandbox.Run, warm (the library alone)", func() float64 {
			start := time.Now()
			r, err := Run(context.Background(), Config{Seccomp: docker.s, NoNewPrivileges: true, Args: []string{h.strue}})
			if err != nil || r.Status() != 0 {
				h.b.Fatalf("Run: %v %v", err, r)
			}
			return float64(time.Since(start).Nanoseconds())
		}},
		{"oci-sbx version (the CLI starting, nothing else)", func() float64 { return timeCmd(nil, h.ocisbx, "version") }},
		{"a static Go program starting (the probe, no calls)", func() float64 { return timeCmd(nil, h.probe) }},
		{"a C program without a C library that execs the true (the floor of any launcher)", func() float64 { return timeCmd(nil, h.sexec, h.strue) }},
		{"a C program without a C library that reads the same program from a file, loads it, execs the true (the floor of a launcher)", func() float64 {
			return timeCmd(nil, h.sload, programFile, h.strue)
		}},
		{"oci-sbx exec, warm (the launcher, before the Go runtime)", func() float64 { return timeCmd(nil, h.ocisbx, execArgs...) }},
		{"oci-sbx exec, warm, through the Go code (--no-new-privs: not the launcher's command line)", func() float64 {
			return timeCmd(nil, h.ocisbx, append([]string{"exec", "--no-new-privs"}, execArgs[1:]...)...)
		}},
		{"oci-sbx exec, no cache (" + cache.Env + "=off: init child, runc's loader)", func() float64 {
			return timeCmd([]string{cache.Env + "=off"}, h.ocisbx, execArgs...)
		}},
	}
	// Where the CLI's time goes before Run: fresh processes reading the
	// profile file exec reads.
	readOnce := func() [2]float64 {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), benchLoadEnv+"=read")
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		out, err := cmd.Output()
		var v [2]float64
		if f := strings.Fields(string(out)); err == nil && len(f) == 2 {
			v[0], _ = strconv.ParseFloat(f[0], 64)
			v[1], _ = strconv.ParseFloat(f[1], 64)
		} else {
			h.b.Fatalf("read helper: %v %q", err, out)
		}
		return v
	}
	runc, runcErr := h.runcBundle(profileFile)
	if runcErr == nil {
		variants = append(variants, variant{"runc run of a bundle with the same true, same profile", runc})
	}
	fns := make([]func() float64, len(variants))
	for i, v := range variants {
		fns[i] = v.fn
	}
	samples := rounds(*benchRounds, fns)
	at := func(prefix string) int {
		return slices.IndexFunc(variants, func(v variant) bool { return strings.HasPrefix(v.what, prefix) })
	}
	plain, lib, warm := samples[0], samples[at("sandbox.Run")], samples[at("oci-sbx exec, warm")]
	reads := rounds(*benchRounds, []func() [2]float64{readOnce})[0]
	var tables, read []float64
	for _, r := range reads {
		tables, read = append(tables, r[0]), append(read, r[1])
	}
	var rows []row
	for i, v := range variants {
		if i == at("oci-sbx exec, warm, through the Go code") {
			rows = append(rows,
				row{"start-up", "docker-default", "of which, in a fresh process: the rules package's syscall tables, built on first use", "", "", "", fmt.Sprintf("%.1f ms", testutil.Median(tables)/1e6)},
				row{"start-up", "docker-default", "of which, in a fresh process: reading the profile (convert.Read)", "", "", "", fmt.Sprintf("%.1f ms", testutil.Median(read)/1e6)})
		}
		m := testutil.Median(samples[i])
		delta := ""
		if i > 0 {
			var d []float64
			for j := range samples[i] {
				d = append(d, samples[i][j]-plain[j])
			}
			delta = fmt.Sprintf(", %+.2f ms", testutil.Median(d)/1e6)
		}
		rows = append(rows, row{"start-up", "docker-default", v.what, "", fmt.Sprintf("%.2f×", ratio(samples[i], plain)), "plain fork+exec", fmt.Sprintf("%.1f ms%s", m/1e6, delta)})
	}
	var d []float64
	for j := range warm {
		d = append(d, warm[j]-plain[j])
	}
	var dl []float64
	for j := range lib {
		dl = append(dl, lib[j]-plain[j])
	}
	floor := samples[at("a C program without a C library that reads")]
	var df []float64
	for j := range floor {
		df = append(df, floor[j]-plain[j])
	}
	rows = append(rows, row{"start-up", "docker-default", "oci-sbx exec, warm (the launcher)", "", fmt.Sprintf("%.2f×", ratio(warm, floor)), "the floor of a launcher (read, load, exec)", ""})
	h.target(testutil.Median(d) <= 2e6, "warm oci-sbx exec with Docker's default (the launcher): %+.2f ms over a plain fork+exec (target ≤ 2 ms); the floor of a launcher that loads this program, here: %+.2f ms; the library's warm path (sandbox.Run): %+.2f ms",
		testutil.Median(d)/1e6, testutil.Median(df)/1e6, testutil.Median(dl)/1e6)
	if runcErr == nil {
		viaRunc := samples[at("runc run")]
		r, rl := ratio(viaRunc, warm), ratio(viaRunc, lib)
		rows = append(rows,
			row{"start-up", "docker-default", "runc run", "", fmt.Sprintf("%.1f×", r), "oci-sbx exec, warm (launcher)", ""},
			row{"start-up", "docker-default", "runc run", "", fmt.Sprintf("%.1f×", rl), "sandbox.Run, warm", ""})
		h.target(r >= 20, "runc run takes %.1f× as long as a warm oci-sbx exec (target ≥ 20×); %.1f× as long as the floor of a launcher; %.1f× as long as the library's warm path", r, ratio(viaRunc, floor), rl)
	} else {
		rows = append(rows, row{"start-up", "docker-default", "runc run", "", "—", runcErr.Error(), ""})
	}
	return rows
}

// launchFiled reports whether the cache holds a launch entry.
func (h *harness) launchFiled() bool {
	dir := os.Getenv(cache.Env)
	list, err := os.ReadDir(dir)
	if err != nil {
		h.b.Fatal(err)
	}
	for _, e := range list {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.HasPrefix(data, []byte(launchEntryMagic)) {
			return true
		}
	}
	return false
}

// runcBundle makes a bundle whose process is the static true, under the
// profile, and returns a function that runs it once with runc.
func (h *harness) runcBundle(profileFile string) (func() float64, error) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return nil, fmt.Errorf("runc not installed")
	}
	bundle := filepath.Join(h.dir, "bundle")
	rootfs := filepath.Join(bundle, "rootfs")
	for _, d := range []string{"dev", "proc", "sys", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return nil, err
		}
	}
	strue, err := os.ReadFile(h.strue)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(rootfs, "true"), strue, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(runc, "spec")
	cmd.Dir = bundle
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("runc spec: %v: %s", err, out)
	}
	var spec map[string]any
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		return nil, err
	}
	profile, err := os.ReadFile(profileFile)
	if err != nil {
		return nil, err
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"], proc["args"] = false, []string{"/true"}
	spec["root"] = map[string]any{"path": "rootfs", "readonly": true}
	spec["linux"].(map[string]any)["seccomp"] = json.RawMessage(profile) // keeps "flags": []
	if data, err = json.MarshalIndent(spec, "", "\t"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		return nil, err
	}
	state := filepath.Join(h.dir, "runc-state")
	seq := 0
	run := func() float64 {
		seq++
		id := fmt.Sprintf("oci-sbx-bench-%d-%d", os.Getpid(), seq)
		cmd := exec.Command(runc, "--root", state, "run", "-b", bundle, id)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		_ = exec.Command(runc, "--root", state, "delete", "-f", id).Run()
		if err != nil {
			h.b.Fatalf("runc run: %v\n%s", err, out.String())
		}
		return float64(d.Nanoseconds())
	}
	return run, nil
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| measure | profile | case | BPF executed / length | ratio | against | median |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.measure, r.profile, r.what, r.insns, r.ratio, r.against, r.median)
	}
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}
