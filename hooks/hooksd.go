package hooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The annotations the precreate hook reads.
const (
	// AnnotationProfile names a profile file on the host, in any format
	// convert reads.
	AnnotationProfile = "io.oci-sbx.profile"
	// AnnotationRules holds the rules themselves (YAML), at most
	// MaxInlineRules bytes.
	AnnotationRules = "io.oci-sbx.rules"
	// AnnotationReport names the socket of a seccomp agent (oci-sbx
	// agent): the profile's errno rules notify it (see ReportTo).
	AnnotationReport = "io.oci-sbx.report"
)

// HooksDFile is the name under which HooksD's document goes into a hooks
// directory.
const HooksDFile = "oci-sbx.json"

// HooksDVersion is the version of the hooks.d format HooksD writes.
const HooksDVersion = "1.0.0"

// HooksD is a hooks.d 1.0.0 document, the format of Podman's --hooks-dir
// and /usr/share/containers/oci/hooks.d.
type HooksD struct {
	Version string     `json:"version"`
	Hook    specs.Hook `json:"hook"`
	When    When       `json:"when"`
	Stages  []string   `json:"stages"`
}

// When says which containers a hook is for. Podman matches each regexp
// against any part of the annotation (they are not anchored).
type When struct {
	Annotations map[string]string `json:"annotations"`
}

// NewHooksD returns the document that makes Podman run binary as its
// precreate hook for every container with an io.oci-sbx.profile or
// io.oci-sbx.rules annotation. binary must be an absolute path: Podman
// does not search PATH.
func NewHooksD(binary string) (*HooksD, error) {
	if !filepath.IsAbs(binary) {
		return nil, fmt.Errorf("registering the hook %q: its path must be absolute", binary)
	}
	return &HooksD{
		Version: HooksDVersion,
		Hook:    specs.Hook{Path: binary, Args: []string{"oci-sbx", "hook", "precreate"}},
		When: When{Annotations: map[string]string{
			// Anchored, so that io.oci-sbx.profile-old or
			// x.io.oci-sbx.rules do not match.
			`^io\.oci-sbx\.(profile|rules)$`: ".*",
		}},
		Stages: []string{"precreate"},
	}, nil
}

// Marshal encodes the document as tab-indented JSON with a trailing
// newline.
func (h *HooksD) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("encoding the hooks.d document: %w", err)
	}
	return b.Bytes(), nil
}
