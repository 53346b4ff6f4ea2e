package rules

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// FromSeccomp turns an OCI profile into rules, checking every action,
// errno, operator, architecture and syscall name on the way. A rule with
// several conditions on one argument becomes one rule per condition,
// because that is what runc makes of it.
func FromSeccomp(s *specs.LinuxSeccomp) (*Profile, error) {
	var errs ErrorList
	errorf := func(format string, args ...any) { errs.add("", Pos{}, format, args...) }
	p := &Profile{HasDefault: true, Flags: s.Flags, ListenerPath: s.ListenerPath, ListenerMetadata: s.ListenerMetadata}
	var err error
	if p.Default, err = ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet); err != nil {
		errorf("defaultAction: %v", err)
	}
	for _, a := range s.Architectures {
		name, err := syscalls.ArchFromSpec(a)
		if err != nil {
			errorf("architectures: %v", err)
			continue
		}
		p.Architectures = append(p.Architectures, Name{Name: name})
	}
	for _, f := range s.Flags {
		if !contains(knownFlags, string(f)) {
			errorf("unknown flag %q (known: %s)", f, strings.Join(knownFlags, ", "))
		}
	}
	for i, sc := range s.Syscalls {
		where := fmt.Sprintf("syscalls[%d]", i)
		act, err := ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil {
			errorf("%s: %v", where, err)
			continue
		}
		if len(sc.Names) == 0 {
			errorf("%s: no syscall names", where)
			continue
		}
		var names []Name
		for _, n := range sc.Names {
			if strings.HasPrefix(n, "@") {
				errorf("%s: %q is a rules group, not a syscall name", where, n)
				continue
			}
			if err := checkName(n); err != nil {
				errorf("%s: %v (runc would silently skip it)", where, err)
				continue
			}
			names = append(names, Name{Name: n})
		}
		var conds []Cond
		perArg := map[uint]int{}
		for j, a := range sc.Args {
			cond, err := CondFromSpec(a)
			if err != nil {
				errorf("%s.args[%d]: %v", where, j, err)
				continue
			}
			perArg[cond.Arg]++
			conds = append(conds, cond)
		}
		split := false
		for _, n := range perArg {
			split = split || n > 1
		}
		if !split {
			p.Rules = append(p.Rules, Rule{Syscalls: names, Action: act, When: conds})
			continue
		}
		for _, cond := range conds {
			p.Rules = append(p.Rules, Rule{Syscalls: names, Action: act, When: []Cond{cond},
				Comment: "runc ORs conditions on one argument: one rule per condition"})
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// String prints the profile as a rules document that Parse reads back.
func (p *Profile) String() string {
	var b strings.Builder
	if p.Extends != "" {
		fmt.Fprintf(&b, "extends: %s\n", quote(p.Extends))
	}
	if p.HasDefault {
		fmt.Fprintf(&b, "default: %s\n", p.Default)
	}
	if len(p.Architectures) > 0 {
		names := make([]string, len(p.Architectures))
		for i, a := range p.Architectures {
			names[i] = a.Name
		}
		b.WriteString("architectures: ")
		writeFlow(&b, names, len("architectures: "))
	}
	if len(p.Flags) > 0 {
		flags := make([]string, len(p.Flags))
		for i, f := range p.Flags {
			flags[i] = string(f)
		}
		b.WriteString("flags: ")
		writeFlow(&b, flags, len("flags: "))
	}
	if p.ListenerPath != "" {
		fmt.Fprintf(&b, "listenerPath: %s\n", quote(p.ListenerPath))
	}
	if p.ListenerMetadata != "" {
		fmt.Fprintf(&b, "listenerMetadata: %s\n", quote(p.ListenerMetadata))
	}
	if p.Harden {
		b.WriteString("harden: true\n")
	}
	if len(p.Rules) == 0 {
		return b.String()
	}
	b.WriteString("rules:\n")
	for _, r := range p.Rules {
		fmt.Fprintf(&b, "  - action: %s\n", r.Action)
		names := make([]string, len(r.Syscalls))
		for i, n := range r.Syscalls {
			names[i] = quote(n.Name)
		}
		b.WriteString("    syscalls: ")
		writeFlow(&b, names, len("    syscalls: "))
		if len(r.When) > 0 {
			conds := make([]string, len(r.When))
			for i, c := range r.When {
				conds[i] = quote(c.String())
			}
			b.WriteString("    when: ")
			writeFlow(&b, conds, len("    when: "))
		}
		if r.Comment != "" {
			fmt.Fprintf(&b, "    comment: %s\n", quote(r.Comment))
		}
	}
	return b.String()
}

// writeFlow writes a YAML flow list wrapped before column 100.
func writeFlow(b *strings.Builder, items []string, indent int) {
	b.WriteByte('[')
	col := indent + 1
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
			col++
			if col+len(it)+2 > 100 {
				b.WriteString("\n" + strings.Repeat(" ", indent+1))
				col = indent + 1
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(it)
		col += len(it)
	}
	b.WriteString("]\n")
}

// quote returns s as a YAML scalar, double-quoted (JSON syntax, which YAML
// reads) unless it is a plain word.
func quote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' || r == '/') {
			plain = false
			break
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		plain = false
	}
	if plain && s[0] != '-' {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "&" in a mask reads better than "\u0026"
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
