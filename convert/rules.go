package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/libseccompc"
	"github.com/oci-sbx/oci-sbx/convert/oci"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
)

// maxExtendsDepth bounds chains of extends, which also stops cycles.
const maxExtendsDepth = 8

func readRules(name string, data []byte, opt Options, depth int) (*specs.LinuxSeccomp, error) {
	p, err := rules.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return compile(p, opt, depth)
}

func readLibseccompC(name string, data []byte, opt Options, depth int) (*specs.LinuxSeccomp, error) {
	p, err := libseccompc.Parse(name, data, func(e *rules.Error) { opt.Warnf("%v", e) })
	if err != nil {
		return nil, err
	}
	return compile(p, opt, depth)
}

// compile compiles rules with the options' architectures, resolving
// extends against the built-in bases and files next to the profile.
func compile(p *rules.Profile, opt Options, depth int) (*specs.LinuxSeccomp, error) {
	return p.Compile(rules.CompileOptions{
		Arches: opt.Arches,
		Warn:   func(e *rules.Error) { opt.Warnf("%v", e) },
		AsBase: depth > 0,
		Base: func(ref string, arches []string) (*specs.LinuxSeccomp, error) {
			bopt := opt
			bopt.Arches = arches
			if slices.Contains(BuiltinNames(), ref) {
				if len(arches) == 0 && syscalls.NativeArch() != "" {
					// The extending profile's architectures decide
					// (native when it names none), not the base's
					// archMap: a note on every run about what that
					// archMap leaves out would change nothing.
					bopt.Arches = []string{syscalls.NativeArch()}
				}
				return Builtin(ref, bopt)
			}
			if depth >= maxExtendsDepth {
				return nil, fmt.Errorf("more than %d levels of extends (a cycle?)", maxExtendsDepth)
			}
			path := ref
			if !filepath.IsAbs(path) && p.File != "" && p.File != "<stdin>" {
				path = filepath.Join(filepath.Dir(p.File), ref)
			}
			if opt.OnFile != nil {
				opt.OnFile(path)
			}
			readFile := func(path string) ([]byte, error) { return bounded.ReadFile(path, MaxInputSize) }
			if opt.ReadFile != nil {
				readFile = opt.ReadFile
			}
			data, err := readFile(path)
			if err != nil {
				return nil, fmt.Errorf("not a built-in base (%v) and not a readable file: %w", BuiltinNames(), err)
			}
			if opt.ReadFile == nil {
				return read(path, data, "", bopt, depth+1)
			}
			// The file's warnings and errors may quote it: say only where
			// parsing stopped.
			var warnings []string
			bopt.Warn = func(msg string) { warnings = append(warnings, msg) }
			s, err := read(path, data, "", bopt, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%q: not a profile oci-sbx reads%s; check it with oci-sbx lint", path, Where(err))
			}
			for _, w := range warnings {
				opt.Warnf("%s", w)
			}
			return s, nil
		},
	})
}

// Where says where reading a profile stopped, " (line L, column C)", or
// nothing when err has no position: for an error about a file whose
// content must not be repeated.
func Where(err error) string {
	var list rules.ErrorList
	if errors.As(err, &list) && len(list) > 0 && list[0].Pos.IsValid() {
		return fmt.Sprintf(" (line %d, column %d)", list[0].Pos.Line, max(list[0].Pos.Col, 1))
	}
	var one *rules.Error
	if errors.As(err, &one) && one.Pos.IsValid() {
		return fmt.Sprintf(" (line %d, column %d)", one.Pos.Line, max(one.Pos.Col, 1))
	}
	return ""
}

// MaxInputSize bounds what oci-sbx reads as one profile; real profiles are
// tens of kilobytes.
const MaxInputSize = 16 << 20

func writeRules(w io.Writer, s *specs.LinuxSeccomp, opt Options) error {
	p, err := rules.FromSeccomp(s)
	if err != nil {
		return err
	}
	text := p.String()
	// The rules language resolves what runc leaves to libseccomp's order
	// (the stricter action wins, also through socketcall on x86): read
	// back, the rules must mean what the profile means, or say where not.
	back, err := readRules("the rules written", []byte(text), Options{}, 0)
	if err == nil && opt.Check != nil {
		if err := opt.Check(back); err != nil {
			return fmt.Errorf("the rules written would not load: %w", err)
		}
	}
	if err == nil {
		err = format.Equal(s, back)
	}
	if err != nil {
		opt.Warnf("the rules written mean something else than the profile does under runc (in the rules language the stricter action wins, also through socketcall and ipc on x86, where runc keeps the first unconditional rule): %v", err)
	}
	_, err = io.WriteString(w, "# seccomp rules written by oci-sbx; see `oci-sbx convert --help`.\n"+text)
	return err
}

var (
	spoKind = regexp.MustCompile(`(?m)^kind:\s*["']?SeccompProfile\b`)
	// A Kubernetes resource: apiVersion and kind at the top of a
	// document, keys the rules language does not have.
	k8sAPIVersion = regexp.MustCompile(`(?m)^apiVersion:[ \t]*\S`)
	k8sKind       = regexp.MustCompile(`(?m)^kind:[ \t]*\S`)
	dockerKeys    = []string{"archMap", "defaultErrno", "includes", "excludes", "comment", "name", "errno"}
)

// Sniff guesses the format of a profile from its content.
func Sniff(data []byte) (Format, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(trimmed) == 0:
		return "", errors.New("the input is empty")
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return "", errors.New("an executable, not a profile: oci-sbx record -- PROGRAM writes the profile a program needs")
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		return "", errors.New("binary data, not a profile (rules, Docker or OCI JSON, SPO YAML, a libseccomp C program);" +
			" only simulate and diff read a raw BPF program")
	case trimmed[0] == '{':
		var top map[string]json.RawMessage
		if json.Unmarshal(trimmed, &top) == nil {
			if oci.IsConfig(top) {
				return OCI, nil
			}
			if hasDockerKeys(top) {
				return Docker, nil
			}
		}
		return OCI, nil
	case hasCCall(data):
		return LibseccompC, nil
	case bytes.Contains(data, []byte("SeccompProfile")) && spoKind.Match(data):
		return SPO, nil
	case k8sAPIVersion.Match(data) && k8sKind.Match(data):
		// Another Kubernetes resource (SPO's ProfileRecording or
		// ProfileBinding, a Pod): the SPO reader says what it is and
		// that it is not a profile, where rules would list unknown keys.
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

// hasCCall reports whether data calls seccomp_init or seccomp_rule_add
// ("seccomp_init (" included). It looks for the literal name first: a
// regular expression starting with \b would scan every byte slowly.
func hasCCall(data []byte) bool {
	for rest, off := data, 0; ; {
		i := bytes.Index(rest, []byte("seccomp_"))
		if i < 0 {
			return false
		}
		at := off + i
		if at == 0 || !isWordByte(data[at-1]) {
			tail := data[at+len("seccomp_"):]
			for _, name := range []string{"init", "rule_add"} {
				if t, ok := bytes.CutPrefix(tail, []byte(name)); ok {
					if t = bytes.TrimLeft(t, " \t\r\n"); len(t) > 0 && t[0] == '(' {
						return true
					}
				}
			}
		}
		rest, off = rest[i+1:], at+1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
