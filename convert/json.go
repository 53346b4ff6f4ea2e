package convert

import (
	"bytes"
	"encoding/json"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// ociSeccomp mirrors specs.LinuxSeccomp but always writes "flags": a
// missing key makes runc add SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns a
// Spectre mitigation off.
type ociSeccomp struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []specs.LinuxSyscall     `json:"syscalls,omitempty"`
}

func toOCIJSON(s *specs.LinuxSeccomp) ociSeccomp {
	flags := s.Flags
	if flags == nil {
		flags = []specs.LinuxSeccompFlag{}
	}
	return ociSeccomp{
		DefaultAction:    s.DefaultAction,
		DefaultErrnoRet:  s.DefaultErrnoRet,
		Architectures:    s.Architectures,
		Flags:            flags,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
		Syscalls:         s.Syscalls,
	}
}

// marshalJSON writes v the way `runc spec` does: tab-indented, HTML left
// alone, with a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
