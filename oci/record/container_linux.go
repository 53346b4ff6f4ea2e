package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/oci-sbx/oci-sbx/oci/stage"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/beneath"
	"github.com/oci-sbx/oci-sbx/oci"
)

// Recording a container: its linux.seccomp becomes a recording filter
// whose listenerPath is the recorder's socket. runc loads it exactly
// where it loads the container's filter, connects to the socket and hands
// the listener over with the container's state; from then on every call
// of every process of the container reaches the recorder, as for `record
// -- CMD`.
//
// runc refuses notify as the default action and for write, and a call
// notified between runc's load and the handover would wait for a
// listener nobody holds yet: write and the calls runc makes after its
// load (the measured table in oci/stage) run unobserved. The recorded
// profile allows them, saying so.

// ContainerFilter is the recording filter for a container: notify every
// syscall the kernel's ABIs have, except what runs unobserved — write,
// what runc needs after loading (for the container's noNewPrivileges),
// and what base allows whatever the arguments. Calls of syscalls no
// table names fail with ENOSYS (the default), as on an older kernel.
func ContainerFilter(socket string, noNewPrivileges bool, base *Base) (s *specs.LinuxSeccomp, unobserved []string, err error) {
	if !filepath.IsAbs(socket) {
		return nil, nil, fmt.Errorf("recording to %q: the recorder's socket must be an absolute path", socket)
	}
	native := syscalls.NativeArch()
	arches := append([]string{native}, syscalls.SubArches(native)...)
	unobserved = runcUnobserved(noNewPrivileges)
	if base != nil {
		for _, name := range syscalls.AllSyscalls() {
			for _, a := range arches {
				if nr, ok := syscalls.SyscallNumber(a, name); ok {
					if v, _, _ := base.classify(a, uint32(nr)); v == always && !slices.Contains(unobserved, name) {
						unobserved = append(unobserved, name)
						break
					}
				}
			}
		}
	}
	sort.Strings(unobserved)
	var notify []string
	for _, name := range syscalls.AllSyscalls() {
		if slices.Contains(unobserved, name) {
			continue
		}
		for _, a := range arches {
			if _, ok := syscalls.SyscallNumber(a, name); ok {
				notify = append(notify, name)
				break
			}
		}
	}
	enosys := uint(unix.ENOSYS)
	s = &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, DefaultErrnoRet: &enosys,
		Flags:        []specs.LinuxSeccompFlag{},
		ListenerPath: socket,
		Syscalls: []specs.LinuxSyscall{
			{Names: unobserved, Action: specs.ActAllow},
			{Names: notify, Action: specs.ActNotify},
		},
	}
	for _, a := range arches {
		spec, err := syscalls.ArchSpec(a)
		if err != nil {
			return nil, nil, err
		}
		s.Architectures = append(s.Architectures, spec)
	}
	return s, unobserved, nil
}

// MetadataWithinEngine is the listenerMetadata of a recording filter made
// from an engine's profile (ContainerFilterWithin): the recorder says in
// the profile that it saw only what that profile allowed.
const MetadataWithinEngine = "oci-sbx record: within the engine's profile"

// ContainerFilterWithin is the recording filter for a container whose
// engine's profile stays in force: the engine's rules as they are, except
// that what they allow is notified (under the same conditions) — apart
// from write and what runc needs after loading, which stay allowed,
// unobserved. Calls the engine's profile denies stay denied, and unseen.
func ContainerFilterWithin(engine *specs.LinuxSeccomp, socket string, noNewPrivileges bool) (*specs.LinuxSeccomp, []string, error) {
	if !filepath.IsAbs(socket) {
		return nil, nil, fmt.Errorf("recording to %q: the recorder's socket must be an absolute path", socket)
	}
	if engine.DefaultAction == specs.ActAllow || engine.DefaultAction == specs.ActLog {
		return nil, nil, fmt.Errorf("recording within the engine's profile: it allows by default (%s), which runc cannot turn into notifications", engine.DefaultAction)
	}
	needs := runcUnobserved(noNewPrivileges)
	out := *engine
	out.ListenerPath, out.ListenerMetadata = socket, MetadataWithinEngine
	out.Syscalls = nil
	var unobserved []string
	for _, r := range engine.Syscalls {
		if r.Action != specs.ActAllow && r.Action != specs.ActLog {
			out.Syscalls = append(out.Syscalls, r)
			continue
		}
		for _, n := range r.Names {
			if slices.Contains(needs, n) && !slices.Contains(unobserved, n) {
				unobserved = append(unobserved, n)
			}
		}
		notify := func(n string) bool { return !slices.Contains(needs, n) }
		out.Syscalls = append(out.Syscalls, format.SplitRule(r, notify, specs.ActNotify, nil)...)
	}
	sort.Strings(unobserved)
	return &out, unobserved, nil
}

// runcUnobserved is write and what runc calls after loading its filter.
func runcUnobserved(noNewPrivileges bool) []string {
	phase := runtimes.RuncPrivileged
	if noNewPrivileges {
		phase = runtimes.RuncNoNewPrivileges
	}
	out := []string{"write"}
	for _, n := range runtimes.Default().Phase(phase) {
		if !slices.Contains(out, n.Syscall) {
			out = append(out, n.Syscall)
		}
	}
	return out
}

// PatchBundle puts the recording filter into a bundle's config.json
// (atomically, the original kept as config.json.orig with backup), with
// listenerPath the socket `oci-sbx record --listen SOCKET` serves. It is
// stage.Patch, the way every profile goes into a bundle: an earlier
// patch, a late stage included, is undone, under the bundle's lock.
func PatchBundle(dir, socket string, backup bool) (unobserved []string, err error) {
	b, err := oci.OpenBundle(dir)
	if err != nil {
		return nil, err
	}
	e, err := b.ReadConfig()
	b.Close()
	if err != nil {
		return nil, err
	}
	spec, err := e.Spec()
	if err != nil {
		return nil, err
	}
	// As before any earlier patch, which this one replaces.
	s, unobserved, err := ContainerFilter(socket, stage.OriginalNoNewPrivileges(spec), nil)
	if err != nil {
		return nil, err
	}
	// The filter lets through what runc needs: no late stage.
	if _, err := stage.Patch(dir, s, stage.PatchOptions{Backup: backup, NoLate: true}); err != nil {
		return nil, err
	}
	return unobserved, nil
}

// ContainerRecording is what Listen saw of one container.
type ContainerRecording struct {
	ID, Bundle      string
	Pid             int
	NoNewPrivileges bool
	Recording       *Recording
	Notifications   uint64
	// Unobserved are the syscalls the container's filter let run without
	// a notification (see ContainerFilter).
	Unobserved []string
	// WithinEngine: the engine's profile stayed in force, so what it
	// denies was never seen (see ContainerFilterWithin).
	WithinEngine bool
	// Ran: a process other than runc's init made a call the filter
	// notified, so the container's own program ran. False when it was
	// created and never started, or killed before its first such call.
	Ran bool
}

// runcInit is the name runc's nsexec gives the container's init process
// until it execs the container's program.
const runcInit = "runc:[2:INIT]"

// ErrNeverStarted is wrapped by RecordContainer's error for a container
// whose program never ran.
var ErrNeverStarted = errors.New("the container's process never started")

// Listen serves one container's listenerPath at socket: it takes the
// listener runc hands over and records until every process of the
// container has exited (or ctx ends). Calls base allows are not
// recorded.
func Listen(ctx context.Context, socket string, base *Base, ready func(), acceptTimeout time.Duration) (*ContainerRecording, error) {
	if base == nil {
		base, _ = NewBase(nil)
	}
	if err := checkProc(); err != nil {
		return nil, err
	}
	l, err := notify.ListenSocket(socket)
	if err != nil {
		return nil, err
	}
	defer os.Remove(socket)
	defer l.Close()
	if ready != nil {
		ready()
	}
	stop := context.AfterFunc(ctx, func() { l.Close() })
	if acceptTimeout > 0 {
		_ = l.SetDeadline(time.Now().Add(acceptTimeout))
	}
	conn, err := l.AcceptUnix()
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for runc on %q: %w", socket, ctx.Err())
		}
		return nil, fmt.Errorf("waiting for runc on %q: %w", socket, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	st, fd, err := notify.Receive(conn, nil)
	conn.Close()
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	cr := &ContainerRecording{ID: st.State.ID, Bundle: st.State.Bundle, Pid: st.State.Pid, WithinEngine: st.Metadata == MetadataWithinEngine}
	if cfg, err := os.ReadFile(filepath.Join(st.State.Bundle, "config.json")); err == nil {
		var spec specs.Spec
		if json.Unmarshal(cfg, &spec) == nil && spec.Process != nil {
			cr.NoNewPrivileges = spec.Process.NoNewPrivileges
			if spec.Linux != nil && spec.Linux.Seccomp != nil {
				for _, r := range spec.Linux.Seccomp.Syscalls {
					if r.Action == specs.ActAllow {
						cr.Unobserved = append(cr.Unobserved, r.Names...)
					}
				}
			}
		}
	}
	// runc's execve runs unobserved: a process's executable can change
	// unseen, so it is read for every call.
	cache := !base.allowsAny(exeChanging) && !slices.ContainsFunc(exeChanging, func(n string) bool { return slices.Contains(cr.Unobserved, n) })
	rec := &recorder{fd: fd, base: base, rec: NewRecording(),
		exes: map[uint32]string{}, cacheExes: cache, runtime: runcInit}
	rec.ctx, rec.stop = context.WithCancel(context.Background())
	defer rec.stop()
	recs := []*recorder{rec}
	var served, execs sync.WaitGroup
	served.Go(rec.serve)
	// runc exec loads the container's filter again for the process it
	// starts and hands that listener over on the same socket: the process
	// is the container's, and served into the same recording. Left
	// unaccepted, its every notified call would wait for ever.
	_ = l.SetDeadline(time.Time{})
	var mu sync.Mutex
	execs.Go(func() {
		for {
			conn, err := l.AcceptUnix()
			if errors.Is(err, net.ErrClosed) {
				return // the container's init has exited
			}
			if err != nil {
				time.Sleep(10 * time.Millisecond) // out of descriptors, say
				continue
			}
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			st, fd, err := notify.Receive(conn, nil)
			conn.Close()
			if err != nil {
				continue
			}
			if st.State.ID != cr.ID {
				// Another container's process: nobody here records it;
				// its notified calls fail (ENOSYS) rather than wait.
				unix.Close(fd)
				continue
			}
			r := &recorder{fd: fd, base: base, rec: rec.rec,
				exes: map[uint32]string{}, cacheExes: cache, runtime: runcInit}
			r.ctx, r.stop = context.WithCancel(rec.ctx)
			mu.Lock()
			recs = append(recs, r)
			mu.Unlock()
			execs.Go(func() {
				defer unix.Close(fd)
				r.serve()
			})
		}
	})
	wait := func(wg *sync.WaitGroup) {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			rec.stop() // and every exec's
			<-done
		}
	}
	wait(&served)
	l.Close()
	wait(&execs) // the processes runc exec started, until they exit too
	cr.Recording = rec.rec
	for _, r := range recs {
		if r.err != nil {
			return nil, r.err
		}
		cr.Notifications += r.count.Load()
		cr.Ran = cr.Ran || r.ran.Load()
	}
	return cr, nil
}

// ContainerProfile writes the profile of a container's recording: what
// it needed beyond base, plus what ran unobserved, marked so.
func ContainerProfile(cr *ContainerRecording, base *Base) (*rules.Profile, []string, error) {
	p, notes, err := Profile(cr.Recording, base)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, n := range cr.Unobserved {
		if !slices.ContainsFunc(p.Rules, func(r rules.Rule) bool {
			return len(r.When) == 0 && lets(r.Action) && slices.ContainsFunc(r.Syscalls, func(x rules.Name) bool { return x.Name == n })
		}) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	// An unobserved syscall is allowed whatever its arguments: the
	// conditions recorded for it say less.
	p.Rules = slices.DeleteFunc(p.Rules, func(r rules.Rule) bool {
		return len(r.When) > 0 && len(r.Syscalls) == 1 && slices.Contains(names, r.Syscalls[0].Name)
	})
	if len(names) > 0 {
		rs := make([]rules.Name, len(names))
		for i, n := range names {
			rs[i] = rules.Name{Name: n}
		}
		p.Rules = append([]rules.Rule{{Syscalls: rs, Action: rules.Action{Kind: rules.Allow},
			Comment: "allowed unobserved: runc calls these after loading the filter, before it hands the listener over (write: runc refuses to notify it)"}}, p.Rules...)
	}
	if len(p.Architectures) == 0 {
		p.Architectures = []rules.Name{{Name: syscalls.NativeArch()}}
	}
	return p, notes, nil
}

// ListenOptions describe a container recording and where its profile
// goes.
type ListenOptions struct {
	Socket string
	// Records, if set, is the directory Output is a name beneath: the
	// file is written there and nowhere else, whatever symlinks it holds.
	Records  string
	Base     *Base
	BaseName string
	Output   string
	Stdout   io.Writer
	Format   convert.Format
	Version  string
	Warn     func(string)
	// Program writes the raw program for convert.BPF (see Options).
	Program ProgramWriter
	// Ready is called once the socket listens.
	Ready func()
	// AcceptTimeout, if set, bounds the wait for runc to connect: a
	// container whose creation failed before runc loaded its filter never
	// will.
	AcceptTimeout time.Duration
}

// RecordContainer serves one container's listenerPath and writes its
// profile when the container has exited.
func RecordContainer(ctx context.Context, o ListenOptions) (*ContainerRecording, error) {
	warn := warner(o.Warn)
	format := o.Format
	if format == "" {
		format = convert.Rules
	}
	if o.Records == "" {
		if err := writable(o.Output); err != nil {
			return nil, err
		}
	}
	cr, err := Listen(ctx, o.Socket, o.Base, o.Ready, o.AcceptTimeout)
	if err != nil {
		return nil, err
	}
	var neverRan string
	if !cr.Ran && ctx.Err() == nil {
		// Every program ends with exit or exit_group, which the filter
		// notifies unless the base allows them: without a call of its
		// own the program never ran (runc create, then runc delete; or
		// killed before its first call), and a profile of runc's calls
		// alone would pass for the container's.
		if !o.Base.allowsExit() {
			return cr, fmt.Errorf("recording container %s: %w (created but not started, or killed first): only runc's own calls were seen, so no profile is written", cr.ID, ErrNeverStarted)
		}
		neverRan = "no call of the container's own program was seen: the base allows all it did, or it never started"
	}
	p, notes, err := ContainerProfile(cr, o.Base)
	if err != nil {
		return nil, err
	}
	nnp := "false: runc loaded the filter before it set up the process's user and capabilities"
	if cr.NoNewPrivileges {
		nnp = "true: runc loaded the filter right before the process's execve"
	}
	if cr.WithinEngine {
		notes = append([]string{"the engine's profile stayed in force: calls it denies stayed denied and unseen, so this is what the container needs within that profile"}, notes...)
	}
	if neverRan != "" {
		notes = append([]string{neverRan}, notes...)
		warn("%s", neverRan)
	}
	notes = append([]string{
		fmt.Sprintf("recorded from where runc loads the container's filter; process.noNewPrivileges was %s", nnp),
		fmt.Sprintf("ran unobserved (allowed, not recorded): %s", strings.Join(cr.Unobserved, ", ")),
	}, notes...)
	status := "until its last process exited"
	if ctx.Err() != nil {
		status = "stopped before the container exited"
	}
	h := Header{
		Command: []string{"container", cr.ID, "(bundle " + cr.Bundle + ")"}, Kernel: kernel(),
		Date: time.Now().UTC().Format(time.RFC3339), Version: o.Version, Base: o.BaseName, Status: status,
		Notes: notes, Arches: observedArches(cr.Recording),
	}
	data, _, err := render(context.WithoutCancel(ctx), p, h, format, o.Program, warn)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Records != "":
		return cr, WriteBeneath(o.Records, o.Output, data)
	case o.Output != "":
		return cr, oci.WriteFileAtomic(o.Output, data, 0o644)
	case o.Stdout != nil:
		if _, err := o.Stdout.Write(data); err != nil {
			return nil, fmt.Errorf("writing the profile: %w", err)
		}
	}
	return cr, nil
}

// ErrOutside is wrapped by the error for a name that leads out of the
// records directory.
var ErrOutside = errors.New("outside the records directory")

// OpenRecordsDir opens the directory a record name's file goes in,
// beneath dir (openat2's RESOLVE_BENEATH: symlinks inside dir work, none
// lead out), and returns it with the file's own name. A name is relative
// to dir, or absolute and inside it (see package beneath).
func OpenRecordsDir(dir, name string) (*os.File, string, error) {
	d, base, err := beneath.OpenParent(dir, name)
	if errors.Is(err, beneath.ErrOutside) {
		return nil, "", fmt.Errorf("record name %s: %w %q", strconv.QuoteToASCII(name), ErrOutside, dir)
	}
	if err != nil {
		return nil, "", fmt.Errorf("record name %s: %w", strconv.QuoteToASCII(name), err)
	}
	return d, base, nil
}

// WriteBeneath writes data as name beneath dir, atomically, never
// following a symlink out of dir or at the name itself.
func WriteBeneath(dir, name string, data []byte) error {
	d, base, err := OpenRecordsDir(dir, name)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := oci.WriteFileAt(d, base, data, 0o644); err != nil {
		return fmt.Errorf("writing %q beneath %q: %w", name, dir, err)
	}
	return nil
}
