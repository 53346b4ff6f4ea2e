package runtimes

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// Phase is a stretch of a container's start in which a filter is already
// loaded and runtime code, not the container's process, still runs.
type Phase int

const (
	// RuncNoNewPrivileges is runc after it loaded the filter, when
	// process.noNewPrivileges is true: it loads right before the exec.
	RuncNoNewPrivileges Phase = iota
	// RuncPrivileged is runc after it loaded the filter, when
	// process.noNewPrivileges is false: it loads before it sets the
	// user, the capabilities and the working directory.
	RuncPrivileged
	// LateStart is oci-sbx's late stage, from runc's exec of it until
	// it loads the late profile.
	LateStart
)

// Phases lists every phase in table order.
var Phases = []Phase{RuncNoNewPrivileges, RuncPrivileged, LateStart}

var phaseNames = [...]string{
	RuncNoNewPrivileges: "runc with noNewPrivileges true",
	RuncPrivileged:      "runc with noNewPrivileges false",
	LateStart:           "oci-sbx's late stage",
}

func (p Phase) String() string { return phaseNames[p] }

// GoString is the phase's name in Go, as the generated table spells it.
func (p Phase) GoString() string {
	return [...]string{RuncNoNewPrivileges: "RuncNoNewPrivileges", RuncPrivileged: "RuncPrivileged", LateStart: "LateStart"}[p]
}

// Need is a syscall that a phase makes, as measured against the real
// runtime.
type Need struct {
	Syscall string
	// Errno: failing it with EPERM stops the container from starting.
	Errno bool
	// Kill: killing the process when it makes the call stops the start.
	// It holds whenever Errno does.
	Kill bool
	// Sometimes: only some of the measurements saw it; the Go runtime
	// calls it now and then (futex under contention, rt_sigreturn after a
	// signal), so a profile that denies it breaks the start now and then.
	Sometimes bool
	// ENOSYSFallback: failing the call with ENOSYS (rather than EPERM)
	// does not stop the start: the caller takes ENOSYS for "not
	// implemented here" and falls back to an older call (glibc's
	// pthread_create goes from clone3 to clone). Measured, like Errno,
	// and false where nobody measured it.
	ENOSYSFallback bool
	// Error is what the runtime printed when the call was denied.
	Error string
}

// Runtime is the table of one runtime release, measured on one host.
type Runtime struct {
	Name    string // "runc"
	Version string // as the runtime's --version prints it: "1.1.5+ds1"
	Kernel  string // the kernel release it was measured on
	// Arch is the architecture it was measured on; elsewhere its names
	// stand in, and calls that exist only there are missing.
	Arch  string
	Needs map[Phase][]Need // per phase, sorted by syscall
}

func (r *Runtime) String() string {
	return fmt.Sprintf("%s %s, Linux %s, %s", r.Name, r.Version, r.Kernel, r.Arch)
}

// Phase returns the measured needs of a phase, sorted by syscall.
func (r *Runtime) Phase(p Phase) []Need { return slices.Clone(r.Needs[p]) }

// All returns every measured runtime, sorted by name and version.
func All() []*Runtime { return slices.Clone(measured) }

// ErrNotMeasured is returned by Lookup for a release nobody measured.
var ErrNotMeasured = errors.New("not measured: run `make measure-runc` on a host with that runtime")

// Lookup returns the table of a runtime release.
func Lookup(name, version string) (*Runtime, error) {
	for _, r := range measured {
		if r.Name == name && r.Version == version {
			return r, nil
		}
	}
	return nil, fmt.Errorf("looking up %s %s: %w", name, version, ErrNotMeasured)
}

// Default is the table oci-sbx plans with when it is not told which
// runtime a node runs: the newest runc measured.
func Default() *Runtime {
	var d *Runtime
	for _, r := range measured {
		if r.Name == "runc" && (d == nil || compareVersions(r.Version, d.Version) > 0) {
			d = r
		}
	}
	return d
}

// compareVersions orders dotted versions numerically, with any suffix
// ("+ds1", "-rc.1") compared as text.
func compareVersions(a, b string) int {
	as, bs := strings.FieldsFunc(a, notDigit), strings.FieldsFunc(b, notDigit)
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := cmp.Compare(len(as[i]), len(bs[i])); c != 0 {
			return c
		}
		if c := cmp.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmp.Or(cmp.Compare(len(as), len(bs)), cmp.Compare(a, b))
}

func notDigit(r rune) bool { return r < '0' || r > '9' }

// Conflict is a denial in a profile of a syscall a phase needs.
type Conflict struct {
	Syscall string
	// Outcome is what the profile does with the call, in rules syntax:
	// "errno(EPERM)", "kill-process (the default action)", "errno(EPERM)
	// when arg0 == 1".
	Outcome string
	Phase   Phase
	Need    Need
}

func (c Conflict) String() string {
	how := "fails"
	if c.Need.Sometimes {
		how = "can fail"
	}
	when := "after loading the filter"
	if c.Phase == LateStart {
		when = "before it loads the profile"
	}
	return fmt.Sprintf("%s: the profile gives %s; %s calls it %s and %s: %q",
		c.Syscall, c.Outcome, c.Phase, when, how, c.Need.Error)
}

// Conflicts lists the syscalls that phase needs and p denies, in the
// order of the table. Conditions count as denials when any case denies:
// which arguments the runtime passes is not part of the measurement.
func (r *Runtime) Conflicts(p *specs.LinuxSeccomp, phase Phase) ([]Conflict, error) {
	var out []Conflict
	for _, n := range r.Needs[phase] {
		outs, err := outcomes(p, n.Syscall)
		if err != nil {
			return nil, err
		}
		for _, o := range outs {
			if errnoLike(o.action) && n.Errno && !fallsBack(n, o.action) || killLike(o.action) && n.Kill {
				out = append(out, Conflict{Syscall: n.Syscall, Outcome: o.String(), Phase: phase, Need: n})
				break
			}
		}
	}
	return out, nil
}

// outcome is one way a profile can answer a syscall.
type outcome struct {
	action    rules.Action
	when      string // the rule's conditions, "" for none
	isDefault bool
}

func (o outcome) String() string {
	switch {
	case o.isDefault:
		return o.action.String() + " (the default action)"
	case o.when != "":
		return o.action.String() + " when " + o.when
	}
	return o.action.String()
}

// outcomes lists the answers p can give to name: the action of every rule
// that names it, and the default action unless a rule without conditions
// names it.
func outcomes(p *specs.LinuxSeccomp, name string) ([]outcome, error) {
	var outs []outcome
	uncond := false
	for _, r := range p.Syscalls {
		if !slices.Contains(r.Names, name) {
			continue
		}
		a, err := rules.ActionFromSpec(r.Action, r.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("reading the rule for %q: %w", name, err)
		}
		var conds []string
		for _, arg := range r.Args {
			c, err := rules.CondFromSpec(arg)
			if err != nil {
				return nil, fmt.Errorf("reading the rule for %q: %w", name, err)
			}
			conds = append(conds, c.String())
		}
		uncond = uncond || len(conds) == 0
		outs = append(outs, outcome{action: a, when: strings.Join(conds, ", ")})
	}
	if !uncond {
		a, err := rules.ActionFromSpec(p.DefaultAction, p.DefaultErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("reading the default action: %w", err)
		}
		outs = append(outs, outcome{action: a, isDefault: true})
	}
	return outs, nil
}

// errnoLike: the call fails with an error (trace does so when no tracer
// is attached, with ENOSYS).
func errnoLike(a rules.Action) bool { return a.Kind == rules.Errno || a.Kind == rules.Trace }

// enosys is ENOSYS's number on this build's architecture.
var enosys = sync.OnceValue(func() uint {
	n, err := syscalls.ParseErrno("ENOSYS")
	if err != nil {
		panic(err)
	}
	return n
})

// fallsBack: the profile fails a call with ENOSYS, and the measurement
// says the caller then falls back to an older call and goes on.
func fallsBack(n Need, a rules.Action) bool {
	return n.ENOSYSFallback && a.Kind == rules.Errno && a.Ret == enosys()
}

// killLike: the caller dies, or gets a SIGSYS the Go runtime does not
// survive.
func killLike(a rules.Action) bool {
	return a.Kind == rules.KillProcess || a.Kind == rules.KillThread || a.Kind == rules.Trap
}
