package stage

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Phase is a stretch of a container's start in which a filter is already
// loaded and runtime code, not the container's process, still runs.
type Phase int

const (
	// RuncNoNewPrivileges is runc after it loaded the filter, when
	// process.noNewPrivileges is true: it loads right before the exec.
	RuncNoNewPrivileges Phase = iota
	// RuncPrivileged is runc after it loaded the filter, when
	// process.noNewPrivileges is false: it loads before it sets the
	// user, the capabilities and the working directory.
	RuncPrivileged
	// LateStart is oci-sbx's late stage, from runc's exec of it until
	// it loads the late profile.
	LateStart
)

var phaseNames = [...]string{
	RuncNoNewPrivileges: "runc with noNewPrivileges true",
	RuncPrivileged:      "runc with noNewPrivileges false",
	LateStart:           "oci-sbx's late stage",
}

func (p Phase) String() string { return phaseNames[p] }

// Need is a syscall that a phase makes, as measured against the real
// runtime.
type Need struct {
	Syscall string
	// Errno: failing it with EPERM stops the container from starting.
	Errno bool
	// Kill: killing the process when it makes the call stops the start.
	// It holds whenever Errno does.
	Kill bool
	// Sometimes: only some of the measurements saw it; the Go runtime
	// calls it now and then (futex under contention, rt_sigreturn after a
	// signal), so a profile that denies it breaks the start now and then.
	Sometimes bool
	// Error is what the runtime printed when the call was denied.
	Error string
}

// Needs returns the measured table of a phase, sorted by syscall.
func Needs(p Phase) []Need { return slices.Clone(needs[p]) }

// Conflict is a denial in a profile of a syscall a phase needs.
type Conflict struct {
	Syscall string
	// Outcome is what the profile does with the call, in rules syntax:
	// "errno(EPERM)", "kill-process (the default action)", "errno(EPERM)
	// when arg0 == 1".
	Outcome string
	Phase   Phase
	Need    Need
}

func (c Conflict) String() string {
	how := "fails"
	if c.Need.Sometimes {
		how = "can fail"
	}
	when := "after loading the filter"
	if c.Phase == LateStart {
		when = "before it loads the profile"
	}
	return fmt.Sprintf("%s: the profile gives %s; %s calls it %s and %s: %q",
		c.Syscall, c.Outcome, c.Phase, when, how, c.Need.Error)
}

// ErrNotify is returned for a profile whose late stage would have to let
// through a syscall that the profile hands to a seccomp agent: the agent
// is connected to runc's filter only.
var ErrNotify = errors.New("a notify rule names a syscall the late stage must let through")

// Conflicts lists the syscalls that phase needs and p denies, in the
// order of the table.
func Conflicts(p *specs.LinuxSeccomp, phase Phase) ([]Conflict, error) {
	var out []Conflict
	for _, n := range needs[phase] {
		outs, err := outcomes(p, n.Syscall)
		if err != nil {
			return nil, err
		}
		for _, o := range outs {
			if errnoLike(o.action) && n.Errno || killLike(o.action) && n.Kill {
				out = append(out, Conflict{Syscall: n.Syscall, Outcome: o.String(), Phase: phase, Need: n})
				break
			}
		}
	}
	return out, nil
}

// outcome is one way a profile can answer a syscall.
type outcome struct {
	action    rules.Action
	when      string // the rule's conditions, "" for none
	isDefault bool
}

func (o outcome) String() string {
	switch {
	case o.isDefault:
		return o.action.String() + " (the default action)"
	case o.when != "":
		return o.action.String() + " when " + o.when
	}
	return o.action.String()
}

// outcomes lists the answers p can give to name: the action of every rule
// that names it, and the default action unless a rule without conditions
// names it.
func outcomes(p *specs.LinuxSeccomp, name string) ([]outcome, error) {
	var outs []outcome
	uncond := false
	for _, r := range p.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		a, err := rules.ActionFromSpec(r.Action, r.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("reading the rule for %q: %w", name, err)
		}
		var conds []string
		for _, arg := range r.Args {
			c, err := rules.CondFromSpec(arg)
			if err != nil {
				return nil, fmt.Errorf("reading the rule for %q: %w", name, err)
			}
			conds = append(conds, c.String())
		}
		uncond = uncond || len(conds) == 0
		outs = append(outs, outcome{action: a, when: strings.Join(conds, ", ")})
	}
	if !uncond {
		a, err := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("reading the default action: %w", err)
		}
		outs = append(outs, outcome{action: a, isDefault: true})
	}
	return outs, nil
}

// errnoLike: the call fails with an error (trace does so when no tracer
// is attached, with ENOSYS).
func errnoLike(a rules.Action) bool { return a.Kind == rules.Errno || a.Kind == rules.Trace }

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
		return e, pastTheStub(p, e)
	}
	names := make([]string, 0, len(pass))
	for n := range pass {
		names = append(names, n)
	}
	slices.Sort(names)
	e.Syscalls = append(e.Syscalls, specs.LinuxSyscall{Names: names, Action: specs.ActAllow})
	if err := pastTheStub(p, e); err != nil {
		return nil, err
	}
	if killLike(def) {
		// runc's stub returns ENOSYS for a syscall past the last one a
		// profile names, and the early profile names more than p, some
		// on numbers no syscall table names (x32's gaps): where p's
		// stub says ENOSYS, e's default would kill. With ENOSYS as e's
		// default the stack answers as p: p's kill is the stricter
		// answer, and between two ENOSYS there is nothing to choose.
		enosys := uint(syscall.ENOSYS)
		e.DefaultAction, e.DefaultErrnoRet = specs.ActErrno, &enosys
	}
	return e, nil
}

// pastTheStub softens, in the early profile e, the rules that kill or
// trap on a call libseccomp multiplexes (connect on x86) whose direct
// number lies past the last one p names there: runc's stub answers that
// number with ENOSYS in p's filter, before p's rule, but not in e's, which
// names more. ENOSYS there instead keeps e from being stricter than p; the
// stack still answers as p (p's kill or trap through the multiplexer is
// the stricter answer, and ENOSYS meets ENOSYS at the direct number).
func pastTheStub(p, e *specs.LinuxSeccomp) error {
	def, err := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return fmt.Errorf("reading the default action: %w", err)
	}
	if !stubbed(def) {
		return nil
	}
	arches, err := archSet(p)
	if err != nil {
		return err
	}
	past := func(n string) bool {
		for _, arch := range arches {
			last := lastNamed(p, arch)
			if syscalls.SyscallMultiplexer(arch, n) == "" || last == 0 {
				continue
			}
			if nr, ok := syscalls.SyscallNumber(arch, n); ok && nr > last {
				return true
			}
		}
		return false
	}
	enosys := uint(syscall.ENOSYS)
	var out []specs.LinuxSyscall
	for _, r := range e.Syscalls {
		a, err := rules.ActionFromSpec(r.Action, r.ErrnoRet)
		if err != nil {
			return err
		}
		if !killLike(a) {
			out = append(out, r)
			continue
		}
		var keep, soften []string
		for _, n := range r.Names {
			if past(n) {
				soften = append(soften, n)
			} else {
				keep = append(keep, n)
			}
		}
		if len(keep) > 0 {
			k := r
			k.Names = keep
			out = append(out, k)
		}
		if len(soften) > 0 {
			s := r
			s.Names, s.Action, s.ErrnoRet = soften, specs.ActErrno, &enosys
			out = append(out, s)
		}
	}
	e.Syscalls = out
	return nil
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
