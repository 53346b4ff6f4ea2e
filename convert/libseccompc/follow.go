package libseccompc

import (
	"fmt"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Following the libseccomp calls

type lscState struct {
	prof       *rules.Profile
	sawInit    bool
	defaultOK  bool
	initPos    rules.Pos
	archCalled bool
	arches     []rules.Name // once archCalled: the filter's architectures
	firstRule  rules.Pos
}

// Calls that change the filter in ways a profile cannot express.
var lscRefused = map[string]string{
	"seccomp_reset":                "resetting the filter context cannot be followed; build the filter once",
	"seccomp_merge":                "merging filter contexts cannot be followed; build one context",
	"seccomp_rule_add_array":       "cannot follow an array of conditions; write seccomp_rule_add with SCMP_A0 … SCMP_A5 conditions",
	"seccomp_rule_add_exact_array": "cannot follow an array of conditions; write seccomp_rule_add_exact with SCMP_A0 … SCMP_A5 conditions",
	"seccomp_transaction_reject":   "cannot follow a rejected transaction; add only the rules the filter keeps",
}

// Calls that are followed. Every other call, seccomp_load,
// _export_*, _syscall_resolve_*, _syscall_priority … included, is ignored:
// none changes what the filter decides. seccomp_release matters only on
// the straight way, where it frees the context seccomp_load then reads.
var lscFollowed = map[string]bool{
	"seccomp_init": true, "seccomp_rule_add": true, "seccomp_rule_add_exact": true,
	"seccomp_arch_add": true, "seccomp_arch_remove": true, "seccomp_attr_set": true,
	"seccomp_release": true,
}

// Words after which a name followed by "(" is still a call, not a
// declaration.
var cStmtWords = map[string]bool{"return": true, "else": true, "do": true, "case": true, "sizeof": true}

func (p *lscParser) follow() *rules.Profile {
	// A C program's filter is libseccomp's: no stricter-wins precedence.
	st := &lscState{prof: &rules.Profile{File: p.file, HasDefault: true, FirstWins: true}}
	w := p.newWalker(p.scanner)
	w.run()
	for _, i := range p.followedCalls() {
		if !w.isTak[i] && p.toks[i].text != "seccomp_release" {
			t := p.toks[i]
			p.errorf(t.pos, "%s: %s", t.text, w.reason(i))
		}
	}
	if loads := p.loadCalls(); len(loads) > 0 && w.load < 0 {
		t := p.toks[loads[0]]
		p.errorf(t.pos, "seccomp_load: %s, so the program loads no filter on its straight way", w.reason(loads[0]))
	}
	var ctx *ctxChecker
	for _, i := range w.taken {
		if p.toks[i].text == "seccomp_init" {
			ctx = p.newCtxChecker(w, i)
			break
		}
	}
	if w.load >= 0 && p.match[w.load+1] > 0 {
		if args, _ := p.splitArgs(w.load+1, p.match[w.load+1]); len(args) > 0 {
			ctx.check(w.load, args[0], "the program does not load the filter the reader follows")
		}
	}
	for _, i := range w.taken {
		t := p.toks[i]
		refusal, refused := lscRefused[t.text]
		if t.text == "seccomp_init" {
			if st.sawInit {
				p.errorf(t.pos, "seccomp_init: a second filter context (the first is at line %d) cannot be followed; build one filter", st.initPos.Line)
				continue
			}
			st.sawInit, st.initPos = true, t.pos
		}
		switch {
		case refused:
			p.errorf(t.pos, "%s: %s", t.text, refusal)
			continue
		case t.inIf:
			p.errorf(t.pos, "%s: inside #if, #ifdef or #ifndef, so the filter depends on how the file is compiled; move the call out of the conditional", t.text)
			continue
		}
		close := p.match[i+1]
		if close < 0 {
			p.errorf(t.pos, "%s: unbalanced parentheses", t.text)
			continue
		}
		args, argPos := p.splitArgs(i+1, close)
		c := lscCall{name: t.text, pos: t.pos, args: args, argPos: argPos}
		if t.text != "seccomp_init" && len(args) > 0 {
			n := len(p.errs)
			ctx.check(i, args[0], "what it does is not in the filter the program loads")
			if len(p.errs) > n {
				continue
			}
		}
		switch t.text {
		case "seccomp_init":
			if !c.want(p, 1, "one argument, the default action") {
				continue
			}
			if a, ok := p.action(c, 0); ok {
				st.prof.Default, st.prof.DefaultPos, st.defaultOK = a, c.argPos[0], true
			}
		case "seccomp_rule_add", "seccomp_rule_add_exact":
			p.ruleAdd(st, c)
		case "seccomp_arch_add", "seccomp_arch_remove":
			p.arch(st, c)
		case "seccomp_attr_set":
			p.attr(st, c)
		case "seccomp_release":
			if w.load < 0 {
				break // no load on the straight way: the end of a program that exports the filter
			}
			p.errorf(t.pos, "seccomp_release: frees the filter context before seccomp_load at line %d, which then reads freed memory; release it after loading", p.toks[w.load].pos.Line)
		}
	}
	if !st.sawInit && len(p.errs) == 0 {
		msg := "no seccomp_init call: this file does not build a libseccomp filter"
		if !p.includesSeccomp {
			msg += " (it does not even include <seccomp.h>)"
		}
		p.errorf(rules.Pos{}, "%s", msg)
		return nil
	}
	if st.defaultOK {
		for _, r := range st.prof.Rules {
			if r.Action == st.prof.Default {
				p.errorf(r.ActionPos, "seccomp_rule_add: the action %s is the default action; libseccomp rejects such a rule (EACCES)", r.Action)
			}
		}
	}
	st.prof.Rules = mergeRules(p.asLibseccomp(st.prof.Rules))
	if st.archCalled {
		switch {
		case len(st.arches) == 0:
			p.errorf(st.initPos, "seccomp_init: every architecture was removed from the filter, so seccomp_load would fail")
		case len(st.arches) == 1 && st.arches[0].Name == rules.Native:
		default:
			st.prof.Architectures = st.arches
		}
	}
	return st.prof
}

// mergeRules joins consecutive rules with the same action and the same
// conditions into one rule naming several syscalls, the way a person
// writes them: the demo's two calls become "errno(EPERM): [openat,
// connect]". Each name keeps its own position.
func mergeRules(rs []rules.Rule) []rules.Rule {
	var out []rules.Rule
	for _, r := range rs {
		if k := len(out) - 1; k >= 0 && out[k].Action == r.Action && sameConds(out[k].When, r.When) {
			out[k].Syscalls = append(out[k].Syscalls, r.Syscalls...)
			continue
		}
		out = append(out, r)
	}
	return out
}

func sameConds(a, b []rules.Cond) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Pos, y.Pos = rules.Pos{}, rules.Pos{}
		if x != y {
			return false
		}
	}
	return true
}

type lscCall struct {
	name   string
	pos    rules.Pos
	args   [][]cTok
	argPos []rules.Pos
}

// want checks the number of arguments of a call.
func (c lscCall) want(p *lscParser, n int, what string) bool {
	if len(c.args) != n {
		given := fmt.Sprintf("%d arguments", len(c.args))
		if len(c.args) == 1 {
			given = "1 argument"
		}
		p.errorf(c.pos, "%s: takes %s, not %s", c.name, what, given)
		return false
	}
	return true
}

// splitArgs returns the arguments of the call whose parentheses are at
// open and close, with their positions.
func (p *lscParser) splitArgs(open, close int) ([][]cTok, []rules.Pos) {
	if close == open+1 {
		return nil, nil
	}
	var args [][]cTok
	var pos []rules.Pos
	start := open + 1
	add := func(end int) {
		args, pos = append(args, p.toks[start:end]), append(pos, p.toks[min(start, end)].pos)
		start = end + 1
	}
	for k := open + 1; k < close; k++ {
		t := p.toks[k]
		if (t.is("(") || t.is("[") || t.is("{")) && p.match[k] > k {
			k = p.match[k]
			continue
		}
		if t.is(",") {
			add(k)
		}
	}
	add(close)
	return args, pos
}

// strip removes parentheses around a whole expression.
func strip(toks []cTok) []cTok {
	for len(toks) >= 2 && toks[0].is("(") && balancedAround(toks) {
		toks = toks[1 : len(toks)-1]
	}
	return toks
}

// balancedAround reports whether the "(" that starts toks closes at its
// end.
func balancedAround(toks []cTok) bool {
	depth := 0
	for k, t := range toks {
		switch {
		case t.is("("):
			depth++
		case t.is(")"):
			if depth--; depth == 0 {
				return k == len(toks)-1
			}
		}
	}
	return false
}

// callOf reports whether toks is exactly NAME( … ) and returns NAME and
// the tokens between the parentheses.
func callOf(toks []cTok) (string, []cTok, bool) {
	if len(toks) < 3 || toks[0].kind != cIdent || !toks[1].is("(") || !balancedAround(toks[1:]) {
		return "", nil, false
	}
	return toks[0].text, toks[2 : len(toks)-1], true
}

// splitTop splits tokens at top-level commas.
func splitTop(toks []cTok) [][]cTok {
	var out [][]cTok
	depth, start := 0, 0
	for k, t := range toks {
		switch {
		case t.is("(") || t.is("[") || t.is("{"):
			depth++
		case t.is(")") || t.is("]") || t.is("}"):
			depth--
		case t.is(",") && depth == 0:
			out = append(out, toks[start:k])
			start = k + 1
		}
	}
	return append(out, toks[start:])
}

func looksLikeVariable(name string) bool { return strings.ToUpper(name) != name }

// describe quotes an argument the importer cannot follow and says what it
// is.
func describe(toks []cTok) string {
	text := joinText(toks)
	switch {
	case len(toks) == 1 && toks[0].kind == cIdent && looksLikeVariable(toks[0].text):
		return fmt.Sprintf("%q (a variable)", text)
	case len(toks) == 1 && toks[0].kind == cIdent:
		return fmt.Sprintf("%q (not a libseccomp name or a #define of this file)", text)
	case len(toks) > 1 && toks[0].kind == cIdent && toks[1].is("("):
		return fmt.Sprintf("%q (a function call)", text)
	}
	return fmt.Sprintf("%q", text)
}
