package hooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

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

// When says which containers a hook is for: with Always, every one.
// Podman matches each regexp of Annotations anywhere in an annotation's
// key and value (they are not anchored).
type When struct {
	Always      *bool             `json:"always,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Dirs are the directories the hook reads and writes beneath; empty
// means each one's default (DefaultProfiles, DefaultRecords,
// DefaultAgents). Each must be an absolute path: the hook's working
// directory is Podman's.
type Dirs struct {
	Profiles, Records, Agents string
}

// NewHooksD returns the document that makes Podman run binary as its
// precreate hook, reading profiles beneath dirs.Profiles (and writing
// recordings beneath dirs.Records, and finding agents beneath
// dirs.Agents, when not the defaults), for every container. The hook
// refuses a key that only looks like one of the io.oci-sbx. namespace
// (another hyphen, a Cyrillic o, a space; see package annotation), and no
// regexp in when.annotations can name every such look-alike, so the hook
// must see every container; it hands a config without oci-sbx annotations
// back byte for byte. The cost is one exec of the hook per container.
// binary must be an absolute path: Podman does not search PATH.
func NewHooksD(binary string, dirs Dirs) (*HooksD, error) {
	if !filepath.IsAbs(binary) {
		return nil, fmt.Errorf("registering the hook %q: its path must be absolute", binary)
	}
	args := []string{"oci-sbx", "hook", "precreate"}
	for _, d := range []struct{ flag, dir, def string }{
		{"--profiles", dirs.Profiles, DefaultProfiles},
		{"--records", dirs.Records, DefaultRecords},
		{"--agents", dirs.Agents, DefaultAgents},
	} {
		dir := d.dir
		if dir == "" {
			dir = d.def
		}
		if !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("registering the hook: the %s directory %q must be an absolute path", strings.TrimPrefix(d.flag, "--"), dir)
		}
		// The profiles directory is always written, so that the document
		// says where the profiles come from.
		if d.flag == "--profiles" || filepath.Clean(dir) != d.def {
			args = append(args, d.flag, filepath.Clean(dir))
		}
	}
	always := true
	return &HooksD{
		Version: HooksDVersion,
		Hook:    specs.Hook{Path: binary, Args: args},
		When:    When{Always: &always},
		Stages:  []string{"precreate"},
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
