package hooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci/annotation"
)

// The annotations the precreate hook reads, in the OCI namespace (see
// package annotation for the whole table).
var (
	// AnnotationProfile names a profile file beneath the profiles
	// directory, in any format convert reads.
	AnnotationProfile = annotation.OCIKey(annotation.Profile)
	// AnnotationRules holds the rules themselves (YAML), at most
	// MaxInlineRules bytes.
	AnnotationRules = annotation.OCIKey(annotation.Rules)
	// AnnotationReport names the socket of a seccomp agent (oci-sbx
	// agent): the profile's errno rules notify it (see ReportTo).
	AnnotationReport = annotation.OCIKey(annotation.Report)
	// AnnotationEngineProfile is "keep" (the default) or "replace".
	AnnotationEngineProfile = annotation.OCIKey(annotation.EngineProfile)
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
// precreate hook, reading profiles beneath the directory profiles (and
// writing recordings beneath records, when not the default), for
// every container with an annotation in the io.oci-sbx. namespace, in any
// case: the hook refuses a key that is not in the table, so a misspelt key
// must reach it. binary and profiles must be absolute paths: Podman does
// not search PATH, and the hook's working directory is Podman's.
func NewHooksD(binary, profiles, records string) (*HooksD, error) {
	if !filepath.IsAbs(binary) {
		return nil, fmt.Errorf("registering the hook %q: its path must be absolute", binary)
	}
	if profiles == "" {
		profiles = DefaultProfiles
	}
	if !filepath.IsAbs(profiles) {
		return nil, fmt.Errorf("registering the hook: the profiles directory %q must be an absolute path", profiles)
	}
	args := []string{"oci-sbx", "hook", "precreate", "--profiles", filepath.Clean(profiles)}
	if records != "" && filepath.Clean(records) != DefaultRecords {
		if !filepath.IsAbs(records) {
			return nil, fmt.Errorf("registering the hook: the records directory %q must be an absolute path", records)
		}
		args = append(args, "--records", filepath.Clean(records))
	}
	return &HooksD{
		Version: HooksDVersion,
		Hook:    specs.Hook{Path: binary, Args: args},
		When: When{Annotations: map[string]string{
			// Anchored, so that x.io.oci-sbx.rules does not match.
			annotation.OCIPattern(): ".*",
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
