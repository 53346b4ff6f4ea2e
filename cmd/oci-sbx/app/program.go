package app

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// convertOutputs are the formats convert --to takes: what convert.Write
// writes, and the program runc loads, which the sandbox exports.
var convertOutputs = append(slices.Clone(convert.OutputFormats), convert.BPF)

// programInputs are the formats simulate and diff read: profiles, and raw
// programs.
var programInputs = append(slices.Clone(convert.InputFormats), convert.BPF)

// writeBPF is convert --to bpf: the program runc loads on this host
// (program.Write), never to a terminal.
func writeBPF(ctx context.Context, c *cli.Command, w io.Writer, s *specs.LinuxSeccomp, opt convert.Options) error {
	if outputFile(c) == "" && isTerminal(c.Root().Writer) {
		return errors.New("refusing to write a binary program to a terminal: use -o FILE or redirect standard output")
	}
	return program.Write(ctx, w, s, opt.Warn)
}

// loadProgram reads a file for simulate and diff: a raw program, or a
// profile's program (program.Load).
func loadProgram(ctx context.Context, stdin io.Reader, path string, from convert.Format, opt convert.Options) (*filter.Program, *specs.LinuxSeccomp, error) {
	data, err := readInput(stdin, path)
	if err != nil {
		return nil, nil, err
	}
	return program.Load(ctx, inputName(path), data, from, opt)
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
