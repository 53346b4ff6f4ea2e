package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/kubernetes"
	"github.com/oci-sbx/oci-sbx/convert/lint"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/oci"
)

func convertCommand() *cli.Command {
	return &cli.Command{
		Name:      "convert",
		Usage:     "convert a seccomp profile between formats",
		ArgsUsage: "INPUT",
		Description: `Reads a profile (INPUT, or - for standard input) and writes it in another format.

Inputs (--from, guessed from the content when omitted):
   rules         the oci-sbx rules language (YAML)
   libseccomp-c  C source that builds a filter with seccomp_init and seccomp_rule_add
   docker        Docker or Podman JSON (archMap, includes/excludes, errno names)
   oci           a linux.seccomp object, or a whole config.json
   spo           a Security Profiles Operator SeccompProfile resource

Outputs (--to, default oci):
   oci           linux.seccomp JSON for config.json
   docker        JSON for docker/podman run --security-opt seccomp=FILE
   kubernetes    JSON for a kubelet Localhost profile; where it goes is printed on stderr
   spo           a SeccompProfile resource the Security Profiles Operator distributes
   rules         the rules language
   bpf           the raw program (struct sock_filter[]) that runc's loader builds for
                 the profile on this host, for bwrap --seccomp FD and crun's
                 run.oci.seccomp_bpf_data. It is the loader of the runc
                 release linked into oci-sbx (oci-sbx version names it): an installed
                 runc of another release may build other bytes, with the same verdicts

Unknown syscall names, actions and errnos are errors, never skipped. Notes about
what a format cannot carry go to standard error.

Examples:
   oci-sbx convert testdata/demo.yaml --to docker -o demo.json
   oci-sbx convert --from docker --arch x86_64,x86,x32 --cap-add SYS_ADMIN seccomp.json
   oci-sbx convert --to rules /usr/share/containers/seccomp.json`,
		Flags: []cli.Flag{
			fromFlag(convert.InputFormats),
			&cli.StringFlag{Name: "to", Aliases: []string{"t"}, Value: "oci", Usage: "output `FORMAT`: oci, docker, kubernetes, spo, rules, bpf"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` (atomically) instead of standard output"},
			&cli.StringSliceFlag{Name: "arch", Usage: "target `ARCH`es, e.g. x86_64,x86,x32 (default: as the input says, else native)"},
			&cli.StringSliceFlag{Name: "caps", Usage: "capabilities Docker includes/excludes resolve against, replacing the set docker run grants (flattens docker output)"},
			&cli.StringSliceFlag{Name: "cap-add", Usage: "`CAP`s added to the set docker run grants, as docker run --cap-add (flattens docker output)"},
			&cli.StringSliceFlag{Name: "cap-drop", Usage: "`CAP`s dropped from the set docker run grants, as docker run --cap-drop (flattens docker output)"},
			&cli.StringFlag{Name: "kernel", Usage: "kernel `VERSION` (major.minor) for Docker minKernel filters (default: the running kernel)"},
			&cli.StringFlag{Name: "name", Usage: "profile `NAME` for spo and kubernetes output (default: from -o or INPUT); picks the SeccompProfile to read from a file of several"},
			&cli.BoolFlag{Name: "harden", Usage: "widen each deny intent to every syscall that reaches the same goal (see oci-sbx lint); notes on stderr"},
			&cli.BoolFlag{Name: "strict", Usage: "refuse to write oci, docker, kubernetes or spo output that no runc can start, and docker, kubernetes or spo output that runc starts only with no-new-privileges (without it: a warning)"},
		},
		Action: runConvert,
	}
}

func runConvert(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 1 {
		return usageErrorf(c, "convert takes one INPUT (a file, or - for standard input), got %d", c.NArg())
	}
	input := c.Args().First()
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	to, err := convert.ParseFormat(c.String("to"), convertOutputs)
	if err != nil {
		return usageErrorf(c, "--to: %v", err)
	}
	opt := warnOptions(c)
	opt.Arches = splitList(c.StringSlice("arch"))
	opt.Caps = splitList(c.StringSlice("caps"))
	opt.CapAdd, opt.CapDrop = splitList(c.StringSlice("cap-add")), splitList(c.StringSlice("cap-drop"))
	opt.Kernel, opt.Name = c.String("kernel"), c.String("name")
	opt.Select = c.String("name")
	if opt.Name == "" {
		opt.Name = profileName(c.String("output"), input)
	}
	var buf bytes.Buffer
	if to == convert.Docker && opt.Caps == nil && opt.CapAdd == nil && opt.CapDrop == nil {
		if err := convertDocker(c, &buf, input, from, opt); err != nil {
			return err
		}
	} else {
		s, err := loadProfile(c.Root().Reader, input, from, opt)
		if err != nil {
			return err
		}
		if c.Bool("harden") {
			if s, err = hardenProfile(c, s, opt.Arches); err != nil {
				return err
			}
		}
		if err := checkStart(c, s, to, input, c.Bool("strict")); err != nil {
			return err
		}
		if err := writeOutput(ctx, c, &buf, s, to, opt); err != nil {
			return fmt.Errorf("writing %s: %w", to, err)
		}
	}
	if out := c.String("output"); out != "" {
		if err := oci.WriteFileAtomic(out, buf.Bytes(), 0o644); err != nil {
			return err
		}
	} else if _, err := c.Root().Writer.Write(buf.Bytes()); err != nil {
		return err
	}
	if to == convert.Kubernetes {
		if !quiet(c) {
			fmt.Fprint(c.Root().ErrWriter, kubernetes.Hint(opt.Name))
		}
	}
	return nil
}

// convertDocker writes Docker/Podman JSON that keeps the input's
// capability-conditional rules for the engine to resolve per container
// (flattened, with a note, where they cannot be kept exactly).
func convertDocker(c *cli.Command, w io.Writer, input string, from convert.Format, opt convert.Options) error {
	data, err := readInput(c.Root().Reader, input)
	if err != nil {
		return err
	}
	name := input
	if input == "-" {
		name = "<stdin>"
	}
	variants, err := convert.ReadCapVariants(name, data, from, opt, func(s *specs.LinuxSeccomp, first bool) (*specs.LinuxSeccomp, error) {
		if !c.Bool("harden") {
			return s, nil
		}
		if first {
			return hardenProfile(c, s, opt.Arches)
		}
		h, _, err := rules.Harden(s, opt.Arches)
		return h, err
	})
	if err != nil {
		return err
	}
	if err := checkStart(c, variants[0].Profile, convert.Docker, input, c.Bool("strict")); err != nil {
		return err
	}
	err = docker.WriteConditional(w, variants, opt)
	if errors.Is(err, docker.ErrNotConditional) {
		opt.Warnf("%v; written for the capabilities docker run grants by default", err)
		err = convert.Write(w, variants[0].Profile, convert.Docker, opt)
	}
	if err != nil {
		return fmt.Errorf("writing docker: %w", err)
	}
	return nil
}

// engineOutputs are the formats a runtime loads as linux.seccomp, before
// the container's process starts.
var engineOutputs = []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO}

// checkStart (convert, merge, record) says when no runc can start a
// container under the profile
// (--strict: refuses), and when runc can start one only with
// noNewPrivileges, which the engines that read docker, kubernetes and spo
// output leave false by default (--strict: refuses those; oci output,
// which goes into a config.json, is only warned about). The warning is not
// a note about the conversion and is never silenced: the profile as
// written does not run.
func checkStart(c *cli.Command, s *specs.LinuxSeccomp, to convert.Format, input string, strict bool) error {
	if !slices.Contains(engineOutputs, to) {
		return nil
	}
	f, bad := lint.CannotStart(input, s)
	switch {
	case bad && strict:
		return fmt.Errorf("refusing to write %s output that no runc can start: %s", to, f)
	case bad:
		fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: warning: %s output: %s\n", to, f)
		return nil
	}
	f, nnp := lint.NeedsNoNewPrivileges(input, s)
	if !nnp {
		return nil
	}
	f.Fix = nnpFix[to]
	if to != convert.OCI && strict {
		return fmt.Errorf("refusing to write %s output that runc cannot start with the engine's default noNewPrivileges (false): %s", to, f)
	}
	fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: warning: %s output: %s\n", to, f)
	return nil
}

// nnpFix says, per output, how the consumer turns noNewPrivileges on.
var nnpFix = map[convert.Format]string{
	convert.OCI:        "set process.noNewPrivileges to true in config.json (runc spec does; oci-sbx patch does when the profile needs it)",
	convert.Docker:     "run the container with --security-opt no-new-privileges (docker run, podman run), or put the profile in with oci-sbx patch or the Podman hook, which set it",
	convert.Kubernetes: "set securityContext.allowPrivilegeEscalation: false on the container, which the kubelet turns into noNewPrivileges",
	convert.SPO:        "set securityContext.allowPrivilegeEscalation: false on the containers that use the profile, which the kubelet turns into noNewPrivileges",
}

// splitList accepts both --arch a,b and --arch a --arch b.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// profileName derives a resource name from the output or input file name.
func profileName(output, input string) string {
	for _, p := range []string{output, input} {
		if p == "" || p == "-" {
			continue
		}
		base := filepath.Base(p)
		base = strings.TrimSuffix(base, filepath.Ext(base))
		name := strings.Trim(strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
				return r
			case r >= 'A' && r <= 'Z':
				return r + ('a' - 'A')
			}
			return '-'
		}, base), "-.")
		if name != "" {
			return name
		}
	}
	return "oci-sbx"
}
