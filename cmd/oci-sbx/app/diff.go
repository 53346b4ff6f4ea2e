package app

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert/filter"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "list the syscalls two profiles treat differently, by running their programs",
		ArgsUsage: "A B",
		Description: `Compares two profiles by what they do, not by how they are written: the program
runc loads for each (see convert --to bpf; any user can get it) runs in a
userspace BPF interpreter on every syscall number of every architecture — 1024
numbers above each ABI's first, the numbers past its last syscall, and the edges
of the 32-bit range — with all arguments 0 and, for a syscall that a condition of
either profile looks at, with the values around the condition's operands.

Each line is an architecture, a syscall (with the argument values, when only some
values differ; #N for a number no syscall has, #N-#M for a run of them) and what
each profile does to it. The values of one argument that differ alike share a
line: the smallest few, and how many there are (--format json lists each). An
architecture one profile does not cover at all is one line. A and B are any
format convert reads, or raw programs (a file with a NUL byte); a raw program
brings no argument values of its own.

--format json writes the same as one JSON object (the schema is in docs/json.md).

Exit status: 0 when the profiles act the same, 1 when they differ, 2 on trouble.

Examples:
   oci-sbx diff testdata/demo.yaml hardened.yaml
   oci-sbx diff --arch x86_64 /usr/share/containers/seccomp.json docker.json`,
		Flags: append([]cli.Flag{
			archFlag("compare only these `ARCH`es (default: every architecture libseccomp knows)"),
			formatFlag(),
		}, capFlags()...),
		Action: runDiff,
	}
}

func runDiff(ctx context.Context, c *cli.Command) error {
	if c.NArg() != 2 {
		return usageErrorf(c, "diff takes two profiles, A and B, got %d", c.NArg())
	}
	if err := stdinOnce(c); err != nil {
		return err
	}
	arches := splitList(c.StringSlice("arch"))
	for _, a := range arches {
		if _, err := filter.AuditArch(a); err != nil {
			return usageErrorf(c, "--arch: %v", err)
		}
	}
	if len(arches) == 0 {
		arches = filter.AllArches()
	}
	format, err := outputFormat(c)
	if err != nil {
		return err
	}
	errw := c.Root().ErrWriter
	// Trouble exits 2, as for diff(1): 1 means "different".
	trouble := func(err error) error {
		fmt.Fprintf(errw, "oci-sbx: %v\n", err)
		return &ExitStatus{Code: 2}
	}
	opt := withCaps(c, warnOptions(c))
	pa, sa, err := loadProgram(ctx, c.Root().Reader, c.Args().Get(0), "", opt)
	if err != nil {
		return trouble(err)
	}
	pb, sb, err := loadProgram(ctx, c.Root().Reader, c.Args().Get(1), "", opt)
	if err != nil {
		return trouble(err)
	}
	diffs := filter.Compare(pa, pb, arches, sa, sb)
	if format == "json" {
		if err := writeJSON(c.Root().Writer, diffReport(c.Args().Get(0), c.Args().Get(1), pa, pb, diffs)); err != nil {
			return trouble(err)
		}
		if len(diffs) > 0 {
			return &ExitStatus{Code: 1}
		}
		return nil
	}
	if len(diffs) == 0 {
		return nil
	}

	tw := tabwriter.NewWriter(c.Root().Writer, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "ARCH\tSYSCALL\t%s\t%s\n", c.Args().Get(0), c.Args().Get(1))
	byArch(diffs, func(arch string, run []filter.Difference) {
		if line, ok := uncovered(arch, pa, pb, len(run)); ok {
			fmt.Fprintf(tw, "%s\tevery syscall\t%s\n", arch, line)
			return
		}
		for _, l := range diffLines(run) {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%v\n", arch, l.label, l.a, l.b)
		}
	})
	if err := tw.Flush(); err != nil {
		return trouble(err)
	}
	return &ExitStatus{Code: 1}
}

// diffLine is one line of diff's text: a syscall, or a syscall and the
// values of one argument that all differ alike.
type diffLine struct {
	label string
	a, b  filter.Result
}

// shownValues is how many values of an argument a line names before it
// only counts the rest.
const shownValues = 3

// diffLines words one architecture's differences: the values of one
// argument of a syscall that differ alike make one line, smallest first,
// naming the first few and counting the rest (--format json lists each).
func diffLines(run []filter.Difference) []diffLine {
	var out []diffLine
	for i := 0; i < len(run); {
		d := run[i]
		arg := bits.TrailingZeros8(d.Case.Varied)
		j := i + 1
		for d.Case.Varied != 0 && d.Case.Varied&(d.Case.Varied-1) == 0 && j < len(run) &&
			run[j].Case.Nr == d.Case.Nr && run[j].Case.Varied == d.Case.Varied && run[j].A.Ret == d.A.Ret && run[j].B.Ret == d.B.Ret {
			j++
		}
		group := slices.Clone(run[i:j])
		slices.SortFunc(group, func(x, y filter.Difference) int { return cmp.Compare(x.Case.Args[arg], y.Case.Args[arg]) })
		if len(group) <= shownValues {
			for _, g := range group {
				out = append(out, diffLine{g.String(), g.A, g.B})
			}
		} else {
			var vals []string
			for _, g := range group[:shownValues] {
				vals = append(vals, filter.FormatNumber(g.Case.Args[arg]))
			}
			name := filter.Case{Arch: d.Case.Arch, Nr: d.Case.Nr}.String()
			label := fmt.Sprintf("%s(arg%d=%s,… %d values)", name, arg, strings.Join(vals, ","), len(group))
			out = append(out, diffLine{label, d.A, d.B})
		}
		i = j
	}
	return out
}

// byArch calls f with each run of diffs on one architecture; Compare
// returns them grouped so.
func byArch(diffs []filter.Difference, f func(arch string, run []filter.Difference)) {
	for i := 0; i < len(diffs); {
		arch := diffs[i].Case.Arch
		j := i
		for j < len(diffs) && diffs[j].Case.Arch == arch {
			j++
		}
		f(arch, diffs[i:j])
		i = j
	}
}

// uncovered sums up an architecture that a program answers with a single
// action throughout, as for an architecture its filter does not cover.
func uncovered(arch string, a, b *filter.Program, n int) (string, bool) {
	if n < 2 { // one syscall is worth its own line
		return "", false
	}
	ua, okA := filter.Uniform(a, arch)
	ub, okB := filter.Uniform(b, arch)
	switch {
	case okA && okB:
		return fmt.Sprintf("%v\t%v", ua, ub), true
	case okA && !okB:
		return fmt.Sprintf("%v\tby syscall", ua), true
	case okB && !okA:
		return fmt.Sprintf("by syscall\t%v", ub), true
	}
	return "", false
}

// diffJSON is diff --format json; docs/json.md documents it, and fields
// are only ever added.
type diffJSON struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Same bool   `json:"same"`
	// Architectures that one program answers with a single action for
	// every syscall (one it does not cover), where the other differs.
	Architectures []diffArchJSON `json:"architectures"`
	Syscalls      []diffCallJSON `json:"syscalls"`
}

type diffArchJSON struct {
	Arch string `json:"arch"`
	A    string `json:"a"` // an action, or "by syscall"
	B    string `json:"b"`
}

type diffCallJSON struct {
	Arch    string `json:"arch"`
	Syscall string `json:"syscall"` // the name; "" for a number no syscall has
	Label   string `json:"label"`   // as the text shows it: openat, sendto(arg4=1), #452-#1023
	Nr      uint32 `json:"nr"`
	Last    uint32 `json:"last"` // the last number of a run of numbers no syscall has; nr otherwise
	// Args are the argument values tried (hexadecimal) when only some
	// values differ; null when every value tried differs alike.
	Args *[6]string `json:"args"`
	A    string     `json:"a"`
	B    string     `json:"b"`
}

func diffReport(nameA, nameB string, pa, pb *filter.Program, diffs []filter.Difference) diffJSON {
	out := diffJSON{A: nameA, B: nameB, Same: len(diffs) == 0, Architectures: []diffArchJSON{}, Syscalls: []diffCallJSON{}}
	byArch(diffs, func(arch string, run []filter.Difference) {
		if line, ok := uncovered(arch, pa, pb, len(run)); ok {
			a, b, _ := strings.Cut(line, "\t")
			out.Architectures = append(out.Architectures, diffArchJSON{Arch: arch, A: a, B: b})
		} else {
			for _, d := range run {
				call := diffCallJSON{Arch: arch, Syscall: filter.SyscallName(arch, d.Case.Nr), Label: d.String(), Nr: d.Case.Nr, Last: d.Last, A: d.A.String(), B: d.B.String()}
				if d.Case.Varied != 0 {
					var args [6]string
					for k, v := range d.Case.Args {
						args[k] = fmt.Sprintf("%#x", v)
					}
					call.Args = &args
				}
				out.Syscalls = append(out.Syscalls, call)
			}
		}
	})
	return out
}
