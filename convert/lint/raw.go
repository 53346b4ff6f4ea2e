package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// The document as written: what convert.Read normalises away, with the
// positions the findings about the profile as loaded borrow.

type rawResult struct {
	findings []Finding
	ids      map[string]bool      // ids found here, which the profile checks need not repeat
	names    map[string]rules.Pos // where each syscall is first named
}

func (r *rawResult) add(f Finding) {
	r.findings = append(r.findings, f)
	r.ids[f.ID] = true
}

func (r *rawResult) name(n string, at rules.Pos) {
	if _, ok := r.names[n]; !ok && at.IsValid() {
		r.names[n] = at
	}
}

func lintRaw(name string, data []byte, from convert.Format) *rawResult {
	r := &rawResult{ids: map[string]bool{}, names: map[string]rules.Pos{}}
	switch from {
	case convert.Rules:
		rawRules(r, name, data)
	case convert.LibseccompC:
		rawC(r, name, data)
	case convert.OCI, convert.Docker, convert.SPO:
		root := parseTree(data)
		if root == nil {
			break // convert.Read says what is wrong
		}
		prof := root
		switch {
		case from == convert.SPO:
			prof = root.get("spec")
		case root.get("linux") != nil || root.get("ociVersion") != nil:
			prof = root.get("linux").get("seccomp")
		}
		if prof != nil && prof.kind == objectNode {
			rawProfile(r, name, prof, from == convert.SPO)
		}
	}
	return r
}

// A node is a JSON or YAML value with where it was written.
type node struct {
	kind  nodeKind
	pos   rules.Pos
	keys  []string
	vals  []*node
	items []*node
	text  string
}

type nodeKind int

const (
	nullNode nodeKind = iota
	objectNode
	arrayNode
	scalarNode
)

func (n *node) get(key string) *node {
	if n == nil {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) str() string {
	if n == nil || n.kind != scalarNode {
		return ""
	}
	return n.text
}

// list returns an array's items, or a scalar as a list of one.
func (n *node) list() []*node {
	switch {
	case n == nil:
		return nil
	case n.kind == arrayNode:
		return n.items
	case n.kind == scalarNode:
		return []*node{n}
	}
	return nil
}

// parseTree reads JSON or YAML (JSON is YAML) into nodes, or returns nil.
func parseTree(data []byte) *node {
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return nil
	}
	t := &treeBuilder{lines: strings.Split(string(data), "\n")}
	return t.node(f.Docs[0].Body)
}

type treeBuilder struct{ lines []string }

// pos is where a token starts. The YAML parser puts some quoted scalars
// one column early, on the character before the quote; this moves them
// onto it.
func (t *treeBuilder) pos(n ast.Node) rules.Pos {
	tok := n.GetToken()
	if tok == nil {
		return rules.Pos{}
	}
	p := rules.Pos{Line: tok.Position.Line, Col: tok.Position.Column}
	if p.Line >= 1 && p.Line <= len(t.lines) && p.Col >= 1 {
		line := t.lines[p.Line-1]
		if p.Col < len(line) && line[p.Col-1] != '"' && line[p.Col] == '"' {
			p.Col++
		}
	}
	return p
}

func (t *treeBuilder) node(n ast.Node) *node {
	if n == nil {
		return &node{}
	}
	out := &node{pos: t.pos(n)}
	switch n := n.(type) {
	case *ast.TagNode:
		return t.node(n.Value)
	case *ast.AnchorNode:
		return t.node(n.Value)
	case *ast.MappingNode:
		out.kind = objectNode
		if !n.IsFlowStyle && len(n.Values) > 0 {
			out.pos = t.pos(n.Values[0].Key) // a block mapping starts at its first key
		}
		for _, kv := range n.Values {
			out.keys = append(out.keys, scalarText(kv.Key))
			out.vals = append(out.vals, t.node(kv.Value))
		}
	case *ast.MappingValueNode:
		out.kind = objectNode
		out.pos = t.pos(n.Key)
		out.keys = []string{scalarText(n.Key)}
		out.vals = []*node{t.node(n.Value)}
	case *ast.SequenceNode:
		out.kind = arrayNode
		for _, v := range n.Values {
			out.items = append(out.items, t.node(v))
		}
	case *ast.NullNode, *ast.CommentGroupNode:
		out.kind = nullNode
	default:
		out.kind = scalarNode
		out.text = scalarText(n)
	}
	return out
}

func scalarText(n ast.Node) string {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value
	case *ast.LiteralNode:
		return t.Value.Value
	case *ast.TagNode:
		return scalarText(t.Value)
	case nil:
		return ""
	}
	if t := n.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

// rawProfile checks a linux.seccomp object, a Docker or Podman profile,
// or an SPO spec (spo) as written.
func rawProfile(r *rawResult, file string, prof *node, spo bool) {
	at := func(n *node) rules.Pos {
		if n == nil {
			return prof.pos
		}
		return n.pos
	}
	errnoOf := func(retNode, nameNode *node) *uint {
		if n, err := strconv.ParseUint(retNode.str(), 0, 32); err == nil {
			u := uint(n)
			return &u
		}
		for _, s := range []string{nameNode.str(), retNode.str()} { // Podman's and SPO's names
			if n, err := syscalls.ParseErrno(s); err == nil && s != "" {
				return &n
			}
		}
		return nil
	}
	defNode := prof.get("defaultAction")
	defAct, defErr := rules.ActionFromSpec(specs.LinuxSeccompAction(defNode.str()), errnoOf(prof.get("defaultErrnoRet"), prof.get("defaultErrno")))
	if defNode == nil {
		return // not a profile, or seccomp off: convert.Read says which
	}
	switch {
	case prof.get("flags") != nil:
	case spo:
		// The resource cannot say "flags": [] (SPO's CRD drops an empty
		// list), so advising it would be wrong.
		r.add(Finding{ID: "flags-missing", Severity: Info, File: file, Pos: prof.pos,
			Reason: "a SeccompProfile cannot carry an empty \"flags\" list: the operator installs the profile without a flags key, so runc 1.2 and later add SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns off the kernel's Speculative Store Bypass mitigation for the container",
			Fix:    "nothing in the resource changes this; a profile applied by oci-sbx nri's late stage is loaded without SPEC_ALLOW"})
	default:
		r.add(Finding{ID: "flags-missing", Severity: Warning, File: file, Pos: prof.pos,
			Reason: "the profile has no \"flags\" key: runc then adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns off the kernel's Speculative Store Bypass mitigation for the container",
			Fix:    "write \"flags\": [] (oci-sbx convert always does)"})
	}
	actionFindings(r, file, defNode.str(), at(defNode), "the default action")

	calls := prof.get("syscalls").list()
	names := make([][]string, len(calls))
	for i, c := range calls {
		for _, n := range append(c.get("names").list(), c.get("name").list()...) {
			names[i] = append(names[i], n.str())
			r.name(n.str(), n.pos)
		}
	}
	for i, c := range calls {
		act := c.get("action")
		actPos := at(act)
		what := "the rule for " + strings.Join(names[i], ", ")
		actionFindings(r, file, act.str(), actPos, what)

		retNode, nameNode := c.get("errnoRet"), c.get("errno")
		if (retNode != nil || nameNode != nil) && act.str() != string(specs.ActErrno) && act.str() != string(specs.ActTrace) {
			key := "errnoRet"
			if retNode == nil {
				key = "errno"
			}
			r.add(Finding{ID: "errno-ignored", Severity: Warning, File: file, Pos: at(firstOf(retNode, nameNode)), Syscalls: names[i],
				Reason: fmt.Sprintf("%s: %s is ignored on %s; runc uses it only with SCMP_ACT_ERRNO and SCMP_ACT_TRACE", what, key, act.str()),
				Fix:    fmt.Sprintf("drop %s, or make the action SCMP_ACT_ERRNO if an error was meant", key)})
		}

		a, err := rules.ActionFromSpec(specs.LinuxSeccompAction(act.str()), errnoOf(retNode, nameNode))
		if err == nil && defErr == nil && a == defAct {
			others := false
			for j := range calls {
				others = others || j != i && slices.ContainsFunc(names[j], func(n string) bool { return slices.Contains(names[i], n) })
			}
			f := Finding{ID: "default-rule", Severity: Info, File: file, Pos: actPos, Syscalls: names[i],
				Reason: fmt.Sprintf("%s has the default action %s: runc drops it, so it changes nothing", what, a),
				Fix:    "remove the rule"}
			if others {
				f.Severity = Warning
				f.Reason = fmt.Sprintf("%s has the default action %s: runc drops it, so the other rules for the same syscalls decide alone (libseccomp would have let this unconditional rule win)", what, a)
				f.Fix = "remove the rule and check that the other rules say what is meant, or give this one another action"
			}
			r.add(f)
		}

		perArg := map[string][]*node{}
		var order []string
		for _, arg := range c.get("args").list() {
			idx := arg.get("index").str()
			if _, ok := perArg[idx]; !ok {
				order = append(order, idx)
			}
			perArg[idx] = append(perArg[idx], arg)
		}
		for _, idx := range order {
			args := perArg[idx]
			if len(args) < 2 {
				continue
			}
			f := Finding{ID: "or-conditions", Severity: Warning, File: file, Pos: args[1].pos, Syscalls: names[i],
				Reason: fmt.Sprintf("%s has %d conditions on arg%s: runc ORs conditions on one argument (one rule per condition), so it matches when any of them holds and denies more than written", what, len(args), idx),
				Fix:    "write one condition (a mask, or a single bound), or one rule per case"}
			if err == nil && !a.IsDeny() {
				f.Severity = Error
				f.Reason = fmt.Sprintf("%s has %d conditions on arg%s: runc ORs conditions on one argument (one rule per condition), so it lets the call through when any of them holds", what, len(args), idx)
			}
			r.add(f)
		}
	}
}

func firstOf(ns ...*node) *node {
	for _, n := range ns {
		if n != nil {
			return n
		}
	}
	return nil
}

// actionFindings reports actions that do not do what they say.
func actionFindings(r *rawResult, file, act string, at rules.Pos, what string) {
	switch specs.LinuxSeccompAction(act) {
	case specs.ActKill:
		r.add(Finding{ID: "kill-thread", Severity: Warning, File: file, Pos: at,
			Reason: what + " is SCMP_ACT_KILL, which runc reads as kill-thread: only the calling thread dies, and the rest of the process carries on without it",
			Fix:    "use SCMP_ACT_KILL_PROCESS"})
	case specs.ActKillThread:
		r.add(killThread(file, at, what))
	case specs.ActTrace:
		r.add(traceAsDeny(file, at, what))
	}
}

func killThread(file string, at rules.Pos, what string) Finding {
	return Finding{ID: "kill-thread", Severity: Warning, File: file, Pos: at,
		Reason: what + " kills only the calling thread: the rest of the process carries on without it, in whatever state that thread left",
		Fix:    "kill the whole process: kill-process (SCMP_ACT_KILL_PROCESS)"}
}

func traceAsDeny(file string, at rules.Pos, what string) Finding {
	return Finding{ID: "trace-as-deny", Severity: Error, File: file, Pos: at,
		Reason: what + " is trace: with no tracer attached the call fails with ENOSYS, but a process that forks and traces its own child (PTRACE_O_TRACESECCOMP) lets the child's call through",
		Fix:    "deny with errno(EPERM) or kill-process; use trace only under a tracer you control"}
}

// rawRules checks a rules document as written.
func rawRules(r *rawResult, file string, data []byte) {
	p, err := rules.Parse(file, data)
	if err != nil {
		return // convert.Read says what is wrong
	}
	for _, rule := range p.Rules {
		for _, n := range rule.Syscalls {
			if strings.HasPrefix(n.Name, "@") {
				members, _ := rules.GroupMembers(n.Name, nil)
				for _, m := range members {
					r.name(m, n.Pos)
				}
				continue
			}
			r.name(n.Name, n.Pos)
		}
	}
	if p.Harden {
		return // hardening makes trace errno(EPERM) and kill-thread kill-process
	}
	if p.HasDefault {
		ruleAction(r, file, p.Default, p.DefaultPos, "the default action")
	}
	for _, rule := range p.Rules {
		what := "the rule for " + ruleNames(rule)
		ruleAction(r, file, rule.Action, rule.ActionPos, what)
		if p.HasDefault && p.Extends == "" && rule.Action == p.Default {
			r.add(Finding{ID: "default-rule", Severity: Info, File: file, Pos: rule.ActionPos,
				Reason: fmt.Sprintf("%s has the default action %s: it changes nothing (runc would drop it)", what, rule.Action),
				Fix:    "remove the rule"})
		}
	}
}

func ruleNames(r rules.Rule) string {
	names := make([]string, len(r.Syscalls))
	for i, n := range r.Syscalls {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

func ruleAction(r *rawResult, file string, a rules.Action, at rules.Pos, what string) {
	switch a.Kind {
	case rules.KillThread:
		r.add(killThread(file, at, what))
	case rules.Trace:
		r.add(traceAsDeny(file, at, what))
	}
}

var (
	cBadArch = regexp.MustCompile(`seccomp_attr_set\s*\(\s*[^,]+,\s*SCMP_FLTATR_ACT_BADARCH\s*,\s*(\w+)`)
	cSys     = regexp.MustCompile(`SCMP_SYS\s*\(\s*(\w+)\s*\)`)
)

// rawC checks libseccomp C source for what a profile cannot carry.
func rawC(r *rawResult, file string, data []byte) {
	pos := func(off int) rules.Pos {
		line := 1 + strings.Count(string(data[:off]), "\n")
		return rules.Pos{Line: line, Col: off - strings.LastIndexByte(string(data[:off]), '\n')}
	}
	for _, m := range cSys.FindAllSubmatchIndex(data, -1) {
		r.name(string(data[m[2]:m[3]]), pos(m[2]))
	}
	for _, m := range cBadArch.FindAllSubmatchIndex(data, -1) {
		act := string(data[m[2]:m[3]])
		switch act {
		case "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE":
			r.add(Finding{ID: "bad-arch-allow", Severity: Error, File: file, Pos: pos(m[2]),
				Reason: "the bad-architecture action is " + act + ": calls from every architecture the filter does not list (i386 int 0x80, x32) run unfiltered",
				Fix:    "keep the default bad-architecture action (kill), and add the architectures the program uses with seccomp_arch_add"})
		}
	}
}
