package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// An ordered JSON tree that keeps every token as it was written: keys in
// their order and with their escapes, numbers as text (so a uint64 survives
// bit for bit, where a float64 would round it). Only the layout changes
// when a tree is written back; values that were not edited come out
// token for token.

type nodeKind int

const (
	kindScalar nodeKind = iota // string, number, true, false, null
	kindObject
	kindArray
)

// node is one JSON value.
type node struct {
	kind    nodeKind
	raw     []byte // a scalar's token as written
	null    bool   // the scalar is null
	members []member
	elems   []*node
}

// member is one key of an object.
type member struct {
	key    string // decoded
	rawKey []byte // the quoted key as written
	off    int    // where the key was written; 0 for keys set by an edit
	val    *node
}

// SyntaxError is JSON that runc would not read, or would read differently
// than its text says; Offset is the byte where the problem starts.
type SyntaxError struct {
	Line, Col int
	Offset    int
	Msg       string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.pos(), e.Msg) }

func (e *SyntaxError) pos() string { return fmt.Sprintf("%d:%d", e.Line, e.Col) }

// parseTree reads exactly one JSON value, refusing duplicate keys (Go's
// decoder keeps the last one silently) and anything after the value.
func parseTree(data []byte) (*node, error) {
	p := &treeParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	n, err := p.value()
	if err == nil {
		off := p.start()
		if _, err := p.dec.Token(); err != io.EOF {
			return nil, p.errAt(off, "unexpected data after the JSON object")
		}
		return n, nil
	}
	var se *json.SyntaxError
	var pe *SyntaxError
	switch {
	case errors.As(err, &pe):
		return nil, pe
	case errors.As(err, &se):
		return nil, p.errAt(int(se.Offset), "malformed JSON: "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, p.errAt(0, "the file is empty")
		}
		return nil, p.errAt(len(data), "malformed JSON: unexpected end of input")
	}
	return nil, p.errAt(int(p.dec.InputOffset()), "malformed JSON: "+err.Error())
}

type treeParser struct {
	data []byte
	dec  *json.Decoder
}

func (p *treeParser) errAt(off int, msg string) *SyntaxError {
	off = min(max(off, 0), len(p.data))
	line := 1 + bytes.Count(p.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(p.data[:off], '\n')
	return &SyntaxError{Line: line, Col: col, Offset: off, Msg: msg}
}

// start returns the offset where the next token begins: the decoder's
// offset is after the previous token, before separators.
func (p *treeParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *treeParser) value() (*node, error) {
	off := p.start()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		n := &node{kind: kindObject}
		seen := map[string]int{}
		for p.dec.More() {
			koff := p.start()
			k, err := p.dec.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string)
			if first, dup := seen[key]; dup {
				return nil, p.errAt(koff, fmt.Sprintf("duplicate key %q (first at %s): runc's decoder keeps the last one", key, p.errAt(first, "").pos()))
			}
			seen[key] = koff
			rawKey := bytes.Clone(p.data[koff:p.dec.InputOffset()])
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{key: key, rawKey: rawKey, off: koff, val: v})
		}
		_, err := p.dec.Token() // '}'
		return n, err
	case json.Delim('['):
		n := &node{kind: kindArray}
		for p.dec.More() {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		_, err := p.dec.Token() // ']'
		return n, err
	}
	return &node{kind: kindScalar, raw: bytes.Clone(p.data[off:p.dec.InputOffset()]), null: tok == nil}, nil
}

// encode appends the tree as compact JSON.
func (n *node) encode(b *bytes.Buffer) {
	switch n.kind {
	case kindScalar:
		b.Write(n.raw)
	case kindObject:
		b.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(m.rawKey)
			b.WriteByte(':')
			m.val.encode(b)
		}
		b.WriteByte('}')
	case kindArray:
		b.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			e.encode(b)
		}
		b.WriteByte(']')
	}
}

// indented returns the tree the way `runc spec` writes config.json:
// tab-indented, and with a trailing newline when newline is set (runc
// spec itself writes none). json.Indent changes only the space between
// tokens, never a token.
func (n *node) indented(newline bool) []byte {
	var compact, out bytes.Buffer
	n.encode(&compact)
	if err := json.Indent(&out, compact.Bytes(), "", "\t"); err != nil {
		panic("oci: indenting a tree that was valid JSON: " + err.Error())
	}
	if newline {
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// treeOf turns a Go value into a tree, through encoding/json without
// HTML escaping (as runc spec writes).
func treeOf(v any) (*node, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return parseTree(b.Bytes())
}

// get returns the value of an object's key, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// set replaces the value of key, or appends the key.
func (n *node) set(key string, v *node) {
	for i, m := range n.members {
		if m.key == key {
			n.members[i].val = v
			return
		}
	}
	raw, _ := json.Marshal(key)
	n.members = append(n.members, member{key: key, rawKey: raw, val: v})
}

// remove deletes key, reporting whether it was there.
func (n *node) remove(key string) bool {
	for i, m := range n.members {
		if m.key == key {
			n.members = append(n.members[:i], n.members[i+1:]...)
			return true
		}
	}
	return false
}
