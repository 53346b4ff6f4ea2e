//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/oci"
)

// Helpers for tests that run containers with runc from a bundle: as root,
// with a unique container id, `"terminal": false` (there is no terminal
// here), and `runc delete -f` afterwards. The rlimits of `runc spec`
// (RLIMIT_NOFILE 1024) are within this machine's hard limits, unlike
// Podman's defaults.

// writeRootfs makes a container root filesystem in dir: the mount points
// runc needs, an /etc/passwd, and files (path → content, mode 0755).
func writeRootfs(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for _, d := range []string{"dev", "etc", "proc", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// callsRootfs builds the calls program (e2e/testdata/calls) into dir and
// makes a root filesystem in dir/rootfs holding it as /calls. It returns
// both paths.
func callsRootfs(t *testing.T, dir string) (calls, rootfs string) {
	t.Helper()
	calls = filepath.Join(dir, "calls")
	goBuild(t, calls, false, "./e2e/testdata/calls")
	data, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	rootfs = filepath.Join(dir, "rootfs")
	writeRootfs(t, rootfs, map[string][]byte{"calls": data})
	return calls, rootfs
}

// runcBundle creates a bundle in dir with `runc spec` (so it is the
// config runc itself proposes), then points it at rootfs and the process
// args, switches the terminal off and applies opts.
func runcBundle(t *testing.T, runc, dir, rootfs string, args []string, opts ...oci.SpecOpt) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runc, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	editBundle(t, dir, append([]oci.SpecOpt{
		func(e *oci.Editor) error { return e.Set(false, "process", "terminal") },
		func(e *oci.Editor) error { return e.Set(rootfs, "root", "path") },
		oci.WithArgs(args),
	}, opts...)...)
}

// editBundle applies opts to the bundle's config.json.
func editBundle(t *testing.T, dir string, opts ...oci.SpecOpt) {
	t.Helper()
	b, err := oci.OpenBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	e, err := b.ReadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteConfig(e, false); err != nil {
		t.Fatal(err)
	}
}

var containerSeq atomic.Int64

// hookPrecreate passes the bundle's config.json through `oci-sbx hook
// precreate` (the program bin, with args), as Podman would before it
// hands the bundle to runc, and writes back what the hook printed. It
// returns what the hook logged to standard error.
func hookPrecreate(t *testing.T, bin, bundle string, args ...string) string {
	t.Helper()
	path := filepath.Join(bundle, "config.json")
	config, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"hook", "precreate"}, args...)...)
	cmd.Stdin = bytes.NewReader(config)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hook precreate: %v\n%s", err, stderr.String())
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return stderr.String()
}

// runcCreate creates the container id from the bundle with `runc
// create`, and deletes it when the test ends. Its output comes through a
// pipe: the channel gets all the container wrote once it has exited.
func runcCreate(t *testing.T, runc, bundle, id string) <-chan []byte {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	create := exec.Command(runc, "create", "-b", bundle, id)
	create.Stdout, create.Stderr = w, w
	err = create.Run()
	w.Close()
	if err != nil {
		t.Fatalf("runc create: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command(runc, "delete", "-f", id).Run() })
	output := make(chan []byte, 1)
	go func() { data, _ := io.ReadAll(r); output <- data }()
	return output
}

// runcRun runs the bundle's container to its end with `runc run` and
// deletes it. It returns runc's exit status (the process's own, once it
// started), everything printed, and whether the timeout cut it short.
func runcRun(t *testing.T, runc, bundle string, timeout time.Duration) (code int, output string, timedOut bool) {
	t.Helper()
	id := fmt.Sprintf("oci-sbx-e2e-%d-%d", os.Getpid(), containerSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, runc, "run", "-b", bundle, id)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// run removes the container when it ends; this covers a run cut short.
	_ = exec.Command(runc, "delete", "-f", id).Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return -1, out.String(), true
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("runc run: %v", err)
	}
	return code, out.String(), false
}

// startedMarker is what tinyProgram prints.
const startedMarker = "tiny: started\n"

// tinyProgram returns a static x86_64 ELF program that writes
// startedMarker to standard output and exits: two syscalls, so that what
// a measurement sees is the runtime's doing, not the program's. It is
// written out here because a C or Go program makes dozens of calls of its
// own before main.
func tinyProgram(t *testing.T) []byte {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("the measurement's tiny program is x86_64 code; this is %s", runtime.GOARCH)
	}
	const base, headers = 0x400000, 64 + 56
	code := []byte{
		0xb8, 1, 0, 0, 0, // mov eax, 1 (write)
		0xbf, 1, 0, 0, 0, // mov edi, 1
		0x48, 0x8d, 0x35, 0, 0, 0, 0, // lea rsi, [rip+message]
		0xba, 0, 0, 0, 0, // mov edx, len(message)
		0x0f, 0x05, // syscall
		0xb8, 231, 0, 0, 0, // mov eax, 231 (exit_group)
		0x31, 0xff, // xor edi, edi
		0x0f, 0x05, // syscall
		0x0f, 0x0b, // ud2, should exit_group fail
	}
	binary.LittleEndian.PutUint32(code[13:], uint32(len(code)-17)) // rip is after the lea
	binary.LittleEndian.PutUint32(code[18:], uint32(len(startedMarker)))
	size := uint64(headers + len(code) + len(startedMarker))
	var b bytes.Buffer
	for _, v := range []any{
		// ELF header: 64-bit, little endian, executable, x86-64.
		[8]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, [8]byte{},
		uint16(2), uint16(62), uint32(1),
		uint64(base + headers), uint64(64), uint64(0), // entry, program and section headers
		uint32(0), uint16(64), uint16(56), uint16(1), uint16(0), uint16(0), uint16(0),
		// One PT_LOAD segment, readable and executable, holding it all.
		uint32(1), uint32(5), uint64(0), uint64(base), uint64(base), size, size, uint64(0x1000),
	} {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	b.Write(code)
	b.WriteString(startedMarker)
	return b.Bytes()
}
