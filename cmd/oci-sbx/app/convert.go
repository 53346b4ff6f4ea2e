package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/conversion"
	"github.com/oci-sbx/oci-sbx/convert/kubernetes"
	"github.com/oci-sbx/oci-sbx/convert/spo"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
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
			oneOf(&cli.StringFlag{Name: "to", Aliases: []string{"t"}, Value: "oci", Usage: "output `FORMAT`: oci, docker, kubernetes, spo, rules, bpf"}, formatNames(convertOutputs)...),
			outputFlag("write to `FILE` (atomically) instead of standard output"),
			archFlag("target `ARCH`es, e.g. x86_64,x86,x32 (default: as the input says, else native)"),
			&cli.StringSliceFlag{Name: "caps", Usage: "`CAP`s Docker includes/excludes resolve against, replacing the set docker run grants (flattens docker output)"},
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
	if opt.Arches, err = archList(c); err != nil {
		return err
	}
	opt.Caps = splitList(c.StringSlice("caps"))
	opt.CapAdd, opt.CapDrop = splitList(c.StringSlice("cap-add")), splitList(c.StringSlice("cap-drop"))
	opt.Kernel, opt.Name = c.String("kernel"), c.String("name")
	opt.Select = c.String("name")
	if opt.Name == "" {
		opt.Name = profileName(outputFile(c), input)
	}
	data, err := readInput(c.Root().Reader, input)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = conversion.Convert(&buf, inputName(input), data, conversion.Options{
		Read: opt, From: from, To: to,
		Harden: c.Bool("harden"), Note: func(m string) { notef(c, "%s\n", m) },
		Strict: c.Bool("strict"), Alert: func(m string) { fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: %s\n", m) },
		Write: func(w io.Writer, s *specs.LinuxSeccomp, to convert.Format, opt convert.Options) error {
			return writeBPF(ctx, c, w, s, opt)
		},
	})
	if err != nil {
		return err
	}
	if err := writeOut(c, buf.Bytes()); err != nil {
		return err
	}
	if to == convert.Kubernetes {
		if !quiet(c) {
			fmt.Fprint(&prefixWriter{w: c.Root().ErrWriter, prefix: "oci-sbx: "}, kubernetes.Hint(opt.Name))
		}
	}
	return nil
}

// archList is --arch: the architectures named, each one libseccomp knows;
// a misspelt one is a usage error, not the profile's.
func archList(c *cli.Command) ([]string, error) {
	arches := splitList(c.StringSlice("arch"))
	for _, a := range arches {
		if _, err := syscalls.ArchSpec(a); err != nil {
			return nil, usageErrorf(c, "--arch: %v", err)
		}
	}
	return arches, nil
}

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
		if name := spo.FoldName(base); name != "" {
			return name
		}
	}
	return "oci-sbx"
}
