package stage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci"
)

// PatchOptions steer Patch.
type PatchOptions struct {
	// LateBinary finds the static oci-sbx the late stage copies into the
	// bundle; called only when the plan has a late stage.
	LateBinary func() (string, error)
	// NoLate refuses a profile that needs a late stage (ErrNeedsLate).
	NoLate bool
	// DryRun plans and renders, and writes nothing.
	DryRun bool
	// Backup keeps the original as config.json.orig.
	Backup bool
	// ReportTo and Report are passed to Make.
	ReportTo string
	Report   Reporter
}

// PatchResult is what Patch did.
type PatchResult struct {
	Plan *Plan
	// Original and Patched are config.json before and after.
	Original, Patched []byte
	// Changed: config.json was replaced (false for a dry run, and for a
	// bundle that already held this patch).
	Changed bool
	// Files are the late stage's files a dry run would write, relative
	// to the bundle.
	Files []string
	// LateBinaryErr is why no static oci-sbx was found, for a dry run
	// of a plan with a late stage (a real run fails with it).
	LateBinaryErr error
	// Warnings are problems after the commit, which did not stop it.
	Warnings []string
}

// ErrNeedsLate is returned by Patch with NoLate for a profile runc cannot
// start with.
var ErrNeedsLate = errors.New("runc cannot start a container under this profile, and --no-late rules out the late stage")

// testStep, when a test sets it, runs at each step of Patch after the
// lock is taken: the points a kill test interrupts it at.
var testStep func(step string)

func step(s string) {
	if testStep != nil {
		testStep(s)
	}
}

// Patch applies profile to the bundle at dir as one change: runc runs the
// bundle as it was before, or under the whole new plan, whatever fails or
// whoever else patches at the same time.
//
// The late stage's files are content-addressed (a profile's name is the
// SHA-256 of its bytes), written before config.json and never changed
// once written; config.json names the files it uses, so its atomic
// rename is the one moment the bundle changes. Patches of one bundle are
// serialised by a flock on DirName/LockName, and under the lock, after
// the commit, the files the new config does not use are removed (see
// collect for the ones a runc may still need).
func Patch(dir string, profile *specs.LinuxSeccomp, opt PatchOptions) (*PatchResult, error) {
	b, err := oci.OpenBundle(dir)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	// Everything that can refuse the patch runs before the lock, which
	// creates DirName: a refused patch leaves the bundle as it was.
	res, _, _, err := prepare(b, profile, opt)
	if err != nil || opt.DryRun {
		return res, err
	}
	unlock, err := b.Lock(filepath.Join(DirName, LockName))
	if err != nil {
		return nil, fmt.Errorf("patching %q: %w", dir, err)
	}
	defer unlock()
	step("locked")
	// Again under the lock: another patch may have committed meanwhile.
	res, ed, bin, err := prepare(b, profile, opt)
	if err != nil {
		return nil, err
	}
	replaced := lateFilesOf(ed)
	plan := res.Plan
	if plan.Late != nil {
		// First the files, which nothing uses until config.json names
		// them.
		if err := writeOnce(b, plan.Late.File.Name, plan.Late.File.Data, 0o644); err != nil {
			return nil, err
		}
		step("profile written")
		// The binary has a fixed name: it is replaced (atomically) only
		// by a different build, and reads its profile from the file
		// the config names.
		if err := writeOnce(b, BinaryName, bin, 0o755); err != nil {
			return nil, err
		}
		step("binary written")
		if plan.Late.AgentSocket != "" {
			if err := writeOnce(b, AgentSocketName, nil, 0o644); err != nil {
				return nil, err
			}
		}
	}
	step("files written")
	if res.Changed, err = b.WriteConfig(ed, opt.Backup); err != nil {
		return nil, err
	}
	step("committed")
	if err := collect(b, plan, replaced); err != nil {
		// Committed: the bundle runs the new plan; what is left over
		// goes with the next patch.
		res.Warnings = append(res.Warnings, fmt.Sprintf("removing files the patch no longer uses: %v", err))
	}
	return res, nil
}

// prepare reads the bundle's config, plans, renders the plan and finds
// the late stage's binary: all of Patch that writes nothing.
func prepare(b *oci.Bundle, profile *specs.LinuxSeccomp, opt PatchOptions) (*PatchResult, *oci.Editor, []byte, error) {
	dir := b.Path()
	ed, err := b.ReadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	spec, err := ed.Spec()
	if err != nil {
		return nil, nil, nil, err
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return nil, nil, nil, fmt.Errorf("patching %q: config.json has no process.args", dir)
	}
	// As before any earlier patch, which patching again replaces.
	plan, err := Make(profile, Options{NoNewPrivileges: OriginalNoNewPrivileges(spec), ReportTo: opt.ReportTo, Report: opt.Report})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("patching %q: %w", dir, err)
	}
	if plan.Late != nil && opt.NoLate {
		var s strings.Builder
		for _, c := range plan.Conflicts {
			fmt.Fprintf(&s, "\n\t%s", c)
		}
		s.WriteString("\nwithout --no-late, oci-sbx applies the profile in a late stage inside the container")
		return nil, nil, nil, fmt.Errorf("refusing to patch %q: %w:%s", dir, ErrNeedsLate, s.String())
	}
	if err := plan.Apply(ed, Place{Dir: DirName}); err != nil {
		return nil, nil, nil, fmt.Errorf("patching %q: %w", dir, err)
	}
	res := &PatchResult{Plan: plan, Original: ed.Original(), Patched: ed.Bytes()}
	if plan.Late == nil {
		return res, ed, nil, nil
	}
	files := []string{plan.Late.File.Name, BinaryName}
	if plan.Late.AgentSocket != "" {
		files = append(files, AgentSocketName)
	}
	for _, f := range files {
		res.Files = append(res.Files, filepath.Join(DirName, f))
	}
	var bin []byte
	path, err := lateBinary(opt.LateBinary)
	if err == nil && !opt.DryRun {
		if bin, err = os.ReadFile(path); err != nil {
			err = fmt.Errorf("reading the late stage's binary: %w", err)
		}
	}
	if err != nil {
		if !opt.DryRun {
			return nil, nil, nil, fmt.Errorf("patching %q: the profile needs a late stage: %w", dir, err)
		}
		res.LateBinaryErr = err
	}
	return res, ed, bin, nil
}

func lateBinary(find func() (string, error)) (string, error) {
	if find == nil {
		return "", errors.New("none was given")
	}
	return find()
}

// writeOnce writes a file of the late stage's directory unless it already
// holds data.
func writeOnce(b *oci.Bundle, name string, data []byte, perm os.FileMode) error {
	rel := filepath.Join(DirName, name)
	if old, err := b.ReadFile(rel); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return b.WriteFile(rel, data, perm)
}

// collect removes, after the commit and under the lock, what the
// committed config does not use from the late stage's directory: other
// profiles, the binary and the socket's file when there is no late stage,
// and the temporary files of writers that were killed (only the lock's
// holder writes there). The files of the config just replaced stay too:
// a runc that read it a moment before the commit is still setting up the
// container that will exec them. While a container made from an earlier config
// still has the directory bound (created and not yet started, or
// running), the files stay: runc start would exec the binary and the
// profile that container's config names. The first patch after the last
// such container is gone removes them.
func collect(b *oci.Bundle, plan *Plan, replaced []string) error {
	names, err := b.List(DirName)
	if err != nil {
		return err
	}
	// A process of another user is not counted: such a user could not
	// start a container from this bundle's config either.
	inUse := true
	if dev, ino, err := b.DirID(DirName); err == nil {
		if held, err := boundDirs(true); err == nil {
			inUse = held[[2]uint64{dev, ino}]
		}
	}
	keep := map[string]bool{LockName: true}
	for _, n := range replaced {
		keep[n] = true
	}
	if plan.Late != nil {
		keep[plan.Late.File.Name], keep[BinaryName] = true, true
		if plan.Late.AgentSocket != "" {
			keep[AgentSocketName] = true
		}
	}
	var errs []error
	for _, n := range names {
		temp := strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp-")
		ours := temp || strings.HasPrefix(n, ProfilePrefix) || n == legacyProfileName || n == BinaryName || n == AgentSocketName
		if keep[n] || !ours || inUse && !temp {
			continue
		}
		errs = append(errs, b.RemoveFile(filepath.Join(DirName, n)))
	}
	return errors.Join(errs...)
}

// lateFilesOf returns the late stage's files the config being edited
// names, as it was read: its profile and the binary; none without a late
// stage.
func lateFilesOf(ed *oci.Editor) []string {
	spec, err := oci.ParseConfig(ed.Original())
	if err != nil {
		return nil
	}
	s, err := spec.Spec()
	if err != nil || s.Process == nil {
		return nil
	}
	name, ok := LateProfile(s.Process.Args)
	if !ok {
		return nil
	}
	return []string{name, BinaryName, AgentSocketName}
}
