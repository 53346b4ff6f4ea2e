package hooks

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/annotation"
	"github.com/oci-sbx/oci-sbx/oci/notify"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// Metadata is what ReportTo stores in a profile's listenerMetadata, which
// the runtime hands to the agent with each container: the errno the
// profile gives each syscall it turned into a notification, by name.
type Metadata struct {
	Errnos notify.Errnos `json:"errnos"`
}

// ParseMetadata decodes the listenerMetadata that ReportTo wrote.
func ParseMetadata(s string) (*Metadata, error) {
	var m Metadata
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding listener metadata: %w", err)
	}
	for name, e := range m.Errnos {
		if e == 0 {
			return nil, fmt.Errorf("decoding listener metadata: errno 0 for %q would report success", name)
		}
	}
	return &m, nil
}

// Errno returns the errno to answer a notified syscall with: the one the
// profile configured, or EPERM for a syscall the metadata does not name
// (notify.Errnos.Answer).
func (m *Metadata) Errno(syscall string) unix.Errno {
	if m == nil {
		return unix.EPERM
	}
	return m.Errnos.Answer(syscall)
}

// ErrReportConflict is returned by ReportTo for a profile that already
// sends notifications somewhere.
var ErrReportConflict = notify.ErrReportConflict

// ReportTo returns a copy of the profile whose errno rules are notify rules
// sent to the seccomp agent listening on socket, with the errnos in
// listenerMetadata, so that the agent reports each denied call and answers
// it with the same errno: the program sees what it would have seen, and no
// call the profile denies is ever let through. Which rules can be reported
// is notify.ForReport's policy, the same as for `oci-sbx exec --report`;
// the notes say which denials will not be reported. A profile without
// errno rules to report comes back unchanged, without a listenerPath.
func ReportTo(s *specs.LinuxSeccomp, socket string) (*specs.LinuxSeccomp, []string, error) {
	if !filepath.IsAbs(socket) {
		return nil, nil, fmt.Errorf("reporting to %q: the agent's socket must be an absolute path", socket)
	}
	r, err := notify.ForReport(s)
	if err != nil {
		return nil, nil, fmt.Errorf("reporting to %q: %w", socket, err)
	}
	if len(r.Errnos) == 0 {
		return r.Profile, r.Notes, nil
	}
	meta, err := json.Marshal(Metadata{Errnos: r.Errnos}) // map keys sorted: deterministic
	if err != nil {
		return nil, nil, err
	}
	r.Profile.ListenerPath, r.Profile.ListenerMetadata = socket, string(meta)
	return r.Profile, r.Notes, nil
}

// noNotifyRules refuses a profile that already notifies: its listener
// and the agent's would compete.
func noNotifyRules(s *specs.LinuxSeccomp, socket string) error {
	for _, r := range s.Syscalls {
		if r.Action == specs.ActNotify {
			return fmt.Errorf("reporting to %q: %w (a notify rule for %s)", socket, ErrReportConflict, strings.Join(r.Names, ", "))
		}
	}
	return nil
}

// ReportLate is ReportTo for a profile applied in two stages (package
// stage): runc loads early, oci-sbx's late stage loads late, inside the
// container, and hands its listener to the agent whose socket is at
// socket in the container. Only the late filter can notify: the kernel
// lets a process have one listener in its chain of filters (a second
// fails with EBUSY), and an errno from the early filter would win over the
// late filter's notification anyway. So the early profile lets through the
// calls the late one reports; the container's process, which starts only
// once the late filter is loaded, is denied exactly what the profile
// denies. A process started later with runc exec gets linux.seccomp only,
// as with any late stage, and here that lets the reported calls through.
func ReportLate(early, late *specs.LinuxSeccomp, socket string) (*specs.LinuxSeccomp, *specs.LinuxSeccomp, []string, error) {
	l, notes, err := ReportTo(late, socket)
	if err != nil {
		return nil, nil, nil, err
	}
	if l.ListenerPath == "" {
		return early, l, notes, nil
	}
	if early.ListenerPath != "" {
		return nil, nil, nil, fmt.Errorf("reporting to %q: %w (listenerPath %q)", socket, ErrReportConflict, early.ListenerPath)
	}
	m, err := ParseMetadata(l.ListenerMetadata)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := noNotifyRules(early, socket); err != nil {
		return nil, nil, nil, err
	}
	return notify.Retarget(early, m.Errnos, specs.ActAllow), l, notes, nil
}

// WithReport reads the report annotation into a plan's options: the
// agent's socket, which must be a socket beneath the agents directory
// agents (see AgentSocket), and Report as the policy. Without the
// annotation it changes nothing.
func WithReport(mo *stage.Options, ann *annotation.Values, agents string) error {
	name, ok := ann.Get(annotation.Report)
	if !ok {
		return nil
	}
	socket, err := AgentSocket(agents, name)
	if err != nil {
		return fmt.Errorf("annotation %s: %w", ann.Key(annotation.Report), err)
	}
	mo.ReportTo, mo.Report = socket, Report
	return nil
}

// ConfineListener keeps the listener a profile an annotation chose names
// (its listenerPath) to an agent's socket beneath the agents directory,
// as the report annotation's (see AgentSocket): runc connects to it as
// root and hands it the container's state and a notification descriptor,
// so inline rules must not name any other socket of the host. The path
// becomes the one it resolves to.
func ConfineListener(s *specs.LinuxSeccomp, agents string, ann *annotation.Values) error {
	if s == nil || s.ListenerPath == "" {
		return nil
	}
	key := ann.Key(annotation.Rules)
	if _, ok := ann.Get(annotation.Profile); ok {
		key = ann.Key(annotation.Profile)
	}
	socket, err := AgentSocket(agents, s.ListenerPath)
	if err != nil {
		return fmt.Errorf("annotation %s: the profile's listenerPath: %w", key, err)
	}
	s.ListenerPath = socket
	return nil
}

// Report is the policy with which a plan (stage.Make) reports a
// profile's denials to the agent on socket, a path on the host:
// ReportTo when runc applies the whole profile, ReportLate when a late
// stage does (its filter notifies the agent through the socket bound at
// stage.AgentSocketPath), and ReportTo on the late profile alone when the
// engine's profile stays in linux.seccomp, which is not oci-sbx's to
// change.
func Report(early, late *specs.LinuxSeccomp, socket string) (*specs.LinuxSeccomp, *specs.LinuxSeccomp, []string, error) {
	if !filepath.IsAbs(socket) {
		return nil, nil, nil, fmt.Errorf("reporting to %q: the agent's socket must be an absolute path", socket)
	}
	switch {
	case late == nil:
		e, notes, err := ReportTo(early, socket)
		return e, nil, notes, err
	case early == nil:
		l, notes, err := ReportTo(late, LateAgentSocket)
		return nil, l, notes, err
	}
	return ReportLate(early, late, LateAgentSocket)
}
