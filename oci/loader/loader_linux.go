//go:build linux && cgo && seccomp

package loader

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	libseccomp "github.com/seccomp/libseccomp-golang"
)

// Supported reports whether this build can load seccomp filters.
const Supported = true

// Check reports what runc would refuse in a profile, and deny rules naming
// a syscall libseccomp does not know (runc skips those silently, so the
// rule would deny nothing). Allow rules with unknown names are left alone:
// skipping them only makes the profile stricter, as under runc.
func Check(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	if s.DefaultAction == specs.ActNotify {
		return fmt.Errorf("checking the profile: %w", ErrNotifyDefault)
	}
	arches, err := filterArches(s)
	if err != nil {
		return fmt.Errorf("checking the profile: %w", err)
	}
	var agent string
	for _, rule := range s.Syscalls {
		for _, name := range rule.Names {
			if rule.Action == specs.ActNotify {
				if name == "write" {
					return fmt.Errorf("checking the profile: %w", ErrNotifyWrite)
				}
				agent = name
			}
			if !Allows(rule.Action) && !knownSyscall(name, arches) {
				maj, min, mic := libseccomp.GetLibraryVersion()
				return fmt.Errorf("checking the profile: %w %q: libseccomp %d.%d.%d does not know it, and runc would skip the rule silently",
					ErrUnknownSyscall, name, maj, min, mic)
			}
		}
	}
	if agent != "" {
		return fmt.Errorf("checking the profile: rule for %q: %w", agent, ErrNotifyAgent)
	}
	// runc's own conversion checks actions, operators, flags and
	// architectures; doing it here fails before anything starts.
	if _, err := specconv.SetupSeccomp(s); err != nil {
		return fmt.Errorf("checking the profile: %w", err)
	}
	return nil
}

// filterArches lists the architectures a filter covers: the profile's and
// always the native one, as libseccomp adds it.
func filterArches(s *specs.LinuxSeccomp) ([]libseccomp.ScmpArch, error) {
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		return nil, fmt.Errorf("getting the native architecture: %w", err)
	}
	arches := []libseccomp.ScmpArch{native}
	for _, a := range s.Architectures {
		name, err := seccomp.ConvertStringToArch(string(a))
		if err != nil {
			return nil, fmt.Errorf("converting architecture %q: %w", a, err)
		}
		arch, err := libseccomp.GetArchFromString(name)
		if err != nil {
			return nil, fmt.Errorf("converting architecture %q: %w", a, err)
		}
		arches = append(arches, arch)
	}
	return arches, nil
}

func knownSyscall(name string, arches []libseccomp.ScmpArch) bool {
	for _, a := range arches {
		if _, err := libseccomp.GetSyscallFromNameByArch(name, a); err == nil {
			return true
		}
	}
	return false
}

// LibseccompVersion is the version of the libseccomp this build links.
func LibseccompVersion() (string, error) {
	major, minor, micro := seccomp.Version()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro), nil
}

// Features is what the linked runc loader can put in a filter here, as
// `runc features` reports it: the actions, operators and architectures it
// knows, and the filter flags it knows and this kernel and libseccomp
// support.
func Features() *features.Seccomp {
	enabled := true
	return &features.Seccomp{
		Enabled:        &enabled,
		Actions:        seccomp.KnownActions(),
		Operators:      seccomp.KnownOperators(),
		Archs:          seccomp.KnownArchs(),
		KnownFlags:     seccomp.KnownFlags(),
		SupportedFlags: seccomp.SupportedFlags(),
	}
}
