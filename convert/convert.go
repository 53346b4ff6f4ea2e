package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// Format names a profile format on the command line.
type Format string

const (
	Rules       Format = "rules"        // the rules language (YAML)
	LibseccompC Format = "libseccomp-c" // C source calling libseccomp (input only)
	Docker      Format = "docker"       // Docker and Podman JSON
	OCI         Format = "oci"          // runtime-spec linux.seccomp, or a whole config.json (input)
	SPO         Format = "spo"          // Security Profiles Operator SeccompProfile YAML
	Kubernetes  Format = "kubernetes"   // flattened OCI JSON for a kubelet Localhost profile (output only)
)

// InputFormats and OutputFormats list what Read and Write accept.
var (
	InputFormats  = []Format{Rules, LibseccompC, Docker, OCI, SPO}
	OutputFormats = []Format{OCI, Docker, Kubernetes, SPO, Rules}
)

// ErrUnknownFormat is returned for a format name Read or Write does not know.
var ErrUnknownFormat = errors.New("unknown format")

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

// Options steer a conversion. The zero value converts for the host's own
// architecture with Docker's default capabilities and the running kernel.
type Options struct {
	// Arches are the target architectures as libseccomp names (x86_64,
	// aarch64, …). Empty keeps what the input says, and native when it
	// says nothing.
	Arches []string
	// Caps is the capability set Docker's includes/excludes resolve
	// against; nil means the set `docker run` grants by default.
	Caps []string
	// Kernel is the "major.minor" version Docker's minKernel filters are
	// checked against; empty means the running kernel.
	Kernel string
	// Name names the profile in outputs that carry one (spo, kubernetes).
	Name string
	// Warn receives notes about the input and what a target format loses.
	// It may be nil.
	Warn func(msg string)
	// Alert receives what makes the output unusable as it stands (no
	// runtime can start under it): a caller shows it even where it
	// silences Warn. A writer of such a note sends it to Warn when Alert
	// is nil.
	Alert func(msg string)
	// OnFile, if set, is told each file Read reads besides its input (a
	// base named by extends).
	OnFile func(path string)

	depth int // levels of extends followed so far
}

func (o *Options) warn(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// Read parses a profile in the given format (sniffed from the content when
// from is empty). name is used in error messages.
func Read(name string, data []byte, from Format, opt Options) (*specs.LinuxSeccomp, error) {
	if from == "" {
		var err error
		if from, err = Sniff(data); err != nil {
			return nil, fmt.Errorf("reading %q: %w", name, err)
		}
	}
	var (
		s   *specs.LinuxSeccomp
		err error
	)
	switch from {
	case Rules:
		s, err = readRules(name, data, opt)
	case LibseccompC:
		s, err = readLibseccompC(name, data, opt)
	case Docker:
		s, err = readDocker(name, data, opt)
	case OCI:
		s, err = readOCI(name, data, opt)
	case SPO:
		s, err = readSPO(name, data, opt)
	default:
		return nil, fmt.Errorf("%w %q for input", ErrUnknownFormat, from)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Write encodes a profile in the given format.
func Write(w io.Writer, s *specs.LinuxSeccomp, to Format, opt Options) error {
	var buf bytes.Buffer
	var err error
	switch to {
	case OCI:
		err = writeOCI(&buf, s, opt)
	case Docker:
		err = writeDocker(&buf, s, opt)
	case Kubernetes:
		err = writeKubernetes(&buf, s, opt)
	case SPO:
		err = writeSPO(&buf, s, opt)
	case Rules:
		err = writeRules(&buf, s, opt)
	case BPF:
		return ErrBPFNeedsLoader
	default:
		return fmt.Errorf("%w %q for output", ErrUnknownFormat, to)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
