package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/oci-sbx/oci-sbx/oci/loader"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the versions of oci-sbx and what it is built with, and what this build supports",
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf(c, "version takes no arguments")
			}
			w := c.Root().Writer
			fmt.Fprintf(w, "oci-sbx:       %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "runtime-spec:  %s\n", specs.Version)
			fmt.Fprintf(w, "runc:          %s (libcontainer/seccomp)\n", moduleVersion("github.com/opencontainers/runc"))
			if v, err := loader.LibseccompVersion(); err != nil {
				fmt.Fprintf(w, "libseccomp:    none: %v\n", err)
			} else {
				fmt.Fprintf(w, "libseccomp:    %s\n", v)
			}
			fmt.Fprintf(w, "native arch:   %s\n", rules.NativeArch())
			fmt.Fprintf(w, "inputs:        %s\n", formats(convert.InputFormats))
			outputs := convert.OutputFormats
			if loader.Supported {
				outputs = append(outputs[:len(outputs):len(outputs)], convert.BPF)
			}
			fmt.Fprintf(w, "outputs:       %s\n", formats(outputs))
			fmt.Fprintf(w, "bases:         %s\n", strings.Join(convert.BuiltinNames(), ", "))
			return nil
		},
	}
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
	return "not linked"
}

func formats(fs []convert.Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}
