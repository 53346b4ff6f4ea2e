package oci

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// The keys of runtime-spec's linux.seccomp object: Docker's format without
// its additions, matched exactly (Go's decoder would also take
// "DefaultAction", and a profile would mean something other than it says).
var (
	profileKeys = []string{"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	ruleKeys    = []string{"names", "action", "errnoRet", "args"}
)

// Read reads a bare linux.seccomp object or a whole config.json, whose
// other fields it leaves alone.
func Read(name string, data []byte, opt format.Options) (*specs.LinuxSeccomp, error) {
	doc, err := Decode(name, data)
	if err != nil {
		return nil, err
	}
	return docker.Resolve(name, doc, opt)
}

// Decode reads the profile as written, with the position of every value.
func Decode(name string, data []byte) (*docker.Doc, error) {
	root, err := format.ParseJSON(name, data)
	if err != nil {
		return nil, err
	}
	node := root
	if root.Kind == tree.Object && isConfig(root) {
		if node = root.Get("linux").Get("seccomp"); node == nil {
			return nil, fmt.Errorf("reading %q: config.json has no linux.seccomp profile", name)
		}
	}
	d := &docker.Decoder{File: name}
	doc := d.Profile(node, profileKeys, ruleKeys)
	if err := d.Errs.Err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// Write writes the canonical linux.seccomp JSON.
func Write(w io.Writer, s *specs.LinuxSeccomp, opt format.Options) error {
	return format.WriteJSON(w, s)
}

// configKeys are keys a config.json has and a bare profile does not.
var configKeys = []string{"ociVersion", "linux", "process", "root"}

func isConfig(n *tree.Node) bool {
	for _, k := range configKeys {
		if n.Get(k) != nil {
			return true
		}
	}
	return false
}

// IsConfig reports whether a JSON object's top-level keys are those of a
// config.json rather than of a bare profile.
func IsConfig(top map[string]json.RawMessage) bool {
	for _, k := range configKeys {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}
