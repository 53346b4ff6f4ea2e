package format

import (
	"errors"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// ParseJSON reads one JSON value into a positioned tree; errors name the
// file, line and column.
func ParseJSON(name string, data []byte) (*tree.Node, error) {
	n, err := tree.ParseJSON(data)
	if err != nil {
		return nil, TreeError(name, err)
	}
	return n, nil
}

// ParseYAML reads the documents of a YAML stream into positioned trees.
func ParseYAML(name string, data []byte) ([]*tree.Node, error) {
	docs, err := tree.ParseYAML(data)
	if err != nil {
		return nil, TreeError(name, err)
	}
	return docs, nil
}

// TreeError turns the errors of package tree into a rules.ErrorList that
// names the file.
func TreeError(name string, err error) error {
	var l tree.Errors
	var e *tree.Error
	switch {
	case errors.As(err, &l):
	case errors.As(err, &e):
		l = tree.Errors{e}
	default:
		return err
	}
	out := make(rules.ErrorList, len(l))
	for i, e := range l {
		out[i] = &rules.Error{File: name, Pos: e.Pos, Msg: e.Msg}
	}
	return out.Err()
}
