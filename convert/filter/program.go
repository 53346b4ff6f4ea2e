package filter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// MaxInstructions is the kernel's limit on the length of a program
// (BPF_MAXINSNS).
const MaxInstructions = 4096

// instructionSize is sizeof(struct sock_filter).
const instructionSize = 8

// dataSize is sizeof(struct seccomp_data): what BPF_LEN loads.
const dataSize = 64

// Classic BPF opcodes, from linux/filter.h and linux/bpf_common.h.
const (
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	sizeW = 0x00

	modeIMM = 0x00
	modeABS = 0x20
	modeLEN = 0x80
	modeMEM = 0x60

	srcK = 0x00
	srcX = 0x08

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluXOR = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80

	memWords = 16 // BPF_MEMWORDS
)

// ErrInvalid is wrapped by every error Decode returns for a program the
// kernel would refuse to load.
var ErrInvalid = errors.New("invalid seccomp program")

// Program is a seccomp BPF program.
type Program struct {
	raw []bpf.RawInstruction
}

// Decode reads a program as raw struct sock_filter bytes in host byte
// order — what seccomp(2), PTRACE_SECCOMP_GET_FILTER, bwrap --seccomp and
// crun's run.oci.seccomp_bpf_data use — and checks it as the kernel does
// before loading: length, the instructions seccomp allows, loads inside
// seccomp_data, jumps inside the program, and a return at the end.
func Decode(b []byte) (*Program, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(b)%instructionSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte instructions", ErrInvalid, len(b), instructionSize)
	}
	n := len(b) / instructionSize
	if n > MaxInstructions {
		return nil, fmt.Errorf("%w: %d instructions, more than the kernel's %d", ErrInvalid, n, MaxInstructions)
	}
	p := &Program{raw: make([]bpf.RawInstruction, n)}
	for i := range p.raw {
		w := b[i*instructionSize:]
		p.raw[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(w),
			Jt: w[2],
			Jf: w[3],
			K:  binary.NativeEndian.Uint32(w[4:]),
		}
	}
	for i, ins := range p.raw {
		if err := check(ins, i, n); err != nil {
			return nil, fmt.Errorf("%w: instruction %d (%s): %v", ErrInvalid, i, describe(ins, i), err)
		}
	}
	if cls := p.raw[n-1].Op & 0x07; cls != clsRET {
		return nil, fmt.Errorf("%w: the last instruction (%s) is not a return", ErrInvalid, describe(p.raw[n-1], n-1))
	}
	return p, nil
}

// check applies the kernel's bpf_check_classic and seccomp_check_filter to
// one instruction at index i of a program of n.
func check(ins bpf.RawInstruction, i, n int) error {
	k := ins.K
	switch ins.Op {
	case clsLD | sizeW | modeABS:
		if k >= dataSize || k%4 != 0 {
			return fmt.Errorf("loads offset %d, which is not a 32-bit word of the %d-byte seccomp_data", k, dataSize)
		}
	case clsLD | sizeW | modeLEN, clsLDX | sizeW | modeLEN,
		clsLD | modeIMM, clsLDX | modeIMM, clsMISC | miscTAX, clsMISC | miscTXA,
		clsRET | srcK, clsRET | retA, clsALU | aluNEG:
	case clsLD | modeMEM, clsLDX | modeMEM, clsST, clsSTX:
		if k >= memWords {
			return fmt.Errorf("scratch slot %d is out of range (0-%d)", k, memWords-1)
		}
	case clsALU | aluADD | srcK, clsALU | aluSUB | srcK, clsALU | aluMUL | srcK,
		clsALU | aluOR | srcK, clsALU | aluAND | srcK, clsALU | aluXOR | srcK,
		clsALU | aluADD | srcX, clsALU | aluSUB | srcX, clsALU | aluMUL | srcX, clsALU | aluDIV | srcX,
		clsALU | aluOR | srcX, clsALU | aluAND | srcX, clsALU | aluXOR | srcX,
		clsALU | aluLSH | srcX, clsALU | aluRSH | srcX:
	case clsALU | aluDIV | srcK:
		if k == 0 {
			return errors.New("divides by zero")
		}
	case clsALU | aluLSH | srcK, clsALU | aluRSH | srcK:
		if k >= 32 {
			return fmt.Errorf("shifts by %d", k)
		}
	case clsJMP | jmpJA:
		if uint64(k) >= uint64(n-i-1) {
			return fmt.Errorf("jumps %d past the end", k)
		}
	case clsJMP | jmpJEQ | srcK, clsJMP | jmpJGT | srcK, clsJMP | jmpJGE | srcK, clsJMP | jmpJSET | srcK,
		clsJMP | jmpJEQ | srcX, clsJMP | jmpJGT | srcX, clsJMP | jmpJGE | srcX, clsJMP | jmpJSET | srcX:
		if int(ins.Jt) >= n-i-1 || int(ins.Jf) >= n-i-1 {
			return fmt.Errorf("jumps %d or %d past the end", ins.Jt, ins.Jf)
		}
	default:
		return errors.New("seccomp does not allow this instruction")
	}
	return nil
}

// describe prints an instruction at index pc in assembler notation, with
// jump targets as instruction indexes, seccomp_data fields named and
// return values decoded.
func describe(ins bpf.RawInstruction, pc int) string {
	k := ins.K
	num := func(v uint32) string { return "#" + FormatNumber(uint64(v)) }
	target := func(skip uint32) string { return strconv.Itoa(pc + 1 + int(skip)) }
	aluNames := map[uint16]string{aluADD: "add", aluSUB: "sub", aluMUL: "mul", aluDIV: "div", aluOR: "or",
		aluAND: "and", aluLSH: "lsh", aluRSH: "rsh", aluXOR: "xor"}
	jmpNames := map[uint16]string{jmpJEQ: "jeq", jmpJGT: "jgt", jmpJGE: "jge", jmpJSET: "jset"}
	switch ins.Op {
	case clsLD | sizeW | modeABS:
		return fmt.Sprintf("ld   [%d]%s", k, dataField(k))
	case clsLD | sizeW | modeLEN:
		return "ld   #len"
	case clsLDX | sizeW | modeLEN:
		return "ldx  #len"
	case clsLD | modeIMM:
		return "ld   " + num(k)
	case clsLDX | modeIMM:
		return "ldx  " + num(k)
	case clsLD | modeMEM:
		return fmt.Sprintf("ld   M[%d]", k)
	case clsLDX | modeMEM:
		return fmt.Sprintf("ldx  M[%d]", k)
	case clsST:
		return fmt.Sprintf("st   M[%d]", k)
	case clsSTX:
		return fmt.Sprintf("stx  M[%d]", k)
	case clsMISC | miscTAX:
		return "tax"
	case clsMISC | miscTXA:
		return "txa"
	case clsALU | aluNEG:
		return "neg"
	case clsRET | srcK:
		return fmt.Sprintf("ret  %s  ; %v", num(k), Result{Ret: k})
	case clsRET | retA:
		return "ret  a"
	case clsJMP | jmpJA:
		return "ja   " + target(k)
	}
	operand := num(k)
	if ins.Op&srcX != 0 {
		operand = "x"
	}
	switch ins.Op & 0x07 {
	case clsALU:
		if name, ok := aluNames[ins.Op&0xf0]; ok {
			return fmt.Sprintf("%-4s %s", name, operand)
		}
	case clsJMP:
		if name, ok := jmpNames[ins.Op&0xf0]; ok {
			return fmt.Sprintf("%-4s %s  jt %s  jf %s", name, operand, target(uint32(ins.Jt)), target(uint32(ins.Jf)))
		}
	}
	return fmt.Sprintf("op %#04x jt %d jf %d k %#x", ins.Op, ins.Jt, ins.Jf, k)
}

// dataField names the seccomp_data word at an offset.
func dataField(off uint32) string {
	little := binary.NativeEndian.Uint16([]byte{1, 0}) == 1
	half := func(rel uint32) string {
		if (rel == 0) == little {
			return "low"
		}
		return "high"
	}
	switch {
	case off == 0:
		return "  ; nr"
	case off == 4:
		return "  ; arch"
	case off == 8 || off == 12:
		return "  ; ip " + half(off-8)
	case off >= 16 && off < dataSize:
		return fmt.Sprintf("  ; arg%d %s", (off-16)/8, half((off-16)%8))
	}
	return ""
}

// Len is the number of instructions.
func (p *Program) Len() int { return len(p.raw) }

// Bytes returns the program as raw struct sock_filter bytes in host byte
// order.
func (p *Program) Bytes() []byte {
	b := make([]byte, 0, len(p.raw)*instructionSize)
	for _, ins := range p.raw {
		b = binary.NativeEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.NativeEndian.AppendUint32(b, ins.K)
	}
	return b
}

// Instructions returns the program in golang.org/x/net/bpf form.
func (p *Program) Instructions() []bpf.Instruction {
	out := make([]bpf.Instruction, len(p.raw))
	for i, ins := range p.raw {
		out[i] = ins.Disassemble()
	}
	return out
}

// String disassembles the program, one numbered instruction a line.
func (p *Program) String() string {
	var b strings.Builder
	for i, ins := range p.raw {
		fmt.Fprintf(&b, "%4d  %s\n", i, describe(ins, i))
	}
	return b.String()
}
