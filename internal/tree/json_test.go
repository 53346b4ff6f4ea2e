package tree

import (
	"fmt"
	"testing"
)

// A syntax error points at the offending character, wherever it is: the
// first token, a misspelt literal, after a key, in an array.
func TestParseJSONSyntaxPosition(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"#x", "1:1"},
		{"  @", "1:3"},
		{`{"a":tru}`, "1:9"},
		{`{"a" 1}`, "1:6"},
		{`{"a": 1,}`, "1:9"},
		{"[1 2]", "1:4"},
		{"{\n\t\"a\": 1,,\n}", "2:9"},
	} {
		_, err := ParseJSON([]byte(tc.in))
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: %v, want a positioned error", tc.in, err)
			continue
		}
		if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Col); got != tc.want {
			t.Errorf("%q: %v, want it at %s", tc.in, err, tc.want)
		}
	}
}
