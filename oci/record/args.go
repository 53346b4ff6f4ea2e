package record

import "github.com/oci-sbx/oci-sbx/convert/rules"

// An argument the recorder keeps: the bits of one argument that say what
// the call does. Each becomes a masked compare in the profile,
// "argN & MASK == VALUE", with a 32-bit mask where the kernel reads an int.
type argSpec struct {
	index uint
	mask  uint64
}

// Namespace flags of clone and unshare (linux/sched.h). CLONE_NEWTIME
// shares its bit with the exit signal in clone's flags, so it counts for
// unshare (and clone3, whose flags seccomp cannot see) only.
const (
	cloneNamespaces = 0x00020000 | // CLONE_NEWNS
		0x02000000 | // CLONE_NEWCGROUP
		0x04000000 | // CLONE_NEWUTS
		0x08000000 | // CLONE_NEWIPC
		0x10000000 | // CLONE_NEWUSER
		0x20000000 | // CLONE_NEWPID
		0x40000000 // CLONE_NEWNET
	unshareNamespaces = cloneNamespaces | 0x00000080 // CLONE_NEWTIME
)

// sockTypeMask is SOCK_TYPE_MASK: the type without SOCK_NONBLOCK and
// SOCK_CLOEXEC.
const sockTypeMask = 0xf

// chosenArgs lists, per syscall, the arguments recorded. Everything else
// is recorded by syscall alone.
var chosenArgs = map[string][]argSpec{
	"socket":      {{0, 0xffffffff}, {1, sockTypeMask}}, // family, type
	"socketpair":  {{0, 0xffffffff}, {1, sockTypeMask}},
	"clone":       {{0, cloneNamespaces}},   // namespaces it creates
	"unshare":     {{0, unshareNamespaces}}, // namespaces it creates
	"setns":       {{1, 0xffffffff}},        // nstype
	"personality": {{0, 0xffffffff}},        // persona (0xffffffff queries)
	"prctl":       {{0, 0xffffffff}},        // option
	"ioctl":       {{1, 0xffffffff}},        // request
	"socketcall":  {{0, 0xffffffff}},        // which socket call; its arguments are behind a pointer
}

// hiddenArgs says where a syscall's telling arguments are behind a
// pointer, out of a filter's reach, or where a syscall lets a program do
// more than the calls a filter or the recorder sees (io_uring).
var hiddenArgs = map[string]string{
	"io_uring_setup": ioURing,
	"io_uring_enter": ioURing,
	"clone3":         "clone3's flags are in struct clone_args behind a pointer: seccomp cannot check which namespaces it creates",
	"socketcall":     "socketcall's arguments are behind a pointer: seccomp cannot check the socket family; only which call is made",
	"ipc":            "ipc's arguments are partly behind a pointer: only the call number could be checked",
}

// ioURing is the note on io_uring's calls: the operations a ring carries
// out (open, connect, …) are not syscalls.
const ioURing = "io_uring's operations (open, read, connect, …) run in the kernel without a syscall: seccomp and this recording see none of them, and the profile allows them all"

// maxValues bounds the distinct argument values kept per syscall and
// architecture. Past it the syscall is recorded unconditionally, with a
// note: a program that tries every ioctl request needs ioctl, not a list.
const maxValues = 64

// conds turns recorded values into conditions.
func conds(name string, vals [2]uint64) []rules.Cond {
	specs := chosenArgs[name]
	out := make([]rules.Cond, len(specs))
	for i, s := range specs {
		out[i] = rules.Cond{Arg: s.index, Op: rules.OpMaskedEQ, Mask: s.mask, Value: vals[i] & s.mask}
	}
	return out
}
