package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// OCIJSON mirrors specs.LinuxSeccomp but always writes "flags": a
// missing key makes runc add SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns a
// Spectre mitigation off.
type OCIJSON struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []specs.LinuxSyscall     `json:"syscalls,omitempty"`
}

// ToOCIJSON returns the profile in the form WriteJSON writes.
func ToOCIJSON(s *specs.LinuxSeccomp) OCIJSON {
	flags := s.Flags
	if flags == nil {
		flags = []specs.LinuxSeccompFlag{}
	}
	return OCIJSON{
		DefaultAction:    s.DefaultAction,
		DefaultErrnoRet:  s.DefaultErrnoRet,
		Architectures:    s.Architectures,
		Flags:            flags,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
		Syscalls:         s.Syscalls,
	}
}

// MarshalJSON writes v the way `runc spec` does: tab-indented, HTML left
// alone, with a trailing newline.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes the profile as canonical OCI linux.seccomp JSON, which
// the OCI, Docker and Kubernetes outputs all are.
func WriteJSON(w io.Writer, s *specs.LinuxSeccomp) error {
	if s == nil {
		return errors.New("writing profile: no profile")
	}
	b, err := MarshalJSON(ToOCIJSON(s))
	if err != nil {
		return fmt.Errorf("writing profile: %w", err)
	}
	_, err = w.Write(b)
	return err
}
