package libseccompc

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Parse reads C source that builds a seccomp filter with
// libseccomp and returns the profile that filter enforces, as a rules
// document whose positions point into the C file. file names the source in
// error messages.
//
// It follows seccomp_init, seccomp_rule_add, seccomp_rule_add_exact,
// seccomp_arch_add, seccomp_arch_remove and seccomp_attr_set wherever they
// appear, with actions, syscalls and conditions written with libseccomp's
// macros, integer constant expressions, named constants and the file's own
// #define macros. Calls that only load, export, release or query the filter
// are ignored. What it cannot follow exactly — a value held in a variable,
// a call inside a loop, a branch or an #if, condition arrays, merged or
// reset contexts — is an error naming the line and column; every such
// error in the file is reported, as a rules.ErrorList. Consecutive calls
// with the same action and conditions become one rule.
func Parse(file string, src []byte) (*rules.Profile, error) {
	p := &lscParser{file: file}
	toks := p.lex(src)
	pre := &cPre{p: p, macros: map[string]*cMacro{}, budget: 1 << 16}
	p.toks = pre.run(toks)
	p.includesSeccomp = pre.includesSeccomp
	p.structure()
	prof := p.follow()
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return prof, nil
}

// lscParser holds the state of one Parse call.
type lscParser struct {
	file            string
	errs            rules.ErrorList
	toks            []cTok // after preprocessing
	match           []int  // index of the matching bracket, or -1
	inLoop, inIf    []bool // per token: inside a loop; inside an if, else or switch body
	includesSeccomp bool
}

func (p *lscParser) errorf(at rules.Pos, format string, args ...any) {
	p.errs = append(p.errs, &rules.Error{File: p.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

// ---------------------------------------------------------------------
// Tokens

type cKind uint8

const (
	cIdent cKind = iota + 1
	cNumber
	cString
	cChar
	cPunct
	cPaste // a ## operator of a macro body, during substitution
	cPlace // an empty macro argument next to ##, during substitution
)

type cTok struct {
	kind  cKind
	text  string
	pos   rules.Pos
	bol   bool   // first token of a logical line
	space bool   // white space or a comment comes before it
	inIf  bool   // inside an #if whose outcome the importer cannot know
	bad   string // why the lexer could not read the token
}

func (t cTok) is(s string) bool { return (t.kind == cPunct || t.kind == cIdent) && t.text == s }

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

var cPuncts = []string{"<<=", ">>=", "...", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++", "--", "##",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^="}

// lex splits C source into tokens. Comments become white space, a
// backslash-newline joins lines, and every token knows whether it starts a
// line, which is how the preprocessor finds its directives.
func (p *lscParser) lex(src []byte) []cTok {
	var toks []cTok
	line, col, i := 1, 1, 0
	adv := func(n int) {
		for ; n > 0 && i < len(src); n-- {
			if src[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			i++
		}
	}
	bol, space := true, false
	for i < len(src) {
		c := src[i]
		next := byte(0)
		if i+1 < len(src) {
			next = src[i+1]
		}
		switch {
		case c == '\n':
			bol, space = true, true
			adv(1)
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			space = true
			adv(1)
			continue
		case c == '\\' && (next == '\n' || next == '\r' && i+2 < len(src) && src[i+2] == '\n'):
			space = true
			if next == '\r' {
				adv(1)
			}
			adv(2)
			continue
		case c == '/' && next == '/':
			for i < len(src) && src[i] != '\n' {
				adv(1)
			}
			space = true
			continue
		case c == '/' && next == '*':
			at := rules.Pos{Line: line, Col: col}
			end := bytes.Index(src[i+2:], []byte("*/"))
			if end < 0 {
				p.errorf(at, "unterminated comment")
				adv(len(src))
				continue
			}
			adv(end + 4)
			space = true
			continue
		}
		at := rules.Pos{Line: line, Col: col}
		start := i
		var kind cKind
		text, bad := "", ""
		switch {
		case isIdentStart(c):
			kind = cIdent
			for i < len(src) && isIdentChar(src[i]) {
				adv(1)
			}
		case isDigit(c) || c == '.' && isDigit(next):
			// A preprocessing number: digits, letters, dots and signed
			// exponents, checked when it is evaluated.
			kind = cNumber
			for i < len(src) {
				d := src[i]
				if strings.IndexByte("eEpP", d) >= 0 && i+1 < len(src) && (src[i+1] == '+' || src[i+1] == '-') {
					adv(2)
					continue
				}
				if !isIdentChar(d) && d != '.' {
					break
				}
				adv(1)
			}
		case c == '"' || c == '\'':
			kind = cString
			what := "string"
			if c == '\'' {
				kind, what = cChar, "character"
			}
			adv(1)
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' && i+1 < len(src) {
					adv(1)
				}
				adv(1)
			}
			if i >= len(src) || src[i] != c {
				// Reported only where it is compiled: skipped code and
				// #error text may hold a lone apostrophe.
				bad = fmt.Sprintf("unterminated %s literal", what)
				text = string(src[start:i]) + string(c)
			} else {
				adv(1)
			}
		default:
			kind = cPunct
			n := 1
			for _, op := range cPuncts {
				if strings.HasPrefix(string(src[i:min(i+3, len(src))]), op) {
					n = len(op)
					break
				}
			}
			adv(n)
		}
		if text == "" {
			text = string(src[start:i])
		}
		toks = append(toks, cTok{kind: kind, text: text, pos: at, bol: bol, space: space, bad: bad})
		bol, space = false, false
	}
	return toks
}

// joinText prints tokens back as source, for messages.
func joinText(toks []cTok) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.space {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	s := b.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// ---------------------------------------------------------------------
// Preprocessor: the file's own #define and #undef, #if 0 and #if 1, and
// marking of code under other conditionals. Headers are not read: the
// libseccomp macros are recognized by name.

type cMacro struct {
	fn       bool
	params   []string
	variadic bool
	body     []cTok
}

type cPre struct {
	p               *lscParser
	macros          map[string]*cMacro
	budget          int  // tokens substitution may still produce
	overflow        bool // the budget is spent: expansion stops
	reported        bool
	includesSeccomp bool
	conds           []ppFrame
}

type ppState uint8

const (
	ppActive ppState = iota
	ppSkip
	ppUnknown
)

type ppFrame struct {
	parentSkip bool
	state      ppState
	done       bool // a branch known to be compiled has been seen
	anyUnknown bool // a branch of unknown outcome has been seen
}

func (pp *cPre) skipping() (skip, unknown bool) {
	for _, f := range pp.conds {
		switch f.state {
		case ppSkip:
			return true, false
		case ppUnknown:
			unknown = true
		}
	}
	return false, unknown
}

func (pp *cPre) run(toks []cTok) []cTok {
	var out []cTok
	for i := 0; i < len(toks); {
		j := i + 1
		if toks[i].bol && toks[i].is("#") {
			for j < len(toks) && !toks[j].bol {
				j++
			}
			pp.directive(toks[i+1 : j])
			i = j
			continue
		}
		for j < len(toks) && !(toks[j].bol && toks[j].is("#")) {
			j++
		}
		if skip, unknown := pp.skipping(); !skip {
			for _, t := range toks[i:j] {
				if t.bad != "" {
					pp.p.errorf(t.pos, "%s", t.bad)
				}
			}
			exp := pp.expand(toks[i:j], nil, 0)
			for k := range exp {
				exp[k].inIf = unknown
			}
			out = append(out, exp...)
		}
		i = j
	}
	return out
}

// ppLiteral evaluates an #if whose condition is a plain integer.
func ppLiteral(toks []cTok) (value, known bool) {
	if len(toks) != 1 || toks[0].kind != cNumber {
		return false, false
	}
	v, msg := parseCInt(toks[0].text)
	if msg != "" {
		return false, false
	}
	return v.v != 0, true
}

func (pp *cPre) directive(d []cTok) {
	if len(d) == 0 || d[0].kind != cIdent {
		return
	}
	skip, unknown := pp.skipping()
	top := len(pp.conds) - 1
	switch d[0].text {
	case "if", "ifdef", "ifndef":
		f := ppFrame{state: ppUnknown, anyUnknown: true}
		if skip {
			f = ppFrame{parentSkip: true, state: ppSkip}
		} else if v, ok := ppLiteral(d[1:]); ok && d[0].text == "if" {
			f = ppFrame{state: ppSkip}
			if v {
				f = ppFrame{state: ppActive, done: true}
			}
		}
		pp.conds = append(pp.conds, f)
	case "elif":
		if top < 0 {
			return
		}
		f := &pp.conds[top]
		switch v, ok := ppLiteral(d[1:]); {
		case f.parentSkip || f.done:
			f.state = ppSkip
		case !ok || f.anyUnknown && v:
			f.state, f.anyUnknown = ppUnknown, true
		case v:
			f.state, f.done = ppActive, true
		default:
			f.state = ppSkip
		}
	case "else":
		if top < 0 {
			return
		}
		f := &pp.conds[top]
		switch {
		case f.parentSkip || f.done:
			f.state = ppSkip
		case f.anyUnknown:
			f.state = ppUnknown
		default:
			f.state, f.done = ppActive, true
		}
	case "endif":
		if top >= 0 {
			pp.conds = pp.conds[:top]
		}
	case "include":
		if !skip && strings.Contains(joinText(d[1:]), "seccomp.h") {
			pp.includesSeccomp = true
		}
	case "undef":
		if !skip && len(d) > 1 {
			delete(pp.macros, d[1].text)
		}
	case "define":
		if skip || len(d) < 2 || d[1].kind != cIdent {
			return
		}
		name := d[1].text
		if unknown && isLibseccompName(name) {
			// A compatibility shim such as "#ifndef SCMP_ACT_KILL_PROCESS":
			// libseccomp's own meaning of the name stands.
			return
		}
		m := &cMacro{body: d[2:]}
		if len(d) > 2 && d[2].is("(") && !d[2].space {
			m.fn = true
			k := 3
			for ; k < len(d) && !d[k].is(")"); k++ {
				switch t := d[k]; {
				case t.is(","):
				case t.is("..."):
					m.variadic = true
				case t.kind == cIdent && !m.variadic:
					m.params = append(m.params, t.text)
				default:
					return // malformed: the compiler would refuse it
				}
			}
			if k >= len(d) {
				return
			}
			m.body = d[k+1:]
		}
		pp.macros[name] = m
	}
}

func isLibseccompName(name string) bool {
	if strings.HasPrefix(name, "SCMP_") || strings.HasPrefix(name, "__NR_") || strings.HasPrefix(name, "__SNR_") {
		return true
	}
	_, ok := syscalls.Constant(name)
	return ok
}

const maxMacroDepth = 64

// expand replaces the file's macros in toks, C style: arguments are
// expanded before substitution, and a macro is not expanded again inside
// its own expansion. Tokens a macro body produces take the position of
// the macro's name where it is used; argument tokens keep their own.
func (pp *cPre) expand(in []cTok, hide []string, depth int) []cTok {
	out := make([]cTok, 0, len(in))
	var closeAt []int // closeAt[i]: the ")" matching the "(" at i, or -1
	for i := 0; i < len(in); i++ {
		t := in[i]
		var m *cMacro
		if t.kind == cIdent && depth < maxMacroDepth && !pp.overflow && !contains(hide, t.text) {
			m = pp.macros[t.text]
		}
		if m == nil {
			out = append(out, t)
			continue
		}
		var body []cTok
		if !m.fn {
			body = pp.subst(m, t, nil, nil)
		} else {
			if i+1 >= len(in) || !in[i+1].is("(") {
				out = append(out, t)
				continue
			}
			if closeAt == nil {
				closeAt = parenMatch(in)
			}
			if closeAt[i+1] < 0 {
				out = append(out, t)
				continue
			}
			raw, end, ok := macroArgs(in[:closeAt[i+1]+1], i+1, m)
			if !ok {
				out = append(out, t)
				continue
			}
			exp := make([][]cTok, len(raw))
			for k, a := range raw {
				exp[k] = pp.expand(a, hide, depth+1)
			}
			body = pp.subst(m, t, raw, exp)
			i = end
		}
		res := pp.expand(body, append(hide[:len(hide):len(hide)], t.text), depth+1)
		if pp.overflow && depth == 0 && !pp.reported {
			pp.reported = true
			pp.p.errorf(t.pos, "macro %s expands to too much code to follow", t.text)
		}
		if len(res) > 0 {
			res[0].space = t.space
		}
		out = append(out, res...)
	}
	return out
}

// parenMatch returns, for every "(" in toks, the index of its ")", or -1.
func parenMatch(toks []cTok) []int {
	match := make([]int, len(toks))
	var stack []int
	for i, t := range toks {
		match[i] = -1
		switch {
		case t.is("("):
			stack = append(stack, i)
		case t.is(")") && len(stack) > 0:
			match[stack[len(stack)-1]] = i
			stack = stack[:len(stack)-1]
		}
	}
	return match
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// macroArgs splits the arguments of a function-like macro invocation whose
// "(" is at in[open]. A variadic macro's extra arguments form one, commas
// included. It returns the index of the closing ")".
func macroArgs(in []cTok, open int, m *cMacro) (args [][]cTok, end int, ok bool) {
	depth, start := 0, open+1
	for end = open; end < len(in); end++ {
		t := in[end]
		if t.is("(") {
			depth++
		} else if t.is(")") {
			if depth--; depth == 0 {
				break
			}
		} else if t.is(",") && depth == 1 && !(m.variadic && len(args) == len(m.params)) {
			args = append(args, in[start:end])
			start = end + 1
		}
	}
	if end >= len(in) {
		return nil, 0, false
	}
	args = append(args, in[start:end])
	want := len(m.params)
	if m.variadic {
		want++
	}
	if len(args) == 1 && len(args[0]) == 0 && want == 0 {
		args = nil
	}
	if m.variadic && len(args) == len(m.params) {
		args = append(args, nil)
	}
	return args, end, len(args) == want
}

// subst returns the body of macro m used at token at, with the arguments
// substituted, # stringized and ## pasted.
func (pp *cPre) subst(m *cMacro, at cTok, raw, exp [][]cTok) []cTok {
	if pp.overflow {
		return nil
	}
	param := func(t cTok) int {
		if !m.fn || t.kind != cIdent {
			return -1
		}
		if m.variadic && t.text == "__VA_ARGS__" {
			return len(m.params)
		}
		for k, name := range m.params {
			if name == t.text {
				return k
			}
		}
		return -1
	}
	var res []cTok
	pasted := false
	for k := 0; k < len(m.body); k++ {
		b := m.body[k]
		if m.fn && b.is("#") && k+1 < len(m.body) && param(m.body[k+1]) >= 0 {
			arg := raw[param(m.body[k+1])]
			res = append(res, cTok{kind: cString, text: strconv.Quote(joinText(arg)), pos: at.pos, space: b.space})
			k++
			continue
		}
		if b.is("##") {
			res = append(res, cTok{kind: cPaste, pos: at.pos})
			pasted = true
			continue
		}
		if n := param(b); n >= 0 {
			arg := exp[n]
			if k > 0 && m.body[k-1].is("##") || k+1 < len(m.body) && m.body[k+1].is("##") {
				arg = raw[n]
				if len(arg) == 0 {
					res = append(res, cTok{kind: cPlace, pos: at.pos})
					continue
				}
			}
			for j, a := range arg {
				a.bol, a.inIf = false, false
				if j == 0 {
					a.space = b.space
				}
				res = append(res, a)
			}
			continue
		}
		b.pos, b.bol = at.pos, false
		res = append(res, b)
	}
	if pasted {
		var out []cTok
		for k := 0; k < len(res); k++ {
			if res[k].kind == cPaste {
				if len(out) > 0 && k+1 < len(res) {
					out[len(out)-1] = pasteToks(out[len(out)-1], res[k+1])
					k++
				}
				continue
			}
			out = append(out, res[k])
		}
		res = out[:0:0]
		for _, t := range out {
			if t.kind != cPlace && t.kind != cPaste {
				res = append(res, t)
			}
		}
	}
	if pp.budget -= len(res); pp.budget < 0 {
		pp.overflow = true
	}
	return res
}

// pasteToks joins two tokens the way ## does.
func pasteToks(l, r cTok) cTok {
	if l.text == "" { // a placemarker, or a stray ##
		return r
	}
	if r.text == "" {
		return l
	}
	t := l
	t.text = l.text + r.text
	switch {
	case isIdentStart(t.text[0]):
		t.kind = cIdent
		for k := 0; k < len(t.text); k++ {
			if !isIdentChar(t.text[k]) {
				t.kind = cPunct
			}
		}
	case isDigit(t.text[0]):
		t.kind = cNumber
	default:
		t.kind = cPunct
	}
	return t
}

// ---------------------------------------------------------------------
// Statement structure: which tokens run in a loop, and which only when a
// run-time condition holds.

func closes(open, close string) bool {
	return open == "(" && close == ")" || open == "[" && close == "]" || open == "{" && close == "}"
}

func (p *lscParser) structure() {
	n := len(p.toks)
	p.match = make([]int, n)
	var stack []int
	for i, t := range p.toks {
		p.match[i] = -1
		if t.kind != cPunct {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			stack = append(stack, i)
		case ")", "]", "}":
			if k := len(stack) - 1; k >= 0 && closes(p.toks[stack[k]].text, t.text) {
				p.match[stack[k]], p.match[i] = i, stack[k]
				stack = stack[:k]
			}
		}
	}
	s := &stmtScanner{p: p, memo: map[int]int{}, stop: make([]int, n+1)}
	// stop[i]: the first ";" or "}" at i or later outside bracketed groups
	// that start at i or later.
	s.stop[n] = n
	for i := n - 1; i >= 0; i-- {
		switch t := p.toks[i]; {
		case t.is(";"), t.is("}"):
			s.stop[i] = i
		case (t.is("(") || t.is("[") || t.is("{")) && p.match[i] > i:
			s.stop[i] = s.stop[p.match[i]+1]
		default:
			s.stop[i] = s.stop[i+1]
		}
	}
	loop := make([]int, n+1)
	cond := make([]int, n+1)
	mark := func(d []int, from, to int) {
		if from < to {
			d[from]++
			d[to]--
		}
	}
	doTail := map[int]bool{}
	for i, t := range p.toks {
		if t.kind != cIdent {
			continue
		}
		switch t.text {
		case "for", "while":
			if !doTail[i] {
				mark(loop, i, s.end(i, 0))
			}
		case "do":
			body := s.end(i+1, 0)
			if body < n && p.toks[body].is("while") {
				doTail[body] = true
				// do { … } while (0) runs once: the usual macro idiom.
				if c := body + 1; c+3 <= n && p.match[c] == c+2 && p.toks[c+1].text == "0" {
					continue
				}
			}
			mark(loop, i, s.end(i, 0))
		case "if", "switch":
			mark(cond, s.afterParens(i+1), s.end(i, 0))
		}
	}
	p.inLoop, p.inIf = make([]bool, n), make([]bool, n)
	l, c := 0, 0
	for i := 0; i < n; i++ {
		l += loop[i]
		c += cond[i]
		p.inLoop[i], p.inIf[i] = l > 0, c > 0
	}
}

type stmtScanner struct {
	p    *lscParser
	memo map[int]int
	stop []int
}

func (s *stmtScanner) afterParens(i int) int {
	if i < len(s.p.toks) && s.p.toks[i].is("(") && s.p.match[i] > i {
		return s.p.match[i] + 1
	}
	return i
}

// end returns the index just after the statement that starts at i.
func (s *stmtScanner) end(i, depth int) int {
	toks := s.p.toks
	n := len(toks)
	if i >= n || depth > 1000 {
		return n
	}
	if e, ok := s.memo[i]; ok {
		return e
	}
	t := toks[i]
	e := n
	switch {
	case t.is("{"):
		if s.p.match[i] > i {
			e = s.p.match[i] + 1
		}
	case t.is("if"):
		e = s.end(s.afterParens(i+1), depth+1)
		if e < n && toks[e].is("else") {
			e = s.end(e+1, depth+1)
		}
	case t.is("for"), t.is("while"), t.is("switch"):
		e = s.end(s.afterParens(i+1), depth+1)
	case t.is("do"):
		e = s.end(i+1, depth+1)
		if e < n && toks[e].is("while") {
			e = s.afterParens(e + 1)
			if e < n && toks[e].is(";") {
				e++
			}
		}
	default: // an expression statement ends after its ";"
		e = s.stop[i]
		if e < n && toks[e].is(";") {
			e++
		}
	}
	s.memo[i] = e
	return e
}

// ---------------------------------------------------------------------
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

// Calls that are followed. Every other call, seccomp_load, _release,
// _export_*, _syscall_resolve_*, _syscall_priority … included, is ignored:
// none changes what the filter decides.
var lscFollowed = map[string]bool{
	"seccomp_init": true, "seccomp_rule_add": true, "seccomp_rule_add_exact": true,
	"seccomp_arch_add": true, "seccomp_arch_remove": true, "seccomp_attr_set": true,
}

// Words after which a name followed by "(" is still a call, not a
// declaration.
var cStmtWords = map[string]bool{"return": true, "else": true, "do": true, "case": true, "sizeof": true}

func (p *lscParser) follow() *rules.Profile {
	st := &lscState{prof: &rules.Profile{File: p.file, HasDefault: true}}
	for i := 0; i+1 < len(p.toks); i++ {
		t := p.toks[i]
		if t.kind != cIdent || !p.toks[i+1].is("(") {
			continue
		}
		refusal, refused := lscRefused[t.text]
		if !refused && !lscFollowed[t.text] {
			continue
		}
		if i > 0 && p.toks[i-1].kind == cIdent && !cStmtWords[p.toks[i-1].text] {
			continue // a declaration of the function, not a call
		}
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
		case p.inLoop[i]:
			p.errorf(t.pos, "%s: inside a loop, which cannot be followed; write one call per rule, outside loops", t.text)
			continue
		case p.inIf[i]:
			p.errorf(t.pos, "%s: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch", t.text)
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
		}
	}
	if !st.sawInit {
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
	st.prof.Rules = mergeRules(st.prof.Rules)
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
		p.errorf(c.pos, "%s: takes %s, not %d arguments", c.name, what, len(c.args))
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

var lscActions = map[string]rules.ActionKind{
	"SCMP_ACT_ALLOW":        rules.Allow,
	"SCMP_ACT_KILL":         rules.KillThread, // libseccomp's KILL is kill-thread
	"SCMP_ACT_KILL_THREAD":  rules.KillThread,
	"SCMP_ACT_KILL_PROCESS": rules.KillProcess,
	"SCMP_ACT_TRAP":         rules.Trap,
	"SCMP_ACT_LOG":          rules.Log,
	"SCMP_ACT_NOTIFY":       rules.Notify,
}

func lscActionNames() []string {
	names := []string{"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"}
	for n := range lscActions {
		names = append(names, n)
	}
	return names
}

// action reads action argument k of a call.
func (p *lscParser) action(c lscCall, k int) (rules.Action, bool) {
	toks := strip(c.args[k])
	at := c.argPos[k]
	if len(toks) == 0 {
		p.errorf(at, "%s: missing action", c.name)
		return rules.Action{}, false
	}
	if len(toks) == 1 && toks[0].kind == cIdent {
		if kind, ok := lscActions[toks[0].text]; ok {
			return rules.Action{Kind: kind}, true
		}
		if name := toks[0].text; strings.HasPrefix(name, "SCMP_ACT_") {
			msg := fmt.Sprintf("%s: unknown action %q", c.name, name)
			if name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE" {
				msg = fmt.Sprintf("%s: %s needs a value, as in %s(1)", c.name, name, name)
			} else if s := suggest.Closest(name, lscActionNames()); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			p.errorf(toks[0].pos, "%s", msg)
			return rules.Action{}, false
		}
	}
	if name, inner, ok := callOf(toks); ok && (name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE") {
		inner = strip(inner)
		if len(inner) == 0 {
			p.errorf(toks[0].pos, "%s: %s needs a value, as in %s(1)", c.name, name, name)
			return rules.Action{}, false
		}
		if name == "SCMP_ACT_ERRNO" {
			return p.errnoAction(c, inner)
		}
		v, ok := p.eval(c, inner, "trace message")
		if !ok {
			return rules.Action{}, false
		}
		if v.neg() || v.v > math.MaxUint16 {
			p.errorf(inner[0].pos, "%s: trace message %s is out of range (0-65535)", c.name, v)
			return rules.Action{}, false
		}
		return rules.Action{Kind: rules.Trace, Ret: uint(v.v)}, true
	}
	p.errorf(at, "%s: cannot follow action %s; write SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), SCMP_ACT_KILL_PROCESS …", c.name, describe(toks))
	return rules.Action{}, false
}

func (p *lscParser) errnoAction(c lscCall, inner []cTok) (rules.Action, bool) {
	at := inner[0].pos
	var n uint64
	if len(inner) == 1 && inner[0].kind == cIdent && !looksLikeVariable(inner[0].text) && strings.HasPrefix(inner[0].text, "E") {
		e, err := syscalls.ParseErrno(inner[0].text)
		if err != nil {
			p.errorf(at, "%s: %v", c.name, err)
			return rules.Action{}, false
		}
		n = uint64(e)
	} else {
		v, ok := p.eval(c, inner, "errno")
		if !ok {
			return rules.Action{}, false
		}
		if v.neg() {
			p.errorf(at, "%s: errno %s is negative; libseccomp takes a positive errno, as in SCMP_ACT_ERRNO(EPERM)", c.name, v)
			return rules.Action{}, false
		}
		n = v.v
	}
	switch {
	case n == 0:
		p.errorf(at, "%s: %v", c.name, rules.ErrZeroErrno)
		return rules.Action{}, false
	case n > 4095:
		p.errorf(at, "%s: errno %d is out of range (1-4095)", c.name, n)
		return rules.Action{}, false
	}
	return rules.Action{Kind: rules.Errno, Ret: uint(n)}, true
}

// syscall reads the syscall argument of a rule.
func (p *lscParser) syscall(c lscCall, k int) (rules.Name, bool) {
	toks := strip(c.args[k])
	at := c.argPos[k]
	var name cTok
	switch fn, inner, isCall := callOf(toks); {
	case isCall && fn == "SCMP_SYS" && len(inner) == 1 && inner[0].kind == cIdent:
		name = inner[0]
	case isCall && fn == "seccomp_syscall_resolve_name" && len(inner) == 1 && inner[0].kind == cString &&
		!strings.Contains(inner[0].text, `\`):
		name = inner[0]
		name.text = strings.Trim(name.text, `"`)
	case len(toks) == 1 && toks[0].kind == cIdent && (strings.HasPrefix(toks[0].text, "__NR_") || strings.HasPrefix(toks[0].text, "__SNR_")):
		name = toks[0]
		name.text = name.text[strings.Index(name.text[2:], "_")+3:]
	case len(toks) == 1 && toks[0].kind == cNumber:
		p.errorf(at, "%s: cannot follow syscall number %s, which differs between architectures; write SCMP_SYS(name)", c.name, toks[0].text)
		return rules.Name{}, false
	case len(toks) == 0:
		p.errorf(at, "%s: missing syscall", c.name)
		return rules.Name{}, false
	default:
		p.errorf(at, "%s: cannot follow syscall argument %s; write SCMP_SYS(name)", c.name, describe(toks))
		return rules.Name{}, false
	}
	if !syscalls.IsSyscall(name.text) {
		msg := fmt.Sprintf("%s: unknown syscall %q", c.name, name.text)
		if s := suggest.Closest(name.text, syscalls.AllSyscalls()); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		p.errorf(name.pos, "%s", msg)
		return rules.Name{}, false
	}
	return rules.Name{Name: name.text, Pos: name.pos}, true
}

// ruleAdd follows seccomp_rule_add and seccomp_rule_add_exact.
func (p *lscParser) ruleAdd(st *lscState, c lscCall) {
	if !st.firstRule.IsValid() {
		st.firstRule = c.pos
	}
	if len(c.args) < 4 {
		p.errorf(c.pos, "%s: takes a filter context, an action, a syscall and a condition count, then the conditions", c.name)
		return
	}
	r := rules.Rule{Pos: c.pos, ActionPos: c.argPos[1]}
	a, ok := p.action(c, 1)
	r.Action = a
	name, sysOK := p.syscall(c, 2)
	ok = ok && sysOK
	r.Syscalls = []rules.Name{name}
	conds := c.args[4:]
	if n, countOK := p.eval(c, c.args[3], "condition count"); !countOK {
		ok = false
	} else if n.neg() || n.v != uint64(len(conds)) {
		follow := fmt.Sprintf("%d conditions follow", len(conds))
		if len(conds) == 1 {
			follow = "1 condition follows"
		}
		p.errorf(c.argPos[3], "%s: the condition count is %s but %s", c.name, n, follow)
		ok = false
	}
	seen := map[uint]bool{}
	for k := range conds {
		cond, condOK := p.cond(c, 4+k)
		if !condOK {
			ok = false
			continue
		}
		if seen[cond.Arg] {
			p.errorf(cond.Pos, "%s: argument %d is compared twice; libseccomp rejects such a rule (EINVAL)", c.name, cond.Arg)
			ok = false
		}
		seen[cond.Arg] = true
		r.When = append(r.When, cond)
	}
	if ok {
		st.prof.Rules = append(st.prof.Rules, r)
	}
}

var (
	lscArgMacro = regexp.MustCompile(`^SCMP_A([0-9]+)(_64|_32)?$`)
	lscCmpMacro = regexp.MustCompile(`^SCMP_CMP(64|32)?$`)
)

var lscOps = map[string]rules.Op{
	"SCMP_CMP_NE": rules.OpNE, "SCMP_CMP_LT": rules.OpLT, "SCMP_CMP_LE": rules.OpLE, "SCMP_CMP_EQ": rules.OpEQ,
	"SCMP_CMP_GE": rules.OpGE, "SCMP_CMP_GT": rules.OpGT, "SCMP_CMP_MASKED_EQ": rules.OpMaskedEQ,
}

// cond reads condition argument k of a rule: SCMP_An(op, value…),
// SCMP_An_64, SCMP_An_32 or SCMP_CMP(n, op, value…).
//
// The _32 forms mean what libseccomp 2.5 makes of them: each datum is cast
// to uint32_t and then compared with the whole 64-bit argument, as
// seccomp_export_pfc shows — SCMP_A0_32(SCMP_CMP_EQ, -1) tests
// arg0 == 0xffffffff with a zero high word, not the low half alone.
func (p *lscParser) cond(c lscCall, k int) (rules.Cond, bool) {
	toks := strip(c.args[k])
	fn, inner, isCall := callOf(toks)
	var rest [][]cTok
	var bits32 bool
	var arg uint64
	switch m, m2 := lscArgMacro.FindStringSubmatch(fn), lscCmpMacro.FindStringSubmatch(fn); {
	case isCall && m != nil:
		n, err := strconv.ParseUint(m[1], 10, 8)
		if err != nil {
			n = math.MaxUint8
		}
		arg, bits32, rest = n, m[2] == "_32", splitTop(inner)
	case isCall && m2 != nil:
		parts := splitTop(inner)
		rest, bits32 = parts[1:], m2[1] == "32"
		v, ok := p.eval(c, parts[0], "argument index")
		if !ok {
			return rules.Cond{}, false
		}
		arg = v.v
		if v.neg() {
			arg = math.MaxUint64
		}
	default:
		p.errorf(c.argPos[k], "%s: cannot follow condition %s; write SCMP_A0(SCMP_CMP_EQ, value) … SCMP_A5(…)", c.name, describe(toks))
		return rules.Cond{}, false
	}
	cond := rules.Cond{Pos: toks[0].pos}
	if arg > 5 {
		p.errorf(toks[0].pos, "%s: argument index %d is out of range (0-5)", c.name, arg)
		return rules.Cond{}, false
	}
	cond.Arg = uint(arg)
	if len(rest) == 0 || len(rest[0]) == 0 {
		p.errorf(toks[0].pos, "%s: %s needs a comparison, as in SCMP_CMP_EQ", c.name, fn)
		return rules.Cond{}, false
	}
	opToks := strip(rest[0])
	op, known := rules.Op(0), false
	if len(opToks) == 1 && opToks[0].kind == cIdent {
		op, known = lscOps[opToks[0].text]
	}
	if !known {
		msg := fmt.Sprintf("%s: cannot follow comparison %s; write SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE or SCMP_CMP_MASKED_EQ", c.name, describe(opToks))
		if len(opToks) == 1 && strings.HasPrefix(opToks[0].text, "SCMP_CMP_") {
			names := make([]string, 0, len(lscOps))
			for n := range lscOps {
				names = append(names, n)
			}
			msg = fmt.Sprintf("%s: unknown comparison %q", c.name, opToks[0].text)
			if s := suggest.Closest(opToks[0].text, names); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
		}
		p.errorf(rest[0][0].pos, "%s", msg)
		return rules.Cond{}, false
	}
	cond.Op = op
	values := rest[1:]
	want := "one value"
	if op == rules.OpMaskedEQ {
		want = "a mask and a value"
	}
	if len(values) == 0 || len(values) > 2 || op != rules.OpMaskedEQ && len(values) != 1 {
		p.errorf(toks[0].pos, "%s: %s takes %s, not %d", c.name, opToks[0].text, want, len(values))
		return rules.Cond{}, false
	}
	datum := make([]uint64, 2) // datum_b is zero when not given
	for j, v := range values {
		x, ok := p.eval(c, v, "condition value")
		if !ok {
			return rules.Cond{}, false
		}
		datum[j] = x.v
		if bits32 {
			datum[j] = uint64(uint32(x.v))
		}
	}
	if op == rules.OpMaskedEQ {
		cond.Mask, cond.Value = datum[0], datum[1]
	} else {
		cond.Value = datum[0]
	}
	return cond, true
}

// arch follows seccomp_arch_add and seccomp_arch_remove. A new filter
// holds the native architecture.
func (p *lscParser) arch(st *lscState, c lscCall) {
	if !c.want(p, 2, "a filter context and an architecture") {
		return
	}
	toks := strip(c.args[1])
	at := c.argPos[1]
	if len(toks) != 1 || toks[0].kind != cIdent || !strings.HasPrefix(toks[0].text, "SCMP_ARCH_") {
		p.errorf(at, "%s: cannot follow architecture %s; write SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 …", c.name, describe(toks))
		return
	}
	name := strings.ToLower(strings.TrimPrefix(toks[0].text, "SCMP_ARCH_"))
	if name != rules.Native && !contains(syscalls.Arches(), name) {
		var names []string
		for _, a := range append(syscalls.Arches(), rules.Native) {
			names = append(names, "SCMP_ARCH_"+strings.ToUpper(a))
		}
		msg := fmt.Sprintf("%s: unknown architecture %q", c.name, toks[0].text)
		if s := suggest.Closest(toks[0].text, names); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		p.errorf(at, "%s", msg)
		return
	}
	if !st.archCalled {
		st.archCalled = true
		st.arches = []rules.Name{{Name: rules.Native, Pos: st.initPos}}
	}
	idx, explicit, hasNative := -1, false, false
	for k, a := range st.arches {
		if a.Name == name {
			idx = k
		}
		explicit = explicit || a.Name != rules.Native
		hasNative = hasNative || a.Name == rules.Native
	}
	if c.name == "seccomp_arch_add" {
		if st.firstRule.IsValid() {
			p.errorf(c.pos, "seccomp_arch_add: after seccomp_rule_add (line %d), but libseccomp adds earlier rules only to the architectures the filter had then; add architectures first", st.firstRule.Line)
			return
		}
		if idx < 0 { // adding an architecture twice fails with EEXIST
			st.arches = append(st.arches, rules.Name{Name: name, Pos: toks[0].pos})
		}
		return
	}
	switch {
	case name == rules.Native && explicit:
		p.errorf(at, "seccomp_arch_remove: removing SCMP_ARCH_NATIVE after adding other architectures removes one of them when it is the host's; remove SCMP_ARCH_NATIVE first")
	case idx >= 0:
		st.arches = append(st.arches[:idx:idx], st.arches[idx+1:]...)
	case hasNative:
		p.errorf(at, "seccomp_arch_remove: %s is in the filter only when it is the host's own architecture; write seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)", toks[0].text)
	}
}

// attr follows seccomp_attr_set.
func (p *lscParser) attr(st *lscState, c lscCall) {
	if !c.want(p, 3, "a filter context, an attribute and a value") {
		return
	}
	toks := strip(c.args[1])
	at := c.argPos[1]
	if len(toks) != 1 || toks[0].kind != cIdent {
		p.errorf(at, "seccomp_attr_set: cannot follow attribute %s; write SCMP_FLTATR_…", describe(toks))
		return
	}
	var flag specs.LinuxSeccompFlag
	switch name := toks[0].text; name {
	case "SCMP_FLTATR_CTL_NNP", "SCMP_FLTATR_CTL_OPTIMIZE", "SCMP_FLTATR_API_SYSRAWRC", "SCMP_FLTATR_API_TSKIP":
		// No_new_privs, the shape of the generated code and libseccomp's
		// own return codes: none changes what the filter decides.
		return
	case "SCMP_FLTATR_CTL_LOG":
		flag = specs.LinuxSeccompFlagLog
	case "SCMP_FLTATR_CTL_SSB":
		flag = specs.LinuxSeccompFlagSpecAllow
	case "SCMP_FLTATR_ACT_DEFAULT":
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_ACT_DEFAULT cannot be changed after seccomp_init (libseccomp returns EACCES); set the default in seccomp_init")
		return
	case "SCMP_FLTATR_ACT_BADARCH":
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_ACT_BADARCH sets the action for other architectures, which a profile cannot express")
		return
	case "SCMP_FLTATR_CTL_TSYNC":
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_CTL_TSYNC applies the filter to every thread of the process, which a profile cannot express (runtimes filter the thread that executes the container)")
		return
	default:
		msg := fmt.Sprintf("seccomp_attr_set: cannot follow attribute %s", describe(toks))
		if strings.HasPrefix(name, "SCMP_FLTATR_") {
			msg = fmt.Sprintf("seccomp_attr_set: unknown attribute %q", name)
		}
		p.errorf(at, "%s", msg)
		return
	}
	v, ok := p.eval(c, c.args[2], "attribute value")
	if !ok {
		return
	}
	flags := st.prof.Flags[:0:0]
	for _, f := range st.prof.Flags {
		if f != flag {
			flags = append(flags, f)
		}
	}
	if v.v != 0 {
		flags = append(flags, flag)
	}
	st.prof.Flags = flags
}

// ---------------------------------------------------------------------
// Integer constant expressions, with C's types on LP64 (int, unsigned
// int, long, unsigned long), so that ~0U, 1 << 31 and -1 become the
// 64-bit datum exactly as the compiler converts them.

type cType struct {
	bits     uint8 // 32 or 64
	unsigned bool
}

var (
	cInt   = cType{32, false}
	cUint  = cType{32, true}
	cLong  = cType{64, false}
	cUlong = cType{64, true}
)

// cVal is a value of type t; 32-bit values are kept sign- or
// zero-extended, which is the uint64 datum they convert to.
type cVal struct {
	v uint64
	t cType
}

func norm(v uint64, t cType) uint64 {
	if t.bits == 32 {
		if t.unsigned {
			return uint64(uint32(v))
		}
		return uint64(int64(int32(v)))
	}
	return v
}

func (x cVal) neg() bool { return !x.t.unsigned && int64(x.v) < 0 }

func (x cVal) String() string {
	if x.neg() {
		return strconv.FormatInt(int64(x.v), 10)
	}
	return strconv.FormatUint(x.v, 10)
}

// commonType is C's usual arithmetic conversion.
func commonType(a, b cType) cType {
	if a == b {
		return a
	}
	if a.unsigned == b.unsigned {
		if a.bits > b.bits {
			return a
		}
		return b
	}
	u, s := a, b
	if b.unsigned {
		u, s = b, a
	}
	if u.bits >= s.bits {
		return u
	}
	return s
}

// typeFor gives a named constant the type its #define would have.
func typeFor(v uint64) cType {
	switch {
	case v <= math.MaxInt32:
		return cInt
	case v <= math.MaxUint32:
		return cUint
	case v <= math.MaxInt64:
		return cLong
	}
	return cUlong
}

// parseCInt reads an integer literal with C's typing rules; it returns a
// message when the literal is not one.
func parseCInt(text string) (cVal, string) {
	j := len(text)
	for j > 0 && strings.IndexByte("uUlL", text[j-1]) >= 0 {
		j--
	}
	digits, suffix := text[:j], strings.ToLower(text[j:])
	base := 10
	switch {
	case len(digits) > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'):
		base, digits = 16, digits[2:]
	case len(digits) > 1 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'):
		base, digits = 2, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		base, digits = 8, digits[1:]
	}
	if base == 10 && strings.ContainsAny(digits, ".eE") || strings.ContainsAny(digits, ".pP") {
		return cVal{}, fmt.Sprintf("floating-point number %s", text)
	}
	u, l := strings.Count(suffix, "u"), strings.Count(suffix, "l")
	if u > 1 || l > 2 || strings.Contains(suffix, "lul") || digits == "" {
		return cVal{}, fmt.Sprintf("malformed number %s", text)
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return cVal{}, fmt.Sprintf("number %s does not fit in 64 bits", text)
		}
		return cVal{}, fmt.Sprintf("malformed number %s", text)
	}
	var types []cType
	switch {
	case u == 0 && l == 0 && base == 10:
		types = []cType{cInt, cLong}
	case u == 0 && l == 0:
		types = []cType{cInt, cUint, cLong, cUlong}
	case l == 0:
		types = []cType{cUint, cUlong}
	case u == 0 && base == 10:
		types = []cType{cLong}
	case u == 0:
		types = []cType{cLong, cUlong}
	default:
		types = []cType{cUlong}
	}
	for _, t := range types {
		if norm(v, t) == v && (t.unsigned || int64(v) >= 0) {
			return cVal{v, t}, ""
		}
	}
	// A decimal too large for long: GCC makes it unsigned.
	return cVal{v, cUlong}, ""
}

// parseCChar reads a character constant such as 'a' or '\n'.
func parseCChar(text string) (cVal, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(text, "'"), "'")
	if len(s) == 1 && s[0] != '\\' {
		return cVal{uint64(int64(int8(s[0]))), cInt}, true
	}
	if len(s) < 2 || s[0] != '\\' {
		return cVal{}, false
	}
	simple := map[byte]uint64{'n': '\n', 't': '\t', 'r': '\r', 'a': 7, 'b': 8, 'f': 12, 'v': 11, '\\': '\\', '\'': '\'', '"': '"', '?': '?'}
	if v, ok := simple[s[1]]; ok && len(s) == 2 {
		return cVal{v, cInt}, true
	}
	base, digits := 8, s[1:]
	if s[1] == 'x' {
		base, digits = 16, s[2:]
	}
	v, err := strconv.ParseUint(digits, base, 8)
	if err != nil || base == 8 && len(digits) > 3 {
		return cVal{}, false
	}
	return cVal{uint64(int64(int8(v))), cInt}, true
}

// cCastTypes are the type names besides C's own that a cast may use.
var cCastTypes = map[string]struct {
	bits     uint8
	unsigned bool
}{
	"uint8_t": {8, true}, "uint16_t": {16, true}, "uint32_t": {32, true}, "uint64_t": {64, true},
	"int8_t": {8, false}, "int16_t": {16, false}, "int32_t": {32, false}, "int64_t": {64, false},
	"size_t": {64, true}, "ssize_t": {64, false}, "uintptr_t": {64, true}, "intptr_t": {64, false},
	"off_t": {64, false}, "mode_t": {32, true}, "pid_t": {32, false}, "uid_t": {32, true}, "gid_t": {32, true},
	"scmp_datum_t": {64, true}, "__u32": {32, true}, "__u64": {64, true}, "__s32": {32, false}, "__s64": {64, false},
}

// castType reads the type of a cast from the tokens between its
// parentheses, if they name an integer type.
func castType(toks []cTok) (bits uint8, unsigned, ok bool) {
	if len(toks) == 1 && toks[0].kind == cIdent {
		if t, ok := cCastTypes[toks[0].text]; ok {
			return t.bits, t.unsigned, true
		}
	}
	var longs, size int
	signed, uns := false, false
	for _, t := range toks {
		switch t.text {
		case "unsigned":
			uns = true
		case "signed":
			signed = true
		case "long":
			longs++
		case "short":
			size = 16
		case "char":
			size = 8
		case "int", "const", "volatile":
		default:
			return 0, false, false
		}
	}
	if len(toks) == 0 || signed && uns || longs > 2 || longs > 0 && size != 0 {
		return 0, false, false
	}
	switch {
	case longs > 0:
		return 64, uns, true
	case size != 0:
		return uint8(size), uns, true
	}
	return 32, uns, true
}

type cEval struct {
	p     *lscParser
	c     lscCall
	what  string
	toks  []cTok
	i     int
	depth int
	err   bool
}

// eval evaluates an integer constant expression; what names it in
// messages ("condition value", "errno" …).
func (p *lscParser) eval(c lscCall, toks []cTok, what string) (cVal, bool) {
	if len(toks) == 0 {
		p.errorf(c.pos, "%s: missing %s", c.name, what)
		return cVal{}, false
	}
	e := &cEval{p: p, c: c, what: what, toks: toks}
	v := e.binary(0)
	if !e.err && e.i < len(toks) {
		e.fail(e.i, "cannot follow %s %s", what, describe(toks))
	}
	return v, !e.err
}

func (e *cEval) fail(i int, format string, args ...any) {
	if e.err {
		return
	}
	e.err = true
	at := e.c.pos
	if i < len(e.toks) {
		at = e.toks[i].pos
	} else if len(e.toks) > 0 {
		at = e.toks[len(e.toks)-1].pos
	}
	e.p.errorf(at, "%s: %s", e.c.name, fmt.Sprintf(format, args...))
}

// Binary operators by precedence, loosest first.
var cBinaryLevels = [][]string{{"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

func (e *cEval) binary(level int) cVal {
	if level == len(cBinaryLevels) {
		return e.unary()
	}
	x := e.binary(level + 1)
	for !e.err && e.i < len(e.toks) && e.toks[e.i].kind == cPunct && contains(cBinaryLevels[level], e.toks[e.i].text) {
		opAt, op := e.i, e.toks[e.i].text
		e.i++
		y := e.binary(level + 1)
		if e.err {
			return cVal{}
		}
		x = e.apply(opAt, op, x, y)
	}
	return x
}

func (e *cEval) apply(at int, op string, x, y cVal) cVal {
	if op == "<<" || op == ">>" {
		if y.neg() || y.v >= uint64(x.t.bits) {
			e.fail(at, "shift count %s is out of range for a %d-bit value", y, x.t.bits)
			return cVal{}
		}
		if op == "<<" {
			return cVal{norm(x.v<<y.v, x.t), x.t}
		}
		if x.t.unsigned {
			return cVal{x.v >> y.v, x.t}
		}
		return cVal{norm(uint64(int64(x.v)>>y.v), x.t), x.t}
	}
	t := commonType(x.t, y.t)
	a, b := norm(x.v, t), norm(y.v, t)
	var r uint64
	switch op {
	case "|":
		r = a | b
	case "^":
		r = a ^ b
	case "&":
		r = a & b
	case "+":
		r = a + b
	case "-":
		r = a - b
	case "*":
		r = a * b
	case "/", "%":
		if b == 0 {
			e.fail(at, "division by zero")
			return cVal{}
		}
		switch {
		case t.unsigned && op == "/":
			r = a / b
		case t.unsigned:
			r = a % b
		case op == "/":
			r = uint64(int64(a) / int64(b))
		default:
			r = uint64(int64(a) % int64(b))
		}
	}
	return cVal{norm(r, t), t}
}

func (e *cEval) unary() cVal {
	if e.i >= len(e.toks) {
		e.fail(e.i, "incomplete %s %s", e.what, describe(e.toks))
		return cVal{}
	}
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 200 {
		e.fail(e.i, "%s nests too deeply", e.what)
		return cVal{}
	}
	t := e.toks[e.i]
	switch {
	case t.is("-"), t.is("+"), t.is("~"), t.is("!"):
		e.i++
		x := e.unary()
		if e.err {
			return cVal{}
		}
		switch t.text {
		case "-":
			return cVal{norm(-x.v, x.t), x.t}
		case "~":
			return cVal{norm(^x.v, x.t), x.t}
		case "!":
			if x.v == 0 {
				return cVal{1, cInt}
			}
			return cVal{0, cInt}
		}
		return x
	case t.is("("):
		close, depth := e.i, 0
		for ; close < len(e.toks); close++ {
			if e.toks[close].is("(") {
				depth++
			} else if e.toks[close].is(")") {
				if depth--; depth == 0 {
					break
				}
			}
		}
		if close >= len(e.toks) {
			e.fail(e.i, "unbalanced parentheses in %s", e.what)
			return cVal{}
		}
		if bits, uns, ok := castType(e.toks[e.i+1 : close]); ok {
			e.i = close + 1
			x := e.unary()
			if e.err {
				return cVal{}
			}
			v := x.v
			if bits < 64 {
				v &= 1<<bits - 1
				if !uns && v&(1<<(bits-1)) != 0 {
					v |= ^uint64(0) << bits
				}
			}
			if bits < 32 { // promoted to int
				return cVal{v, cInt}
			}
			t := cType{bits, uns}
			return cVal{norm(v, t), t}
		}
		e.i++
		x := e.binary(0)
		if e.err {
			return cVal{}
		}
		if e.i != close {
			e.fail(e.i, "cannot follow %s %s", e.what, describe(e.toks))
			return cVal{}
		}
		e.i++
		return x
	case t.kind == cNumber:
		e.i++
		v, msg := parseCInt(t.text)
		if msg != "" {
			e.fail(e.i-1, "%s: %s", e.what, msg)
		}
		return v
	case t.kind == cChar:
		e.i++
		v, ok := parseCChar(t.text)
		if !ok {
			e.fail(e.i-1, "cannot follow character constant %s", t.text)
		}
		return v
	case t.kind == cIdent:
		if e.i+1 < len(e.toks) && e.toks[e.i+1].is("(") {
			e.fail(e.i, "cannot follow %s %s", e.what, describe(e.toks))
			return cVal{}
		}
		e.i++
		if v, ok := syscalls.Constant(t.text); ok {
			return cVal{v, typeFor(v)}
		}
		if len(t.text) > 1 && t.text[0] == 'E' && !looksLikeVariable(t.text) {
			if n, err := syscalls.ParseErrno(t.text); err == nil {
				return cVal{uint64(n), cInt}
			}
		}
		if looksLikeVariable(t.text) {
			e.fail(e.i-1, "cannot follow %s %q (a variable); write a number, a named constant or a #define", e.what, t.text)
		} else {
			e.fail(e.i-1, "unknown constant %q in %s; #define it in this file or write the number", t.text, e.what)
		}
		return cVal{}
	}
	e.fail(e.i, "cannot follow %s %s", e.what, describe(e.toks))
	return cVal{}
}
