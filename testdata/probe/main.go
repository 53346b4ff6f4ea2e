// Command probe times system calls for oci-sbx's performance table
// (docs/performance.md, make bench): run under a profile, it makes each
// call it is given many times and prints what one call costs.
//
//	probe [-batch D] [-batches B] CALL...
//
// A CALL is a syscall name (or number) and up to six integer arguments,
// joined by colons: getppid, personality:0xffffffff, openat:-100:0:0.
// Each is made with a raw syscall instruction, so neither Go nor libc adds
// or hides anything. Output is one line per CALL, "CALL NS": the median
// over B batches of the nanoseconds one call takes. Batches of the calls
// alternate, so that a change in the machine's load touches them alike.
//
// With no CALL it exits at once: a static "true" for start-up timings.
// Build it static, so that a profile's view of the loader does not count:
//
//	CGO_ENABLED=0 go build -o bin/probe ./testdata/probe
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// syscalls are the calls the table times, and a few neighbours.
var syscalls = map[string]uintptr{
	"getpid":      unix.SYS_GETPID,
	"getppid":     unix.SYS_GETPPID,
	"gettid":      unix.SYS_GETTID,
	"personality": unix.SYS_PERSONALITY,
	"sendto":      unix.SYS_SENDTO,
	"connect":     unix.SYS_CONNECT,
	"openat":      unix.SYS_OPENAT,
	"umount2":     unix.SYS_UMOUNT2,
	"close":       unix.SYS_CLOSE,
}

type call struct {
	spec string
	nr   uintptr
	args [6]uintptr
}

func parse(spec string) (call, error) {
	c := call{spec: spec}
	parts := strings.Split(spec, ":")
	if len(parts) > 7 {
		return c, fmt.Errorf("%q: more than six arguments", spec)
	}
	nr, ok := syscalls[parts[0]]
	if !ok {
		n, err := strconv.ParseUint(parts[0], 0, 32)
		if err != nil {
			return c, fmt.Errorf("%q: unknown syscall %q (known: %s, or a number)", spec, parts[0], strings.Join(known(), ", "))
		}
		nr = uintptr(n)
	}
	c.nr = nr
	for i, p := range parts[1:] {
		v, err := strconv.ParseInt(p, 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(p, 0, 64)
			if uerr != nil {
				return c, fmt.Errorf("%q: argument %d: %v", spec, i, err)
			}
			v = int64(u)
		}
		c.args[i] = uintptr(v)
	}
	return c, nil
}

func known() []string {
	var names []string
	for n := range syscalls {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// batch makes the call n times and returns the nanoseconds per call.
// time.Now reads the vDSO clock, not a system call the filter would see.
func batch(c call, n int) float64 {
	start := time.Now()
	for range n {
		unix.RawSyscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5])
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func main() {
	d := flag.Duration("batch", 5*time.Millisecond, "how long one batch of calls takes, about")
	batches := flag.Int("batches", 9, "batches per call; the median is printed")
	flag.Parse()
	if flag.NArg() == 0 {
		return
	}
	if *d <= 0 || *batches < 1 {
		fmt.Fprintln(os.Stderr, "probe: -batch and -batches must be positive")
		os.Exit(2)
	}
	var calls []call
	for _, spec := range flag.Args() {
		c, err := parse(spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(2)
		}
		calls = append(calls, c)
	}
	runtime.LockOSThread()
	// A first batch warms caches and predictors and sizes the others: a
	// system call costs 50 ns on one machine and 5 µs on another.
	n := make([]int, len(calls))
	for i, c := range calls {
		per := batch(c, 200)
		n[i] = max(100, min(1_000_000, int(float64(d.Nanoseconds())/per)))
	}
	ns := make([][]float64, len(calls))
	for range *batches {
		for i, c := range calls {
			ns[i] = append(ns[i], batch(c, n[i]))
		}
	}
	for i, c := range calls {
		slices.Sort(ns[i])
		fmt.Printf("%s %.2f\n", c.spec, ns[i][len(ns[i])/2])
	}
}
