package hooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/beneath"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/internal/tree"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/annotation"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// MaxInlineRules bounds the rules annotation (see annotation.MaxRules).
const MaxInlineRules = annotation.MaxRules

// LateAgentSocket is where the agent's socket is bound in a container
// whose late stage reports (see ReportLate and notify.LateHandover).
const LateAgentSocket = stage.AgentSocketPath

// DefaultLateDir is where the precreate filter keeps the late stage's
// files on the host (see stage.WriteLateDir).
const DefaultLateDir = stage.DefaultLateDir

// DefaultProfiles is the directory profile annotations name files in.
const DefaultProfiles = "/etc/oci-sbx/profiles"

// ErrNoProfile is returned for a report annotation without a profile.
var ErrNoProfile = errors.New("no profile")

// ErrOutside is wrapped by the error for a profile name that leads out of
// the profiles directory.
var ErrOutside = errors.New("outside the profiles directory")

// ErrOutsideAgents is wrapped by the error for a report annotation that
// names a socket outside the agents directory.
var ErrOutsideAgents = errors.New("outside the agents directory")

// DefaultAgents is the directory report annotations name agents' sockets
// in.
const DefaultAgents = "/run/oci-sbx/agents"

// PrecreateOptions steer the precreate filter.
type PrecreateOptions struct {
	// Profiles is the directory the profile annotation names files in;
	// empty means DefaultProfiles.
	Profiles string
	// LateBinary finds a static oci-sbx with seccomp support on the host,
	// to bind into containers whose profile runc cannot start with (see
	// package stage). It is called only for such profiles; nil, or an
	// error, refuses them.
	LateBinary func() (string, error)
	// LateDir is where the late stage's files are kept; empty means
	// DefaultLateDir.
	LateDir string
	// Agents is the directory the report annotation names agents'
	// sockets in; empty means DefaultAgents.
	Agents string
	// Records is the directory the record annotation names files in;
	// empty means DefaultRecords. RecordRun keeps the recorders' sockets
	// and logs; empty means DefaultRecordRun.
	Records, RecordRun string
	// Recorder finds the oci-sbx that records (record --listen); nil
	// means this executable.
	Recorder func() (string, error)
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
// without an oci-sbx annotation gets its config back byte for byte.
// Otherwise the profile of io.oci-sbx.profile (a file beneath
// opt.Profiles) or io.oci-sbx.rules is applied by stage.Make: never less
// confining than the engine's linux.seccomp, unless
// io.oci-sbx.engine-profile is "replace"; with a late stage for rules runc
// cannot start with; with io.oci-sbx.report the profile's errno rules are
// reported to the agent on that socket (see Report).
//
// Any error means the container must not be created: a container started
// without the profile it asked for would run unconfined. So does any key
// of the io.oci-sbx. namespace, in any case, that is not in the table of
// package annotation.
func Precreate(config []byte, opt PrecreateOptions) ([]byte, error) {
	var probe struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(config, &probe); err != nil {
		// encoding/json says only an offset (its nesting limit, 10,000
		// levels, keeps time and memory linear).
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			p := tree.PosOf(config, int(syn.Offset))
			return nil, fmt.Errorf("decoding config.json: %d:%d: %w", p.Line, p.Col, err)
		}
		return nil, fmt.Errorf("decoding config.json: %w", err)
	}
	ann, err := annotation.ParseOCI(probe.Annotations)
	if err != nil {
		return nil, fmt.Errorf("reading the annotations: %w", err)
	}
	if ann.Empty() {
		return config, nil
	}
	replace, err := ann.ReplaceEngine()
	if err != nil {
		return nil, err
	}
	if name, ok := ann.Get(annotation.Record); ok {
		return recordContainer(config, ann, name, replace, opt)
	}
	profile, err := AnnotatedProfile(ann, opt.Profiles, opt.Agents, opt.Convert)
	if err != nil {
		return nil, err
	}

	ed, spec, err := parseConfig(config)
	if err != nil {
		return nil, err
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return nil, errors.New("reading config.json: it has no process.args")
	}
	mo := stage.Options{NoNewPrivileges: stage.OriginalNoNewPrivileges(spec), ReplaceEngine: replace}
	if spec.Linux != nil {
		mo.Engine = spec.Linux.Seccomp
	}
	if err := WithReport(&mo, ann, opt.Agents); err != nil {
		return nil, err
	}
	plan, err := stage.Make(profile, mo)
	if err != nil {
		return nil, fmt.Errorf("applying the profile: %w", err)
	}
	var at stage.Place
	if plan.Late != nil {
		if at.Binary, err = lateBinary(opt.LateBinary); err != nil {
			return nil, fmt.Errorf("applying the profile: it needs a late stage (%s), and the late stage needs a static oci-sbx: %w", conflicts(plan), err)
		}
		if at.Dir, err = stage.WriteLateDir(opt.LateDir, plan.Late); err != nil {
			return nil, err
		}
		CollectLate(opt.LateDir, opt.note)
	}
	if err := plan.Apply(ed, at); err != nil {
		return nil, err
	}
	for _, line := range plan.Explain() {
		opt.note("%s", strings.TrimSpace(line))
	}
	return ed.Bytes(), nil
}

// parseConfig reads the config Podman hands over, for editing.
func parseConfig(config []byte) (*oci.Editor, *specs.Spec, error) {
	ed, err := oci.ParseConfig(config)
	if err != nil {
		return nil, nil, fmt.Errorf("reading config.json: %w", err)
	}
	spec, err := ed.Spec()
	if err != nil {
		return nil, nil, fmt.Errorf("reading config.json: %w", err)
	}
	return ed, spec, nil
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
	if len(s) == 0 {
		return plan.Engine.String() + " with the engine's profile"
	}
	return strings.Join(s, "; ")
}

// AnnotatedProfile is the input side of the apply plan, for Podman's hook
// and the NRI plugin alike: the profile the annotations choose (the
// profile key, a file read beneath profiles by ReadProfile, or the rules
// key, inline rules whose extends are read beneath profiles too; one of
// the two), converted, with its listener kept beneath agents
// (ConfineListener), and held to runc's loader when opt.Check is set. opt
// is passed to convert.Read.
func AnnotatedProfile(ann *annotation.Values, profiles, agents string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	ns := ann.Namespace()
	name, hasName := ann.Get(annotation.Profile)
	inline, hasInline := ann.Get(annotation.Rules)
	var profile *specs.LinuxSeccomp
	var err error
	switch {
	case !hasName && !hasInline:
		return nil, fmt.Errorf("annotations %s: %w: add %s or %s", strings.Join(ann.Present(), ", "), ErrNoProfile, ns+annotation.Profile, ns+annotation.Rules)
	case hasName && hasInline:
		return nil, fmt.Errorf("annotations %s and %s: give one profile, not two", ann.Key(annotation.Profile), ann.Key(annotation.Rules))
	case hasName:
		profile, err = ReadProfile(profiles, name, ann.Key(annotation.Profile), opt)
	default:
		profile, err = readInlineRules(inline, ann.Key(annotation.Rules), ns, Confine(profiles, opt))
	}
	if err == nil {
		err = ConfineListener(profile, agents, ann)
	}
	if err == nil && opt.Check != nil {
		// What runc's loader would refuse, never finish or build wrong
		// fails the container here, with the reason.
		if err = opt.Check(profile); err != nil {
			err = fmt.Errorf("annotations %s: %w", strings.Join(ann.Present(), ", "), err)
		}
	}
	if err != nil {
		return nil, err
	}
	return profile, nil
}

// ReadProfile reads the profile an annotation (key, as written) names: a
// regular file beneath dir (DefaultProfiles when empty), resolved with
// openat2's RESOLVE_BENEATH, so that symlinks inside dir work and none
// lead out; an absolute name must lie inside dir. Neither dir nor the
// file may be writable by anyone but root (see package beneath). The
// content of a file that does not parse is never repeated (the name may
// be /etc/shadow's), only where parsing stopped; nor are the warnings of
// such a file. A file the profile extends is read the same way (see
// Confine).
func ReadProfile(dir, name, key string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	if dir == "" {
		dir = DefaultProfiles
	}
	what := fmt.Sprintf("annotation %s: reading %s", key, strconv.QuoteToASCII(name))
	data, err := readBeneath(dir, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	var warnings []string
	quiet := Confine(dir, opt)
	quiet.Warn = func(msg string) { warnings = append(warnings, msg) }
	s, err := convert.Read(name, data, "", quiet)
	if err != nil {
		return nil, fmt.Errorf("%s: not a profile oci-sbx reads%s; check it with oci-sbx lint", what, convert.Where(err))
	}
	if opt.Warn != nil {
		for _, w := range warnings {
			opt.Warn(w)
		}
	}
	return s, nil
}

// Confine returns opt with the files a profile extends read beneath dir
// (DefaultProfiles when empty), as ReadProfile reads the profile: an
// annotation's profile, or its inline rules, must not read a file of the
// host's (extends: /etc/shadow) or wait on a FIFO, and an error never
// quotes such a file.
func Confine(dir string, opt convert.Options) convert.Options {
	if dir == "" {
		dir = DefaultProfiles
	}
	opt.ReadFile = func(path string) ([]byte, error) { return readBeneath(dir, path) }
	return opt
}

// readBeneath reads name beneath the profiles directory dir.
func readBeneath(dir, name string) ([]byte, error) {
	data, err := beneath.ReadFile(dir, name, convert.MaxInputSize)
	if errors.Is(err, beneath.ErrLeadsOut) {
		return nil, fmt.Errorf("%w %q (a symlink in it must be relative and stay inside it)", ErrOutside, dir)
	}
	if errors.Is(err, beneath.ErrOutside) {
		return nil, fmt.Errorf("%w %q", ErrOutside, dir)
	}
	if errors.Is(err, beneath.ErrWritable) {
		return nil, fmt.Errorf("the profiles directory %q, the way to it or the profile in it: %w", dir, err)
	}
	return data, err
}

// readInlineRules reads the rules of a rules annotation (key, as written,
// in namespace ns), at most MaxInlineRules bytes. In the OCI namespace,
// which Podman's --annotation writes, it refuses what may be the first
// line of longer rules.
func readInlineRules(src, key, ns string, opt convert.Options) (*specs.LinuxSeccomp, error) {
	if len(src) > MaxInlineRules {
		return nil, fmt.Errorf("annotation %s: %d bytes, more than %d KiB; put the rules in a file in the profiles directory and name it with %s",
			key, len(src), MaxInlineRules>>10, ns+annotation.Profile)
	}
	if one := strings.TrimRight(src, "\n"); ns == annotation.OCI && !strings.Contains(one, "\n") && !strings.HasPrefix(strings.TrimSpace(one), "{") {
		return nil, fmt.Errorf("annotation %s: %s is one line of rules: Podman keeps only the first line of an --annotation value that is not quoted as CSV, "+
			"so this may be all that is left of longer rules; quote the whole option (--annotation '\"%s=...\"', doubling each \" inside), "+
			"or write one-line rules in flow style ({extends: docker-default})", key, suggest.Quote(one), key)
	}
	s, err := convert.Read(key, []byte(src), convert.Rules, opt)
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", key, err)
	}
	return s, nil
}

// AgentSocket returns the path of the agent's socket the report
// annotation names: a socket beneath dir (DefaultAgents when empty),
// resolved as profile names are (see ReadProfile), in a directory only
// root can write. runc connects to that path as root and the late stage
// binds it into the container, so a name anyone could choose
// (/run/containerd/containerd.sock) would hand the host's services to the
// container. A missing agent fails the container's creation with this
// message rather than runc's.
func AgentSocket(dir, name string) (string, error) {
	if dir == "" {
		dir = DefaultAgents
	}
	path, typ, err := beneath.Lookup(dir, name)
	switch {
	case errors.Is(err, beneath.ErrOutside):
		return "", fmt.Errorf("reporting to %s: %w %q", strconv.QuoteToASCII(name), ErrOutsideAgents, dir)
	case errors.Is(err, beneath.ErrWritable):
		return "", fmt.Errorf("reporting to %s: the agents directory %q: %w", strconv.QuoteToASCII(name), dir, err)
	case err != nil:
		at := name
		if !filepath.IsAbs(at) {
			at = filepath.Join(dir, name)
		}
		return "", fmt.Errorf("reporting to %s: %w (start the agent with oci-sbx agent --socket %s)", strconv.QuoteToASCII(name), err, at)
	case typ != unix.S_IFSOCK:
		return "", fmt.Errorf("reporting to %s: not a socket", strconv.QuoteToASCII(name))
	}
	return path, nil
}

// CollectLate removes the late stages' directories no container holds
// (stage.CollectLateDirs), saying what it removed or why it could not. A
// back-end outside the host's PID namespace collects nothing, silently:
// that is how it is deployed, not a fault.
func CollectLate(root string, note func(format string, args ...any)) {
	removed, err := stage.CollectLateDirs(root)
	if len(removed) > 0 {
		note("removed the late stages no container holds any more: %s", strings.Join(removed, ", "))
	}
	if err != nil && !errors.Is(err, stage.ErrOtherPIDNamespace) {
		note("%v", err)
	}
}
