package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Decoding JSON and YAML into a tree with positions, which the readers
// check with treeDecoder so every error names its line and column.

type valueKind int

const (
	valNull valueKind = iota
	valObject
	valArray
	valString
	valNumber
	valBool
)

var valueKindNames = [...]string{valNull: "null", valObject: "an object", valArray: "a list", valString: "a string", valNumber: "a number", valBool: "a boolean"}

// valueNode is one value of a JSON or YAML document and where it was written.
type valueNode struct {
	pos     rules.Pos
	kind    valueKind
	text    string // strings and numbers as written
	yaml    bool   // numbers follow YAML's syntax (0x…) rather than JSON's
	members []valueMember
	elems   []*valueNode
}

type valueMember struct {
	key string
	pos rules.Pos
	val *valueNode
}

// parseJSON reads one JSON value into a tree. Numbers are kept as text, so
// 64-bit values are never rounded through float64.
func parseJSON(name string, data []byte) (*valueNode, error) {
	p := &jsonParser{data: data, lines: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	posErr := func(off int64, msg string) error {
		return &rules.Error{File: name, Pos: p.lines.pos(min(int(off), len(data))), Msg: msg}
	}
	n, err := p.value()
	if err == nil {
		if _, err2 := p.dec.Token(); err2 != io.EOF {
			start := p.start()
			return nil, posErr(int64(start), "unexpected data after the profile")
		}
		return n, nil
	}
	var se *json.SyntaxError
	var de *dupKeyError
	switch {
	case errors.As(err, &se):
		// Offset counts the bytes before the offending character.
		return nil, posErr(se.Offset, "malformed JSON: "+se.Error())
	case errors.As(err, &de):
		return nil, posErr(int64(de.off), de.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if len(strings.TrimSpace(string(data))) == 0 {
			return nil, posErr(0, "the file is empty")
		}
		return nil, posErr(int64(len(data)), "malformed JSON: unexpected end of input")
	}
	return nil, posErr(p.dec.InputOffset(), "malformed JSON: "+err.Error())
}

type jsonParser struct {
	data  []byte
	lines lineIndex
	dec   *json.Decoder
}

type dupKeyError struct {
	key       string
	off       int
	firstLine int
}

func (e *dupKeyError) Error() string {
	return fmt.Sprintf("duplicate key %q (first given on line %d)", e.key, e.firstLine)
}

// start returns the offset where the next token begins.
func (p *jsonParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *jsonParser) value() (*valueNode, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	return p.build(tok, off)
}

func (p *jsonParser) build(tok json.Token, off int) (*valueNode, error) {
	n := &valueNode{pos: p.lines.pos(off)}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = valObject
			seen := map[string]int{}
			for p.dec.More() {
				koff := p.start()
				k, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key := k.(string)
				if first, dup := seen[key]; dup {
					return nil, &dupKeyError{key: key, off: koff, firstLine: p.lines.pos(first).Line}
				}
				seen[key] = koff
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, valueMember{key: key, pos: p.lines.pos(koff), val: v})
			}
		case '[':
			n.kind = valArray
			for p.dec.More() {
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
		}
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.text = valString, t
	case json.Number:
		n.kind, n.text = valNumber, string(t)
	case bool:
		n.kind, n.text = valBool, strconv.FormatBool(t)
	case nil:
		n.kind = valNull
	}
	return n, nil
}

// lineIndex turns byte offsets into 1-based lines and columns (columns in
// bytes, as go/scanner counts them).
type lineIndex []int // offsets where lines start

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) pos(off int) rules.Pos {
	line := sort.Search(len(idx), func(i int) bool { return idx[i] > off }) // 1-based
	return rules.Pos{Line: line, Col: off - idx[line-1] + 1}
}

// treeDecoder checks the shape of a tree and collects positioned errors.
type treeDecoder struct {
	file string
	errs rules.ErrorList
}

func (d *treeDecoder) errorf(at rules.Pos, format string, args ...any) {
	d.errs = append(d.errs, &rules.Error{File: d.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

func (d *treeDecoder) typeErr(n *valueNode, what, want string) {
	d.errorf(n.pos, "%s must be %s, not %s", what, want, valueKindNames[n.kind])
}

// members returns an object's members, reporting keys not in known with a
// suggestion. null reads as an empty object.
func (d *treeDecoder) members(n *valueNode, what string, known []string) []valueMember {
	switch n.kind {
	case valNull:
		return nil
	case valObject:
	default:
		d.typeErr(n, what, "an object")
		return nil
	}
	out := n.members[:0:0]
	for _, m := range n.members {
		if slices.Contains(known, m.key) {
			out = append(out, m)
			continue
		}
		d.errorf(m.pos, "%v", suggest.UnknownKey(m.key, what, known))
	}
	return out
}

// list returns an array's elements; null reads as an empty list.
func (d *treeDecoder) list(n *valueNode, what string) []*valueNode {
	switch n.kind {
	case valNull:
		return nil
	case valArray:
		return n.elems
	}
	d.typeErr(n, what, "a list")
	return nil
}

func (d *treeDecoder) str(n *valueNode, what string) (string, bool) {
	if n.kind == valString {
		return n.text, true
	}
	if n.kind != valNull {
		d.typeErr(n, what, "a string")
	}
	return "", false
}

// strList decodes a list of strings, recording each one's position under
// path[i].
func (d *treeDecoder) strList(n *valueNode, path string, pos map[string]rules.Pos) []string {
	pos[path] = n.pos
	var out []string
	for i, e := range d.list(n, path) {
		p := fmt.Sprintf("%s[%d]", path, i)
		pos[p] = e.pos
		if s, ok := d.str(e, p); ok {
			out = append(out, s)
		} else if e.kind == valNull {
			d.typeErr(e, p, "a string")
		}
	}
	return out
}

// uint decodes a non-negative integer up to max, exactly.
func (d *treeDecoder) uint(n *valueNode, what string, max uint64) (uint64, bool) {
	if n.kind != valNumber {
		d.typeErr(n, what, "a non-negative integer")
		return 0, false
	}
	base := 10
	if n.yaml {
		base = 0
	}
	v, err := strconv.ParseUint(n.text, base, 64)
	if err != nil || v > max {
		switch {
		case strings.HasPrefix(n.text, "-"):
			d.errorf(n.pos, "%s must not be negative (%s)", what, n.text)
		case errors.Is(err, strconv.ErrRange) || err == nil:
			d.errorf(n.pos, "%s %s is too large (at most %d)", what, n.text, max)
		default:
			d.errorf(n.pos, "%s must be a non-negative integer, not %s", what, n.text)
		}
		return 0, false
	}
	return v, true
}
