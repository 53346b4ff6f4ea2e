package spo

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"golang.org/x/sys/unix"
)

// The operator's CRD, as released: every resource Write emits must pass
// its schema, as the API server checks it with kubectl's default strict
// field validation.
const crdFile = "seccompprofiles-v1.0.0.yaml"

// openAPISchema is the part of OpenAPI v3 that a CRD's structural schema
// uses. It is decoded strictly: a keyword this validator does not know
// fails the test instead of being skipped.
type openAPISchema struct {
	Type        string                    `yaml:"type"`
	Description string                    `yaml:"description"`
	Properties  map[string]*openAPISchema `yaml:"properties"`
	Items       *openAPISchema            `yaml:"items"`
	Required    []string                  `yaml:"required"`
	Enum        []any                     `yaml:"enum"`
	Pattern     string                    `yaml:"pattern"`
	Format      string                    `yaml:"format"`
	Minimum     *int64                    `yaml:"minimum"`
	MaxItems    *int                      `yaml:"maxItems"`
	MinItems    *int                      `yaml:"minItems"`
	Default     any                       `yaml:"default"`
	ListType    string                    `yaml:"x-kubernetes-list-type"`
	ListMapKeys []string                  `yaml:"x-kubernetes-list-map-keys"`
	MaxLength   *int                      `yaml:"maxLength"`
	MinLength   *int                      `yaml:"minLength"`
}

// crd is the CRD's kind, and the schema of each version it serves.
type crd struct {
	group, kind string
	served      map[string]*openAPISchema
}

func loadCRD(t testing.TB) *crd {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "crd", crdFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Spec struct {
			Group string `yaml:"group"`
			Names struct {
				Kind string `yaml:"kind"`
			} `yaml:"names"`
			Versions []struct {
				Name   string `yaml:"name"`
				Served bool   `yaml:"served"`
				Schema struct {
					OpenAPIV3Schema any `yaml:"openAPIV3Schema"`
				} `yaml:"schema"`
			} `yaml:"versions"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	c := &crd{group: doc.Spec.Group, kind: doc.Spec.Names.Kind, served: map[string]*openAPISchema{}}
	for _, v := range doc.Spec.Versions {
		if !v.Served {
			continue
		}
		raw, err := yaml.Marshal(v.Schema.OpenAPIV3Schema)
		if err != nil {
			t.Fatal(err)
		}
		var s openAPISchema
		if err := yaml.UnmarshalWithOptions(raw, &s, yaml.Strict()); err != nil {
			t.Fatalf("the schema of %s uses what this validator does not check: %v", v.Name, err)
		}
		c.served[v.Name] = &s
	}
	return c
}

// validate checks a resource (YAML) as the API server would: a served
// version of the CRD's group and kind, a valid object name, and the
// version's schema with unknown fields refused.
func (c *crd) validate(resource []byte) []string {
	var v any
	if err := yaml.Unmarshal(resource, &v); err != nil {
		return []string{err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{"the resource is not an object"}
	}
	var errs []string
	group, version, _ := strings.Cut(fmt.Sprint(obj["apiVersion"]), "/")
	schema := c.served[version]
	if group != c.group || schema == nil {
		errs = append(errs, fmt.Sprintf("apiVersion %v: not a served version of %s", obj["apiVersion"], c.group))
	}
	if obj["kind"] != c.kind {
		errs = append(errs, fmt.Sprintf("kind %v: want %s", obj["kind"], c.kind))
	}
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); len(name) > 253 || !dns1123Subdomain.MatchString(name) {
		errs = append(errs, fmt.Sprintf("metadata.name %q: not a DNS-1123 subdomain", name))
	}
	if schema != nil {
		errs = append(errs, schema.check(v, "")...)
	}
	return errs
}

func (s *openAPISchema) check(v any, path string) []string {
	fail := func(format string, args ...any) []string {
		return []string{path + ": " + fmt.Sprintf(format, args...)}
	}
	if v == nil {
		return fail("null")
	}
	var errs []string
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fail("%T, want an object", v)
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, path+": "+r+" is required")
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s.Properties == nil {
				continue // metadata: ObjectMeta, checked apart
			}
			p, ok := s.Properties[k]
			if !ok {
				errs = append(errs, path+": unknown field "+k)
				continue
			}
			errs = append(errs, p.check(m[k], path+"."+k)...)
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			return fail("%T, want a list", v)
		}
		if s.MaxItems != nil && len(l) > *s.MaxItems {
			errs = append(errs, fail("%d items, at most %d", len(l), *s.MaxItems)...)
		}
		if s.MinItems != nil && len(l) < *s.MinItems {
			errs = append(errs, fail("%d items, at least %d", len(l), *s.MinItems)...)
		}
		if s.ListType == "set" {
			seen := map[string]bool{}
			for _, e := range l {
				k := fmt.Sprintf("%#v", e)
				if seen[k] {
					errs = append(errs, fail("duplicate %v in a set", e)...)
				}
				seen[k] = true
			}
		}
		for i, e := range l {
			errs = append(errs, s.Items.check(e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return fail("%T, want a string", v)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			errs = append(errs, fail("%q does not match %s", str, s.Pattern)...)
		}
		if s.MaxLength != nil && len(str) > *s.MaxLength {
			errs = append(errs, fail("longer than %d", *s.MaxLength)...)
		}
		if s.MinLength != nil && len(str) < *s.MinLength {
			errs = append(errs, fail("shorter than %d", *s.MinLength)...)
		}
	case "integer":
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case uint64:
			if x > math.MaxInt64 {
				return fail("%d is beyond int64", x)
			}
			n = int64(x)
		default:
			return fail("%T %v, want an integer", v, v)
		}
		if s.Format == "int32" && (n > math.MaxInt32 || n < math.MinInt32) {
			errs = append(errs, fail("%d is beyond int32", n)...)
		}
		if s.Minimum != nil && n < *s.Minimum {
			errs = append(errs, fail("%d is below %d", n, *s.Minimum)...)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fail("%T, want a boolean", v)
		}
	default:
		return fail("schema type %q is not checked by this validator", s.Type)
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		errs = append(errs, fail("%v is not one of %v", v, s.Enum)...)
	}
	return errs
}

// The validator itself: each resource breaks one rule of the schema.
func TestSchemaRejects(t *testing.T) {
	c := loadCRD(t)
	const ok = "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata:\n  name: web\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n"
	if errs := c.validate([]byte(ok)); len(errs) > 0 {
		t.Fatalf("a minimal resource fails: %v", errs)
	}
	rule := func(r string) string { return ok + "  syscalls:\n    - " + r + "\n" }
	for _, tt := range []struct{ name, in, want string }{
		{"value beyond int64", rule("{names: [openat], action: SCMP_ACT_ERRNO, args: [{index: 0, value: 18446744073709551516, op: SCMP_CMP_EQ}]}"), "beyond int64"},
		{"errnoRet beyond int32", rule("{names: [openat], action: SCMP_ACT_ERRNO, errnoRet: 4294967296}"), "beyond int32"},
		{"negative value", rule("{names: [openat], action: SCMP_ACT_ERRNO, args: [{index: 0, value: -1, op: SCMP_CMP_EQ}]}"), "below 0"},
		{"a name twice", rule("{names: [openat, openat], action: SCMP_ACT_ERRNO}"), "duplicate openat in a set"},
		{"seven args", rule("{names: [openat], action: SCMP_ACT_ERRNO, args: [{index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}, {index: 0, op: SCMP_CMP_EQ}]}"), "at most 6"},
		{"no names", rule("{names: [], action: SCMP_ACT_ERRNO}"), "at least 1"},
		{"unknown action", rule("{names: [openat], action: SCMP_ACT_EPERM}"), "is not one of"},
		{"unknown field", ok + "  defaultErrnoRet: 38\n", "unknown field defaultErrnoRet"},
		{"listener elsewhere", ok + "  listenerPath: /run/agent.sock\n", "does not match"},
		{"no default", strings.Replace(ok, "  defaultAction: SCMP_ACT_ALLOW\n", "  flags: [SECCOMP_FILTER_FLAG_LOG]\n", 1), "defaultAction is required"},
		{"not served", strings.Replace(ok, "/v1\n", "/v2\n", 1), "not a served version"},
		{"bad name", strings.Replace(ok, "name: web", "name: Web_1", 1), "not a DNS-1123 subdomain"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := c.validate([]byte(tt.in))
			if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
				t.Errorf("errors %q lack %q", errs, tt.want)
			}
		})
	}
}

// Every resource Write emits passes the schema, including profiles
// whose values SPO cannot carry as they are.
func TestWritePassesSchema(t *testing.T) {
	c := loadCRD(t)
	var profiles []*specs.LinuxSeccomp
	for _, arches := range [][]string{nil, {"x86_64", "x86", "x32"}, {"aarch64", "arm"}} {
		for _, b := range []string{"docker-default", "podman-default"} {
			s, err := docker.Builtin(b, format.Options{Arches: arches, Kernel: "6.1"})
			if err != nil {
				t.Fatal(err)
			}
			// Write refuses Podman's ENOSYS default, which SPO
			// cannot carry; its rules are what is checked here.
			s.DefaultErrnoRet = testutil.Errno(1)
			profiles = append(profiles, s)
		}
	}
	atFDCWD := uint64(math.MaxUint64 - 99) // -100 sign-extended
	profiles = append(profiles, spoProfile(),
		&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"openat", "openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(13), Args: []specs.LinuxSeccompArg{{Index: 0, Value: atFDCWD, Op: specs.OpEqualTo}}},
			{Names: []string{"mkdirat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1), Args: []specs.LinuxSeccompArg{{Index: 0, Value: math.MaxUint64, ValueTwo: atFDCWD, Op: specs.OpMaskedEqual}}},
		}})
	for i, s := range profiles {
		var out bytes.Buffer
		if err := Write(&out, s, format.Options{Name: fmt.Sprintf("p%d", i)}); err != nil {
			t.Fatalf("profile %d: %v", i, err)
		}
		if errs := c.validate(out.Bytes()); len(errs) > 0 {
			t.Errorf("profile %d: the API server would refuse it:\n%s", i, strings.Join(errs, "\n"))
		}
	}
}

// FuzzWritePassesSchema writes profiles of every shape a rule can take —
// each action, errno, operator, argument index and value, default action
// and architecture list — and holds Write to the schema: a resource it
// writes, the API server accepts; what SPO cannot carry, it refuses.
func FuzzWritePassesSchema(f *testing.F) {
	c := loadCRD(f)
	// Names come from the syscall table: readers refuse any other.
	names := syscalls.AllSyscalls()
	f.Add(uint8(0), uint8(1), uint16(1), uint8(0), uint8(2), uint64(math.MaxUint64-99), uint64(0), uint8(1), uint16(0), uint16(1))
	f.Add(uint8(1), uint8(3), uint16(38), uint8(5), uint8(6), uint64(math.MaxUint64), uint64(1<<63), uint8(7), uint16(100), uint16(100))
	f.Add(uint8(2), uint8(8), uint16(4095), uint8(3), uint8(0), uint64(0), uint64(0), uint8(0), uint16(7), uint16(300))
	f.Fuzz(func(t *testing.T, def, action uint8, errno uint16, index, op uint8, value, valueTwo uint64, arches uint8, name1, name2 uint16) {
		actions := []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKill, specs.ActKillProcess,
			specs.ActKillThread, specs.ActTrap, specs.ActTrace, specs.ActLog, specs.ActNotify}
		ops := []specs.LinuxSeccompOperator{specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
			specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual}
		archSets := [][]specs.Arch{nil, {specs.ArchX86_64}, {specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			{specs.ArchAARCH64, specs.ArchARM}, {specs.ArchRISCV64}, {specs.ArchS390X, specs.ArchS390},
			{specs.ArchPPC64LE}, {specs.ArchX86_64, specs.ArchAARCH64}}
		s := &specs.LinuxSeccomp{
			DefaultAction: actions[int(def)%len(actions)],
			Architectures: archSets[int(arches)%len(archSets)],
			Syscalls: []specs.LinuxSyscall{{
				Names:  []string{names[int(name1)%len(names)], names[int(name2)%len(names)]},
				Action: actions[int(action)%len(actions)],
				Args:   []specs.LinuxSeccompArg{{Index: uint(index % 8), Value: value, ValueTwo: valueTwo, Op: ops[int(op)%len(ops)]}},
			}},
		}
		if s.DefaultAction == specs.ActErrno {
			s.DefaultErrnoRet = testutil.Errno(unix.Errno(errno))
		}
		if s.Syscalls[0].Action == specs.ActErrno {
			s.Syscalls[0].ErrnoRet = testutil.Errno(unix.Errno(errno))
		}
		var out bytes.Buffer
		if err := Write(&out, s, format.Options{Name: "fuzz"}); err != nil {
			return // refused, with the reason: never an invalid resource
		}
		if errs := c.validate(out.Bytes()); len(errs) > 0 {
			t.Errorf("Write accepted %+v and wrote a resource the API server refuses:\n%s\n%s", s, strings.Join(errs, "\n"), out.Bytes())
		}
	})
}
