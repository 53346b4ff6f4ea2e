package record

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

var recordRounds = flag.Int("record-rounds", 15, "rounds of BenchmarkRecordFind")

// BenchmarkRecordFind measures what recording costs on a syscall-heavy
// program, busybox find /usr/share (Debian's busybox-static, about 74,000
// syscalls), as ratios to the plain run taken side by side: each round
// runs every variant once, in an order that rotates, and the figure is
// the median of the rounds' ratios.
//
//	go test -run '^$' -bench RecordFind -benchtime 1x ./oci/record/
//
// Variants: plain (os/exec), notify (every call sent to the recorder),
// notify with the previous recording as the base (only new calls sent),
// and, as root, the eBPF recorder with and without the base. Each
// recording's time includes its set-up (the init child and handshake for
// notify; building, verifying and attaching the programs and the cgroup
// for eBPF), reported on its own below.
func BenchmarkRecordFind(b *testing.B) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		testutil.Missing(b, "busybox is not installed (apt-get install busybox-static)")
	}
	args := []string{bb, "find", "/usr/share"}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	ctx := context.Background()

	// The base: one recording of the same command.
	first, err := Run(ctx, Config{Args: args, Stdout: null})
	if err != nil {
		b.Fatal(err)
	}
	p, _, err := Profile(first.Recording, nil)
	if err != nil {
		b.Fatal(err)
	}
	base, err := NewBase(readProfile(b, p.String()))
	if err != nil {
		b.Fatal(err)
	}

	type variant struct {
		name string
		run  func() (Result, error)
	}
	record := func(c Config) func() (Result, error) {
		return func() (Result, error) {
			c.Args, c.Stdout = args, null
			res, err := Run(ctx, c)
			if err != nil {
				return Result{}, err
			}
			if res.Status() != 0 {
				return Result{}, fmt.Errorf("%s", status(res))
			}
			return *res, nil
		}
	}
	variants := []variant{
		{"plain", func() (Result, error) {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stdout = null
			start := time.Now()
			err := cmd.Run()
			res := Result{Elapsed: time.Since(start)}
			if cmd.ProcessState != nil {
				res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			return res, err
		}},
		{"notify", record(Config{})},
		{"notify --base", record(Config{Base: base})},
	}
	if os.Geteuid() == 0 {
		variants = append(variants,
			variant{"ebpf", record(Config{Mode: ModeEBPF})},
			variant{"ebpf --base", record(Config{Mode: ModeEBPF, Base: base})},
		)
	}
	// results[i] are variant i's rounds; rests what came after the
	// program's run (collecting, detaching).
	results := make([][]Result, len(variants))
	rests := make([][]time.Duration, len(variants))
	for round := range *recordRounds {
		for k := range variants {
			i := (k + round) % len(variants)
			start := time.Now()
			res, err := variants[i].run()
			if err != nil {
				b.Fatalf("%s: %v", variants[i].name, err)
			}
			results[i] = append(results[i], res)
			rests[i] = append(rests[i], time.Since(start)-res.Setup-res.Elapsed)
		}
	}
	for b.Loop() { // the measurement above is the benchmark
	}
	fmt.Printf("\nRecording %v: %d rounds, medians of per-round ratios to the plain run; %d notifications without a base.\n", args, *recordRounds, first.Notifications)
	fmt.Println("Wall time is the target; the program's CPU time (user+system, not the recorder's) moves less when the machine is busy.")
	fmt.Println()
	fmt.Println("| variant | the program's run (median) | ratio to plain | CPU ratio | set-up before it | after it |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, v := range variants {
		var walls, cpus []float64
		var elapsed, setups []time.Duration
		for r, res := range results[i] {
			plain := results[0][r]
			walls = append(walls, float64(res.Elapsed)/float64(plain.Elapsed))
			cpus = append(cpus, float64(res.CPU)/float64(plain.CPU))
			elapsed, setups = append(elapsed, res.Elapsed), append(setups, res.Setup)
		}
		fmt.Printf("| %s | %.1f ms | %.2f× | %.2f× | %.1f ms | %.1f ms |\n", v.name, testutil.Ms(testutil.Median(elapsed)), testutil.Median(walls), testutil.Median(cpus), testutil.Ms(testutil.Median(setups)), testutil.Ms(testutil.Median(rests[i])))
		metric := strings.NewReplacer(" ", "", "-", "").Replace(v.name)
		b.ReportMetric(testutil.Median(walls), metric+"-x")
		b.ReportMetric(testutil.Median(cpus), metric+"-cpu-x")
	}
}
