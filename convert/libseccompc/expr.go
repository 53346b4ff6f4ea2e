package libseccompc

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

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

// cEval evaluates a C expression of integers with C's types and
// precedence. It serves three readers: the arguments of libseccomp's
// calls, strictly (what it cannot evaluate is an error, said through
// fail), and, leniently, the conditions of #if and the values of the
// statements the walk follows (what it cannot evaluate makes the value
// unknown).
type cEval struct {
	toks  []cTok
	i     int
	depth int
	what  string // the expression in messages: "errno", "condition value" …
	// fail reports what cannot be evaluated at token i; nil makes the
	// evaluation lenient.
	fail func(i int, format string, args ...any)
	// ident gives the value of a name that is not called; nil: unknown.
	ident func(e *cEval, i int) (cVal, bool)
	// call gives the value of a call of a name; nil: unknown. An
	// assignment's value is its right side where call is set (statements).
	call func(name string) (cVal, bool)
	err  bool // the expression cannot be read: its value is unknown
}

// eval evaluates an integer constant expression in a call's argument;
// what names it in messages ("condition value", "errno" …).
func (p *lscParser) eval(c lscCall, toks []cTok, what string) (cVal, bool) {
	if len(toks) == 0 {
		p.errorf(c.pos, "%s: missing %s", c.name, what)
		return cVal{}, false
	}
	e := &cEval{toks: toks, what: what, ident: constant}
	e.fail = func(i int, format string, args ...any) {
		at := c.pos
		if i < len(toks) {
			at = toks[i].pos
		} else if len(toks) > 0 {
			at = toks[len(toks)-1].pos
		}
		p.errorf(at, "%s: %s", c.name, fmt.Sprintf(format, args...))
	}
	v, _ := e.run()
	return v, !e.err
}

// evalLenient evaluates toks where what cannot be evaluated only makes
// the value unknown: an #if's condition (call nil), or a statement's
// value when its calls return what call says.
func evalLenient(toks []cTok, call func(name string) (cVal, bool)) (cVal, bool) {
	if len(toks) == 0 {
		return cVal{}, false
	}
	e := &cEval{toks: toks, call: call}
	return e.run()
}

// run evaluates the whole expression.
func (e *cEval) run() (cVal, bool) {
	v, known := e.binary(0)
	if !e.err && e.i < len(e.toks) {
		e.failf(e.i, "cannot follow %s %s", e.what, describe(e.toks))
	}
	if e.err {
		return cVal{}, false
	}
	return v, known
}

func (e *cEval) failf(i int, format string, args ...any) {
	if e.err {
		return
	}
	e.err = true
	if e.fail != nil {
		e.fail(i, format, args...)
	}
}

// Binary operators by precedence, loosest first.
var cBinaryLevels = [][]string{{"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">="}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"}}

func (e *cEval) binary(level int) (cVal, bool) {
	if level == len(cBinaryLevels) {
		return e.unary()
	}
	x, known := e.binary(level + 1)
	for !e.err && e.i < len(e.toks) && e.toks[e.i].kind == cPunct && contains(cBinaryLevels[level], e.toks[e.i].text) {
		opAt, op := e.i, e.toks[e.i].text
		e.i++
		y, yKnown := e.binary(level + 1)
		if e.err {
			return cVal{}, false
		}
		if known = known && yKnown; known {
			x = e.apply(opAt, op, x, y)
		}
	}
	return x, known
}

func truth(b bool) cVal {
	if b {
		return cVal{1, cInt}
	}
	return cVal{0, cInt}
}

func (e *cEval) apply(at int, op string, x, y cVal) cVal {
	switch op {
	case "<<", ">>":
		if y.neg() || y.v >= uint64(x.t.bits) {
			e.failf(at, "shift count %s is out of range for a %d-bit value", y, x.t.bits)
			return cVal{}
		}
		if op == "<<" {
			return cVal{norm(x.v<<y.v, x.t), x.t}
		}
		if x.t.unsigned {
			return cVal{x.v >> y.v, x.t}
		}
		return cVal{norm(uint64(int64(x.v)>>y.v), x.t), x.t}
	case "||":
		return truth(x.v != 0 || y.v != 0)
	case "&&":
		return truth(x.v != 0 && y.v != 0)
	}
	t := commonType(x.t, y.t)
	a, b := norm(x.v, t), norm(y.v, t)
	less := func(a, b uint64) bool {
		if t.unsigned {
			return a < b
		}
		return int64(a) < int64(b)
	}
	var r uint64
	switch op {
	case "==":
		return truth(a == b)
	case "!=":
		return truth(a != b)
	case "<":
		return truth(less(a, b))
	case ">":
		return truth(less(b, a))
	case "<=":
		return truth(!less(b, a))
	case ">=":
		return truth(!less(a, b))
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
			e.failf(at, "division by zero")
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

func (e *cEval) unary() (cVal, bool) {
	if e.i >= len(e.toks) {
		e.failf(e.i, "incomplete %s %s", e.what, describe(e.toks))
		return cVal{}, false
	}
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > 200 {
		e.failf(e.i, "%s nests too deeply", e.what)
		return cVal{}, false
	}
	t := e.toks[e.i]
	switch {
	case t.is("-"), t.is("+"), t.is("~"), t.is("!"):
		e.i++
		x, known := e.unary()
		if e.err {
			return cVal{}, false
		}
		switch t.text {
		case "-":
			return cVal{norm(-x.v, x.t), x.t}, known
		case "~":
			return cVal{norm(^x.v, x.t), x.t}, known
		case "!":
			return truth(x.v == 0), known
		}
		return x, known
	case t.is("("):
		close := e.match(e.i)
		if close >= len(e.toks) {
			e.failf(e.i, "unbalanced parentheses in %s", e.what)
			return cVal{}, false
		}
		if bits, uns, ok := castType(e.toks[e.i+1 : close]); ok {
			e.i = close + 1
			x, known := e.unary()
			if e.err {
				return cVal{}, false
			}
			v := x.v
			if bits < 64 {
				v &= 1<<bits - 1
				if !uns && v&(1<<(bits-1)) != 0 {
					v |= ^uint64(0) << bits
				}
			}
			if bits < 32 { // promoted to int
				return cVal{v, cInt}, known
			}
			t := cType{bits, uns}
			return cVal{norm(v, t), t}, known
		}
		e.i++
		x, known := e.binary(0)
		if e.err {
			return cVal{}, false
		}
		if e.i != close {
			e.failf(e.i, "cannot follow %s %s", e.what, describe(e.toks))
			return cVal{}, false
		}
		e.i++
		return x, known
	case t.kind == cNumber:
		e.i++
		v, msg := parseCInt(t.text)
		if msg != "" {
			e.failf(e.i-1, "%s: %s", e.what, msg)
		}
		return v, true
	case t.kind == cChar:
		e.i++
		v, ok := parseCChar(t.text)
		if !ok {
			e.failf(e.i-1, "cannot follow character constant %s", t.text)
		}
		return v, true
	case t.kind == cIdent && e.call != nil && e.i+1 < len(e.toks) && e.toks[e.i+1].is("="):
		e.i += 2 // an assignment: its value is its right side
		return e.binary(0)
	case t.kind == cIdent && e.i+1 < len(e.toks) && e.toks[e.i+1].is("("):
		if e.call == nil {
			e.failf(e.i, "cannot follow %s %s", e.what, describe(e.toks))
			return cVal{}, false
		}
		e.i = e.match(e.i+1) + 1
		return e.call(t.text)
	case t.kind == cIdent && e.ident != nil:
		return e.ident(e, e.i)
	}
	e.failf(e.i, "cannot follow %s %s", e.what, describe(e.toks))
	return cVal{}, false
}

// match returns the index of the ")" that closes the "(" at open, or
// len(toks) when none does.
func (e *cEval) match(open int) int {
	depth := 0
	for k := open; k < len(e.toks); k++ {
		if e.toks[k].is("(") {
			depth++
		} else if e.toks[k].is(")") {
			if depth--; depth == 0 {
				return k
			}
		}
	}
	return len(e.toks)
}

// constant is the value of a named constant in a call's argument: one of
// the C library's, of the syscall tables, or an errno name.
func constant(e *cEval, i int) (cVal, bool) {
	t := e.toks[i]
	e.i++
	if v, ok := libcConstants[t.text]; ok {
		return v, true
	}
	if v, ok := syscalls.Constant(t.text); ok {
		return cVal{v, typeFor(v)}, true
	}
	if len(t.text) > 1 && t.text[0] == 'E' && !looksLikeVariable(t.text) {
		if n, err := syscalls.ParseErrno(t.text); err == nil {
			return cVal{uint64(n), cInt}, true
		}
	}
	if looksLikeVariable(t.text) {
		e.failf(i, "cannot follow %s %q (a variable); write a number, a named constant or a #define", e.what, t.text)
	} else {
		e.failf(i, "unknown constant %q in %s; #define it in this file or write the number", t.text, e.what)
	}
	return cVal{}, false
}
