package stage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/annotation"
)

// The late stage in a container: a directory holding the late profiles
// (and, in a bundle, the static oci-sbx) bound read-only at MountPoint,
// and process.args starting with Late.Args.
const (
	MountPoint = "/.oci-sbx"
	// BinaryName is the static oci-sbx in the directory.
	BinaryName = "oci-sbx"
	// BinaryPath is where the late stage's binary is in the container.
	BinaryPath = MountPoint + "/" + BinaryName
	// ProfilePrefix starts the name of a late profile in the directory;
	// the SHA-256 of its bytes and ".json" follow.
	ProfilePrefix = "profile-"
	// AgentSocketName is the empty file in the directory that the
	// agent's socket is bound over.
	AgentSocketName = "agent.sock"
	// AgentSocketPath is where the agent's socket is in the container.
	AgentSocketPath = MountPoint + "/" + AgentSocketName
	// DirName is the directory `oci-sbx patch` uses, relative to the
	// bundle (runc resolves a relative bind source against the bundle).
	DirName = ".oci-sbx"
	// LockName is the file in DirName that patches of one bundle lock.
	LockName = "lock"
	// legacyProfileName is the late profile of patches made before the
	// profiles were named by their hash; patching again still undoes it.
	legacyProfileName = "late.json"
)

// lateArgs reports whether args start with a late stage's prefix, and
// returns the profile's path in the container and the original args.
func lateArgs(args []string) (profile string, orig []string, ok bool) {
	if len(args) < 5 || args[0] != BinaryPath || args[1] != "late" || args[3] != "--" {
		return "", nil, false
	}
	dir, name := filepath.Split(args[2])
	if dir != MountPoint+"/" || !(strings.HasPrefix(name, ProfilePrefix) && strings.HasSuffix(name, ".json") || name == legacyProfileName) {
		return "", nil, false
	}
	return args[2], args[4:], true
}

// OriginalArgs returns the args behind a late stage's prefix, and false
// when args do not start with one.
func OriginalArgs(args []string) ([]string, bool) {
	_, orig, ok := lateArgs(args)
	return orig, ok
}

// LateProfile returns the name of the late profile in the late stage's
// directory that args run, and false when they run no late stage.
func LateProfile(args []string) (string, bool) {
	p, _, ok := lateArgs(args)
	return filepath.Base(p), ok
}

// NoNewPrivilegesAnnotation marks a config whose process.noNewPrivileges
// a patch set to true because the profile needed it; it was false before.
const NoNewPrivilegesAnnotation = annotation.OCI + annotation.SetNoNewPrivileges

// OriginalNoNewPrivileges is process.noNewPrivileges as it was before any
// patch.
func OriginalNoNewPrivileges(s *specs.Spec) bool {
	if s.Annotations[NoNewPrivilegesAnnotation] == "true" {
		return false
	}
	return s.Process != nil && s.Process.NoNewPrivileges
}

// WithoutEarlierPatch undoes what an earlier patch set up besides
// linux.seccomp: the original process.args come back and the late stage's
// mounts go, and so does a process.noNewPrivileges the patch set. It
// changes nothing in a config without them.
func WithoutEarlierPatch() oci.SpecOpt {
	return func(e *oci.Editor) error {
		s, err := e.Spec()
		if err != nil || s.Process == nil {
			return err
		}
		if s.Annotations[NoNewPrivilegesAnnotation] == "true" {
			if err := oci.WithNoNewPrivileges(false)(e); err != nil {
				return err
			}
			e.Delete("annotations", NoNewPrivilegesAnnotation)
		}
		if orig, ok := OriginalArgs(s.Process.Args); ok {
			if err := oci.WithArgs(orig)(e); err != nil {
				return err
			}
			for _, m := range []string{AgentSocketPath, BinaryPath, MountPoint} {
				if err := oci.WithoutMount(m)(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// Place says where a back-end keeps the late stage's files: Dir is the
// directory bound at MountPoint (on the host, or relative to a bundle),
// Binary the static oci-sbx bound at BinaryPath, or empty when it is in
// Dir.
type Place struct {
	Dir, Binary string
}

// SpecOpts returns the edits that put the plan into a config.json, in
// order: an earlier patch undone, linux.seccomp, noNewPrivileges and its
// annotation, and the late stage's mounts and args.
func (p *Plan) SpecOpts(at Place) []oci.SpecOpt {
	opts := []oci.SpecOpt{WithoutEarlierPatch(), oci.WithSeccomp(p.Seccomp)}
	if p.SetNoNewPrivileges {
		opts = append(opts, oci.WithNoNewPrivileges(true))
	}
	for k, v := range p.Annotations() {
		opts = append(opts, func(e *oci.Editor) error { return e.Set(v, "annotations", k) })
	}
	if p.Late != nil {
		for _, m := range p.Late.Mounts(at.Dir, at.Binary) {
			opts = append(opts, oci.WithMount(m))
		}
		opts = append(opts, oci.WithArgsPrefix(p.Late.Args()...))
	}
	return opts
}

// Apply renders the plan into a config.json and checks the result the way
// runc decodes it: linux.seccomp must mean Seccomp exactly, with a
// "flags" key (without one runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW).
func (p *Plan) Apply(e *oci.Editor, at Place) error {
	s, err := e.Spec()
	if err != nil {
		return err
	}
	if s.Process == nil || len(s.Process.Args) == 0 {
		return errors.New("applying the profile: config.json has no process.args")
	}
	if err := e.Apply(p.SpecOpts(at)...); err != nil {
		return fmt.Errorf("applying the profile: %w", err)
	}
	got, err := e.Spec()
	if err != nil {
		return fmt.Errorf("checking the result: %w", err)
	}
	if got.Linux == nil || got.Linux.Seccomp == nil {
		return errors.New("checking the result: linux.seccomp is missing")
	}
	if got.Linux.Seccomp.Flags == nil {
		return errors.New(`checking the result: linux.seccomp has no "flags", and runc would add SECCOMP_FILTER_FLAG_SPEC_ALLOW`)
	}
	if err := convert.Equal(got.Linux.Seccomp, p.Seccomp); err != nil {
		return fmt.Errorf("checking the result: runc would read another profile: %w", err)
	}
	return nil
}

// AgentFlag, before the profile in the late stage's args, names the
// agent's socket to use in place of AgentSocketPath: HostArgs sets it for
// a run on the host, where nothing is bound at AgentSocketPath.
const AgentFlag = "--agent"

// HostArgs returns the args that run a bundle's process on the host the
// way runc runs it in the container, both stages: when process.args run a
// late stage, its binary and profile, paths in the container, become the
// host paths the bundle's mounts bind there (a relative source is
// relative to the bundle at dir). late reports whether args run a late
// stage. The paths are absolute, as runc makes them: the process starts
// in process.cwd, not where dir was named.
func HostArgs(s *specs.Spec, dir string) (args []string, late bool, err error) {
	if s.Process == nil || len(s.Process.Args) == 0 {
		return nil, false, errors.New("the config has no process.args")
	}
	profile, orig, ok := lateArgs(s.Process.Args)
	if !ok {
		return s.Process.Args, false, nil
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, true, fmt.Errorf("finding the bundle: %w", err)
	}
	host := func(p string) (string, error) {
		best := ""
		src := ""
		for _, m := range s.Mounts {
			d := filepath.Clean(m.Destination)
			if (p == d || strings.HasPrefix(p, d+"/")) && len(d) > len(best) {
				best, src = d, m.Source
			}
		}
		if best == "" {
			return "", fmt.Errorf("no mount holds %s, which process.args runs", p)
		}
		if !filepath.IsAbs(src) {
			src = filepath.Join(dir, src)
		}
		return filepath.Join(src, strings.TrimPrefix(p, best)), nil
	}
	bin, err := host(BinaryPath)
	if err != nil {
		return nil, true, err
	}
	prof, err := host(profile)
	if err != nil {
		return nil, true, err
	}
	args = []string{bin, "late"}
	for _, m := range s.Mounts {
		// The late profile reports through the socket bound into the
		// container; on the host, the socket the mount binds there.
		if filepath.Clean(m.Destination) == AgentSocketPath {
			sock, err := host(AgentSocketPath)
			if err != nil {
				return nil, true, err
			}
			args = append(args, AgentFlag, sock)
		}
	}
	return append(append(args, prof, "--"), orig...), true, nil
}

// DefaultLateDir is where a hook or an NRI plugin keeps late stages on the
// host: a directory per late profile, named by its hash, shared by the
// containers with that profile and removed by CollectLateDirs once none
// holds it.
const DefaultLateDir = "/run/oci-sbx/late"

// WriteLateDir makes the directory of a late stage on the host, under root
// (DefaultLateDir when empty), for back-ends that bind the binary from
// elsewhere (Place.Binary): the late profile, and empty files for the
// binary and the agent's socket to be bound over. The directory is named
// by the profile's hash, so containers with the same profile share it and
// a directory in use never changes; it is made under another name and
// renamed into place whole. Using a directory touches it, under the lock
// CollectLateDirs takes, so that it is not collected before runc binds
// it. It returns the directory.
func WriteLateDir(root string, l *Late) (string, error) {
	if root == "" {
		root = DefaultLateDir
	}
	// On a read-only root nothing is collected, and nothing locked.
	lock, err := lockLateRoot(root, unix.LOCK_SH)
	readOnly := errors.Is(err, unix.EROFS)
	if err != nil && !readOnly {
		return "", fmt.Errorf("writing the late stage's files: locking %q: %w", root, err)
	}
	if lock != nil {
		defer lock.Close()
	}
	sum := strings.TrimSuffix(strings.TrimPrefix(l.File.Name, ProfilePrefix), ".json")
	dir := filepath.Join(root, sum)
	complete := func() bool {
		old, err := os.ReadFile(filepath.Join(dir, l.File.Name))
		if err != nil || !bytes.Equal(old, l.File.Data) {
			return false
		}
		if l.AgentSocket == "" {
			return true
		}
		_, err = os.Stat(filepath.Join(dir, AgentSocketName))
		return err == nil
	}
	if complete() {
		now := time.Now()
		if err := os.Chtimes(dir, now, now); err != nil && !readOnly {
			return "", fmt.Errorf("writing the late stage's files: %w", err)
		}
		return dir, nil
	}
	tmp, err := os.MkdirTemp(root, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename
	files := map[string][]byte{l.File.Name: l.File.Data, BinaryName: nil}
	if l.AgentSocket != "" {
		files[AgentSocketName] = nil
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
		if complete() {
			return dir, nil
		}
		return "", fmt.Errorf("writing the late stage's files: %w", err)
	}
	return dir, nil
}

// ProfileName returns the name of a late profile with these bytes: named by
// their hash, a file never changes once written, and the late stage checks
// the bytes against the name before it loads them.
func ProfileName(data []byte) string {
	sum := sha256.Sum256(data)
	return ProfilePrefix + hex.EncodeToString(sum[:]) + ".json"
}
