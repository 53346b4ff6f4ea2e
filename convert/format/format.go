package format

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
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
	BPF         Format = "bpf"          // the raw program runc loads (output only, seccomp build)
)

// DefaultName names a profile in outputs that carry a name, when
// Options.Name is empty.
const DefaultName = "oci-sbx"

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
	// CapAdd and CapDrop change that set as docker run's --cap-add and
	// --cap-drop do ("ALL" for every capability).
	CapAdd, CapDrop []string
	// OnCap, if set, is told each capability an includes or excludes
	// filter of the input (or of a base it extends) names.
	OnCap func(cap string)
	// Kernel is the "major.minor" version Docker's minKernel filters are
	// checked against; empty means the running kernel.
	Kernel string
	// Name names the profile in outputs that carry one (spo, kubernetes).
	Name string
	// Select names the one profile to read from a file that holds several
	// (SPO resources: by metadata.name); empty takes the only one.
	Select string
	// Warn receives notes about the input and what a target format loses.
	// It may be nil.
	Warn func(msg string)
	// OnFile, if set, is told each file Read reads besides its input (a
	// base named by extends).
	OnFile func(path string)
	// ReadFile, if set, reads those files instead of the file system as
	// this process sees it: the Podman hook and the NRI plugin read them
	// beneath their profiles directory, since whoever starts a container
	// writes the extends. path is the reference joined to the directory
	// of the file that names it. What such a file says is never quoted in
	// an error, only where parsing stopped: it may be no profile at all.
	ReadFile func(path string) ([]byte, error)
	// Check, if set, builds a profile as runc's loader does and says what
	// keeps it from loading or from doing what it says (oci/program.Check);
	// what writes a profile calls it on what it writes, the rules writer
	// on the rules read back.
	Check func(*specs.LinuxSeccomp) error
}

// Warnf passes a note to Warn, if set.
func (o *Options) Warnf(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// Normalize checks a profile read from a foreign format and returns it in
// canonical form: every action, name and condition valid, errnoRet
// explicit, runc's OR of same-argument conditions made explicit, and the
// target architectures applied. Foreign formats have no extends, so no
// base is resolved.
func Normalize(name string, s *specs.LinuxSeccomp, opt Options) (*specs.LinuxSeccomp, error) {
	p, err := rules.FromSeccomp(s)
	if err != nil {
		return nil, WithFile(name, err)
	}
	p.File = name
	return p.Compile(rules.CompileOptions{
		Arches: opt.Arches,
		Warn:   func(e *rules.Error) { opt.Warnf("%v", e) },
	})
}

// WithFile names the source in errors that lack it.
func WithFile(name string, err error) error {
	if l, ok := err.(rules.ErrorList); ok {
		for _, e := range l {
			if e.File == "" {
				e.File = name
			}
		}
	}
	return err
}
