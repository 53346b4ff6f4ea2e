package rules

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// Pos is a position in a source file; the zero Pos means "unknown".
type Pos = tree.Pos

// Error is one positioned problem in a source file. It prints as
// "file:line:col: message", the form editors jump to.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	}
	if e.Pos.IsValid() {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d:%d", e.Pos.Line, max(e.Pos.Col, 1))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(suggest.Clip(e.Msg))
	return b.String()
}

// ErrorList is every problem found in one source, sorted by position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns nil for an empty list, the sorted list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Pos.Line != l[j].Pos.Line {
			return l[i].Pos.Line < l[j].Pos.Line
		}
		return l[i].Pos.Col < l[j].Pos.Col
	})
	return l
}

func (l *ErrorList) add(file string, pos Pos, format string, args ...any) {
	*l = append(*l, &Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// ActionKind is what the kernel does with a matched syscall.
type ActionKind int

const (
	Allow ActionKind = iota
	Errno
	KillProcess
	KillThread
	Trap
	Log
	Notify
	Trace
)

var actionNames = [...]string{
	Allow:       "allow",
	Errno:       "errno",
	KillProcess: "kill-process",
	KillThread:  "kill-thread",
	Trap:        "trap",
	Log:         "log",
	Notify:      "notify",
	Trace:       "trace",
}

var actionSpecs = [...]specs.LinuxSeccompAction{
	Allow:       specs.ActAllow,
	Errno:       specs.ActErrno,
	KillProcess: specs.ActKillProcess,
	KillThread:  specs.ActKillThread,
	Trap:        specs.ActTrap,
	Log:         specs.ActLog,
	Notify:      specs.ActNotify,
	Trace:       specs.ActTrace,
}

// Action is a seccomp action with its return value: the errno for Errno,
// the tracer message for Trace.
type Action struct {
	Kind ActionKind
	Ret  uint
}

// IsDeny reports whether the action stops the syscall from running.
func (a Action) IsDeny() bool {
	switch a.Kind {
	case Errno, KillProcess, KillThread, Trap, Trace:
		return true
	}
	return false
}

// String prints the action in rules syntax: allow, errno(EPERM), kill-process…
func (a Action) String() string {
	switch a.Kind {
	case Errno:
		return "errno(" + syscalls.ErrnoName(a.Ret) + ")"
	case Trace:
		return "trace(" + strconv.FormatUint(uint64(a.Ret), 10) + ")"
	}
	return actionNames[a.Kind]
}

// ErrZeroErrno is returned for errno(0): the call would report success
// without having run.
var ErrZeroErrno = errors.New("errno(0) makes the syscall report success without running it; use allow, or a real errno such as EPERM")

// MaxErrno is the largest errno a rule can return: libseccomp 2.5.4
// refuses SCMP_ACT_ERRNO(4095) and above (seccomp_rule_add and
// seccomp_init return -EINVAL), so such a profile never loads.
const MaxErrno = 4094

// MaxTrace is the largest message a trace action carries to the tracer
// (SECCOMP_RET_DATA is 16 bits; runc truncates a larger errnoRet).
const MaxTrace = 0xffff

func errnoRange(n uint) error {
	return fmt.Errorf("errno %d cannot load: libseccomp refuses an errno above %d (it fails with \"two checks on same syscall argument\" in runc)", n, MaxErrno)
}

// ParseAction parses an action in rules syntax. "kill" means kill-process.
func ParseAction(s string) (Action, error) {
	s = strings.TrimSpace(s)
	name, arg, hasArg := s, "", false
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return Action{}, fmt.Errorf("action %s: missing closing parenthesis", suggest.Quote(s))
		}
		name, arg, hasArg = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:len(s)-1]), true
	}
	switch name {
	case "errno":
		if !hasArg {
			return Action{}, fmt.Errorf("action %s needs an errno, as in errno(EPERM)", suggest.Quote(s))
		}
		n, err := syscalls.ParseErrno(arg)
		if err != nil {
			return Action{}, err
		}
		if n == 0 {
			return Action{}, ErrZeroErrno
		}
		if n > MaxErrno {
			return Action{}, errnoRange(n)
		}
		return Action{Kind: Errno, Ret: n}, nil
	case "trace":
		var n uint64
		if hasArg {
			var err error
			if n, err = strconv.ParseUint(arg, 0, 16); err != nil {
				return Action{}, fmt.Errorf("action %s: trace takes a message number from 0 to %d", suggest.Quote(s), MaxTrace)
			}
		}
		return Action{Kind: Trace, Ret: uint(n)}, nil
	case "kill":
		name = "kill-process"
	}
	for k, n := range actionNames {
		if n == name && k != int(Errno) && k != int(Trace) {
			if hasArg {
				return Action{}, fmt.Errorf("action %q takes no argument", name)
			}
			return Action{Kind: ActionKind(k)}, nil
		}
	}
	msg := fmt.Sprintf("unknown action %s (want allow, errno(NAME), kill-process, kill-thread, trap, log, notify or trace(N))", suggest.Quote(s))
	if sug := suggest.Closest(name, actionNames[:]); len(name) <= 4*suggest.MaxQuoted && sug != "" {
		msg = fmt.Sprintf("unknown action %s: did you mean %q?", suggest.Quote(s), sug)
	}
	return Action{}, errors.New(msg)
}

// Spec returns the OCI form of the action.
func (a Action) Spec() (specs.LinuxSeccompAction, *uint) {
	if a.Kind == Errno || a.Kind == Trace {
		ret := a.Ret
		return actionSpecs[a.Kind], &ret
	}
	return actionSpecs[a.Kind], nil
}

// ActionFromSpec reads an OCI action the way runc does: SCMP_ACT_KILL is
// kill-thread, an errno action without errnoRet returns EPERM, and errnoRet
// on any other action is ignored.
func ActionFromSpec(act specs.LinuxSeccompAction, ret *uint) (Action, error) {
	if act == specs.ActKill {
		return Action{Kind: KillThread}, nil
	}
	for k, s := range actionSpecs {
		if s != act {
			continue
		}
		a := Action{Kind: ActionKind(k)}
		switch a.Kind {
		case Errno:
			a.Ret = 1 // EPERM, as runc and Docker default it
			if ret != nil {
				if *ret == 0 {
					return Action{}, ErrZeroErrno
				}
				a.Ret = *ret
			}
			if a.Ret > MaxErrno {
				return Action{}, errnoRange(a.Ret)
			}
		case Trace:
			a.Ret = 1 // EPERM, as runc defaults it
			if ret != nil {
				a.Ret = *ret
			}
			if a.Ret > MaxTrace {
				return Action{}, fmt.Errorf("trace message %d is out of range (0-%d): the kernel carries 16 bits, and runc would pass %d", a.Ret, MaxTrace, a.Ret&MaxTrace)
			}
		}
		return a, nil
	}
	return Action{}, fmt.Errorf("unknown seccomp action %s", suggest.Quote(string(act)))
}

// Op is a comparison operator of a condition.
type Op int

const (
	OpEQ Op = iota
	OpNE
	OpLT
	OpLE
	OpGT
	OpGE
	OpMaskedEQ
)

var opSyntax = [...]string{OpEQ: "==", OpNE: "!=", OpLT: "<", OpLE: "<=", OpGT: ">", OpGE: ">=", OpMaskedEQ: "=="}

var opSpecs = [...]specs.LinuxSeccompOperator{
	OpEQ: specs.OpEqualTo, OpNE: specs.OpNotEqual, OpLT: specs.OpLessThan, OpLE: specs.OpLessEqual,
	OpGT: specs.OpGreaterThan, OpGE: specs.OpGreaterEqual, OpMaskedEQ: specs.OpMaskedEqual,
}

// Cond is one condition on a syscall argument: "argN OP VALUE", or for
// OpMaskedEQ "argN & MASK == VALUE". Comparisons are unsigned 64-bit, as
// the kernel's seccomp_data presents them.
type Cond struct {
	Arg   uint
	Op    Op
	Mask  uint64 // OpMaskedEQ only
	Value uint64
	Pos   Pos
}

// String prints the condition in rules syntax with numbers in hex where
// that reads better than decimal.
func (c Cond) String() string {
	if c.Op == OpMaskedEQ {
		return fmt.Sprintf("arg%d & %s == %s", c.Arg, formatValue(c.Mask), formatValue(c.Value))
	}
	return fmt.Sprintf("arg%d %s %s", c.Arg, opSyntax[c.Op], formatValue(c.Value))
}

func formatValue(v uint64) string {
	if v < 4096 {
		return strconv.FormatUint(v, 10)
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// Spec returns the OCI form of the condition.
func (c Cond) Spec() specs.LinuxSeccompArg {
	if c.Op == OpMaskedEQ {
		return specs.LinuxSeccompArg{Index: c.Arg, Value: c.Mask, ValueTwo: c.Value, Op: specs.OpMaskedEqual}
	}
	return specs.LinuxSeccompArg{Index: c.Arg, Value: c.Value, Op: opSpecs[c.Op]}
}

// CondFromSpec reads an OCI argument condition. valueTwo matters only for
// SCMP_CMP_MASKED_EQ, where value is the mask.
func CondFromSpec(a specs.LinuxSeccompArg) (Cond, error) {
	if a.Index > 5 {
		return Cond{}, fmt.Errorf("argument index %d is out of range (0-5)", a.Index)
	}
	for op, s := range opSpecs {
		if s != a.Op {
			continue
		}
		if Op(op) == OpMaskedEQ {
			c := Cond{Arg: a.Index, Op: OpMaskedEQ, Mask: a.Value, Value: a.ValueTwo}
			if err := c.Check(); err != nil {
				return Cond{}, err
			}
			return c, nil
		}
		if a.ValueTwo != 0 {
			return Cond{}, fmt.Errorf("valueTwo %#x on %s: only SCMP_CMP_MASKED_EQ reads valueTwo; runc ignores it here, so the condition is not the one written (drop valueTwo, or use SCMP_CMP_MASKED_EQ with value as the mask)", a.ValueTwo, a.Op)
		}
		return Cond{Arg: a.Index, Op: Op(op), Value: a.Value}, nil
	}
	return Cond{}, fmt.Errorf("unknown comparison operator %q", a.Op)
}

// Check refuses a condition that cannot mean what it says: a masked
// equality whose value has bits outside its mask never holds as written,
// and libseccomp masks the value, so it would match other values.
func (c Cond) Check() error {
	if c.Op == OpMaskedEQ && c.Value&^c.Mask != 0 {
		return fmt.Errorf("masked equality \"arg%d & %s == %s\" can never hold: the value has bits outside the mask (%s); libseccomp would mask the value and match \"arg%d & %s == %s\" instead",
			c.Arg, formatValue(c.Mask), formatValue(c.Value), formatValue(c.Value&^c.Mask), c.Arg, formatValue(c.Mask), formatValue(c.Value&c.Mask))
	}
	return nil
}

// Matches reports whether an argument value satisfies the condition.
func (c Cond) Matches(v uint64) bool {
	switch c.Op {
	case OpEQ:
		return v == c.Value
	case OpNE:
		return v != c.Value
	case OpLT:
		return v < c.Value
	case OpLE:
		return v <= c.Value
	case OpGT:
		return v > c.Value
	case OpGE:
		return v >= c.Value
	case OpMaskedEQ:
		return v&c.Mask == c.Value
	}
	return false
}

// Name is a syscall or @group name with where it was written.
type Name struct {
	Name string
	Pos  Pos
}

// Rule gives the syscalls it names one action, when all of its conditions
// hold.
type Rule struct {
	Syscalls  []Name
	Action    Action
	When      []Cond
	Comment   string
	Pos       Pos
	ActionPos Pos
}

// Native is the architecture name meaning "whatever the host is".
const Native = "native"

// Profile is a rules document: the human form of a seccomp profile.
type Profile struct {
	File string // for error messages

	Default    Action
	DefaultPos Pos
	HasDefault bool // false only when the profile extends a base that sets it

	// Architectures holds libseccomp names (x86_64, aarch64, …); empty or
	// [native] means the host's own architecture only.
	Architectures    []Name
	ArchitecturesPos Pos

	// Extends names a built-in base (docker-default, podman-default) or a
	// file whose rules this profile starts from.
	Extends    string
	ExtendsPos Pos

	Flags            []specs.LinuxSeccompFlag
	ListenerPath     string
	ListenerMetadata string

	// Harden widens each deny intent to its whole class when compiling
	// (see Harden).
	Harden bool

	// FirstWins compiles the rules as libseccomp applies them, not by
	// the rules language's precedence: a rule with the default action is
	// dropped (libseccomp refuses it), and a syscall with an unconditional
	// rule and rules of other actions is refused, naming both. For a
	// program that builds its filter with libseccomp.
	FirstWins bool

	Rules []Rule
}
