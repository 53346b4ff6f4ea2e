package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// readInput reads a file, or standard input for "-".
func readInput(stdin io.Reader, path string) ([]byte, error) {
	if path != "-" {
		return bounded.ReadFile(path, convert.MaxInputSize)
	}
	data, err := bounded.ReadAll(stdin, convert.MaxInputSize)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	return data, nil
}

// stdinOnce is the usage error for naming standard input (-) more than
// once: the second read would find it empty.
func stdinOnce(c *cli.Command) error {
	args := c.Args().Slice()
	if i := slices.Index(args, "-"); i >= 0 && slices.Contains(args[i+1:], "-") {
		return usageErrorf(c, "standard input (-) can be only one of the profiles")
	}
	return nil
}

// loadProfile reads a profile in any format convert reads, sniffing the
// format unless from is set.
func loadProfile(stdin io.Reader, path string, from convert.Format, opt convert.Options) (*specs.LinuxSeccomp, error) {
	data, err := readInput(stdin, path)
	if err != nil {
		return nil, err
	}
	return convert.Read(inputName(path), data, from, opt)
}

// inputName is how messages name an input: "<stdin>" for "-".
func inputName(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	return path
}

// fromFlag is --from, for commands reading a profile in formats.
func fromFlag(formats []convert.Format) cli.Flag {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return oneOf(&cli.StringFlag{Name: "from", Aliases: []string{"f"}, Usage: "input `FORMAT`: " + strings.Join(names, ", ") + " (default: guessed)"}, names...)
}

// fromFormat reads --from: empty means "guess from the content".
func fromFormat(c *cli.Command, formats []convert.Format) (convert.Format, error) {
	f := c.String("from")
	if f == "" {
		return "", nil
	}
	from, err := convert.ParseFormat(f, formats)
	if err != nil {
		return "", usageErrorf(c, "--from: %v", err)
	}
	return from, nil
}

// warnOptions are conversion options whose notes go to standard error,
// unless --quiet.
func warnOptions(c *cli.Command) convert.Options {
	return warnTo(c.Root().ErrWriter, quiet(c))
}

// cachedCheck is program.Check remembered by the profile's JSON, for the
// NRI plugin, which applies the same profiles to many containers: each is
// built once. A profile that could not be checked here is let through
// (runc then says what it says).
func cachedCheck() func(*specs.LinuxSeccomp) error {
	var mu sync.Mutex
	seen := map[[32]byte]error{}
	return func(s *specs.LinuxSeccomp) error {
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		key := sha256.Sum256(data)
		mu.Lock()
		defer mu.Unlock()
		if err, ok := seen[key]; ok {
			return err
		}
		err = program.Check(context.Background(), s)
		if errors.Is(err, program.ErrUnchecked) {
			err = nil
		}
		seen[key] = err
		return err
	}
}

// warnTo is warnOptions writing to w.
func warnTo(w io.Writer, quiet bool) convert.Options {
	check := func(s *specs.LinuxSeccomp) error {
		err := program.Check(context.Background(), s)
		if errors.Is(err, program.ErrUnchecked) {
			if !quiet {
				fmt.Fprintf(w, "oci-sbx: warning: %v; written without that check\n", err)
			}
			return nil
		}
		return err
	}
	if quiet {
		return convert.Options{Warn: func(string) {}, Check: check}
	}
	return convert.Options{Warn: func(msg string) { fmt.Fprintf(w, "oci-sbx: warning: %s\n", msg) }, Check: check}
}

// quiet reports --quiet: no warnings or notes about the conversion. What
// says a profile cannot be used as written (no runtime can start it) does
// not go through these and is always printed.
func quiet(c *cli.Command) bool { return c.Root().Bool("quiet") }

// notef prints a note (what harden changed, where a file goes) unless
// --quiet.
func notef(c *cli.Command, format string, args ...any) {
	if !quiet(c) {
		fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: "+format, args...)
	}
}

// outputFlag is -o, for commands that write a profile: to FILE
// atomically, or with - (or without -o) to standard output.
func outputFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: usage + "; -o - writes to standard output"}
}

// outputFile is the file -o names, or "" for standard output.
func outputFile(c *cli.Command) string {
	if out := c.String("output"); out != "-" {
		return out
	}
	return ""
}

// outputTo is where -o sends a command's output: a file to replace
// atomically (path), or a writer: standard output, or a device or pipe
// -o names (/dev/null, /dev/stdout, a shell's >(…)), which has nothing to
// replace and is written into. done closes what outputTo opened.
func outputTo(c *cli.Command) (path string, w io.Writer, done func() error, err error) {
	out := outputFile(c)
	if out == "" {
		return "", c.Root().Writer, func() error { return nil }, nil
	}
	if fi, err := os.Stat(out); err == nil && fi.Mode()&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0 {
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return "", nil, nil, fmt.Errorf("writing %q: %w", out, err)
		}
		return "", f, f.Close, nil
	}
	return out, c.Root().Writer, func() error { return nil }, nil
}

// writeOut writes a command's whole output where -o says.
func writeOut(c *cli.Command, data []byte) error {
	path, w, done, err := outputTo(c)
	if err != nil {
		return err
	}
	if path != "" {
		return oci.WriteFileAtomic(path, data, 0o644)
	}
	if _, err := w.Write(data); err != nil {
		_ = done()
		return err
	}
	return done()
}

// capFlags are --cap-add and --cap-drop for commands that read a profile
// resolved for one capability set: Docker's includes and excludes by
// capability resolve against the set docker run grants, changed as
// docker run --cap-add and --cap-drop change it.
func capFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "cap-add", Usage: "`CAP`s added to the set docker run grants, as docker run --cap-add, for Docker includes/excludes"},
		&cli.StringSliceFlag{Name: "cap-drop", Usage: "`CAP`s dropped from the set docker run grants, as docker run --cap-drop"},
	}
}

// withCaps sets the options' capability changes from capFlags.
func withCaps(c *cli.Command, opt convert.Options) convert.Options {
	opt.CapAdd, opt.CapDrop = splitList(c.StringSlice("cap-add")), splitList(c.StringSlice("cap-drop"))
	return opt
}
