package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// The shells' completion scripts (oci-sbx completion SHELL) ask the binary
// what may come next: oci-sbx WORDS… --generate-shell-completion. complete
// answers for every command: its commands, its flags, the values a flag
// takes, or nothing where a file name goes, so that the shell completes
// file names there itself.

// choiceFlag is a string flag that takes one of a few values; the shells
// complete them.
type choiceFlag struct {
	*cli.StringFlag
	values []string
}

// choiceListFlag is a list flag whose items are each one of a few values.
type choiceListFlag struct {
	*cli.StringSliceFlag
	values []string
}

// oneOf makes f complete to values.
func oneOf(f *cli.StringFlag, values ...string) cli.Flag { return &choiceFlag{f, values} }

// listOf makes f's items complete to values.
func listOf(f *cli.StringSliceFlag, values ...string) cli.Flag { return &choiceListFlag{f, values} }

// formatNames are the names of formats, for flags that take one.
func formatNames(fs []convert.Format) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = string(f)
	}
	return names
}

// archFlag is --arch for commands that build or compare a profile for
// several architectures.
func archFlag(usage string) cli.Flag {
	return listOf(&cli.StringSliceFlag{Name: "arch", Usage: usage}, syscalls.Arches()...)
}

// setComplete gives every command the completion of oci-sbx: a Before of
// the root, which runs once urfave/cli has added its help and completion
// commands, and before it completes.
func setComplete(ctx context.Context, root *cli.Command) (context.Context, error) {
	return ctx, root.Walk(func(c *cli.Command) error {
		c.ShellComplete = complete
		return nil
	})
}

func complete(_ context.Context, c *cli.Command) {
	w := c.Root().Writer
	args := c.Args().Slice()
	last := ""
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	// A flag that takes a value and has none yet is kept as the last
	// argument: its values come next.
	if f := lookupFlag(c, last); f != nil && strings.HasPrefix(last, "-") {
		if values := flagValues(f); values != nil {
			for _, v := range values {
				fmt.Fprintln(w, v)
			}
			return
		}
		if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
			return // a file or free text: the shell's own completion
		}
	}
	// (A lone -- may be the flag being typed or the end of the flags: the
	// shells ask the same for both.)
	if strings.HasPrefix(last, "-") {
		printFlags(w, c, last)
		return
	}
	if len(args) > 0 {
		// Past the command's name and flags: its arguments, file names
		// but for simulate's SYSCALL and ARGs.
		if c.Name == "simulate" {
			for _, v := range simulateArgs(c, len(args)) {
				fmt.Fprintln(w, v)
			}
		}
		return
	}
	commands := c.Commands
	if c.Name == "help" && c.Root() != c {
		commands = c.Root().Commands // help COMMAND
	}
	for _, sub := range commands {
		// Every command has a help command of its own; only the root's is
		// worth offering.
		if sub.Hidden || sub.Name == "help" && c != c.Root() {
			continue
		}
		fmt.Fprintf(w, "%s:%s\n", sub.Name, sub.Usage)
	}
}

// simulateArgs completes simulate FILE SYSCALL [ARG…]: the syscalls of
// --arch (default the native one), then named constants.
func simulateArgs(c *cli.Command, n int) []string {
	if n > 1 {
		return syscalls.ConstantNames()
	}
	arch := c.String("arch")
	if arch == "" {
		arch = syscalls.NativeArch()
	}
	var names []string
	for _, name := range syscalls.AllSyscalls() {
		if syscalls.HasSyscall(arch, name) {
			names = append(names, name)
		}
	}
	return names
}

// lookupFlag finds c's flag, or a global one, named by arg (-x, --name).
func lookupFlag(c *cli.Command, arg string) cli.Flag {
	name := strings.TrimLeft(arg, "-")
	if name == "" {
		return nil
	}
	for _, cmd := range c.Lineage() {
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				if n == name {
					return f
				}
			}
		}
	}
	return nil
}

func flagValues(f cli.Flag) []string {
	switch f := f.(type) {
	case *choiceFlag:
		return f.values
	case *choiceListFlag:
		return f.values
	}
	return nil
}

// printFlags prints c's visible flags and the global ones that start as
// the word being completed does, with their usage as help shows it.
func printFlags(w io.Writer, c *cli.Command, word string) {
	cur := strings.TrimLeft(word, "-")
	seen := map[string]bool{}
	for _, cmd := range []*cli.Command{c, c.Root()} {
		for _, f := range cmd.VisibleFlags() {
			name := f.Names()[0]
			// Of the root's flags only --quiet goes after a command.
			global := cmd != c && name != "quiet"
			if global || seen[name] || !strings.HasPrefix(name, cur) || name == cur {
				continue
			}
			seen[name] = true
			dashes := "--"
			if utf8.RuneCountInString(name) == 1 {
				dashes = "-"
			}
			usage := ""
			if d, ok := f.(cli.DocGenerationFlag); ok {
				// `FORMAT` marks the placeholder help shows; here it is a word.
				usage = strings.ReplaceAll(d.GetUsage(), "`", "")
			}
			fmt.Fprintf(w, "%s%s:%s\n", dashes, name, usage)
		}
	}
}
