package rules

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diffJSON compares two values by their JSON form, which is what runc reads.
func diffJSON(t *testing.T, got, want any) string {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatalf("encoding the result: %v", err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatalf("encoding the expected value: %v", err)
	}
	return cmp.Diff(string(w), string(g))
}
