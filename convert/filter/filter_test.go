package filter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

func decode(t testing.TB, prog []bpf.Instruction) *Program {
	t.Helper()
	p, err := Decode(testutil.AssembleBPF(t, prog))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const x8664 = 0xc000003e

// denyOpenat is a program in libseccomp's shape: kill other
// architectures, errno(EPERM) for openat, errno(EACCES) for socket when
// arg0 is AF_VSOCK, allow the rest.
var denyOpenat = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 4, Size: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: x8664, SkipFalse: 10},
	bpf.LoadAbsolute{Off: 0, Size: 4},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 257, SkipTrue: 5},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 41, SkipFalse: 5},
	bpf.LoadAbsolute{Off: 20, Size: 4}, // arg0 high
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipFalse: 3},
	bpf.LoadAbsolute{Off: 16, Size: 4}, // arg0 low
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.AF_VSOCK, SkipTrue: 2, SkipFalse: 1},
	bpf.RetConstant{Val: RetErrno | uint32(unix.EPERM)},
	bpf.RetConstant{Val: RetAllow},
	bpf.RetConstant{Val: RetErrno | uint32(unix.EACCES)},
	bpf.RetConstant{Val: RetKillThread},
}

func init() {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// The argument words above are laid out for a little-endian host.
		denyOpenat[5], denyOpenat[7] = bpf.LoadAbsolute{Off: 16, Size: 4}, bpf.LoadAbsolute{Off: 20, Size: 4}
	}
}

func TestRun(t *testing.T) {
	p := decode(t, denyOpenat)
	for _, tc := range []struct {
		name  string
		d     Data
		want  string
		steps int
	}{
		{"openat", Data{Nr: 257, Arch: x8664}, "errno(EPERM)", 5},
		{"read", Data{Nr: 0, Arch: x8664}, "allow", 6},
		{"socket AF_INET", Data{Nr: 41, Arch: x8664, Args: [6]uint64{unix.AF_INET}}, "allow", 10},
		{"socket AF_VSOCK", Data{Nr: 41, Arch: x8664, Args: [6]uint64{unix.AF_VSOCK}}, "errno(EACCES)", 10},
		{"socket AF_VSOCK with garbage above", Data{Nr: 41, Arch: x8664, Args: [6]uint64{1<<32 | unix.AF_VSOCK}}, "allow", 8},
		{"other architecture", Data{Nr: 257, Arch: 0x40000003}, "kill-thread", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Run(tc.d)
			if r.String() != tc.want || r.Steps != tc.steps {
				t.Errorf("got %v after %d instructions, want %s after %d", r, r.Steps, tc.want, tc.steps)
			}
			r2, pcs := p.Trace(tc.d)
			if r2 != r || len(pcs) != r.Steps || pcs[0] != 0 {
				t.Errorf("trace %v %v disagrees with run %v", r2, pcs, r)
			}
		})
	}
}

func TestActions(t *testing.T) {
	// The kernel's values, from x/sys rather than this package.
	for _, tc := range []struct {
		ret  uint32
		want string
	}{
		{unix.SECCOMP_RET_KILL_PROCESS, "kill-process"},
		{unix.SECCOMP_RET_KILL_THREAD, "kill-thread"},
		{unix.SECCOMP_RET_KILL_THREAD | 5, "kill-thread"},
		{unix.SECCOMP_RET_TRAP | 1, "trap"},
		{unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS), "errno(ENOSYS)"},
		{unix.SECCOMP_RET_ERRNO | 0xffff, "errno(4095)"}, // the kernel clamps to MAX_ERRNO
		{unix.SECCOMP_RET_USER_NOTIF, "notify"},
		{unix.SECCOMP_RET_TRACE | 7, "trace(7)"},
		{unix.SECCOMP_RET_LOG, "log"},
		{unix.SECCOMP_RET_ALLOW, "allow"},
		{0x12340000, "kill-process (unknown action 0x12340000)"},
	} {
		if got := (Result{Ret: tc.ret}).String(); got != tc.want {
			t.Errorf("%#x: got %q, want %q", tc.ret, got, tc.want)
		}
	}
}

func TestDataLayout(t *testing.T) {
	// struct seccomp_data from linux/seccomp.h, laid out by encoding/binary.
	type seccompData struct {
		Nr   int32
		Arch uint32
		IP   uint64
		Args [6]uint64
	}
	d := Data{Nr: -1, Arch: x8664, IP: 0x1122334455667788, Args: [6]uint64{1, 2, 3, 4, 5, 1 << 63}}
	var want bytes.Buffer
	if err := binary.Write(&want, binary.NativeEndian, seccompData(d)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.Bytes(), want.Bytes()) || len(want.Bytes()) != 64 {
		t.Errorf("got % x\nwant % x", d.Bytes(), want.Bytes())
	}
}

func TestDecodeRefuses(t *testing.T) {
	ret := bpf.RetConstant{Val: RetAllow}
	raw := func(op uint16, jt, jf uint8, k uint32) bpf.Instruction {
		return bpf.RawInstruction{Op: op, Jt: jt, Jf: jf, K: k}
	}
	long := make([]bpf.Instruction, MaxInstructions+1)
	for i := range long {
		long[i] = ret
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"partial instruction", make([]byte, 12), "not a whole number"},
		{"too long", testutil.AssembleBPF(t, long), "more than the kernel's 4096"},
		{"no return at the end", testutil.AssembleBPF(t, []bpf.Instruction{ret, bpf.LoadAbsolute{Off: 0, Size: 4}}), "is not a return"},
		{"load past seccomp_data", testutil.AssembleBPF(t, []bpf.Instruction{bpf.LoadAbsolute{Off: 64, Size: 4}, ret}), "not a 32-bit word"},
		{"unaligned load", testutil.AssembleBPF(t, []bpf.Instruction{bpf.LoadAbsolute{Off: 2, Size: 4}, ret}), "not a 32-bit word"},
		{"half-word load", testutil.AssembleBPF(t, []bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 2}, ret}), "does not allow"},
		{"packet indirect load", testutil.AssembleBPF(t, []bpf.Instruction{bpf.LoadIndirect{Off: 0, Size: 4}, ret}), "does not allow"},
		{"modulo", testutil.AssembleBPF(t, []bpf.Instruction{bpf.ALUOpConstant{Op: bpf.ALUOpMod, Val: 3}, ret}), "does not allow"},
		{"division by zero", testutil.AssembleBPF(t, []bpf.Instruction{raw(0x04|0x30, 0, 0, 0), ret}), "divides by zero"},
		{"shift too far", testutil.AssembleBPF(t, []bpf.Instruction{bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 32}, ret}), "shifts by 32"},
		{"jump past the end", testutil.AssembleBPF(t, []bpf.Instruction{bpf.Jump{Skip: 1}, ret}), "past the end"},
		{"conditional jump past the end", testutil.AssembleBPF(t, []bpf.Instruction{bpf.JumpIf{Cond: bpf.JumpEqual, SkipTrue: 1, SkipFalse: 0}, ret}), "past the end"},
		{"scratch slot 16", testutil.AssembleBPF(t, []bpf.Instruction{raw(0x02, 0, 0, 16), ret}), "scratch slot 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
}

func TestBytesRoundTrip(t *testing.T) {
	b := testutil.AssembleBPF(t, denyOpenat)
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Bytes(), b) || p.Len() != len(denyOpenat) {
		t.Errorf("Bytes differs from the decoded input")
	}
	if again := testutil.AssembleBPF(t, p.Instructions()); !bytes.Equal(again, b) {
		t.Errorf("Instructions do not assemble to the input")
	}
}

// TestDisassembly prints every kind of instruction seccomp allows.
func TestDisassembly(t *testing.T) {
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.LoadAbsolute{Off: 12, Size: 4},
		bpf.LoadAbsolute{Off: 60, Size: 4},
		bpf.LoadExtension{Num: bpf.ExtLen},
		bpf.LoadConstant{Dst: bpf.RegA, Val: 0x40000000},
		bpf.LoadConstant{Dst: bpf.RegX, Val: 7},
		bpf.StoreScratch{Src: bpf.RegA, N: 1},
		bpf.StoreScratch{Src: bpf.RegX, N: 2},
		bpf.LoadScratch{Dst: bpf.RegA, N: 1},
		bpf.LoadScratch{Dst: bpf.RegX, N: 2},
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xff},
		bpf.ALUOpX{Op: bpf.ALUOpAdd},
		bpf.NegateA{},
		bpf.TAX{},
		bpf.TXA{},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x40000000, SkipTrue: 1},
		bpf.JumpIfX{Cond: bpf.JumpGreaterThan, SkipFalse: 1},
		bpf.Jump{Skip: 1},
		bpf.RetA{},
		bpf.RetConstant{Val: RetErrno | 38},
	}
	testutil.Golden(t, "testdata/disassembly.golden", []byte(decode(t, prog).String()))
}

// xnetRun runs a program in x/net/bpf's VM, which reads words big-endian:
// each seccomp_data word is handed over byte-swapped, so that the VM loads
// the host's value.
func xnetRun(t testing.TB, prog []bpf.Instruction, d Data) (uint32, bool) {
	vm, err := bpf.NewVM(prog)
	if err != nil {
		return 0, false
	}
	in := d.Bytes()
	pkt := make([]byte, len(in))
	for i := 0; i < len(in); i += 4 {
		binary.BigEndian.PutUint32(pkt[i:], binary.NativeEndian.Uint32(in[i:]))
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("x/net/bpf: %v", err)
	}
	return uint32(n), true
}

// comparable reports whether x/net/bpf's VM means the same as the kernel
// for every instruction of a program: it has no NEG, loads X's "len" into
// A, and shifts by X unmasked.
func comparable(prog []bpf.Instruction) bool {
	for _, ins := range prog {
		switch ins := ins.(type) {
		case bpf.NegateA, bpf.RawInstruction:
			return false
		case bpf.LoadExtension:
			return false
		case bpf.ALUOpX:
			if ins.Op == bpf.ALUOpShiftLeft || ins.Op == bpf.ALUOpShiftRight {
				return false
			}
		}
	}
	return true
}

var vmInputs = []Data{
	{},
	{Nr: 257, Arch: x8664},
	{Nr: 41, Arch: x8664, Args: [6]uint64{unix.AF_VSOCK}},
	{Nr: 41, Arch: x8664, Args: [6]uint64{1<<32 | unix.AF_VSOCK, 3, 0, 0, 0, ^uint64(0)}},
	{Nr: -1, Arch: 0x40000003, IP: 0xdeadbeef, Args: [6]uint64{7, 0x8000000000000000, 5, 4, 3, 2}},
}

// TestAgainstXNetVM runs programs that use every kind of instruction in
// this VM and in x/net/bpf's, which is a separate implementation.
func TestAgainstXNetVM(t *testing.T) {
	alu := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 16, Size: 4},
		bpf.StoreScratch{Src: bpf.RegA, N: 3},
		bpf.LoadAbsolute{Off: 24, Size: 4},
		bpf.TAX{},
		bpf.LoadScratch{Dst: bpf.RegA, N: 3},
		bpf.ALUOpX{Op: bpf.ALUOpAdd},
		bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: 3},
		bpf.ALUOpX{Op: bpf.ALUOpDiv}, // by X = 0 ends the program with 0
		bpf.ALUOpConstant{Op: bpf.ALUOpXor, Val: 0x5a5a},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 4},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 2},
		bpf.ALUOpConstant{Op: bpf.ALUOpOr, Val: 1},
		bpf.ALUOpX{Op: bpf.ALUOpSub},
		bpf.JumpIfX{Cond: bpf.JumpGreaterOrEqual, SkipTrue: 1},
		bpf.RetA{},
		bpf.LoadAbsolute{Off: 8, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0xef, SkipTrue: 1},
		bpf.RetConstant{Val: RetTrap},
		bpf.LoadConstant{Dst: bpf.RegX, Val: 9},
		bpf.TXA{},
		bpf.RetA{},
	}
	for name, prog := range map[string][]bpf.Instruction{"deny-openat": denyOpenat, "alu": alu} {
		p := decode(t, prog)
		for _, d := range vmInputs {
			want, ok := xnetRun(t, prog, d)
			if !ok {
				t.Fatalf("%s: x/net/bpf refuses the program", name)
			}
			if got := p.Run(d).Ret; got != want {
				t.Errorf("%s on %+v: got %#x, x/net/bpf %#x", name, d, got, want)
			}
		}
	}
}

// FuzzRun checks this VM against x/net/bpf's on any program the kernel
// would load.
func FuzzRun(f *testing.F) {
	f.Add(testutil.AssembleBPF(f, denyOpenat), []byte{1, 1, 0, 0, 0x3e, 0, 0, 0xc0})
	f.Fuzz(func(t *testing.T, prog, data []byte) {
		p, err := Decode(prog)
		if err != nil {
			return
		}
		var d Data
		buf := make([]byte, dataSize)
		copy(buf, data)
		d.Nr = int32(binary.NativeEndian.Uint32(buf))
		d.Arch = binary.NativeEndian.Uint32(buf[4:])
		d.IP = binary.NativeEndian.Uint64(buf[8:])
		for i := range d.Args {
			d.Args[i] = binary.NativeEndian.Uint64(buf[16+8*i:])
		}
		ins := p.Instructions()
		r := p.Run(d)
		if r.Steps < 1 || r.Steps > p.Len() {
			t.Fatalf("%d steps in a %d-instruction program that only jumps forward", r.Steps, p.Len())
		}
		if !comparable(ins) {
			return
		}
		if want, ok := xnetRun(t, ins, d); ok && r.Ret != want {
			t.Fatalf("got %#x, x/net/bpf %#x\n%v", r.Ret, want, p)
		}
	})
}

func TestNumbers(t *testing.T) {
	for _, arch := range syscalls.Arches() {
		nrs := Numbers(arch)
		seen := map[uint32]bool{}
		for i, nr := range nrs {
			if i > 0 && nr <= nrs[i-1] {
				t.Fatalf("%s: numbers not ascending at %d", arch, i)
			}
			seen[nr] = true
		}
		base := NumberBase(arch)
		// Every syscall of the table is tried, and nearly all lie in
		// the range from the base.
		outside := 0
		for _, name := range syscalls.AllSyscalls() {
			if nr, ok := syscalls.SyscallNumber(arch, name); ok {
				if !seen[uint32(nr)] {
					t.Errorf("%s: %s (%d) is not tried", arch, name, nr)
				}
				if uint32(nr) < base || uint32(nr) >= base+NumberRange {
					outside++
				}
			}
		}
		if outside > 8 {
			t.Errorf("%s: %d syscalls lie outside %d+%d", arch, outside, base, NumberRange)
		}
		for _, nr := range []uint32{base, base + NumberRange - 1, maxSyscall(arch) + 1, 0x80000000} {
			if !seen[nr] {
				t.Errorf("%s: %#x is not tried", arch, nr)
			}
		}
	}
	if !slicesContain(Numbers("x32"), 0xffffffff) || slicesContain(Numbers("x86_64"), 0x40000000) {
		t.Error("x32 takes the numbers with bit 30, x86_64 the others")
	}
}

func slicesContain(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestAuditArch(t *testing.T) {
	for _, arch := range syscalls.Arches() {
		if _, err := AuditArch(arch); err != nil {
			t.Errorf("%s: %v", arch, err)
		}
	}
	a, _ := AuditArch("x32")
	b, _ := AuditArch("x86_64")
	if a != b || a != unix.AUDIT_ARCH_X86_64 {
		t.Errorf("x32 %#x and x86_64 %#x", a, b)
	}
	if _, err := AuditArch("amd64"); err == nil || !strings.Contains(err.Error(), `did you mean "x86_64"`) {
		t.Errorf("amd64: %v", err)
	}
}

func TestSyscall(t *testing.T) {
	if nr, err := Syscall("x32", "openat"); err != nil || nr != 0x40000101 {
		t.Errorf("x32 openat: %#x, %v", nr, err)
	}
	for arch, want := range map[string]string{
		"x86_64": `"opnat": did you mean "openat"?`,
		"x86":    "made through socketcall",
	} {
		name := map[string]string{"x86_64": "opnat", "x86": "recv"}[arch]
		if _, err := Syscall(arch, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s: %v, want %q", arch, name, err, want)
		}
	}
	if _, err := Syscall("aarch64", "open"); err == nil || !strings.Contains(err.Error(), "not a syscall on aarch64") {
		t.Errorf("aarch64 open: %v", err)
	}
}
