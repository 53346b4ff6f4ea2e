package libseccompc

import (
	"fmt"
	"slices"
	"strings"
)

// The filter context each call acts on.
//
// The program's filter is the context seccomp_init returns. A rule added
// to another one (NULL, a second variable, a parameter that a caller
// fills with something else) is not in the filter seccomp_load loads, and
// a load of another context loads nothing the reader followed. A call is
// taken only where its context is provably that one: the name seccomp_init
// is assigned to, a name assigned from such a name, a member of that name
// in a structure, or a parameter of the file's own function that every
// caller passes such a context.

type ctxChecker struct {
	p      *lscParser
	w      *walker
	names  map[string]bool // identifiers that hold the context
	memo   map[string]int  // "function/param index": 1 being checked, 2 holds, 3 does not
	initAt int             // token index of seccomp_init
}

// newCtxChecker finds the names the context returned by the seccomp_init
// at token init is assigned to. It returns nil where that is no name
// (the result passed straight to a function): the calls are not checked.
func (p *lscParser) newCtxChecker(w *walker, init int) *ctxChecker {
	c := &ctxChecker{p: p, w: w, names: map[string]bool{}, memo: map[string]int{}, initAt: init}
	toks := p.toks
	switch {
	case init >= 2 && toks[init-1].is("=") && toks[init-2].kind == cIdent:
		c.names[toks[init-2].text] = true
	case init >= 1 && toks[init-1].is("return"):
		// A function that returns the context: the names its callers
		// assign it to.
		if f := w.fnAt[init]; f >= 0 {
			name := w.fnList[f].name
			for i := 2; i+1 < len(toks); i++ {
				if toks[i].is(name) && toks[i+1].is("(") && toks[i-1].is("=") && toks[i-2].kind == cIdent {
					c.names[toks[i-2].text] = true
				}
			}
		}
	}
	if len(c.names) == 0 {
		return nil
	}
	// Names assigned from a context: "scmp_filter_ctx c2 = ctx;",
	// "c2 = s.ctx;".
	for changed := true; changed; {
		changed = false
		for j := 1; j+1 < len(toks); j++ {
			if !toks[j].is("=") || toks[j-1].kind != cIdent || c.names[toks[j-1].text] {
				continue
			}
			end := j + 1
			for end < len(toks) && !toks[end].is(";") && !toks[end].is(",") && !toks[end].is(")") && end-j < 16 {
				end++
			}
			if c.holds(toks[j+1:end], -1, 0) {
				c.names[toks[j-1].text], changed = true, true
			}
		}
	}
	return c
}

// check refuses the call at token i unless its first argument is the
// filter context.
func (c *ctxChecker) check(i int, arg []cTok, what string) {
	if c == nil || c.holds(arg, c.w.fnAt[i], 0) {
		return
	}
	var names []string
	for n := range c.names {
		names = append(names, n)
	}
	slices.Sort(names)
	init := c.p.toks[c.initAt].pos.Line
	c.p.errorf(c.p.toks[i].pos, "%s: acts on %q, which is not provably the filter context seccomp_init returns at line %d (%s), so %s; pass that context",
		c.p.toks[i].text, joinText(arg), init, strings.Join(names, ", "), what)
}

// holds reports whether the expression, in the function fn (an index into
// the walker's fnList, or -1), is the filter context.
func (c *ctxChecker) holds(e []cTok, fn, depth int) bool {
	e = strip(e)
	// A cast: "(scmp_filter_ctx)ctx", "(void *)ctx".
	for len(e) > 2 && e[0].is("(") {
		k := slices.IndexFunc(e, func(t cTok) bool { return t.is(")") })
		if k < 0 || k+1 >= len(e) || slices.ContainsFunc(e[1:k], func(t cTok) bool { return t.kind != cIdent && !t.is("*") }) {
			break
		}
		e = strip(e[k+1:])
	}
	switch {
	case len(e) == 1 && e[0].kind == cIdent:
		if c.names[e[0].text] {
			return true
		}
		return c.param(e[0].text, fn, depth)
	case len(e) >= 3 && e[len(e)-1].kind == cIdent && (e[len(e)-2].is(".") || e[len(e)-2].is("->")):
		return c.names[e[len(e)-1].text] // s.ctx, p->f.ctx: the member seccomp_init is assigned to
	}
	return false
}

// param reports whether name is a parameter of fn that every call of fn
// in the file passes the filter context.
func (c *ctxChecker) param(name string, fn, depth int) bool {
	if fn < 0 || depth > 8 {
		return false
	}
	f := c.w.fnList[fn]
	toks := c.p.toks
	open := c.p.match[f.open-1]
	if open < 0 {
		return false
	}
	idx := -1
	for k, seg := range splitTop(toks[open+1 : f.open-1]) {
		if last := lastIdent(seg); last == name {
			idx = k
		}
	}
	if idx < 0 {
		return false
	}
	key := fmt.Sprintf("%s/%d", f.name, idx)
	switch c.memo[key] {
	case 1, 3:
		return false
	case 2:
		return true
	}
	c.memo[key] = 1
	calls := 0
	ok := true
	for i := 0; i+1 < len(toks) && ok; i++ {
		if !toks[i].is(f.name) || !toks[i+1].is("(") || i == open-1 || c.p.match[i+1] < 0 {
			continue
		}
		if i > 0 && toks[i-1].kind == cIdent && !cStmtWords[toks[i-1].text] {
			continue // a declaration
		}
		calls++
		args, _ := c.p.splitArgs(i+1, c.p.match[i+1])
		ok = idx < len(args) && c.holds(args[idx], c.w.fnAt[i], depth+1)
	}
	ok = ok && calls > 0
	c.memo[key] = map[bool]int{true: 2, false: 3}[ok]
	return ok
}

// lastIdent is a declaration's name: the last identifier of
// "const scmp_filter_ctx *pc" ("" for "void" or "...").
func lastIdent(seg []cTok) string {
	if len(seg) < 2 {
		return ""
	}
	for k := len(seg) - 1; k >= 0; k-- {
		if seg[k].kind == cIdent {
			return seg[k].text
		}
		if seg[k].is("]") || seg[k].is(")") {
			return "" // an array or function pointer: not followed
		}
	}
	return ""
}
