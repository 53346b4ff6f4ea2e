package tree

import (
	"fmt"
	"sort"

	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Limits on a document. Real profiles and config.json files nest less
// than ten levels and hold a few thousand values (Docker's default profile
// about 2,000); the limits leave ten times that and more, while keeping
// any input of oci-sbx's 16 MiB limit to well under a second and 256 MiB.
// The YAML parser needs about 30 bytes of memory per byte it reads, so a
// YAML document also has a size limit, far above any real profile's.
// The parser's time also grows with the square of the number of documents
// in a stream (12,000 short documents took 3 s), and a profile is one
// document (a few for a list of resources).
const (
	MaxDepth     = 100
	MaxValues    = 50_000
	MaxYAMLSize  = 2 << 20
	MaxDocuments = 64
)

// Kind is the type of a value.
type Kind int

const (
	Null Kind = iota
	Object
	Array
	String
	Number
	Bool
)

var kindNames = [...]string{Null: "null", Object: "an object", Array: "a list", String: "a string", Number: "a number", Bool: "a boolean"}

// String names the kind with its article, for messages: "an object".
func (k Kind) String() string { return kindNames[k] }

// Pos is a 1-based line and column (columns in bytes, as go/scanner
// counts them). The zero Pos means "unknown".
type Pos struct {
	Line, Col int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Node is one value of a document.
type Node struct {
	Kind    Kind
	Pos     Pos
	Off     int    // offset of the value's first byte
	End     int    // offset just after the value (JSON only)
	Text    string // a string's value, a number or boolean as written
	YAML    bool   // the value was written in YAML: numbers follow its syntax (0x…)
	Members []Member
	Elems   []*Node

	doc    *Doc // the document the value was read from, for edits
	edited bool // an edit changed the keys or elements
}

// Member is one key of an object and its value.
type Member struct {
	Key    string
	Pos    Pos // where the key starts
	Off    int // offset of the key's first byte
	KeyEnd int // offset just after the key as written (JSON only)
	ValEnd int // offset just after the value read with the key (JSON only)
	Val    *Node

	doc *Doc // the document the key was read from, for edits
}

// Get returns the value of an object's key, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for _, m := range n.Members {
		if m.Key == key {
			return m.Val
		}
	}
	return nil
}

// Error is a document that cannot be read, with where the problem is.
type Error struct {
	Pos    Pos
	Offset int
	Msg    string
	First  Pos // for a duplicate key: where the key was first given
}

func (e *Error) Error() string {
	if e.Pos.IsValid() {
		return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, suggest.Clip(e.Msg))
	}
	return suggest.Clip(e.Msg)
}

// Errors is every problem found in one document, in order of position.
type Errors []*Error

func (l Errors) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	s := l[0].Error()
	for _, e := range l[1:] {
		s += "\n" + e.Error()
	}
	return s
}

// lines turns byte offsets into positions.
type lines []int // offsets where lines start

func newLines(data []byte) lines {
	idx := lines{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lines) pos(off int) Pos {
	line := sort.Search(len(idx), func(i int) bool { return idx[i] > off }) // 1-based
	return Pos{Line: line, Col: off - idx[line-1] + 1}
}

// PosOf returns the position of a byte offset in data.
func PosOf(data []byte, off int) Pos {
	off = min(max(off, 0), len(data))
	return newLines(data[:off]).pos(off)
}

func tooDeep(p Pos, off int) *Error {
	return &Error{Pos: p, Offset: off, Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth)}
}

func tooLarge() *Error {
	return &Error{Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("a YAML document larger than %d MiB", MaxYAMLSize>>20)}
}

func tooManyDocs(p Pos, off int) *Error {
	return &Error{Pos: p, Offset: off, Msg: fmt.Sprintf("more than %d YAML documents in one file", MaxDocuments)}
}

func tooMany(p Pos, off int) *Error {
	return &Error{Pos: p, Offset: off, Msg: fmt.Sprintf("more than %d values in one document", MaxValues)}
}
