package app

import (
	"bytes"
	"context"
	"fmt"

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
is kept) over the union of the architectures; a syscall any PROFILE logs (log)
stays logged. Counts in record's comments are summed, and where the calls were
seen is kept. Where the PROFILEs differ in
what they deny with — their defaults, or errno values for a syscall none
allows — the strictest wins, with a warning, so the order of the PROFILEs
never changes the output. PROFILEs are in any format convert reads; a profile
that allows by default is refused. As with convert, oci, docker, kubernetes and
spo output that runc cannot start under (a recording of a program run outside a
container lacks what runc calls after loading the filter) is said so, never
silenced, and --strict refuses it.

Examples:
   oci-sbx merge -o app.yaml run1.yaml run2.yaml
   oci-sbx merge --to docker -o app.json run1.yaml run2.yaml`,
		Flags: []cli.Flag{
			outputFlag("write to `FILE` (atomically) instead of standard output"),
			oneOf(&cli.StringFlag{Name: "to", Aliases: []string{"t"}, Value: "rules", Usage: "output `FORMAT`: rules, oci, docker, kubernetes, spo"}, "rules", "oci", "docker", "kubernetes", "spo"),
			fromFlag(convert.InputFormats),
			&cli.BoolFlag{Name: "strict", Usage: "refuse to write oci, docker, kubernetes or spo output that no runc can start, and docker, kubernetes or spo output that runc starts only with no-new-privileges (without it: a warning)"},
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
	var buf bytes.Buffer
	err = merge.Profile(&buf, inputs, merge.Options{From: from, Warn: warnOptions(c).Warn}, merge.Output{
		To: to, Version: version(), Strict: c.Bool("strict"), Check: warnOptions(c).Check,
		Alert: func(m string) { fmt.Fprintf(c.Root().ErrWriter, "oci-sbx: %s\n", m) },
	})
	if err != nil {
		return err
	}
	return writeOut(c, buf.Bytes())
}
