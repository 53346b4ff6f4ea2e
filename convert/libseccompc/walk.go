package libseccompc

import (
	"fmt"
)

// The path to seccomp_load.
//
// A C program's filter holds the rules its calls add on the way to
// seccomp_load, and only those. The walker follows that way as the
// program runs it when every call succeeds: from main (or, without main,
// the function that loads the filter) statement by statement, into the
// file's own functions where they are called, through plain blocks and
// do { } while (0), until seccomp_load. A call is taken only if the walk
// reaches it unconditionally; every other libseccomp call in the file is
// refused with the reason: in a branch, a loop or a function not called
// on the way, jumped over by a goto, after return or seccomp_load, or the
// operand of &&, || or ?:. A condition of an if runs, so a call there is
// taken ("if (seccomp_rule_add(…) < 0) goto out;"), and a goto to a label
// after seccomp_load is the program's error path, not a branch of the
// filter.

// cFunc is a function defined in the file.
type cFunc struct {
	name        string
	open, close int // its body's braces
}

type walker struct {
	p      *lscParser
	s      *stmtScanner
	funcs  map[string]cFunc
	labels map[string]int // in the function being walked: label → token index
	taken  []int          // libseccomp calls the path runs, in order
	isTak  map[int]bool
	why    map[int]string // why a call is not taken
	poison map[int]string // calls a conditional goto may jump over
	stack  []string       // functions being walked
	load   int            // token index of the seccomp_load reached, or -1
	builds []int          // builds[i]: calls that build the filter in [0, i)
	loads  []int          // loads[i]: calls of seccomp_load in [0, i)
	walked map[string]bool
}

func (p *lscParser) newWalker(s *stmtScanner) *walker {
	w := &walker{p: p, s: s, funcs: map[string]cFunc{}, isTak: map[int]bool{}, why: map[int]string{}, poison: map[int]string{}, load: -1, walked: map[string]bool{}}
	toks := p.toks
	depth := 0
	for i, t := range toks {
		switch {
		case t.is("{"):
			if depth == 0 && i > 0 && toks[i-1].is(")") {
				if open := p.match[i-1]; open > 0 && toks[open-1].kind == cIdent && !cKeywords[toks[open-1].text] && p.match[i] > i {
					name := toks[open-1].text
					if _, dup := w.funcs[name]; !dup {
						w.funcs[name] = cFunc{name: name, open: i, close: p.match[i]}
					}
				}
			}
			depth++
		case t.is("}"):
			depth = max(depth-1, 0)
		}
	}
	w.builds, w.loads = make([]int, len(toks)+1), make([]int, len(toks)+1)
	for i, t := range toks {
		w.builds[i+1], w.loads[i+1] = w.builds[i], w.loads[i]
		if t.kind != cIdent || i+1 >= len(toks) || !toks[i+1].is("(") {
			continue
		}
		if _, own := w.funcs[t.text]; own || lscFollowed[t.text] {
			w.builds[i+1]++
		}
		if t.text == "seccomp_load" {
			w.loads[i+1]++
		}
	}
	return w
}

// cKeywords are words followed by "(" that are not functions.
var cKeywords = map[string]bool{"if": true, "for": true, "while": true, "switch": true, "return": true, "sizeof": true, "do": true, "else": true, "case": true}

// run walks the program from its entry.
func (w *walker) run() {
	entry, ok := w.funcs["main"]
	if !ok {
		for _, i := range w.p.followedCalls() {
			if w.p.toks[i].text != "seccomp_init" {
				continue
			}
			for _, f := range w.funcs {
				if f.open < i && i < f.close {
					entry, ok = f, true
				}
			}
			break
		}
	}
	if !ok {
		// A fragment without functions: its statements in order.
		w.block(0, len(w.p.toks))
		return
	}
	w.call(entry.name, -1)
}

// call walks a function's body; it reports false when seccomp_load was
// reached inside it.
func (w *walker) call(name string, at int) bool {
	f := w.funcs[name]
	for _, s := range w.stack {
		if s == name {
			reason := fmt.Sprintf("in %s, which calls itself, so the calls may run any number of times", name)
			w.untake(f.open, f.close, reason)
			w.markRange(f.open, f.close, reason)
			return true
		}
	}
	w.walked[name] = true
	saved := w.labels
	w.labels = w.findLabels(f.open, f.close)
	w.stack = append(w.stack, name)
	stop := w.block(f.open+1, f.close)
	w.stack = w.stack[:len(w.stack)-1]
	w.labels = saved
	return stop != stopLoad
}

type stop int

const (
	goOn stop = iota
	stopReturn
	stopLoad
	stopLost // a jump the walk cannot follow
)

// block walks the statements in [from, to).
func (w *walker) block(from, to int) stop {
	toks := w.p.toks
	for i := from; i < to; {
		t := toks[i]
		e := min(w.s.end(i, 0), to)
		if e <= i {
			e = i + 1
		}
		var st stop
		switch {
		case t.is(";"):
		case t.is("{") && w.p.match[i] > i:
			st = w.block(i+1, w.p.match[i])
		case t.kind == cIdent && i+1 < to && toks[i+1].is(":") && !t.is("default"):
			e = i + 2 // a label
		case t.is("if"), t.is("switch"):
			body := w.s.afterParens(i + 1)
			st = w.expr(i+1, body)
			if st == goOn {
				w.markRange(body, e, "inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch")
				w.condGotos(body, e)
			}
		case t.is("do") && w.onceDo(i, e):
			st = w.block(i+1, e)
		case t.is("for"), t.is("while"), t.is("do"):
			w.markRange(i, e, "inside a loop, which cannot be followed; write one call per rule, outside loops")
		case t.is("return"):
			if st = w.expr(i+1, e); st == goOn {
				st = stopReturn
				w.markRange(e, to, fmt.Sprintf("after the return at line %d, so it never runs", t.pos.Line))
			}
		case t.is("goto") && i+1 < to:
			label := toks[i+1].text
			target, ok := w.labels[label]
			switch {
			case ok && target > e && target <= to:
				w.markRange(e, target, fmt.Sprintf("jumped over by the goto at line %d, so it never runs", t.pos.Line))
				e = target
			case ok && target < i:
				w.untake(target, i, fmt.Sprintf("between label %s and the goto at line %d that jumps back to it, a loop", label, t.pos.Line))
				st = stopLost
				w.markRange(e, to, fmt.Sprintf("after the goto at line %d, which jumps back", t.pos.Line))
			default:
				st = stopLost
				w.markRange(e, to, fmt.Sprintf("after the goto at line %d, which leaves the block", t.pos.Line))
			}
		default:
			st = w.expr(i, e)
		}
		if st != goOn {
			if st == stopLoad {
				w.markRange(e, to, fmt.Sprintf("after seccomp_load at line %d, so it does not change the loaded filter", toks[w.load].pos.Line))
			}
			return st
		}
		i = e
	}
	return goOn
}

// onceDo reports whether the do statement at i is do { … } while (0).
func (w *walker) onceDo(i, e int) bool {
	toks := w.p.toks
	body := w.s.end(i+1, 0)
	c := body + 1
	return body < e && toks[body].is("while") && c+2 < len(toks) && w.p.match[c] == c+2 && toks[c+1].text == "0"
}

// expr walks the calls of an expression in [from, to), in order. A call
// is conditional when it is an operand after ?, or after && or || whose
// left side is not itself the check of an earlier call that builds the
// filter: "seccomp_rule_add(…) < 0 || deny_connect(ctx) < 0" runs both
// calls when both succeed, "strict && seccomp_rule_add(…)" depends on
// strict. One pass, with the reason of each open bracket's level.
func (w *walker) expr(from, to int) stop {
	toks := w.p.toks
	levels := []string{""} // per open bracket: why its operands may not run
	for k := from; k < to; k++ {
		t := toks[k]
		switch {
		case t.is("("), t.is("["), t.is("{"):
			levels = append(levels, levels[len(levels)-1])
			continue
		case t.is(")"), t.is("]"), t.is("}"):
			if len(levels) > 1 {
				levels = levels[:len(levels)-1]
			}
			continue
		case levels[len(levels)-1] == "" && (t.is("?") || (t.is("&&") || t.is("||")) && !w.buildsFilter(from, k)):
			levels[len(levels)-1] = fmt.Sprintf("an operand of %s (line %d), so it runs only when a run-time condition holds", t.text, t.pos.Line)
			continue
		}
		if t.kind != cIdent || k+1 >= to || !toks[k+1].is("(") || cKeywords[t.text] {
			continue
		}
		if k > 0 && toks[k-1].kind == cIdent && !cStmtWords[toks[k-1].text] {
			continue // a declaration
		}
		cond := levels[len(levels)-1]
		if r, ok := w.poison[k]; ok && cond == "" {
			cond = r
		}
		switch {
		case t.text == "seccomp_load":
			if cond != "" {
				w.setWhy(k, cond)
				continue // a load that may not happen: the path goes on
			}
			w.load = k
			return stopLoad
		case lscFollowed[t.text] || lscRefused[t.text] != "":
			if cond != "" {
				w.setWhy(k, cond)
				continue
			}
			if !w.isTak[k] {
				w.isTak[k] = true
				w.taken = append(w.taken, k)
			}
		default:
			if _, ok := w.funcs[t.text]; !ok {
				continue
			}
			if cond != "" {
				w.markFunc(t.text, fmt.Sprintf("in %s, called at line %d as %s", t.text, t.pos.Line, cond), map[string]bool{})
				continue
			}
			if !w.call(t.text, k) {
				return stopLoad
			}
		}
	}
	return goOn
}

// buildsFilter reports whether [from, to) calls a function that builds
// the filter: a libseccomp one, or one of the file's own.
func (w *walker) buildsFilter(from, to int) bool {
	return to > from && w.builds[to]-w.builds[from] > 0
}

func (w *walker) setWhy(k int, reason string) {
	if _, ok := w.why[k]; !ok && !w.isTak[k] {
		w.why[k] = reason
	}
}

// markRange gives each libseccomp call in [from, to) that the walk has
// not taken the reason, as well as the calls inside the file's functions
// called there.
func (w *walker) markRange(from, to int, reason string) {
	toks := w.p.toks
	for k := from; k+1 < to && k+1 < len(toks); k++ {
		t := toks[k]
		if t.kind != cIdent || !toks[k+1].is("(") {
			continue
		}
		if lscFollowed[t.text] || lscRefused[t.text] != "" || t.text == "seccomp_load" {
			w.setWhy(k, reason)
		} else if _, ok := w.funcs[t.text]; ok {
			w.markFunc(t.text, fmt.Sprintf("in %s, called at line %d, %s", t.text, t.pos.Line, reason), map[string]bool{})
		}
	}
}

func (w *walker) markFunc(name, reason string, seen map[string]bool) {
	if seen[name] {
		return
	}
	seen[name] = true
	f := w.funcs[name]
	toks := w.p.toks
	for k := f.open; k+1 < f.close; k++ {
		t := toks[k]
		if t.kind != cIdent || !toks[k+1].is("(") {
			continue
		}
		if lscFollowed[t.text] || lscRefused[t.text] != "" || t.text == "seccomp_load" {
			w.setWhy(k, reason)
		} else if _, ok := w.funcs[t.text]; ok {
			w.markFunc(t.text, reason, seen)
		}
	}
}

// untake withdraws the calls taken in [from, to): they run again.
func (w *walker) untake(from, to int, reason string) {
	kept := w.taken[:0]
	for _, k := range w.taken {
		if k >= from && k < to {
			delete(w.isTak, k)
			w.why[k] = reason
			continue
		}
		kept = append(kept, k)
	}
	w.taken = kept
}

// findLabels lists the labels of a function body.
func (w *walker) findLabels(open, close int) map[string]int {
	toks := w.p.toks
	labels := map[string]int{}
	for k := open + 1; k+1 < close; k++ {
		if toks[k].kind == cIdent && toks[k+1].is(":") && !toks[k+1].is("::") &&
			(toks[k-1].is(";") || toks[k-1].is("{") || toks[k-1].is("}")) && !toks[k].is("default") {
			labels[toks[k].text] = k
		}
	}
	return labels
}

// reason says why a libseccomp call the walk did not take is refused.
func (w *walker) reason(k int) string {
	if r, ok := w.why[k]; ok {
		return r
	}
	for _, f := range w.funcs {
		if f.open < k && k < f.close && !w.walked[f.name] {
			return fmt.Sprintf("in %s, which is not called on the way to seccomp_load", f.name)
		}
	}
	if w.load >= 0 {
		return "not on the way to seccomp_load"
	}
	return "not on the way through the program"
}

// condGotos handles the gotos in a branch [from, to): one that jumps
// forward over calls to a label before seccomp_load makes those calls
// conditional. A goto past seccomp_load is the program's error path.
func (w *walker) condGotos(from, to int) {
	toks := w.p.toks
	for k := from; k+1 < to; k++ {
		if !toks[k].is("goto") {
			continue
		}
		target, ok := w.labels[toks[k+1].text]
		if ok && target < from {
			w.untake(target, from, fmt.Sprintf("between label %s and the goto at line %d that may jump back to it, a loop, which cannot be followed; write one call per rule, outside loops", toks[k+1].text, toks[k].pos.Line))
			continue
		}
		if !ok || target <= to || w.errorPath(to, target) {
			continue
		}
		for j := to; j+1 < target; j++ {
			if toks[j].kind == cIdent && toks[j+1].is("(") {
				if _, seen := w.poison[j]; !seen {
					w.poison[j] = fmt.Sprintf("jumped over by the goto at line %d when its condition holds", toks[k].pos.Line)
				}
			}
		}
	}
}

// errorPath reports whether a jump from before to to target leaves the
// way to seccomp_load: it jumps over seccomp_load, or, in a program that
// loads no filter, to a label after which nothing builds the filter.
func (w *walker) errorPath(from, target int) bool {
	if w.loads[len(w.p.toks)] > 0 {
		return w.loads[target]-w.loads[from] > 0
	}
	end := len(w.p.toks)
	for _, f := range w.funcs {
		if f.open < target && target < f.close {
			end = f.close
		}
	}
	return !w.buildsFilter(target, end)
}

// followedCalls lists the calls of the libseccomp functions that build a
// filter (and of those the reader refuses), by the index of their name.
func (p *lscParser) followedCalls() []int {
	var out []int
	for i := 0; i+1 < len(p.toks); i++ {
		t := p.toks[i]
		if t.kind != cIdent || !p.toks[i+1].is("(") || !lscFollowed[t.text] && lscRefused[t.text] == "" {
			continue
		}
		if i > 0 && p.toks[i-1].kind == cIdent && !cStmtWords[p.toks[i-1].text] {
			continue // a declaration of the function, not a call
		}
		out = append(out, i)
	}
	return out
}

// loadCalls lists the calls of seccomp_load.
func (p *lscParser) loadCalls() []int {
	var out []int
	for i := 0; i+1 < len(p.toks); i++ {
		if p.toks[i].is("seccomp_load") && p.toks[i+1].is("(") && (i == 0 || p.toks[i-1].kind != cIdent || cStmtWords[p.toks[i-1].text]) {
			out = append(out, i)
		}
	}
	return out
}
