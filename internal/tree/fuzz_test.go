package tree

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParse: any input is read or refused without a panic; a document
// that reads comes back byte for byte when nothing is edited, and an edit
// leaves valid JSON whose other values are unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.50, "x"], "b": {"c": null}}`, "{\r\n  \"x\": true\r\n}\r\n", "[[[]]]", "a: [1, {b: c}]\n- x", `{"a":1,"a":2}`, "? ? !t &a x\n--- *a\n...\n%YAML 1.2\n--- [a?, b!]\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseYAML(data)
		d, err := ParseDoc(data)
		if err != nil {
			return
		}
		if got := d.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("unedited document changed:\n%q\n%q", data, got)
		}
		if d.Root.Kind != Object {
			return
		}
		d.Root.Set("oci-sbx-fuzz", &Node{Kind: Array})
		out := d.Bytes()
		var before, after map[string]json.RawMessage
		if json.Unmarshal(data, &before) != nil {
			return // Go's decoder is stricter about some inputs (invalid UTF-8)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("edited document is not JSON: %v\n%s", err, out)
		}
		for k, v := range before {
			var a, b bytes.Buffer
			_ = json.Compact(&a, v)
			_ = json.Compact(&b, after[k])
			if k != "oci-sbx-fuzz" && !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("key %q changed: %s → %s", k, v, after[k])
			}
		}
	})
}
