package libseccompc

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Tokens of C source.

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

var cPuncts = []string{"%:%:", "<<=", ">>=", "...", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++", "--", "##",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<:", ":>", "<%", "%>", "%:"}

// Limits on C source, far above a real program that builds a filter (a
// few thousand tokens), which keep the reader's time and memory linear
// and small for any input.
const (
	maxTokens  = 200_000
	maxNesting = 256
)

// splice joins the lines a backslash continues, as the compiler does
// before it splits tokens, so that "seccomp_rule\<newline>_add" is one
// name and "i\<newline>f" the keyword. Like gcc and clang it takes white
// space between the backslash and the newline. at lists, in order, the
// offsets in the result where a line was joined.
func splice(src []byte) (out []byte, at []int) {
	if bytes.IndexByte(src, '\\') < 0 {
		return src, nil
	}
	out = make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' {
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\f' || src[j] == '\v') {
				j++
			}
			if j < len(src) && src[j] == '\n' {
				at = append(at, len(out))
				i = j
				continue
			}
		}
		out = append(out, src[i])
	}
	return out, at
}

// trigraph finds a trigraph (??< for {, ??/ for a backslash …), which
// compilers replace in ISO modes and keep in GNU modes: the same file then
// holds other tokens, so the reader refuses it.
func trigraph(src []byte) (rules.Pos, string, bool) {
	line, col := 1, 1
	for i := 0; i+2 < len(src); i++ {
		if src[i] == '?' && src[i+1] == '?' && strings.IndexByte("=(/)'<!>-", src[i+2]) >= 0 {
			return rules.Pos{Line: line, Col: col}, string(src[i : i+3]), true
		}
		if src[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return rules.Pos{}, "", false
}

// digraphs are C's alternative spellings of brackets and #, which every
// compiler reads as the tokens they stand for.
var digraphs = map[string]string{"<:": "[", ":>": "]", "<%": "{", "%>": "}", "%:": "#", "%:%:": "##"}

// lex splits C source into tokens. Comments become white space, a
// backslash-newline joins lines, and every token knows whether it starts a
// line, which is how the preprocessor finds its directives.
func (p *lscParser) lex(orig []byte) []cTok {
	if at, tri, ok := trigraph(orig); ok {
		p.errorf(at, "trigraph %s: compilers read it as another character in ISO modes and leave it in GNU modes, so the program's tokens are not certain; write the character itself", tri)
		return nil
	}
	src, splices := splice(orig)
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
			for len(splices) > 0 && splices[0] == i {
				line, col = line+1, 1
				splices = splices[1:]
			}
		}
	}
	bol, space := true, false
	depth := 0
	for i < len(src) {
		if len(toks) >= maxTokens {
			p.errorf(rules.Pos{Line: line, Col: col}, "more than %d tokens: not a program this reader follows", maxTokens)
			return nil
		}
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
				if strings.HasPrefix(string(src[i:min(i+4, len(src))]), op) {
					n = len(op)
					break
				}
			}
			adv(n)
			if d, ok := digraphs[string(src[start:i])]; ok {
				text = d
			}
		}
		if text == "" {
			text = string(src[start:i])
		}
		if kind == cPunct {
			switch text {
			case "(", "[", "{":
				if depth++; depth > maxNesting {
					p.errorf(at, "brackets nested deeper than %d levels", maxNesting)
					return nil
				}
			case ")", "]", "}":
				depth = max(depth-1, 0)
			}
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
