package record

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// The eBPF recorder: a program on the BTF-typed raw tracepoint sys_enter
// (tp_btf, so the kernel structures are read by direct loads rather than
// a helper call per field; the fast path runs on every call) counts the
// calls of the processes in one cgroup by (architecture, number, chosen
// arguments, executable's inode) in a kernel map; one on
// sched_process_exec names the executables by inode. The program is
// written with cilium/ebpf's asm package, so nothing needs a C compiler;
// the kernel structures' offsets come from the running kernel's BTF.
//
// sys_enter fires after seccomp: a call a filter denies is not seen. The
// program starts CMD into a fresh cgroup (clone3's CLONE_INTO_CGROUP), so
// that every descendant is counted from its first call and nothing else
// is; a process that leaves the cgroup leaves the recording.

// ebpfArches are the ABIs the program tells apart, by code in its key.
var ebpfArches = []string{"x86_64", "x86", "x32"}

// ebpfKey is the map's key, as the program writes it.
type ebpfKey struct {
	Arch   uint32
	Nr     uint32
	Values [2]uint64
	Ino    uint64
}

const (
	tsCompat     = 0x0002 // TS_COMPAT in thread_info.status: a 32-bit call
	maxEBPFKeys  = 1 << 16
	exeNameBytes = 256
)

// ErrEBPFUnsupported is returned where the eBPF recorder cannot run.
var ErrEBPFUnsupported = errors.New("the eBPF recorder is not available")

// kernelLayout holds the offsets the programs read at.
type kernelLayout struct {
	status, mm, exeFile, fInode, iIno uint32 // task_struct → … → inode.i_ino
	vforkDone, realParent, tgid       uint32 // task_struct: the recorder's fork child
	bprmFile, bprmFilename            uint32
	regs                              map[string]uint32 // pt_regs
}

func loadLayout(kernelTypes *btf.Cache) (*kernelLayout, error) {
	spec, err := kernelTypes.Kernel()
	if err != nil {
		return nil, fmt.Errorf("reading the kernel's BTF: %w", err)
	}
	off := func(typ string, path ...string) (uint32, error) {
		t, err := spec.AnyTypeByName(typ)
		if err != nil {
			return 0, fmt.Errorf("finding %s in the kernel's BTF: %w", typ, err)
		}
		var total uint32
		for _, name := range path {
			o, next, ok := member(t, name)
			if !ok {
				return 0, fmt.Errorf("finding %s.%s in the kernel's BTF", typ, strings.Join(path, "."))
			}
			total += o
			t = next
		}
		return total, nil
	}
	l := &kernelLayout{regs: map[string]uint32{}}
	for _, f := range []struct {
		dst  *uint32
		typ  string
		path []string
	}{
		{&l.status, "task_struct", []string{"thread_info", "status"}},
		{&l.mm, "task_struct", []string{"mm"}},
		{&l.exeFile, "mm_struct", []string{"exe_file"}},
		{&l.fInode, "file", []string{"f_inode"}},
		{&l.iIno, "inode", []string{"i_ino"}},
		{&l.vforkDone, "task_struct", []string{"vfork_done"}},
		{&l.realParent, "task_struct", []string{"real_parent"}},
		{&l.tgid, "task_struct", []string{"tgid"}},
		{&l.bprmFile, "linux_binprm", []string{"file"}},
		{&l.bprmFilename, "linux_binprm", []string{"filename"}},
	} {
		if *f.dst, err = off(f.typ, f.path...); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{"di", "si", "dx", "r10", "r8", "r9", "bx", "cx", "bp"} {
		if l.regs[r], err = off("pt_regs", r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// member finds a named member, looking into anonymous structs and unions
// too; it returns its offset in bytes and its type.
func member(t btf.Type, name string) (uint32, btf.Type, bool) {
	var ms []btf.Member
	switch s := btf.UnderlyingType(t).(type) {
	case *btf.Struct:
		ms = s.Members
	case *btf.Union:
		ms = s.Members
	default:
		return 0, nil, false
	}
	for _, m := range ms {
		if m.Name == name {
			return uint32(m.Offset.Bytes()), m.Type, true
		}
	}
	for _, m := range ms {
		if m.Name == "" {
			if o, typ, ok := member(m.Type, name); ok {
				return uint32(m.Offset.Bytes()) + o, typ, true
			}
		}
	}
	return 0, nil, false
}

// ebpfRecorder is the loaded programs, their maps and the cgroup.
type ebpfRecorder struct {
	cgroup  string   // the cgroup's directory
	cgDir   *os.File // for CLONE_INTO_CGROUP
	counts  *ebpf.Map
	exes    *ebpf.Map
	lost    *ebpf.Map
	allowed *ebpf.Map
	progs   []*ebpf.Program
	links   []link.Link
}

// cgroup2Mount finds where the unified cgroup hierarchy is mounted.
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" {
				return fields[4], nil
			}
		}
	}
	return "", fmt.Errorf("%w: no cgroup2 hierarchy is mounted", ErrEBPFUnsupported)
}

// ownCgroup is this process's cgroup in the unified hierarchy.
func ownCgroup() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "/"
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p
		}
	}
	return "/"
}

// startEBPF creates the cgroup and loads and attaches the programs.
func startEBPF(base *Base) (_ *ebpfRecorder, err error) {
	if runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("%w: it is built for x86_64 only", ErrEBPFUnsupported)
	}
	// One parse of the kernel's BTF serves the layout and both programs'
	// attach points; it is most of the set-up.
	kernelTypes := btf.NewCache()
	layout, err := loadLayout(kernelTypes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEBPFUnsupported, err)
	}
	mnt, err := cgroup2Mount()
	if err != nil {
		return nil, err
	}
	e := &ebpfRecorder{}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	var rnd [6]byte
	_, _ = unix.Getrandom(rnd[:], 0)
	e.cgroup = filepath.Join(mnt, ownCgroup(), fmt.Sprintf("oci-sbx-record-%d-%x", os.Getpid(), rnd))
	if err := os.Mkdir(e.cgroup, 0o755); err != nil {
		return nil, fmt.Errorf("%w: creating a cgroup: %w", ErrEBPFUnsupported, err)
	}
	if e.cgDir, err = os.Open(e.cgroup); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(e.cgDir.Fd()), &st); err != nil {
		return nil, err
	}
	cgid := st.Ino // a cgroup2 directory's inode is its cgroup id

	mk := func(spec *ebpf.MapSpec) (*ebpf.Map, error) {
		m, err := ebpf.NewMap(spec)
		if err != nil {
			return nil, fmt.Errorf("%w: creating map %s: %w", ErrEBPFUnsupported, spec.Name, err)
		}
		return m, nil
	}
	if e.counts, err = mk(&ebpf.MapSpec{Name: "sbx_counts", Type: ebpf.Hash, KeySize: 32, ValueSize: 8, MaxEntries: maxEBPFKeys}); err != nil {
		return nil, err
	}
	if e.exes, err = mk(&ebpf.MapSpec{Name: "sbx_exes", Type: ebpf.Hash, KeySize: 8, ValueSize: exeNameBytes, MaxEntries: 4096}); err != nil {
		return nil, err
	}
	if e.lost, err = mk(&ebpf.MapSpec{Name: "sbx_lost", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1}); err != nil {
		return nil, err
	}
	if e.allowed, err = mk(&ebpf.MapSpec{Name: "sbx_allowed", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: uint32(len(ebpfArches)) * 1024}); err != nil {
		return nil, err
	}
	// What the base allows whatever the arguments is not counted at all.
	for code, arch := range ebpfArches {
		for n := range uint32(1024) {
			nr := n + nrBase(arch)
			if v, _, _ := base.classify(arch, nr); v == always {
				if err := e.allowed.Put(uint32(code)*1024+n, uint32(1)); err != nil {
					return nil, err
				}
			}
		}
	}

	progs := map[string]*ebpf.ProgramSpec{}
	for name, p := range map[string]struct {
		tp    string
		insns asm.Instructions
	}{
		"sbx_sys_enter": {"sys_enter", sysEnterProgram(layout, cgid, e)},
		"sbx_exec":      {"sched_process_exec", execProgram(layout, cgid, e)},
	} {
		progs[name] = &ebpf.ProgramSpec{
			Name: name, Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp, AttachTo: p.tp,
			Instructions: p.insns, License: "GPL",
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(&ebpf.CollectionSpec{Programs: progs}, ebpf.CollectionOptions{Cache: kernelTypes})
	if err != nil {
		return nil, fmt.Errorf("%w: loading the programs: %w", ErrEBPFUnsupported, err)
	}
	for _, name := range slices.Sorted(maps.Keys(coll.Programs)) {
		prog := coll.Programs[name]
		e.progs = append(e.progs, prog)
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			return nil, fmt.Errorf("%w: attaching %s: %w", ErrEBPFUnsupported, name, err)
		}
		e.links = append(e.links, l)
	}
	return e, nil
}

// kernelTgid is this process's id as task_struct.tgid holds it: in the
// initial pid namespace, which differs from os.Getpid in a container or
// under unshare --pid. A program of type syscall, run once, reads it the
// way the tracepoint would; where that cannot run, os.Getpid is the
// answer outside a pid namespace.
func kernelTgid() int {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name: "sbx_tgid", Type: ebpf.Syscall, Flags: unix.BPF_F_SLEEPABLE, License: "GPL",
		Instructions: asm.Instructions{
			asm.FnGetCurrentPidTgid.Call(),
			asm.RSh.Imm(asm.R0, 32),
			asm.Return(),
		},
	})
	if err != nil {
		return os.Getpid()
	}
	defer prog.Close()
	ret, err := prog.Run(&ebpf.RunOptions{})
	if err != nil || ret == 0 {
		return os.Getpid()
	}
	return int(ret)
}

func nrBase(arch string) uint32 {
	if arch == "x32" {
		return filter.X32SyscallBit
	}
	return 0
}

// Stack slots of the sys_enter program (offsets from R10).
const (
	kArch    = -40
	kNr      = -36
	kValues  = -32
	kIno     = -16
	scratch  = -48
	one      = -56
	bpfExist = 1 // BPF_NOEXIST
)

// insertNew adds the key at the stack slot key with the value at the slot
// value to m unless m has the key already; R0 is the helper's result.
func insertNew(m *ebpf.Map, key, value int16) asm.Instructions {
	return asm.Instructions{
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, int32(key)),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, int32(value)),
		asm.Mov.Imm(asm.R4, bpfExist),
		asm.FnMapUpdateElem.Call(),
	}
}

// argRegs are the pt_regs fields holding a syscall's arguments, by ABI.
var argRegs = map[string][6]string{
	"x86_64": {"di", "si", "dx", "r10", "r8", "r9"},
	"x32":    {"di", "si", "dx", "r10", "r8", "r9"},
	"x86":    {"bx", "cx", "dx", "si", "di", "bp"},
}

// inCgroup starts a program: the context moves to R6, and a task outside
// the recorded cgroup goes to "exit" at once.
func inCgroup(cgid uint64) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentCgroupId.Call(),
		asm.LoadImm(asm.R1, int64(cgid), asm.DWord),
		asm.JNE.Reg(asm.R0, asm.R1, "exit"),
	}
}

func sysEnterProgram(l *kernelLayout, cgid uint64, e *ebpfRecorder) asm.Instructions {
	in := append(inCgroup(cgid),
		asm.LoadMem(asm.R7, asm.R6, 8, asm.DWord), // id
		asm.LoadMem(asm.R8, asm.R6, 0, asm.DWord), // struct pt_regs *
		asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R9, asm.R0),
		asm.Mov.Imm(asm.R1, 0),
		asm.StoreMem(asm.R10, kArch, asm.R1, asm.DWord),
		asm.StoreMem(asm.R10, kValues, asm.R1, asm.DWord),
		asm.StoreMem(asm.R10, kValues+8, asm.R1, asm.DWord),
		asm.StoreMem(asm.R10, kIno, asm.R1, asm.DWord),
		asm.StoreMem(asm.R10, kNr, asm.R7, asm.Word),
	)
	// The ABI: TS_COMPAT marks an i386 call; bit 30 of the number x32.
	in = append(in,
		asm.LoadMem(asm.R1, asm.R9, int16(l.status), asm.Word),
		asm.And.Imm(asm.R1, tsCompat),
		asm.JEq.Imm(asm.R1, 0, "native"),
		asm.StoreImm(asm.R10, kArch, 1, asm.Word),
		asm.Ja.Label("archdone"),
		asm.Mov.Reg(asm.R1, asm.R7).WithSymbol("native"),
		asm.And.Imm(asm.R1, filter.X32SyscallBit),
		asm.JEq.Imm(asm.R1, 0, "archdone"),
		asm.StoreImm(asm.R10, kArch, 2, asm.Word),
		// What the base always allows stops here.
		asm.LoadMem(asm.R1, asm.R10, kArch, asm.Word).WithSymbol("archdone"),
		asm.LSh.Imm(asm.R1, 10),
		asm.Mov.Reg(asm.R2, asm.R7),
		asm.And.Imm(asm.R2, filter.X32SyscallBit-1),
		asm.JGE.Imm(asm.R2, 1024, "args"),
		asm.Add.Reg(asm.R1, asm.R2),
		asm.StoreMem(asm.R10, scratch, asm.R1, asm.Word),
		asm.LoadMapPtr(asm.R1, e.allowed.FD()),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, scratch),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "args"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.JNE.Imm(asm.R1, 0, "exit"),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("args"),
	)
	// The chosen arguments of the calls that have them: the ABI is tested
	// once, then the number (R7's low word) against each of its calls.
	k := 0
	for code, arch := range ebpfArches {
		otherArch := fmt.Sprintf("arch%d", code)
		in = append(in,
			asm.LoadMem(asm.R1, asm.R10, kArch, asm.Word),
			asm.JNE.Imm(asm.R1, int32(code), otherArch),
		)
		for _, name := range slices.Sorted(maps.Keys(chosenArgs)) {
			nr, ok := syscalls.SyscallNumber(arch, name)
			if !ok {
				continue
			}
			next := fmt.Sprintf("next%d", k)
			k++
			in = append(in, asm.JNE.Imm32(asm.R7, int32(nr), next))
			for j, s := range chosenArgs[name] {
				in = append(in,
					asm.LoadMem(asm.R1, asm.R8, int16(l.regs[argRegs[arch][s.index]]), asm.DWord),
					asm.LoadImm(asm.R2, int64(s.mask), asm.DWord),
					asm.And.Reg(asm.R1, asm.R2),
					asm.StoreMem(asm.R10, kValues+int16(8*j), asm.R1, asm.DWord),
				)
			}
			in = append(in, asm.Ja.Label("exe"), asm.Mov.Imm(asm.R0, 0).WithSymbol(next))
		}
		in = append(in, asm.Ja.Label("exe"), asm.Mov.Imm(asm.R0, 0).WithSymbol(otherArch))
	}
	// The executable: task->mm->exe_file->f_inode->i_ino.
	in = append(in, asm.Mov.Imm(asm.R0, 0).WithSymbol("exe"))
	in = append(in,
		asm.LoadMem(asm.R1, asm.R9, int16(l.mm), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "fork"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.exeFile), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "fork"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.fInode), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "fork"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.iIno), asm.DWord),
		asm.StoreMem(asm.R10, kIno, asm.R1, asm.DWord),
	)
	// The recorder's own fork child before it execs CMD: Go starts CMD
	// with CLONE_VFORK, and task->vfork_done stays set until the execve.
	// Its calls are oci-sbx's, whatever CMD is — CMD may be oci-sbx
	// itself, so the executable cannot tell them apart — and are keyed
	// with forkChildIno.
	in = append(in,
		asm.LoadMem(asm.R1, asm.R9, int16(l.vforkDone), asm.DWord).WithSymbol("fork"),
		asm.JEq.Imm(asm.R1, 0, "count"),
		asm.LoadMem(asm.R1, asm.R9, int16(l.realParent), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "count"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.tgid), asm.Word),
		asm.JNE.Imm32(asm.R1, int32(kernelTgid()), "count"),
		asm.LoadImm(asm.R1, -1, asm.DWord),
		asm.StoreMem(asm.R10, kIno, asm.R1, asm.DWord),
	)
	// Count: add to an existing entry, or insert one.
	lookup := func(label string, m *ebpf.Map, key int16) asm.Instructions {
		return asm.Instructions{
			asm.LoadMapPtr(asm.R1, m.FD()).WithSymbol(label),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, int32(key)),
			asm.FnMapLookupElem.Call(),
		}
	}
	add := asm.Instructions{
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Ja.Label("exit"),
	}
	in = append(in, lookup("count", e.counts, kArch)...)
	in = append(in, asm.JEq.Imm(asm.R0, 0, "insert"))
	in = append(in, add...)
	in = append(in,
		asm.Mov.Imm(asm.R1, 1).WithSymbol("insert"),
		asm.StoreMem(asm.R10, one, asm.R1, asm.DWord),
	)
	in = append(in, insertNew(e.counts, kArch, one)...)
	in = append(in,
		asm.JEq.Imm(asm.R0, 0, "exit"),
		// Another thread inserted it first (EEXIST): add to that.
		asm.JNE.Imm(asm.R0, -int32(unix.EEXIST), "lost"),
	)
	in = append(in, lookup("again", e.counts, kArch)...)
	in = append(in, asm.JEq.Imm(asm.R0, 0, "lost"))
	in = append(in, add...)
	in = append(in, asm.Mov.Imm(asm.R1, 0).WithSymbol("lost"), asm.StoreMem(asm.R10, scratch, asm.R1, asm.DWord))
	in = append(in, lookup("lostmap", e.lost, scratch)...)
	in = append(in, asm.JEq.Imm(asm.R0, 0, "exit"))
	in = append(in, add[:2]...)
	in = append(in,
		asm.Mov.Imm(asm.R0, 0).WithSymbol("exit"),
		asm.Return(),
	)
	return in
}

// execProgram names each executable the cgroup's processes exec, by the
// inode the sys_enter program keys calls with.
func execProgram(l *kernelLayout, cgid uint64, e *ebpfRecorder) asm.Instructions {
	const (
		name = -exeNameBytes
		ino  = name - 8
	)
	in := append(inCgroup(cgid),
		asm.LoadMem(asm.R7, asm.R6, 16, asm.DWord), // struct linux_binprm *
		asm.LoadMem(asm.R1, asm.R7, int16(l.bprmFile), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "exit"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.fInode), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "exit"),
		asm.LoadMem(asm.R1, asm.R1, int16(l.iIno), asm.DWord),
		asm.StoreMem(asm.R10, ino, asm.R1, asm.DWord),
		asm.LoadMem(asm.R3, asm.R7, int16(l.bprmFilename), asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R10),
		asm.Add.Imm(asm.R1, name),
		asm.Mov.Imm(asm.R2, exeNameBytes),
		asm.FnProbeReadKernelStr.Call(),
	)
	// The first name an executable was run by stays: a later
	// "/proc/self/exe" says less.
	in = append(in, insertNew(e.exes, ino, name)...)
	in = append(in,
		asm.Mov.Imm(asm.R0, 0).WithSymbol("exit"),
		asm.Return(),
	)
	return in
}

// forkChildIno is the inode the sys_enter program keys the calls of the
// recorder's own fork child with, before it execs CMD.
const forkChildIno = ^uint64(0)

// collect reads the counts into a recording. Calls made by the recorder's
// fork child before it execs CMD are left out, except the execve itself,
// and so are the calls the base allows under conditions on the arguments
// the program keeps (the kernel skips only what it allows whatever the
// arguments), as the notify recorder leaves them out.
func (e *ebpfRecorder) collect(rec *Recording, base *Base) error {
	var lost uint64
	if err := e.lost.Lookup(uint32(0), &lost); err != nil {
		return fmt.Errorf("reading the eBPF counters: %w", err)
	}
	if lost > 0 {
		calls := fmt.Sprintf("%d calls", lost)
		if lost == 1 {
			calls = "1 call"
		}
		return fmt.Errorf("the eBPF map of calls filled up (%d kinds, %s not counted): record with --mode notify", maxEBPFKeys, calls)
	}
	names := map[uint64]string{}
	var ino uint64
	var name [exeNameBytes]byte
	it := e.exes.Iterate()
	for it.Next(&ino, &name) {
		names[ino] = canonical(string(bytes.TrimRight(name[:bytes.IndexByte(append(name[:], 0), 0)], "\x00")), ino)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("reading the eBPF map of executables: %w", err)
	}
	var k ebpfKey
	var n uint64
	it = e.counts.Iterate()
	for it.Next(&k, &n) {
		if int(k.Arch) >= len(ebpfArches) {
			continue
		}
		arch := ebpfArches[k.Arch]
		c := Call{Arch: arch, Nr: k.Nr, Values: k.Values}
		if k.Ino == forkChildIno && c.Name() != "execve" || base.allowsSeen(c) {
			continue
		}
		exe, ok := names[k.Ino]
		switch {
		case k.Ino == forkChildIno:
			exe = selfExe()
		case !ok:
			exe = "inode " + strconv.FormatUint(k.Ino, 10)
		}
		rec.addCount(c, exe, n)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("reading the eBPF map of calls: %w", err)
	}
	return nil
}

// canonical names an executable as the notify recorder does, as
// /proc/PID/exe names it (symlinks resolved: /usr/bin/true for a program
// run as /bin/true), where the name the program was run by still leads
// to the same inode; otherwise the name stays as it was run by.
func canonical(name string, ino uint64) string {
	if !filepath.IsAbs(name) {
		return name
	}
	p, err := filepath.EvalSymlinks(name)
	if err != nil {
		return name
	}
	var st unix.Stat_t
	if unix.Stat(p, &st) != nil || st.Ino != ino {
		return name
	}
	return p
}

func selfExe() string {
	p, err := os.Executable()
	if err != nil {
		return "oci-sbx"
	}
	return p
}

// members lists the processes still in the cgroup.
func (e *ebpfRecorder) members() []int {
	b, err := os.ReadFile(filepath.Join(e.cgroup, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var out []int
	for f := range strings.FieldsSeq(string(b)) {
		if p, err := strconv.Atoi(f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// close detaches the programs and removes the cgroup, moving processes
// still in it to this process's own cgroup first.
func (e *ebpfRecorder) close() {
	for _, l := range e.links {
		l.Close()
	}
	for _, p := range e.progs {
		p.Close()
	}
	for _, m := range []*ebpf.Map{e.counts, e.exes, e.lost, e.allowed} {
		if m != nil {
			m.Close()
		}
	}
	if e.cgDir != nil {
		e.cgDir.Close()
	}
	if e.cgroup == "" {
		return
	}
	if pids := e.members(); len(pids) > 0 {
		procs := filepath.Join(filepath.Dir(e.cgroup), "cgroup.procs")
		for _, p := range pids {
			_ = os.WriteFile(procs, []byte(strconv.Itoa(p)), 0)
		}
	}
	_ = os.Remove(e.cgroup)
}

// runEBPF is Run with the eBPF recorder: CMD starts in the recorder's
// cgroup, and the counts are read once it and its descendants are done.
func runEBPF(ctx context.Context, c Config, base *Base, path string, env []string, began time.Time) (*Result, error) {
	if c.Check != nil {
		return nil, fmt.Errorf("%w: --check needs every call's arguments, which the notify recorder has", ErrEBPFUnsupported)
	}
	e, err := startEBPF(base)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("becoming a child subreaper: %w", err)
	}
	files, wait, err := stdio(c.Stdin, c.Stdout, c.Stderr)
	if err != nil {
		return nil, err
	}
	defer wait()
	attr := &os.ProcAttr{Dir: c.Dir, Env: env, Files: files,
		Sys: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(e.cgDir.Fd())}}
	setup := time.Since(began)
	proc, err := os.StartProcess(path, c.Args, attr)
	for _, f := range files {
		f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("starting %q in the recorder's cgroup: %w", path, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = proc.Signal(unix.SIGTERM) })
	ws, cpu, werr := waitPid(proc.Pid)
	stop()
	elapsed := time.Since(began) - setup
	if werr != nil {
		return nil, fmt.Errorf("waiting for %q: %w", path, werr)
	}
	res := &Result{Recording: NewRecording(), Setup: setup, Elapsed: elapsed, CPU: cpu}
	// Descendants: reap those that ended, name those still running.
	linger := c.Linger
	if linger == 0 {
		linger = 100 * time.Millisecond
	}
	deadline := time.Now().Add(linger)
	for {
		reapZombies()
		if len(e.members()) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, pid := range e.members() {
		if state(pid) == 'Z' {
			continue
		}
		p := Process{Pid: pid}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
			p.Comm = strings.TrimSpace(string(b))
		}
		p.Exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		res.Leftovers = append(res.Leftovers, p)
	}
	for _, l := range e.links {
		l.Close()
	}
	e.links = nil
	if err := e.collect(res.Recording, base); err != nil {
		return nil, err
	}
	if ws.Signaled() {
		res.ExitCode, res.Signal = -1, ws.Signal()
	} else {
		res.ExitCode = ws.ExitStatus()
	}
	return res, nil
}
