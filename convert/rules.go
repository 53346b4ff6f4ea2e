package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
)

// maxExtendsDepth bounds chains of extends, which also stops cycles.
const maxExtendsDepth = 8

func readRules(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	p, err := rules.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return compile(p, opt)
}

func readLibseccompC(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	p, err := ParseLibseccompC(name, data)
	if err != nil {
		return nil, err
	}
	return compile(p, opt)
}

// compile compiles rules with the options' architectures, resolving
// extends against the built-in bases and files next to the profile.
func compile(p *rules.Profile, opt Options) (*specs.LinuxSeccomp, error) {
	return p.Compile(rules.CompileOptions{
		Arches: opt.Arches,
		Warn:   func(e *rules.Error) { opt.warn("%v", e) },
		Base: func(ref string, arches []string) (*specs.LinuxSeccomp, error) {
			bopt := opt
			bopt.Arches = arches
			if slices.Contains(BuiltinNames(), ref) {
				return Builtin(ref, bopt)
			}
			if opt.depth >= maxExtendsDepth {
				return nil, fmt.Errorf("more than %d levels of extends (a cycle?)", maxExtendsDepth)
			}
			bopt.depth++
			path := ref
			if !filepath.IsAbs(path) && p.File != "" && p.File != "<stdin>" {
				path = filepath.Join(filepath.Dir(p.File), ref)
			}
			if opt.OnFile != nil {
				opt.OnFile(path)
			}
			data, err := readFileLimited(path)
			if err != nil {
				msg := fmt.Sprintf("not a built-in base (%v) and not a readable file: %v", BuiltinNames(), err)
				return nil, errors.New(msg)
			}
			return Read(path, data, "", bopt)
		},
	})
}

// MaxInputSize bounds what oci-sbx reads as one profile; real profiles are
// tens of kilobytes.
const MaxInputSize = 16 << 20

func readFileLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := bounded.ReadAll(f, MaxInputSize)
	if errors.Is(err, bounded.ErrTooLarge) {
		return nil, fmt.Errorf("%s is %w", path, err)
	}
	return data, err
}

func writeRules(w io.Writer, s *specs.LinuxSeccomp, opt Options) error {
	p, err := rules.FromSeccomp(s)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "# seccomp rules written by oci-sbx; see `oci-sbx convert --help`.\n"+p.String())
	return err
}

var (
	cCall      = regexp.MustCompile(`\bseccomp_(init|rule_add)\s*\(`)
	spoKind    = regexp.MustCompile(`(?m)^kind:\s*["']?SeccompProfile\b`)
	dockerKeys = []string{"archMap", "defaultErrno", "includes", "excludes", "comment", "name", "errno"}
)

// Sniff guesses the format of a profile from its content.
func Sniff(data []byte) (Format, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(trimmed) == 0:
		return "", errors.New("the input is empty")
	case trimmed[0] == '{':
		var top map[string]json.RawMessage
		if json.Unmarshal(trimmed, &top) == nil {
			if isConfigJSON(top) {
				return OCI, nil
			}
			if hasDockerKeys(top) {
				return Docker, nil
			}
		}
		return OCI, nil
	case cCall.Match(data):
		return LibseccompC, nil
	case spoKind.Match(data):
		return SPO, nil
	case trimmed[0] == '#' && bytes.HasPrefix(trimmed, []byte("#include")):
		return LibseccompC, nil
	}
	return Rules, nil
}

// hasDockerKeys reports whether a JSON profile uses keys only Docker and
// Podman know.
func hasDockerKeys(top map[string]json.RawMessage) bool {
	for _, k := range dockerKeys[:2] {
		if _, ok := top[k]; ok {
			return true
		}
	}
	var calls []map[string]json.RawMessage
	if json.Unmarshal(top["syscalls"], &calls) != nil {
		return false
	}
	for _, c := range calls {
		for _, k := range dockerKeys[2:] {
			if _, ok := c[k]; ok {
				return true
			}
		}
	}
	return false
}
