package tree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ParseJSON reads exactly one JSON value. It refuses duplicate keys (Go's
// decoder, and so runc's, silently keeps the last one), anything after the
// value, and documents beyond MaxDepth or MaxValues. Errors are *Error.
func ParseJSON(data []byte) (*Node, error) {
	p := &jsonParser{data: data, lines: newLines(data), dec: json.NewDecoder(bytes.NewReader(data))}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		// Go's decoder, and so runc, read it as a stray character.
		return nil, p.errAt(0, "a byte order mark (EF BB BF) before the JSON, which runc refuses: save the file without it")
	}
	p.dec.UseNumber()
	n, err := p.value(1)
	if err == nil {
		off := p.start()
		if _, err := p.dec.Token(); err != io.EOF {
			return nil, p.errAt(off, "unexpected data after the profile")
		}
		return n, nil
	}
	var se *json.SyntaxError
	var te *Error
	switch {
	case errors.As(err, &te):
		return nil, te
	case errors.As(err, &se):
		// A Decoder's Offset is sometimes after the offending character
		// and sometimes before it (the first token, a literal);
		// Unmarshal's scanner counts it always: the character is its last.
		var raw json.RawMessage
		if errors.As(json.Unmarshal(data, &raw), &se) && se.Offset > 0 {
			return nil, p.errAt(int(se.Offset)-1, "malformed JSON: "+se.Error())
		}
		return nil, p.errAt(int(se.Offset), "malformed JSON: "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, p.errAt(0, "the file is empty")
		}
		return nil, p.errAt(len(data), "malformed JSON: unexpected end of input")
	}
	return nil, p.errAt(int(p.dec.InputOffset()), "malformed JSON: "+err.Error())
}

type jsonParser struct {
	data   []byte
	lines  lines
	dec    *json.Decoder
	values int
}

func (p *jsonParser) errAt(off int, msg string) *Error {
	off = min(max(off, 0), len(p.data))
	return &Error{Pos: p.lines.pos(off), Offset: off, Msg: msg}
}

// start returns the offset where the next token begins: the decoder's
// offset is after the previous token, before separators.
func (p *jsonParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) value(depth int) (*Node, error) {
	off := p.start()
	if p.values++; p.values > MaxValues {
		return nil, tooMany(p.lines.pos(off), off)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &Node{Pos: p.lines.pos(off), Off: off}
	switch t := tok.(type) {
	case json.Delim:
		if depth > MaxDepth {
			return nil, tooDeep(n.Pos, off)
		}
		if t == '{' {
			n.Kind = Object
			seen := map[string]int{}
			for p.dec.More() {
				koff := p.start()
				k, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key := k.(string)
				if first, dup := seen[key]; dup {
					e := p.errAt(koff, fmt.Sprintf("duplicate key %q (first given on line %d)", key, p.lines.pos(first).Line))
					e.First = p.lines.pos(first)
					return nil, e
				}
				seen[key] = koff
				kend := int(p.dec.InputOffset())
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Members = append(n.Members, Member{Key: key, Pos: p.lines.pos(koff), Off: koff, KeyEnd: kend, ValEnd: v.End, Val: v})
			}
		} else {
			n.Kind = Array
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Elems = append(n.Elems, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Text = String, t
	case json.Number:
		n.Kind, n.Text = Number, string(t)
	case bool:
		n.Kind, n.Text = Bool, strconv.FormatBool(t)
	case nil:
		n.Kind = Null
	}
	n.End = int(p.dec.InputOffset())
	return n, nil
}
