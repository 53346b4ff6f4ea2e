package app

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// staticName is the static oci-sbx looked for next to the running one.
const staticName = "oci-sbx-static"

func patchCommand() *cli.Command {
	return &cli.Command{
		Name:      "patch",
		Usage:     "put a seccomp profile into an OCI bundle's config.json, safely",
		ArgsUsage: "BUNDLE",
		Description: `Sets linux.seccomp in BUNDLE/config.json from --profile (any format convert
reads), and process.noNewPrivileges where the profile needs it. Nothing else in
the file changes: unknown fields, key order and numbers stay as written, and
the file is replaced atomically (a crash leaves the old or the new file).

config.json is refused, and left as it is, when runc would read it differently
than its text says (keys differing only in case from a runtime-spec field, such
as "SECCOMP"; duplicate keys; data after the object), and when it or the bundle
path is a symlink, a FIFO, a device or larger than 16 MiB.

runc loads the profile and then still makes syscalls of its own (it reopens its
exec fifo, closes descriptors, and with noNewPrivileges false it sets the user
and capabilities after loading). A profile that denies one of those, such as the
demo's openat, would stop the container from starting. When setting
noNewPrivileges is not enough, patch applies the profile in a late stage: a
static oci-sbx, copied to BUNDLE/.oci-sbx and bound read-only at /.oci-sbx, becomes
the container's process, loads the whole profile and execs the original process
in its place. linux.seccomp then holds the profile minus what runc and the late
stage need; filters stack, so the process runs under exactly the profile.
Processes started later with runc exec get linux.seccomp only. --no-late
refuses such profiles instead, naming the rules runc cannot start with.

The late stage needs a static oci-sbx built with seccomp support (make build
builds one): --late-binary, else oci-sbx-static next to this oci-sbx, else this
oci-sbx itself when it is static. Patching again replaces an earlier patch,
including a process.noNewPrivileges it set (the annotation
io.oci-sbx.set-no-new-privileges records that).

Examples:
   oci-sbx patch --profile testdata/demo.yaml mybundle
   oci-sbx patch --dry-run --profile /usr/share/containers/seccomp.json mybundle
   oci-sbx patch --no-late --backup -p deny-connect.yaml mybundle`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Aliases: []string{"p"}, Usage: "seccomp profile `FILE` in any format convert reads (- for standard input)"},
			fromFlag(convert.InputFormats),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the change to config.json as a unified diff, and change nothing"},
			&cli.BoolFlag{Name: "backup", Usage: "keep the original as config.json.orig (never replacing one)"},
			&cli.BoolFlag{Name: "no-late", Usage: "refuse a profile runc cannot start with, instead of applying it in a late stage"},
			&cli.StringFlag{Name: "late-binary", Usage: "static oci-sbx `FILE` for the late stage (default: oci-sbx-static next to oci-sbx, or oci-sbx itself if static)"},
			&cli.StringFlag{Name: "report-to", Usage: "report each call the profile denies with an errno to the oci-sbx agent on the unix socket `PATH` (see oci-sbx agent --help)"},
		},
		Action: runPatch,
	}
}

func runPatch(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 1 {
		return usageErrorf(c, "patch takes one BUNDLE directory, got %d arguments", c.NArg())
	}
	if c.String("profile") == "" {
		return usageErrorf(c, "patch needs --profile FILE")
	}
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	stderr := c.Root().ErrWriter
	note := func(format string, args ...any) { fmt.Fprintf(stderr, "oci-sbx: "+format+"\n", args...) }
	opt := warnOptions(c)
	profile, err := loadProfile(c.Root().Reader, c.String("profile"), from, opt)
	if err != nil {
		return err
	}

	dir := c.Args().First()
	b, err := oci.OpenBundle(dir)
	if err != nil {
		return err
	}
	defer b.Close()
	ed, err := b.ReadConfig()
	if err != nil {
		return err
	}
	spec, err := ed.Spec()
	if err != nil {
		return err
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return fmt.Errorf("patching %q: config.json has no process.args", dir)
	}

	if arch, rt := rules.NativeArch(), runtimes.Default(); arch != rt.Arch {
		note("warning: what runc needs after it loads a filter was measured on %s; on %s the same syscall names stand in", rt.Arch, arch)
	}
	// As before any earlier patch, which patching again replaces.
	nnp := stage.OriginalNoNewPrivileges(spec)
	plan, err := stage.Split(profile, nnp)
	if err != nil {
		return fmt.Errorf("patching %q: %w", dir, err)
	}
	if plan.Late != nil && c.Bool("no-late") {
		return noLateError(dir, plan)
	}
	// An earlier late stage is undone first, so that patching again
	// replaces it instead of wrapping it.
	var reportOpts []oci.SpecOpt
	if socket := c.String("report-to"); socket != "" {
		var notes []string
		if reportOpts, notes, err = hooks.ReportPlan(plan, socket); err != nil {
			return fmt.Errorf("patching %q: %w", dir, err)
		}
		for _, n := range notes {
			note("note: %s", n)
		}
	}
	opts := append([]oci.SpecOpt{stage.WithoutEarlierPatch(), hooks.WithoutAgentSocket()}, append(plan.SpecOpts(stage.BundleDir, nnp), reportOpts...)...)
	if err := ed.Apply(opts...); err != nil {
		return fmt.Errorf("patching %q: %w", dir, err)
	}
	if err := checkPatched(ed, plan.Early); err != nil {
		return fmt.Errorf("patching %q: %w", dir, err)
	}

	var (
		lateJSON []byte
		lateBin  string
		lateErr  error
	)
	if plan.Late != nil {
		var buf bytes.Buffer
		if err := convert.Write(&buf, plan.Late, convert.OCI, opt); err != nil {
			return err
		}
		lateJSON = buf.Bytes()
		lateBin, lateErr = findLateBinary(c.String("late-binary"))
		if lateErr != nil && !c.Bool("dry-run") {
			return fmt.Errorf("patching %q: the profile needs a late stage: %w", dir, lateErr)
		}
	}

	configPath := filepath.Join(dir, oci.ConfigName)
	if c.Bool("dry-run") {
		fmt.Fprint(c.Root().Writer, oci.Diff(configPath, configPath+" (patched)", ed.Original(), ed.Bytes()))
		if plan.Late != nil {
			if lateErr != nil {
				note("warning: the late stage needs a static oci-sbx: %v", lateErr)
			}
			note("would write %s and %s", filepath.Join(dir, stage.BundleDir, stage.ProfileName), filepath.Join(dir, stage.BundleDir, stage.BinaryName))
		}
		explain(note, plan, nnp)
		return nil
	}

	if plan.Late != nil {
		// The late stage's files go first: until config.json is
		// replaced, nothing uses them.
		bin, err := os.ReadFile(lateBin)
		if err != nil {
			return fmt.Errorf("reading the late stage binary: %w", err)
		}
		if err := b.WriteFile(filepath.Join(stage.BundleDir, stage.BinaryName), bin, 0o755); err != nil {
			return err
		}
		if err := b.WriteFile(filepath.Join(stage.BundleDir, stage.ProfileName), lateJSON, 0o644); err != nil {
			return err
		}
		if reportOpts != nil { // what the agent's socket is bound over
			if err := b.WriteFile(filepath.Join(stage.BundleDir, hooks.LateAgentSocketName), nil, 0o644); err != nil {
				return err
			}
		}
	}
	changed, err := b.WriteConfig(ed, c.Bool("backup"))
	if err != nil {
		return err
	}
	if plan.Late == nil {
		// Left over from an earlier patch with a late stage.
		for _, f := range []string{stage.ProfileName, stage.BinaryName, hooks.LateAgentSocketName} {
			if err := b.RemoveFile(filepath.Join(stage.BundleDir, f)); err != nil {
				note("warning: %v", err)
			}
		}
	}
	if changed {
		note("patched %s", configPath)
	} else {
		note("%s already holds this patch", configPath)
	}
	explain(note, plan, nnp)
	return nil
}

// checkPatched reads the result as runc will and compares it with the
// intended profile, so that nothing in the encoding changed its meaning.
func checkPatched(ed *oci.Editor, want *specs.LinuxSeccomp) error {
	got, err := ed.Spec()
	if err != nil {
		return err
	}
	if got.Linux == nil || got.Linux.Seccomp == nil {
		return errors.New("checking the result: linux.seccomp is missing")
	}
	if got.Linux.Seccomp.Flags == nil {
		return errors.New(`checking the result: linux.seccomp has no "flags", and runc would add SECCOMP_FILTER_FLAG_SPEC_ALLOW`)
	}
	if err := convert.Equal(got.Linux.Seccomp, want); err != nil {
		return fmt.Errorf("checking the result: runc would read another profile: %w", err)
	}
	return nil
}

// explain says what the patch did beyond setting linux.seccomp, and why.
func explain(note func(string, ...any), plan *stage.Plan, nnp bool) {
	if plan.NoNewPrivileges && !nnp && plan.Late == nil {
		note("set process.noNewPrivileges: with it false, runc loads the filter before it sets the user and capabilities, and this profile denies what that needs:")
		for _, c := range plan.Conflicts {
			note("  %s", c)
		}
	}
	if plan.Late != nil {
		note("late stage: runc cannot start under this profile, so linux.seccomp lets through what runc and the late stage need, and %s loads the whole profile right before it execs the process (process.noNewPrivileges true):", stage.Prefix[0])
		for _, c := range plan.Conflicts {
			note("  %s", c)
		}
	}
}

// noLateError explains why a profile needs a late stage.
func noLateError(dir string, plan *stage.Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to patch %q: runc cannot start a container under this profile, and --no-late rules out the late stage:", dir)
	for _, c := range plan.Conflicts {
		fmt.Fprintf(&b, "\n\t%s", c)
	}
	b.WriteString("\nwithout --no-late, oci-sbx applies the profile in a late stage inside the container")
	return errors.New(b.String())
}

// findLateBinary returns the static oci-sbx for the late stage.
func findLateBinary(flag string) (string, error) {
	if flag != "" {
		if err := checkLateBinary(flag); err != nil {
			return "", fmt.Errorf("--late-binary: %w", err)
		}
		return flag, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this oci-sbx: %w", err)
	}
	var why []string
	for _, cand := range []string{filepath.Join(filepath.Dir(self), staticName), self} {
		err := checkLateBinary(cand)
		if err == nil {
			return cand, nil
		}
		why = append(why, err.Error())
	}
	return "", fmt.Errorf("no static oci-sbx with seccomp support found (%s); build one with `make build`, or give --late-binary", strings.Join(why, "; "))
}

// checkLateBinary makes sure a file can serve as the late stage inside a
// container: an oci-sbx for this architecture, built with seccomp support,
// and static (a container's rootfs has no libseccomp, maybe no libc).
func checkLateBinary(file string) error {
	bi, err := buildinfo.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if bi.Path != "github.com/oci-sbx/oci-sbx/cmd/oci-sbx" {
		return fmt.Errorf("%s is %s, not oci-sbx", file, bi.Path)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOARCH"] != runtime.GOARCH {
		return fmt.Errorf("%s is built for %s, not %s", file, settings["GOARCH"], runtime.GOARCH)
	}
	if settings["CGO_ENABLED"] != "1" || !slices.Contains(strings.Split(settings["-tags"], ","), "seccomp") {
		return fmt.Errorf("%s is built without seccomp support (CGO_ENABLED=1 and -tags seccomp)", file)
	}
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", file)
		}
	}
	return nil
}
