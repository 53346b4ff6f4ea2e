package convert

//go:generate go run -tags generate ./internal/mkpodman

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Docker and Podman profiles.
//
// A Docker profile (github.com/moby/profiles/seccomp) is an OCI
// linux.seccomp with three additions that are resolved when a container
// starts: archMap (per native architecture, the sub-architectures to add),
// a deprecated single "name" per rule, and per-rule includes/excludes by
// the container's capabilities, the native architecture and the kernel
// version. Podman and CRI-O (github.com/containers/common) read the same
// format plus errno names ("defaultErrno": "ENOSYS", "errno": "EPERM") and
// ignore minKernel. readDocker resolves all of it the way Docker's
// setupSeccomp does, for the target described by Options, into a flat
// profile that means the same to every runtime.

// dockerDoc is a Docker or Podman profile as written, before resolution.
type dockerDoc struct {
	seccomp.Seccomp

	// DefaultErrno and Errnos are Podman's errno names: the default's and,
	// parallel to Syscalls, each rule's ("" when not given).
	DefaultErrno string
	Errnos       []string

	// pos holds where each value was written, keyed by its path
	// ("syscalls[3].names[1]"); empty for built-in profiles.
	pos map[string]rules.Pos
}

// at returns where path was written, or where its closest enclosing value
// was when path itself was not (a missing key).
func (d *dockerDoc) at(path string) rules.Pos {
	for {
		if p, ok := d.pos[path]; ok || path == "" {
			return p
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
}

// given reports whether path was written in the document.
func (d *dockerDoc) given(path string) bool {
	_, ok := d.pos[path]
	return ok
}

var (
	dockerProfileKeys = []string{"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	dockerRuleKeys    = []string{"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"}
	dockerArchKeys    = []string{"architecture", "subArchitectures"}
	dockerFilterKeys  = []string{"caps", "arches", "minKernel"}
	argKeys           = []string{"index", "value", "valueTwo", "op"}
)

// readDocker reads a Docker or Podman JSON profile and resolves it for the
// target that opt describes.
func readDocker(name string, data []byte, opt Options) (*specs.LinuxSeccomp, error) {
	root, err := parseJSON(name, data)
	if err != nil {
		return nil, err
	}
	d := &treeDecoder{file: name}
	doc := d.dockerProfile(root, dockerProfileKeys, dockerRuleKeys)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return resolveDocker(name, doc, opt)
}

// writeDocker writes the profile as Docker and Podman read it: the
// canonical OCI JSON, whose fields both accept as they are.
func writeDocker(w io.Writer, s *specs.LinuxSeccomp, opt Options) error {
	return writeFlatJSON(w, s)
}

func writeFlatJSON(w io.Writer, s *specs.LinuxSeccomp) error {
	if s == nil {
		return errors.New("writing profile: no profile")
	}
	b, err := marshalJSON(toOCIJSON(s))
	if err != nil {
		return fmt.Errorf("writing profile: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// dockerProfile decodes the top level of a Docker or Podman profile,
// allowing the keys given: Docker's, or the OCI subset.
func (d *treeDecoder) dockerProfile(root *valueNode, profileKeys, ruleKeys []string) *dockerDoc {
	doc := &dockerDoc{pos: map[string]rules.Pos{"": root.pos}}
	for _, m := range d.members(root, "the profile", profileKeys) {
		switch m.key {
		case "defaultAction":
			doc.pos[m.key] = m.val.pos
			s, _ := d.str(m.val, m.key)
			doc.DefaultAction = specs.LinuxSeccompAction(s)
		case "defaultErrnoRet":
			doc.pos[m.key] = m.val.pos
			if n, ok := d.uint(m.val, m.key, 1<<32-1); ok {
				u := uint(n)
				doc.DefaultErrnoRet = &u
			}
		case "defaultErrno":
			doc.pos[m.key] = m.val.pos
			doc.DefaultErrno, _ = d.str(m.val, m.key)
		case "architectures":
			for _, s := range d.strList(m.val, m.key, doc.pos) {
				doc.Architectures = append(doc.Architectures, specs.Arch(s))
			}
		case "archMap":
			doc.pos[m.key] = m.val.pos
			for i, e := range d.list(m.val, m.key) {
				path := fmt.Sprintf("archMap[%d]", i)
				doc.pos[path] = e.pos
				var a seccomp.Architecture
				for _, f := range d.members(e, "an archMap entry", dockerArchKeys) {
					switch f.key {
					case "architecture":
						doc.pos[path+".architecture"] = f.val.pos
						s, _ := d.str(f.val, f.key)
						a.Arch = specs.Arch(s)
					case "subArchitectures":
						for _, s := range d.strList(f.val, path+".subArchitectures", doc.pos) {
							a.SubArches = append(a.SubArches, specs.Arch(s))
						}
					}
				}
				doc.ArchMap = append(doc.ArchMap, a)
			}
		case "flags":
			for _, s := range d.strList(m.val, m.key, doc.pos) {
				doc.Flags = append(doc.Flags, specs.LinuxSeccompFlag(s))
			}
		case "listenerPath":
			doc.ListenerPath, _ = d.str(m.val, m.key)
		case "listenerMetadata":
			doc.ListenerMetadata, _ = d.str(m.val, m.key)
		case "syscalls":
			for i, e := range d.list(m.val, m.key) {
				call, errno := d.dockerSyscall(e, fmt.Sprintf("syscalls[%d]", i), doc.pos, ruleKeys)
				doc.Syscalls = append(doc.Syscalls, call)
				doc.Errnos = append(doc.Errnos, errno)
			}
		}
	}
	return doc
}

// dockerSyscall decodes one rule. known lists the keys the format allows;
// an "errnoRet" written as a string (SPO v1alpha1) is returned as errno.
func (d *treeDecoder) dockerSyscall(n *valueNode, path string, pos map[string]rules.Pos, known []string) (*seccomp.Syscall, string) {
	pos[path] = n.pos
	call := &seccomp.Syscall{}
	var errno string
	for _, m := range d.members(n, "a syscall rule", known) {
		p := path + "." + m.key
		pos[p] = m.val.pos
		switch m.key {
		case "name":
			call.Name, _ = d.str(m.val, m.key)
		case "names":
			call.Names = d.strList(m.val, p, pos)
			if call.Names == nil && m.val.kind != valNull {
				call.Names = []string{}
			}
		case "action":
			s, _ := d.str(m.val, m.key)
			call.Action = specs.LinuxSeccompAction(s)
		case "errnoRet":
			if m.val.kind == valString && !slices.Contains(known, "errno") {
				errno = m.val.text
				pos[path+".errno"] = m.val.pos
				break
			}
			if v, ok := d.uint(m.val, m.key, 1<<32-1); ok {
				u := uint(v)
				call.ErrnoRet = &u
			}
		case "errno":
			errno, _ = d.str(m.val, m.key)
		case "comment":
			call.Comment, _ = d.str(m.val, m.key)
		case "args":
			for j, e := range d.list(m.val, m.key) {
				call.Args = append(call.Args, d.arg(e, fmt.Sprintf("%s.args[%d]", path, j), pos))
			}
		case "includes", "excludes":
			f := d.filter(m.val, p, pos)
			if m.key == "includes" {
				call.Includes = f
			} else {
				call.Excludes = f
			}
		}
	}
	return call, errno
}

func (d *treeDecoder) arg(n *valueNode, path string, pos map[string]rules.Pos) specs.LinuxSeccompArg {
	pos[path] = n.pos
	var a specs.LinuxSeccompArg
	for _, m := range d.members(n, "an argument condition", argKeys) {
		pos[path+"."+m.key] = m.val.pos
		switch m.key {
		case "index":
			if v, ok := d.uint(m.val, m.key, 1<<32-1); ok {
				a.Index = uint(v)
			}
		case "value":
			a.Value, _ = d.uint(m.val, m.key, 1<<64-1)
		case "valueTwo":
			a.ValueTwo, _ = d.uint(m.val, m.key, 1<<64-1)
		case "op":
			s, _ := d.str(m.val, m.key)
			a.Op = specs.LinuxSeccompOperator(s)
		}
	}
	return a
}

func (d *treeDecoder) filter(n *valueNode, path string, pos map[string]rules.Pos) *seccomp.Filter {
	if n.kind == valNull {
		return nil
	}
	f := &seccomp.Filter{}
	for _, m := range d.members(n, path[strings.LastIndexByte(path, '.')+1:], dockerFilterKeys) {
		p := path + "." + m.key
		switch m.key {
		case "caps":
			f.Caps = d.strList(m.val, p, pos)
		case "arches":
			f.Arches = d.strList(m.val, p, pos)
		case "minKernel":
			pos[p] = m.val.pos
			s, ok := d.str(m.val, m.key)
			if !ok {
				break
			}
			// Docker's own parser, so that "4.8", "" and "0.0" mean what
			// they mean to Docker.
			var k seccomp.KernelVersion
			if err := k.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
				d.errorf(m.val.pos, "minKernel %q: want \"<major>.<minor>\" such as \"5.8\"", s)
				break
			}
			f.MinKernel = &k
		}
	}
	return f
}

// resolveDocker turns a Docker or Podman profile into the flat profile a
// container would get from Docker on the target that opt describes.
func resolveDocker(file string, doc *dockerDoc, opt Options) (*specs.LinuxSeccomp, error) {
	r := &resolver{file: file, doc: doc, opt: &opt}
	out := r.resolve()
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	r.warnings()
	return normalize(file, out, opt)
}

type resolver struct {
	file string
	doc  *dockerDoc
	opt  *Options
	errs rules.ErrorList

	primary   string          // libseccomp name of the architecture filters see
	caps      map[string]bool // canonical CAP_ names
	kernel    *seccomp.KernelVersion
	kerr      error
	kerrShown bool

	minKernelNotes []string // rules a minKernel filter decided
	unknownDeny    []string // deny rules libseccomp 2.5 cannot filter
	ignoredErrno   []string // errnoRet on an action that does not use it
}

func (r *resolver) errorf(path string, format string, args ...any) {
	r.errs = append(r.errs, &rules.Error{File: r.file, Pos: r.doc.at(path), Msg: fmt.Sprintf(format, args...)})
}

func (r *resolver) where(path string) string {
	if p := r.doc.at(path); p.IsValid() && r.doc.given(path) {
		return fmt.Sprintf("%s:%d:%d", r.file, p.Line, max(p.Col, 1))
	}
	return r.file
}

func (r *resolver) resolve() *specs.LinuxSeccomp {
	doc := r.doc
	out := &specs.LinuxSeccomp{
		ListenerPath:     doc.ListenerPath,
		ListenerMetadata: doc.ListenerMetadata,
	}
	out.Architectures = r.architectures()
	r.capabilities()

	// The default action.
	if doc.DefaultAction == "" {
		r.errorf("", "defaultAction is missing")
	} else {
		ret := r.errno(doc.DefaultErrnoRet, doc.DefaultErrno, "defaultErrnoRet", "defaultErrno")
		if act, ok := r.action(doc.DefaultAction, ret, "defaultAction", "defaultErrnoRet", "defaultErrno"); ok {
			out.DefaultAction, out.DefaultErrnoRet = act.Spec()
			if ret != nil && act.Kind != rules.Errno && act.Kind != rules.Trace {
				r.ignoredErrno = append(r.ignoredErrno, fmt.Sprintf("%s (default)", r.where("defaultAction")))
			}
		}
	}

	for i, f := range doc.Flags {
		path := fmt.Sprintf("flags[%d]", i)
		if !slices.Contains(runcFlags, string(f)) {
			r.errorf(path, "%v", rules.UnknownName("seccomp flag", string(f), runcFlags))
		}
	}
	out.Flags = slices.Clone(doc.Flags)

	for i, call := range doc.Syscalls {
		errno := ""
		if i < len(doc.Errnos) {
			errno = doc.Errnos[i]
		}
		if sc, ok := r.syscall(fmt.Sprintf("syscalls[%d]", i), call, errno); ok {
			out.Syscalls = append(out.Syscalls, sc)
		}
	}
	return out
}

// architectures picks the target architectures and the primary one that
// includes/excludes by arch are checked against.
func (r *resolver) architectures() []specs.Arch {
	doc := r.doc
	for i, a := range doc.Architectures {
		if _, err := rules.ArchFromSpec(a); err != nil {
			r.errorf(fmt.Sprintf("architectures[%d]", i), "%v", err)
		}
	}
	for i, m := range doc.ArchMap {
		path := fmt.Sprintf("archMap[%d]", i)
		if !slices.Contains(ociArches, m.Arch) {
			r.errorf(path+".architecture", "%v", rules.UnknownName("architecture", string(m.Arch), archStrings(ociArches)))
		}
		for j, s := range m.SubArches {
			if !slices.Contains(ociArches, s) {
				r.errorf(fmt.Sprintf("%s.subArchitectures[%d]", path, j), "%v", rules.UnknownName("architecture", string(s), archStrings(ociArches)))
			}
		}
	}
	if len(doc.Architectures) > 0 && len(doc.ArchMap) > 0 {
		r.errorf("archMap", "both \"architectures\" and \"archMap\" are given; use one of them (Docker and Podman refuse this too)")
	}

	if len(r.opt.Arches) > 0 {
		var out []specs.Arch
		for _, name := range r.opt.Arches {
			a, err := rules.ArchSpec(name)
			if err != nil {
				r.errs = append(r.errs, &rules.Error{Msg: fmt.Sprintf("target architecture: %v", err)})
				continue
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
		r.primary = r.opt.Arches[0]
		return out
	}
	r.primary = rules.NativeArch()
	if len(doc.Architectures) > 0 {
		var names []string
		for _, a := range doc.Architectures {
			if n, err := rules.ArchFromSpec(a); err == nil {
				names = append(names, n)
			}
		}
		if len(names) == len(doc.Architectures) {
			if i, _, err := rules.CheckArchitectures(names, r.primary); err != nil {
				path := "architectures"
				if i >= 0 {
					path = fmt.Sprintf("architectures[%d]", i)
				}
				r.errorf(path, "%v", err)
			}
		}
		return slices.Clone(doc.Architectures)
	}
	if len(doc.ArchMap) == 0 {
		return nil
	}
	if r.primary == "" {
		r.errorf("archMap", "cannot tell this machine's architecture for archMap; name the target with --arch")
		return nil
	}
	native, err := rules.ArchSpec(r.primary)
	if err != nil {
		r.errorf("archMap", "%v", err)
		return nil
	}
	for _, m := range doc.ArchMap {
		if m.Arch != native || len(m.SubArches) == 0 {
			continue
		}
		var subs []string
		for _, s := range m.SubArches {
			if n, err := rules.ArchFromSpec(s); err == nil {
				subs = append(subs, n)
			} else {
				subs = append(subs, string(s))
			}
		}
		r.opt.warn("%s: archMap: the profile covers only %s; its sub-architectures %s are left out, so the kernel kills their syscalls (stricter than Docker, which adds them). To keep them, pass --arch %s",
			r.where("archMap"), r.primary, strings.Join(subs, ", "), strings.Join(append([]string{r.primary}, subs...), ","))
		break
	}
	return []specs.Arch{native}
}

// capabilities builds the capability set includes/excludes check.
func (r *resolver) capabilities() {
	caps := r.opt.Caps
	if caps == nil {
		caps = DockerDefaultCaps
	}
	r.caps = map[string]bool{}
	for _, c := range caps {
		if strings.EqualFold(c, "ALL") {
			for _, k := range linuxCaps {
				r.caps[k] = true
			}
			continue
		}
		canon, err := CanonicalCap(c)
		if err != nil {
			r.errs = append(r.errs, &rules.Error{Msg: err.Error()})
			continue
		}
		r.caps[canon] = true
	}
}

// errno combines a numeric errnoRet with Podman's errno name, which must
// agree when both are given.
func (r *resolver) errno(ret *uint, name, retPath, namePath string) *uint {
	if name == "" {
		return ret
	}
	n, err := rules.ParseErrno(name)
	if err != nil {
		r.errorf(namePath, "%v", err)
		return ret
	}
	if ret != nil && *ret != n {
		r.errorf(namePath, "%s %q is %d but %s is %d; they must agree", namePath[strings.LastIndexByte(namePath, '.')+1:], name, n, retPath[strings.LastIndexByte(retPath, '.')+1:], *ret)
		return ret
	}
	return &n
}

// action validates an action the way runc reads it.
func (r *resolver) action(act specs.LinuxSeccompAction, ret *uint, actPath, retPath, namePath string) (rules.Action, bool) {
	a, err := rules.ActionFromSpec(act, ret)
	if err == nil {
		return a, true
	}
	switch {
	case !slices.Contains(seccompActions, string(act)):
		if act == "" {
			r.errorf(actPath, "the action is missing")
		} else {
			r.errorf(actPath, "%v", rules.UnknownName("seccomp action", string(act), seccompActions))
		}
	case r.doc.given(retPath) || !r.doc.given(namePath):
		r.errorf(retPath, "%v", err)
	default:
		r.errorf(namePath, "%v", err)
	}
	return rules.Action{}, false
}

func (r *resolver) syscall(path string, call *seccomp.Syscall, errno string) (specs.LinuxSyscall, bool) {
	nerr := len(r.errs)
	if call == nil {
		r.errorf(path, "a syscall rule is null")
		return specs.LinuxSyscall{}, false
	}
	names := call.Names
	if call.Name != "" {
		if len(call.Names) > 0 {
			r.errorf(path+".name", "both \"name\" and \"names\" are given; use \"names\" (Docker and Podman refuse this too)")
		}
		names = []string{call.Name}
	}
	if len(names) == 0 {
		r.errorf(path, "the rule names no syscalls (\"names\" is missing or empty)")
	}
	for j, n := range names {
		np := fmt.Sprintf("%s.names[%d]", path, j)
		if call.Name != "" {
			np = path + ".name"
		}
		if !knownSyscall(n) {
			r.errorf(np, "%s", unknownSyscallMsg(n))
		}
	}

	ret := r.errno(call.ErrnoRet, errno, path+".errnoRet", path+".errno")
	act, actOK := r.action(call.Action, ret, path+".action", path+".errnoRet", path+".errno")
	for j, a := range call.Args {
		ap := fmt.Sprintf("%s.args[%d]", path, j)
		if _, err := rules.CondFromSpec(a); err != nil {
			switch {
			case a.Index > 5:
				r.errorf(ap+".index", "argument index %d is out of range (0-5)", a.Index)
			case !slices.Contains(seccompOps, string(a.Op)):
				if a.Op == "" {
					r.errorf(ap, "the comparison operator (\"op\") is missing")
				} else {
					r.errorf(ap+".op", "%v", rules.UnknownName("comparison operator", string(a.Op), seccompOps))
				}
			case a.ValueTwo != 0:
				r.errorf(ap+".valueTwo", "%v", err)
			default:
				r.errorf(ap, "%v", err)
			}
		}
	}
	r.checkFilter(path+".includes", call.Includes)
	r.checkFilter(path+".excludes", call.Excludes)
	if len(r.errs) > nerr || !actOK {
		return specs.LinuxSyscall{}, false
	}

	keep := r.keep(call, true)
	if keep != r.keep(call, false) {
		verb := "dropped here, kept"
		if keep {
			verb = "kept here, dropped"
		}
		r.minKernelNotes = append(r.minKernelNotes, fmt.Sprintf("%s (%s) is %s by Podman and CRI-O", r.where(path), strings.Join(names, ", "), verb))
	}
	if r.kerr != nil {
		if !r.kerrShown {
			r.errorf(path, "%v", r.kerr)
			r.kerrShown = true
		}
		return specs.LinuxSyscall{}, false
	}
	if !keep {
		return specs.LinuxSyscall{}, false
	}

	if ret != nil && act.Kind != rules.Errno && act.Kind != rules.Trace {
		r.ignoredErrno = append(r.ignoredErrno, r.where(path))
	}
	if act.IsDeny() {
		for _, n := range names {
			if len(rules.SyscallArches(n)) == 0 {
				r.unknownDeny = append(r.unknownDeny, n)
			}
		}
	}
	sc := specs.LinuxSyscall{Names: slices.Clone(names), Args: slices.Clone(call.Args)}
	sc.Action, sc.ErrnoRet = act.Spec()
	return sc, true
}

// checkFilter validates the capability and architecture names of an
// includes or excludes filter: Docker compares them as exact strings, so a
// misspelt one silently never matches.
func (r *resolver) checkFilter(path string, f *seccomp.Filter) {
	if f == nil {
		return
	}
	for i, c := range f.Caps {
		if slices.Contains(linuxCaps, c) {
			continue
		}
		p := fmt.Sprintf("%s.caps[%d]", path, i)
		if canon, err := CanonicalCap(c); err == nil {
			r.errorf(p, "capability %q never matches: Docker and Podman compare names exactly; write %q", c, canon)
		} else {
			r.errorf(p, "%v", err)
		}
	}
	for i, a := range f.Arches {
		if _, ok := dockerArchNames[a]; ok {
			continue
		}
		p := fmt.Sprintf("%s.arches[%d]", path, i)
		if alt := dockerArchSpelling(a); alt != "" {
			r.errorf(p, "architecture %q never matches: Docker and Podman name it %q here", a, alt)
		} else {
			r.errorf(p, "%v", rules.UnknownName("architecture", a, slices.Sorted(maps.Keys(dockerArchNames))))
		}
	}
}

// keep decides a rule's includes and excludes as Docker's setupSeccomp
// does; withKernel false ignores minKernel, as Podman does.
func (r *resolver) keep(call *seccomp.Syscall, withKernel bool) bool {
	if ex := call.Excludes; ex != nil {
		if r.archIn(ex.Arches) {
			return false
		}
		for _, c := range ex.Caps {
			if r.caps[c] {
				return false
			}
		}
		if withKernel && ex.MinKernel != nil && r.kernelAtLeast(*ex.MinKernel) {
			return false
		}
	}
	if in := call.Includes; in != nil {
		if len(in.Arches) > 0 && !r.archIn(in.Arches) {
			return false
		}
		for _, c := range in.Caps {
			if !r.caps[c] {
				return false
			}
		}
		if withKernel && in.MinKernel != nil && !r.kernelAtLeast(*in.MinKernel) {
			return false
		}
	}
	return true
}

func (r *resolver) archIn(arches []string) bool {
	for _, a := range arches {
		if dockerArchNames[a] == r.primary {
			return true
		}
	}
	return false
}

func (r *resolver) kernelAtLeast(min seccomp.KernelVersion) bool {
	if r.kernel == nil && r.kerr == nil {
		r.kernel, r.kerr = targetKernel(r.opt.Kernel)
	}
	if r.kerr != nil {
		return false
	}
	k := r.kernel
	return k.Kernel > min.Kernel || (k.Kernel == min.Kernel && k.Major >= min.Major)
}

// targetKernel parses a "major.minor" version (anything after it, as in a
// uname release "6.1.0-18-amd64", is ignored), or reads the running
// kernel's when v is empty.
func targetKernel(v string) (*seccomp.KernelVersion, error) {
	what := fmt.Sprintf("kernel version %q", v)
	if v == "" {
		var uts unix.Utsname
		if err := unix.Uname(&uts); err != nil {
			return nil, fmt.Errorf("reading the running kernel's version for minKernel: %w (name one with --kernel)", err)
		}
		v = unix.ByteSliceToString(uts.Release[:])
		what = fmt.Sprintf("running kernel version %q", v)
	}
	var k seccomp.KernelVersion
	if _, err := fmt.Sscanf(v, "%d.%d", &k.Kernel, &k.Major); err != nil {
		return nil, fmt.Errorf("%s: want \"<major>.<minor>\" such as \"6.1\"", what)
	}
	return &k, nil
}

func (r *resolver) warnings() {
	if len(r.minKernelNotes) > 0 {
		k := r.opt.Kernel
		if k == "" && r.kernel != nil {
			k = r.kernel.String() + " (the running kernel)"
		}
		r.opt.warn("minKernel decided rules for kernel %s as Docker does, but Podman and CRI-O ignore minKernel: %s. Name the target's kernel with --kernel",
			k, strings.Join(r.minKernelNotes, "; "))
	}
	if len(r.unknownDeny) > 0 {
		r.opt.warn("%s: libseccomp 2.5.4 (Debian 12) does not know %s: runc built against it skips those rules, so the calls get the default action instead",
			r.file, strings.Join(r.unknownDeny, ", "))
	}
	if len(r.ignoredErrno) > 0 {
		r.opt.warn("errnoRet on an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE is ignored by runc; dropped at %s", strings.Join(r.ignoredErrno, ", "))
	}
}

// Built-in profiles.

//go:embed builtin/podman-default.json
var podmanDefaultJSON []byte

// BuiltinNames lists the profiles Builtin knows, sorted.
func BuiltinNames() []string {
	return []string{"docker-default", "podman-default"}
}

// Builtin returns a built-in base profile resolved for the target that opt
// describes, as readDocker resolves a file: "docker-default" is Docker's
// default profile (github.com/moby/profiles/seccomp v0.3.0),
// "podman-default" Podman's and CRI-O's (github.com/containers/common
// v0.64.2).
func Builtin(name string, opt Options) (*specs.LinuxSeccomp, error) {
	switch name {
	case "docker-default":
		return resolveDocker(name, &dockerDoc{Seccomp: *seccomp.DefaultProfile()}, opt)
	case "podman-default":
		return readDocker(name, podmanDefaultJSON, opt)
	}
	return nil, rules.UnknownName("built-in profile", name, BuiltinNames())
}

// Names and tables.

// DockerDefaultCaps is the capability set `docker run` grants by default
// (moby's oci/caps.DefaultCapabilities), which includes and excludes are
// resolved against when Options.Caps is nil.
var DockerDefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// linuxCaps are the capabilities of Linux 6.x, in number order.
var linuxCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// CanonicalCap returns a capability's name as Docker writes it: "sys_admin"
// and "CAP_SYS_ADMIN" both give "CAP_SYS_ADMIN". Unknown names are errors.
func CanonicalCap(name string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	if slices.Contains(linuxCaps, c) {
		return c, nil
	}
	if sug := rules.Suggest(c, linuxCaps); sug != "" {
		return "", fmt.Errorf("unknown capability %q: did you mean %q?", name, sug)
	}
	return "", fmt.Errorf("unknown capability %q", name)
}

// dockerArchNames maps the architecture names Docker's and Podman's
// includes/excludes use (Go's and libseccomp-golang's spellings: amd64,
// arm64, …) to libseccomp's (x86_64, aarch64, …).
var dockerArchNames = map[string]string{
	"x86": "x86", "amd64": "x86_64", "x32": "x32", "arm": "arm", "arm64": "aarch64",
	"mips": "mips", "mips64": "mips64", "mips64n32": "mips64n32", "mipsel": "mipsel", "mipsel64": "mipsel64",
	"mipsel64n32": "mipsel64n32", "mips3l64n32": "mipsel64n32", // moby's spelling
	"ppc": "ppc", "ppc64": "ppc64", "ppc64le": "ppc64le", "s390": "s390", "s390x": "s390x",
	"parisc": "parisc", "parisc64": "parisc64", "riscv64": "riscv64",
	"loongarch64": "loongarch64", "loong64": "loongarch64", "m68k": "m68k", "sh": "sh", "sheb": "sheb",
}

// dockerArchSpelling returns the Docker spelling of another name for an
// architecture ("x86_64" or "SCMP_ARCH_X86_64" → "amd64"), or "".
func dockerArchSpelling(name string) string {
	lib := strings.ToLower(name)
	if a, err := rules.ArchFromSpec(specs.Arch(name)); err == nil {
		lib = a
	}
	switch lib {
	case "386", "i386", "i686":
		lib = "x86"
	case "x86-64":
		lib = "x86_64"
	}
	for _, d := range slices.Sorted(maps.Keys(dockerArchNames)) {
		if dockerArchNames[d] == lib && d != name {
			return d
		}
	}
	return ""
}

// ociArches are the architecture names runtime-spec defines.
var ociArches = []specs.Arch{
	specs.ArchX86, specs.ArchX86_64, specs.ArchX32, specs.ArchARM, specs.ArchAARCH64, specs.ArchMIPS,
	specs.ArchMIPS64, specs.ArchMIPS64N32, specs.ArchMIPSEL, specs.ArchMIPSEL64, specs.ArchMIPSEL64N32,
	specs.ArchPPC, specs.ArchPPC64, specs.ArchPPC64LE, specs.ArchS390, specs.ArchS390X, specs.ArchPARISC,
	specs.ArchPARISC64, specs.ArchRISCV64, specs.ArchLOONGARCH64, specs.ArchM68K, specs.ArchSH, specs.ArchSHEB,
}

func archStrings(as []specs.Arch) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

var seccompActions = []string{
	string(specs.ActKill), string(specs.ActKillProcess), string(specs.ActKillThread), string(specs.ActTrap),
	string(specs.ActErrno), string(specs.ActTrace), string(specs.ActAllow), string(specs.ActLog), string(specs.ActNotify),
}

var seccompOps = []string{
	string(specs.OpNotEqual), string(specs.OpLessThan), string(specs.OpLessEqual), string(specs.OpEqualTo),
	string(specs.OpGreaterEqual), string(specs.OpGreaterThan), string(specs.OpMaskedEqual),
}

// runcFlags are the filter flags runc knows.
var runcFlags = []string{
	"SECCOMP_FILTER_FLAG_TSYNC", string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow),
	string(specs.LinuxSeccompFlagWaitKillableRecv),
}

func knownSyscall(name string) bool { return rules.IsSyscall(name) }

func unknownSyscallMsg(name string) string {
	if name == "" {
		return "empty syscall name"
	}
	cands := rules.AllSyscalls()
	msg := fmt.Sprintf("unknown syscall %q (runc would silently skip it)", name)
	if sug := rules.Suggest(name, cands); sug != "" {
		msg += fmt.Sprintf(": did you mean %q?", sug)
	}
	return msg
}
