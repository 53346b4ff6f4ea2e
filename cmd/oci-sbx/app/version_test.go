package app

import (
	"runtime/debug"
	"testing"
)

// The version comes from the first source that knows it: make build's
// stamp, the version file git archive filled in, go install's module
// version, the commit go build recorded.
func TestResolveVersion(t *testing.T) {
	const unfilled = "$Format:%(describe) %h$\n"
	checkout := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tt := range []struct {
		name, stamp, archived string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"make build", "v1.2.0-3-g0123456-dirty", unfilled, checkout, "v1.2.0-3-g0123456-dirty"},
		{"tarball of a tagged commit", "", "v1.2.0 0123456\n", checkout, "v1.2.0"},
		{"tarball of an untagged commit", "", " 0123456\n", nil, "0123456"},
		{"go install", "", unfilled, &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"go build in a checkout", "", unfilled, checkout, "0123456-dirty"},
		{"go build in a checkout, Go's pseudo-version", "", unfilled, &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206082937-0123456789ab+dirty"},
			Settings: checkout.Settings}, "0123456-dirty"},
		{"go build in a tagged checkout", "", unfilled, &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: checkout.Settings}, "v1.2.0"},
		{"go build without git", "", unfilled, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"an old git left a placeholder", "", "%(describe) 0123456\n", nil, "dev"},
	} {
		if got := resolveVersion(tt.stamp, tt.archived, tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// The file in the repository is git's placeholder, filled in only by
	// git archive.
	if resolveVersion("", archived, nil) != "dev" {
		t.Errorf("version.txt holds %q, not the placeholder git archive fills in", archived)
	}
}
