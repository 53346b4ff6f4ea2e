package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/runtimes"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/oci"
	"github.com/oci-sbx/oci-sbx/oci/record"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

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

The bundle changes as a whole: the late profile is BUNDLE/.oci-sbx/profile-
SHA256.json, named by the SHA-256 of its bytes and written before config.json,
whose atomic rename is the one moment the bundle changes. Patches of one bundle
wait for each other (flock on BUNDLE/.oci-sbx/lock) and remove, after their
commit, the files config.json no longer uses: those of the config replaced with
the next patch (a runc that read it may still be starting), and none while a
container created from an earlier config still has them bound.

The late stage needs a static oci-sbx built with seccomp support (make build
builds one): --late-binary, else oci-sbx-static next to this oci-sbx, else this
oci-sbx itself when it is static. Patching again replaces an earlier patch,
including a process.noNewPrivileges it set (the annotation
io.oci-sbx.set-no-new-privileges records that).

--record PATH puts in a recording filter instead of a profile: runc loads it
where it would load the container's profile, and hands its listener over to
PATH, where oci-sbx record --listen PATH -o FILE (started first) records every
call of the container and writes FILE when the container has exited. write and
what runc calls after loading run unobserved (runc cannot notify write, and
nobody holds the listener yet); the recorded profile allows them, saying so.

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
			&cli.StringFlag{Name: "record", Usage: "instead of a profile, put in a recording filter whose listener goes to the unix socket `PATH`, served by oci-sbx record --listen PATH"},
			&cli.StringFlag{Name: "report-to", Usage: "report each call the profile denies with an errno to the oci-sbx agent on the unix socket `PATH` (see oci-sbx agent --help)"},
		},
		Action: runPatch,
	}
}

func runPatch(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 1 {
		return usageErrorf(c, "patch takes one BUNDLE directory, got %s", count(c.NArg(), "argument"))
	}
	if socket := c.String("record"); socket != "" {
		if c.IsSet("profile") || c.IsSet("report-to") || c.IsSet("dry-run") {
			return usageErrorf(c, "--record puts in a recording filter: it takes no --profile, --report-to or --dry-run")
		}
		unobserved, err := record.PatchBundle(c.Args().First(), socket, c.Bool("backup"))
		if err != nil {
			return err
		}
		notef(c, "patched %s for recording; serve it with: oci-sbx record --listen %s -o FILE\n",
			filepath.Join(c.Args().First(), oci.ConfigName), socket)
		notef(c, "unobserved (runc calls them after loading the filter): %s\n", strings.Join(unobserved, ", "))
		return nil
	}
	if c.String("profile") == "" {
		return usageErrorf(c, "patch needs --profile FILE (or --record PATH)")
	}
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	note := func(format string, args ...any) { notef(c, format+"\n", args...) }
	profile, err := loadProfile(c.Root().Reader, c.String("profile"), from, warnOptions(c))
	if err != nil {
		return err
	}
	// runc (or the late stage) builds this profile with libseccomp: what
	// it would refuse or build wrong is refused before the bundle changes.
	if err := warnOptions(c).Check(profile); err != nil {
		return fmt.Errorf("refusing to patch: %w", err)
	}
	if arch, rt := syscalls.NativeArch(), runtimes.Default(); arch != rt.Arch {
		note("warning: what runc needs after it loads a filter was measured on %s; on %s the same syscall names stand in", rt.Arch, arch)
	}
	dir := c.Args().First()
	opt := stage.PatchOptions{
		LateBinary: func() (string, error) { return stage.FindBinary(c.String("late-binary")) },
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
