package notify

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Errnos maps each syscall whose errno rules a Report turned into notify
// rules to the errno those rules return.
type Errnos map[string]uint

// Answer is the errno to answer a notified call with: the one the
// profile's rules returned, and EPERM for a syscall the map does not name
// (a notification the profile did not ask for is denied, never let run).
func (e Errnos) Answer(syscall string) unix.Errno {
	if v, ok := e[syscall]; ok && v != 0 {
		return unix.Errno(v)
	}
	return unix.EPERM
}

// Report is a profile in the form that reports its denials: the errno
// rules that a listener can answer just as the profile would are notify
// rules, answered with Errnos.
type Report struct {
	Profile *specs.LinuxSeccomp
	Errnos  Errnos
	// Notes name the denials that stay errno rules, and so are not
	// reported, with the reason.
	Notes []string
}

// ErrReportConflict is returned by ForReport for a profile that already
// sends notifications somewhere.
var ErrReportConflict = errors.New("the profile already uses seccomp notifications")

// ForReport returns profile s with its errno rules turned into notify
// rules, wherever a listener that answers every notification with the
// rule's errno (Errnos.Answer) gives the program exactly what the profile
// gives it. The listener never lets a call run, so no call the profile
// denies gets through, and the decision cannot be raced. s is not changed.
//
// These errno rules stay as they are, each with a note:
//   - the default action: runc refuses notify there;
//   - write and read: runc refuses notify for write, and both runc and
//     oci-sbx hand the listener over with write and read, before anyone
//     can answer a notification;
//   - a syscall whose errno rules return different errnos: a listener
//     cannot tell which rule matched;
//   - errno 0, which makes the call return 0 without running: a listener
//     would have to report a success that never happened, which it never
//     does (Serve answers EPERM instead).
//
// A profile that already notifies, through listenerPath or a notify rule,
// is refused with ErrReportConflict: its listener and the reporter's would
// compete, and the kernel allows one per chain of filters.
func ForReport(s *specs.LinuxSeccomp) (*Report, error) {
	if s.ListenerPath != "" || s.ListenerMetadata != "" || s.DefaultAction == specs.ActNotify {
		return nil, fmt.Errorf("reporting denials: %w (listenerPath %q)", ErrReportConflict, s.ListenerPath)
	}
	for _, r := range s.Syscalls {
		if r.Action == specs.ActNotify {
			return nil, fmt.Errorf("reporting denials: %w (a notify rule for %s)", ErrReportConflict, strings.Join(r.Names, ", "))
		}
	}
	errnos, mixed := errnoRules(s)
	var notes []string
	if s.DefaultAction == specs.ActErrno {
		notes = append(notes, fmt.Sprintf("denials by the default action (errno %s) are not reported: runc cannot use notify for the default action",
			syscalls.ErrnoName(ErrnoRet(s.DefaultErrnoRet))))
	}
	var handover []string
	for _, n := range []string{"read", "write"} {
		if _, ok := errnos[n]; ok {
			delete(errnos, n)
			handover = append(handover, n)
		}
	}
	if len(handover) > 0 {
		notes = append(notes, fmt.Sprintf("denials of %s are not reported: the listener is handed over with write and read (and runc refuses notify for write)",
			strings.Join(handover, " and ")))
	}
	var kept, zero []string
	for n := range mixed {
		delete(errnos, n)
		kept = append(kept, n)
	}
	for n, e := range errnos {
		if e == 0 {
			delete(errnos, n)
			zero = append(zero, n)
		}
	}
	if len(kept) > 0 {
		slices.Sort(kept)
		notes = append(notes, fmt.Sprintf("denials of %s are not reported: their rules return different errnos, which a listener could not tell apart",
			strings.Join(kept, ", ")))
	}
	if len(zero) > 0 {
		slices.Sort(zero)
		notes = append(notes, fmt.Sprintf("calls of %s are not reported: errno 0 makes them return 0 without running, a success a listener never reports",
			strings.Join(zero, ", ")))
	}
	if len(errnos) == 0 {
		out := *s
		return &Report{Profile: &out, Errnos: Errnos{}, Notes: append(notes, "the profile has no errno rules to report")}, nil
	}
	return &Report{Profile: Retarget(s, errnos, specs.ActNotify), Errnos: errnos, Notes: notes}, nil
}

// ErrnoRet is runc's errno for an errno action: EPERM unless set.
func ErrnoRet(p *uint) uint {
	if p == nil {
		return uint(unix.EPERM)
	}
	return *p
}

// errnoRules collects, per syscall, the errno its errno rules return;
// mixed holds the syscalls whose rules disagree, which no single answer
// fits.
func errnoRules(s *specs.LinuxSeccomp) (errnos Errnos, mixed map[string]bool) {
	errnos, mixed = Errnos{}, map[string]bool{}
	for _, r := range s.Syscalls {
		if r.Action != specs.ActErrno {
			continue
		}
		e := ErrnoRet(r.ErrnoRet)
		for _, n := range r.Names {
			if old, ok := errnos[n]; ok && old != e {
				mixed[n] = true
			}
			errnos[n] = e
		}
	}
	return errnos, mixed
}

// Retarget returns s with the errno rules of the syscalls in names given
// action instead: notify, for a listener to answer with the errno, or
// allow, for a filter stacked behind one that notifies. Every other rule
// stays as it is.
func Retarget(s *specs.LinuxSeccomp, names Errnos, action specs.LinuxSeccompAction) *specs.LinuxSeccomp {
	out := *s
	out.Syscalls = nil
	for _, rule := range s.Syscalls {
		if rule.Action != specs.ActErrno {
			out.Syscalls = append(out.Syscalls, rule)
			continue
		}
		out.Syscalls = append(out.Syscalls, format.SplitRule(rule, func(n string) bool { _, ok := names[n]; return ok }, action, nil)...)
	}
	return &out
}
