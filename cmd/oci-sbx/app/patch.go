package app

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
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
	note := func(format string, args ...any) { fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: "+format+"\n", args...) }
	profile, err := loadProfile(c.Root().Reader, c.String("profile"), from, warnOptions(c))
	if err != nil {
		return err
	}
	if arch, rt := syscalls.NativeArch(), runtimes.Default(); arch != rt.Arch {
		note("warning: what runc needs after it loads a filter was measured on %s; on %s the same syscall names stand in", rt.Arch, arch)
	}
	dir := c.Args().First()
	opt := stage.PatchOptions{
		LateBinary: func() (string, error) { return findLateBinary(c.String("late-binary")) },
		NoLate:     c.Bool("no-late"),
		DryRun:     c.Bool("dry-run"),
		Backup:     c.Bool("backup"),
	}
	if socket := c.String("report-to"); socket != "" {
		opt.ReportTo, opt.Report = socket, hooks.Report
	}
	res, err := stage.Patch(dir, profile, opt)
	if err != nil {
		return err
	}
	configPath := filepath.Join(dir, oci.ConfigName)
	if opt.DryRun {
		fmt.Fprint(c.Root().Writer, oci.Diff(configPath, configPath+" (patched)", res.Original, res.Patched))
		if res.LateBinaryErr != nil {
			note("warning: the late stage needs a static oci-sbx: %v", res.LateBinaryErr)
		}
		if len(res.Files) > 0 {
			var files []string
			for _, f := range res.Files {
				files = append(files, filepath.Join(dir, f))
			}
			note("would write %s", strings.Join(files, " and "))
		}
	} else if res.Changed {
		note("patched %s", configPath)
	} else {
		note("%s already holds this patch", configPath)
	}
	for _, line := range res.Plan.Explain() {
		note("%s", line)
	}
	for _, w := range res.Warnings {
		note("warning: %s", w)
	}
	return nil
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
