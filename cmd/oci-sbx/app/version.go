package app

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/oci-sbx/oci-sbx/internal/kernel"
	"github.com/oci-sbx/oci-sbx/oci/loader"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the versions of oci-sbx and what it is built with, and what this build supports",
		Description: `Prints the version of oci-sbx (git describe at make build; from a tarball
git archive made, its commit; after go install, the module version), the Go, OCI
runtime-spec, runc loader and libseccomp it was built with, and what this build and
this kernel support: the formats, the built-in bases, the architectures, the
kernel's seccomp actions and the filter flags the loader can set (the seccomp part
of runc features).

--format json writes the same as one JSON object, with the schema in docs/json.md.

Examples:
   oci-sbx version
   oci-sbx version --format json | jq -r .libseccomp`,
		Flags:  []cli.Flag{formatFlag()},
		Action: runVersion,
	}
}

// Version is oci-sbx's version as make build stamps it at link time (git
// describe --always --dirty); empty in any other build.
var Version string

// archived is version.txt, into which git archive writes "DESCRIBE HASH"
// (export-subst, .gitattributes): a tarball has no git to ask.
//
//go:embed version.txt
var archived string

// version is oci-sbx's version, from the first of these that knows it:
// make build's stamp; the commit git archive wrote into a tarball; the
// module version go install records; the commit go build records in a
// checkout; else "dev".
var version = sync.OnceValue(func() string {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(Version, archived, bi)
})

func resolveVersion(stamp, archived string, bi *debug.BuildInfo) string {
	if stamp = strings.TrimSpace(stamp); stamp != "" {
		return stamp
	}
	// Unsubstituted, the file still holds git's placeholders.
	if f := strings.Fields(archived); len(f) > 0 && !strings.ContainsAny(archived, "$%") {
		return f[0] // git describe's name, or the commit when nothing describes it
	}
	if bi == nil {
		return "dev"
	}
	// A release's tag (go install …@v1.2.0, or a build in a tagged
	// checkout), else the commit go build recorded, as git describe names
	// it, rather than the pseudo-version Go derives from it.
	v := bi.Main.Version
	if v == "(devel)" {
		v = ""
	}
	if v != "" && !pseudoVersion.MatchString(v) {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if len(rev) > 7 {
		rev = rev[:7] // as git describe --always abbreviates it
	}
	switch {
	case rev != "":
		return rev + dirty
	case v != "":
		return v
	}
	return "dev"
}

// pseudoVersion matches the version Go gives a commit no tag names
// (v0.0.0-20260102150405-0123456789ab, …-0.2026…, +dirty).
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// versionInfo is what oci-sbx version reports; docs/json.md documents its
// JSON form, and fields are only ever added to it.
type versionInfo struct {
	Version     string     `json:"version"`
	Go          string     `json:"go"`
	Platform    string     `json:"platform"`
	RuntimeSpec string     `json:"runtimeSpec"`
	Runc        *string    `json:"runc"`       // the runc module whose loader this build links; null without one
	Libseccomp  *string    `json:"libseccomp"` // null in a build without seccomp support
	Seccomp     bool       `json:"seccomp"`    // exec and convert --to bpf work
	NativeArch  string     `json:"nativeArch"`
	Arches      []string   `json:"architectures"`
	Inputs      []string   `json:"inputs"`
	Outputs     []string   `json:"outputs"`
	Bases       []string   `json:"bases"`
	Kernel      kernelInfo `json:"kernel"`
	// SeccompFeatures is the seccomp part of `runc features`, from the
	// linked loader: what it can put in a filter on this kernel.
	SeccompFeatures *features.Seccomp `json:"seccompFeatures"`
}

type kernelInfo struct {
	Release string `json:"release"`
	// SeccompActions are the kernel's names from
	// /proc/sys/kernel/seccomp/actions_avail; null when unreadable.
	SeccompActions []string `json:"seccompActions"`
}

func runVersion(_ context.Context, c *cli.Command) error {
	if c.NArg() > 0 {
		return usageErrorf(c, "version takes no arguments")
	}
	format, err := outputFormat(c)
	if err != nil {
		return err
	}
	v := versionReport()
	w := c.Root().Writer
	if format == "json" {
		return writeJSON(w, v)
	}
	lib, runc := "none: "+loader.ErrUnsupported.Error(), "not linked"
	if v.Libseccomp != nil {
		lib = *v.Libseccomp
	}
	if v.Runc != nil {
		runc = *v.Runc
	}
	actions := "unknown"
	if v.Kernel.SeccompActions != nil {
		actions = strings.Join(v.Kernel.SeccompActions, ", ")
	}
	fmt.Fprintf(w, "oci-sbx:       %s (%s, %s)\n", v.Version, v.Go, v.Platform)
	fmt.Fprintf(w, "runtime-spec:  %s\n", v.RuntimeSpec)
	fmt.Fprintf(w, "runc:          %s (libcontainer/seccomp, the loader exec and convert --to bpf use)\n", runc)
	fmt.Fprintf(w, "libseccomp:    %s\n", lib)
	fmt.Fprintf(w, "kernel:        %s (seccomp actions: %s)\n", v.Kernel.Release, actions)
	if f := v.SeccompFeatures; f.Enabled != nil && *f.Enabled {
		fmt.Fprintf(w, "filter flags:  %s supported (of %s)\n", orNone(f.SupportedFlags), orNone(f.KnownFlags))
	}
	fmt.Fprintf(w, "native arch:   %s\n", v.NativeArch)
	fmt.Fprintf(w, "inputs:        %s\n", strings.Join(v.Inputs, ", "))
	fmt.Fprintf(w, "outputs:       %s\n", strings.Join(v.Outputs, ", "))
	fmt.Fprintf(w, "bases:         %s\n", strings.Join(v.Bases, ", "))
	return nil
}

func versionReport() versionInfo {
	v := versionInfo{
		Version:     version(),
		Go:          runtime.Version(),
		Platform:    runtime.GOOS + "/" + runtime.GOARCH,
		RuntimeSpec: specs.Version,
		Seccomp:     loader.Supported,
		NativeArch:  syscalls.NativeArch(),
		Arches:      syscalls.Arches(),
		Inputs:      formatNames(convert.InputFormats),
		Outputs:     formatNames(convert.OutputFormats),
		Bases:       convert.BuiltinNames(),

		SeccompFeatures: loader.Features(),
	}
	if runc := moduleVersion("github.com/opencontainers/runc"); runc != "" {
		v.Runc = &runc
	}
	if lib, err := loader.LibseccompVersion(); err == nil {
		v.Libseccomp = &lib
	}
	if loader.Supported {
		v.Outputs = append(v.Outputs, string(convert.BPF))
	}
	if r, err := kernel.Release(); err == nil {
		v.Kernel.Release = r
	}
	if data, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail"); err == nil {
		v.Kernel.SeccompActions = strings.Fields(string(data))
	}
	return v
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// moduleVersion is the version of a module linked into this binary.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return ""
}

// formatFlag is --format, for commands that report: text for people,
// json for programs (docs/json.md).
func formatFlag() cli.Flag {
	return oneOf(&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json (docs/json.md)"}, "text", "json")
}

// outputFormat reads --format.
func outputFormat(c *cli.Command) (string, error) {
	switch f := c.String("format"); f {
	case "text", "json":
		return f, nil
	default:
		return "", usageErrorf(c, "--format: want text or json, not %q", f)
	}
}

// writeJSON writes v as oci-sbx writes JSON everywhere: tab-indented, with
// a trailing newline.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
