package spo

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
	"github.com/oci-sbx/oci-sbx/internal/tree"
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

// Version is the API version Write emits: served and stored by the
// operator since 1.0 (v1beta1 is deprecated).
const Version = "v1"

// spoVersions are the API versions whose SeccompProfile spec Read
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

// Read reads a SeccompProfile resource (YAML or JSON) and validates its
// spec as the Docker reader validates a Docker profile.
func Read(name string, data []byte, opt format.Options) (*specs.LinuxSeccomp, error) {
	doc, err := Decode(name, data, opt)
	if err != nil {
		return nil, err
	}
	return docker.Resolve(name, doc, opt)
}

// Decode reads a SeccompProfile resource into its spec as written, with
// the position of every value; notes go to opt.Warn.
func Decode(name string, data []byte, opt format.Options) (*docker.Doc, error) {
	root, err := selectDoc(name, data, opt.Select)
	if err != nil {
		return nil, err
	}
	d := &docker.Decoder{File: name}
	doc := &docker.Doc{Pos: map[string]rules.Pos{"": root.Pos}}
	var apiVersion, kind string
	var spec *tree.Node
	for _, m := range d.Members(root, "the resource", spoTopKeys) {
		switch m.Key {
		case "apiVersion":
			apiVersion, _ = d.Str(m.Val, m.Key)
			if apiVersion == "" {
				break
			}
			group, version, _ := strings.Cut(apiVersion, "/")
			switch {
			case group != spoGroup:
				d.Errorf(m.Val.Pos, "apiVersion %q is not a Security Profiles Operator resource (want %s/%s)", apiVersion, spoGroup, Version)
			case !slices.Contains(spoVersions, version):
				d.Errorf(m.Val.Pos, "%v", suggest.UnknownName("SeccompProfile API version", version, spoVersions))
			}
		case "kind":
			kind, _ = d.Str(m.Val, m.Key)
			if kind != "" && kind != "SeccompProfile" {
				d.Errorf(m.Val.Pos, "kind %q: want SeccompProfile", kind)
			}
		case "metadata":
			// Any keys: kubectl writes many, and none changes the profile.
			if m.Val.Kind != tree.Object && m.Val.Kind != tree.Null {
				d.TypeErr(m.Val, m.Key, "an object")
			}
		case "status":
			// Written by the operator; nothing in it changes the profile.
		case "spec":
			spec = m.Val
		}
	}
	if apiVersion == "" {
		d.Errorf(root.Pos, "apiVersion is missing (want %s/%s)", spoGroup, Version)
	}
	if kind == "" {
		d.Errorf(root.Pos, "kind is missing (want SeccompProfile)")
	}
	if spec == nil {
		d.Errorf(root.Pos, "spec is missing")
	} else {
		decodeSpec(d, spec, doc, opt)
	}
	if err := d.Errs.Err(); err != nil {
		return nil, err
	}
	return doc, nil
}

func decodeSpec(d *docker.Decoder, spec *tree.Node, doc *docker.Doc, opt format.Options) {
	doc.Pos[""] = spec.Pos
	if spec.Kind == tree.Null {
		d.Errorf(spec.Pos, "spec is empty")
		return
	}
	for _, m := range d.Members(spec, "spec", spoSpecKeys) {
		doc.Pos[m.Key] = m.Val.Pos
		switch m.Key {
		case "baseProfileName":
			if base, _ := d.Str(m.Val, m.Key); base != "" {
				d.Errorf(m.Val.Pos, "baseProfileName %q names a base profile (another SeccompProfile, or an oci:// artifact) that the operator merges in on the cluster; oci-sbx cannot resolve it offline. Merge the base into this profile first, or write rules with \"extends:\"", base)
			}
		case "disabled":
			if m.Val.Kind != tree.Bool {
				d.TypeErr(m.Val, m.Key, "true or false")
			} else if m.Val.Text == "true" {
				opt.Warnf("%s:%d:%d: the profile is disabled: the operator does not install it on the nodes", d.File, m.Val.Pos.Line, m.Val.Pos.Col)
			}
		case "state":
			switch s, _ := d.Str(m.Val, m.Key); s {
			case "", "Enabled":
			case "Disabled":
				opt.Warnf("%s:%d:%d: the profile is disabled: the operator does not install it on the nodes", d.File, m.Val.Pos.Line, m.Val.Pos.Col)
			default:
				d.Errorf(m.Val.Pos, "%v", suggest.UnknownName("state", s, []string{"Enabled", "Disabled"}))
			}
		case "defaultAction":
			s, _ := d.Str(m.Val, m.Key)
			doc.DefaultAction = specs.LinuxSeccompAction(s)
		case "architectures":
			for i, s := range d.StrList(m.Val, m.Key, doc.Pos) {
				if s == "SCMP_ARCH_NATIVE" {
					// runc does not accept it; the host's own is what it means.
					native, err := syscalls.ArchSpec(syscalls.NativeArch())
					if err != nil {
						d.Errorf(doc.At(fmt.Sprintf("architectures[%d]", i)), "SCMP_ARCH_NATIVE: cannot tell this machine's architecture; name it")
						continue
					}
					p := doc.At(fmt.Sprintf("architectures[%d]", i))
					opt.Warnf("%s:%d:%d: SCMP_ARCH_NATIVE is written as %s, this machine's architecture (runc does not accept SCMP_ARCH_NATIVE)", d.File, p.Line, p.Col, native)
					s = string(native)
				}
				doc.Architectures = append(doc.Architectures, specs.Arch(s))
			}
		case "listenerPath":
			doc.ListenerPath, _ = d.Str(m.Val, m.Key)
		case "listenerMetadata":
			doc.ListenerMetadata, _ = d.Str(m.Val, m.Key)
		case "flags":
			for _, s := range d.StrList(m.Val, m.Key, doc.Pos) {
				doc.Flags = append(doc.Flags, specs.LinuxSeccompFlag(s))
			}
		case "syscalls":
			for i, e := range d.List(m.Val, m.Key) {
				path := fmt.Sprintf("syscalls[%d]", i)
				call, errno := d.Syscall(e, path, doc.Pos, spoSyscallKeys, true)
				// The operator's schema types values as int64: a larger
				// one is a resource the API server refuses.
				for j, a := range call.Args {
					for k, v := range []uint64{a.Value, a.ValueTwo} {
						if key := []string{"value", "valueTwo"}[k]; v > math.MaxInt64 {
							d.Errorf(doc.At(fmt.Sprintf("%s.args[%d].%s", path, j, key)), "%s %d is beyond int64, which the operator's schema allows: the API server refuses this resource; write the 32-bit value with a mask (arg & 0xffffffff == V, as convert --to spo does)", key, v)
						}
					}
				}
				doc.Syscalls = append(doc.Syscalls, call)
				doc.Errnos = append(doc.Errnos, errno)
			}
		}
	}
}

// The resource Write emits, in the field order of the operator's API.
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

var dns1123Label = `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
var dns1123Subdomain = regexp.MustCompile(`^` + dns1123Label + `(\.` + dns1123Label + `)*$`)

// FoldName folds s towards a Kubernetes object name: letters made
// lowercase, anything but letters, digits, '-' and '.' made '-', and no
// '-' or '.' at either end. It can be empty.
func FoldName(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s), "-.")
}

// checkK8sName reports whether name is a valid Kubernetes object name (a
// DNS-1123 subdomain), with a corrected name to try when it is not.
func checkK8sName(name string) error {
	if len(name) <= 253 && dns1123Subdomain.MatchString(name) {
		return nil
	}
	msg := fmt.Sprintf("profile name %q is not a valid Kubernetes name: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit", name)
	fixed := FoldName(name)
	if len(fixed) > 253 {
		fixed = strings.Trim(fixed[:253], "-.")
	}
	if fixed != "" && dns1123Subdomain.MatchString(fixed) {
		msg += fmt.Sprintf(" (try %q)", fixed)
	}
	return errors.New(msg)
}

// Write writes the profile as a SeccompProfile resource. What the
// resource cannot carry is refused when it would change the meaning, and
// warned about otherwise.
func Write(w io.Writer, s *specs.LinuxSeccomp, opt format.Options) error {
	if s == nil {
		return errors.New("writing SeccompProfile: no profile")
	}
	name := opt.Name
	if name == "" {
		name = format.DefaultName
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
		opt.Warnf("a SeccompProfile cannot say \"flags\": [] — the operator writes the profile without a flags key, so runc adds SECCOMP_FILTER_FLAG_SPEC_ALLOW (Spectre mitigations off) unless flags are given")
	}
	if s.ListenerPath != "" && !spoListenerPath.MatchString(s.ListenerPath) {
		fail("listenerPath %q: the SeccompProfile schema accepts only a socket directly under /var/run/security-profiles-operator/, so the API server would refuse the resource", s.ListenerPath)
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
			c, err := rules.CondFromSpec(a)
			if err != nil {
				fail("syscalls[%d] (%s): %v", i, names[0], err)
				continue
			}
			if a.Value > math.MaxInt64 || a.ValueTwo > math.MaxInt64 {
				m, ok := rules.LowerHalf(c)
				for _, n := range names {
					// The lower half decides only where the kernel
					// reads the argument as 32 bits.
					ok = ok && rules.IntArg(n, a.Index)
				}
				if !ok {
					fail("syscalls[%d] (%s): argument %d compares %s, above %d: the SeccompProfile schema types values as int64, and no 32-bit compare means the same", i, strings.Join(names, ", "), a.Index, c, int64(math.MaxInt64))
					continue
				}
				big = append(big, fmt.Sprintf("%s %s became %s", strings.Join(names, ", "), c, m))
				a = m.Spec()
			}
			masked := a.Op == specs.OpMaskedEqual
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
		opt.Warnf("the SeccompProfile schema types argument values as int64, so 64-bit compares beyond int64 that the lower half decides (a negative 32-bit value, sign-extended) are written as 32-bit masked compares (%s): "+
			"where the kernel reads the argument as 32 bits (a file descriptor such as AT_FDCWD, an int flag, an ioctl request) this means the same and also matches the zero-extended form; for a 64-bit argument it also matches values that differ only in the upper 32 bits",
			strings.Join(big, "; "))
	}

	res := spoResource{
		APIVersion: spoGroup + "/" + Version,
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

// otherKinds are the operator's resources that are not seccomp profiles,
// with what each is instead.
var otherKinds = map[string]string{
	"ProfileRecording":               "it asks the operator to record a profile from running pods; convert the SeccompProfile the recording produces",
	"ProfileBinding":                 "it binds a profile to the containers of an image; convert the SeccompProfile it names",
	"SelinuxProfile":                 "it is an SELinux policy",
	"RawSelinuxProfile":              "it is an SELinux policy",
	"AppArmorProfile":                "it is an AppArmor profile",
	"SecurityProfileNodeStatus":      "it is the operator's status of a profile on one node",
	"SecurityProfilesOperatorDaemon": "it configures the operator's daemon",
}

// selectDoc returns the SeccompProfile of a file that may hold several
// documents: the one named sel, or the only one. The operator's other
// kinds are skipped, and refused with what they are when nothing else is
// there.
func selectDoc(name string, data []byte, sel string) (*tree.Node, error) {
	docs, err := format.ParseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, &rules.Error{File: name, Msg: "the file holds no resource"}
	}
	if len(docs) == 1 && sel == "" {
		if err := notAProfile(name, docs[0]); err != nil {
			return nil, err
		}
		return docs[0], nil
	}
	var profiles []*tree.Node
	var names []string
	var first error
	others := map[string]string{} // name → kind, of what is not a profile
	for _, d := range docs {
		if err := notAProfile(name, d); err != nil {
			if first == nil {
				first = err
			}
			others[text(d.Get("metadata").Get("name"))] = text(d.Get("kind"))
			continue
		}
		profiles = append(profiles, d)
		names = append(names, text(d.Get("metadata").Get("name")))
	}
	switch {
	case len(profiles) == 0:
		return nil, first
	case sel != "":
		i := slices.Index(names, sel)
		if i < 0 {
			if kind, ok := others[sel]; ok {
				return nil, &rules.Error{File: name, Msg: fmt.Sprintf("%q is a %s, not a profile; the file's SeccompProfiles: %s", sel, kind, strings.Join(quoted(names), ", "))}
			}
			return nil, &rules.Error{File: name, Msg: fmt.Sprintf("no SeccompProfile named %q; the file holds %s", sel, strings.Join(quoted(names), ", "))}
		}
		if j := slices.Index(names[i+1:], sel); j >= 0 {
			return nil, &rules.Error{File: name, Pos: profiles[i+1+j].Pos, Msg: fmt.Sprintf("two SeccompProfiles named %q", sel)}
		}
		return profiles[i], nil
	case len(profiles) > 1:
		return nil, &rules.Error{File: name, Pos: profiles[1].Pos, Msg: fmt.Sprintf("the file holds %d SeccompProfiles (%s): choose one with --name", len(profiles), strings.Join(quoted(names), ", "))}
	}
	return profiles[0], nil
}

// notAProfile refuses a document of the operator's that is not a
// SeccompProfile, saying what it is; anything else is left to Read.
func notAProfile(file string, doc *tree.Node) error {
	kind := doc.Get("kind")
	group, _, _ := strings.Cut(text(doc.Get("apiVersion")), "/")
	if kind == nil || kind.Kind != tree.String || kind.Text == "SeccompProfile" {
		return nil
	}
	if what, ok := otherKinds[kind.Text]; ok && group == spoGroup {
		return &rules.Error{File: file, Pos: kind.Pos, Msg: fmt.Sprintf("kind %s is not a profile: %s", kind.Text, what)}
	}
	if api := doc.Get("apiVersion"); api != nil && api.Kind == tree.String {
		// Another Kubernetes resource (a Pod, a ConfigMap).
		return &rules.Error{File: file, Pos: kind.Pos, Msg: fmt.Sprintf("kind %s (%s) is not a profile: want a SeccompProfile (%s/v1)", kind.Text, api.Text, spoGroup)}
	}
	return nil
}

// text is a node's text, "" for none.
func text(n *tree.Node) string {
	if n == nil {
		return ""
	}
	return n.Text
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strconv.Quote(n)
	}
	return out
}
