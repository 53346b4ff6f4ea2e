package loader

import (
	"errors"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported is returned by a build without cgo and the seccomp tag.
var ErrUnsupported = errors.New("built without seccomp support: rebuild with CGO_ENABLED=1 -tags seccomp")

// Errors for profiles runc would refuse or mishandle; Check wraps them with
// the syscall concerned.
var (
	// ErrNotifyDefault: runc refuses SCMP_ACT_NOTIFY as the default action.
	ErrNotifyDefault = errors.New("SCMP_ACT_NOTIFY cannot be the default action: runc refuses it, because its own write to the parent would wait for an agent")
	// ErrNotifyWrite: runc refuses SCMP_ACT_NOTIFY for write.
	ErrNotifyWrite = errors.New("SCMP_ACT_NOTIFY cannot be used for write: runc refuses it, because its own write to the parent would wait for an agent")
	// ErrNotifyAgent: other notify rules need a seccomp agent.
	ErrNotifyAgent = errors.New("SCMP_ACT_NOTIFY needs a seccomp agent (listenerPath), which oci-sbx exec does not run")
	// ErrUnknownSyscall: runc silently skips a name libseccomp does not
	// know, so a deny rule with a typo denies nothing.
	ErrUnknownSyscall = errors.New("unknown syscall")
)

// Allows reports whether an action lets the call run. (SCMP_ACT_TRACE
// does only with a tracer attached; without one the call fails with
// ENOSYS.)
func Allows(a specs.LinuxSeccompAction) bool {
	return a == specs.ActAllow || a == specs.ActLog
}

// Profile is a profile as it travels to a child process, in JSON.
// encoding/json drops an empty slice, and runc treats no flags apart from
// "flags": [] (without flags it adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, which
// turns a Spectre mitigation off), so EmptyFlags keeps them apart.
type Profile struct {
	Seccomp    *specs.LinuxSeccomp `json:"seccomp,omitempty"`
	EmptyFlags bool                `json:"emptyFlags,omitempty"`
}

// Wire returns s ready to be encoded.
func Wire(s *specs.LinuxSeccomp) Profile {
	return Profile{Seccomp: s, EmptyFlags: s != nil && s.Flags != nil && len(s.Flags) == 0}
}

// Spec returns the profile as it was before encoding.
func (p Profile) Spec() *specs.LinuxSeccomp {
	if p.EmptyFlags && p.Seccomp != nil {
		p.Seccomp.Flags = []specs.LinuxSeccompFlag{}
	}
	return p.Seccomp
}
