package convert

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// The keys of runtime-spec's linux.seccomp object: Docker's format without
// its additions, matched exactly (Go's decoder would also take
// "DefaultAction", and a profile would mean something other than it says).
var (
	ociProfileKeys = []string{"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	ociRuleKeys    = []string{"names", "action", "errnoRet", "args"}
)

// readOCI reads a bare linux.seccomp object or a whole config.json, whose
// other fields it leaves alone.
func readOCI(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	root, err := parseJSON(name, data)
	if err != nil {
		return nil, err
	}
	node := root
	if root.kind == valObject && isConfig(root) {
		if node = member(member(root, "linux"), "seccomp"); node == nil {
			return nil, fmt.Errorf("reading %q: config.json has no linux.seccomp profile", name)
		}
	}
	d := &treeDecoder{file: name}
	doc := d.dockerProfile(node, ociProfileKeys, ociRuleKeys)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return resolveDocker(name, doc, opt)
}

// configKeys are keys a config.json has and a bare profile does not.
var configKeys = []string{"ociVersion", "linux", "process", "root"}

func isConfig(n *valueNode) bool {
	for _, k := range configKeys {
		if member(n, k) != nil {
			return true
		}
	}
	return false
}

func isConfigJSON(top map[string]json.RawMessage) bool {
	for _, k := range configKeys {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}

// member returns the value of an object's key, or nil.
func member(n *valueNode, key string) *valueNode {
	if n == nil || n.kind != valObject {
		return nil
	}
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// normalize checks a profile read from a foreign format and returns it in
// canonical form: every action, name and condition valid, errnoRet
// explicit, runc's OR of same-argument conditions made explicit, and the
// target architectures applied.
func normalize(name string, s *specs.LinuxSeccomp, opt Options) (*specs.LinuxSeccomp, error) {
	p, err := rules.FromSeccomp(s)
	if err != nil {
		return nil, withFile(name, err)
	}
	p.File = name
	return compile(p, opt)
}

// withFile names the source in errors that lack it.
func withFile(name string, err error) error {
	if l, ok := err.(rules.ErrorList); ok {
		for _, e := range l {
			if e.File == "" {
				e.File = name
			}
		}
	}
	return err
}

func writeOCI(w io.Writer, s *specs.LinuxSeccomp, opt Options) error {
	return writeFlatJSON(w, s)
}
