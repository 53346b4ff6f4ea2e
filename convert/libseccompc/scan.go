package libseccompc

// Statement structure: matching brackets, and where each statement ends.

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
	p.scanner = s
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
