package libseccompc

import (
	"strconv"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

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
	braces          int  // how deep in braces the text so far ends
	tooDeep         bool // conditionals nest beyond maxNesting: reading stops
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
			if pp.tooDeep {
				return nil
			}
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
				switch {
				case exp[k].is("{"):
					pp.braces++
				case exp[k].is("}"):
					pp.braces = max(pp.braces-1, 0)
				}
			}
			out = append(out, exp...)
		}
		i = j
	}
	return out
}

// ppCondition evaluates an #if's condition when it is an integer
// expression of literals; a name (a macro, defined) makes it unknown.
func ppCondition(toks []cTok) (value, known bool) {
	v, known := evalLenient(toks, nil)
	return v.v != 0, known
}

func (pp *cPre) directive(d []cTok) {
	if len(d) == 0 || d[0].kind != cIdent {
		return
	}
	skip, unknown := pp.skipping()
	top := len(pp.conds) - 1
	switch d[0].text {
	case "if", "ifdef", "ifndef":
		// Each line asks every enclosing conditional whether it is
		// compiled: a bound on the depth keeps that linear.
		if len(pp.conds) >= maxNesting {
			pp.p.errorf(d[0].pos, "#%s nested deeper than %d levels", d[0].text, maxNesting)
			pp.tooDeep = true
			return
		}
		f := ppFrame{state: ppUnknown, anyUnknown: true}
		if skip {
			f = ppFrame{parentSkip: true, state: ppSkip}
		} else if v, ok := ppCondition(d[1:]); ok && d[0].text == "if" {
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
		switch v, ok := ppCondition(d[1:]); {
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
		if !skip && pp.braces > 0 {
			pp.p.errorf(d[0].pos, "#include inside a function: the reader does not read other files, so the calls it brings cannot be followed; write them in this file")
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
		if lscFollowed[name] || lscRefused[name] != "" || name == "seccomp_load" {
			// The compiler would call the macro's body, the reader
			// libseccomp: what the program builds and loads is no
			// longer what its calls say.
			pp.p.errorf(d[1].pos, "#define %s: a macro in place of libseccomp's %s cannot be followed; call libseccomp's function, or give the macro another name", name, name)
			return
		}
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
	if strings.HasPrefix(name, "SCMP_") || syscallMacro(name) != "" {
		return true
	}
	if _, ok := libcConstants[name]; ok {
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
