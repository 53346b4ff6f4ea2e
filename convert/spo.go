package convert

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

// Security Profiles Operator SeccompProfile resources.
//
// The operator (sigs.k8s.io/security-profiles-operator) stores a profile
// as a SeccompProfile resource and writes its spec, as JSON, to every
// node under /var/lib/kubelet/seccomp/operator/. The spec is an OCI
// linux.seccomp without defaultErrnoRet, with errnoRet per rule, and with
// the resource's own fields: baseProfileName (another profile merged in on
// the cluster) and disabled (v1beta1 up to 0.10) or state (1.0).

const spoGroup = "security-profiles-operator.x-k8s.io"

// spoVersions are the API versions whose SeccompProfile spec readSPO
// understands: v1alpha1 (errnoRet as a string), v1beta1 and v1 (1.0).
var spoVersions = []string{"v1alpha1", "v1beta1", "v1"}

var (
	spoTopKeys     = []string{"apiVersion", "kind", "metadata", "spec", "status"}
	spoSpecKeys    = []string{"baseProfileName", "defaultAction", "architectures", "listenerPath", "listenerMetadata", "syscalls", "flags", "disabled", "state"}
	spoSyscallKeys = []string{"names", "action", "errnoRet", "args"}
)

// spoArches and spoFlags are the values the SeccompProfile CRD accepts.
var (
	spoArches = []string{
		"SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
		"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
		"SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
	}
	spoFlags = []string{
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	}
	// spoListenerPath is the listenerPath pattern of SPO 1.0's CRD.
	spoListenerPath = regexp.MustCompile(`^/var/run/security-profiles-operator/[a-zA-Z0-9_\-\.]+$`)
)

// readSPO reads a SeccompProfile resource (YAML or JSON) and validates its
// spec as readDocker validates a Docker profile.
func readSPO(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := &treeDecoder{file: name}
	doc := &dockerDoc{pos: map[string]rules.Pos{"": root.pos}}
	var apiVersion, kind string
	var spec *valueNode
	for _, m := range d.members(root, "the resource", spoTopKeys) {
		switch m.key {
		case "apiVersion":
			apiVersion, _ = d.str(m.val, m.key)
			if apiVersion == "" {
				break
			}
			group, version, _ := strings.Cut(apiVersion, "/")
			switch {
			case group != spoGroup:
				d.errorf(m.val.pos, "apiVersion %q is not a Security Profiles Operator resource (want %s/v1beta1)", apiVersion, spoGroup)
			case !slices.Contains(spoVersions, version):
				d.errorf(m.val.pos, "%v", suggest.UnknownName("SeccompProfile API version", version, spoVersions))
			}
		case "kind":
			kind, _ = d.str(m.val, m.key)
			if kind != "" && kind != "SeccompProfile" {
				d.errorf(m.val.pos, "kind %q: want SeccompProfile", kind)
			}
		case "metadata":
			// Any keys: kubectl writes many, and none changes the profile.
			if m.val.kind != valObject && m.val.kind != valNull {
				d.typeErr(m.val, m.key, "an object")
			}
		case "status":
			// Written by the operator; nothing in it changes the profile.
		case "spec":
			spec = m.val
		}
	}
	if apiVersion == "" {
		d.errorf(root.pos, "apiVersion is missing (want %s/v1beta1)", spoGroup)
	}
	if kind == "" {
		d.errorf(root.pos, "kind is missing (want SeccompProfile)")
	}
	if spec == nil {
		d.errorf(root.pos, "spec is missing")
	} else {
		d.spoSpec(spec, doc, opt)
	}
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return resolveDocker(name, doc, opt)
}

func (d *treeDecoder) spoSpec(spec *valueNode, doc *dockerDoc, opt Options) {
	doc.pos[""] = spec.pos
	if spec.kind == valNull {
		d.errorf(spec.pos, "spec is empty")
		return
	}
	for _, m := range d.members(spec, "spec", spoSpecKeys) {
		doc.pos[m.key] = m.val.pos
		switch m.key {
		case "baseProfileName":
			if base, _ := d.str(m.val, m.key); base != "" {
				d.errorf(m.val.pos, "baseProfileName %q names a base profile (another SeccompProfile, or an oci:// artifact) that the operator merges in on the cluster; oci-sbx cannot resolve it offline. Merge the base into this profile first, or write rules with \"extends:\"", base)
			}
		case "disabled":
			if m.val.kind != valBool {
				d.typeErr(m.val, m.key, "true or false")
			} else if m.val.text == "true" {
				opt.warn("%s:%d:%d: the profile is disabled: the operator does not install it on the nodes", d.file, m.val.pos.Line, m.val.pos.Col)
			}
		case "state":
			switch s, _ := d.str(m.val, m.key); s {
			case "", "Enabled":
			case "Disabled":
				opt.warn("%s:%d:%d: the profile is disabled: the operator does not install it on the nodes", d.file, m.val.pos.Line, m.val.pos.Col)
			default:
				d.errorf(m.val.pos, "%v", suggest.UnknownName("state", s, []string{"Enabled", "Disabled"}))
			}
		case "defaultAction":
			s, _ := d.str(m.val, m.key)
			doc.DefaultAction = specs.LinuxSeccompAction(s)
		case "architectures":
			for i, s := range d.strList(m.val, m.key, doc.pos) {
				if s == "SCMP_ARCH_NATIVE" {
					// runc does not accept it; the host's own is what it means.
					native, err := syscalls.ArchSpec(syscalls.NativeArch())
					if err != nil {
						d.errorf(doc.at(fmt.Sprintf("architectures[%d]", i)), "SCMP_ARCH_NATIVE: cannot tell this machine's architecture; name it")
						continue
					}
					p := doc.at(fmt.Sprintf("architectures[%d]", i))
					opt.warn("%s:%d:%d: SCMP_ARCH_NATIVE is written as %s, this machine's architecture (runc does not accept SCMP_ARCH_NATIVE)", d.file, p.Line, p.Col, native)
					s = string(native)
				}
				doc.Architectures = append(doc.Architectures, specs.Arch(s))
			}
		case "listenerPath":
			doc.ListenerPath, _ = d.str(m.val, m.key)
		case "listenerMetadata":
			doc.ListenerMetadata, _ = d.str(m.val, m.key)
		case "flags":
			for _, s := range d.strList(m.val, m.key, doc.pos) {
				doc.Flags = append(doc.Flags, specs.LinuxSeccompFlag(s))
			}
		case "syscalls":
			for i, e := range d.list(m.val, m.key) {
				call, errno := d.dockerSyscall(e, fmt.Sprintf("syscalls[%d]", i), doc.pos, spoSyscallKeys)
				doc.Syscalls = append(doc.Syscalls, call)
				doc.Errnos = append(doc.Errnos, errno)
			}
		}
	}
}

// parseYAML reads one YAML document into a tree.
func parseYAML(name string, data []byte) (*valueNode, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			return nil, &rules.Error{File: name, Pos: rules.Pos{Line: p.Line, Col: p.Column}, Msg: "malformed YAML: " + ye.GetMessage()}
		}
		return nil, &rules.Error{File: name, Msg: "malformed YAML: " + err.Error()}
	}
	var docs []*ast.DocumentNode
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			if _, ok := doc.Body.(*ast.CommentGroupNode); !ok {
				docs = append(docs, doc)
			}
		}
	}
	switch len(docs) {
	case 0:
		return nil, &rules.Error{File: name, Msg: "the file holds no resource"}
	case 1:
	default:
		return nil, &rules.Error{File: name, Pos: (&treeDecoder{}).yamlNode(docs[1].Body).pos, Msg: fmt.Sprintf("expected one SeccompProfile; the file holds %d documents", len(docs))}
	}
	d := &treeDecoder{file: name}
	root := d.yamlNode(docs[0].Body)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return root, nil
}

func yamlPos(n ast.Node) rules.Pos {
	if n == nil || n.GetToken() == nil {
		return rules.Pos{}
	}
	p := n.GetToken().Position
	return rules.Pos{Line: p.Line, Col: p.Column}
}

// yamlNode converts a YAML node. Anchors, aliases and merge keys are
// refused: a profile should say what it means where it says it.
func (d *treeDecoder) yamlNode(n ast.Node) *valueNode {
	out := &valueNode{pos: yamlPos(n), yaml: true}
	switch t := n.(type) {
	case nil, *ast.NullNode, *ast.CommentGroupNode:
		out.kind = valNull
	case *ast.TagNode:
		v := d.yamlNode(t.Value)
		if t.Start != nil && t.Start.Value == "!!str" && (v.kind == valNumber || v.kind == valBool) {
			v.kind = valString
		}
		return v
	case *ast.MappingNode:
		out.kind = valObject
		if !t.IsFlowStyle && len(t.Values) > 0 {
			out.pos = yamlPos(t.Values[0].Key) // not the first ':'
		}
		d.yamlMembers(out, t.Values)
	case *ast.MappingValueNode:
		out.kind = valObject
		out.pos = yamlPos(t.Key)
		d.yamlMembers(out, []*ast.MappingValueNode{t})
	case *ast.SequenceNode:
		out.kind = valArray
		for _, v := range t.Values {
			out.elems = append(out.elems, d.yamlNode(v))
		}
	case *ast.StringNode:
		out.kind, out.text = valString, t.Value
	case *ast.LiteralNode:
		out.kind, out.text = valString, t.Value.Value
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		out.kind, out.text = valNumber, t.GetToken().Value
	case *ast.BoolNode:
		out.kind = valBool
		out.text = fmt.Sprint(t.Value)
	case *ast.AnchorNode, *ast.AliasNode, *ast.MergeKeyNode:
		d.errorf(out.pos, "YAML anchors, aliases and merge keys are not supported; write the values out")
	default:
		d.errorf(out.pos, "unsupported YAML %s", strings.ToLower(n.Type().String()))
	}
	return out
}

func (d *treeDecoder) yamlMembers(out *valueNode, values []*ast.MappingValueNode) {
	seen := map[string]rules.Pos{}
	for _, mv := range values {
		k := d.yamlNode(mv.Key)
		if k.kind != valString && k.kind != valNumber && k.kind != valBool {
			d.errorf(k.pos, "a key must be a plain value, not %s", valueKindNames[k.kind])
			continue
		}
		if first, dup := seen[k.text]; dup {
			d.errorf(k.pos, "duplicate key %q (first given on line %d)", k.text, first.Line)
			continue
		}
		seen[k.text] = k.pos
		out.members = append(out.members, valueMember{key: k.text, pos: k.pos, val: d.yamlNode(mv.Value)})
	}
}

// The resource writeSPO emits, in the field order of the operator's API.
type (
	spoResource struct {
		APIVersion string      `yaml:"apiVersion"`
		Kind       string      `yaml:"kind"`
		Metadata   spoMetadata `yaml:"metadata"`
		Spec       spoSpec     `yaml:"spec"`
	}
	spoMetadata struct {
		Name string `yaml:"name"`
	}
	spoSpec struct {
		DefaultAction    string       `yaml:"defaultAction"`
		Architectures    []string     `yaml:"architectures,omitempty"`
		Flags            []string     `yaml:"flags,omitempty"`
		ListenerPath     string       `yaml:"listenerPath,omitempty"`
		ListenerMetadata string       `yaml:"listenerMetadata,omitempty"`
		Syscalls         []spoSyscall `yaml:"syscalls,omitempty"`
	}
	spoSyscall struct {
		Names    []string `yaml:"names"`
		Action   string   `yaml:"action"`
		ErrnoRet *uint    `yaml:"errnoRet,omitempty"`
		Args     []spoArg `yaml:"args,omitempty"`
	}
	spoArg struct {
		Index    uint    `yaml:"index"`
		Value    uint64  `yaml:"value"`
		ValueTwo *uint64 `yaml:"valueTwo,omitempty"`
		Op       string  `yaml:"op"`
	}
)

// DefaultName names a profile in outputs that carry a name when
// Options.Name is empty.
const DefaultName = "oci-sbx"

var dns1123Label = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
var dns1123Subdomain = regexp.MustCompile(`^` + dns1123Label + `(\.` + dns1123Label + `)*$`)

// checkK8sName reports whether name is a valid Kubernetes object name (a
// DNS-1123 subdomain), with a corrected name to try when it is not.
func checkK8sName(name string) error {
	if len(name) <= 253 && dns1123Subdomain.MatchString(name) {
		return nil
	}
	msg := fmt.Sprintf("profile name %q is not a valid Kubernetes name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", name)
	fixed := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, name)
	fixed = strings.Trim(fixed, "-.")
	if len(fixed) > 253 {
		fixed = strings.Trim(fixed[:253], "-.")
	}
	if fixed != "" && dns1123Subdomain.MatchString(fixed) {
		msg += fmt.Sprintf(" (try %q)", fixed)
	}
	return errors.New(msg)
}

// writeSPO writes the profile as a SeccompProfile resource. What the
// resource cannot carry is refused when it would change the meaning, and
// warned about otherwise.
func writeSPO(w io.Writer, s *specs.LinuxSeccomp, opt Options) error {
	if s == nil {
		return errors.New("writing SeccompProfile: no profile")
	}
	name := opt.Name
	if name == "" {
		name = DefaultName
	}
	if err := checkK8sName(name); err != nil {
		return fmt.Errorf("writing SeccompProfile: %w", err)
	}
	var errs, big []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	spec := spoSpec{
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}
	// Actions are written as runc reads them: SCMP_ACT_KILL_THREAD for
	// SCMP_ACT_KILL, an errno always explicit on a rule.
	def, err := rules.ActionFromSpec(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		fail("defaultAction: %v", err)
	} else if (def.Kind == rules.Errno || def.Kind == rules.Trace) && def.Ret != 1 {
		fail("the default action %s cannot be carried: a SeccompProfile has no defaultErrnoRet, so the operator's profile would return EPERM instead of %s; make the default errno(EPERM), or deny with explicit rules", def, syscalls.ErrnoName(def.Ret))
	} else {
		act, _ := def.Spec()
		spec.DefaultAction = string(act)
	}
	for _, a := range s.Architectures {
		switch {
		case !slices.Contains(spoArches, string(a)):
			fail("architecture %s is not one the SeccompProfile schema accepts", a)
		case !slices.Contains(spec.Architectures, string(a)):
			spec.Architectures = append(spec.Architectures, string(a))
		}
	}
	for _, f := range s.Flags {
		switch {
		case !slices.Contains(spoFlags, string(f)):
			fail("flag %s is not one the SeccompProfile schema accepts", f)
		case !slices.Contains(spec.Flags, string(f)):
			spec.Flags = append(spec.Flags, string(f))
		}
	}
	if len(s.Flags) == 0 {
		opt.warn("a SeccompProfile cannot say \"flags\": [] — the operator writes the profile without a flags key, so runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW (Spectre mitigations off) unless flags are given")
	}
	if s.ListenerPath != "" && !spoListenerPath.MatchString(s.ListenerPath) {
		opt.warn("listenerPath %q: the operator (1.0 and later) accepts only a socket directly under /var/run/security-profiles-operator/; the API server will refuse the resource", s.ListenerPath)
	}

	for i, sc := range s.Syscalls {
		act, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet)
		if err != nil {
			fail("syscalls[%d]: %v", i, err)
			continue
		}
		var names []string
		for _, n := range sc.Names {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue // names nothing, means nothing
		}
		spAct, ret := act.Spec()
		out := spoSyscall{Names: names, Action: string(spAct), ErrnoRet: ret}
		for _, a := range sc.Args {
			if _, err := rules.CondFromSpec(a); err != nil {
				fail("syscalls[%d] (%s): %v", i, names[0], err)
				continue
			}
			masked := a.Op == specs.OpMaskedEqual
			if a.Value > math.MaxInt64 || (masked && a.ValueTwo > math.MaxInt64) {
				big = append(big, names[0])
			}
			arg := spoArg{Index: a.Index, Value: a.Value, Op: string(a.Op)}
			// valueTwo matters only to SCMP_CMP_MASKED_EQ; elsewhere it
			// is kept as written when set.
			if masked || a.ValueTwo != 0 {
				v := a.ValueTwo
				arg.ValueTwo = &v
			}
			out.Args = append(out.Args, arg)
		}
		if len(out.Args) <= 6 {
			spec.Syscalls = append(spec.Syscalls, out)
			continue
		}
		// The schema allows six conditions per rule. More than six means
		// an argument index repeats, and then runc adds every condition
		// as a rule of its own: write them that way.
		for _, a := range out.Args {
			one := out
			one.Args = []spoArg{a}
			spec.Syscalls = append(spec.Syscalls, one)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("writing SeccompProfile: %s", strings.Join(errs, "; "))
	}
	if len(big) > 0 {
		// The file says it exactly, but Kubernetes keeps integers beyond
		// int64 only as floats: the cluster would fail to install it
		// rather than enforce another value.
		opt.warn("argument values above %d (in rules for %s) are written exactly, but the Kubernetes API server stores them only approximately: SPO 1.0 refuses them and older operators fail to install the profile. Compare fewer bits (SCMP_CMP_MASKED_EQ) if you can", int64(math.MaxInt64), strings.Join(slices.Compact(big), ", "))
	}

	res := spoResource{
		APIVersion: spoGroup + "/v1beta1",
		Kind:       "SeccompProfile",
		Metadata:   spoMetadata{Name: name},
		Spec:       spec,
	}
	b, err := yaml.MarshalWithOptions(res, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return fmt.Errorf("writing SeccompProfile: %w", err)
	}
	if _, err := io.WriteString(w, "# Generated by oci-sbx. Apply with kubectl; the Security Profiles Operator installs it on every node.\n"); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
