package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/rules"
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

Examples:
   oci-sbx simulate testdata/demo.yaml openat AT_FDCWD 0 O_RDONLY
   oci-sbx simulate /usr/share/containers/seccomp.json kexec_load
   oci-sbx simulate --trace prog.bpf connect`,
		Flags: []cli.Flag{
			fromFlag(programInputs),
			&cli.StringFlag{Name: "arch", Usage: "the caller's `ARCH`itecture: x86_64, x86, x32, aarch64, … (default: native)"},
			&cli.BoolFlag{Name: "trace", Usage: "print every instruction executed, then the action"},
		},
		Action: runSimulate,
	}
}

func runSimulate(ctx context.Context, c *cli.Command) error {
	if c.NArg() < 2 {
		return usageErrorf(c, "simulate takes a FILE and a SYSCALL, got %d arguments", c.NArg())
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
		if arch = rules.NativeArch(); arch == "" {
			return usageErrorf(c, "cannot tell this machine's architecture: name it with --arch")
		}
	}
	audit, err := filter.AuditArch(arch)
	if err != nil {
		return usageErrorf(c, "--arch: %v", err)
	}
	nr, err := syscallNumber(arch, args[1])
	if err != nil {
		return usageErrorf(c, "%v", err)
	}
	d := filter.Data{Nr: int32(nr), Arch: audit}
	for i, s := range args[2:] {
		if d.Args[i], err = rules.ParseValue(s); err != nil {
			return usageErrorf(c, "argument %d: %v", i, err)
		}
	}

	opt := warnOptions(c)
	prog, _, err := loadProgram(ctx, c.Root().Reader, args[0], from, opt)
	if err != nil {
		return err
	}
	w := c.Root().Writer
	if !c.Bool("trace") {
		_, err := fmt.Fprintln(w, prog.Run(d))
		return err
	}
	r, pcs := prog.Trace(d)
	lines := strings.Split(prog.String(), "\n")
	for _, pc := range pcs {
		fmt.Fprintln(w, lines[pc])
	}
	_, err = fmt.Fprintf(w, "%v after %d instructions\n", r, r.Steps)
	return err
}

// syscallNumber reads a syscall name or number for an architecture. A
// number below bit 30 given for x32 gets the bit, as every x32 number
// carries it.
func syscallNumber(arch, s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("empty syscall")
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil || v < -1<<31 || v > 1<<32-1 {
			return 0, fmt.Errorf("syscall number %q is not a 32-bit number", s)
		}
		nr := uint32(v)
		if arch == "x32" && nr < filter.X32SyscallBit {
			nr |= filter.X32SyscallBit
		}
		return nr, nil
	}
	return filter.Syscall(arch, s)
}
