package nri

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
	"github.com/goccy/go-yaml"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/annotation"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// DefaultName and DefaultIndex register the plugin with the runtime; the
// index orders it among other plugins (NRI runs them by index).
const (
	DefaultName  = "oci-sbx"
	DefaultIndex = "10"
)

// Options steer the plugin.
type Options struct {
	// Profiles is the directory oci-sbx.io/profile names files in; empty
	// means hooks.DefaultProfiles.
	Profiles string
	// Agents is the directory oci-sbx.io/report names agents' sockets in;
	// empty means hooks.DefaultAgents.
	Agents string
	// LateDir is where the late stage's files are kept on the host; empty
	// means hooks.DefaultLateDir. The runtime binds them into containers,
	// so it must be a host path (in a DaemonSet: a hostPath volume at the
	// same path).
	LateDir string
	// LateBinary is a static oci-sbx with seccomp support. Run copies it
	// into LateDir, named by its hash, and binds that copy into the
	// containers that need a late stage; empty refuses them.
	LateBinary string
	// Records is the directory oci-sbx.io/record names files in; empty
	// means hooks.DefaultRecords. RecordRun keeps the recorders' sockets
	// and logs; empty means hooks.DefaultRecordRun.
	Records, RecordRun string
	// Recorder finds the oci-sbx that records (record --listen); nil
	// means this program.
	Recorder func() (string, error)
	// Convert is passed to convert.Read; its Warn receives the profiles'
	// warnings.
	Convert convert.Options
	// Log receives one line per container the plugin changes or refuses.
	Log func(msg string)
}

// Plugin applies the profiles pod annotations name.
type Plugin struct {
	opt Options
	// binary is the late stage's binary on the host, or why there is
	// none.
	binOnce sync.Once
	binary  string
	binErr  error
}

// New returns a plugin; Run connects it to a runtime.
func New(opt Options) *Plugin {
	if opt.Profiles == "" {
		opt.Profiles = hooks.DefaultProfiles
	}
	if opt.LateDir == "" {
		opt.LateDir = hooks.DefaultLateDir
	}
	return &Plugin{opt: opt}
}

func (p *Plugin) log(format string, args ...any) {
	if p.opt.Log != nil {
		p.opt.Log(fmt.Sprintf(format, args...))
	}
}

// Run registers the plugin with the runtime's NRI socket (or, started by
// the runtime from its plugin directory, the connection the runtime
// hands over) and serves it until ctx ends or the runtime goes away.
func (p *Plugin) Run(ctx context.Context, socket string) error {
	unlock, err := p.lockInstance(ctx)
	if err != nil {
		return err
	}
	if unlock == nil {
		return nil // stopped while waiting
	}
	defer unlock()
	var opts []stub.Option
	if os.Getenv(api.PluginSocketEnvVar) == "" {
		// Started by hand or by a DaemonSet; the runtime names plugins
		// it starts itself.
		opts = append(opts, stub.WithSocketPath(socket), stub.WithPluginName(DefaultName), stub.WithPluginIdx(DefaultIndex))
	}
	s, err := stub.New(p, opts...)
	if err != nil {
		return fmt.Errorf("starting the NRI plugin: %w", err)
	}
	if err := s.Start(ctx); err != nil {
		return fmt.Errorf("registering with the runtime on %s: %w", socket, err)
	}
	p.log("registered with the runtime")
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-ctx.Done():
		s.Stop()
		<-done
		return nil
	case <-done:
		return errors.New("the runtime closed the NRI connection")
	}
}

// LockFile is the file in LateDir that one plugin on a node holds while
// it is registered.
const LockFile = "nri.lock"

// lockInstance waits for the node's plugin lock (an flock on LockFile in
// LateDir) and returns what releases it, or nil once ctx ends first. Two
// instances registered at once (a DaemonSet's rolling update that starts
// the new pod before the old one stops, a restart by hand) would both
// adjust every container, and the runtime refuses a container two
// plugins set the same mount or seccomp policy for (measured). A second
// instance registers the moment the first is gone.
func (p *Plugin) lockInstance(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(p.opt.LateDir, 0o755); err != nil {
		return nil, fmt.Errorf("locking the plugin: %w", err)
	}
	path := filepath.Join(p.opt.LateDir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the plugin: %w", err)
	}
	for waiting := false; ; {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking the plugin %s: %w", path, err)
		}
		if !waiting {
			p.log("another oci-sbx nri holds %s: waiting for it to stop", path)
			waiting = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, nil
		case <-time.After(50 * time.Millisecond):
		}
	}
	return func() { f.Close() }, nil
}

// Config is what a runtime's plugin configuration file
// (NN-oci-sbx.conf in its NRI plugin configuration directory) may set for
// a plugin the runtime starts itself, which gets no command line.
type Config struct {
	Profiles   string `yaml:"profiles"`
	LateDir    string `yaml:"lateDir"`
	LateBinary string `yaml:"lateBinary"`
	Records    string `yaml:"records"`
	Agents     string `yaml:"agents"`
}

// Configure is NRI's call when the plugin registers: the runtime's
// configuration file for the plugin, if any, as YAML (Config). A key the
// plugin does not know fails the registration.
func (p *Plugin) Configure(_ context.Context, config, runtime, version string) (stub.EventMask, error) {
	p.log("configured by %s %s", runtime, version)
	if strings.TrimSpace(config) == "" {
		return 0, nil
	}
	var c Config
	if err := yaml.UnmarshalWithOptions([]byte(config), &c, yaml.Strict()); err != nil {
		err = fmt.Errorf("reading the plugin's configuration: %w", err)
		p.log("%v", err)
		return 0, err
	}
	for _, kv := range [][2]string{{"profiles", c.Profiles}, {"lateDir", c.LateDir}, {"lateBinary", c.LateBinary}, {"records", c.Records}, {"agents", c.Agents}} {
		// The plugin's working directory is the runtime's choice.
		if key, path := kv[0], kv[1]; path != "" && !filepath.IsAbs(path) {
			err := fmt.Errorf("reading the plugin's configuration: %s: %q is not an absolute path", key, path)
			p.log("%v", err)
			return 0, err
		}
	}
	if c.Profiles != "" {
		p.opt.Profiles = c.Profiles
	}
	if c.LateDir != "" {
		p.opt.LateDir = c.LateDir
	}
	if c.LateBinary != "" {
		p.opt.LateBinary = c.LateBinary
	}
	if c.Records != "" {
		p.opt.Records = c.Records
	}
	if c.Agents != "" {
		p.opt.Agents = c.Agents
	}
	p.log("profiles beneath %s, late stage's files in %s", p.opt.Profiles, p.opt.LateDir)
	return 0, nil
}

// CreateContainer is NRI's call for a container about to be created: the
// adjustment that applies the pod's profile, or an error that refuses
// the container.
func (p *Plugin) CreateContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	who := fmt.Sprintf("pod %s/%s, container %s", pod.GetNamespace(), pod.GetName(), ctr.GetName())
	adj, notes, err := p.Adjust(pod, ctr)
	if err != nil {
		err = fmt.Errorf("oci-sbx: %s: %w", who, err)
		p.log("%v", err)
		return nil, nil, err
	}
	if adj != nil {
		p.log("%s: applied the profile", who)
	}
	for _, n := range notes {
		p.log("%s: %s", who, n)
	}
	return adj, nil, nil
}

// Adjust works out the adjustment that applies what the pod's
// annotations ask of oci-sbx for one container: nil when they ask
// nothing. Notes say what the plan did and why.
func (p *Plugin) Adjust(pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, []string, error) {
	ann, err := annotation.ParseKubernetes(pod.GetAnnotations(), ctr.GetName())
	if err != nil {
		return nil, nil, fmt.Errorf("reading the pod's annotations: %w", err)
	}
	if ann.Empty() {
		return nil, nil, nil
	}
	replace, err := ann.ReplaceEngine()
	if err != nil {
		return nil, nil, err
	}
	if name, ok := ann.Get(annotation.Record); ok {
		return p.record(ann, name, replace, ctr)
	}
	profile, err := hooks.AnnotatedProfile(ann, p.opt.Profiles, p.opt.Agents, p.opt.Convert)
	if err != nil {
		return nil, nil, err
	}

	mo := stage.Options{
		// NRI shows neither process.noNewPrivileges nor lets a plugin set
		// it: plan for it being off, and let the late stage set it.
		Cannot:        stage.NoNewPrivileges | stage.DefaultErrnoRet,
		ReplaceEngine: replace,
	}
	if mo.Engine, err = engineProfile(ctr); err != nil && !replace {
		return nil, nil, err
	}
	if err := hooks.WithReport(&mo, ann, p.opt.Agents); err != nil {
		return nil, nil, err
	}
	plan, err := stage.Make(profile, mo)
	if err != nil {
		return nil, nil, fmt.Errorf("applying the profile: %w", err)
	}
	adj, err := p.render(plan, ctr)
	if err != nil {
		return nil, nil, err
	}
	return adj, plan.Explain(), nil
}

// record gives the container the recording filter of a recorder started
// for it (see hooks.RecordFilter): within the kubelet's profile unless
// engine-profile says replace. NRI shows no process.noNewPrivileges, so
// the filter leaves unobserved what runc calls without it.
func (p *Plugin) record(ann *annotation.Values, name string, replace bool, ctr *api.Container) (*api.ContainerAdjustment, []string, error) {
	key := ann.Key(annotation.Record)
	if err := ann.RecordAlone(); err != nil {
		return nil, nil, err
	}
	engine, err := engineProfile(ctr)
	if err != nil && !replace {
		return nil, nil, err
	}
	s, unobserved, err := hooks.RecordFilter(engine, name, replace, false, hooks.PrecreateOptions{Records: p.opt.Records, RecordRun: p.opt.RecordRun, Recorder: p.opt.Recorder})
	if err != nil {
		return nil, nil, fmt.Errorf("annotation %s: %w", key, err)
	}
	notes := []string{fmt.Sprintf("recording to %s; unobserved (runc calls them after loading the filter): %s", name, strings.Join(unobserved, ", "))}
	if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet != 1 && s.DefaultAction == specs.ActErrno {
		// Recording is no security decision: a call the filter names
		// nowhere (a number none of its tables knows, below the newest it
		// names; runc's stub answers ENOSYS above that) gets EPERM.
		notes = append(notes, fmt.Sprintf("containerd drops defaultErrnoRet: a syscall the recording filter does not name fails with EPERM, not errno %d", *s.DefaultErrnoRet))
	}
	adj := &api.ContainerAdjustment{}
	adj.SetLinuxSeccompPolicy(api.FromOCILinuxSeccomp(s))
	return adj, notes, nil
}

// render is the NRI back-end of a plan: the seccomp policy (left alone
// when the kubelet's profile stays in it), the late stage's mounts and
// the arguments that start it.
func (p *Plugin) render(plan *stage.Plan, ctr *api.Container) (*api.ContainerAdjustment, error) {
	adj := &api.ContainerAdjustment{}
	if plan.Engine != stage.Stacked {
		adj.SetLinuxSeccompPolicy(api.FromOCILinuxSeccomp(plan.Seccomp))
	}
	if plan.Late == nil {
		return adj, nil
	}
	if len(ctr.GetArgs()) == 0 {
		return nil, errors.New("applying the profile: the container has no arguments for the late stage to start")
	}
	bin, err := p.lateBinary()
	if err != nil {
		return nil, fmt.Errorf("applying the profile: it needs a late stage, and the late stage needs a static oci-sbx: %w", err)
	}
	dir, err := stage.WriteLateDir(p.opt.LateDir, plan.Late)
	if err != nil {
		return nil, err
	}
	hooks.CollectLate(p.opt.LateDir, p.log)
	for _, m := range plan.Late.Mounts(dir, bin) {
		adj.AddMount(&api.Mount{Destination: m.Destination, Type: m.Type, Source: m.Source, Options: m.Options})
	}
	adj.SetArgs(append(plan.Late.Args(), ctr.GetArgs()...))
	return adj, nil
}

// lateBinary returns the host path of the late stage's binary: a copy of
// Options.LateBinary in LateDir named by its hash, made once.
func (p *Plugin) lateBinary() (string, error) {
	p.binOnce.Do(func() {
		if p.opt.LateBinary == "" {
			p.binErr = errors.New("none was given")
			return
		}
		p.binary, p.binErr = installBinary(p.opt.LateDir, p.opt.LateBinary)
	})
	return p.binary, p.binErr
}

// installBinary copies src to dir/oci-sbx-SHA256 unless it is there: a
// host path the runtime can bind, whose content never changes while
// containers use it.
func installBinary(dir, src string) (string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("reading the late stage's binary: %w", err)
	}
	sum := sha256.Sum256(data)
	dst := filepath.Join(dir, "oci-sbx-"+hex.EncodeToString(sum[:]))
	if old, err := os.ReadFile(dst); err == nil && sha256.Sum256(old) == sum {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("installing the late stage's binary: %w", err)
	}
	if err := oci.WriteFileAtomic(dst, data, 0o755); err != nil {
		return "", fmt.Errorf("installing the late stage's binary: %w", err)
	}
	return dst, nil
}

// engineProfile is the profile the kubelet asked for, as the runtime
// generated it (containerd shows it in the seccomp policy). A Localhost
// profile the runtime does not show is read from its file; a
// RuntimeDefault the plugin cannot see refuses the container, since
// oci-sbx could not keep it in force.
func engineProfile(ctr *api.Container) (*specs.LinuxSeccomp, error) {
	linux := ctr.GetLinux()
	if pol := linux.GetSeccompPolicy(); pol != nil {
		return toOCI(pol), nil
	}
	req := linux.GetSeccompProfile()
	switch req.GetProfileType() {
	case api.SecurityProfile_UNCONFINED:
		return nil, nil
	case api.SecurityProfile_LOCALHOST:
		// The runtime has read it already; the plugin reads it bounded,
		// and quotes none of it in an error, which the pod's author sees.
		ref := req.GetLocalhostRef()
		data, err := bounded.ReadFile(ref, convert.MaxInputSize)
		if err != nil {
			return nil, fmt.Errorf("reading the kubelet's Localhost profile: %w", err)
		}
		s, err := convert.Read(ref, data, convert.OCI, convert.Options{})
		if err != nil {
			return nil, fmt.Errorf("reading the kubelet's Localhost profile %q: not an OCI profile%s", ref, convert.Where(err))
		}
		return s, nil
	}
	if req == nil {
		// No seccomp asked for, and none generated: unconfined.
		return nil, nil
	}
	return nil, fmt.Errorf("the runtime does not show the %s profile the kubelet asked for, so oci-sbx cannot keep it in force; "+
		"use %s%s: %s to apply oci-sbx's profile alone", req.GetProfileType(), annotation.Kubernetes, annotation.EngineProfile, annotation.EngineProfileReplace)
}

// toOCI converts NRI's seccomp policy to runtime-spec's.
func toOCI(p *api.LinuxSeccomp) *specs.LinuxSeccomp {
	s := &specs.LinuxSeccomp{
		DefaultAction:    specs.LinuxSeccompAction(p.GetDefaultAction()),
		ListenerPath:     p.GetListenerPath(),
		ListenerMetadata: p.GetListenerMetadata(),
		Flags:            []specs.LinuxSeccompFlag{},
	}
	if e := p.GetDefaultErrno(); e != nil {
		v := uint(e.GetValue())
		s.DefaultErrnoRet = &v
	}
	for _, a := range p.GetArchitectures() {
		s.Architectures = append(s.Architectures, specs.Arch(a))
	}
	for _, f := range p.GetFlags() {
		s.Flags = append(s.Flags, specs.LinuxSeccompFlag(f))
	}
	for _, sc := range p.GetSyscalls() {
		r := specs.LinuxSyscall{Names: sc.GetNames(), Action: specs.LinuxSeccompAction(sc.GetAction()), Args: api.ToOCILinuxSeccompArgs(sc.GetArgs())}
		if e := sc.GetErrnoRet(); e != nil {
			v := uint(e.GetValue())
			r.ErrnoRet = &v
		}
		s.Syscalls = append(s.Syscalls, r)
	}
	return s
}
