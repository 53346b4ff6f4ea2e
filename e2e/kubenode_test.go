//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// The Kubernetes node the e2e tests drive: containerd 2.x with its CRI and
// NRI, driven through crictl the way the kubelet drives it. Both are built
// from the Go module proxy once and kept in a cache by version, so only
// the first run on a machine pays the build.
const (
	containerdModule  = "github.com/containerd/containerd/v2"
	containerdVersion = "v2.4.2"
	crictlModule      = "sigs.k8s.io/cri-tools"
	crictlVersion     = "v1.37.0"
	// containerdTags leave out the snapshotters that need C libraries
	// or kernel features this machine kind lacks.
	containerdTags = "no_btrfs no_devmapper no_zfs"
	// nodeImage is the one image: busybox, the suspicious app, the calls
	// program; it also
	// stands in for the pause image (its command sleeps).
	nodeImage = "localhost/oci-sbx-e2e:node"
	// busyboxPath is Debian's busybox-static.
	busyboxPath = "/bin/busybox"
)

// kubeNode is a running containerd with CRI and NRI, its own directories
// and sockets, and the image imported.
type kubeNode struct {
	dir       string // everything the node owns
	socket    string // containerd's gRPC socket (CRI too)
	nriSocket string // where external NRI plugins connect
	kubelet   string // stands for /var/lib/kubelet
	bins      nodeBins
	oci       string // static oci-sbx with seccomp support
	app       string // the static suspicious app
	calls     string // the static calls program (e2e/testdata/calls)
	cmd       *exec.Cmd
	exited    chan struct{}
	log       string
	// What setting the node up cost: building (or finding) the binaries,
	// and starting containerd and importing the image.
	buildTime, startTime time.Duration
	builtNow             bool
	// buildTook is what building (or finding) containerd and crictl took,
	// which may have started before the first test asked for the node.
	buildTook time.Duration
}

type nodeBins struct {
	dir                                 string
	containerd, shim, ctr, crictl, runc string
}

var (
	nodeOnce sync.Once
	nodeUp   *kubeNode
	nodeErr  error
)

// kubernetesNode returns the node, starting it on first use; it is torn
// down when the test binary ends (see TestMain). Without root, runc or
// busybox-static the test is skipped (a failure under CI=true).
func kubernetesNode(t *testing.T) *kubeNode {
	t.Helper()
	testutil.RequireRoot(t)
	requireTool(t, "runc")
	if err := checkStatic(busyboxPath); err != nil {
		testutil.Missing(t, "this test needs a static busybox at %s (apt-get install -y busybox-static): %v", busyboxPath, err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		testutil.Missing(t, "this test builds containerd and crictl with go: %v", err)
	}
	return sharedNode(t)
}

// sharedNode starts the node once per test binary.
func sharedNode(tb testing.TB) *kubeNode {
	tb.Helper()
	nodeOnce.Do(func() {
		root, err := filepath.Abs("..") // the module, above this package
		if err != nil {
			nodeErr = err
			return
		}
		nodeUp, nodeErr = startKubeNode(root, nil)
		if nodeErr == nil {
			how := "cached"
			if nodeUp.builtNow {
				how = "built now"
			}
			// The figure the CI log keeps: what the node costs the suite.
			fmt.Printf("kubernetes node: containerd %s and crictl %s %s in %v; oci-sbx built, and that waited for, in %v; containerd up with the image imported in %v (%s)\n",
				containerdVersion, crictlVersion, how, nodeUp.buildTook.Round(time.Millisecond), nodeUp.buildTime.Round(time.Millisecond),
				nodeUp.startTime.Round(time.Millisecond), nodeUp.dir)
		}
	})
	if nodeErr != nil {
		tb.Fatalf("starting containerd: %v", nodeErr)
	}
	return nodeUp
}

// stopKubeNode tears the node down, if one was started: pods first (their
// shims outlive containerd), then containerd, then its mounts and files.
func stopKubeNode() {
	n := nodeUp
	if n == nil {
		return
	}
	nodeUp = nil
	if err := n.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the kubernetes node: %v\n", err)
	}
}

// checkStatic reports an error unless path is an ELF file without an
// interpreter: it runs inside an image without a C library.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("it is dynamically linked")
		}
	}
	return nil
}

// e2eCacheDir is where built tools are kept between runs:
// $OCI_SBX_E2E_CACHE, else the user's cache directory, else the temporary
// directory.
func e2eCacheDir() (string, error) {
	if dir := os.Getenv("OCI_SBX_E2E_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		// No HOME: a run without one still caches, beside the temp files.
		dir = os.TempDir()
	}
	return filepath.Join(dir, "oci-sbx-e2e"), nil
}

// nodeTools builds the node's binaries once per test binary: started
// early by TestMain when Kubernetes tests will run (the build then overlaps
// the other tests), waited for by the first node.
var nodeTools = sync.OnceValues(func() (nodeBuild, error) {
	start := time.Now()
	bins, built, err := nodeBinaries()
	return nodeBuild{bins, built, time.Since(start)}, err
})

type nodeBuild struct {
	bins  nodeBins
	built bool
	took  time.Duration
}

// prebuildNode starts building the node's binaries in the background if
// a test that needs them (each test calling kubernetesNode, listed below)
// is selected by -run, as root.
func prebuildNode() {
	if os.Geteuid() != 0 {
		return
	}
	run := ""
	if f := flag.Lookup("test.run"); f != nil {
		run, _, _ = strings.Cut(f.Value.String(), "/")
	}
	re, err := regexp.Compile(run)
	if err != nil {
		return
	}
	for _, name := range []string{"TestKubernetesLocalhost", "TestKubernetesNRI", "TestKubernetesNRIMissing", "TestKubernetesNRIInstalled", "TestKubernetesNRIRestart"} {
		if re.MatchString(name) {
			go nodeTools()
			return
		}
	}
}

// nodeBinaries returns containerd, its runc shim, ctr and crictl, built
// into a cache directory named by their versions and Go's (a lock keeps
// two test binaries from building at once; a finished build is renamed
// into place whole).
func nodeBinaries() (bins nodeBins, built bool, err error) {
	cache, err := e2eCacheDir()
	if err != nil {
		return bins, false, err
	}
	key := fmt.Sprintf("containerd-%s_crictl-%s_%s_%s-%s", containerdVersion, crictlVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	bins.dir = filepath.Join(cache, key)
	bins.containerd = filepath.Join(bins.dir, "containerd")
	bins.shim = filepath.Join(bins.dir, "containerd-shim-runc-v2")
	bins.ctr = filepath.Join(bins.dir, "ctr")
	bins.crictl = filepath.Join(bins.dir, "crictl")
	if bins.runc, err = exec.LookPath("runc"); err != nil {
		return bins, false, err
	}
	complete := func() bool {
		for _, p := range []string{bins.containerd, bins.shim, bins.ctr, bins.crictl} {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return false
			}
		}
		return true
	}
	if complete() {
		return bins, false, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return bins, false, err
	}
	lock, err := os.OpenFile(filepath.Join(cache, key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return bins, false, err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return bins, false, fmt.Errorf("locking the cache: %w", err)
	}
	if complete() { // built by another test binary meanwhile
		return bins, false, nil
	}
	tmp, err := os.MkdirTemp(cache, key+".tmp-")
	if err != nil {
		return bins, false, err
	}
	defer os.RemoveAll(tmp)
	install := func(tags string, pkgs ...string) error {
		args := []string{"install", "-trimpath"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, pkgs...)...)
		cmd.Dir = tmp // outside this module: pkg@version builds alone
		cmd.Env = append(os.Environ(), "GOBIN="+tmp, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
		return nil
	}
	var cmds []string
	for _, c := range []string{"containerd", "containerd-shim-runc-v2", "ctr"} {
		cmds = append(cmds, containerdModule+"/cmd/"+c+"@"+containerdVersion)
	}
	if err := install(containerdTags, cmds...); err != nil {
		return bins, false, err
	}
	if err := install("", crictlModule+"/cmd/crictl@"+crictlVersion); err != nil {
		return bins, false, err
	}
	os.RemoveAll(bins.dir) // a partial copy from a killed run
	if err := os.Rename(tmp, bins.dir); err != nil {
		return bins, false, err
	}
	return bins, true, nil
}

// startKubeNode builds what the node needs, writes containerd's
// configuration (version 3) into a directory of its own, starts it and
// imports the image.
func startKubeNode(root string, beforeStart func(*kubeNode) error) (n *kubeNode, err error) {
	start := time.Now()
	tools, err := nodeTools()
	if err != nil {
		return nil, fmt.Errorf("building containerd %s and crictl %s: %w", containerdVersion, crictlVersion, err)
	}
	bins, built := tools.bins, tools.built
	buildTook := tools.took
	// Short: socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "sbx-k8s-")
	if err != nil {
		return nil, err
	}
	n = &kubeNode{
		dir:       dir,
		socket:    filepath.Join(dir, "c.sock"),
		nriSocket: filepath.Join(dir, "nri.sock"),
		kubelet:   filepath.Join(dir, "kubelet"),
		bins:      bins,
		oci:       filepath.Join(dir, "bin", "oci-sbx"),
		app:       filepath.Join(dir, "bin", "suspicious-app"),
		calls:     filepath.Join(dir, "bin", "calls"),
		log:       filepath.Join(dir, "containerd.log"),
		builtNow:  built,
		buildTook: buildTook,
	}
	defer func() {
		if err != nil {
			if serr := n.stop(); serr != nil {
				err = fmt.Errorf("%w (and tearing down: %v)", err, serr)
			}
		}
	}()
	if err := n.buildOwn(root); err != nil {
		return n, err
	}
	n.buildTime = time.Since(start)

	start = time.Now()
	for _, d := range []string{"root", "state", "opt", "nri/plugins", "nri/conf.d", "pods", "kubelet/seccomp", "cni/bin", "cni/net.d"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return n, err
		}
	}
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte(n.config()), 0o644); err != nil {
		return n, err
	}
	if beforeStart != nil {
		if err := beforeStart(n); err != nil {
			return n, err
		}
	}
	logf, err := os.Create(n.log)
	if err != nil {
		return n, err
	}
	defer logf.Close()
	cmd := exec.Command(bins.containerd, "--config", config, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	// The shim is found next to containerd; runc on PATH.
	cmd.Env = append(os.Environ(), "PATH="+bins.dir+":"+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return n, err
	}
	n.cmd, n.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(n.exited) }()
	if err := n.waitReady(30 * time.Second); err != nil {
		return n, err
	}
	if err := n.importImage(); err != nil {
		return n, err
	}
	n.startTime = time.Since(start)
	return n, nil
}

// buildOwn builds the static oci-sbx (it is also the late stage inside
// containers), the suspicious app and the calls program into the node's
// directory.
func (n *kubeNode) buildOwn(root string) error {
	static, err := testutil.StaticBuildFlags(root)
	if err != nil {
		return err
	}
	for _, b := range []struct {
		out  string
		cgo  bool
		args []string
	}{
		{n.oci, true, append(static, "./cmd/oci-sbx")},
		{n.app, false, []string{"./testdata/suspicious-app"}},
		{n.calls, false, []string{"./e2e/testdata/calls"}},
	} {
		cmd := exec.Command("go", append([]string{"build", "-o", b.out}, b.args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b.cgo {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", filepath.Base(b.out), err, out)
		}
	}
	return nil
}

// config is containerd's configuration: every path inside the node's
// directory, CRI with the image as the pause image, NRI on its own socket.
func (n *kubeNode) config() string {
	p := func(s string) string { return filepath.Join(n.dir, s) }
	return fmt.Sprintf(`version = 3
root = %q
state = %q

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %q

[plugins."io.containerd.cri.v1.runtime"]
  # Without CAP_SYS_RESOURCE runc cannot set oom_score_adj below the
  # caller's own.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [%q]
    conf_dir = %q
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    # runc's state stays in its default root, /run/containerd/runc/k8s.io,
    # where oci-sbx agent finds a container's id as on a real node.
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = %q

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.nri.v1.nri"]
  disable = false
  socket_path = %q
  plugin_path = %q
  plugin_config_path = %q
  plugin_registration_timeout = "5s"
  plugin_request_timeout = "5s"
  # Pods can require plugins (required-plugins.noderesource.dev).
  [plugins."io.containerd.nri.v1.nri".default_validator]
    enable = true
`, p("root"), p("state"), n.socket, n.socket+".ttrpc", p("opt"), nodeImage,
		p("cni/bin"), p("cni/net.d"), n.bins.runc,
		n.nriSocket, p("nri/plugins"), p("nri/conf.d"))
}

// waitReady waits until CRI answers.
func (n *kubeNode) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-n.exited:
			return fmt.Errorf("containerd exited: %s", n.logTail())
		default:
		}
		if _, err := os.Stat(n.socket); err == nil {
			if _, err := n.crictl("version"); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd did not answer within %v: %s", timeout, n.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *kubeNode) logTail() string {
	data, _ := os.ReadFile(n.log)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// crictl runs crictl against the node, for at most a minute.
func (n *kubeNode) crictl(args ...string) (string, error) {
	ep := "unix://" + n.socket
	return n.run(n.bins.crictl, append([]string{"--runtime-endpoint", ep, "--image-endpoint", ep, "--timeout", "30s"}, args...)...)
}

// ctr runs ctr in the CRI's namespace.
func (n *kubeNode) ctr(args ...string) (string, error) {
	return n.run(n.bins.ctr, append([]string{"--address", n.socket, "--namespace", "k8s.io"}, args...)...)
}

func (n *kubeNode) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "CRI_CONFIG_FILE=/dev/null")
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// importImage writes a single-layer OCI image layout (busybox, the
// suspicious app and the calls program) as a tar and imports it with ctr, as a node without a
// registry would.
func (n *kubeNode) importImage() error {
	busybox, err := os.ReadFile(busyboxPath)
	if err != nil {
		return err
	}
	app, err := os.ReadFile(n.app)
	if err != nil {
		return err
	}
	calls, err := os.ReadFile(n.calls)
	if err != nil {
		return err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	mtime := time.Unix(0, 0)
	add := func(hdr *tar.Header, data []byte) {
		hdr.ModTime, hdr.Size = mtime, int64(len(data))
		if err == nil {
			err = tw.WriteHeader(hdr)
		}
		if err == nil {
			_, err = tw.Write(data)
		}
	}
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin/", 0o755}, {"dev/", 0o755}, {"etc/", 0o755}, {"proc/", 0o555}, {"sys/", 0o555}, {"tmp/", 0o1777}, {"run/", 0o755}} {
		add(&tar.Header{Name: d.name, Mode: d.mode, Typeflag: tar.TypeDir}, nil)
	}
	add(&tar.Header{Name: "bin/busybox", Mode: 0o755, Typeflag: tar.TypeReg}, busybox)
	for _, applet := range []string{"sh", "sleep", "cat", "echo", "ls", "true", "grep"} {
		add(&tar.Header{Name: "bin/" + applet, Linkname: "busybox", Typeflag: tar.TypeSymlink}, nil)
	}
	add(&tar.Header{Name: "etc/passwd", Mode: 0o644, Typeflag: tar.TypeReg}, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	add(&tar.Header{Name: "etc/group", Mode: 0o644, Typeflag: tar.TypeReg}, []byte("root:x:0:\n"))
	add(&tar.Header{Name: "suspicious-app", Mode: 0o755, Typeflag: tar.TypeReg}, app)
	add(&tar.Header{Name: "calls", Mode: 0o755, Typeflag: tar.TypeReg}, calls)
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return fmt.Errorf("writing the image's layer: %w", err)
	}

	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int               `json:"size"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	blobs := map[string][]byte{}
	blob := func(mediaType string, data []byte) descriptor {
		sum := sha256.Sum256(data)
		d := "sha256:" + hex.EncodeToString(sum[:])
		blobs[d] = data
		return descriptor{MediaType: mediaType, Digest: d, Size: len(data)}
	}
	layerDesc := blob("application/vnd.oci.image.layer.v1.tar", layer.Bytes())
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Env": []string{"PATH=/bin"},
			// As the pause image: sleep until killed.
			"Cmd": []string{"/bin/sleep", "2147483647"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDesc.Digest}},
	})
	configDesc := blob("application/vnd.oci.image.config.v1+json", config)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        configDesc,
		"layers":        []descriptor{layerDesc},
	})
	manifestDesc := blob("application/vnd.oci.image.manifest.v1+json", manifest)
	manifestDesc.Annotations = map[string]string{"io.containerd.image.name": nodeImage}
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests":     []descriptor{manifestDesc},
	})

	tarPath := filepath.Join(n.dir, "image.tar")
	f, err := os.Create(tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	tw = tar.NewWriter(f)
	files := []struct {
		name string
		data []byte
	}{{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {"index.json", index}}
	for d, data := range blobs {
		files = append(files, struct {
			name string
			data []byte
		}{"blobs/sha256/" + strings.TrimPrefix(d, "sha256:"), data})
	}
	for _, e := range files {
		add(&tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg}, e.data)
	}
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return fmt.Errorf("writing the image: %w", err)
	}
	if out, err := n.ctr("images", "import", tarPath); err != nil {
		return fmt.Errorf("importing the image: %w\n%s", err, out)
	}
	out, err := n.crictl("images", "-q", nodeImage)
	if err != nil || strings.TrimSpace(out) == "" {
		return fmt.Errorf("CRI does not list the imported image %s: %v (%s)", nodeImage, err, out)
	}
	return nil
}

// stop removes every pod, stops containerd and removes its directory,
// unmounting what is still mounted beneath it.
func (n *kubeNode) stop() error {
	var errs []error
	if n.cmd != nil {
		select {
		case <-n.exited:
		default:
			if _, err := n.crictl("rmp", "--all", "--force"); err != nil {
				errs = append(errs, err)
			}
			n.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-n.exited:
			case <-time.After(20 * time.Second):
				n.cmd.Process.Kill()
				<-n.exited
			}
		}
	}
	if err := unmountBeneath(n.dir); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(n.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// unmountBeneath detaches every mount at or below dir, deepest first.
func unmountBeneath(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		p := unescapeMountPath(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	var errs []error
	for i := len(points) - 1; i >= 0; i-- {
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", points[i], err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
