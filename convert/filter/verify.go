package filter

import (
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Verify runs the program built for s on the cases where s says plainly
// what happens, and returns those where the program does otherwise: a
// syscall s names on an architecture, with arguments that match either
// none of its rules (the default action) or only rules of one action, read
// as runc hands them to libseccomp (a rule with the default action
// dropped, the first unconditional rule deciding every call, a rule
// comparing one argument twice as one rule per comparison). Cases where
// rules of two actions match are left out: which one libseccomp keeps is
// its own order. In a Difference, A is what s says and B what the program
// does.
//
// It catches what libseccomp itself gets wrong: libseccomp 2.5.4 builds,
// for some profiles listing several architectures, a section that compares
// the architecture where it should compare the syscall number, so the
// rules of a syscall never apply there.
func Verify(p *Program, s *specs.LinuxSeccomp, arches []string) []Difference {
	def, err := rules.ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil
	}
	bounds := rules.StubBounds(s)
	var out []Difference
	for _, arch := range arches {
		audit, err := AuditArch(arch)
		if err != nil {
			continue
		}
		// libseccomp compares 32 bits on the ABIs with 32-bit longs,
		// x32 and n32 among them, though their registers have 64.
		wide := audit&0x80000000 != 0 && arch != "x32" && !strings.HasSuffix(arch, "n32")
		plan := map[uint32]*callPlan{}
		for _, name := range namesOf(s) {
			nr, ok := syscalls.SyscallNumber(arch, name)
			if !ok || name == "socketcall" || name == "ipc" {
				continue // a multiplexer also carries the rules of its calls
			}
			if b, ok := bounds[arch]; ok && nr > b.Nr {
				// Above the bound of runc's ENOSYS stub (a call
				// libseccomp multiplexes does not count for it): the
				// stub answers, as convert warns.
				continue
			}
			if cp := planFor(s, name, def, wide); cp != nil {
				plan[uint32(nr)] = cp
			}
		}
		for _, c := range Cases(arch, s) {
			cp := plan[c.Nr]
			if cp == nil {
				continue
			}
			args := c.Args
			if !wide {
				for i := range args {
					args[i] &= 0xffffffff
				}
			}
			want, ok := cp.answer(args)
			if !ok {
				continue
			}
			if got := p.Run(c.Data()); got.Action() != want {
				out = append(out, Difference{Case: c, Last: c.Nr, A: Result{Ret: retOf(want)}, B: got})
			}
		}
	}
	return out
}

// callPlan is what a profile says about one syscall.
type callPlan struct {
	def    rules.Action
	always *rules.Action // the first unconditional rule's
	rules  []planRule
}

type planRule struct {
	act   rules.Action
	conds []specs.LinuxSeccompArg
}

// planFor reads s's rules for name, on a 32-bit architecture (wide
// false) as libseccomp compares there, in 32 bits; nil when a masked value
// has bits outside its mask, which is no plain reading.
func planFor(s *specs.LinuxSeccomp, name string, def rules.Action, wide bool) *callPlan {
	cp := &callPlan{def: def}
	for _, sc := range s.Syscalls {
		if !slices.Contains(sc.Names, name) {
			continue
		}
		act, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil
		}
		if act == def {
			continue
		}
		if len(sc.Args) == 0 {
			if cp.always == nil {
				cp.always = &act
			}
			continue
		}
		args := slices.Clone(sc.Args)
		for i, a := range args {
			if !wide {
				// libseccomp compares the lower half there.
				args[i].Value, args[i].ValueTwo = a.Value&0xffffffff, a.ValueTwo&0xffffffff
			}
			if a.Op == specs.OpMaskedEqual && args[i].ValueTwo&^args[i].Value != 0 {
				return nil
			}
		}
		if splitArgs(args) {
			for _, a := range args {
				cp.rules = append(cp.rules, planRule{act, []specs.LinuxSeccompArg{a}})
			}
		} else {
			cp.rules = append(cp.rules, planRule{act, args})
		}
	}
	return cp
}

// answer is the action for a call with these arguments, when the rules
// say it plainly.
func (cp *callPlan) answer(args [6]uint64) (rules.Action, bool) {
	if cp.always != nil {
		return *cp.always, true
	}
	var got *rules.Action
	for _, r := range cp.rules {
		if !slices.ContainsFunc(r.conds, func(a specs.LinuxSeccompArg) bool { return !holds(a, args[a.Index]) }) {
			if got != nil && *got != r.act {
				return rules.Action{}, false
			}
			got = &r.act
		}
	}
	if got == nil {
		return cp.def, true
	}
	return *got, true
}

func holds(a specs.LinuxSeccompArg, v uint64) bool {
	switch a.Op {
	case specs.OpEqualTo:
		return v == a.Value
	case specs.OpNotEqual:
		return v != a.Value
	case specs.OpLessThan:
		return v < a.Value
	case specs.OpLessEqual:
		return v <= a.Value
	case specs.OpGreaterThan:
		return v > a.Value
	case specs.OpGreaterEqual:
		return v >= a.Value
	case specs.OpMaskedEqual:
		return v&a.Value == a.ValueTwo
	}
	return false
}

// splitArgs reports whether runc adds each condition as a rule of its own:
// when two compare the same argument.
func splitArgs(args []specs.LinuxSeccompArg) bool {
	seen := map[uint]bool{}
	for _, a := range args {
		if seen[a.Index] {
			return true
		}
		seen[a.Index] = true
	}
	return false
}

func namesOf(s *specs.LinuxSeccomp) []string {
	var out []string
	for _, sc := range s.Syscalls {
		for _, n := range sc.Names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// retOf is the return value a program gives for an action.
func retOf(a rules.Action) uint32 {
	switch a.Kind {
	case rules.KillProcess:
		return RetKillProcess
	case rules.KillThread:
		return RetKillThread
	case rules.Trap:
		return RetTrap
	case rules.Errno:
		return RetErrno | uint32(a.Ret)
	case rules.Notify:
		return RetUserNotif
	case rules.Trace:
		return RetTrace | uint32(a.Ret)
	case rules.Log:
		return RetLog
	}
	return RetAllow
}
