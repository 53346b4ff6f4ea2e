package tree

import (
	"strings"
	"testing"
)

func TestDocEdits(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(t *testing.T, d *Doc)
		want     string
	}{
		{"no edit keeps every byte",
			"{\r\n  \"a\" :  1.50,\r\n  \"b\": [ \"\\u0041\" ]\r\n}\r\n",
			func(*testing.T, *Doc) {},
			"{\r\n  \"a\" :  1.50,\r\n  \"b\": [ \"\\u0041\" ]\r\n}\r\n"},
		{"set a scalar keeps the rest",
			"{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"args\": [\"sh\"],\n    \"noNewPrivileges\": false\n  },\n  \"x\": 18446744073709551615\n}",
			func(t *testing.T, d *Doc) { d.Root.Get("process").Set("noNewPrivileges", mustOf(t, true)) },
			"{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"args\": [\"sh\"],\n    \"noNewPrivileges\": true\n  },\n  \"x\": 18446744073709551615\n}"},
		{"new key in the style of its neighbours, CRLF",
			"{\r\n  \"process\": {\r\n    \"cwd\": \"/\"\r\n  }\r\n}\r\n",
			func(t *testing.T, d *Doc) {
				d.Root.Get("process").Set("args", mustOf(t, []string{"a", "b"}))
			},
			"{\r\n  \"process\": {\r\n    \"cwd\": \"/\",\r\n    \"args\": [\r\n      \"a\",\r\n      \"b\"\r\n    ]\r\n  }\r\n}\r\n"},
		{"new object in a tab-indented file",
			"{\n\t\"linux\": {}\n}\n",
			func(t *testing.T, d *Doc) {
				d.Root.Get("linux").Set("seccomp", mustOf(t, map[string]any{"defaultAction": "SCMP_ACT_ALLOW"}))
			},
			"{\n\t\"linux\": {\n\t\t\"seccomp\": {\n\t\t\t\"defaultAction\": \"SCMP_ACT_ALLOW\"\n\t\t}\n\t}\n}\n"},
		{"remove the first and the last keys",
			"{\n  \"a\": 1,\n  \"b\": {\"c\": [1, 2]},\n  \"d\": \"x,y\"\n}\n",
			func(t *testing.T, d *Doc) {
				d.Root.Remove("a")
				d.Root.Remove("d")
			},
			"{\n  \"b\": {\"c\": [1, 2]}\n}\n"},
		{"replace an element of a list",
			"[\n    {\"d\": \"/a\"},\n    {\"d\": \"/b\"}\n]",
			func(t *testing.T, d *Doc) {
				d.Root.SetElems([]*Node{d.Root.Elems[1], mustOf(t, map[string]string{"d": "/c"})})
			},
			"[\n    {\"d\": \"/b\"},\n    {\n        \"d\": \"/c\"\n    }\n]"},
		{"one-line document stays on one line",
			`{"a":1,"b":2}`,
			func(t *testing.T, d *Doc) { d.Root.Set("c", mustOf(t, []int{3})) },
			`{"a":1,"b":2,"c":[3]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDoc([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(t, d)
			if got := string(d.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if _, err := ParseJSON(d.Bytes()); err != nil {
				t.Errorf("the edited document is not JSON: %v", err)
			}
		})
	}
}

func mustOf(t *testing.T, v any) *Node {
	t.Helper()
	n, err := Of(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tests := []struct {
		name, in string
		json     bool
		wantErr  string
	}{
		{"json at the depth limit", ok, true, ""},
		{"json beyond it", deep, true, "1:101: nesting deeper than 100 levels"},
		{"json after a byte order mark", "\xef\xbb\xbf{}", true, "1:1: a byte order mark (EF BB BF) before the JSON, which runc refuses"},
		{"yaml flow at the limit", ok, false, ""},
		{"yaml flow beyond it", deep, false, "1:101: nesting deeper than 100 levels"},
		{"yaml flow after a quoted bracket", "a: ['[[[', " + deep[:MaxDepth+1], false, "nesting deeper"},
		{"brackets in a quoted yaml string do not count", "a: \"" + deep + "\"\n", false, ""},
		{"brackets in a comment do not count", "a: 1 # " + deep + "\n", false, ""},
		{"yaml block sequences on one line", strings.Repeat("- ", MaxDepth+1) + "x\n", false, "nesting deeper"},
		{"yaml block mappings by indentation", blockMap(MaxDepth + 1), false, "nesting deeper"},
		{"yaml block mappings within the limit", blockMap(MaxDepth - 1), false, ""},
		{"json with too many values", "[" + strings.Repeat("0,", MaxValues) + "0]", true, "more than 50000 values"},
		{"yaml with too many values", "[" + strings.Repeat("0,", MaxValues) + "0]", false, "more than 50000 values"},
		{"yaml tags count as values", "a: " + strings.Repeat("!!str ", MaxValues) + "x\n", false, "more than 50000 values"},
		{"yaml anchors count as values", strings.Repeat("- &a x\n", MaxValues/2+1), false, "more than 50000 values"},
		{"yaml aliases count as values", "[" + strings.Repeat("*a ,", MaxValues/2+1) + "]", false, "more than 50000 values"},
		{"yaml explicit keys nest like dashes", strings.Repeat("? ", MaxDepth+1) + "x\n", false, "nesting deeper"},
		{"yaml explicit keys count as values", strings.Repeat("? x\n", MaxValues+1), false, "more than 50000 values"},
		{"yaml documents", strings.Repeat("--- x\n", MaxDocuments+1), false, "65:1: more than 64 YAML documents in one file"},
		{"yaml documents within the limit", strings.Repeat("--- x\n", MaxDocuments), false, ""},
		{"yaml directives count as values", strings.Repeat("%TAG !a! tag:a,2000:\n", MaxValues+1) + "--- x\n", false, "more than 50000 values"},
		{"a question mark inside a scalar is no key", "a: what?\nb: x!y&z*w\n", false, ""},
		{"yaml too large", "a: \"" + strings.Repeat("x", MaxYAMLSize) + "\"\n", false, "larger than 2 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.json {
				_, err = ParseJSON([]byte(tt.in))
			} else {
				_, err = ParseYAML([]byte(tt.in))
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func blockMap(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	b.WriteString(strings.Repeat(" ", depth) + "v\n")
	return b.String()
}
