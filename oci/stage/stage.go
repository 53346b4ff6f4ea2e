package stage

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// ErrNotify is returned for a profile whose late stage would have to let
// through a syscall that the profile hands to a seccomp agent: the agent
// is connected to runc's filter only.
var ErrNotify = errors.New("a notify rule names a syscall the late stage must let through")

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
		out = append(out, format.SplitRule(r, past, specs.ActErrno, &enosys)...)
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
