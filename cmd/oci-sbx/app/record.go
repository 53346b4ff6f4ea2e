package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/plural"
	"github.com/oci-sbx/oci-sbx/oci/program"
	"github.com/oci-sbx/oci-sbx/oci/record"
)

// CheckFailed is the exit status of record --check when the program made
// a call the profile does not allow.
const CheckFailed = record.CheckFailed

func recordCommand() *cli.Command {
	return &cli.Command{
		Name:      "record",
		Usage:     "run a program and write the least-privilege profile of what it did",
		ArgsUsage: "[--] CMD [ARGS...] | --listen SOCKET",
		// Flags after CMD are CMD's own.
		StopOnNthArg: &one,
		Description: `Runs CMD and every process it starts under a recording filter, and writes a
profile that denies by default and allows exactly the calls they made: per
architecture the kernel reported, with the arguments that say what a call does
(socket's family and type, the namespaces clone and unshare create, personality,
prctl's option, ioctl's request, setns's type, socketcall's call) as masked
compares. Each rule says how often, and by which executables, it was seen; the
profile starts with where it came from. The exit status is CMD's; 125 when
oci-sbx itself fails.

Recording is not a sandbox. Each call the base does not allow is sent to
oci-sbx as a seccomp user notification and answered "continue": the call then
runs with whatever its pointer arguments hold by then, which the program can
change after oci-sbx looked (man seccomp_unotify). If oci-sbx dies, the
program's notified calls fail with ENOSYS instead of waiting.

--base PROFILE (any format convert reads, normally an earlier recording) lets
what PROFILE allows run at full speed, unrecorded: the result is PROFILE plus
what the run needed beyond it.

--check PROFILE records nothing: it runs CMD with PROFILE as the base, lets
every call run, and names each call PROFILE would not allow (syscall, the
recorded arguments, executable). CMD's own exit status passes through, except
that any such call makes the status 99, and a CMD that exits 99 by itself
exits 1 (with a note), so 99 always means "PROFILE is not enough".

--verify runs CMD a second time with the recorded profile enforced, so that
no missing call can pass unnoticed: every call the profile does not allow
(another syscall, the same one with other arguments, another architecture)
fails with the profile's errno without running and is named as it happens
(syscall with all its arguments, pid, executable; the first of each kind); nothing is killed, and a
seccomp filter CMD loads itself keeps its own answers. Any such call makes the
exit status 99, and a CMD that exits 99 by itself exits 1. Coverage is only
what the runs exercised: record several runs and join them with merge.

--mode picks how calls are observed. notify (above) works without privileges,
on every architecture the kernel runs, from the first instruction; a notified
call costs a round trip through oci-sbx (5-25 µs). Without CAP_SYS_ADMIN it
sets no_new_privs, so a set-user-ID, set-group-ID or file-capability program
runs without those privileges; the output names each one. ebpf (root, x86_64, a
kernel with BTF and a cgroup2 hierarchy) counts calls in the kernel, from a
program on the sys_enter tracepoint, for the processes in a cgroup CMD starts
in: about as fast as the plain run, but it sees only calls no seccomp filter
already denied, and a process that leaves the cgroup leaves the recording.
auto (the default) takes ebpf where it loads, except with --base: then notify
is faster (the kernel itself answers what the base allows, and only new calls
reach oci-sbx). --check always uses notify.

Descendants still running when CMD exits are named, and their calls after that
are no longer recorded; once oci-sbx lets go of them, their calls outside the
profile fail with ENOSYS.

--listen SOCKET records a container instead of CMD: it serves the listenerPath
that oci-sbx patch --record SOCKET BUNDLE puts into a bundle, takes the listener
runc hands over once it has loaded the container's filter, records every
process of the container from there on, and writes the profile when the last
one has exited. write and what runc calls after loading (the measured table)
run unobserved; the profile allows them, saying so, so that the same runc can
start the container under it. A container whose program never ran (created,
then deleted) yields an error and no profile.

Rules output (the default) carries the comments; JSON formats have no place for
them, and spo gets the header only. A CMD recorded outside a container made
none of the calls runc makes after loading a filter, so oci, docker, kubernetes
and spo output of it gets convert's warning that runc cannot start under it
(never silenced), and --strict refuses it, writing nothing: record the
container with --listen, or put the profile in with oci-sbx patch, which loads
it in a second stage.

Examples:
   oci-sbx record -o ls.yaml -- ls /
   oci-sbx record --base ls.yaml -o ls2.yaml -- ls -l /
   oci-sbx record --check ls.yaml -- ls /tmp
   oci-sbx record --verify --to docker -o ls.json -- busybox ls /
   oci-sbx record --listen /run/rec.sock -o web.yaml`,
		Flags: []cli.Flag{
			outputFlag("write the profile to `FILE` (atomically) instead of standard output"),
			oneOf(&cli.StringFlag{Name: "to", Aliases: []string{"t"}, Value: "rules", Usage: "output `FORMAT`: rules, oci, docker, kubernetes, spo, bpf"}, "rules", "oci", "docker", "kubernetes", "spo", "bpf"),
			&cli.StringFlag{Name: "base", Usage: "let what profile `FILE` allows run unrecorded; the output is FILE plus what was new"},
			&cli.StringFlag{Name: "check", Usage: "record nothing; exit 99 if CMD made a call profile `FILE` does not allow"},
			fromFlag(convert.InputFormats),
			&cli.BoolFlag{Name: "strict", Usage: "refuse to write oci, docker, kubernetes or spo output that no runc can start, and docker, kubernetes or spo output that runc starts only with no-new-privileges (without it: a warning)"},
			&cli.BoolFlag{Name: "verify", Usage: "run CMD again under the recorded profile and fail on any call it stops"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs as root too (always set without CAP_SYS_ADMIN)"},
			&cli.StringFlag{Name: "records", Usage: "with --listen: -o names a file beneath `DIR`, and the profile is written nowhere else"},
			&cli.StringFlag{Name: "listen", Usage: "record the container whose listenerPath is the unix socket `PATH` (see oci-sbx patch --record)"},
			&cli.DurationFlag{Name: "listen-timeout", Usage: "with --listen: give up when runc has not connected within `DURATION` (0: wait)"},
			oneOf(&cli.StringFlag{Name: "mode", Value: "auto", Usage: "`MODE` of observing calls: auto, notify or ebpf (see above)"}, "auto", "notify", "ebpf"),
		},
		Action: runRecord,
	}
}

func runRecord(ctx context.Context, c *cli.Command) error {
	args := c.Args().Slice()
	if c.IsSet("records") && !c.IsSet("listen") {
		return usageErrorf(c, "--records goes with --listen")
	}
	if c.IsSet("listen") {
		return recordContainer(ctx, c, args)
	}
	if len(args) == 0 {
		return usageErrorf(c, "record needs a command to run")
	}
	check := c.String("check")
	if check != "" {
		for _, f := range []string{"base", "output", "to", "verify", "strict"} {
			if c.IsSet(f) {
				return usageErrorf(c, "--check records nothing: it takes no --%s", f)
			}
		}
	}
	to, from, err := recordFormats(c)
	if err != nil {
		return err
	}
	// The program's output and oci-sbx's notes share standard error.
	errw := synced(c.Root().ErrWriter)
	cfg := record.Config{
		Args: args, NoNewPrivileges: c.Bool("no-new-privs"), Mode: record.Mode(c.String("mode")),
		Stdin: c.Root().Reader, Stdout: c.Root().Writer, Stderr: errw,
	}
	baseFile := c.String("base")
	if check != "" {
		baseFile = check
	}
	if cfg.Base, err = loadBase(c, baseFile, from); err != nil {
		return err
	}
	if check != "" {
		code, err := record.Check(ctx, cfg, check, func(m string) { fmt.Fprintf(errw, "oci-sbx: %s\n", m) })
		if err != nil {
			return err
		}
		if code != 0 {
			return &ExitStatus{Code: code}
		}
		return nil
	}

	path, w, done, err := outputTo(c)
	if err != nil {
		return err
	}
	defer done()
	alert := func(m string) { fmt.Fprintf(errw, "oci-sbx: %s\n", m) }
	o := record.Options{
		Config: cfg, BaseName: baseFile, Output: path, Stdout: w,
		Format: to, Version: version(), Verify: c.Bool("verify"), Strict: c.Bool("strict"), Program: program.Write,
		Check: warnOptions(c).Check,
		Warn: func(m string) {
			if !quiet(c) {
				fmt.Fprintf(errw, "oci-sbx: %s\n", strings.ReplaceAll(m, "\n", "\n  "))
			}
		},
		Alert: alert,
	}
	out, err := record.Record(ctx, o)
	if errors.Is(err, record.ErrReplay) {
		return &StatusError{Err: fmt.Errorf("verifying: %w", err), Code: CheckFailed}
	}
	if err != nil {
		return err
	}
	if out.Status != 0 {
		return &ExitStatus{Code: out.Status}
	}
	return nil
}

// synced makes a writer safe for the goroutine copying the program's
// output and the recorder's notes at once; a file is that already, and
// stays a file so that the program writes to it directly.
func synced(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// loadBase reads the profile a recording or a check starts from; none
// without a path.
func loadBase(c *cli.Command, path string, from convert.Format) (*record.Base, error) {
	if path == "" {
		return nil, nil
	}
	s, err := loadProfile(c.Root().Reader, path, from, warnOptions(c))
	if err != nil {
		return nil, fmt.Errorf("reading the base %q: %w", path, err)
	}
	return record.NewBase(s)
}

// recordFormats reads --to, the recorded profile's format, and --from,
// the base's.
func recordFormats(c *cli.Command) (to, from convert.Format, err error) {
	to, err = convert.ParseFormat(c.String("to"), []convert.Format{convert.Rules, convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO, convert.BPF})
	if err != nil {
		return "", "", usageErrorf(c, "--to: %v", err)
	}
	if to == convert.BPF && outputFile(c) == "" && isTerminal(c.Root().Writer) {
		return "", "", usageErrorf(c, "refusing to write a binary program to a terminal: use -o FILE or redirect standard output")
	}
	from, err = fromFormat(c, convert.InputFormats)
	return to, from, err
}

// recordContainer is record --listen.
func recordContainer(ctx context.Context, c *cli.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(c, "record --listen records a container: it takes no command")
	}
	for _, f := range []string{"check", "verify", "mode", "no-new-privs", "strict"} {
		if c.IsSet(f) {
			return usageErrorf(c, "record --listen takes no --%s", f)
		}
	}
	if c.IsSet("records") && outputFile(c) == "" {
		return usageErrorf(c, "--records needs -o NAME, the file beneath it")
	}
	to, from, err := recordFormats(c)
	if err != nil {
		return err
	}
	errw := c.Root().ErrWriter
	o := record.ListenOptions{
		Socket: c.String("listen"), Records: c.String("records"), BaseName: c.String("base"), Output: outputFile(c), Stdout: c.Root().Writer,
		Format: to, Version: version(), AcceptTimeout: c.Duration("listen-timeout"), Program: program.Write,
		Warn: func(m string) {
			if !quiet(c) {
				fmt.Fprintf(errw, "oci-sbx: %s\n", m)
			}
		},
	}
	if o.Base, err = loadBase(c, o.BaseName, from); err != nil {
		return err
	}
	cr, err := record.RecordContainer(ctx, o)
	if err != nil {
		return err
	}
	notef(c, "recorded container %s: %s\n", cr.ID, plural.Of(cr.Recording.Len(), "kind of call", "kinds of call"))
	return nil
}
