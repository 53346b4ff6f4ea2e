package tree

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Doc is a JSON document that is edited in place: Bytes writes every value
// no edit touched byte for byte as it was read — its indentation, line
// endings, key order, escapes and number spelling — and lays out what an
// edit added in the style of its neighbours.
type Doc struct {
	Root *Node
	src  []byte
	nl   string // the document's line ending
	unit string // one level of indentation; "" for a one-line document
}

// ParseDoc reads a JSON document for editing.
func ParseDoc(src []byte) (*Doc, error) {
	root, err := ParseJSON(src)
	if err != nil {
		return nil, err
	}
	d := &Doc{Root: root, src: src, nl: "\n"}
	if bytes.Contains(src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	d.unit = d.indentUnit()
	mark(root, d)
	return d, nil
}

// Src returns the bytes the document was read from.
func (d *Doc) Src() []byte { return d.src }

func mark(n *Node, d *Doc) {
	n.doc = d
	for i := range n.Members {
		n.Members[i].doc = d
		mark(n.Members[i].Val, d)
	}
	for _, e := range n.Elems {
		mark(e, d)
	}
}

// indentUnit is the indentation of the first value nested in the root,
// when the root opens at the start of its line.
func (d *Doc) indentUnit() string {
	var first *Node
	var off int
	switch {
	case len(d.Root.Members) > 0:
		off = d.Root.Members[0].Off
	case len(d.Root.Elems) > 0:
		first = d.Root.Elems[0]
		off = first.Off
	default:
		return "\t"
	}
	gap := d.src[d.Root.Off+1 : off]
	i := bytes.LastIndexByte(gap, '\n')
	if i < 0 {
		return ""
	}
	return string(gap[i+1:])
}

// Set replaces the value of an object's key, or appends the key.
func (n *Node) Set(key string, v *Node) {
	n.edited = true
	for i, m := range n.Members {
		if m.Key == key {
			n.Members[i].Val = v
			return
		}
	}
	n.Members = append(n.Members, Member{Key: key, Val: v})
}

// Insert puts a key at position i of an object's keys.
func (n *Node) Insert(i int, key string, v *Node) {
	n.edited = true
	n.Members = append(n.Members[:i], append([]Member{{Key: key, Val: v}}, n.Members[i:]...)...)
}

// Remove deletes an object's key, reporting whether it was there.
func (n *Node) Remove(key string) bool {
	for i, m := range n.Members {
		if m.Key == key {
			n.edited = true
			n.Members = append(n.Members[:i], n.Members[i+1:]...)
			return true
		}
	}
	return false
}

// SetElems replaces a list's elements.
func (n *Node) SetElems(elems []*Node) {
	n.edited = true
	n.Elems = elems
}

// changed reports whether an edit touched n or a value inside it.
func (n *Node) changed(d *Doc) bool {
	if n.doc != d || n.edited {
		return true
	}
	for _, m := range n.Members {
		if m.Val.changed(d) {
			return true
		}
	}
	for _, e := range n.Elems {
		if e.changed(d) {
			return true
		}
	}
	return false
}

// Bytes returns the document with its edits.
func (d *Doc) Bytes() []byte {
	var b bytes.Buffer
	b.Write(d.src[:d.Root.Off])
	d.write(&b, d.Root, d.lineIndent(d.Root.Off))
	b.Write(d.src[d.Root.End:])
	return b.Bytes()
}

// Compact returns a value as compact JSON, for decoding and comparing.
func (d *Doc) Compact(n *Node) []byte {
	var b bytes.Buffer
	d.write(&b, n, "")
	var out bytes.Buffer
	if err := json.Compact(&out, b.Bytes()); err != nil {
		panic("tree: a document that was valid JSON no longer is: " + err.Error())
	}
	return out.Bytes()
}

// lineIndent is the white space that starts the line holding off.
func (d *Doc) lineIndent(off int) string {
	start := bytes.LastIndexByte(d.src[:off], '\n') + 1
	end := start
	for end < off && (d.src[end] == ' ' || d.src[end] == '\t') {
		end++
	}
	return string(d.src[start:end])
}

// write appends n; indent is the indentation of the line n starts on.
func (d *Doc) write(b *bytes.Buffer, n *Node, indent string) {
	if !n.changed(d) {
		b.Write(d.src[n.Off:n.End])
		return
	}
	if n.doc != d || (n.Kind != Object && n.Kind != Array) {
		d.fresh(b, n, indent)
		return
	}
	// An object or list read from the document, with edits inside: keep
	// the white space around each entry read, and give entries an edit
	// added the white space of a neighbour.
	open, close := byte('{'), byte('}')
	count := len(n.Members)
	if n.Kind == Array {
		open, close, count = '[', ']', len(n.Elems)
	}
	inner := indent + d.unit
	sep := d.nl + inner // before an entry, when no neighbour says otherwise
	if d.unit == "" {
		sep = ""
	}
	b.WriteByte(open)
	lastEnd := n.Off + 1 // the end of the last entry read from the document
	for i := 0; i < count; i++ {
		own := d.own(n, i)
		var off, end int
		var val *Node
		if n.Kind == Object {
			m := n.Members[i]
			off, end, val = m.Off, m.ValEnd, m.Val
		} else {
			val = n.Elems[i]
			off, end = val.Off, val.End
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if own {
			ws := string(d.src[lastEnd:off])
			ws = ws[strings.LastIndexByte(ws, ',')+1:]
			b.WriteString(ws)
			sep = ws
			if j := strings.LastIndexByte(ws, '\n'); j >= 0 {
				inner = ws[j+1:]
			}
		} else {
			b.WriteString(sep)
		}
		if n.Kind == Object {
			m := n.Members[i]
			if own {
				b.Write(d.src[m.Off:m.KeyEnd])
				b.WriteString(d.colon(m))
			} else {
				k, _ := marshal(m.Key)
				b.Write(k)
				b.WriteString(d.colon(Member{}))
			}
		}
		d.write(b, val, inner)
		if own {
			lastEnd = end
		}
	}
	// The white space before the closing bracket, as read.
	tail := string(d.src[lastEnd : n.End-1])
	tail = tail[len(strings.TrimRight(tail, " \t\r\n")):]
	if lastEnd == n.Off+1 && count > 0 && d.unit != "" {
		tail = d.nl + indent // an empty object that an edit filled
	}
	b.WriteString(tail)
	b.WriteByte(close)
}

// own reports whether entry i of n is one read from the document at the
// place it has now (its text lies inside n's).
func (d *Doc) own(n *Node, i int) bool {
	var off int
	if n.Kind == Object {
		if n.Members[i].doc != d {
			return false
		}
		off = n.Members[i].Off
	} else {
		if n.Elems[i].doc != d {
			return false
		}
		off = n.Elems[i].Off
	}
	return off > n.Off && off < n.End
}

// colon is what separates a key from its value: as m was written, else as
// the document's first key was.
func (d *Doc) colon(m Member) string {
	if m.doc == d {
		return d.between(m)
	}
	if r := d.Root; len(r.Members) > 0 && r.Members[0].doc == d {
		return d.between(r.Members[0])
	}
	if d.unit == "" {
		return ":"
	}
	return ": "
}

// fresh writes a value an edit added, laid out as encoding/json indents,
// with the document's indentation and line endings.
func (d *Doc) fresh(b *bytes.Buffer, n *Node, indent string) {
	var compact bytes.Buffer
	encode(&compact, n, d)
	if d.unit == "" {
		b.Write(compact.Bytes())
		return
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), indent, d.unit); err != nil {
		panic("tree: indenting a value that is not JSON: " + err.Error())
	}
	if d.nl != "\n" {
		b.WriteString(strings.ReplaceAll(out.String(), "\n", d.nl))
		return
	}
	b.Write(out.Bytes())
}

// encode appends n as compact JSON: the document's own text for values
// read from it, and encoding/json's for the rest.
func encode(b *bytes.Buffer, n *Node, d *Doc) {
	if n.doc == d && d != nil && !n.changed(d) {
		var c bytes.Buffer
		if json.Compact(&c, d.src[n.Off:n.End]) == nil {
			b.Write(c.Bytes())
			return
		}
	}
	switch n.Kind {
	case Object:
		b.WriteByte('{')
		for i, m := range n.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := marshal(m.Key)
			b.Write(k)
			b.WriteByte(':')
			encode(b, m.Val, d)
		}
		b.WriteByte('}')
	case Array:
		b.WriteByte('[')
		for i, e := range n.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			encode(b, e, d)
		}
		b.WriteByte(']')
	case String:
		s, _ := marshal(n.Text)
		b.Write(s)
	case Number, Bool:
		b.WriteString(n.Text)
	default:
		b.WriteString("null")
	}
}

// marshal encodes v as runc spec does: without HTML escapes.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Of turns a Go value into a tree, through encoding/json without HTML
// escaping (as runc spec writes).
func Of(v any) (*Node, error) {
	b, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return ParseJSON(b)
}

// between is the colon and white space after a key read from the
// document, up to where its value started.
func (d *Doc) between(m Member) string {
	i := m.KeyEnd
	for i < len(d.src) && d.src[i] != ':' {
		i++
	}
	j := i + 1
	for j < len(d.src) && (d.src[j] == ' ' || d.src[j] == '\t' || d.src[j] == '\r' || d.src[j] == '\n') {
		j++
	}
	return string(d.src[m.KeyEnd:j])
}
