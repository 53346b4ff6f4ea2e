// Package tracepoints reads the kernel's syscall tracepoints: the
// arguments each syscall of the running kernel takes, as its
// SYSCALL_DEFINE declares them (events/syscalls/sys_enter_NAME/format in
// tracefs).
package tracepoints

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Args is what a syscall's tracepoint says of its arguments.
type Args struct {
	// N is how many arguments the syscall takes: each one register of a
	// 64-bit ABI. A condition on argument N or above compares a register
	// the kernel never reads, which the caller sets as it likes.
	N int
	// Wide counts the arguments 64 bits wide on every ABI (loff_t, u64):
	// a 32-bit ABI passes each in two registers, and some (arm, mips o32)
	// align the pair with one more, so there a syscall takes up to
	// N + 2*Wide.
	Wide int
}

// wideTypes are argument types 64 bits wide on 32-bit ABIs too.
var wideTypes = map[string]bool{
	"loff_t": true, "u64": true, "__u64": true, "s64": true, "__s64": true,
	"long long": true, "unsigned long long": true,
}

// Read reads every sys_enter tracepoint under dir, a mounted tracefs.
func Read(dir string) (map[string]Args, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "events", "syscalls", "sys_enter_*", "format"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("reading syscall tracepoints: none under %s (a kernel without CONFIG_FTRACE_SYSCALLS?)", dir)
	}
	out := map[string]Args{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading syscall tracepoints: %w", err)
		}
		name := strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "sys_enter_")
		a, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("reading syscall tracepoint %q: %w", p, err)
		}
		out[name] = a
	}
	return out, nil
}

// parse reads one format file: after the common fields and __syscall_nr,
// one "field:TYPE NAME;" line per argument.
func parse(data []byte) (Args, error) {
	var a Args
	seenNr := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		decl, ok := strings.CutPrefix(line, "field:")
		if !ok {
			continue
		}
		decl, _, _ = strings.Cut(decl, ";")
		if strings.HasSuffix(decl, " __syscall_nr") {
			seenNr = true
			continue
		}
		if !seenNr {
			continue
		}
		i := strings.LastIndexAny(decl, " *")
		if i < 0 {
			return Args{}, fmt.Errorf("field %q has no type", decl)
		}
		typ := strings.TrimSpace(strings.TrimPrefix(decl[:i+1], "const "))
		a.N++
		if wideTypes[typ] {
			a.Wide++
		}
	}
	if !seenNr {
		return Args{}, fmt.Errorf("no __syscall_nr field")
	}
	return a, sc.Err()
}

// Kernel reads the running kernel's syscall tracepoints (Read) from a
// tracefs it mounts in a mount namespace of its own, so that the host's
// mounts stay as they are. It needs CAP_SYS_ADMIN.
func Kernel() (map[string]Args, error) {
	var table map[string]Args
	err := mounted(func(dir string) error {
		var err error
		table, err = Read(dir)
		return err
	})
	return table, err
}

// mounted mounts a tracefs in a mount namespace of its own and calls read
// with its directory.
func mounted(read func(dir string) error) error {
	errc := make(chan error, 1)
	go func() {
		// The namespace belongs to this thread alone; it ends with the
		// goroutine, since the thread is never unlocked.
		runtime.LockOSThread()
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("mounting tracefs: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("mounting tracefs: %w", err)
			}
			dir, err := os.MkdirTemp("", "tracefs-")
			if err != nil {
				return fmt.Errorf("mounting tracefs: %w", err)
			}
			defer os.Remove(dir)
			if err := unix.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
				return fmt.Errorf("mounting tracefs: %w", err)
			}
			defer unix.Unmount(dir, unix.MNT_DETACH)
			return read(dir)
		}()
	}()
	return <-errc
}
