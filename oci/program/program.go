package program

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// ErrNoFilter is returned by Export for a profile with neither a default
// action nor rules, which runc takes as "no seccomp".
var ErrNoFilter = errors.New("the profile loads no filter: runc applies none when it has neither a default action nor rules")

// Write writes the program runc loads for s on this host (Export) to w,
// and tells warn what the raw program loses against the profile: its
// flags, a listener for notify rules, and the same bytes from one export
// to the next where runc's ENOSYS stub has more than one architecture
// family.
func Write(ctx context.Context, w io.Writer, s *specs.LinuxSeccomp, warn func(string)) error {
	prog, err := export(ctx, s)
	if err != nil {
		return err
	}
	if warn == nil {
		warn = func(string) {}
	}
	if len(s.Flags) > 0 {
		warn(fmt.Sprintf("the program does not carry the profile's flags %v: a loader such as bwrap loads it without them", s.Flags))
	}
	for _, r := range s.Syscalls {
		if r.Action == specs.ActNotify {
			if len(r.Names) == 1 {
				warn(fmt.Sprintf("%s returns SECCOMP_RET_USER_NOTIF: loaded without a notify listener (bwrap), it fails with ENOSYS", r.Names[0]))
			} else {
				warn(fmt.Sprintf("%s return SECCOMP_RET_USER_NOTIF: loaded without a notify listener (bwrap), they fail with ENOSYS", strings.Join(r.Names, ", ")))
			}
		}
	}
	if stubFamilies(s) > 1 {
		warn("runc's ENOSYS stub orders its architecture sections as Go map iteration happens to: the bytes of this program can differ from one export to the next, what it does cannot")
	}
	_, err = w.Write(prog)
	return err
}

// stubFamilies counts the AUDIT_ARCH values runc's ENOSYS stub has a
// section for: none when the default action lets calls run.
func stubFamilies(s *specs.LinuxSeccomp) int {
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return 0
	}
	families := map[uint32]bool{}
	names := append([]string{syscalls.NativeArch()}, syscalls.ArchesFromSpec(s.Architectures)...)
	for _, name := range names {
		if v, err := filter.AuditArch(name); err == nil {
			families[v] = true
		}
	}
	return len(families)
}

// export is Export, with an explanation where this build or this process
// cannot get the program.
func export(ctx context.Context, s *specs.LinuxSeccomp) ([]byte, error) {
	prog, err := Export(ctx, s)
	switch {
	case errors.Is(err, loader.ErrUnsupported):
		return nil, fmt.Errorf("exporting the program runc loads: %w; a raw program (oci-sbx convert --to bpf, from a seccomp build) simulates in any build", err)
	case err != nil:
		return nil, fmt.Errorf("exporting the program runc loads: %w", err)
	}
	return prog, nil
}

// Load reads the program a file means: a raw program (from is
// convert.BPF, or the data holds a NUL byte, which no text format has),
// or the program runc loads for a profile in any format convert reads.
// The profile is nil for a raw program. name is the file's, as errors
// show it.
func Load(ctx context.Context, name string, data []byte, from convert.Format, opt convert.Options) (*filter.Program, *specs.LinuxSeccomp, error) {
	if from == convert.BPF || (from == "" && bytes.IndexByte(data, 0) >= 0) {
		p, err := filter.Decode(data)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %q: %w", name, err)
		}
		return p, nil, nil
	}
	s, err := convert.Read(name, data, from, opt)
	if err != nil {
		return nil, nil, err
	}
	prog, err := export(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	p, err := filter.Decode(prog)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding the program of %q: %w", name, err)
	}
	return p, s, nil
}

// ErrUnchecked is Check's error when this process could not build the
// program at all (no seccomp user notification here, say): nothing is
// known about the profile, which the caller may write with a warning.
var ErrUnchecked = errors.New("the profile could not be built here to check it")

// refusedByLoader reports whether Export failed in runc's own loader
// (conversion, libseccomp's rules or load), not in the machinery around
// it; the child reports its errors as text.
func refusedByLoader(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "the load was not caught") || strings.Contains(msg, "converting the profile") || strings.Contains(msg, "checking the profile")
}

// checkTimeout bounds Check: a filter builds in milliseconds, so seconds
// mean libseccomp never finishes.
const checkTimeout = 10 * time.Second

// Check builds the program runc loads for s on this host and holds it to
// what s says (filter.Verify). It fails when libseccomp refuses the
// profile or never finishes building it, which runc meets when it starts
// a container, or builds a program that answers a call otherwise than the
// profile plainly says. A build without libseccomp checks nothing.
func Check(ctx context.Context, s *specs.LinuxSeccomp) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	prog, err := Export(ctx, s)
	switch {
	case errors.Is(err, loader.ErrUnsupported), errors.Is(err, ErrNoFilter):
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("libseccomp did not finish building the program runc loads for the profile in %v: runc would hang starting a container under it", checkTimeout)
	case err != nil && refusedByLoader(err):
		return fmt.Errorf("runc cannot load the profile: %w", err)
	case err != nil:
		return fmt.Errorf("%w: %v", ErrUnchecked, err)
	}
	p, err := filter.Decode(prog)
	if err != nil {
		return fmt.Errorf("decoding the program runc loads: %w", err)
	}
	arches := []string{syscalls.NativeArch()}
	for _, a := range syscalls.ArchesFromSpec(s.Architectures) {
		if !slices.Contains(arches, a) {
			arches = append(arches, a)
		}
	}
	diffs := filter.Verify(p, s, arches)
	if len(diffs) == 0 {
		return nil
	}
	fix := "leave the architectures it gets wrong out of the profile, or write one profile per architecture"
	if slices.ContainsFunc(diffs, func(d filter.Difference) bool { return d.Case.Arch == syscalls.NativeArch() }) {
		fix = "write the rules of the calls named another way (other conditions, or the rules in another order): the fault is libseccomp's"
	}
	var said []string
	for i, d := range diffs {
		if i == 3 {
			said = append(said, fmt.Sprintf("and %d more", len(diffs)-i))
			break
		}
		said = append(said, fmt.Sprintf("on %s, %s: the profile says %s, the program answers %s", d.Case.Arch, d, d.A, d.B))
	}
	return fmt.Errorf("libseccomp %s builds a program that does not do what the profile says (%s): %s", libseccompVersion(), strings.Join(said, "; "), fix)
}

func libseccompVersion() string {
	if v, err := loader.LibseccompVersion(); err == nil {
		return v
	}
	return ""
}
