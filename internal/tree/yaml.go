package tree

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// ParseYAML reads the documents of a YAML stream, skipping those that hold
// only comments. Anchors, aliases and merge keys are refused: a profile
// should say what it means where it says it. Errors are *Error or Errors.
func ParseYAML(data []byte) ([]*Node, error) {
	if err := ScanYAML(data); err != nil {
		return nil, err
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, YAMLError(err)
	}
	var b yamlBuilder
	var docs []*Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, ok := doc.Body.(*ast.CommentGroupNode); ok {
			continue
		}
		docs = append(docs, b.node(doc.Body))
	}
	if len(b.errs) > 0 {
		return nil, b.errs
	}
	return docs, nil
}

// YAMLError turns an error of the YAML parser into an *Error.
func YAMLError(err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return &Error{Pos: Pos{Line: p.Line, Col: p.Column}, Offset: p.Offset, Msg: "malformed YAML: " + ye.GetMessage()}
	}
	return &Error{Msg: "malformed YAML: " + err.Error()}
}

// YAMLPos is where a node of the YAML parser starts.
func YAMLPos(n ast.Node) Pos {
	if d, ok := n.(*ast.DocumentNode); ok {
		// An empty document has no body to ask; its "---" has the place.
		switch {
		case d == nil:
			return Pos{}
		case d.Start != nil:
			return Pos{Line: d.Start.Position.Line, Col: d.Start.Position.Column}
		case d.Body == nil:
			return Pos{}
		}
	}
	if n == nil || n.GetToken() == nil {
		return Pos{}
	}
	p := n.GetToken().Position
	return Pos{Line: p.Line, Col: p.Column}
}

type yamlBuilder struct{ errs Errors }

func (b *yamlBuilder) errorf(at Pos, format string, args ...any) {
	b.errs = append(b.errs, &Error{Pos: at, Msg: fmt.Sprintf(format, args...)})
}

func (b *yamlBuilder) node(n ast.Node) *Node {
	out := &Node{Pos: YAMLPos(n), YAML: true}
	switch t := n.(type) {
	case nil, *ast.NullNode, *ast.CommentGroupNode:
		out.Kind = Null
	case *ast.TagNode:
		v := b.node(t.Value)
		if t.Start != nil && t.Start.Value == "!!str" && (v.Kind == Number || v.Kind == Bool) {
			v.Kind = String
		}
		return v
	case *ast.MappingNode:
		out.Kind = Object
		if !t.IsFlowStyle && len(t.Values) > 0 {
			out.Pos = YAMLPos(t.Values[0].Key) // not the first ':'
		}
		b.members(out, t.Values)
	case *ast.MappingValueNode:
		out.Kind = Object
		out.Pos = YAMLPos(t.Key)
		b.members(out, []*ast.MappingValueNode{t})
	case *ast.SequenceNode:
		out.Kind = Array
		for _, v := range t.Values {
			out.Elems = append(out.Elems, b.node(v))
		}
	case *ast.StringNode:
		out.Kind, out.Text = String, t.Value
	case *ast.LiteralNode:
		out.Kind, out.Text = String, t.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		out.Kind, out.Text = Number, t.GetToken().Value
	case *ast.BoolNode:
		out.Kind = Bool
		out.Text = fmt.Sprint(t.Value)
	case *ast.AnchorNode, *ast.AliasNode, *ast.MergeKeyNode:
		b.errorf(out.Pos, "YAML anchors, aliases and merge keys are not supported; write the values out")
	default:
		b.errorf(out.Pos, "unsupported YAML %s", strings.ToLower(n.Type().String()))
	}
	return out
}

func (b *yamlBuilder) members(out *Node, values []*ast.MappingValueNode) {
	seen := map[string]Pos{}
	for _, mv := range values {
		k := b.node(mv.Key)
		if k.Kind != String && k.Kind != Number && k.Kind != Bool {
			b.errorf(k.Pos, "a key must be a plain value, not %s", k.Kind)
			continue
		}
		if first, dup := seen[k.Text]; dup {
			b.errorf(k.Pos, "duplicate key %q (first given on line %d)", k.Text, first.Line)
			continue
		}
		seen[k.Text] = k.Pos
		out.Members = append(out.Members, Member{Key: k.Text, Pos: k.Pos, Val: b.node(mv.Value)})
	}
}
