package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	docs "github.com/urfave/cli-docs/v3"
	"github.com/urfave/cli/v3"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/oci"
)

// manCommand writes the man pages; make install runs it, nobody types it.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "write the man pages oci-sbx.1 and oci-sbx-CMD.1 into a directory",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "write the pages into `DIR`"},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf(c, "man takes no arguments")
			}
			pages, err := ManPages(c.Root())
			if err != nil {
				return err
			}
			if err := os.MkdirAll(c.String("dir"), 0o755); err != nil {
				return err
			}
			for _, p := range pages {
				if err := oci.WriteFileAtomic(filepath.Join(c.String("dir"), p.Name), p.Text, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ManPage is one page of section 1.
type ManPage struct {
	Name string // oci-sbx.1, oci-sbx-convert.1, oci-sbx-hook-config.1, …
	Text []byte // roff
}

// manTemplate is the Markdown each page is rendered from (cli-docs fills
// in the flags, go-md2man writes the roff).
const manTemplate = `% {{ .Command.Name }} {{ .SectionNum }} "" "oci-sbx {{ index .Command.Metadata "version" }}" "oci-sbx manual"

# NAME

{{ .Command.Name }} - {{ .Command.Usage }}

# SYNOPSIS

**{{ .Command.UsageText }}**
{{ if .Command.Description }}
# DESCRIPTION

{{ .Command.Description }}
{{ end }}{{ index .Command.Metadata "options" }}
{{ index .Command.Metadata "commands" }}
`

// ManPages renders a page for the root command and one for each visible
// command below it, from their definitions.
func ManPages(root *cli.Command) ([]ManPage, error) {
	docs.MarkdownDocTemplate = manTemplate
	var pages []ManPage
	var walk func(c *cli.Command, path []string) error
	walk = func(c *cli.Command, path []string) error {
		name := strings.Join(path, "-")
		var subs, seeAlso []string
		width := 0
		for _, sub := range c.Commands {
			width = max(width, len(sub.Name))
		}
		for _, sub := range c.Commands {
			if sub.Hidden || sub.Name == "help" || c.Name == "completion" {
				continue
			}
			subs = append(subs, fmt.Sprintf("**%s-%s**(1)", name, sub.Name))
			seeAlso = append(seeAlso, fmt.Sprintf("    %s %-*s  %s", strings.Join(path, " "), width, sub.Name, sub.Usage))
		}
		var tail string
		if len(seeAlso) > 0 {
			tail += "\n# COMMANDS\n\n" + strings.Join(seeAlso, "\n") + "\n"
		}
		if len(path) > 1 {
			subs = append([]string{"**oci-sbx**(1)"}, subs...)
		}
		if len(path) == 1 {
			tail += "\n# EXIT STATUS\n"
			for _, e := range ExitStatuses {
				tail += fmt.Sprintf("\n**%s**\n: %s\n", e.Status, e.Meaning)
			}
		}
		if len(subs) > 0 {
			tail += "\n# SEE ALSO\n\n" + strings.Join(subs, ", ") + "\n"
		}
		usage := strings.Join(path, " ")
		if c.VisibleFlags() != nil {
			usage += " [OPTIONS]"
		}
		if len(subs) > 1 && c.Action == nil || len(path) == 1 {
			usage += " COMMAND"
		} else if c.ArgsUsage != "" {
			usage += " " + c.ArgsUsage
		}
		options := manOptions("OPTIONS", c.VisibleFlags())
		if len(path) > 1 {
			// As --help shows them: the root's flags that go after a command.
			var global []cli.Flag
			for _, f := range root.VisibleFlags() {
				if f.Names()[0] == "quiet" {
					global = append(global, f)
				}
			}
			options += manOptions("GLOBAL OPTIONS", global)
		}
		page := &cli.Command{
			Name:        name,
			Usage:       c.Usage,
			UsageText:   usage,
			Description: manText(c.Description),
			Metadata:    map[string]any{"commands": tail, "options": options, "version": version()},
		}
		text, err := docs.ToManWithSection(page, 1)
		if err != nil {
			return fmt.Errorf("writing the man page of %s: %w", name, err)
		}
		pages = append(pages, ManPage{Name: name + ".1", Text: []byte(text)})
		for _, sub := range c.Commands {
			// The shells' completion commands share one page.
			if sub.Hidden || sub.Name == "help" || c.Name == "completion" {
				continue
			}
			if err := walk(sub, append(path[:len(path):len(path)], sub.Name)); err != nil {
				return err
			}
		}
		return nil
	}
	return pages, walk(root, []string{root.Name})
}

// manOptions is an OPTIONS section: each flag as --help shows it, its
// placeholder (--from FORMAT, -f FORMAT) and its default included.
func manOptions(heading string, flags []cli.Flag) string {
	if len(flags) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n# " + heading + "\n")
	for _, f := range flags {
		term, usage, _ := strings.Cut(cli.FlagStringer(f), "\t")
		fmt.Fprintf(&b, "\n**%s**\n: %s\n", markdownText(term), markdownText(usage))
	}
	return b.String()
}

// markdownText is text in which *, _, ` and [ mean themselves.
func markdownText(s string) string {
	return strings.NewReplacer(`*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`).Replace(s)
}

// manText turns a command's description, written for a terminal, into
// Markdown: its indented lines (examples, lists) become blocks kept as
// they are, and * and _ mean themselves.
func manText(desc string) string {
	var out []string
	code := false
	for _, line := range strings.Split(desc, "\n") {
		indented := strings.HasPrefix(line, "   ")
		switch {
		case indented && !code:
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "")
			}
			code = true
		case !indented && code && line != "":
			out = append(out, "")
			code = false
		}
		if code {
			out = append(out, "    "+line)
		} else {
			out = append(out, markdownText(line))
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// withFishFiles adds file names to fish's completion where oci-sbx offers
// nothing (an INPUT, -o FILE), as bash's and zsh's scripts do by
// themselves: urfave/cli's fish script offers only what the binary prints.
func withFishFiles(print cli.ActionFunc) cli.ActionFunc {
	return func(ctx context.Context, c *cli.Command) error {
		if err := print(ctx, c); err != nil {
			return err
		}
		name := c.Root().Name
		_, err := fmt.Fprintf(c.Root().Writer, "# Where %[1]s offers nothing (an argument, a file a flag names), complete file names.\ncomplete -c %[1]s -n 'test -z \"$(__%[1]s_perform_completion)\"' -F\n", name)
		return err
	}
}

// withBashWords lets bash's script work without the bash-completion
// package too (source <(oci-sbx completion bash) in a plain bash): where
// neither of that package's word splitters exists, it takes the words as
// bash gives them.
func withBashWords(print cli.ActionFunc) cli.ActionFunc {
	return func(ctx context.Context, c *cli.Command) error {
		if err := print(ctx, c); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.Root().Writer, `
# Without the bash-completion package, the words as bash splits them.
__%[1]s_init_completion() {
  COMPREPLY=()
  if declare -F _comp_initialize >/dev/null 2>&1; then
    _comp_initialize "$@"
  elif declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
    _get_comp_words_by_ref "$@" cur prev words cword
  else
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  fi
}
`, c.Root().Name)
		return err
	}
}

// configureCompletion shows the completion command, which urfave/cli
// hides, in oci-sbx's words.
func configureCompletion(c *cli.Command) {
	c.Hidden = false
	c.Usage = "print the shell completion script for bash, zsh or fish"
	c.Description = `Prints a script that completes oci-sbx's commands and flags in the shell.
make install installs them where each shell looks; to try one at once:

   source <(oci-sbx completion bash)
   source <(oci-sbx completion zsh)   # once compinit has run, as zsh's completion needs
   oci-sbx completion fish | source`
	var shells []*cli.Command
	var names []string
	for _, sub := range c.Commands {
		if sub.Name != "pwsh" {
			sub.Usage = "print the " + sub.Name + " completion script"
			shells = append(shells, sub)
			names = append(names, sub.Name)
		}
		switch sub.Name {
		case "fish":
			sub.Action = withFishFiles(sub.Action)
		case "bash":
			sub.Action = withBashWords(sub.Action)
		}
	}
	c.Commands = shells
	c.ArgsUsage = "SHELL"
	c.UsageText = "oci-sbx completion bash|zsh|fish"
	// Reached only when no shell, or an unknown one, is named.
	c.Action = func(_ context.Context, c *cli.Command) error {
		if c.NArg() == 0 {
			return usageErrorf(c, "completion needs a SHELL: %s", strings.Join(names, ", "))
		}
		if sug := suggest.Closest(c.Args().First(), names); sug != "" {
			return usageErrorf(c, "no completion for %q: did you mean %q?", c.Args().First(), sug)
		}
		return usageErrorf(c, "no completion for %q: %s", c.Args().First(), strings.Join(names, ", "))
	}
}
