package app

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// Every visible command has a page, named after its path, that shows its
// usage and each of its flags.
func TestManPages(t *testing.T) {
	root := New()
	pages, err := ManPages(root)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, p := range pages {
		byName[p.Name] = string(p.Text)
	}
	var walk func(c *cli.Command, name string)
	walk = func(c *cli.Command, name string) {
		text, ok := byName[name+".1"]
		if !ok {
			t.Errorf("no page %s.1", name)
			return
		}
		delete(byName, name+".1")
		// Roff's escapes and fonts aside, the page says what --help says.
		text = regexp.MustCompile(`\\f[BIPR]`).ReplaceAllString(strings.ReplaceAll(text, `\-`, "-"), "")
		// A section 1 page whose footer names the version it documents.
		if !strings.Contains(text, ".TH "+name+" 1 \"\" \"oci-sbx "+version()+"\"") {
			t.Errorf("%s.1 is not a section 1 page:\n%.200s", name, text)
		}
		if !strings.Contains(text, c.Usage) {
			t.Errorf("%s.1 lacks the usage %q", name, c.Usage)
		}
		// Each flag as --help shows it: placeholders, not Go's zero values.
		for _, f := range c.VisibleFlags() {
			term, _, _ := strings.Cut(cli.FlagStringer(f), "\t")
			if !strings.Contains(strings.ReplaceAll(text, `\[`, "["), term) {
				t.Errorf("%s.1 lacks the flag %s", name, term)
			}
		}
		if name != "oci-sbx" && !strings.Contains(text, ".SH GLOBAL OPTIONS") {
			t.Errorf("%s.1 does not show --quiet, which goes after the command too", name)
		}
		if strings.Contains(text, `=""`) || strings.Contains(text, "(default: false)") {
			t.Errorf("%s.1 shows flags with Go's zero values:\n%s", name, text)
		}
		for _, sub := range c.Commands {
			if sub.Hidden || sub.Name == "help" || c.Name == "completion" {
				continue
			}
			if !strings.Contains(text, name+"-"+sub.Name+"(1)") {
				t.Errorf("%s.1 does not point to %s-%s(1)", name, name, sub.Name)
			}
			walk(sub, name+"-"+sub.Name)
		}
	}
	// Run the app once so that urfave/cli adds its help and completion
	// commands, as in a real run.
	if code, _, _ := runCLI(t, "version"); code != 0 {
		t.Fatal("version failed")
	}
	walk(root, "oci-sbx")
	for name := range byName {
		t.Errorf("a page for no visible command: %s", name)
	}
}

// oci-sbx help CMD (and oci-sbx CMD help SUB) print what --help prints.
func TestHelpCommand(t *testing.T) {
	for _, tt := range []struct{ help, flag []string }{
		{[]string{"help", "convert"}, []string{"convert", "--help"}},
		{[]string{"help", "hook"}, []string{"hook", "--help"}},
		{[]string{"help", "completion"}, []string{"completion", "--help"}},
		{[]string{"hook", "help", "config"}, []string{"hook", "config", "--help"}},
		{[]string{"help", "hook", "config"}, []string{"hook", "config", "--help"}},
		{[]string{"help", "hook", "precreate"}, []string{"hook", "precreate", "--help"}},
		{[]string{"help", "completion", "zsh"}, []string{"completion", "zsh", "--help"}},
	} {
		code, viaHelp, errOut := runCLI(t, tt.help...)
		_, viaFlag, _ := runCLI(t, tt.flag...)
		name := "oci-sbx " + strings.Join(tt.flag[:len(tt.flag)-1], " ") + " - "
		if code != 0 || viaHelp != viaFlag || !strings.Contains(viaHelp, name) {
			t.Errorf("%v: exit %d, stderr %q\n%s\nwant what --help prints:\n%s", tt.help, code, errOut, viaHelp, viaFlag)
		}
	}
	code, _, stderr := runCLI(t, "help", "cnvert")
	if code != 2 || !strings.Contains(stderr, `unknown command "cnvert": did you mean "convert"?`) {
		t.Errorf("help cnvert: exit %d\n%s", code, stderr)
	}
	checkUsageError(t, stderr)
	code, _, stderr = runCLI(t, "help", "hook", "confg")
	if code != 2 || !strings.Contains(stderr, `unknown command "confg": did you mean "config"?`) {
		t.Errorf("help hook confg: exit %d\n%s", code, stderr)
	}
	checkUsageError(t, stderr)
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "oci-sbx") || !strings.Contains(out, "generate-shell-completion") && shell != "fish" {
			t.Errorf("completion %s: exit %d, stderr %q\n%s", shell, code, errOut, out)
		}
	}
	// What the scripts ask for: a command's commands, then its flags. (At
	// the root urfave/cli reads os.Args, which is the test binary's here.)
	code, out, _ := runCLI(t, "hook", "--generate-shell-completion")
	if code != 0 || !strings.Contains(out, "precreate:") || !strings.Contains(out, "config:") {
		t.Errorf("completing hook's commands: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "convert", "-", "--generate-shell-completion")
	if code != 0 || !strings.Contains(out, "--to") || !strings.Contains(out, "--harden") {
		t.Errorf("completing convert's flags: exit %d\n%s", code, out)
	}
	// What comes next: a command's commands, a flag's values, flags
	// without help's backquotes, and nothing where a file name goes (the
	// shells then complete file names).
	for _, tt := range []struct {
		args []string
		want string // the words offered, in order
	}{
		{[]string{"help"}, "convert exec lint patch simulate record merge diff hook agent nri version completion"},
		{[]string{"hook"}, "precreate config"},
		{[]string{"completion"}, "bash zsh fish"},
		{[]string{"convert"}, ""},
		{[]string{"convert", "in.yaml"}, ""},
		{[]string{"convert", "--to"}, "oci docker kubernetes spo rules bpf"},
		{[]string{"convert", "-t"}, "oci docker kubernetes spo rules bpf"},
		{[]string{"convert", "--to", "docker"}, ""},
		{[]string{"convert", "-o"}, ""},
		{[]string{"convert", "--ha"}, "--harden"},
		{[]string{"record", "--to"}, "rules oci docker kubernetes spo bpf"},
		{[]string{"record", "--mode"}, "auto notify ebpf"},
		{[]string{"simulate", "--from"}, "rules libseccomp-c docker oci spo bpf"},
		{[]string{"lint", "--format"}, "text json"},
		{[]string{"exec", "--report", "--", "ls"}, ""},
		{[]string{"simulate"}, ""},
		{[]string{"version", "-"}, "--format --help --quiet"},
	} {
		code, out, stderr := runCLI(t, append(tt.args, "--generate-shell-completion")...)
		var words []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if word, _, _ := strings.Cut(line, ":"); word != "" {
				words = append(words, word)
			}
		}
		if got := strings.Join(words, " "); code != 0 || got != tt.want || strings.Contains(out, "`") {
			t.Errorf("completing %v: exit %d, stderr %q\n%s\nwant %q", tt.args, code, stderr, out, tt.want)
		}
	}
	// simulate FILE SYSCALL ARG…: the architecture's syscalls, then constants.
	for _, tt := range []struct {
		args      []string
		has, lack string
	}{
		{[]string{"simulate", "p.yaml"}, "\nopenat\n", "\nsocketcall\n"},
		{[]string{"simulate", "--arch", "x86", "p.yaml"}, "\nsocketcall\n", "\nnewfstatat\n"},
		{[]string{"simulate", "p.yaml", "openat"}, "\nAT_FDCWD\n", "\nopenat\n"},
	} {
		_, out, _ := runCLI(t, append(tt.args, "--generate-shell-completion")...)
		if out = "\n" + out; !strings.Contains(out, tt.has) || strings.Contains(out, tt.lack) {
			t.Errorf("completing %v: want %q and no %q:\n%.300s", tt.args, tt.has, tt.lack, out)
		}
	}
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion", "bsh"}, {"completion"}} {
		code, _, errOut := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		checkUsageError(t, errOut)
	}
}

// docs/cli.md's table of exit statuses is the one oci-sbx(1) prints.
func TestExitStatusesDocumented(t *testing.T) {
	data, err := os.ReadFile("../../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, e := range ExitStatuses {
		fmt.Fprintf(&want, "| %s | %s |\n", e.Status, e.Meaning)
	}
	if !strings.Contains(string(data), "| status | meaning |\n|---|---|\n"+want.String()) {
		t.Errorf("docs/cli.md does not hold the table of exit statuses:\n%s", want.String())
	}
	pages, err := ManPages(New())
	if err != nil {
		t.Fatal(err)
	}
	if text := string(pages[0].Text); pages[0].Name != "oci-sbx.1" || !strings.Contains(text, ".SH EXIT STATUS") || !strings.Contains(text, "record --check: CMD made a call") {
		t.Errorf("oci-sbx.1 has no EXIT STATUS section:\n%s", text)
	}
}
