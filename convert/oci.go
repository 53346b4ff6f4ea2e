package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// seccompSchema lists the keys of runtime-spec's linux.seccomp object.
var seccompSchema = map[string][]string{
	"":                  {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls"},
	"syscalls[]":        {"names", "action", "errnoRet", "args"},
	"syscalls[].args[]": {"index", "value", "valueTwo", "op"},
}

// readOCI reads a bare linux.seccomp object or a whole config.json, whose
// other fields it leaves alone.
func readOCI(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		if err := checkJSON(name, data, nil); err != nil {
			return nil, err
		}
		return nil, jsonError(name, data, err)
	}
	var s specs.LinuxSeccomp
	if isConfigJSON(top) {
		var cfg struct {
			Linux *struct {
				Seccomp *specs.LinuxSeccomp `json:"seccomp"`
			} `json:"linux"`
		}
		if err := decodeJSON(name, data, withPrefix("linux.seccomp", seccompSchema), &cfg); err != nil {
			return nil, err
		}
		if cfg.Linux == nil || cfg.Linux.Seccomp == nil {
			return nil, fmt.Errorf("reading %q: config.json has no linux.seccomp profile", name)
		}
		s = *cfg.Linux.Seccomp
	} else if err := decodeJSON(name, data, seccompSchema, &s); err != nil {
		return nil, err
	}
	return normalize(name, &s, opt)
}

func isConfigJSON(top map[string]json.RawMessage) bool {
	for _, k := range []string{"ociVersion", "linux", "process", "root"} {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
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
	b, err := marshalJSON(toOCIJSON(s))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, bytes.NewReader(b))
	return err
}
