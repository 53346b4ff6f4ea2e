package oci

import (
	"errors"
	"fmt"
	"strings"

	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// SyntaxError is JSON that runc would not read, or would read differently
// than its text says; Offset is the byte where the problem starts.
type SyntaxError struct {
	Line, Col int
	Offset    int
	Msg       string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// syntaxError turns an error of the positioned tree into a SyntaxError,
// in the words of a config.json.
func syntaxError(err error) error {
	var te *tree.Error
	if !errors.As(err, &te) {
		return err
	}
	msg := te.Msg
	switch {
	case te.First.IsValid():
		key, _, _ := strings.Cut(strings.TrimPrefix(msg, "duplicate key "), " (first")
		msg = fmt.Sprintf("duplicate key %s (first at %d:%d): runc's decoder keeps the last one", key, te.First.Line, te.First.Col)
	case msg == "unexpected data after the profile":
		msg = "unexpected data after the JSON object"
	}
	return &SyntaxError{Line: te.Pos.Line, Col: te.Pos.Col, Offset: te.Offset, Msg: msg}
}
