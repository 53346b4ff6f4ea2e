package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/plural"
)

func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		Usage:     "print what a profile does to one syscall, by running its program",
		ArgsUsage: "FILE SYSCALL [ARG...]",
		Description: `Prints the action the kernel takes for one syscall under a profile: allow,
errno(EPERM), kill-process, kill-thread, trap, log, notify or trace(N).

The answer comes from the program itself, not from reading the rules: the program
runc loads for FILE on this host (libseccomp's filter behind runc's ENOSYS stub, as
convert --to bpf exports it) runs in a userspace BPF interpreter. A child builds
the program with runc's loader and is caught as it loads it, which any user may
do; a raw program exported once (oci-sbx convert --to bpf -o prog.bpf) simulates
in any build.

FILE is any format convert reads, or a raw program (--from bpf; a file with a NUL
byte is taken as one). SYSCALL is a name or a number as seccomp_data carries it
(x32 numbers carry bit 30). ARGs are numbers or constants joined with |, such as
AT_FDCWD or O_RDONLY|O_CLOEXEC; missing ones are 0.

--format json writes the question and the answer as one JSON object (the schema
is in docs/json.md), with the instructions executed when --trace is given.

Examples:
   oci-sbx simulate testdata/demo.yaml openat AT_FDCWD 0 O_RDONLY
   oci-sbx simulate /usr/share/containers/seccomp.json kexec_load
   oci-sbx simulate --trace prog.bpf connect
   oci-sbx simulate --format json testdata/demo.yaml connect`,
		Flags: append([]cli.Flag{
			fromFlag(programInputs),
			oneOf(&cli.StringFlag{Name: "arch", Usage: "the caller's `ARCH`itecture: x86_64, x86, x32, aarch64, … (default: native)"}, syscalls.Arches()...),
			&cli.BoolFlag{Name: "trace", Usage: "print every instruction executed, then the action"},
			formatFlag(),
		}, capFlags()...),
		Action: runSimulate,
	}
}

func runSimulate(ctx context.Context, c *cli.Command) error {
	if c.NArg() < 2 {
		return usageErrorf(c, "simulate takes a FILE and a SYSCALL, got %s", count(c.NArg(), "argument"))
	}
	if c.NArg() > 8 {
		return usageErrorf(c, "a syscall has at most 6 arguments, got %d", c.NArg()-2)
	}
	args := c.Args().Slice()
	from, err := fromFormat(c, programInputs)
	if err != nil {
		return err
	}
	arch := c.String("arch")
	if arch == "" {
		if arch = syscalls.NativeArch(); arch == "" {
			return usageErrorf(c, "cannot tell this machine's architecture: name it with --arch")
		}
	}
	audit, err := filter.AuditArch(arch)
	if err != nil {
		return usageErrorf(c, "--arch: %v", err)
	}
	nr, err := filter.ParseSyscall(arch, args[1])
	if err != nil {
		return usageErrorf(c, "%v", err)
	}
	d := filter.Data{Nr: int32(nr), Arch: audit}
	for i, s := range args[2:] {
		if d.Args[i], err = rules.ParseValue(s); err != nil {
			return usageErrorf(c, "argument %d: %v", i, err)
		}
	}

	format, err := outputFormat(c)
	if err != nil {
		return err
	}

	opt := withCaps(c, warnOptions(c))
	prog, _, err := loadProgram(ctx, c.Root().Reader, args[0], from, opt)
	if err != nil {
		return err
	}
	w := c.Root().Writer
	if format == "json" {
		return writeJSON(w, simulation(prog, arch, d, c.Bool("trace")))
	}
	if !c.Bool("trace") {
		_, err := fmt.Fprintln(w, prog.Run(d))
		return err
	}
	r, pcs := prog.Trace(d)
	lines := strings.Split(prog.String(), "\n")
	for _, pc := range pcs {
		fmt.Fprintln(w, lines[pc])
	}
	_, err = fmt.Fprintf(w, "%v after %s\n", r, count(r.Steps, "instruction"))
	return err
}

// simulateJSON is simulate --format json; docs/json.md documents it, and
// fields are only ever added.
type simulateJSON struct {
	Arch    string    `json:"arch"`
	Syscall string    `json:"syscall"` // "" for a number no syscall has on arch
	Nr      uint32    `json:"nr"`
	Args    [6]string `json:"args"`   // hexadecimal, as 64-bit values do not fit a JSON number
	Action  string    `json:"action"` // rules syntax: allow, errno(EPERM), kill-thread, …
	Ret     string    `json:"ret"`    // the SECCOMP_RET_* value the program returned, hexadecimal
	Steps   int       `json:"steps"`  // instructions executed
	Trace   []string  `json:"trace,omitempty"`
}

func simulation(prog *filter.Program, arch string, d filter.Data, trace bool) simulateJSON {
	r := prog.Run(d)
	out := simulateJSON{
		Arch:    arch,
		Syscall: filter.SyscallName(arch, uint32(d.Nr)),
		Nr:      uint32(d.Nr),
		Action:  r.String(),
		Ret:     fmt.Sprintf("0x%08x", r.Ret),
		Steps:   r.Steps,
	}
	for i, a := range d.Args {
		out.Args[i] = fmt.Sprintf("%#x", a)
	}
	if trace {
		_, pcs := prog.Trace(d)
		lines := strings.Split(prog.String(), "\n")
		out.Trace = []string{}
		for _, pc := range pcs {
			out.Trace = append(out.Trace, lines[pc])
		}
	}
	return out
}

// count says how many of a thing: "1 instruction", "2 instructions".
func count(n int, thing string) string { return plural.Of(n, thing, thing+"s") }
