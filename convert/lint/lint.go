package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/plural"
)

// Severity ranks a finding.
type Severity int

const (
	// Info: a fact worth knowing, such as what seccomp cannot enforce.
	Info Severity = iota
	// Warning: the profile works, but not the way it reads, or it
	// breaks programs.
	Warning
	// Error: the profile lets through what it means to stop, or does
	// not load.
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

func (s Severity) String() string { return severityNames[s] }

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q (want error, warning or info)", b)
}

// Finding is one thing lint has to say about a profile.
type Finding struct {
	ID       string    // stable, such as "bypass-file-open"
	Severity Severity  //
	File     string    // the profile's name
	Pos      rules.Pos // where in the file, when known
	Syscalls []string  // the syscalls it is about, sorted
	Reason   string    // what is wrong, and why
	Fix      string    // what to do

	anchor string // a syscall whose position the finding takes when it has none
}

// Report is every finding about one profile, errors first.
type Report struct {
	File     string
	Findings []Finding
}

// Count returns the number of findings of a severity.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// HasErrors reports whether any finding is an error.
func (r *Report) HasErrors() bool { return r.Count(Error) > 0 }

// Source lints a profile document in any format convert reads (sniffed
// when from is empty), as read with opt. name names the document in
// findings. A profile that convert refuses is not an error: each problem
// becomes an error finding. The error is for a document that is not a
// profile at all.
func Source(name string, data []byte, from convert.Format, opt convert.Options) (*Report, error) {
	if from == "" {
		var err error
		if from, err = convert.Sniff(data); err != nil {
			return nil, fmt.Errorf("linting %q: %w", name, err)
		}
	}
	raw := lintRaw(name, data, from)
	r := &Report{File: name, Findings: raw.findings}
	opt.Warn = nil
	s, err := convert.Read(name, data, from, opt)
	if err != nil {
		fs, ok := readErrors(name, err)
		if !ok {
			return nil, err
		}
		r.Findings = append(r.Findings, fs...)
		r.sort()
		return r, nil
	}
	if opt.Check != nil {
		if err := opt.Check(s); err != nil {
			r.Findings = append(r.Findings, Finding{ID: "loader-differs", Severity: Error, File: name,
				Reason: err.Error(),
				Fix:    "leave out the architectures libseccomp gets wrong, or change the rules it refuses or never finishes (oci-sbx convert refuses to write this profile)"})
		}
	}
	for _, f := range check(name, s) {
		if raw.ids[f.ID] {
			continue // the document said it with a position
		}
		if !f.Pos.IsValid() && f.anchor != "" {
			f.Pos = raw.names[f.anchor]
		}
		r.Findings = append(r.Findings, f)
	}
	r.sort()
	return r, nil
}

// Profile lints a profile in canonical form, as convert.Read returns it.
func Profile(name string, s *specs.LinuxSeccomp) *Report {
	r := &Report{File: name, Findings: check(name, s)}
	r.sort()
	return r
}

func (r *Report) sort() {
	for i := range r.Findings {
		sort.Strings(r.Findings[i].Syscalls)
	}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		switch {
		case a.Severity != b.Severity:
			return a.Severity > b.Severity
		case a.Pos.Line != b.Pos.Line:
			return a.Pos.Line < b.Pos.Line
		case a.Pos.Col != b.Pos.Col:
			return a.Pos.Col < b.Pos.Col
		case a.ID != b.ID:
			return a.ID < b.ID
		}
		return a.Reason < b.Reason
	})
}

// readErrors turns the problems convert.Read reports into findings, with
// the ids of the pitfalls they are.
func readErrors(name string, err error) ([]Finding, bool) {
	var list rules.ErrorList
	var one *rules.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = rules.ErrorList{one}
	default:
		return nil, false
	}
	var mismatch *convert.MismatchError
	if errors.As(err, &mismatch) {
		// One finding: the rest follow from the format, not the profile.
		f := Finding{ID: "invalid-profile", Severity: Error, File: list[0].File, Pos: list[0].Pos, Reason: mismatch.Error(),
			Fix: fmt.Sprintf("leave --from out, or give --from %s", mismatch.Guess)}
		if f.File == "" {
			f.File = name
		}
		if first := list[0].Error(); strings.HasPrefix(f.Reason, first) {
			f.Reason = list[0].Msg + f.Reason[len(first):]
		}
		return []Finding{f}, true
	}
	var out []Finding
	for _, e := range list {
		f := Finding{ID: "invalid-profile", Severity: Error, File: e.File, Pos: e.Pos, Reason: e.Msg,
			Fix: "fix the profile: oci-sbx convert refuses it for the same reason"}
		if f.File == "" {
			f.File = name
		}
		for _, k := range readErrorKinds {
			if strings.Contains(e.Msg, k.text) {
				f.ID, f.Fix = k.id, k.fix
				break
			}
		}
		out = append(out, f)
	}
	return out, true
}

// readErrorKinds name the refusals of convert.Read that are pitfalls of
// their own, by the words of their messages.
var readErrorKinds = []struct{ text, id, fix string }{
	{"notify cannot be the default action", "notify-default",
		"deny by default, and notify only the syscalls an agent should see"},
	{"notify on write", "notify-write",
		"notify other syscalls; leave write to the filter"},
	{"errno(0)", "errno-zero", "deny with a real errno, such as errno(EPERM), or allow"},
	{"unknown syscall", "unknown-syscall",
		"fix the name: runc skips names libseccomp does not know without a word, so a denial with a typo denies nothing"},
	{"runc would OR them", "or-conditions",
		"write one condition (a mask, or a single bound), or one rule per case"},
	{"the bad-architecture action is", "bad-arch-allow",
		"keep the default bad-architecture action (kill), and add the architectures the program uses with seccomp_arch_add"},
	{"cannot load: libseccomp refuses an errno", "errno-range",
		"use an errno from 1 to 4094, such as EPERM"},
	{"out of range (1-4094)", "errno-range",
		"use an errno from 1 to 4094, such as EPERM"},
	{"can never hold: the value has bits outside the mask", "mask-value",
		"clear the value's bits outside the mask, or widen the mask"},
	{"and the conditions on arg0 are lost", "multiplexed-conflict",
		"give the call one action where its conditions are on arg0 alone, deny the multiplexer (socketcall) outright on that architecture, or leave the architecture out"},
	{"whose arguments seccomp cannot read, and the", "multiplexed-conflict",
		"deny the multiplexer (socketcall) outright on that architecture (oci-sbx convert --harden does for the network), or leave the architecture out"},
	{"arguments as 32 bits and drops the upper half", "arg-width",
		"write a value that fits 32 bits (-1 is 0xffffffff), or one profile per architecture width"},
	{"compares a register the kernel does not read", "arg-not-taken",
		"drop the condition, or compare an argument the syscall takes (its man page's prototype lists them)"},
	{"only SCMP_CMP_MASKED_EQ reads valueTwo", "value-two-ignored",
		"drop valueTwo, or compare with SCMP_CMP_MASKED_EQ (value is the mask, valueTwo the result)"},
	{"libseccomp cannot put both in one filter", "arch-list",
		"write one profile per byte order"},
	{"which runc always adds", "arch-list",
		"list the machine's own architecture first, with its compat ABIs after it"},
	{"libseccomp never finishes adding", "loader-hangs",
		"compare the same arguments in the rules that share a range or != comparison, or make the shared comparison an equality"},
	{"conflicts with the rule at line", "conflicting-rules",
		"give the syscall one unconditional rule, or only conditional ones (libseccomp keeps the first unconditional one)"},
	{"are equally strict and disagree", "conflicting-rules",
		"give the syscall one of the two actions, or conditions that never overlap"},
	{"cannot AND on one argument", "conflicting-rules",
		"write the weaker rule with conditions that never meet the stricter one's"},
	{"takes more than", "conflicting-rules",
		"write the weaker rule with conditions that never meet the stricter one's"},
}

// WriteText writes one line per finding and a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range r.Findings {
		where := f.File
		if f.Pos.IsValid() {
			where += fmt.Sprintf(":%d:%d", f.Pos.Line, max(f.Pos.Col, 1))
		}
		fmt.Fprintf(&b, "%s: %s [%s] %s Fix: %s\n", oneLine(where), f.Severity, f.ID, oneLine(sentence(f.Reason)), oneLine(sentence(f.Fix)))
	}
	fmt.Fprintf(&b, "%s: %s, %s, %d info\n", oneLine(r.File), plural.Of(r.Count(Error), "error", "errors"), plural.Of(r.Count(Warning), "warning", "warnings"), r.Count(Info))
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a finding on its line whatever a message quotes.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

type jsonFinding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Syscalls []string `json:"syscalls,omitempty"`
	Reason   string   `json:"reason"`
	Fix      string   `json:"fix"`
}

type jsonReport struct {
	File     string        `json:"file"`
	Findings []jsonFinding `json:"findings"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Info     int           `json:"info"`
}

// WriteJSON writes the report as tab-indented JSON with a trailing
// newline; the fields and their order are stable.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{File: r.File, Findings: []jsonFinding{}, Errors: r.Count(Error), Warnings: r.Count(Warning), Info: r.Count(Info)}
	for _, f := range r.Findings {
		jf := jsonFinding{ID: f.ID, Severity: f.Severity, File: f.File, Syscalls: f.Syscalls, Reason: f.Reason, Fix: f.Fix}
		if f.Pos.IsValid() {
			jf.Line, jf.Column = f.Pos.Line, max(f.Pos.Col, 1)
		}
		out.Findings = append(out.Findings, jf)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "arg0 & 0xffffffff" reads better than "\u0026"
	enc.SetIndent("", "\t")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing lint report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// RuncStart returns lint's finding when runc cannot start a container
// whose linux.seccomp is the profile ("runc-cannot-start": runc itself
// still makes calls the profile denies after loading it), or can only
// with process.noNewPrivileges true ("runc-needs-nnp": without it runc
// loads the filter before it sets the user and the capabilities, and the
// profile denies a call it makes for that), so that whoever writes the
// profile for an engine can say so before anyone tries. Docker, Podman
// and Kubernetes leave noNewPrivileges false unless asked. At most one of
// the two is found.
func RuncStart(name string, s *specs.LinuxSeccomp) (Finding, bool) {
	for _, f := range check(name, s) {
		if f.ID == "runc-cannot-start" || f.ID == "runc-needs-nnp" {
			return f, true
		}
	}
	return Finding{}, false
}

// String prints the finding as WriteText does, without its position.
func (f Finding) String() string {
	return fmt.Sprintf("[%s] %s Fix: %s", f.ID, oneLine(sentence(f.Reason)), oneLine(sentence(f.Fix)))
}
