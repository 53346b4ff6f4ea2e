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
			code, err := searchTree(b, arch, withConds)
			if err != nil {
				return nil, err
			}
			a.ins = append(a.ins, code...)
			a.label(next)
		}
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

// span is a run of consecutive syscall numbers the filter treats alike:
// from lo up to the next span's lo.
type span struct {
	lo   uint32
	leaf []unix.SockFilter // what the filter does with them
}

// searchTree returns the code that decides one ABI's calls, the number in
// A: a balanced binary search over the spans of numbers that share a
// verdict, so that a call costs about log2 of their count in comparisons
// rather than a scan of every allowed number. Only the number is read on
// the way to a call the base allows whatever the arguments, which keeps
// those calls in the kernel's action cache.
func searchTree(b *Base, arch string, withConds bool) ([]unix.SockFilter, error) {
	allow := []unix.SockFilter{{Code: ret, K: retAllow}}
	notified := []unix.SockFilter{{Code: ret, K: retNotify}}
	// A number outside filter.Numbers has no syscall: the base's default
	// decides it, as it decides every number between them.
	gap := notified
	if lets(b.def) {
		gap = allow
	}
	spans := []span{{0, gap}}
	add := func(lo uint32, leaf []unix.SockFilter) {
		last := &spans[len(spans)-1]
		if last.lo == lo {
			last.leaf = leaf
		} else {
			spans = append(spans, span{lo, leaf})
		}
	}
	kind := func(leaf []unix.SockFilter) string {
		switch {
		case len(leaf) == 1 && leaf[0].K == retAllow:
			return "allow"
		case len(leaf) == 1 && leaf[0].K == retNotify:
			return "notify"
		}
		return "cond"
	}
	nrs := slices.Compact(slices.Sorted(slices.Values(filter.Numbers(arch))))
	for i, nr := range nrs {
		leaf := notified
		v, rs, pure := b.classify(arch, nr)
		switch {
		case v == always:
			leaf = allow
		case v == depends && pure && withConds:
			leaf = nil
			narrow := is32(arch)
			for _, r := range rs {
				code := ruleCode(r.When, narrow)
				if len(code) > 250 {
					return nil, fmt.Errorf("building the recording filter: a rule of %d conditions", len(r.When))
				}
				leaf = append(leaf, code...)
			}
			leaf = append(leaf, unix.SockFilter{Code: ret, K: retNotify})
		}
		// A span of one kind runs on while the numbers are consecutive;
		// each conditional call is a span of its own.
		k := kind(leaf)
		if k == "cond" || k != kind(spans[len(spans)-1].leaf) {
			add(nr, leaf)
		}
		if nr != ^uint32(0) && (i+1 == len(nrs) || nrs[i+1] != nr+1) && (k == "cond" || k != kind(gap)) {
			add(nr+1, gap)
		}
	}
	return tree(spans), nil
}

// tree lays out the search over spans: "jge" the middle span's first
// number, the upper half inline after it, the lower half after that
// (reached through "ja" when it is beyond a jump offset's 8 bits).
func tree(spans []span) []unix.SockFilter {
	if len(spans) == 1 {
		return spans[0].leaf
	}
	mid := len(spans) / 2
	upper, lower := tree(spans[mid:]), tree(spans[:mid])
	if len(upper) <= 0xff {
		out := []unix.SockFilter{{Code: jge, Jt: 0, Jf: uint8(len(upper)), K: spans[mid].lo}}
		out = append(out, upper...)
		return append(out, lower...)
	}
	out := []unix.SockFilter{{Code: jge, Jt: 1, Jf: 0, K: spans[mid].lo}, {Code: ja, K: uint32(len(upper))}}
	out = append(out, upper...)
	return append(out, lower...)
}
