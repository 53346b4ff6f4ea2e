package stage

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

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
	arches := []string{syscalls.NativeArch()}
	for _, a := range p.Architectures {
		if name, err := syscalls.ArchFromSpec(a); err == nil && !slices.Contains(arches, name) {
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
		for _, n := range syscalls.AllSyscalls() {
			if named[n] {
				continue
			}
			for _, arch := range arches {
				nr, ok := syscalls.SyscallNumber(arch, n)
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
			if nr, ok := syscalls.SyscallNumber(arch, n); ok && nr > last[arch] {
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
