package libseccompc

import (
	"fmt"
	"math"
	"strings"
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
//
// The way also ends at a call that does not return (exit, abort, an exec
// that succeeds …), and a break leaves a do { } while (0). Operands the
// compiler never evaluates (sizeof, typeof, _Generic …) run nothing. The
// right operand of && and || runs when the left one, with every call
// succeeding, makes it run: libseccomp's calls return 0, the file's own
// functions what their return statement says; anything else there is a
// run-time condition. A function that is not in the file but gets the
// filter context may add rules the reader cannot see, so it is refused.

// cFunc is a function defined in the file.
type cFunc struct {
	name        string
	open, close int // its body's braces
}

type walker struct {
	p        *lscParser
	s        *stmtScanner
	funcs    map[string]cFunc
	labels   map[string]int // in the function being walked: label → token index
	taken    []int          // libseccomp calls the path runs, in order
	isTak    map[int]bool
	why      map[int]string // why a call is not taken
	poison   map[int]string // calls a conditional goto may jump over
	stack    []string       // functions being walked
	load     int            // token index of the seccomp_load reached, or -1
	exit     int            // token index of the call that ended the program
	brk      int            // token index of the break that left a do { } while (0)
	builds   []int          // builds[i]: calls that build the filter in [0, i)
	loads    []int          // loads[i]: calls of seccomp_load in [0, i)
	walked   map[string]bool
	ctxs     map[string]bool   // names that hold the filter context
	retval   map[string]cTruth // what the file's functions return, once walked
	ret      cTruth            // the value of the return statement just walked
	dos      []int             // ends of the do { } while (0) bodies being walked
	refused  map[int]bool      // calls refused outright, reported once
	condRet  map[string]bool   // functions with a return in a branch
	condLoad int               // a seccomp_load in a branch, or -1
	done     map[string]bool   // functions walked to their end
	marked   map[string]bool   // functions whose calls markFunc has marked
	whyNext  []int             // painting: the next token at or after i that markRange has not given a reason
	poisNext []int             // the same for poison
	fnAt     []int             // fnAt[i]: the function whose body holds token i (index into fnList), or -1
	fnList   []cFunc
}

// cTruth is an integer value the walk knows, or does not.
type cTruth struct {
	v     int64
	known bool
}

func (p *lscParser) newWalker(s *stmtScanner) *walker {
	w := &walker{p: p, s: s, funcs: map[string]cFunc{}, isTak: map[int]bool{}, why: map[int]string{}, poison: map[int]string{}, load: -1, walked: map[string]bool{},
		ctxs: map[string]bool{}, retval: map[string]cTruth{}, refused: map[int]bool{}, condRet: map[string]bool{}, condLoad: -1, done: map[string]bool{}, marked: map[string]bool{}}
	toks := p.toks
	for i, t := range toks {
		switch {
		case t.is("scmp_filter_ctx"):
			j := i + 1
			for j < len(toks) && (toks[j].is("*") || toks[j].is("const") || toks[j].is("volatile")) {
				j++
			}
			if j < len(toks) && toks[j].kind == cIdent {
				w.ctxs[toks[j].text] = true
			}
		case t.is("seccomp_init") && i >= 2 && toks[i-1].is("="):
			// The context's name, and the structures that hold it:
			// s.ctx, p->f.ctx, a[0].ctx.
		back:
			for j := i - 2; j >= 0; j-- {
				switch u := toks[j]; {
				case u.kind == cIdent:
					w.ctxs[u.text] = true
					continue
				case u.is(".") || u.is("->") || u.is("*"):
					continue
				case u.is("]") && p.match[j] >= 0 && p.match[j] < j:
					j = p.match[j]
					continue
				}
				break back
			}
		}
	}
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
	w.whyNext, w.poisNext = make([]int, len(toks)+2), make([]int, len(toks)+2)
	for i := range w.whyNext {
		w.whyNext[i], w.poisNext[i] = i, i
	}
	w.fnAt = make([]int, len(toks))
	for i := range w.fnAt {
		w.fnAt[i] = -1
	}
	for _, f := range w.funcs {
		w.fnList = append(w.fnList, f)
		for k := f.open; k < f.close; k++ {
			w.fnAt[k] = len(w.fnList) - 1
		}
	}
	w.builds, w.loads = make([]int, len(toks)+1), make([]int, len(toks)+1)
	for i, t := range toks {
		w.builds[i+1], w.loads[i+1] = w.builds[i], w.loads[i]
		if t.kind != cIdent || i+1 >= len(toks) || !toks[i+1].is("(") {
			continue
		}
		if _, own := w.funcs[t.text]; own || lscFollowed[t.text] && t.text != "seccomp_release" {
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

// cNoReturn are the C library's calls after which the program does not go
// on: it ends, jumps away or becomes another program.
var cNoReturn = map[string]bool{
	"exit": true, "_exit": true, "_Exit": true, "quick_exit": true, "abort": true, "thrd_exit": true, "pthread_exit": true,
	"longjmp": true, "_longjmp": true, "siglongjmp": true, "__builtin_longjmp": true,
	"execv": true, "execve": true, "execvp": true, "execvpe": true, "execl": true, "execlp": true, "execle": true, "fexecve": true, "execveat": true,
	"err": true, "errx": true, "verr": true, "verrx": true, "error_at_line": false,
	"__builtin_unreachable": true, "__builtin_trap": true, "unreachable": true,
}

// cUnevaluated are the operators whose operand the compiler reads for
// its type or picks at compile time: calls there never run.
var cUnevaluated = map[string]bool{
	"sizeof": true, "_Alignof": true, "alignof": true, "__alignof__": true, "__alignof": true,
	"typeof": true, "__typeof__": true, "__typeof": true, "typeof_unqual": true, "__typeof_unqual__": true,
	"_Generic": true, "__builtin_choose_expr": true, "__builtin_constant_p": true, "__builtin_types_compatible_p": true,
	"offsetof": true, "__builtin_offsetof": true, "_Static_assert": true, "static_assert": true, "__auto_type": false,
}

// call walks a function's body; it reports stopLoad when seccomp_load
// was reached inside it, stopExit when the program ended there, and goOn
// otherwise.
func (w *walker) call(name string, at int) stop {
	f := w.funcs[name]
	for _, s := range w.stack {
		if s == name {
			reason := fmt.Sprintf("in %s, which calls itself, so the calls may run any number of times", name)
			w.untake(f.open, f.close, reason)
			w.markRange(f.open, f.close, reason)
			return goOn
		}
	}
	if w.done[name] {
		// Walked before to its end: a second call adds the same rules,
		// which libseccomp keeps once. Walking it again would cost time
		// exponential in the depth of calls.
		return goOn
	}
	w.walked[name] = true
	saved, savedDos := w.labels, w.dos
	w.labels, w.dos = w.findLabels(f.open, f.close), nil
	w.stack = append(w.stack, name)
	w.ret = cTruth{}
	st := w.block(f.open+1, f.close)
	w.stack = w.stack[:len(w.stack)-1]
	w.labels, w.dos = saved, savedDos
	switch st {
	case stopLoad, stopExit:
		return st
	case stopReturn:
		w.retval[name] = w.ret
		if w.condRet[name] {
			w.retval[name] = cTruth{}
		}
	default:
		w.retval[name] = cTruth{}
	}
	w.done[name] = true
	return goOn
}

type stop int

const (
	goOn stop = iota
	stopReturn
	stopLoad
	stopLost  // a jump the walk cannot follow
	stopExit  // a call that does not return
	stopBreak // a break or continue, which leaves a do { } while (0)
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
				w.condExits(body, e)
			}
		case (t.is("asm") || t.is("__asm__") || t.is("__asm")) && w.asmGoto(i, e):
			// An asm goto may jump to any label it lists: handled as a
			// goto under a condition.
			w.condGotos(i, e)
		case t.is("do") && w.onceDo(i, e):
			w.dos = append(w.dos, e)
			st = w.block(i+1, e)
			w.dos = w.dos[:len(w.dos)-1]
			if st == stopBreak {
				st = goOn
			}
		case (t.is("break") || t.is("continue")) && len(w.dos) > 0:
			st, w.brk = stopBreak, i
		case t.is("for"), t.is("while"), t.is("do"):
			w.markRange(i, e, "inside a loop, which cannot be followed; write one call per rule, outside loops")
		case t.is("return"):
			if st = w.expr(i+1, e); st == goOn {
				st = stopReturn
				w.ret = w.value(i+1, e-1)
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
			switch st {
			case stopLoad:
				w.markRange(e, to, fmt.Sprintf("after seccomp_load at line %d, so it does not change the loaded filter", toks[w.load].pos.Line))
			case stopExit:
				w.markRange(e, to, fmt.Sprintf("after the call to %s at line %d, which does not return, so it never runs", toks[w.exit].text, toks[w.exit].pos.Line))
			case stopBreak:
				w.markRange(e, to, fmt.Sprintf("after the %s at line %d, which leaves the do { } while (0), so it never runs", toks[w.brk].text, toks[w.brk].pos.Line))
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
// left operand does not decide, with every call succeeding, that the
// right one runs: "seccomp_rule_add(…) < 0 || deny_connect(ctx) < 0"
// runs both calls, "seccomp_rule_add(…) == 0 || …" and "strict && …" do
// not. One pass, with the reason of each open bracket's level.
func (w *walker) expr(from, to int) stop {
	toks := w.p.toks
	type level struct {
		outer, why  string // why operands of the enclosing level, and of this one, may not run
		start, orAt int    // where this level's operand and its last || operand begin
	}
	levels := []level{{start: from, orAt: from}}
	top := func() *level { return &levels[len(levels)-1] }
	cond := func() string {
		if l := top(); l.why != "" {
			return l.why
		}
		return top().outer
	}
	for k := from; k < to; k++ {
		t := toks[k]
		if t.kind == cIdent && cUnevaluated[t.text] {
			end := w.operandEnd(k+1, to)
			w.markRange(k+1, end, fmt.Sprintf("inside %s (line %d), which the compiler does not evaluate, so it never runs", t.text, t.pos.Line))
			k = end - 1
			continue
		}
		switch {
		case t.is("(") && k+1 < to && toks[k+1].is("{") && w.p.match[k+1] > k && w.p.match[k] == w.p.match[k+1]+1:
			// A statement expression, ({ … }): statements, walked as a block.
			body, end := k+1, w.p.match[k]
			if c := cond(); c != "" {
				w.markRange(body, end, c)
			} else if st := w.block(body+1, w.p.match[body]); st == stopLoad || st == stopExit {
				return st
			}
			k = end
			continue
		case t.is("("), t.is("["), t.is("{"):
			levels = append(levels, level{outer: cond(), start: k + 1, orAt: k + 1})
			continue
		case t.is(")"), t.is("]"), t.is("}"):
			if len(levels) > 1 {
				levels = levels[:len(levels)-1]
			}
			continue
		case t.is(","):
			// Each operand of a comma, each argument of a call, runs.
			*top() = level{outer: top().outer, start: k + 1, orAt: k + 1}
			continue
		case t.is("=") || t.is("+=") || t.is("-=") || t.is("|=") || t.is("&=") || t.is("^=") || t.is("*=") || t.is("/=") || t.is("%=") || t.is("<<=") || t.is(">>=") || t.is("return"):
			if l := top(); l.why == "" {
				l.start, l.orAt = k+1, k+1
			}
			continue
		case top().why == "" && t.is("?"):
			top().why = fmt.Sprintf("an operand of ? (line %d), so it runs only when a run-time condition holds", t.pos.Line)
			continue
		case top().why == "" && (t.is("&&") || t.is("||")):
			l := top()
			lo := l.orAt
			if t.is("||") {
				lo = l.start
				l.orAt = k + 1
			}
			v := w.value(lo, k)
			switch {
			case !v.known:
				l.why = fmt.Sprintf("an operand of %s (line %d), so it runs only when a run-time condition holds", t.text, t.pos.Line)
			case (v.v != 0) == t.is("||"):
				l.why = fmt.Sprintf("an operand of %s (line %d) whose left side is %d when the calls before succeed, so it never runs", t.text, t.pos.Line, v.v)
			}
			continue
		}
		if t.kind != cIdent || k+1 >= to || !toks[k+1].is("(") || cKeywords[t.text] {
			continue
		}
		if k > 0 && toks[k-1].kind == cIdent && !cStmtWords[toks[k-1].text] {
			continue // a declaration
		}
		c := cond()
		if r, ok := w.poison[k]; ok && c == "" {
			c = r
		}
		if c == "" && w.condLoad >= 0 && lscFollowed[t.text] {
			l := toks[w.condLoad].pos.Line
			c = fmt.Sprintf("after the seccomp_load at line %d, which loads the filter without it when its condition holds", l)
		}
		switch {
		case t.text == "seccomp_load":
			if c != "" {
				w.setWhy(k, c)
				continue // a load that may not happen: the path goes on
			}
			w.load = k
			return stopLoad
		case lscFollowed[t.text] || lscRefused[t.text] != "":
			if c != "" {
				w.setWhy(k, c)
				continue
			}
			if !w.isTak[k] {
				w.isTak[k] = true
				w.taken = append(w.taken, k)
			}
		case cNoReturn[t.text]:
			if c == "" {
				w.exit = k
				return stopExit
			}
		default:
			if _, ok := w.funcs[t.text]; !ok {
				if c == "" && !strings.HasPrefix(t.text, "seccomp_") && w.getsContext(k+1) && !w.refused[k] {
					w.refused[k] = true
					w.p.errorf(t.pos, "%s: gets the filter context but is not defined in this file, so the rules it may add cannot be followed; define it in the file, or add the rules in it", t.text)
				}
				continue
			}
			if c != "" {
				w.markFunc(t.text, fmt.Sprintf("in %s, called at line %d as %s", t.text, t.pos.Line, c), map[string]bool{})
				continue
			}
			if st := w.call(t.text, k); st == stopLoad || st == stopExit {
				return st
			}
		}
	}
	return goOn
}

// operandEnd returns the end of the operand of sizeof, typeof … that
// starts at i: a bracketed group, or a unary expression such as
// "sizeof f(x)[1]".
func (w *walker) operandEnd(i, to int) int {
	toks := w.p.toks
	for i < to && (toks[i].kind == cIdent && !toks[i].is("(") || toks[i].kind == cNumber || toks[i].kind == cString ||
		toks[i].is("*") || toks[i].is("&") || toks[i].is("!") || toks[i].is("~") || toks[i].is("-") || toks[i].is("+") ||
		toks[i].is("++") || toks[i].is("--") || toks[i].is(".") || toks[i].is("->")) {
		if toks[i].kind == cIdent && cUnevaluated[toks[i].text] {
			i++
			continue
		}
		if i+1 < to && (toks[i].kind == cIdent || toks[i].kind == cNumber) && !(toks[i+1].is("(") || toks[i+1].is("[") || toks[i+1].is(".") || toks[i+1].is("->")) {
			return i + 1
		}
		i++
	}
	for i < to && (toks[i].is("(") || toks[i].is("[")) && w.p.match[i] > i {
		i = w.p.match[i] + 1
		for i+1 < to && (toks[i].is(".") || toks[i].is("->")) {
			i += 2
		}
	}
	return min(max(i, 0), to)
}

// getsContext reports whether the call whose "(" is at open gets a name
// that holds the filter context.
func (w *walker) getsContext(open int) bool {
	end := w.p.match[open]
	for k := open + 1; k < end; k++ {
		if t := w.p.toks[k]; t.kind == cIdent && w.ctxs[t.text] {
			return true
		}
	}
	return false
}

// value evaluates the expression in [from, to) when every call in it
// succeeds: libseccomp's calls that build the filter return 0, the file's
// own functions what their walked return statement says; an assignment's
// value is its right side. Anything else it cannot evaluate is unknown.
func (w *walker) value(from, to int) cTruth {
	if to <= from {
		return cTruth{}
	}
	v, known := evalLenient(w.p.toks[from:to], func(name string) (cVal, bool) {
		if name != "seccomp_init" && lscFollowed[name] {
			return cVal{0, cInt}, true
		}
		r := w.retval[name] // unknown unless walked
		return cVal{norm(uint64(r.v), cInt), cInt}, r.known
	})
	if v.neg() {
		return cTruth{int64(v.v), known}
	}
	return cTruth{int64(v.v), known && v.v <= math.MaxInt64}
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
	for k := paintFind(w.whyNext, max(from, 0)); k+1 < to && k+1 < len(toks); k = paintFind(w.whyNext, k+1) {
		if !w.isTak[k] {
			w.whyNext[k] = k + 1 // each token gets its first reason once
		}
		if fn := w.markCall(k, reason); fn != "" {
			w.markFunc(fn, fmt.Sprintf("in %s, called at line %d, %s", fn, toks[k].pos.Line, reason), map[string]bool{})
		}
	}
}

func (w *walker) markFunc(name, reason string, seen map[string]bool) {
	if seen[name] || w.marked[name] {
		return
	}
	seen[name], w.marked[name] = true, true
	f := w.funcs[name]
	for k := f.open; k+1 < f.close; k++ {
		if fn := w.markCall(k, reason); fn != "" {
			w.markFunc(fn, reason, seen)
		}
	}
}

// markCall gives a libseccomp call at token k the reason; for a call of
// one of the file's functions it returns that function's name, for the
// caller to mark inside with its own reason.
func (w *walker) markCall(k int, reason string) string {
	toks := w.p.toks
	t := toks[k]
	if t.kind != cIdent || !toks[k+1].is("(") {
		return ""
	}
	if lscFollowed[t.text] || lscRefused[t.text] != "" || t.text == "seccomp_load" {
		w.setWhy(k, reason)
	} else if _, ok := w.funcs[t.text]; ok {
		return t.text
	}
	return ""
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
	if f := w.fnAt[k]; f >= 0 && !w.walked[w.fnList[f].name] {
		return fmt.Sprintf("in %s, which is not called on the way to seccomp_load", w.fnList[f].name)
	}
	if w.load >= 0 {
		return "not on the way to seccomp_load"
	}
	return "not on the way through the program"
}

// asmGoto reports whether the statement [i, e) is an asm goto.
func (w *walker) asmGoto(i, e int) bool {
	for k := i + 1; k < e && !w.p.toks[k].is("("); k++ {
		if w.p.toks[k].is("goto") {
			return true
		}
	}
	return false
}

// condGotos handles the gotos in a branch [from, to): one that jumps
// forward over calls to a label before seccomp_load makes those calls
// conditional. A goto past seccomp_load is the program's error path.
func (w *walker) condGotos(from, to int) {
	toks := w.p.toks
	asm := w.asmGoto(from, to) && (toks[from].is("asm") || toks[from].is("__asm__") || toks[from].is("__asm"))
	for k := from; k+1 < to; k++ {
		label := k + 1
		switch {
		case asm && toks[k].kind == cIdent && !toks[k].is("goto") && k > from:
			// In asm goto, the labels are listed by name after the last colon.
			label = k
		case !toks[k].is("goto"):
			continue
		}
		target, ok := w.labels[toks[label].text]
		if ok && target < from {
			w.untake(target, from, fmt.Sprintf("between label %s and the goto at line %d that may jump back to it, a loop, which cannot be followed; write one call per rule, outside loops", toks[label].text, toks[k].pos.Line))
			continue
		}
		if !ok || target <= to || w.errorPath(to, target) {
			continue
		}
		w.poisonRange(to, target, fmt.Sprintf("jumped over by the goto at line %d when its condition holds", toks[k].pos.Line))
	}
}

// condExits handles the other ways out of a branch [from, to): a break
// or continue inside a do { } while (0) skips the calls after the branch
// up to the end of the do; a return in a function the entry calls skips
// the rest of that function; a seccomp_load there loads the filter
// without the calls after it, so those depend on the condition too.
func (w *walker) condExits(from, to int) {
	toks := w.p.toks
	poison := func(end int, reason string) { w.poisonRange(to, end, reason) }
	broke, returned := false, false
	for k := from; k < to; k++ {
		t := toks[k]
		switch {
		case t.is("seccomp_load") && k+1 < to && toks[k+1].is("(") && w.condLoad < 0:
			w.condLoad = k
		case t.is("for") || t.is("while") || t.is("switch") || t.is("do"):
			// A break inside a nested loop or switch leaves that one.
			if e := w.s.end(k, 0); e > k+1 && e <= to {
				k = e - 1
			}
		case (t.is("break") || t.is("continue")) && len(w.dos) > 0 && !broke:
			broke = true
			poison(w.dos[len(w.dos)-1], fmt.Sprintf("skipped by the %s at line %d when its condition holds", t.text, t.pos.Line))
		case t.is("return") && len(w.stack) > 1 && !returned:
			returned = true
			name := w.stack[len(w.stack)-1]
			w.condRet[name] = true
			poison(w.funcs[name].close, fmt.Sprintf("skipped by the return at line %d in %s when its condition holds", t.pos.Line, name))
		}
	}
}

// poisonRange gives the calls in [from, to) that have none the reason
// why they may not run. Each token is visited once over the whole walk.
func (w *walker) poisonRange(from, to int, reason string) {
	toks := w.p.toks
	for j := paintFind(w.poisNext, max(from, 0)); j+1 < to && j+1 < len(toks); j = paintFind(w.poisNext, j+1) {
		w.poisNext[j] = j + 1
		if toks[j].kind == cIdent && toks[j+1].is("(") {
			if _, seen := w.poison[j]; !seen {
				w.poison[j] = reason
			}
		}
	}
}

// paintFind returns the first index at or after i that next has not
// passed over, compressing the paths it follows.
func paintFind(next []int, i int) int {
	if i >= len(next) {
		return len(next) - 1
	}
	r := i
	for next[r] != r {
		r = next[r]
	}
	for next[i] != r {
		next[i], i = r, next[i]
	}
	return r
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
