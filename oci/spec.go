package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"

	"github.com/oci-sbx/oci-sbx/internal/tree"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Editor holds a config.json read strictly and changes it in place: the
// keys it is told to set, and nothing else. Fields it does not know are
// kept exactly, in their order, with their numbers as written.
type Editor struct {
	doc  *tree.Doc
	root *tree.Node
	orig []byte
	file *fileID // identity of the file read, when it came from a bundle
}

// SpecOpt is one edit of a config.json, in the style of containerd's
// SpecOpts: edits compose, and Apply runs them in order.
type SpecOpt func(*Editor) error

// ParseConfig reads a config.json strictly. It refuses what runc would
// read differently from the text: duplicate keys (runc keeps the last),
// keys that differ only in case from a runtime-spec field (runc's decoder
// matches names case-insensitively, so "SECCOMP" would be read as
// "seccomp"), data after the object (runc ignores it), and anything runc's
// decoder fails on.
func ParseConfig(data []byte) (*Editor, error) {
	doc, err := tree.ParseDoc(data)
	if err != nil {
		return nil, syntaxError(err)
	}
	root := doc.Root
	if root.Kind != tree.Object {
		return nil, &SyntaxError{Line: 1, Col: 1, Msg: "config.json is not a JSON object"}
	}
	if err := checkKeys(root, reflect.TypeFor[specs.Spec](), ""); err != nil {
		var ce *caseError
		if errors.As(err, &ce) {
			return nil, locate(data, ce)
		}
		return nil, err
	}
	e := &Editor{doc: doc, root: root, orig: data}
	if _, err := e.Spec(); err != nil {
		return nil, err
	}
	return e, nil
}

// Spec decodes the current config the way runc does: runtime-spec types
// through encoding/json.
func (e *Editor) Spec() (*specs.Spec, error) {
	var s specs.Spec
	if err := json.Unmarshal(e.Bytes(), &s); err != nil {
		return nil, fmt.Errorf("decoding as runc does: %w", err)
	}
	return &s, nil
}

// Bytes returns the config as it stands. Every byte an edit did not touch
// is as it was read — indentation, line endings, key order, escapes,
// numbers — and what an edit added is laid out like its neighbours, so a
// diff shows only the change.
func (e *Editor) Bytes() []byte {
	return e.doc.Bytes()
}

// Original returns the bytes the config was parsed from.
func (e *Editor) Original() []byte { return e.orig }

// Changed reports whether the edits changed anything but the layout.
func (e *Editor) Changed() bool {
	var orig bytes.Buffer
	if err := json.Compact(&orig, e.orig); err != nil {
		return true
	}
	return !bytes.Equal(orig.Bytes(), e.doc.Compact(e.root))
}

// Apply runs the edits in order; the first error stops it.
func (e *Editor) Apply(opts ...SpecOpt) error {
	for _, o := range opts {
		if err := o(e); err != nil {
			return err
		}
	}
	if _, err := e.Spec(); err != nil {
		return fmt.Errorf("checking the edited config: %w", err)
	}
	return nil
}

// Set sets the value at a path of object keys (process, noNewPrivileges),
// creating objects on the way where they are missing or null. v is encoded
// with encoding/json.
func (e *Editor) Set(v any, keys ...string) error {
	n, err := tree.Of(v)
	if err != nil {
		return fmt.Errorf("setting %s: %w", strings.Join(keys, "."), err)
	}
	return e.setNode(n, keys...)
}

func (e *Editor) setNode(v *tree.Node, keys ...string) error {
	obj := e.root
	for i, k := range keys[:len(keys)-1] {
		next := obj.Get(k)
		if next == nil || next.Kind == tree.Null {
			next = &tree.Node{Kind: tree.Object}
			obj.Set(k, next)
		} else if next.Kind != tree.Object {
			return fmt.Errorf("setting %s: %s is not an object", strings.Join(keys, "."), strings.Join(keys[:i+1], "."))
		}
		obj = next
	}
	obj.Set(keys[len(keys)-1], v)
	return nil
}

// Delete removes the value at a path of object keys, if it is there.
func (e *Editor) Delete(keys ...string) {
	obj := e.root
	for _, k := range keys[:len(keys)-1] {
		if obj = obj.Get(k); obj == nil {
			return
		}
	}
	obj.Remove(keys[len(keys)-1])
}

// WithSeccomp sets linux.seccomp, always with a "flags" key: without one
// runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns a Spectre
// mitigation off, and Go's encoding drops an empty list. nil removes the
// profile.
func WithSeccomp(s *specs.LinuxSeccomp) SpecOpt {
	return func(e *Editor) error {
		if s == nil {
			e.Delete("linux", "seccomp")
			return nil
		}
		n, err := tree.Of(s)
		if err != nil {
			return fmt.Errorf("setting linux.seccomp: %w", err)
		}
		if n.Get("flags") == nil {
			// After the keys that come before flags in runtime-spec's order.
			at := 0
			for i, m := range n.Members {
				if m.Key == "defaultAction" || m.Key == "defaultErrnoRet" || m.Key == "architectures" {
					at = i + 1
				}
			}
			n.Insert(at, "flags", &tree.Node{Kind: tree.Array})
		}
		return e.setNode(n, "linux", "seccomp")
	}
}

// WithNoNewPrivileges sets process.noNewPrivileges.
func WithNoNewPrivileges(on bool) SpecOpt {
	return func(e *Editor) error { return e.Set(on, "process", "noNewPrivileges") }
}

// WithArgs sets process.args.
func WithArgs(args []string) SpecOpt {
	return func(e *Editor) error { return e.Set(args, "process", "args") }
}

// WithArgsPrefix puts prefix in front of process.args.
func WithArgsPrefix(prefix ...string) SpecOpt {
	return func(e *Editor) error {
		s, err := e.Spec()
		if err != nil {
			return err
		}
		if s.Process == nil || len(s.Process.Args) == 0 {
			return errors.New("prefixing process.args: the config has no process.args")
		}
		return e.Set(append(append([]string{}, prefix...), s.Process.Args...), "process", "args")
	}
}

// WithMount adds a mount, replacing any mount at the same destination.
func WithMount(m specs.Mount) SpecOpt {
	return func(e *Editor) error {
		n, err := tree.Of(m)
		if err != nil {
			return fmt.Errorf("adding mount %q: %w", m.Destination, err)
		}
		if err := WithoutMount(m.Destination)(e); err != nil {
			return err
		}
		mounts := e.root.Get("mounts")
		if mounts == nil || mounts.Kind == tree.Null {
			mounts = &tree.Node{Kind: tree.Array}
			e.root.Set("mounts", mounts)
		}
		mounts.SetElems(append(mounts.Elems, n))
		return nil
	}
}

// WithoutMount removes every mount at destination.
func WithoutMount(destination string) SpecOpt {
	return func(e *Editor) error {
		mounts := e.root.Get("mounts")
		if mounts == nil || mounts.Kind != tree.Array {
			return nil
		}
		var kept []*tree.Node
		for _, el := range mounts.Elems {
			var m specs.Mount
			if err := json.Unmarshal(e.doc.Compact(el), &m); err != nil {
				return fmt.Errorf("reading mounts: %w", err)
			}
			if path.Clean(m.Destination) != path.Clean(destination) {
				kept = append(kept, el)
			}
		}
		if len(kept) != len(mounts.Elems) {
			mounts.SetElems(kept)
		}
		return nil
	}
}

// caseError is a key that differs only in case from a runtime-spec field.
type caseError struct {
	at         *tree.Member
	path, want string
}

func (e *caseError) Error() string {
	return fmt.Sprintf("key %q differs only in case from %q", e.at.Key, e.want)
}

// checkKeys walks the tree along the runtime-spec types and refuses a key
// that is not a field's exact name but matches one the way encoding/json
// does (Unicode case folding, so "ſeccomp" counts too). Unknown keys are
// fine: runc ignores them, and Editor keeps them.
func checkKeys(n *tree.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == tree.Object && t.Kind() == reflect.Struct:
		fields := jsonFields(t)
		for i := range n.Members {
			m := &n.Members[i]
			if ft, ok := fields[m.Key]; ok {
				if err := checkKeys(m.Val, ft, path+"."+m.Key); err != nil {
					return err
				}
				continue
			}
			for name := range fields {
				if strings.EqualFold(name, m.Key) {
					return &caseError{at: m, path: strings.TrimPrefix(path+"."+m.Key, "."), want: name}
				}
			}
		}
	case n.Kind == tree.Object && t.Kind() == reflect.Map:
		for _, m := range n.Members {
			if err := checkKeys(m.Val, t.Elem(), path+"."+m.Key); err != nil {
				return err
			}
		}
	case n.Kind == tree.Array && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i, el := range n.Elems {
			if err := checkKeys(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields maps the JSON names of a struct's fields to their types, with
// the fields of embedded structs promoted, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, ok := fields[k]; !ok {
						fields[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// locate turns a caseError into a positioned error.
func locate(data []byte, ce *caseError) error {
	return &SyntaxError{Line: ce.at.Pos.Line, Col: ce.at.Pos.Col, Offset: ce.at.Off,
		Msg: fmt.Sprintf("key %s differs only in case from %q: runc's decoder would read it as %s",
			data[ce.at.Off:ce.at.KeyEnd], ce.want, strings.TrimSuffix(ce.path, ce.at.Key)+ce.want)}
}
