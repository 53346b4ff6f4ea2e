package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

var one = 1

func execCommand() *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a program under a profile, the way runc applies it",
		ArgsUsage: "[--] CMD [ARGS...]",
		// Flags after CMD are CMD's own.
		StopOnNthArg: &one,
		Description: `Runs CMD under a seccomp profile loaded by runc's own code (libcontainer/seccomp,
with its ENOSYS stub for syscalls newer than the profile): no_new_privs, descriptors
above 2 closed, the filter loaded on one thread and CMD exec'd from it. The exit
status of CMD passes through; a death by signal N exits 128+N, and a seccomp kill
is reported with the syscall that caused it when the kernel log is readable. As
with env and sh, exec exits 127 when CMD is not found and 126 when it cannot run;
as with env, podman run and docker run, 125 when oci-sbx itself fails.

--profile takes any format convert reads. --bundle runs the process of a runc
bundle (args, env, cwd, noNewPrivileges) under its linux.seccomp, on the host:
the bundle's root, user, capabilities and namespaces are not applied. A bundle
that oci-sbx patch gave a late stage runs both stages, as runc would: its
static oci-sbx from the bundle loads the late profile after linux.seccomp, and
with patch --report-to reports to the agent's socket the bundle binds into the
container.

--report prints each syscall the profile denies with an errno, as it happens,
while the program still gets the errno. The filter notifies oci-sbx instead,
which always answers with the errno, never lets the call through. As in runc,
write and the default action cannot notify: those denials are not reported.

As root, the program runc's loader produced is cached in /var/cache/oci-sbx
(OCI_SBX_CACHE=DIR or off) and loaded again without compiling. Once cached,
exec --profile FILE [--] CMD with no other flag starts in a launcher that runs
before oci-sbx's Go runtime and replaces itself with CMD, about one execve
slower than CMD alone; CMD's death by a signal is then its own, not exit status
128+N. Profiles with a kill or trap action, or that keep a dynamic loader from
opening libraries, always run the way described above.

A dynamically linked CMD cannot start when the profile denies its loader's
openat; exec says so instead of running it.

Examples:
   oci-sbx exec --report --profile testdata/demo.yaml -- bin/suspicious-app
   oci-sbx exec --bundle mybundle
   oci-sbx exec --profile /usr/share/containers/seccomp.json -- ls /`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Aliases: []string{"p"}, Usage: "seccomp profile `FILE` in any format convert reads (- for standard input)"},
			fromFlag(convert.InputFormats),
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "run the process of the runc bundle `DIR` under its linux.seccomp"},
			&cli.BoolFlag{Name: "report", Usage: "print every syscall the profile denies with an errno to standard error"},
			&cli.BoolFlag{Name: "no-new-privs", Value: true, Usage: "set no_new_privs; false needs CAP_SYS_ADMIN (with --bundle, the bundle's process.noNewPrivileges unless given)"},
		},
		Action: runExec,
	}
}

func runExec(ctx context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	profile, bundle := c.String("profile"), c.String("bundle")
	switch {
	case bundle != "" && len(args) > 0:
		return usageErrorf(c, "exec runs either CMD or --bundle's process, not both")
	case bundle == "" && len(args) == 0:
		return usageErrorf(c, "exec needs a command to run")
	case bundle == "" && profile == "":
		return usageErrorf(c, "exec needs --profile FILE or --bundle DIR")
	}
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	if !sandbox.Supported {
		return sandbox.ErrUnsupported
	}
	opt := warnOptions(c)

	cfg := sandbox.Config{
		NoNewPrivileges: c.Bool("no-new-privs"),
		Args:            args,
		Stdin:           c.Root().Reader,
		Stdout:          c.Root().Writer,
		Stderr:          c.Root().ErrWriter,
	}
	if bundle != "" {
		if err := cfg.FromBundle(bundle, profile == "", opt); err != nil {
			return err
		}
		if c.IsSet("no-new-privs") {
			cfg.NoNewPrivileges = c.Bool("no-new-privs")
		}
	}
	if profile != "" {
		if launchForm(c) {
			s, l, err := loadLaunch(c, profile)
			if err != nil {
				return err
			}
			cfg.Seccomp, cfg.Launch = s, l
		} else {
			s, err := loadProfile(c.Root().Reader, profile, from, opt)
			if err != nil {
				return err
			}
			cfg.Seccomp = s
		}
	}
	if c.Bool("report") {
		cfg.Report = &prefixWriter{w: c.Root().ErrWriter, prefix: "oci-sbx: "}
	}

	res, err := sandbox.Run(ctx, cfg)
	// As env and sh: 127 when CMD is not there, 126 when it is and
	// cannot run (here, too, when its dynamic loader cannot under the
	// profile).
	var ee *sandbox.ExecError
	var le *sandbox.LoaderError
	switch {
	case errors.As(err, &ee) && ee.NotFound():
		return &StatusError{Err: err, Code: 127}
	case errors.As(err, &ee), errors.As(err, &le):
		return &StatusError{Err: err, Code: 126}
	case err != nil:
		return err
	}
	if res.SeccompKill {
		fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: %s: %v\n", cfg.Args[0], res)
	}
	if code := res.Status(); code != 0 {
		return &ExitStatus{Code: code}
	}
	return nil
}

// launchForm reports whether the command line is the one the launcher
// recognises before the Go runtime starts: exec --profile FILE [--] CMD,
// nothing else (see sandbox.Launch).
func launchForm(c *cli.Command) bool {
	profile := c.String("profile")
	if quiet(c) {
		return false // the launcher repeats the warnings
	}
	for _, f := range []string{"from", "bundle", "report", "no-new-privs"} {
		if c.IsSet(f) {
			return false
		}
	}
	return profile != "" && !strings.HasPrefix(profile, "-") && c.Args().Len() > 0
}

// loadLaunch reads the profile as loadProfile does, and keeps what the
// launcher needs to start the same command line next time: the bytes and
// the warnings. A profile that extends another file is not kept.
func loadLaunch(c *cli.Command, path string) (*specs.LinuxSeccomp, *sandbox.Launch, error) {
	data, err := readInput(nil, path)
	if err != nil {
		return nil, nil, err
	}
	var notes bytes.Buffer
	opt := warnTo(io.MultiWriter(c.Root().ErrWriter, &notes), false)
	self := true
	opt.OnFile = func(string) { self = false }
	s, err := convert.Read(path, data, "", opt)
	if err != nil || !self {
		return s, nil, err
	}
	return s, &sandbox.Launch{Profile: path, Data: data, Notes: notes.Bytes()}, nil
}

// prefixWriter starts every line with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool // inside a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if !p.mid {
			out.WriteString(p.prefix)
		}
		out.Write(line)
		p.mid = line[len(line)-1] != '\n'
	}
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
