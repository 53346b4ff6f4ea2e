package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

var (
	profileKeys = []string{"default", "architectures", "extends", "flags", "listenerPath", "listenerMetadata", "harden", "rules"}
	ruleKeys    = []string{"syscalls", "action", "when", "comment"}
	// The flags runc knows; the OCI formats list them all, TSYNC
	// included, which runc ignores (lint says so).
	knownFlags = []string{
		"SECCOMP_FILTER_FLAG_TSYNC",
		string(specs.LinuxSeccompFlagLog),
		string(specs.LinuxSeccompFlagSpecAllow),
		string(specs.LinuxSeccompFlagWaitKillableRecv),
	}
)

// Parse reads a rules document. file names the source in error messages.
// Every problem found is reported, as an ErrorList sorted by position.
func Parse(file string, src []byte) (*Profile, error) {
	p := &parse{file: file}
	if err := tree.ScanYAML(src); err != nil {
		te := err.(*tree.Error)
		return nil, ErrorList{{File: file, Pos: te.Pos, Msg: te.Msg}}.Err()
	}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			pos := ye.GetToken().Position
			return nil, ErrorList{{File: file, Pos: Pos{Line: pos.Line, Col: pos.Column}, Msg: "malformed YAML: " + ye.GetMessage()}}.Err()
		}
		return nil, ErrorList{{File: file, Msg: "malformed YAML: " + err.Error()}}.Err()
	}
	if len(f.Docs) > 1 {
		p.errorf(pos(f.Docs[1]), "a rules file holds one document; found %d", len(f.Docs))
	}
	var body ast.Node
	if len(f.Docs) > 0 {
		body = f.Docs[0].Body
	}
	prof := &Profile{File: file}
	if m, ok := p.mapping(body, "the profile"); ok {
		p.profile(prof, m)
	}
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return prof, nil
}

type parse struct {
	file string
	errs ErrorList
}

func (p *parse) errorf(at Pos, format string, args ...any) {
	p.errs.add(p.file, at, format, args...)
}

func pos(n ast.Node) Pos { return tree.YAMLPos(n) }

// unwrap skips tags and comments so "!!str x" reads as "x".
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.CommentGroupNode:
			return nil
		default:
			return n
		}
	}
}

func (p *parse) mapping(n ast.Node, what string) ([]*ast.MappingValueNode, bool) {
	switch t := unwrap(n).(type) {
	case nil, *ast.NullNode:
		p.errorf(pos(n), "%s is empty; expected a mapping", what)
	case *ast.MappingNode:
		return t.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{t}, true
	case *ast.AnchorNode, *ast.AliasNode:
		p.errorf(pos(n), "YAML anchors and aliases are not supported; write %s out", what)
	default:
		p.errorf(pos(n), "%s must be a mapping, not %s", what, describe(t))
	}
	return nil, false
}

// scalar returns the text of a scalar node.
func (p *parse) scalar(n ast.Node, what string) (string, bool) {
	switch t := unwrap(n).(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		return t.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return t.GetToken().Value, true
	case *ast.AnchorNode, *ast.AliasNode:
		p.errorf(pos(n), "YAML anchors and aliases are not supported; write %s out", what)
	case nil, *ast.NullNode:
		p.errorf(pos(n), "%s is empty", what)
	default:
		p.errorf(pos(n), "%s must be a single value, not %s", what, describe(t))
	}
	return "", false
}

// list accepts a sequence of scalars, or one scalar as a list of one.
func (p *parse) list(n ast.Node, what string) []Name {
	var out []Name
	switch t := unwrap(n).(type) {
	case *ast.SequenceNode:
		for _, v := range t.Values {
			if s, ok := p.scalar(v, "an entry of "+what); ok {
				out = append(out, Name{Name: s, Pos: pos(v)})
			}
		}
	default:
		if s, ok := p.scalar(n, what); ok {
			out = append(out, Name{Name: s, Pos: pos(n)})
		}
	}
	return out
}

func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	}
	t := strings.ToLower(n.Type().String())
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + t
	}
	return "a " + t
}

// key reads a mapping key and checks it against the known ones.
func (p *parse) key(kv *ast.MappingValueNode, known []string, where string) (string, bool) {
	k, ok := p.scalar(kv.Key, "a key")
	if !ok {
		return "", false
	}
	for _, s := range known {
		if s == k {
			return k, true
		}
	}
	p.errorf(pos(kv.Key), "%v", suggest.UnknownKey(k, where, known))
	return "", false
}

func (p *parse) profile(prof *Profile, m []*ast.MappingValueNode) {
	for _, kv := range m {
		k, ok := p.key(kv, profileKeys, "the profile")
		if !ok {
			continue
		}
		switch k {
		case "default":
			prof.DefaultPos = pos(kv.Value)
			if s, ok := p.scalar(kv.Value, "default"); ok {
				if a, err := ParseAction(s); err != nil {
					p.errorf(prof.DefaultPos, "default: %v", err)
				} else {
					prof.Default, prof.HasDefault = a, true
				}
			}
		case "architectures":
			prof.ArchitecturesPos = pos(kv.Key)
			prof.Architectures = p.list(kv.Value, "architectures")
			for _, a := range prof.Architectures {
				if a.Name != Native {
					if _, err := syscalls.ArchSpec(a.Name); err != nil {
						p.errorf(a.Pos, "%v", err)
					}
				}
			}
		case "extends":
			prof.ExtendsPos = pos(kv.Value)
			prof.Extends, _ = p.scalar(kv.Value, "extends")
		case "flags":
			for _, f := range p.list(kv.Value, "flags") {
				if !contains(knownFlags, f.Name) {
					p.errorf(f.Pos, "%v", suggest.UnknownName("flag", f.Name, knownFlags))
					continue
				}
				prof.Flags = append(prof.Flags, specs.LinuxSeccompFlag(f.Name))
			}
			if prof.Flags == nil {
				prof.Flags = []specs.LinuxSeccompFlag{}
			}
		case "listenerPath":
			prof.ListenerPath, _ = p.scalar(kv.Value, "listenerPath")
		case "listenerMetadata":
			prof.ListenerMetadata, _ = p.scalar(kv.Value, "listenerMetadata")
		case "harden":
			if s, ok := p.scalar(kv.Value, "harden"); ok {
				if prof.Harden = s == "true"; s != "true" && s != "false" {
					p.errorf(pos(kv.Value), "harden: want true or false, not %q", s)
				}
			}
		case "rules":
			switch t := unwrap(kv.Value).(type) {
			case *ast.SequenceNode:
				for _, v := range t.Values {
					if rm, ok := p.mapping(v, "a rule"); ok {
						prof.Rules = append(prof.Rules, p.rule(v, rm))
					}
				}
			case nil, *ast.NullNode:
			default:
				p.errorf(pos(kv.Value), "rules must be a list of rules, not %s", describe(t))
			}
		}
	}
	if !prof.HasDefault && prof.Extends == "" && prof.DefaultPos == (Pos{}) {
		p.errorf(Pos{Line: 1, Col: 1}, "missing default: say what happens to syscalls no rule names, e.g. \"default: errno(EPERM)\" (or extend a base profile)")
	}
}

func (p *parse) rule(n ast.Node, m []*ast.MappingValueNode) Rule {
	r := Rule{Pos: pos(n)}
	if len(m) > 0 {
		r.Pos = pos(m[0].Key)
	}
	hasAction, hasSyscalls := false, false
	for _, kv := range m {
		k, ok := p.key(kv, ruleKeys, "a rule")
		if !ok {
			continue
		}
		switch k {
		case "syscalls":
			hasSyscalls = true
			r.Syscalls = p.list(kv.Value, "syscalls")
			for _, n := range r.Syscalls {
				if err := checkName(n.Name); err != nil {
					p.errorf(n.Pos, "%v", err)
				}
			}
			if len(r.Syscalls) == 0 {
				p.errorf(pos(kv.Value), "syscalls is empty: name at least one syscall or @group")
			}
		case "action":
			hasAction = true
			r.ActionPos = pos(kv.Value)
			if s, ok := p.scalar(kv.Value, "action"); ok {
				a, err := ParseAction(s)
				if err != nil {
					p.errorf(r.ActionPos, "%v", err)
				}
				r.Action = a
			}
		case "when":
			for _, c := range p.list(kv.Value, "when") {
				cond, err := ParseCond(c.Name)
				if err != nil {
					p.errorf(c.Pos, "%v", err)
					continue
				}
				cond.Pos = c.Pos
				r.When = append(r.When, cond)
			}
		case "comment":
			r.Comment, _ = p.scalar(kv.Value, "comment")
		}
	}
	if !hasAction {
		p.errorf(r.Pos, "rule has no action (e.g. \"action: errno(EPERM)\")")
	}
	if !hasSyscalls {
		p.errorf(r.Pos, "rule has no syscalls (e.g. \"syscalls: [openat]\")")
	}
	return r
}

// checkName reports a syscall or group name no architecture knows.
func checkName(name string) error {
	if strings.HasPrefix(name, "@") {
		if _, ok := groups[name]; !ok {
			return unknownGroup(name)
		}
		return nil
	}
	if syscalls.IsSyscall(name) {
		return nil
	}
	msg := fmt.Sprintf("unknown syscall %s", suggest.Quote(name))
	if sug := suggest.Closest(name, syscalls.AllSyscalls()); sug != "" {
		msg += fmt.Sprintf(": did you mean %q?", sug)
	}
	return errors.New(msg)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseCond parses a condition: "argN OP VALUE" with OP one of == != < <=
// > >=, or "argN & MASK == VALUE". VALUE is a number (decimal, 0x hex, 0o
// or leading-0 octal, 0b binary, or negative decimal taken as two's
// complement), a named constant, or several joined with "|".
func ParseCond(s string) (Cond, error) {
	orig := s
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "arg") || len(s) < 4 || s[3] < '0' || s[3] > '9' {
		return Cond{}, fmt.Errorf("condition %q must start with an argument, arg0 to arg5 (as in \"arg0 == AF_UNIX\")", orig)
	}
	i := 3
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	idx, err := strconv.ParseUint(s[3:i], 10, 8)
	if err != nil || idx > 5 {
		return Cond{}, fmt.Errorf("condition %q: %s: syscalls have six arguments, arg0 to arg5", orig, s[:i])
	}
	c := Cond{Arg: uint(idx)}
	rest := strings.TrimSpace(s[i:])
	if strings.HasPrefix(rest, "&") && !strings.HasPrefix(rest, "&&") {
		j := strings.Index(rest, "==")
		if j < 0 {
			return Cond{}, fmt.Errorf("condition %q: a mask compares with ==, as in \"arg2 & O_ACCMODE == O_RDONLY\"", orig)
		}
		if c.Mask, err = ParseValue(rest[1:j]); err != nil {
			return Cond{}, fmt.Errorf("condition %q: mask: %w", orig, err)
		}
		if c.Value, err = ParseValue(rest[j+2:]); err != nil {
			return Cond{}, fmt.Errorf("condition %q: %w", orig, err)
		}
		if c.Value&^c.Mask != 0 {
			return Cond{}, fmt.Errorf("condition %q can never hold: the value has bits outside the mask", orig)
		}
		c.Op = OpMaskedEQ
		return c, nil
	}
	for _, op := range []Op{OpEQ, OpNE, OpLE, OpGE, OpLT, OpGT} {
		if sym := opSyntax[op]; strings.HasPrefix(rest, sym) {
			c.Op = op
			if c.Value, err = ParseValue(rest[len(sym):]); err != nil {
				return Cond{}, fmt.Errorf("condition %q: %w", orig, err)
			}
			return c, nil
		}
	}
	return Cond{}, fmt.Errorf("condition %q: expected an operator (==, !=, <, <=, >, >=, or \"& MASK ==\") after arg%d", orig, idx)
}

// ParseValue parses a condition value: numbers and named constants joined
// with "|".
func ParseValue(s string) (uint64, error) {
	var v uint64
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			return 0, fmt.Errorf("missing value in %q", strings.TrimSpace(s))
		}
		n, err := parseTerm(part)
		if err != nil {
			return 0, err
		}
		v |= n
	}
	return v, nil
}

func parseTerm(s string) (uint64, error) {
	if c := s[0]; c == '-' || (c >= '0' && c <= '9') {
		neg := c == '-'
		if neg {
			s = s[1:]
		}
		n, err := strconv.ParseUint(s, 0, 64) // base 0: 0x, 0o, 0b and C's 0644

		if err != nil {
			return 0, fmt.Errorf("invalid number %q", s)
		}
		if neg {
			if n > 1<<63 {
				return 0, fmt.Errorf("number -%s does not fit in 64 bits", s)
			}
			n = -n
		}
		return n, nil
	}
	if n, ok := syscalls.Constant(s); ok {
		return n, nil
	}
	msg := fmt.Sprintf("unknown constant %q", s)
	if sug := suggest.Closest(s, syscalls.ConstantNames()); sug != "" {
		msg += fmt.Sprintf(": did you mean %q?", sug)
	}
	return 0, errors.New(msg)
}
