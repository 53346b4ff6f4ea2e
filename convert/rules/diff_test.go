package rules

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diffJSON compares two values by their JSON form, which is what runc reads.
func diffJSON(t *testing.T, got, want any) string {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	return cmp.Diff(string(w), string(g))
}
