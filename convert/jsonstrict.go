package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) rules.Pos {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return rules.Pos{Line: line, Col: col}
}

// jsonError positions a JSON decoding error.
func jsonError(name string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &rules.Error{File: name, Pos: position(data, se.Offset), Msg: "malformed JSON: " + se.Error()}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "value"
		}
		return &rules.Error{File: name, Pos: position(data, te.Offset), Msg: fmt.Sprintf("%s: cannot use a JSON %s here (want %s)", field, te.Value, te.Type)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &rules.Error{File: name, Pos: position(data, int64(len(data))), Msg: "malformed JSON: unexpected end of input"}
	}
	return &rules.Error{File: name, Msg: err.Error()}
}

// checkJSON reports, with positions, every duplicate key and every key not
// in schema. schema maps a path ("", "syscalls[]", "linux.seccomp") to the
// keys allowed in the object there; objects at other paths are not
// checked. Go's decoder would take the last duplicate and match keys
// case-insensitively, so a profile could mean something other than it
// says; this refuses that.
func checkJSON(name string, data []byte, schema map[string][]string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var errs rules.ErrorList
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			allowed, checked := schema[path]
			for dec.More() {
				off := dec.InputOffset()
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key := kt.(string)
				skip := len(data[off:]) - len(bytes.TrimLeft(data[off:], " \t\r\n,"))
				at := position(data, off+int64(skip))
				switch {
				case seen[key]:
					errs = append(errs, &rules.Error{File: name, Pos: at, Msg: fmt.Sprintf("duplicate key %q", key)})
				case checked && !slices.Contains(allowed, key):
					msg := fmt.Sprintf("unknown key %q", key)
					if sug := rules.Suggest(key, allowed); sug != "" {
						msg += fmt.Sprintf(": did you mean %q?", sug)
					}
					errs = append(errs, &rules.Error{File: name, Pos: at, Msg: msg})
				}
				seen[key] = true
				child := key
				if path != "" {
					child = path + "." + key
				}
				if err := walk(child); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(path + "[]"); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	if err := walk(""); err != nil {
		return jsonError(name, data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &rules.Error{File: name, Pos: position(data, dec.InputOffset()), Msg: "malformed JSON: data after the top-level value"}
	}
	return errs.Err()
}

// decodeJSON checks data against schema, then decodes it into v.
func decodeJSON(name string, data []byte, schema map[string][]string, v any) error {
	if err := checkJSON(name, data, schema); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(name, data, err)
	}
	return nil
}

// withPrefix re-roots a schema under a path prefix.
func withPrefix(prefix string, schema map[string][]string) map[string][]string {
	out := make(map[string][]string, len(schema))
	for k, v := range schema {
		switch {
		case k == "":
			out[prefix] = v
		case strings.HasPrefix(k, "["):
			out[prefix+k] = v
		default:
			out[prefix+"."+k] = v
		}
	}
	return out
}
