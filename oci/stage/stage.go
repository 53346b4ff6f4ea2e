package stage

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
)

// Plan is how a profile goes into a bundle.
type Plan struct {
	// Early is the profile for linux.seccomp, which runc loads.
	Early *specs.LinuxSeccomp
	// Late is the profile the late stage loads inside the container
	// before it execs the container's process; nil when runc can start
	// under the whole profile and no late stage is needed.
	Late *specs.LinuxSeccomp
	// NoNewPrivileges: process.noNewPrivileges must be true, either
	// because runc then loads late enough to start under the profile, or
	// because the late stage loads without privileges.
	NoNewPrivileges bool
	// Conflicts are the profile's denials that runc could not start
	// with, in the bundle as it is: the reason for NoNewPrivileges or
	// for the late stage.
	Conflicts []runtimes.Conflict
}

// ErrNotify is returned for a profile whose late stage would have to let
// through a syscall that the profile hands to a seccomp agent: the agent
// is connected to runc's filter only.
var ErrNotify = errors.New("a notify rule names a syscall the late stage must let through")

// Split plans how profile p goes into a bundle whose
// process.noNewPrivileges is noNewPrivileges:
//
//   - runc can start under p: p goes into linux.seccomp as it is;
//   - runc can start under p only with noNewPrivileges (it then loads
//     later): the same, with NoNewPrivileges set;
//   - otherwise a late stage: Early lets through every syscall runc and
//     the late stage need that p would deny, Late is p, and
//     NoNewPrivileges is set.
//
// Conditions count as denials when any case denies: which arguments runc
// passes is not part of the measurement.
func Split(p *specs.LinuxSeccomp, noNewPrivileges bool) (*Plan, error) {
	if p == nil {
		return &Plan{}, nil
	}
	if p.DefaultAction == specs.ActNotify {
		return nil, errors.New("splitting the profile: runc refuses notify as the default action")
	}
	rt := runtimes.Default()
	phase := runtimes.RuncPrivileged
	if noNewPrivileges {
		phase = runtimes.RuncNoNewPrivileges
	}
	conflicts, err := rt.Conflicts(p, phase)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Early: p, Conflicts: conflicts}
	if len(conflicts) == 0 {
		return plan, nil
	}
	nnp, err := rt.Conflicts(p, runtimes.RuncNoNewPrivileges)
	if err != nil {
		return nil, err
	}
	plan.NoNewPrivileges = true
	if len(nnp) == 0 {
		return plan, nil
	}
	plan.Conflicts = nnp

	// The late stage starts under the early profile: it must let
	// through what runc needs and what the late stage needs.
	pass := map[string]bool{}
	for _, ph := range []runtimes.Phase{runtimes.RuncNoNewPrivileges, runtimes.LateStart} {
		cs, err := rt.Conflicts(p, ph)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			pass[c.Syscall] = true
		}
	}
	if plan.Early, err = early(p, pass); err != nil {
		return nil, err
	}
	plan.Late = late(p)
	return plan, nil
}

// killLike: the caller dies, or gets a SIGSYS the Go runtime does not
// survive.
func killLike(a rules.Action) bool {
	return a.Kind == rules.KillProcess || a.Kind == rules.KillThread || a.Kind == rules.Trap
}

// early returns p with the syscalls in pass let through: their rules
// dropped, and an allow rule for them unless the default allows. Filters
// stack and the strictest answer wins, so as long as every answer of the
// early profile is p's own or allow, the early and the late (p) together
// answer exactly as p.
func early(p *specs.LinuxSeccomp, pass map[string]bool) (*specs.LinuxSeccomp, error) {
	e := clone(p)
	e.Syscalls = nil
	for _, r := range p.Syscalls {
		var keep []string
		for _, n := range r.Names {
			if !pass[n] {
				keep = append(keep, n)
			} else if r.Action == specs.ActNotify {
				return nil, fmt.Errorf("splitting the profile: %w: %s", ErrNotify, n)
			}
		}
		if len(keep) > 0 {
			r.Names = keep
			e.Syscalls = append(e.Syscalls, r)
		}
	}
	def, err := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("reading the default action: %w", err)
	}
	if def.Kind == rules.Allow || def.Kind == rules.Log {
		return e, nil
	}
	names := make([]string, 0, len(pass))
	for n := range pass {
		names = append(names, n)
	}
	slices.Sort(names)
	e.Syscalls = append(e.Syscalls, specs.LinuxSyscall{Names: names, Action: specs.ActAllow})
	if killLike(def) {
		if gap := enosysGap(p, e); len(gap) > 0 {
			enosys := uint(syscall.ENOSYS)
			e.Syscalls = append(e.Syscalls, specs.LinuxSyscall{Names: gap, Action: specs.ActErrno, ErrnoRet: &enosys})
		}
	}
	return e, nil
}

// enosysGap returns the syscalls that p answers with runc's ENOSYS stub
// and e would answer with the default action: runc's stub returns ENOSYS
// for every syscall numbered above the highest one a profile names, and
// the early profile names more. Where p's default kills, e must answer
// those with ENOSYS itself, or the stack would kill where p returns
// ENOSYS.
func enosysGap(p, e *specs.LinuxSeccomp) []string {
	if p.DefaultErrnoRet != nil && *p.DefaultErrnoRet == uint(syscall.ENOSYS) {
		return nil // runc adds no stub then
	}
	arches := []string{rules.NativeArch()}
	for _, a := range p.Architectures {
		if name, err := rules.ArchFromSpec(a); err == nil && !slices.Contains(arches, name) {
			arches = append(arches, name)
		}
	}
	named := map[string]bool{}
	for _, r := range e.Syscalls {
		for _, n := range r.Names {
			named[n] = true
		}
	}
	lastP := lastNumbers(p.Syscalls, nil, arches)
	var gap []string
	for {
		// Each syscall added to the gap can raise e's last number on
		// another architecture; go on until nothing changes.
		lastE := lastNumbers(e.Syscalls, gap, arches)
		added := false
		for _, n := range rules.AllSyscalls() {
			if named[n] {
				continue
			}
			for _, arch := range arches {
				nr, ok := rules.SyscallNumber(arch, n)
				if ok && lastP[arch] > 0 && nr > lastP[arch] && nr <= lastE[arch] {
					gap = append(gap, n)
					named[n], added = true, true
					break
				}
			}
		}
		if !added {
			slices.Sort(gap)
			return gap
		}
	}
}

// lastNumbers returns, per architecture, the highest syscall number the
// rules (and extra names) mention, as runc's stub computes it.
func lastNumbers(rs []specs.LinuxSyscall, extra []string, arches []string) map[string]int {
	last := map[string]int{}
	see := func(n string) {
		for _, arch := range arches {
			if nr, ok := rules.SyscallNumber(arch, n); ok && nr > last[arch] {
				last[arch] = nr
			}
		}
	}
	for _, r := range rs {
		for _, n := range r.Names {
			see(n)
		}
	}
	for _, n := range extra {
		see(n)
	}
	return last
}

// late returns the profile the late stage loads: p, without what only
// runc can do. A notify rule needs the agent that runc connects its own
// filter to; the early filter keeps those rules, so the late one lets
// their calls through to it.
func late(p *specs.LinuxSeccomp) *specs.LinuxSeccomp {
	l := clone(p)
	l.ListenerPath, l.ListenerMetadata = "", ""
	for i := range l.Syscalls {
		if l.Syscalls[i].Action == specs.ActNotify {
			l.Syscalls[i].Action = specs.ActAllow
		}
	}
	return l
}

// clone copies a profile deeply, keeping an empty flags list apart from
// none.
func clone(p *specs.LinuxSeccomp) *specs.LinuxSeccomp {
	c := *p
	c.Architectures = slices.Clone(p.Architectures)
	if p.Flags != nil {
		c.Flags = append([]specs.LinuxSeccompFlag{}, p.Flags...)
	}
	c.Syscalls = make([]specs.LinuxSyscall, len(p.Syscalls))
	for i, r := range p.Syscalls {
		r.Names = slices.Clone(r.Names)
		r.Args = slices.Clone(r.Args)
		c.Syscalls[i] = r
	}
	return &c
}
