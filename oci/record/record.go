package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/conversion"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/plural"
	"github.com/oci-sbx/oci-sbx/oci"
)

// Options describe a recording and where its profile goes.
type Options struct {
	Config
	// BaseName names the base profile in the header.
	BaseName string
	// Output is the file the profile is written to, atomically; empty
	// writes it to Stdout.
	Output string
	Stdout io.Writer
	// Format is the profile's format (rules by default).
	Format convert.Format
	// Version is oci-sbx's, for the header.
	Version string
	// Verify runs the program again under the recorded profile (Verify).
	Verify bool
	// Program writes the raw program for convert.BPF (program.Write).
	Program ProgramWriter
	// Strict refuses, before writing anything, engine output that runc
	// cannot start under (conversion.CheckStart), as convert --strict.
	Strict bool
	// Check, if set, holds the profile to runc's loader (program.Check):
	// what it finds is alerted, and with Strict the profile is not
	// written.
	Check func(*specs.LinuxSeccomp) error
	// Warn receives notes for the user; it may be nil.
	Warn func(string)
	// Alert receives what is never silenced: each call the verifying run
	// was refused, and convert's warning that runc cannot start a
	// container under engine output of a program recorded outside one.
	// It may be nil.
	Alert func(string)
}

// ProgramWriter writes the BPF program runc's loader builds for a
// profile (package program's Write). The recorder takes it from its
// caller, as Replay, so that it stays apart from runc's cgo code, which
// the packages that start recorders (the hooks) must not link; nil
// refuses the bpf format.
type ProgramWriter func(ctx context.Context, w io.Writer, s *specs.LinuxSeccomp, warn func(string)) error

// CheckFailed is the exit status of a check (Check) whose program made a
// call the base does not allow.
const CheckFailed = 99

// Check runs c.Args with c.Base as the base and records nothing: it lets
// every call run, and tells note of each kind of call the base (named
// baseName) does not allow, with the executable that made it. It returns
// the status the check exits with: the program's, except that any such
// call makes it CheckFailed, and a program that exits CheckFailed by
// itself makes it 1, so that CheckFailed always means "the base is not
// enough".
func Check(ctx context.Context, c Config, baseName string, note func(string)) (int, error) {
	var missing int
	c.Check = func(call Call, exe string) {
		missing++
		note(fmt.Sprintf("not in %s: %s by %s", baseName, call, exe))
	}
	res, err := Run(ctx, c)
	if err != nil {
		return 0, err
	}
	for _, l := range res.Leftovers {
		note(fmt.Sprintf("%s was still running when the command exited; its later calls are not checked", l))
	}
	if n := unprivileged(res); n != "" {
		note(n)
	}
	switch {
	case missing > 0:
		kinds := "1 kind"
		if missing != 1 {
			kinds = fmt.Sprintf("%d kinds", missing)
		}
		note(fmt.Sprintf("%s made %s of call that %s does not allow", c.Args[0], kinds, baseName))
		return CheckFailed, nil
	case res.Status() == CheckFailed:
		note(fmt.Sprintf("%s exited %d by itself; record --check reports that as 1", c.Args[0], CheckFailed))
		return 1, nil
	}
	return res.Status(), nil
}

// unprivileged is the note on the set-ID executables a run under the
// recorder's no_new_privs ran without their privileges; "" if none.
func unprivileged(res *Result) string {
	if len(res.Unprivileged) == 0 {
		return ""
	}
	return fmt.Sprintf("%s would raise privileges at execve (set-user-ID, set-group-ID or file capabilities), but the recorder set no_new_privs, so it ran without them: what was seen is that unprivileged run (as root, oci-sbx sets no no_new_privs)", strings.Join(res.Unprivileged, ", "))
}

// Outcome is what Record did.
type Outcome struct {
	// Status is the exit status the command reports: the program's,
	// except that under Verify a program that exits CheckFailed by itself
	// makes it 1, since CheckFailed then means "the replay failed".
	Status  int
	Result  *Result
	Profile *specs.LinuxSeccomp
	// Replay is how the verifying run ended (nil without Verify).
	Replay *ReplayResult
}

// ReplayResult is how a replay ended.
type ReplayResult struct {
	Status int    // as a shell reports it
	String string // in words: "exit status 0", "killed by signal 9 (SIGKILL)"
	// Denied lists each kind of call the profile refused, by executable,
	// the first of each as it was made.
	Denied []Denial
}

// ErrReplay is wrapped by the error of a replay that the recorded
// profile did not let run.
var ErrReplay = errors.New("the replay under the recorded profile failed")

// Verify runs c's program again with profile s enforced, and fails, with
// an error wrapping ErrReplay, when s refused any call (with another error
// when the replay itself could not run). The recorder's
// filter enforces s (Config.Deny): what s allows runs untouched, under
// the same argument conditions, checked in the kernel; every other call
// fails with s's errno without running and is named as it happens, to
// alert, with all its arguments and the executable that made it. Nothing
// is killed, so a refused call cannot hide behind a kill or behind a
// program that swallows its errno, and a call that a seccomp filter of
// the program's own denies keeps that filter's answer (the kernel ranks
// an errno above a notification), as it would under s.
func Verify(ctx context.Context, c Config, s *specs.LinuxSeccomp, alert func(string)) (*ReplayResult, error) {
	base, err := NewBase(s)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var denied []Denial
	c.Base, c.Mode, c.Check = base, ModeNotify, nil
	c.Deny = func(d Denial) {
		key := d.Call.String() + "\x00" + d.Exe
		if seen[key] {
			return
		}
		seen[key] = true
		denied = append(denied, d)
		if alert != nil {
			alert("denied by the recorded profile: " + d.String())
		}
	}
	res, err := Run(ctx, c)
	rr := &ReplayResult{Denied: denied}
	if res != nil {
		rr.Status, rr.String = res.Status(), status(res)
		for _, l := range res.Leftovers {
			if alert != nil {
				alert(fmt.Sprintf("%s was still running when the replayed command exited; its later calls are not checked", l))
			}
		}
	}
	if err != nil {
		if len(denied) > 0 {
			// The program could not even start: its execve was refused.
			return rr, fmt.Errorf("%w: %w (the profile refused %s)", ErrReplay, err, denied[0].Call)
		}
		// The replay itself failed: nothing says the profile is short.
		return rr, fmt.Errorf("replaying under the recorded profile: %w", err)
	}
	if len(denied) > 0 {
		var names []string
		for _, d := range denied {
			if n := d.Call.String(); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		return rr, fmt.Errorf("%w: it refused %s", ErrReplay, plural.Of(len(names), "kind of call", "kinds of call")+": "+strings.Join(names, ", "))
	}
	return rr, nil
}

// warner formats a note for w, which may be nil.
func warner(w func(string)) func(format string, args ...any) {
	return func(format string, args ...any) {
		if w != nil {
			w(fmt.Sprintf(format, args...))
		}
	}
}

// Record runs the program with the recording filter, writes its profile
// and, when asked, proves the profile by running the program again under
// it.
func Record(ctx context.Context, o Options) (*Outcome, error) {
	warn := warner(o.Warn)
	format := o.Format
	if format == "" {
		format = convert.Rules
	}
	if err := writable(o.Output); err != nil {
		return nil, err
	}
	res, err := Run(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	p, notes, err := Profile(res.Recording, o.Base)
	if err != nil {
		return nil, err
	}
	for _, l := range res.Leftovers {
		warn("%s was still running when the command exited; its later calls are not recorded", l)
	}
	if n := unprivileged(res); n != "" {
		warn("%s", n)
		notes = append(notes, n)
	}
	h := Header{
		Command: o.Args, Kernel: kernel(), Date: time.Now().UTC().Format(time.RFC3339),
		Version: o.Version, Base: o.BaseName, Status: status(res),
		Leftovers: res.Leftovers, Notes: notes, Arches: observedArches(res.Recording),
	}
	data, s, err := render(ctx, p, h, format, o.Program, warn)
	if err != nil {
		return nil, err
	}
	// A program recorded outside a container made none of the calls runc
	// makes after loading the filter: said so for engine output, and
	// with Strict not written.
	if err := checkStart(s, o); err != nil {
		return nil, err
	}
	if err := checkLoads(s, o); err != nil {
		return nil, err
	}
	if o.Output != "" {
		if err := oci.WriteFileAtomic(o.Output, data, 0o644); err != nil {
			return nil, err
		}
	} else if o.Stdout != nil {
		if _, err := o.Stdout.Write(data); err != nil {
			return nil, fmt.Errorf("writing the profile: %w", err)
		}
	}
	out := &Outcome{Result: res, Profile: s, Status: res.Status()}
	if o.Verify && out.Status == CheckFailed {
		warn("%s exited %d by itself; record --verify reports that as 1", o.Args[0], CheckFailed)
		out.Status = 1
	}
	if !o.Verify {
		return out, nil
	}
	rr, err := Verify(ctx, o.Config, s, o.Alert)
	out.Replay = rr
	if err != nil {
		return out, err
	}
	if rr.Status != res.Status() {
		warn("the replay ended with %s, the recorded run with %s: the program may have taken another path", rr.String, status(res))
	}
	return out, nil
}

// checkStart alerts about engine output runc cannot start under.
func checkStart(s *specs.LinuxSeccomp, o Options) error {
	if s == nil {
		return nil
	}
	alert := o.Alert
	if alert == nil {
		alert = func(string) {}
	}
	return conversion.CheckStart(s, o.Format, "recorded profile", o.Strict, alert)
}

// checkLoads holds the profile to runc's loader (o.Check): a recording is
// not thrown away for what it finds unless Strict says so.
func checkLoads(s *specs.LinuxSeccomp, o Options) error {
	if s == nil || o.Check == nil {
		return nil
	}
	err := o.Check(s)
	switch {
	case err == nil:
		return nil
	case o.Strict:
		return fmt.Errorf("refusing to write the recorded profile: %w", err)
	case o.Alert != nil:
		o.Alert(fmt.Sprintf("warning: the recorded profile: %v", err))
	}
	return nil
}

// writable fails, before anything runs, when the output file's directory
// cannot take it: finding out after the run would lose the recording.
func writable(path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return fmt.Errorf("writing %q: its directory %q: %w", path, dir, err)
	}
	return nil
}

// render writes the profile in a format: rules with the header and each
// rule's comment, other formats through the convert registry (the header
// too where the format has comments).
func render(ctx context.Context, p *rules.Profile, h Header, format convert.Format, program ProgramWriter, warn func(string, ...any)) ([]byte, *specs.LinuxSeccomp, error) {
	text := h.String() + p.String()
	// Read back what is written: the profile must mean what the
	// recording says, in the language's own terms.
	parsed, err := rules.Parse("<recorded profile>", []byte(text))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the recorded profile back: %w", err)
	}
	s, err := parsed.Compile(rules.CompileOptions{Warn: func(e *rules.Error) {
		// A rule by name lists every architecture seen; the syscalls
		// some of them lack are said in each rule's comment instead.
		if !strings.Contains(e.Msg, "does not exist on") && !strings.Contains(e.Msg, "do not exist on") {
			warn("%v", e)
		}
	}})
	if err != nil {
		return nil, nil, fmt.Errorf("compiling the recorded profile: %w", err)
	}
	if format == convert.Rules {
		return []byte(text), s, nil
	}
	var buf bytes.Buffer
	if format == convert.BPF {
		if program == nil {
			return nil, nil, fmt.Errorf("writing the profile as %s: no program writer", format)
		}
		if err := program(ctx, &buf, s, func(m string) { warn("%s", m) }); err != nil {
			return nil, nil, fmt.Errorf("writing the profile as %s: %w", format, err)
		}
		return buf.Bytes(), s, nil
	}
	if format == convert.SPO {
		buf.WriteString(h.String())
	}
	if err := convert.Write(&buf, s, format, convert.Options{Name: "recorded", Warn: func(m string) { warn("%s", m) }}); err != nil {
		return nil, nil, fmt.Errorf("writing the profile as %s: %w", format, err)
	}
	return buf.Bytes(), s, nil
}

func status(r *Result) string {
	if r.Signal != 0 {
		return fmt.Sprintf("killed by signal %d (%s)", int(r.Signal), unix.SignalName(r.Signal))
	}
	return fmt.Sprintf("exit status %d", r.ExitCode)
}

func kernel() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return fmt.Sprintf("%s %s %s", unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Release[:]), unix.ByteSliceToString(u.Machine[:]))
}
