package record

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/oci/notify"
)

// Return values of a seccomp program (linux/seccomp.h).
const (
	retAllow  = 0x7fff0000 // SECCOMP_RET_ALLOW
	retNotify = 0x7fc00000 // SECCOMP_RET_USER_NOTIF
)

// handshakeNr is the call the init child makes once its filter is loaded:
// a number no architecture's syscall has (it fails with ENOSYS), which the
// filter always notifies.
const handshakeNr = 0x0fffffff

// maxInstructions is BPF_MAXINSNS, the longest program the kernel loads.
const maxInstructions = 4096

// BPF opcodes, as linux/filter.h composes them.
const (
	ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jgt   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	jge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	ja    = unix.BPF_JMP | unix.BPF_JA
	and   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	ret   = unix.BPF_RET | unix.BPF_K
)

// Offsets in struct seccomp_data. The recorder runs the program on the
// host it was built for, so the halves of an argument are in host order.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

var lowFirst = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func argOffsets(i uint) (lo, hi uint32) {
	lo, hi = offArgs+8*uint32(i), offArgs+8*uint32(i)+4
	if !lowFirst {
		lo, hi = hi, lo
	}
	return lo, hi
}

// bpfAsm builds a program; jumps over long distances go through ja, whose
// offset is 32 bits, and are resolved by label at the end.
type bpfAsm struct {
	ins    []unix.SockFilter
	labels map[string]int
	fixups map[int]string // index of a ja → its label
}

func (a *bpfAsm) emit(code uint16, jt, jf uint8, k uint32) {
	a.ins = append(a.ins, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
}
func (a *bpfAsm) label(l string) { a.labels[l] = len(a.ins) }
func (a *bpfAsm) jump(l string) {
	a.fixups[len(a.ins)] = l
	a.emit(ja, 0, 0, 0)
}

func (a *bpfAsm) resolve() ([]unix.SockFilter, error) {
	for i, l := range a.fixups {
		t, ok := a.labels[l]
		if !ok || t <= i {
			return nil, fmt.Errorf("building the recording filter: bad jump to %q", l)
		}
		a.ins[i].K = uint32(t - i - 1)
	}
	return a.ins, nil
}

// chunk bounds how many comparisons share one "ret allow", so that every
// conditional jump to it stays within the 8 bits a jump offset has.
const chunk = 200

// Program returns the recording filter for a base: calls the base always
// allows return SECCOMP_RET_ALLOW, calls it allows under argument
// conditions are checked in the kernel where only allow rules speak, and
// every other call — any other syscall, number or architecture — returns
// SECCOMP_RET_USER_NOTIF. The recorder asks the base again about each
// notification, so the program only has to be right where it allows.
func Program(b *Base) ([]unix.SockFilter, error) {
	p, err := program(b, true)
	if err == nil && len(p) > maxInstructions {
		p, err = program(b, false)
	}
	if err != nil {
		return nil, err
	}
	if len(p) > maxInstructions {
		// Correct, only slower: the recorder decides every call.
		return []unix.SockFilter{{Code: ret, K: retNotify}}, nil
	}
	return p, nil
}

func program(b *Base, withConds bool) ([]unix.SockFilter, error) {
	a := &bpfAsm{labels: map[string]int{}, fixups: map[int]string{}}
	type block struct {
		audit  uint32
		arches []string // by ascending number base
	}
	var blocks []block
	for audit, names := range notify.AuditArches() {
		// Every ABI of a covered AUDIT_ARCH value gets its branch, the
		// uncovered ones a branch that notifies: x32's numbers must not
		// reach x86_64's comparisons.
		covered := slices.Clone(names)
		if !slices.ContainsFunc(names, b.Covers) {
			continue
		}
		sort.Slice(covered, func(i, j int) bool { return filter.NumberBase(covered[i]) < filter.NumberBase(covered[j]) })
		blocks = append(blocks, block{audit, covered})
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].audit < blocks[j].audit })

	// The init child's handshake, a number no syscall has: it tells the
	// recorder the filter is loaded, and waits until the recorder holds
	// the listener.
	a.emit(ldAbs, 0, 0, offNr)
	a.emit(jeq, 0, 1, handshakeNr)
	a.emit(ret, 0, 0, retNotify)
	a.emit(ldAbs, 0, 0, offArch)
	for _, bl := range blocks {
		a.emit(jeq, 0, 1, bl.audit)
		a.jump(fmt.Sprintf("audit-%x", bl.audit))
	}
	a.emit(ret, 0, 0, retNotify)

	type condBlock struct {
		label string
		arch  string
		rules []rules.Rule
	}
	var conds []condBlock
	for _, bl := range blocks {
		a.label(fmt.Sprintf("audit-%x", bl.audit))
		a.emit(ldAbs, 0, 0, offNr)
		// Higher bases first: x32's numbers carry bit 30.
		for i := len(bl.arches) - 1; i >= 0; i-- {
			arch := bl.arches[i]
			next := fmt.Sprintf("arch-%s-end", arch)
			if base := filter.NumberBase(arch); i > 0 {
				a.emit(jge, 1, 0, base)
				a.jump(next)
			}
			if !b.Covers(arch) {
				a.emit(ret, 0, 0, retNotify)
				a.label(next)
				continue
			}
			var allow []uint32
			for _, nr := range filter.Numbers(arch) {
				v, rs, pure := b.classify(arch, nr)
				switch {
				case v == always:
					allow = append(allow, nr)
				case v == depends && pure && withConds:
					l := fmt.Sprintf("cond-%s-%d", arch, nr)
					conds = append(conds, condBlock{l, arch, rs})
					a.emit(jeq, 0, 1, nr)
					a.jump(l)
				}
			}
			for c := range slices.Chunk(allow, chunk) {
				for j, nr := range c {
					a.emit(jeq, uint8(len(c)-j), 0, nr)
				}
				a.emit(ja, 0, 0, 1)
				a.emit(ret, 0, 0, retAllow)
			}
			a.emit(ret, 0, 0, retNotify)
			a.label(next)
		}
	}
	for _, cb := range conds {
		a.label(cb.label)
		narrow := is32(cb.arch)
		for _, r := range cb.rules {
			code := ruleCode(r.When, narrow)
			if len(code) > 250 {
				return nil, fmt.Errorf("building the recording filter: a rule of %d conditions", len(r.When))
			}
			a.ins = append(a.ins, code...)
		}
		a.emit(ret, 0, 0, retNotify)
	}
	return a.resolve()
}

// fail marks a jump to the end of the rule, fixed up by ruleCode.
const fail = 0xff

// ruleCode returns a rule's conditions, AND-ed, followed by "ret allow";
// a condition that fails jumps past the end.
func ruleCode(when []rules.Cond, narrow bool) []unix.SockFilter {
	var ins []unix.SockFilter
	var fails []struct {
		at int
		jt bool
	}
	emit := func(code uint16, jt, jf uint8, k uint32) {
		if jt == fail || jf == fail {
			fails = append(fails, struct {
				at int
				jt bool
			}{len(ins), jt == fail})
		}
		ins = append(ins, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
	}
	for _, c := range when {
		lo, hi := argOffsets(c.Arg)
		vlo, vhi := uint32(c.Value), uint32(c.Value>>32)
		mlo, mhi := uint32(c.Mask), uint32(c.Mask>>32)
		if narrow {
			vhi, mhi = 0, 0
		}
		switch c.Op {
		case rules.OpEQ, rules.OpMaskedEQ:
			if !narrow {
				emit(ldAbs, 0, 0, hi)
				if c.Op == rules.OpMaskedEQ {
					emit(and, 0, 0, mhi)
				}
				emit(jeq, 0, fail, vhi)
			}
			emit(ldAbs, 0, 0, lo)
			if c.Op == rules.OpMaskedEQ {
				emit(and, 0, 0, mlo)
			}
			emit(jeq, 0, fail, vlo)
		case rules.OpNE:
			if !narrow {
				emit(ldAbs, 0, 0, hi)
				emit(jeq, 0, 2, vhi)
			}
			emit(ldAbs, 0, 0, lo)
			emit(jeq, fail, 0, vlo)
		case rules.OpGT, rules.OpGE:
			if !narrow {
				emit(ldAbs, 0, 0, hi)
				emit(jgt, 3, 0, vhi)
				emit(jeq, 0, fail, vhi)
			}
			emit(ldAbs, 0, 0, lo)
			op := uint16(jgt)
			if c.Op == rules.OpGE {
				op = jge
			}
			emit(op, 0, fail, vlo)
		case rules.OpLT, rules.OpLE:
			if !narrow {
				emit(ldAbs, 0, 0, hi)
				emit(jgt, fail, 0, vhi)
				emit(jeq, 0, 2, vhi)
			}
			emit(ldAbs, 0, 0, lo)
			op := uint16(jge)
			if c.Op == rules.OpLE {
				op = jgt
			}
			emit(op, fail, 0, vlo)
		}
	}
	ins = append(ins, unix.SockFilter{Code: ret, K: retAllow})
	end := len(ins) // the first instruction after the rule
	for _, f := range fails {
		off := uint8(end - f.at - 1)
		if f.jt {
			ins[f.at].Jt = off
		} else {
			ins[f.at].Jf = off
		}
	}
	return ins
}
