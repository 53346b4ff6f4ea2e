package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/oci-sbx/oci-sbx/oci/program"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// convertOutputs are the formats convert --to takes: what convert.Write
// writes, and the program runc loads, which the sandbox exports.
var convertOutputs = append(slices.Clone(convert.OutputFormats), convert.BPF)

// programInputs are the formats simulate and diff read: profiles, and raw
// programs.
var programInputs = append(slices.Clone(convert.InputFormats), convert.BPF)

// writeOutput encodes the profile for convert --to: the text formats with
// convert.Write, bpf as the program runc loads on this host.
func writeOutput(ctx context.Context, c *cli.Command, w io.Writer, s *specs.LinuxSeccomp, to convert.Format, opt convert.Options) error {
	if to != convert.BPF {
		return convert.Write(w, s, to, opt)
	}
	if outputFile(c) == "" && isTerminal(c.Root().Writer) {
		return errors.New("refusing to write a binary program to a terminal: use -o FILE or redirect standard output")
	}
	prog, err := exportProgram(ctx, s)
	if err != nil {
		return err
	}
	warn := func(msg string) {
		if opt.Warn != nil {
			opt.Warn(msg)
		}
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
	names := []string{syscalls.NativeArch()}
	for _, a := range s.Architectures {
		if name, err := syscalls.ArchFromSpec(a); err == nil {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if v, err := filter.AuditArch(name); err == nil {
			families[v] = true
		}
	}
	return len(families)
}

// exportProgram returns the program runc loads for a profile, with an
// explanation where this build or this process cannot get it.
func exportProgram(ctx context.Context, s *specs.LinuxSeccomp) ([]byte, error) {
	prog, err := program.Export(ctx, s)
	switch {
	case errors.Is(err, sandbox.ErrUnsupported):
		return nil, fmt.Errorf("exporting the program runc loads: %w; a raw program (oci-sbx convert --to bpf, from a seccomp build) simulates in any build", err)
	case err != nil:
		return nil, fmt.Errorf("exporting the program runc loads: %w", err)
	}
	return prog, nil
}

// loadProgram reads a profile in any format convert reads and exports the
// program runc loads for it, or reads a raw program (--from bpf, or a file
// with a NUL byte, which no text format has). The profile is nil for a raw
// program.
func loadProgram(ctx context.Context, stdin io.Reader, path string, from convert.Format, opt convert.Options) (*filter.Program, *specs.LinuxSeccomp, error) {
	data, err := readInput(stdin, path)
	if err != nil {
		return nil, nil, err
	}
	if from == convert.BPF || (from == "" && bytes.IndexByte(data, 0) >= 0) {
		p, err := filter.Decode(data)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %q: %w", path, err)
		}
		return p, nil, nil
	}
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	s, err := convert.Read(name, data, from, opt)
	if err != nil {
		return nil, nil, err
	}
	prog, err := exportProgram(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	p, err := filter.Decode(prog)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding the program of %q: %w", path, err)
	}
	return p, s, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
