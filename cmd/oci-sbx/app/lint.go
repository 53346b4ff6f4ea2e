package app

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/lint"
)

func lintCommand() *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "find bypasses and runtime pitfalls in a seccomp profile",
		ArgsUsage: "FILE",
		Description: `Reads a profile in any format convert reads (FILE, or - for standard input) and
prints what it lets through that it means to stop, where runc reads it otherwise
than it reads, and what seccomp cannot enforce, one finding per line:

   FILE:LINE:COL: SEVERITY [ID] REASON Fix: FIX

Severities: error (a bypass, or a profile that does not load), warning (works,
but not as it reads, or breaks programs), info. Ids are stable; --format json
writes the same findings for programs.

Exit status: 0 when no finding is an error, 1 when one is, 2 when the profile
cannot be read (as for diff).

Checks: deny intents and the classes they leave open (files: open, creat,
openat2, open_by_handle_at; network: sendto, sendmsg, TCP Fast Open, socketcall;
io_uring; ptrace and process_vm_readv), per architecture; trace and kill-thread
used as denials; runc's pitfalls (a missing "flags" key, SCMP_ACT_KILL, errnoRet
on other actions, rules equal to the default, ORed conditions, notify on write or
as the default); EPERM defaults and clone3; 32-bit arguments compared as 64;
denials that runc or a dynamic loader cannot start with; dangerous syscalls an
allowlist lets through; what seccomp cannot enforce (paths, /proc listing); and,
where oci-sbx is built with libseccomp, whether runc's loader builds the profile
into a program that does what it says (loader-differs).

oci-sbx convert --harden writes the profile with every bypass seccomp can close
closed.

Examples:
   oci-sbx lint testdata/demo.yaml
   oci-sbx convert --harden testdata/demo.yaml | oci-sbx lint -
   oci-sbx lint --format json /usr/share/containers/seccomp.json`,
		Flags: append([]cli.Flag{
			fromFlag(convert.InputFormats),
			archFlag("lint the profile built for these `ARCH`es, e.g. x86_64,x86,x32 (default: as it says, else native)"),
			formatFlag(),
		}, capFlags()...),
		Action: runLint,
	}
}

func runLint(_ context.Context, c *cli.Command) error {
	if c.NArg() != 1 {
		return usageErrorf(c, "lint takes one FILE (or - for standard input), got %d", c.NArg())
	}
	format, err := outputFormat(c)
	if err != nil {
		return err
	}
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	// Trouble exits 2, as diff's does: 1 means "has errors", which a
	// profile that cannot be read must not be taken for.
	trouble := func(err error) error { return &StatusError{Err: err, Code: 2} }
	path := c.Args().First()
	data, err := readInput(c.Root().Reader, path)
	if err != nil {
		return trouble(err)
	}
	name := inputName(path)
	arches, err := archList(c)
	if err != nil {
		return err
	}
	r, err := lint.Source(name, data, from, withCaps(c, convert.Options{Arches: arches, Check: warnOptions(c).Check}))
	if err != nil {
		return trouble(err)
	}
	if format == "json" {
		err = r.WriteJSON(c.Root().Writer)
	} else {
		err = r.WriteText(c.Root().Writer)
	}
	if err != nil {
		return trouble(err)
	}
	if r.HasErrors() {
		return &ExitStatus{Code: 1}
	}
	return nil
}
