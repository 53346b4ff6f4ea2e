package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/kubernetes"
	"github.com/oci-sbx/oci-sbx/convert/libseccompc"
	"github.com/oci-sbx/oci-sbx/convert/oci"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/spo"
)

// Format names a profile format on the command line.
type Format = format.Format

// The formats; each lives in its own package under convert/.
const (
	Rules       = format.Rules
	LibseccompC = format.LibseccompC
	Docker      = format.Docker
	OCI         = format.OCI
	SPO         = format.SPO
	Kubernetes  = format.Kubernetes
	BPF         = format.BPF
)

// Options steer a conversion; see format.Options.
type Options = format.Options

type (
	reader func(name string, data []byte, opt Options, depth int) (*specs.LinuxSeccomp, error)
	writer func(w io.Writer, s *specs.LinuxSeccomp, opt Options) error
)

// readers and writers are the registry: one entry per format, in the
// order the command line lists them. readers is a function because the
// rules reader reads the bases its profiles extend through Read.
func readers() []struct {
	f    Format
	read reader
} {
	return []struct {
		f    Format
		read reader
	}{
		{Rules, readRules},
		{LibseccompC, readLibseccompC},
		{Docker, foreign(docker.Read)},
		{OCI, foreign(oci.Read)},
		{SPO, foreign(spo.Read)},
	}
}

var (
	writers = []struct {
		f     Format
		write writer
	}{
		{OCI, oci.Write},
		{Docker, docker.Write},
		{Kubernetes, kubernetes.Write},
		{SPO, spo.Write},
		{Rules, writeRules},
	}
)

// foreign adapts the reader of a format that has no extends.
func foreign(read func(string, []byte, Options) (*specs.LinuxSeccomp, error)) reader {
	return func(name string, data []byte, opt Options, _ int) (*specs.LinuxSeccomp, error) {
		return read(name, data, opt)
	}
}

// InputFormats and OutputFormats list what Read and Write accept.
var (
	InputFormats = func() (fs []Format) {
		for _, r := range readers() {
			fs = append(fs, r.f)
		}
		return fs
	}()
	OutputFormats = func() (fs []Format) {
		for _, w := range writers {
			fs = append(fs, w.f)
		}
		return fs
	}()
)

// ErrUnknownFormat is returned for a format name Read or Write does not know.
var ErrUnknownFormat = errors.New("unknown format")

// ErrBPFNeedsLoader is Write's answer for BPF: the raw program is the one
// runc loads — libseccomp's filter behind runc's ENOSYS stub — and no call
// of runc returns it; only the kernel can, once the profile is loaded. The
// seccomp build of the command line exports it through oci/sandbox.
var ErrBPFNeedsLoader = errors.New("the bpf format is the program runc loads, which only the seccomp build can produce: use oci-sbx convert --to bpf")

// ParseFormat checks a format name given by a user.
func ParseFormat(s string, valid []Format) (Format, error) {
	if slices.Contains(valid, Format(s)) {
		return Format(s), nil
	}
	names := make([]string, len(valid))
	for i, f := range valid {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// Read parses a profile in the given format (sniffed from the content when
// from is empty). name is used in error messages.
func Read(name string, data []byte, from Format, opt Options) (*specs.LinuxSeccomp, error) {
	return read(name, data, from, opt, 0)
}

func read(name string, data []byte, from Format, opt Options, depth int) (*specs.LinuxSeccomp, error) {
	given := from != ""
	if !given {
		var err error
		if from, err = Sniff(data); err != nil {
			return nil, fmt.Errorf("reading %q: %w", name, err)
		}
	}
	for _, r := range readers() {
		if r.f == from {
			s, err := r.read(name, data, opt, depth)
			if err != nil && given {
				// A format given by hand that the content contradicts:
				// the parse errors alone would not say why, and there can
				// be one per line of the file.
				if guess, serr := Sniff(data); serr == nil && guess != from {
					return nil, &MismatchError{err: err, From: from, Guess: guess}
				}
			}
			return s, err
		}
	}
	return nil, fmt.Errorf("%w %q for input", ErrUnknownFormat, from)
}

// MismatchError is the failure to read a profile in the format --from
// names when its content looks like another: the first error, how many
// followed, and the likely cause.
type MismatchError struct {
	err         error
	From, Guess Format
}

func (e *MismatchError) Error() string {
	first, rest, _ := strings.Cut(e.err.Error(), "\n")
	why := fmt.Sprintf("read as %s, as --from says; the content looks like %s", e.From, e.Guess)
	switch n := strings.Count(rest, "\n") + 1; {
	case rest == "":
	case n == 1:
		why = "and 1 more error; " + why
	default:
		why = fmt.Sprintf("and %d more errors; %s", n, why)
	}
	return first + " (" + why + ")"
}

func (e *MismatchError) Unwrap() error { return e.err }

// Write encodes a profile in the given format.
func Write(w io.Writer, s *specs.LinuxSeccomp, to Format, opt Options) error {
	if to == BPF {
		return ErrBPFNeedsLoader
	}
	for _, e := range writers {
		if e.f == to {
			var buf bytes.Buffer
			if err := e.write(&buf, s, opt); err != nil {
				return err
			}
			_, err := w.Write(buf.Bytes())
			return err
		}
	}
	return fmt.Errorf("%w %q for output", ErrUnknownFormat, to)
}

// Builtin returns a built-in base profile resolved for the target that
// opt describes; see docker.Builtin.
func Builtin(name string, opt Options) (*specs.LinuxSeccomp, error) {
	return docker.Builtin(name, opt)
}

// BuiltinNames lists the profiles Builtin knows, sorted.
func BuiltinNames() []string { return docker.BuiltinNames() }

// Equal reports whether two profiles mean the same under runc; when they
// do not, the error is a *format.DiffError. See format.Equal.
func Equal(a, b *specs.LinuxSeccomp) error { return format.Equal(a, b) }

// Document is a profile as written, before anything is resolved or
// compiled, with the position of every value: what lint reads beside the
// profile Read returns. Exactly one of Rules and Docker is set.
type Document struct {
	Format Format
	// Rules is a document of the rules language, or the rules a
	// libseccomp C program adds on its way to seccomp_load.
	Rules *rules.Profile
	// Docker is a Docker, Podman, OCI or SPO profile.
	Docker *docker.Doc
}

// Parse reads a profile as written (sniffing the format when from is
// empty), through the same parsers as Read.
func Parse(name string, data []byte, from Format) (*Document, error) {
	if from == "" {
		var err error
		if from, err = Sniff(data); err != nil {
			return nil, fmt.Errorf("reading %q: %w", name, err)
		}
	}
	d := &Document{Format: from}
	var err error
	switch from {
	case Rules:
		d.Rules, err = rules.Parse(name, data)
	case LibseccompC:
		d.Rules, err = libseccompc.Parse(name, data, nil)
	case Docker:
		d.Docker, err = docker.Decode(name, data)
	case OCI:
		d.Docker, err = oci.Decode(name, data)
	case SPO:
		d.Docker, err = spo.Decode(name, data, Options{})
	default:
		return nil, fmt.Errorf("%w %q for input", ErrUnknownFormat, from)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}
