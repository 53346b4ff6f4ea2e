package filter

import (
	"encoding/binary"
	"fmt"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Data is struct seccomp_data, what a program runs on.
type Data struct {
	Nr   int32     // the syscall number (x32 numbers carry bit 30)
	Arch uint32    // an AUDIT_ARCH_* value
	IP   uint64    // the instruction pointer
	Args [6]uint64 // the arguments, as the kernel presents them
}

// Bytes lays the record out as the kernel does, in host byte order.
func (d Data) Bytes() []byte {
	b := make([]byte, 0, dataSize)
	b = binary.NativeEndian.AppendUint32(b, uint32(d.Nr))
	b = binary.NativeEndian.AppendUint32(b, d.Arch)
	b = binary.NativeEndian.AppendUint64(b, d.IP)
	for _, a := range d.Args {
		b = binary.NativeEndian.AppendUint64(b, a)
	}
	return b
}

// SECCOMP_RET_* values and masks, from linux/seccomp.h.
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	RetActionMask uint32 = 0xffff0000 // SECCOMP_RET_ACTION_FULL
	RetDataMask   uint32 = 0x0000ffff // SECCOMP_RET_DATA
)

// maxErrno is the kernel's MAX_ERRNO: larger errno data is clamped to it.
const maxErrno = 4095

// Result is what a program returned for one syscall.
type Result struct {
	Ret   uint32 // the SECCOMP_RET_* value, with its data
	Steps int    // instructions executed
}

// Action is what the kernel does with the syscall for this return value.
// The kernel treats an action it does not know as kill-process, and
// clamps errno data to 4095.
func (r Result) Action() rules.Action {
	data := uint(r.Ret & RetDataMask)
	switch r.Ret & RetActionMask {
	case RetKillProcess:
		return rules.Action{Kind: rules.KillProcess}
	case RetKillThread:
		return rules.Action{Kind: rules.KillThread}
	case RetTrap:
		return rules.Action{Kind: rules.Trap}
	case RetErrno:
		return rules.Action{Kind: rules.Errno, Ret: min(data, maxErrno)}
	case RetUserNotif:
		return rules.Action{Kind: rules.Notify}
	case RetTrace:
		return rules.Action{Kind: rules.Trace, Ret: data}
	case RetLog:
		return rules.Action{Kind: rules.Log}
	case RetAllow:
		return rules.Action{Kind: rules.Allow}
	}
	return rules.Action{Kind: rules.KillProcess}
}

// String prints the action in rules syntax — allow, errno(EPERM),
// kill-process — and names a return value the kernel does not know.
func (r Result) String() string {
	s := r.Action().String()
	switch r.Ret & RetActionMask {
	case RetKillProcess, RetKillThread, RetTrap, RetErrno, RetUserNotif, RetTrace, RetLog, RetAllow:
		return s
	}
	return fmt.Sprintf("%s (unknown action %#x)", s, r.Ret)
}

// Run runs the program on a seccomp_data record, as the kernel's
// interpreter does, and returns what it returned and how many
// instructions that took.
func (p *Program) Run(d Data) Result {
	return p.run(d, nil)
}

// Trace is Run that also returns the index of every instruction executed,
// in order.
func (p *Program) Trace(d Data) (Result, []int) {
	var pcs []int
	r := p.run(d, func(pc int) { pcs = append(pcs, pc) })
	return r, pcs
}

func (p *Program) run(d Data, trace func(pc int)) Result {
	data := d.Bytes()
	var (
		a, x  uint32
		mem   [memWords]uint32
		steps int
	)
	// Decode checked every jump, so pc stays inside the program and the
	// last instruction returns.
	for pc := 0; ; pc++ {
		ins := p.raw[pc]
		steps++
		if trace != nil {
			trace(pc)
		}
		k := ins.K
		switch ins.Op {
		case clsLD | sizeW | modeABS:
			a = binary.NativeEndian.Uint32(data[k:])
		case clsLD | sizeW | modeLEN:
			a = dataSize
		case clsLDX | sizeW | modeLEN:
			x = dataSize
		case clsLD | modeIMM:
			a = k
		case clsLDX | modeIMM:
			x = k
		case clsLD | modeMEM:
			a = mem[k]
		case clsLDX | modeMEM:
			x = mem[k]
		case clsST:
			mem[k] = a
		case clsSTX:
			mem[k] = x
		case clsMISC | miscTAX:
			x = a
		case clsMISC | miscTXA:
			a = x
		case clsRET | srcK:
			return Result{Ret: k, Steps: steps}
		case clsRET | retA:
			return Result{Ret: a, Steps: steps}
		case clsALU | aluNEG:
			a = -a
		case clsJMP | jmpJA:
			pc += int(k)
		default:
			operand := k
			if ins.Op&srcX != 0 {
				operand = x
			}
			switch ins.Op & 0x07 {
			case clsALU:
				if ins.Op&0xf0 == aluDIV && operand == 0 {
					// The kernel's translation of a division by X
					// ends the program with 0 when X is 0.
					return Result{Ret: 0, Steps: steps}
				}
				a = alu(ins.Op&0xf0, a, operand)
			case clsJMP:
				if jump(ins.Op&0xf0, a, operand) {
					pc += int(ins.Jt)
				} else {
					pc += int(ins.Jf)
				}
			}
		}
	}
}

func alu(op uint16, a, v uint32) uint32 {
	switch op {
	case aluADD:
		return a + v
	case aluSUB:
		return a - v
	case aluMUL:
		return a * v
	case aluDIV:
		return a / v
	case aluOR:
		return a | v
	case aluAND:
		return a & v
	case aluXOR:
		return a ^ v
	case aluLSH:
		return a << (v & 31)
	case aluRSH:
		return a >> (v & 31)
	}
	panic("filter: unchecked ALU operation") // Decode admits no other
}

func jump(op uint16, a, v uint32) bool {
	switch op {
	case jmpJEQ:
		return a == v
	case jmpJGT:
		return a > v
	case jmpJGE:
		return a >= v
	case jmpJSET:
		return a&v != 0
	}
	panic("filter: unchecked jump") // Decode admits no other
}
