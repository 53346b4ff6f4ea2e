package stage

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
)

// Reliance is a part of a container's config that a plan relies on and
// that not every back-end can set. A ContainerAdjustment of NRI can set
// neither: it has no field for process.noNewPrivileges, and containerd
// drops linux.seccomp.defaultErrnoRet when it adjusts the policy.
type Reliance uint

const (
	// NoNewPrivileges: process.noNewPrivileges must turn true (it was
	// false), so that runc loads the filter late enough.
	NoNewPrivileges Reliance = 1 << iota
	// DefaultErrnoRet: linux.seccomp.defaultErrnoRet must reach runc,
	// or the default action's errno turns into EPERM.
	DefaultErrnoRet
)

func (r Reliance) String() string {
	var s []string
	if r&NoNewPrivileges != 0 {
		s = append(s, "process.noNewPrivileges")
	}
	if r&DefaultErrnoRet != 0 {
		s = append(s, "linux.seccomp.defaultErrnoRet")
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, " and ")
}

// Engine says what a plan did with the profile the engine had put in
// linux.seccomp (Podman's default, the kubelet's RuntimeDefault or
// Localhost).
type Engine int

const (
	// NoEngine: there was none (an unconfined container, or a bundle
	// that `patch` replaces the profile of).
	NoEngine Engine = iota
	// Intersected: linux.seccomp holds the exact intersection of the
	// engine's profile and the profile asked for.
	Intersected
	// Stacked: linux.seccomp keeps the engine's profile, and the late
	// stage loads the profile asked for on top of it.
	Stacked
	// Replaced: the profile asked for replaces the engine's, as asked
	// (the annotation engine-profile: replace).
	Replaced
)

var engineNames = [...]string{NoEngine: "none", Intersected: "intersected", Stacked: "stacked", Replaced: "replaced"}

func (e Engine) String() string { return engineNames[e] }

// Reporter turns the errno rules of a plan's profiles into notifications
// for the oci-sbx agent on socket (the policy is the agent's: see
// hooks.Report). early is linux.seccomp, or nil when it must stay as it is
// (the engine's profile, stacked); late is the late stage's profile, or
// nil without a late stage. It returns the profiles to use instead, and
// notes on the denials that cannot be reported.
type Reporter func(early, late *specs.LinuxSeccomp, socket string) (e, l *specs.LinuxSeccomp, notes []string, err error)

// Options steer Make.
type Options struct {
	// NoNewPrivileges is process.noNewPrivileges as the container had it
	// before any oci-sbx patch (see OriginalNoNewPrivileges).
	NoNewPrivileges bool
	// Runtime is the measured table of the runtime that starts the
	// container; nil means runtimes.Default().
	Runtime *runtimes.Runtime
	// Engine is the engine's linux.seccomp (the hook, NRI); nil when
	// there is none, or when the profile replaces whatever is there
	// (patch).
	Engine *specs.LinuxSeccomp
	// ReplaceEngine: the profile replaces Engine instead of confining
	// the container further (engine-profile: replace).
	ReplaceEngine bool
	// Cannot is what the back-end cannot set; the plan then does that
	// work in the late stage and never relies on it.
	Cannot Reliance
	// ReportTo is the host path of an oci-sbx agent's socket: the
	// profile's errno denials are reported there, by Report.
	ReportTo string
	Report   Reporter
}

// Plan is how a profile is applied to a container: what linux.seccomp
// holds, whether process.noNewPrivileges turns true, and the late stage,
// if any. Back-ends render it: SpecOpts and Apply for a config.json (the
// bundle of `patch`, the precreate hook's config); an NRI plugin reads
// the fields (see Late.Mounts and Late.Args), and must not render a plan
// whose Relies holds what it cannot set (make it with Options.Cannot).
type Plan struct {
	// Seccomp is linux.seccomp, the profile runc loads: the profile, or
	// with a late stage the profile minus what runc and the late stage
	// need, or the engine's own profile when stacked.
	Seccomp *specs.LinuxSeccomp
	// Engine says what became of the engine's profile.
	Engine Engine
	// SetNoNewPrivileges: process.noNewPrivileges turns true (it was
	// false); Annotations records that, so that patching again undoes it.
	SetNoNewPrivileges bool
	// Late is the late stage, nil when runc can apply the whole profile.
	Late *Late
	// Relies is what the plan needs the back-end to set besides
	// linux.seccomp, args and mounts.
	Relies Reliance
	// Conflicts are the profile's denials runc could not start with:
	// the reason for SetNoNewPrivileges or for the late stage.
	Conflicts []runtimes.Conflict
	// Notes say what else the plan did and why, one sentence each.
	Notes []string
}

// Late is the late stage: a static oci-sbx inside the container that
// loads Profile and execs the container's process in its place. Its
// directory (DirName in a bundle, one per profile on a host) holds File;
// it is bound read-only at MountPoint and the binary at BinaryPath.
type Late struct {
	// Profile is what the late stage loads.
	Profile *specs.LinuxSeccomp
	// File is Profile as OCI JSON, named by the SHA-256 of its bytes
	// (ProfilePrefix + hex + ".json"): a file, once written, never
	// changes, and two profiles never share a name.
	File File
	// AgentSocket is the host path of the agent's socket that the late
	// stage hands its listener to, bound at AgentSocketPath; empty when
	// nothing is reported.
	AgentSocket string
}

// File is one file of the late stage's directory.
type File struct {
	Name string
	Data []byte
}

// Args is what process.args start with: the original args follow it.
func (l *Late) Args() []string {
	return []string{BinaryPath, "late", MountPoint + "/" + l.File.Name, "--"}
}

// Mounts are the late stage's mounts: the directory dir (on the host, or
// relative to a bundle) at MountPoint, the binary at BinaryPath when it
// is kept elsewhere (binary empty: it is in dir), and the agent's socket.
// Each is read-only, nosuid, nodev; connect needs no write access.
func (l *Late) Mounts(dir, binary string) []specs.Mount {
	ro := []string{"bind", "ro", "nosuid", "nodev"}
	ms := []specs.Mount{{Destination: MountPoint, Type: "bind", Source: dir, Options: ro}}
	if binary != "" {
		ms = append(ms, specs.Mount{Destination: BinaryPath, Type: "bind", Source: binary, Options: ro})
	}
	if l.AgentSocket != "" {
		ms = append(ms, specs.Mount{Destination: AgentSocketPath, Type: "bind", Source: l.AgentSocket, Options: ro})
	}
	return ms
}

// Annotations are the annotations the plan sets in the config.
func (p *Plan) Annotations() map[string]string {
	if p.SetNoNewPrivileges {
		return map[string]string{NoNewPrivilegesAnnotation: "true"}
	}
	return nil
}

// ErrNoProfile is returned by Make for a nil profile.
var ErrNoProfile = errors.New("no profile")

// Make plans how profile p is applied to a container. It is the one place
// that decides; every back-end renders its result:
//
//   - with Options.Engine, unless ReplaceEngine: the container is never
//     less confined than under the engine's profile. The exact
//     intersection of both goes on where Intersect can prove it exact,
//     otherwise the engine's profile stays in linux.seccomp and the late
//     stage loads p on top (filters stack, the stricter answer wins);
//   - runc can start under the profile: it goes into linux.seccomp as it
//     is;
//   - runc can start under it only with noNewPrivileges (it then loads
//     later): the same, with SetNoNewPrivileges;
//   - otherwise a late stage: linux.seccomp lets through every syscall
//     runc and the late stage need that the profile would deny, the late
//     stage loads the whole profile.
//
// What the back-end cannot set (Options.Cannot) moves into the late
// stage, which sets no_new_privs itself and keeps defaultErrnoRet in its
// own file.
func Make(p *specs.LinuxSeccomp, opt Options) (*Plan, error) {
	if p == nil {
		return nil, ErrNoProfile
	}
	if p.DefaultAction == specs.ActNotify {
		return nil, errors.New("planning the profile: runc refuses notify as the default action")
	}
	plan := &Plan{}
	profile := p
	switch {
	case opt.Engine != nil && opt.ReplaceEngine:
		plan.Engine = Replaced
	case opt.Engine != nil:
		x, why, err := Intersect(opt.Engine, p)
		if err != nil {
			return nil, err
		}
		if x == nil {
			if err := plan.stack(opt.runtime(), opt.Engine, p, why); err != nil {
				return nil, err
			}
			return plan.finish(opt)
		}
		plan.Engine, profile = Intersected, x
		plan.Notes = append(plan.Notes, "the engine's profile stays in force: linux.seccomp holds the exact intersection of it and the profile")
	}
	if err := plan.split(profile, opt); err != nil {
		return nil, err
	}
	return plan.finish(opt)
}

func (opt Options) runtime() *runtimes.Runtime {
	if opt.Runtime != nil {
		return opt.Runtime
	}
	return runtimes.Default()
}

// stack keeps the engine's profile in linux.seccomp and loads p on top in
// the late stage, which starts under the engine's profile.
func (plan *Plan) stack(rt *runtimes.Runtime, engine, p *specs.LinuxSeccomp, why string) error {
	cs, err := rt.Conflicts(engine, runtimes.LateStart)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		var s []string
		for _, c := range cs {
			s = append(s, c.String())
		}
		return fmt.Errorf("planning the profile: the engine's profile denies what the late stage needs, which would load the profile on top of it (%s); "+
			"use engine-profile: replace to apply the profile alone", strings.Join(s, "; "))
	}
	plan.Engine = Stacked
	plan.Seccomp = clone(engine)
	plan.Late = &Late{Profile: late(p)}
	plan.Notes = append(plan.Notes, fmt.Sprintf("the engine's profile stays in linux.seccomp and the late stage loads the profile on top of it (no exact intersection: %s); "+
		"processes started later with podman exec, runc exec or kubectl exec get the engine's profile only", why))
	return nil
}

// split decides between linux.seccomp alone, with noNewPrivileges, and a
// late stage.
func (plan *Plan) split(p *specs.LinuxSeccomp, opt Options) error {
	canNNP := opt.Cannot&NoNewPrivileges == 0
	rt := opt.runtime()
	phase := runtimes.RuncPrivileged
	if opt.NoNewPrivileges {
		phase = runtimes.RuncNoNewPrivileges
	}
	conflicts, err := rt.Conflicts(p, phase)
	if err != nil {
		return err
	}
	plan.Conflicts = conflicts
	needLate := false
	if len(conflicts) > 0 {
		needLate = true
		if !opt.NoNewPrivileges && canNNP {
			nnp, err := rt.Conflicts(p, runtimes.RuncNoNewPrivileges)
			if err != nil {
				return err
			}
			plan.SetNoNewPrivileges = true
			if len(nnp) > 0 {
				plan.Conflicts = nnp
			} else {
				needLate = false
			}
		}
	}
	if !needLate && opt.Cannot&DefaultErrnoRet != 0 && reliesOnDefaultErrnoRet(p) {
		needLate = true
		plan.Notes = append(plan.Notes, fmt.Sprintf("the default action's errno (%d) is kept by the late stage: the back-end cannot set defaultErrnoRet", *p.DefaultErrnoRet))
	}
	if !needLate {
		plan.Seccomp = p
		return nil
	}
	// The late stage starts under linux.seccomp: that must let through
	// what runc needs, in the phase it will run in, and what the late
	// stage needs.
	runcPhase := phase
	if plan.SetNoNewPrivileges {
		runcPhase = runtimes.RuncNoNewPrivileges
	}
	pass := map[string]bool{}
	for _, ph := range []runtimes.Phase{runcPhase, runtimes.LateStart} {
		cs, err := rt.Conflicts(p, ph)
		if err != nil {
			return err
		}
		for _, c := range cs {
			pass[c.Syscall] = true
		}
	}
	if plan.Seccomp, err = early(p, pass); err != nil {
		return err
	}
	if opt.Cannot&DefaultErrnoRet != 0 && plan.Seccomp.DefaultErrnoRet != nil {
		// EPERM instead, where the late stage's filter, loaded on top,
		// answers with its own errno: between two errnos the newest
		// filter's wins.
		plan.Seccomp.DefaultErrnoRet = nil
	}
	plan.Late = &Late{Profile: late(p)}
	return nil
}

// finish reports to the agent, names the late stage's file and works out
// what the plan relies on.
func (plan *Plan) finish(opt Options) (*Plan, error) {
	if opt.ReportTo != "" {
		if !filepath.IsAbs(opt.ReportTo) {
			return nil, fmt.Errorf("reporting to %q: the agent's socket must be an absolute path", opt.ReportTo)
		}
		if opt.Report == nil {
			return nil, fmt.Errorf("reporting to %q: no reporter", opt.ReportTo)
		}
		early := plan.Seccomp
		if plan.Engine == Stacked {
			early = nil // the engine's profile is not oci-sbx's to change
		}
		var lateProfile *specs.LinuxSeccomp
		if plan.Late != nil {
			lateProfile = plan.Late.Profile
		}
		e, l, notes, err := opt.Report(early, lateProfile, opt.ReportTo)
		if err != nil {
			return nil, err
		}
		if early != nil {
			plan.Seccomp = e
		}
		if plan.Late != nil {
			plan.Late.Profile = l
			if l.ListenerPath != "" {
				plan.Late.AgentSocket = opt.ReportTo
			}
		}
		plan.Notes = append(plan.Notes, notes...)
	}
	if plan.Late != nil {
		var buf bytes.Buffer
		if err := convert.Write(&buf, plan.Late.Profile, convert.OCI, convert.Options{}); err != nil {
			return nil, fmt.Errorf("writing the late stage's profile: %w", err)
		}
		plan.Late.File = File{Name: ProfileName(buf.Bytes()), Data: buf.Bytes()}
	}
	if plan.SetNoNewPrivileges {
		plan.Relies |= NoNewPrivileges
	}
	if plan.Engine != Stacked && reliesOnDefaultErrnoRet(plan.Seccomp) {
		plan.Relies |= DefaultErrnoRet
	}
	if r := plan.Relies & opt.Cannot; r != 0 {
		return nil, fmt.Errorf("planning the profile: the plan relies on %s, which the back-end cannot set", r)
	}
	return plan, nil
}

// reliesOnDefaultErrnoRet: the default action returns an errno other than
// the EPERM it returns without defaultErrnoRet.
func reliesOnDefaultErrnoRet(s *specs.LinuxSeccomp) bool {
	return s != nil && (s.DefaultAction == specs.ActErrno || s.DefaultAction == specs.ActTrace) &&
		s.DefaultErrnoRet != nil && *s.DefaultErrnoRet != uint(syscall.EPERM)
}

// Explain says what the plan does beyond setting linux.seccomp, and why,
// one line each, for a person reading the output of patch or a hook's log.
func (p *Plan) Explain() []string {
	var out []string
	if p.SetNoNewPrivileges && p.Late == nil {
		out = append(out, "set process.noNewPrivileges: with it false, runc loads the filter before it sets the user and capabilities, and this profile denies what that needs:")
		for _, c := range p.Conflicts {
			out = append(out, "  "+c.String())
		}
	}
	if p.Late != nil && p.Engine != Stacked {
		nnp := ""
		if p.SetNoNewPrivileges {
			nnp = " (process.noNewPrivileges true)"
		}
		out = append(out, fmt.Sprintf("late stage: runc cannot start under this profile, so linux.seccomp lets through what runc and the late stage need, and %s loads the whole profile right before it execs the process%s:", BinaryPath, nnp))
		for _, c := range p.Conflicts {
			out = append(out, "  "+c.String())
		}
	}
	for _, n := range p.Notes {
		out = append(out, "note: "+n)
	}
	return out
}
