package tree

import "strings"

// ScanYAML bounds a YAML document before a YAML parser sees it. The
// parser's memory grows with the square of the nesting depth (100,000
// nested "[" took 15 GB), so the depth is measured here in one linear pass
// over the bytes: flow collections ("[", "{") opened outside quotes and
// comments, plus block levels (deeper indentation, and "- " entries that
// open a sequence on the same line, "? " explicit keys likewise). It also
// refuses more than MaxValues entries ("- ", "? ", "key: ", flow commas,
// and the nodes the parser allocates without a value of their own: tags,
// anchors, aliases, document markers and directives), which bounds the
// parser's time and memory for large flat documents, as does a limit on
// the size. The count can only err on the side of more: text that looks
// like a collection inside a plain scalar counts.
func ScanYAML(data []byte) error {
	if len(data) > MaxYAMLSize {
		return tooLarge()
	}
	s := yamlScan{data: data}
	return s.run()
}

type yamlScan struct {
	data    []byte
	flow    []int // offsets of open flow collections
	indents []int // indentation of open block levels
	values  int
	docs    int
}

func (s *yamlScan) err(off int, e func(Pos, int) *Error) error {
	return e(PosOf(s.data, off), off)
}

func (s *yamlScan) run() error {
	data := s.data
	lineStart := true
	prev := byte('\n') // the last byte that was not a space or tab
	for i := 0; i < len(data); i++ {
		c := data[i]
		if lineStart {
			lineStart = false
			ind := 0
			for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
				ind++
				i++
			}
			if i >= len(data) {
				break
			}
			c = data[i]
			if len(s.flow) == 0 && c != '\n' && c != '\r' && c != '#' {
				for len(s.indents) > 0 && s.indents[len(s.indents)-1] >= ind {
					s.indents = s.indents[:len(s.indents)-1]
				}
				s.indents = append(s.indents, ind)
				// "- - - x" opens a sequence per dash on one line, "? ? x"
				// a mapping per explicit key.
				for j := i; j+1 < len(data) && (data[j] == '-' || data[j] == '?') && (data[j+1] == ' ' || data[j+1] == '\t'); {
					s.indents = append(s.indents, ind+j-i+2)
					if s.values++; s.values > MaxValues {
						return s.err(j, tooMany)
					}
					for j += 2; j < len(data) && (data[j] == ' ' || data[j] == '\t'); j++ {
					}
				}
				if len(s.indents)-1 > MaxDepth {
					return s.err(i, tooDeep)
				}
			}
			prev = '\n'
			// A document marker or a directive starts a document.
			start := hasMarker(data[i:], "---")
			if c == '%' || start || hasMarker(data[i:], "...") {
				if s.values++; s.values > MaxValues {
					return s.err(i, tooMany)
				}
			}
			if start {
				if s.docs++; s.docs > MaxDocuments {
					return s.err(i, tooManyDocs)
				}
			}
		}
		switch c {
		case '\n':
			lineStart = true
		case '#':
			if i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || prev == '\n' {
				for i < len(data) && data[i] != '\n' {
					i++
				}
				lineStart = true
			}
		case '"', '\'':
			if prev == '\n' || prev == '[' || prev == '{' || prev == ',' || prev == ':' || prev == '-' || prev == '?' {
				i = s.skipQuoted(i)
			}
		case '[', '{':
			s.flow = append(s.flow, i)
			if len(s.flow)+max(len(s.indents)-1, 0) > MaxDepth {
				return s.err(i, tooDeep)
			}
			if s.values++; s.values > MaxValues {
				return s.err(i, tooMany)
			}
		case ']', '}':
			if len(s.flow) > 0 {
				s.flow = s.flow[:len(s.flow)-1]
			}
		case ',':
			if s.values++; s.values > MaxValues {
				return s.err(i, tooMany)
			}
		case '!', '&', '*', '?':
			// A tag, an anchor, an alias or an explicit key, where a
			// token starts.
			if i == 0 || strings.IndexByte(" \t\n\r[{,", data[i-1]) >= 0 {
				if s.values++; s.values > MaxValues {
					return s.err(i, tooMany)
				}
			}
		case ':':
			if i+1 >= len(data) || data[i+1] == ' ' || data[i+1] == '\n' || data[i+1] == '\r' || data[i+1] == '\t' {
				if s.values++; s.values > MaxValues {
					return s.err(i, tooMany)
				}
			}
		}
		if c != ' ' && c != '\t' {
			prev = c
		}
	}
	return nil
}

// hasMarker reports whether b starts with a document marker m followed by
// white space or the end.
func hasMarker(b []byte, m string) bool {
	return len(b) >= 3 && string(b[:3]) == m && (len(b) == 3 || strings.IndexByte(" \t\r\n", b[3]) >= 0)
}

// skipQuoted returns the offset of the quote that closes the scalar
// opened at i, or the end of the data.
func (s *yamlScan) skipQuoted(i int) int {
	data, q := s.data, s.data[i]
	for j := i + 1; j < len(data); j++ {
		switch {
		case q == '"' && data[j] == '\\':
			j++
		case data[j] == q:
			if q == '\'' && j+1 < len(data) && data[j+1] == '\'' {
				j++ // '' is a quote inside single quotes
				continue
			}
			return j
		}
	}
	return len(data)
}
