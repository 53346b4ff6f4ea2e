package app

import (
	"bytes"
	"context"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/merge"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "join recorded profiles: allow what any of them allows",
		ArgsUsage: "PROFILE...",
		Description: `Writes the union of profiles that deny by default, such as recordings of several
runs, replicas or containers: a call is allowed when any PROFILE allows it. The
union is taken per syscall and per argument condition (a syscall one PROFILE
allows whatever its arguments is allowed so; otherwise each distinct condition
is kept) over the union of the architectures. Counts in record's comments are
summed, and where the calls were seen is kept. Where the PROFILEs differ in
what they deny with — their defaults, or errno values for a syscall none
allows — the strictest wins, with a warning, so the order of the PROFILEs
never changes the output. PROFILEs are in any format convert reads; a profile
that allows by default is refused.

Examples:
   oci-sbx merge -o app.yaml run1.yaml run2.yaml
   oci-sbx merge --to docker -o app.json run1.yaml run2.yaml`,
		Flags: []cli.Flag{
			outputFlag("write to `FILE` (atomically) instead of standard output"),
			oneOf(&cli.StringFlag{Name: "to", Aliases: []string{"t"}, Value: "rules", Usage: "output `FORMAT`: rules, oci, docker, kubernetes, spo"}, "rules", "oci", "docker", "kubernetes", "spo"),
			fromFlag(convert.InputFormats),
		},
		Action: runMerge,
	}
}

func runMerge(_ context.Context, c *cli.Command) error {
	if c.NArg() == 0 {
		return usageErrorf(c, "merge needs at least one PROFILE")
	}
	if err := stdinOnce(c); err != nil {
		return err
	}
	to, err := convert.ParseFormat(c.String("to"), convert.OutputFormats)
	if err != nil {
		return usageErrorf(c, "--to: %v", err)
	}
	from, err := fromFormat(c, convert.InputFormats)
	if err != nil {
		return err
	}
	var inputs []merge.Input
	for _, path := range c.Args().Slice() {
		data, err := readInput(c.Root().Reader, path)
		if err != nil {
			return err
		}
		inputs = append(inputs, merge.Input{Name: path, Data: data})
	}
	opt := warnOptions(c)
	p, err := merge.Merge(inputs, merge.Options{From: from, Warn: opt.Warn})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	header := merge.Header(version(), c.Args().Slice())
	if err := merge.Write(&buf, p, to, header, opt); err != nil {
		return err
	}
	return writeOut(c, buf.Bytes())
}
