package hooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// MaxInlineRules bounds the io.oci-sbx.rules annotation. Rules a person
// writes are a few hundred bytes; a container's annotations travel in
// every state runc hands to hooks and agents.
const MaxInlineRules = 64 << 10

// Where the late stage's files appear inside the container; the same
// places `oci-sbx patch` uses, so `oci-sbx late` finds them either way.
const (
	LateMount   = "/.oci-sbx"
	LateBinary  = LateMount + "/oci-sbx"
	LateProfile = LateMount + "/late.json"
	// LateAgentSocket is where the agent's socket is bound, for the late
	// stage to hand its listener over (see ReportLate).
	LateAgentSocket = LateMount + "/agent.sock"
)

// DefaultLateDir is where the precreate filter keeps late-stage profiles
// on the host, one file per profile, named by its hash.
const DefaultLateDir = "/run/oci-sbx/late"

// ErrNoProfile is returned for a report annotation without a profile.
var ErrNoProfile = errors.New("no profile")

// PrecreateOptions steer the precreate filter.
type PrecreateOptions struct {
	// LateBinary finds a static oci-sbx with seccomp support on the host,
	// to bind into containers whose profile runc cannot start with (see
	// package stage). It is called only for such profiles; nil, or an
	// error, refuses them.
	LateBinary func() (string, error)
	// LateDir is where late-stage profiles are written; empty means
	// DefaultLateDir.
	LateDir string
	// Convert is passed to convert.Read; its Warn receives the profile's
	// warnings, and notes about what the filter did.
	Convert convert.Options
}

func (o *PrecreateOptions) note(format string, args ...any) {
	if o.Convert.Warn != nil {
		o.Convert.Warn(fmt.Sprintf(format, args...))
	}
}

// Precreate is Podman's precreate hook: it takes a container's config.json
// and returns the config to create the container with. A container
// without an io.oci-sbx.profile or io.oci-sbx.rules annotation gets its
// config back byte for byte. Otherwise linux.seccomp holds that profile
// (replacing any other), applied the way `oci-sbx patch` applies it,
// including a late stage for rules runc cannot start with; with
// io.oci-sbx.report the profile's errno rules are reported to the agent
// on that socket (see ReportTo).
//
// Any error means the container must not be created: a container started
// without the profile it asked for would run unconfined.
func Precreate(config []byte, opt PrecreateOptions) ([]byte, error) {
	var probe struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(config, &probe); err != nil {
		return nil, fmt.Errorf("decoding config.json: %w", err)
	}
	ann := probe.Annotations
	path, hasPath := ann[AnnotationProfile]
	inline, hasInline := ann[AnnotationRules]
	report, hasReport := ann[AnnotationReport]
	switch {
	case !hasPath && !hasInline && hasReport:
		return nil, fmt.Errorf("annotation %s: %w to report on: add %s or %s", AnnotationReport, ErrNoProfile, AnnotationProfile, AnnotationRules)
	case !hasPath && !hasInline:
		return config, nil
	case hasPath && hasInline:
		return nil, fmt.Errorf("annotations %s and %s: give one profile, not two", AnnotationProfile, AnnotationRules)
	}

	var (
		profile *specs.LinuxSeccomp
		err     error
	)
	if hasPath {
		profile, err = readProfileFile(path, opt.Convert)
	} else {
		profile, err = readInlineRules(inline, opt.Convert)
	}
	if err != nil {
		return nil, err
	}

	ed, err := oci.ParseConfig(config)
	if err != nil {
		return nil, fmt.Errorf("reading config.json: %w", err)
	}
	spec, err := ed.Spec()
	if err != nil {
		return nil, fmt.Errorf("reading config.json: %w", err)
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return nil, errors.New("reading config.json: it has no process.args")
	}
	nnp := spec.Process.NoNewPrivileges
	plan, err := stage.Split(profile, nnp)
	if err != nil {
		return nil, fmt.Errorf("applying the profile: %w", err)
	}

	early, late := plan.Early, plan.Late
	if hasReport {
		var notes []string
		if late == nil {
			early, notes, err = ReportTo(early, report)
		} else {
			early, late, notes, err = ReportLate(early, late, LateAgentSocket)
		}
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationReport, err)
		}
		if err := checkSocket(report); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationReport, err)
		}
		for _, n := range notes {
			opt.note("%s", n)
		}
	}

	opts := []oci.SpecOpt{oci.WithSeccomp(early)}
	if plan.NoNewPrivileges && !nnp {
		opts = append(opts, oci.WithNoNewPrivileges(true))
		opt.note("set process.noNewPrivileges: runc must load the profile as late as it can (%s)", conflicts(plan))
	}
	if late != nil {
		bin, err := lateBinary(opt.LateBinary)
		if err != nil {
			return nil, fmt.Errorf("applying the profile: runc cannot start under it (%s), and the late stage that would apply it needs a static oci-sbx: %w", conflicts(plan), err)
		}
		file, err := writeLateProfile(opt.LateDir, late)
		if err != nil {
			return nil, err
		}
		ro := []string{"bind", "ro", "nosuid", "nodev"}
		opts = append(opts,
			oci.WithMount(specs.Mount{Destination: LateBinary, Type: "bind", Source: bin, Options: ro}),
			oci.WithMount(specs.Mount{Destination: LateProfile, Type: "bind", Source: file, Options: ro}))
		if late.ListenerPath != "" {
			// connect needs no write access to the mount.
			opts = append(opts, oci.WithMount(specs.Mount{Destination: LateAgentSocket, Type: "bind", Source: report, Options: ro}))
		}
		opts = append(opts, oci.WithArgsPrefix(LateBinary, "late", LateProfile, "--"))
		opt.note("late stage: runc cannot start under this profile, so %s loads it right before the container's process (%s)", LateBinary, conflicts(plan))
	}
	if err := ed.Apply(opts...); err != nil {
		return nil, fmt.Errorf("applying the profile: %w", err)
	}
	out := ed.Bytes()
	// What runc will read must mean the profile: check the result the
	// way runc decodes it.
	got, err := ed.Spec()
	if err != nil {
		return nil, fmt.Errorf("checking the result: %w", err)
	}
	if got.Linux == nil || got.Linux.Seccomp == nil {
		return nil, errors.New("checking the result: linux.seccomp is missing")
	}
	if err := convert.Equal(got.Linux.Seccomp, early); err != nil {
		return nil, fmt.Errorf("checking the result: runc would read another profile: %w", err)
	}
	return out, nil
}

func lateBinary(find func() (string, error)) (string, error) {
	if find == nil {
		return "", errors.New("none was given")
	}
	return find()
}

func conflicts(plan *stage.Plan) string {
	var s []string
	for _, c := range plan.Conflicts {
		s = append(s, c.String())
	}
	return strings.Join(s, "; ")
}

// readProfileFile reads the profile an annotation names: a regular file,
// by absolute path (the hook's working directory is Podman's business).
func readProfileFile(path string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	what := fmt.Sprintf("annotation %s: reading %q", AnnotationProfile, path)
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%s: the path must be absolute", what)
	}
	// O_NONBLOCK: a FIFO must not hold up the container's creation.
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", what, fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, convert.MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(data) > convert.MaxInputSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", what, convert.MaxInputSize>>20)
	}
	s, err := convert.Read(path, data, "", opt)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationProfile, err)
	}
	return s, nil
}

// readInlineRules reads the rules of the io.oci-sbx.rules annotation.
func readInlineRules(src string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	if len(src) > MaxInlineRules {
		return nil, fmt.Errorf("annotation %s: %d bytes, more than %d KiB; put the rules in a file and name it with %s",
			AnnotationRules, len(src), MaxInlineRules>>10, AnnotationProfile)
	}
	if one := strings.TrimRight(src, "\n"); !strings.Contains(one, "\n") && !strings.HasPrefix(strings.TrimSpace(one), "{") {
		return nil, fmt.Errorf("annotation %s: %q is one line of rules: Podman keeps only the first line of an --annotation value that is not quoted as CSV, "+
			"so this may be all that is left of longer rules; quote the whole option (--annotation '\"%s=...\"', doubling each \" inside), "+
			"or write one-line rules in flow style ({extends: docker-default})", AnnotationRules, one, AnnotationRules)
	}
	s, err := convert.Read(AnnotationRules, []byte(src), convert.Rules, opt)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", AnnotationRules, err)
	}
	return s, nil
}

// writeLateProfile writes a late-stage profile into dir under its hash,
// so that containers with the same profile share one file and a file in
// use is never rewritten with other contents.
func writeLateProfile(dir string, s *specs.LinuxSeccomp) (string, error) {
	if dir == "" {
		dir = DefaultLateDir
	}
	var buf bytes.Buffer
	if err := convert.Write(&buf, s, convert.OCI, convert.Options{}); err != nil {
		return "", fmt.Errorf("writing the late-stage profile: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, buf.Bytes()) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("writing the late-stage profile: %w", err)
	}
	if err := oci.WriteFileAtomic(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing the late-stage profile: %w", err)
	}
	return path, nil
}

// checkSocket makes sure an agent listens at path, so that a missing agent
// fails the container's creation with this message rather than runc's.
func checkSocket(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("checking the agent's socket: %w (start it with oci-sbx agent --socket %s)", err, path)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("checking the agent's socket: %q is not a socket", path)
	}
	return nil
}
