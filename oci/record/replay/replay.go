// Package replay is the proof of a recording: it runs the recorded program
// again under its recorded profile, the way oci-sbx exec runs a program
// (runc's loader, package sandbox), and fails when the profile stopped a
// call.
package replay

import (
	"context"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/reexec"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// Run runs c's program under s with the default action made
// kill-process: an errno can be swallowed by the program, a kill cannot,
// and the kernel's audit record names the syscall (when readable: as
// root). A kill is an error wrapping record.ErrReplay.
func Run(ctx context.Context, c record.Config, s *specs.LinuxSeccomp) (record.ReplayResult, error) {
	strict := *s
	strict.DefaultAction, strict.DefaultErrnoRet = specs.ActKillProcess, nil
	sc := sandbox.Config{
		Seccomp: &strict, NoNewPrivileges: c.NoNewPrivileges || !reexec.HasCapSysAdmin(),
		Args: c.Args, Env: c.Env, Dir: c.Dir,
		Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
	}
	r, err := sandbox.Run(ctx, sc)
	if err != nil {
		return record.ReplayResult{}, fmt.Errorf("%w: %w", record.ErrReplay, err)
	}
	rr := record.ReplayResult{Status: r.Status(), String: r.String(), SeccompKill: r.SeccompKill}
	if r.SeccompKill {
		return rr, fmt.Errorf("%w: %s (the profile does not allow that call)", record.ErrReplay, r)
	}
	return rr, nil
}
