// Package replay is the proof of a recording: it runs the recorded program
// again under its recorded profile, the way oci-sbx exec runs a program
// (runc's loader, package sandbox), and fails when the profile stopped a
// call.
package replay

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// Run runs c's program under s made strict (Strict) and fails, with an
// error wrapping record.ErrReplay, when the profile denied a call: a
// reported denial or a kill by seccomp.
func Run(ctx context.Context, c record.Config, s *specs.LinuxSeccomp) (record.ReplayResult, error) {
	strict, reported := Strict(s)
	var report bytes.Buffer // sandbox.Run returns after its last write
	sc := sandbox.Config{
		Seccomp: strict, NoNewPrivileges: c.NoNewPrivileges || !reexec.HasCapSysAdmin(),
		Args: c.Args, Env: c.Env, Dir: c.Dir,
		Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
	}
	if reported {
		sc.Report = &report
	}
	r, err := sandbox.Run(ctx, sc)
	if err != nil {
		return record.ReplayResult{}, fmt.Errorf("%w: %w", record.ErrReplay, err)
	}
	rr := record.ReplayResult{Status: r.Status(), String: r.String(), SeccompKill: r.SeccompKill}
	var denied []string
	for line := range strings.Lines(report.String()) {
		if d, ok := strings.CutPrefix(strings.TrimSpace(line), "denied "); ok {
			denied = append(denied, d)
		}
	}
	switch {
	case len(denied) > 0:
		rr.SeccompKill = true
		return rr, fmt.Errorf("%w: it denied %s (the profile does not allow that call)", record.ErrReplay, strings.Join(denied, "; "))
	case r.SeccompKill:
		return rr, fmt.Errorf("%w: %s (the profile does not allow that call)", record.ErrReplay, r)
	}
	return rr, nil
}

// Strict is the profile a replay runs under: what s allows, and every
// other call stopped so that the program cannot swallow it, as an errno
// would be. The default becomes kill-process. Every syscall s names in
// no rule gets an errno rule, which the run's report turns into a
// notification that the replay answers with EPERM and names (reported is
// true then): a program that stacks a seccomp filter of its own keeps the
// errno that filter returns for a call, since the kernel ranks an errno
// above a notification but below a kill — the recorder never saw such a
// call, and killing the program for it would fail a profile that works.
// read and write stay with the default: the listener is handed over with
// them; a profile that does not allow both is replayed with the kill
// default alone.
func Strict(s *specs.LinuxSeccomp) (strict *specs.LinuxSeccomp, reported bool) {
	out := *s
	out.DefaultAction, out.DefaultErrnoRet = specs.ActKillProcess, nil
	named := map[string]bool{}
	uncond := map[string]bool{}
	for _, r := range s.Syscalls {
		for _, n := range r.Names {
			named[n] = true
			if len(r.Args) == 0 && r.Action == specs.ActAllow {
				uncond[n] = true
			}
		}
	}
	if !uncond["read"] || !uncond["write"] || s.ListenerPath != "" {
		return &out, false
	}
	arches := append([]string{syscalls.NativeArch()}, syscalls.ArchesFromSpec(s.Architectures)...)
	var rest []string
	for _, name := range syscalls.AllSyscalls() {
		if named[name] {
			continue
		}
		if slices.ContainsFunc(arches, func(a string) bool { return syscalls.HasSyscall(a, name) }) {
			rest = append(rest, name)
		}
	}
	if len(rest) == 0 {
		return &out, false
	}
	eperm := uint(unix.EPERM)
	out.Syscalls = append(slices.Clone(s.Syscalls), specs.LinuxSyscall{Names: rest, Action: specs.ActErrno, ErrnoRet: &eperm})
	return &out, true
}
