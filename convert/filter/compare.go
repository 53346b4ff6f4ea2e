package filter

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Case is one syscall to run a program on.
type Case struct {
	Arch string    // libseccomp architecture name
	Nr   uint32    // seccomp_data.nr (x32 numbers carry bit 30)
	Args [6]uint64 // the arguments
	// Varied marks the arguments a condition made interesting (bit i for
	// argument i); the others are 0.
	Varied uint8
}

// Data returns the seccomp_data record of the case.
func (c Case) Data() Data {
	arch, _ := AuditArch(c.Arch)
	return Data{Nr: int32(c.Nr), Arch: arch, Args: c.Args}
}

// String names the syscall, and the varied arguments: "openat",
// "socket(arg0=40)", "#463" for a number no syscall has.
func (c Case) String() string {
	s := syscallLabel(c.Arch, c.Nr)
	if c.Varied == 0 {
		return s
	}
	var args []string
	for i, v := range c.Args {
		if c.Varied&(1<<i) != 0 {
			args = append(args, fmt.Sprintf("arg%d=%s", i, FormatNumber(v)))
		}
	}
	return s + "(" + strings.Join(args, ", ") + ")"
}

func syscallLabel(arch string, nr uint32) string {
	if name := SyscallName(arch, nr); name != "" {
		return name
	}
	return "#" + FormatNumber(uint64(nr))
}

// FormatNumber prints a syscall number or argument as the reports do: small
// numbers in decimal, large ones in hex.
func FormatNumber(v uint64) string {
	if v < 0x10000 {
		return strconv.FormatUint(v, 10)
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// maxArgCases bounds the argument combinations tried for one syscall; past
// it, one argument is varied at a time.
const maxArgCases = 4096

// Cases returns what Compare runs on one architecture: each of Numbers,
// with all arguments 0 and, for a syscall that a condition of one of the
// profiles looks at, with every combination of the values around each
// condition's operands (the value, ±1, the mask's edges, garbage in the
// upper 32 bits where the architecture passes 64-bit arguments). The
// multiplexers socketcall and ipc also get each of their call numbers as
// argument 0.
func Cases(arch string, profiles ...*specs.LinuxSeccomp) []Case {
	cands := argCandidates(arch, profiles)
	var out []Case
	for _, nr := range Numbers(arch) {
		if c, ok := cands[nr]; ok {
			out = append(out, argCases(arch, nr, c)...) // 0 is among the candidates
		} else {
			out = append(out, Case{Arch: arch, Nr: nr})
		}
	}
	return out
}

// argCandidates collects, per syscall number, the values worth trying for
// each argument.
func argCandidates(arch string, profiles []*specs.LinuxSeccomp) map[uint32]*[6][]uint64 {
	audit, _ := AuditArch(arch)
	wide := audit&0x80000000 != 0 // __AUDIT_ARCH_64BIT: 64-bit registers
	out := map[uint32]*[6][]uint64{}
	get := func(nr uint32) *[6][]uint64 {
		if out[nr] == nil {
			out[nr] = new([6][]uint64)
		}
		return out[nr]
	}
	add := func(c *[6][]uint64, i uint, vs ...uint64) {
		for _, v := range vs {
			if !wide {
				v &= 0xffffffff // the kernel zero-extends 32-bit arguments
			}
			if !slices.Contains(c[i], v) {
				c[i] = append(c[i], v)
			}
		}
	}
	for _, mux := range []struct {
		name  string
		calls uint64
	}{{"socketcall", 20}, {"ipc", 24}} {
		if nr, ok := syscalls.SyscallNumber(arch, mux.name); ok {
			c := get(uint32(nr))
			for call := range mux.calls + 2 {
				add(c, 0, call)
			}
		}
	}
	for _, p := range profiles {
		if p == nil {
			continue
		}
		for _, r := range p.Syscalls {
			if len(r.Args) == 0 {
				continue
			}
			for _, name := range r.Names {
				var targets []uint32
				if nr, ok := syscalls.SyscallNumber(arch, name); ok {
					targets = append(targets, uint32(nr))
				}
				if via := syscalls.SyscallMultiplexer(arch, name); via != "" {
					if nr, ok := syscalls.SyscallNumber(arch, via); ok {
						targets = append(targets, uint32(nr))
					}
				}
				for _, nr := range targets {
					c := get(nr)
					for _, a := range r.Args {
						if a.Index < 6 {
							add(c, a.Index, operandValues(a)...)
						}
					}
				}
			}
		}
	}
	for _, c := range out {
		for i := range c {
			if len(c[i]) > 0 {
				add(c, uint(i), 0, 1, 0xffffffff, 1<<32, ^uint64(0))
			}
		}
	}
	return out
}

// operandValues are the values around one condition's operands.
func operandValues(a specs.LinuxSeccompArg) []uint64 {
	if a.Op == specs.OpMaskedEqual {
		mask, v := a.Value, a.ValueTwo
		low := mask & -mask
		high := uint64(0)
		if mask != 0 {
			high = 1 << (63 - bits.LeadingZeros64(mask))
		}
		return []uint64{v, v | ^mask, v ^ low, v ^ high, mask, v + 1, v - 1, v | 1<<32}
	}
	v := a.Value
	return []uint64{v, v - 1, v + 1, v | 1<<32, v ^ 1<<63, v | 0xffffffff00000000}
}

// argCases combines the candidates of each argument.
func argCases(arch string, nr uint32, c *[6][]uint64) []Case {
	total := 1
	var idx []int
	for i := range c {
		if len(c[i]) > 0 {
			idx = append(idx, i)
			total *= len(c[i])
			if total > maxArgCases {
				total = maxArgCases + 1
			}
		}
	}
	var out []Case
	if total > maxArgCases {
		for _, i := range idx {
			for _, v := range c[i] {
				cs := Case{Arch: arch, Nr: nr, Varied: 1 << i}
				cs.Args[i] = v
				out = append(out, cs)
			}
		}
		return out
	}
	var rec func(k int, cs Case)
	rec = func(k int, cs Case) {
		if k == len(idx) {
			out = append(out, cs)
			return
		}
		i := idx[k]
		for _, v := range c[i] {
			next := cs
			next.Args[i] = v
			next.Varied |= 1 << i
			rec(k+1, next)
		}
	}
	rec(0, Case{Arch: arch, Nr: nr})
	return out
}

// Difference is a syscall, or a run of syscall numbers, whose outcome
// differs between two programs.
type Difference struct {
	Case Case
	// Last is the last number of a run of numbers no syscall has that all
	// differ alike; it equals Case.Nr otherwise.
	Last uint32
	// AllArgs is set when the outcome differs for every argument value
	// tried; Case then has no varied arguments.
	AllArgs bool
	A, B    Result
}

// String names what differs: "openat", "socket(arg0=40)", "#452-#1023".
func (d Difference) String() string {
	if d.Last != d.Case.Nr {
		return syscallLabel(d.Case.Arch, d.Case.Nr) + "-" + syscallLabel(d.Case.Arch, d.Last)
	}
	return d.Case.String()
}

// AllArches lists every architecture, the native one and its compat ABIs
// first.
func AllArches() []string {
	var out []string
	if native := syscalls.NativeArch(); native != "" {
		out = append(out, native)
		out = append(out, syscalls.SubArches(native)...)
	}
	for _, a := range syscalls.Arches() {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Compare runs both programs on every case of every architecture (see
// Cases, which takes the argument values from the profiles) and returns
// the cases whose actions differ, by architecture in the order given,
// then by number. A syscall whose outcome differs for every argument value
// tried is reported once, without arguments, and runs of numbers that no
// syscall has are merged.
func Compare(a, b *Program, arches []string, profiles ...*specs.LinuxSeccomp) []Difference {
	var out []Difference
	for _, arch := range arches {
		cases := Cases(arch, profiles...)
		for i := 0; i < len(cases); {
			j := i + 1
			for j < len(cases) && cases[j].Nr == cases[i].Nr {
				j++
			}
			out = appendDiffs(out, a, b, cases[i:j])
			i = j
		}
	}
	return out
}

// appendDiffs compares the cases of one syscall number.
func appendDiffs(out []Difference, a, b *Program, cases []Case) []Difference {
	var diffs []Difference
	for _, c := range cases {
		ra, rb := a.Run(c.Data()), b.Run(c.Data())
		if ra.Action() != rb.Action() {
			diffs = append(diffs, Difference{Case: c, Last: c.Nr, A: ra, B: rb})
		}
	}
	if len(diffs) == 0 {
		return out
	}
	if len(diffs) == len(cases) && alike(diffs) {
		d := diffs[0]
		d.Case.Args, d.Case.Varied, d.AllArgs = [6]uint64{}, 0, true
		if n := len(out); n > 0 {
			prev := &out[n-1]
			if prev.AllArgs && prev.Case.Arch == d.Case.Arch && prev.Last+1 == d.Case.Nr &&
				SyscallName(d.Case.Arch, d.Case.Nr) == "" && SyscallName(prev.Case.Arch, prev.Case.Nr) == "" &&
				prev.A.Action() == d.A.Action() && prev.B.Action() == d.B.Action() {
				prev.Last = d.Case.Nr
				return out
			}
		}
		return append(out, d)
	}
	return append(out, diffs...)
}

func alike(ds []Difference) bool {
	for _, d := range ds[1:] {
		if d.A.Action() != ds[0].A.Action() || d.B.Action() != ds[0].B.Action() {
			return false
		}
	}
	return true
}

// Uniform reports the action a program takes for each of the NumberRange
// syscall numbers of an architecture (arguments 0), when it takes the same
// one for all — as for an architecture its filter does not cover.
func Uniform(p *Program, arch string) (rules.Action, bool) {
	base := NumberBase(arch)
	first := p.Run(Case{Arch: arch, Nr: base}.Data()).Action()
	for n := range uint32(NumberRange) {
		if p.Run(Case{Arch: arch, Nr: base + n}.Data()).Action() != first {
			return rules.Action{}, false
		}
	}
	return first, true
}
