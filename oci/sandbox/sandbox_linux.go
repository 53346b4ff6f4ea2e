//go:build linux && cgo && seccomp

package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/cache"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
)

// The hidden init mode (a reexec.Child): both the argv[0] and the variable
// must be present, and the variable names a socket.
// The profile itself travels over the socket, never through argv or the
// environment.
const (
	initArg0 = "oci-sbx-init"
	initEnv  = "_OCI_SBX_INIT_SOCKET"
	initFd   = 3 // the first of exec.Cmd.ExtraFiles
)

// initConfig is what the parent sends the init child, as one JSON line.
type initConfig struct {
	Probe   bool `json:"probe,omitempty"` // load, try ProbeNr, report, exit
	ProbeNr int  `json:"probeNr,omitempty"`
	loader.Profile
	NoNewPrivileges bool     `json:"noNewPrivileges,omitempty"`
	Path            string   `json:"path"`
	Args            []string `json:"args"`
	Env             []string `json:"env"`
}

// Lines the init child sends back; after a successful execve the socket
// reaches EOF, because the child's end is close-on-exec.
const (
	msgListener = "listener " // fd number of the notify listener in the child
	msgProbe    = "probe "    // errno of the probe call, 0 when allowed
	msgError    = "error "    // the child failed before execve
	msgExec     = "exec "     // execve failed: errno, then the path
)

// Run runs c.Args under c.Seccomp and waits for it. An error means the
// program could not be started under the profile; how the program ended is
// in the Result.
func Run(ctx context.Context, c Config) (*Result, error) {
	if len(c.Args) == 0 {
		return nil, errors.New("no command")
	}
	if err := loader.Check(c.Seccomp); err != nil {
		return nil, err
	}
	path, env, err := reexec.Resolve(c.Args, c.Env, c.Dir)
	if err != nil {
		return nil, err
	}
	// Warm start: the program runc compiled for this profile before, from
	// the cache, loaded by a vfork child instead of a second Go process
	// (warm_linux.go). The report needs runc's loader for its listener.
	if c.Report == nil {
		if p, ok := cache.Lookup(ctx, c.Seccomp); ok {
			if err := checkLoaderProgram(p, path); err != nil {
				return nil, err
			}
			fileLaunch(c, p)
			return runFast(ctx, c, path, env, p)
		}
	}
	if err := checkLoader(ctx, c, path); err != nil {
		return nil, err
	}

	ic := initConfig{Profile: loader.Wire(c.Seccomp), NoNewPrivileges: c.NoNewPrivileges, Path: path, Args: c.Args, Env: env}
	var errnos notify.Errnos
	if c.Report != nil && c.Seccomp != nil {
		r, err := notify.ForReport(c.Seccomp)
		if err != nil {
			return nil, err
		}
		ic.Profile, errnos = loader.Wire(r.Profile), r.Errnos
		for _, n := range r.Notes {
			fmt.Fprintf(c.Report, "note: %s\n", n)
		}
	}

	kmsg := openKmsg()
	defer kmsg.close()

	p, err := startInit(c, &ic, c.Stdin, c.Stdout, c.Stderr)
	if err != nil {
		return nil, err
	}
	defer p.sock.Close()

	stopCancel := context.AfterFunc(ctx, func() { _ = p.cmd.Process.Signal(unix.SIGTERM) })
	defer stopCancel()

	var (
		initErr error
		rep     *reporter
		repDone sync.WaitGroup
	)
	// Descendants that outlive the program keep the filter alive; the
	// report ends with the program.
	repCtx, repStop := context.WithCancel(context.Background())
	defer repStop()
	for line := range p.lines() {
		switch {
		case strings.HasPrefix(line, msgListener):
			if rep != nil || len(errnos) == 0 {
				initErr = errors.New("init sent an unexpected listener")
				_ = p.cmd.Process.Kill() // it waits for an answer
				break
			}
			rep, err = p.takeListener(strings.TrimPrefix(line, msgListener))
			if err != nil {
				initErr = err
				_ = p.cmd.Process.Kill()
				break
			}
			rep.w, rep.errnos = c.Report, errnos
			repDone.Go(func() { _ = notify.Serve(repCtx, rep.fd, rep.decide) })
		case strings.HasPrefix(line, msgError):
			initErr = errors.New(strings.TrimPrefix(line, msgError))
		case strings.HasPrefix(line, msgExec):
			initErr = execFailure(strings.TrimPrefix(line, msgExec))
		default:
			initErr = fmt.Errorf("init sent %q", line)
		}
	}
	waitErr := p.cmd.Wait()
	if rep != nil {
		// Descendants that outlive the program get ENOSYS for their
		// notify rules once the listener is closed.
		repStop()
		repDone.Wait()
		unix.Close(rep.fd)
	}
	if initErr != nil {
		return nil, initErr
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return nil, fmt.Errorf("waiting for %q: %w", path, waitErr)
	}
	return result(p.cmd.Process.Pid, ws, kmsg), nil
}

func errnoName(e uint) string {
	if n := unix.ErrnoName(syscall.Errno(e)); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(e), 10)
}

// execFailure reads the child's msgExec line: "ERRNO PATH".
func execFailure(arg string) error {
	num, path, _ := strings.Cut(arg, " ")
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return fmt.Errorf("init sent a bad exec failure %q", arg)
	}
	return &ExecError{Op: "executing", Path: path, Err: syscall.Errno(n)}
}

// interpreter returns the ELF interpreter (PT_INTERP) the kernel would
// load for path, following "#!" lines; interp is "" for a static program.
// script is the script that named the ELF program, if any.
func interpreter(path string) (interp, prog, script string, err error) {
	prog = path
	for range 4 { // the kernel follows at most 4 levels of "#!"
		f, err := os.Open(prog)
		if err != nil {
			return "", "", "", err
		}
		head := make([]byte, 256)
		n, _ := io.ReadFull(f, head)
		head = head[:n]
		if line, ok := bytes.CutPrefix(head, []byte("#!")); ok {
			f.Close()
			line, _, _ = bytes.Cut(line, []byte("\n"))
			fields := strings.Fields(string(line))
			if len(fields) == 0 {
				return "", "", "", nil
			}
			if script == "" {
				script = prog
			}
			prog = fields[0]
			continue
		}
		ef, err := elf.NewFile(f)
		if err != nil {
			f.Close()
			return "", prog, script, nil // not ELF: execve decides
		}
		for _, ph := range ef.Progs {
			if ph.Type == elf.PT_INTERP {
				b, err := io.ReadAll(ph.Open())
				f.Close()
				if err != nil {
					return "", "", "", err
				}
				return string(bytes.TrimRight(b, "\x00")), prog, script, nil
			}
		}
		f.Close()
		return "", prog, script, nil
	}
	return "", prog, script, nil
}

// dynLoader is a dynamically linked program's ELF interpreter and the
// call it opens libraries with.
type dynLoader struct {
	interp, prog, script string
	syscall              string
	nr                   libseccomp.ScmpSyscall
}

// loaderOf finds the loader of the program at path; ok is false for a
// static program, or when execve will report what is wrong with the file.
func loaderOf(path string) (l dynLoader, ok bool) {
	interp, prog, script, err := interpreter(path)
	if err != nil || interp == "" {
		return l, false
	}
	name := "openat"
	if strings.HasPrefix(filepath.Base(interp), "ld-musl") {
		if _, err := libseccomp.GetSyscallFromName("open"); err == nil {
			name = "open" // musl's loader uses open where it exists
		}
	}
	nr, err := libseccomp.GetSyscallFromName(name)
	if err != nil {
		return l, false
	}
	return dynLoader{interp: interp, prog: prog, script: script, syscall: name, nr: nr}, true
}

// checkLoader refuses a dynamically linked program whose loader could not
// open its libraries under the profile. Rather than modelling libseccomp
// and runc's ENOSYS stub, it asks the real filter: a probe child loads the
// profile exactly as the run would and makes the loader's call,
// openat(AT_FDCWD, …, O_RDONLY|O_CLOEXEC).
func checkLoader(ctx context.Context, c Config, path string) error {
	if c.Seccomp == nil {
		return nil
	}
	l, ok := loaderOf(path)
	if !ok || loader.Allows(c.Seccomp.DefaultAction) && !names(c.Seccomp, l.syscall) {
		return nil
	}
	interp, prog, script, name, nr := l.interp, l.prog, l.script, l.syscall, l.nr
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ic := initConfig{Probe: true, ProbeNr: int(nr), Profile: loader.Wire(c.Seccomp), NoNewPrivileges: c.NoNewPrivileges}
	p, err := startInit(c, &ic, nil, nil, nil)
	if err != nil {
		return err
	}
	defer p.sock.Close()
	stop := context.AfterFunc(ctx, func() { _ = p.cmd.Process.Kill() })
	defer stop()
	var outcome string
	var initErr error
	for line := range p.lines() {
		switch {
		case strings.HasPrefix(line, msgProbe):
			if e, _ := strconv.ParseUint(strings.TrimPrefix(line, msgProbe), 10, 32); e != 0 {
				outcome = fmt.Sprintf("denies (errno %s)", errnoName(uint(e)))
			}
			// The profile may deny what the probe needs to exit
			// (exit_group); its answer is all we wanted.
			_ = p.cmd.Process.Kill()
		case strings.HasPrefix(line, msgError):
			initErr = errors.New(strings.TrimPrefix(line, msgError))
		}
	}
	_ = p.cmd.Wait()
	if initErr != nil {
		return initErr
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && outcome == "" && ws.Signaled() && ws.Signal() == unix.SIGSYS {
		outcome = "kills (SIGSYS)"
	}
	if outcome == "" {
		return nil
	}
	return &LoaderError{Path: prog, Script: script, Interp: interp, Syscall: name, Outcome: outcome}
}

// names reports whether a rule of the profile names the syscall.
func names(s *specs.LinuxSeccomp, name string) bool {
	for _, r := range s.Syscalls {
		for _, n := range r.Names {
			if n == name {
				return true
			}
		}
	}
	return false
}

// initProc is a started init child.
type initProc struct {
	cmd  *exec.Cmd
	sock *os.File // the parent's end of the socket pair
}

func startInit(c Config, ic *initConfig, stdin io.Reader, stdout, stderr io.Writer) (*initProc, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("creating the init socket: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "init socket")
	child := os.NewFile(uintptr(fds[1]), "init socket")
	defer child.Close()
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{initArg0},
		Env:         []string{initEnv + "=" + strconv.Itoa(initFd)},
		Dir:         c.Dir,
		Stdin:       stdin,
		Stdout:      stdout,
		Stderr:      stderr,
		ExtraFiles:  []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{},
	}
	if u := c.Credential; u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: u.Groups}
	}
	if err := cmd.Start(); err != nil {
		parent.Close()
		return nil, fmt.Errorf("starting %q: %w", ic.Path, err)
	}
	data, err := encodeInitConfig(ic)
	if err == nil {
		_, err = parent.Write(data)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		parent.Close()
		return nil, fmt.Errorf("sending the profile to init: %w", err)
	}
	return &initProc{cmd: cmd, sock: parent}, nil
}

// encodeInitConfig and decodeInitConfig carry the config as one JSON line.
func encodeInitConfig(ic *initConfig) ([]byte, error) {
	data, err := json.Marshal(ic)
	return append(data, '\n'), err
}

func decodeInitConfig(data []byte) (*initConfig, error) {
	var ic initConfig
	if err := json.Unmarshal(data, &ic); err != nil {
		return nil, err
	}
	ic.Seccomp = ic.Spec()
	return &ic, nil
}

// lines yields the child's messages until its end of the socket closes:
// at execve, or when it exits.
func (p *initProc) lines() func(func(string) bool) {
	return func(yield func(string) bool) {
		r := bufio.NewReader(p.sock)
		for {
			line, err := r.ReadString('\n')
			if line = strings.TrimSuffix(line, "\n"); line != "" && !yield(line) {
				return
			}
			if err != nil {
				return
			}
		}
	}
}

// takeListener copies the child's notify listener with pidfd_getfd, as
// runc does (sendmsg could itself be a notify rule), and lets the child go
// on to execve.
func (p *initProc) takeListener(arg string) (*reporter, error) {
	n, err := strconv.Atoi(arg)
	if err != nil {
		return nil, fmt.Errorf("init sent a bad listener %q", arg)
	}
	fd, err := notify.CopyListener(p.cmd.Process.Pid, n)
	if err != nil {
		return nil, fmt.Errorf("taking the notify listener: %w", err)
	}
	if _, err := p.sock.Write([]byte{'\n'}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("taking the notify listener: %w", err)
	}
	return &reporter{fd: fd, initPid: p.cmd.Process.Pid, sock: int(p.sock.Fd())}, nil
}

// kmsg reads the kernel log from the point Run started, to find the audit
// record (type=1326) the kernel writes when seccomp kills a task.
type kmsg struct{ fd int }

func openKmsg() *kmsg {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil // not readable (dmesg_restrict, no privilege): no name
	}
	if _, err := unix.Seek(fd, 0, io.SeekEnd); err != nil {
		unix.Close(fd)
		return nil
	}
	return &kmsg{fd: fd}
}

func (k *kmsg) close() {
	if k != nil {
		unix.Close(k.fd)
	}
}

// seccompKill returns the syscall of the seccomp kill record for pid. The
// kernel's audit thread writes the record asynchronously, and on a busy
// machine it was seen to take more than a second, so it waits up to five
// (only after a seccomp kill, and only when the log is readable).
func (k *kmsg) seccompKill(pid int) string {
	if k == nil {
		return ""
	}
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(k.fd, buf)
		switch {
		case err == unix.EAGAIN:
			if time.Now().After(deadline) {
				return ""
			}
			time.Sleep(10 * time.Millisecond)
			continue
		case err == unix.EPIPE || err == unix.EINTR:
			continue // records overwritten before we read them
		case err != nil:
			return ""
		}
		if name, ok := parseKillRecord(string(buf[:n]), pid); ok {
			return name
		}
	}
}

// parseKillRecord reads an audit line such as
// "audit: type=1326 … pid=123 … sig=31 arch=c000003e syscall=257 …".
func parseKillRecord(rec string, pid int) (string, bool) {
	if !strings.Contains(rec, "type=1326 ") {
		return "", false
	}
	f := map[string]string{}
	for _, kv := range strings.Fields(rec) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	if f["pid"] != strconv.Itoa(pid) || f["sig"] != strconv.Itoa(int(unix.SIGSYS)) {
		return "", false
	}
	arch, err1 := strconv.ParseUint(f["arch"], 16, 32)
	nr, err2 := strconv.ParseInt(f["syscall"], 10, 64)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return auditSyscallName(uint32(arch), nr), true
}

// auditArches maps AUDIT_ARCH_* values to libseccomp architectures.
var auditArches = map[uint32]libseccomp.ScmpArch{
	0xc000003e: libseccomp.ArchAMD64,
	0x40000003: libseccomp.ArchX86,
	0xc00000b7: libseccomp.ArchARM64,
	0x40000028: libseccomp.ArchARM,
	0xc00000f3: libseccomp.ArchRISCV64,
	0x80000016: libseccomp.ArchS390X,
	0x80000015: libseccomp.ArchPPC64,
	0xc0000015: libseccomp.ArchPPC64LE,
}

func auditSyscallName(auditArch uint32, nr int64) string {
	arch, ok := auditArches[auditArch]
	if !ok {
		return fmt.Sprintf("#%d (audit arch %#x)", nr, auditArch)
	}
	if arch == libseccomp.ArchAMD64 && nr&0x40000000 != 0 {
		arch = libseccomp.ArchX32
	}
	name, err := libseccomp.ScmpSyscall(nr).GetNameByArch(arch)
	if err != nil {
		return fmt.Sprintf("#%d (%v)", nr, arch)
	}
	if native, _ := libseccomp.GetNativeArch(); arch != native {
		return fmt.Sprintf("%s (%v)", name, arch)
	}
	return name
}
