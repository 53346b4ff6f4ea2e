package hooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// MaxInlineRules bounds the io.oci-sbx.rules annotation. Rules a person
// writes are a few hundred bytes; a container's annotations travel in
// every state runc hands to hooks and agents.
const MaxInlineRules = 64 << 10

// LateAgentSocket is where the agent's socket is bound in a container
// whose late stage reports, for the late stage to hand its listener over
// (see ReportLate and LateHandover).
const LateAgentSocket = stage.MountPoint + "/" + LateAgentSocketName

// LateAgentSocketName is the empty file in the late stage's directory that
// the agent's socket is bound over.
const LateAgentSocketName = "agent.sock"

// DefaultLateDir is where the precreate filter keeps the late stage's
// files on the host: a directory per late profile, named by its hash.
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
	// LateDir is where the late stage's files are kept; empty means
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
	nnp := stage.OriginalNoNewPrivileges(spec)
	plan, err := stage.Split(profile, nnp)
	if err != nil {
		return nil, fmt.Errorf("applying the profile: %w", err)
	}

	var reportOpts []oci.SpecOpt
	if hasReport {
		var notes []string
		if reportOpts, notes, err = ReportPlan(plan, report); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationReport, err)
		}
		if err := checkSocket(report); err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationReport, err)
		}
		for _, n := range notes {
			opt.note("%s", n)
		}
	}
	early, late := plan.Early, plan.Late
	var lateDir, bin string
	if late != nil {
		if bin, err = lateBinary(opt.LateBinary); err != nil {
			return nil, fmt.Errorf("applying the profile: runc cannot start under it (%s), and the late stage that would apply it needs a static oci-sbx: %w", conflicts(plan), err)
		}
		if lateDir, err = writeLateDir(opt.LateDir, late); err != nil {
			return nil, err
		}
	}
	// The same edits as oci-sbx patch, with the late stage's directory on
	// the host instead of in a bundle.
	opts := append([]oci.SpecOpt{stage.WithoutEarlierPatch(), WithoutAgentSocket()}, plan.SpecOpts(lateDir, nnp)...)
	if plan.NoNewPrivileges && !nnp {
		opt.note("set process.noNewPrivileges: runc must load the profile as late as it can (%s)", conflicts(plan))
	}
	if late != nil {
		// The binary is bound over its empty file in the directory,
		// which is bound first; so is the agent's socket.
		ro := []string{"bind", "ro", "nosuid", "nodev"}
		opts = append(opts, oci.WithMount(specs.Mount{Destination: stage.Prefix[0], Type: "bind", Source: bin, Options: ro}))
		opts = append(opts, reportOpts...)
		opt.note("late stage: runc cannot start under this profile, so %s loads it right before the container's process (%s)", stage.Prefix[0], conflicts(plan))
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
	data, err := bounded.ReadAll(f, convert.MaxInputSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
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

// writeLateDir makes the late stage's directory for a late profile under
// root: late.json, and empty files for the binary and the agent's socket
// to be bound over. The directory is named by the profile's hash, so that
// containers with the same profile share it and a directory in use never
// changes; it is made under another name and renamed into place whole.
func writeLateDir(root string, s *specs.LinuxSeccomp) (string, error) {
	if root == "" {
		root = DefaultLateDir
	}
	var buf bytes.Buffer
	if err := convert.Write(&buf, s, convert.OCI, convert.Options{}); err != nil {
		return "", fmt.Errorf("writing the late stage's profile: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	dir := filepath.Join(root, hex.EncodeToString(sum[:16]))
	if old, err := os.ReadFile(filepath.Join(dir, stage.ProfileName)); err == nil && bytes.Equal(old, buf.Bytes()) {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename
	files := map[string][]byte{stage.ProfileName: buf.Bytes(), stage.BinaryName: nil}
	if s.ListenerPath != "" {
		files[LateAgentSocketName] = nil
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return "", fmt.Errorf("writing the late stage's files: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another container with the same profile was faster.
		if old, rerr := os.ReadFile(filepath.Join(dir, stage.ProfileName)); rerr == nil && bytes.Equal(old, buf.Bytes()) {
			return dir, nil
		}
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	return dir, nil
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
