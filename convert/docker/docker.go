package docker

//go:generate go run -tags generate ./internal/mkpodman

import (
	_ "embed"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/kernel"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
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

// Doc is a Docker or Podman profile as written, before resolution.
type Doc struct {
	seccomp.Seccomp

	// DefaultErrno and Errnos are Podman's errno names: the default's and,
	// parallel to Syscalls, each rule's ("" when not given).
	DefaultErrno string
	Errnos       []string

	// Pos holds where each value was written, keyed by its path
	// ("syscalls[3].names[1]"); empty for built-in profiles.
	Pos map[string]rules.Pos
}

// At returns where path was written, or where its closest enclosing value
// was when path itself was not (a missing key).
func (d *Doc) At(path string) rules.Pos {
	for {
		if p, ok := d.Pos[path]; ok || path == "" {
			return p
		}
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
}

// Given reports whether path was written in the document.
func (d *Doc) Given(path string) bool {
	_, ok := d.Pos[path]
	return ok
}

var (
	dockerProfileKeys = []string{"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "flags", "listenerPath", "listenerMetadata", "syscalls"}
	dockerRuleKeys    = []string{"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes", "excludes"}
	dockerArchKeys    = []string{"architecture", "subArchitectures"}
	dockerFilterKeys  = []string{"caps", "arches", "minKernel"}
	argKeys           = []string{"index", "value", "valueTwo", "op"}
)

// Read reads a Docker or Podman JSON profile and resolves it for the
// target that opt describes.
func Read(name string, data []byte, opt format.Options) (*specs.LinuxSeccomp, error) {
	doc, err := Decode(name, data)
	if err != nil {
		return nil, err
	}
	return Resolve(name, doc, opt)
}

// Decode reads a Docker or Podman profile as written, with the position of
// every value, and resolves nothing.
func Decode(name string, data []byte) (*Doc, error) {
	root, err := format.ParseJSON(name, data)
	if err != nil {
		return nil, err
	}
	d := &Decoder{File: name}
	doc := d.Profile(root, dockerProfileKeys, dockerRuleKeys)
	if err := d.Errs.Err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// Write writes the profile as Docker and Podman read it: the
// canonical OCI JSON, whose fields both accept as they are.
func Write(w io.Writer, s *specs.LinuxSeccomp, opt format.Options) error {
	return format.WriteJSON(w, s)
}

// Resolve turns a Docker or Podman profile into the flat profile a
// container would get from Docker on the target that opt describes.
func Resolve(file string, doc *Doc, opt format.Options) (*specs.LinuxSeccomp, error) {
	r := &resolver{file: file, doc: doc, opt: &opt}
	out := r.resolve()
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	r.warnings()
	return format.Normalize(file, out, opt)
}

type resolver struct {
	file string
	doc  *Doc
	opt  *format.Options
	errs rules.ErrorList

	primary   string          // libseccomp name of the architecture filters see
	arches    []string        // the filter's architectures (nil: the native one)
	caps      map[string]bool // canonical CAP_ names
	kernel    *seccomp.KernelVersion
	kerr      error
	kerrShown bool

	cases          int      // syscall cases so far (rules.MaxCases)
	minKernelNotes []string // rules a minKernel filter decided
	unknownDeny    []string // deny rules libseccomp 2.5 cannot filter
	ignoredErrno   []string // errnoRet on an action that does not use it
}

func (r *resolver) errorf(path string, format string, args ...any) {
	r.errs = append(r.errs, &rules.Error{File: r.file, Pos: r.doc.At(path), Msg: fmt.Sprintf(format, args...)})
}

func (r *resolver) where(path string) string {
	if p := r.doc.At(path); p.IsValid() && r.doc.Given(path) {
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
	r.arches = syscalls.ArchesFromSpec(out.Architectures)
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
			r.errorf(path, "%v", suggest.UnknownName("seccomp flag", string(f), runcFlags))
		}
	}
	out.Flags = slices.Clone(doc.Flags)

	var paths []string
	for i, call := range doc.Syscalls {
		errno := ""
		if i < len(doc.Errnos) {
			errno = doc.Errnos[i]
		}
		if sc, ok := r.syscall(fmt.Sprintf("syscalls[%d]", i), call, errno); ok {
			out.Syscalls = append(out.Syscalls, sc)
			paths = append(paths, fmt.Sprintf("syscalls[%d]", i))
		}
	}
	r.multiplexed(out, paths)
	return out
}

// multiplexed refuses a profile libseccomp cannot load on an architecture
// that multiplexes calls (socket through socketcall on x86 …): there it
// moves each rule for the call onto the multiplexer, where arg0 is the
// call's number, so the rule's conditions on arg0 are lost (see
// rules.MultiplexKey). Two conditional rules whose other conditions agree
// become one condition with two actions, which libseccomp refuses
// (EEXIST), and runc fails to start the container.
func (r *resolver) multiplexed(out *specs.LinuxSeccomp, paths []string) {
	def, err := rules.ActionFromSpec(out.DefaultAction, out.DefaultErrnoRet)
	if err != nil {
		return
	}
	arches := r.arches
	if len(arches) == 0 {
		arches = []string{syscalls.NativeArch()}
	}
	// A multiplexer with an unconditional rule of its own (socketcall
	// denied outright, as convert --harden writes for the network), added
	// before the calls' rules: libseccomp keeps it and takes their rules,
	// moved onto it later, as redundant, so they do not clash. runc adds
	// the rules in the profile's order; the other way round the second
	// call's rule already fails (EEXIST, measured with libseccomp 2.5.4).
	own := map[string]int{}
	for i, sc := range out.Syscalls {
		if act, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet); err == nil && act != def && len(sc.Args) == 0 {
			for _, n := range sc.Names {
				if _, ok := own[n]; !ok {
					own[n] = i
				}
			}
		}
	}
	rs := make([]rules.MuxRule, len(out.Syscalls))
	for i, sc := range out.Syscalls {
		rs[i] = rules.MuxRule{Names: sc.Names, Action: def} // an action runc refuses takes no part
		if act, err := rules.ActionFromSpec(sc.Action, sc.ErrnoRet); err == nil {
			rs[i].Action = act
		}
		for _, a := range sc.Args {
			if c, err := rules.CondFromSpec(a); err == nil {
				rs[i].When = append(rs[i].When, c)
			}
		}
	}
	skip := func(i int, mux string) bool { first, has := own[mux]; return has && first < i }
	for _, cl := range rules.MultiplexClashes(rs, arches, def, skip) {
		r.errorf(paths[cl.Second]+".action", "%s: on %s, libseccomp moves the rules for %s onto %s, where arg0 is the call's number (%d) and the conditions on arg0 are lost: this %s and the %s at %s become two rules with the same conditions and different actions, which libseccomp refuses (EEXIST), so runc cannot load the profile; give %s one action, or leave %s out of the architectures",
			cl.Name, cl.Arch, cl.Name, cl.Mux, cl.Call, rs[cl.Second].Action, rs[cl.First].Action, r.where(paths[cl.First]), cl.Name, cl.Arch)
	}
}

// architectures picks the target architectures and the primary one that
// includes/excludes by arch are checked against.
func (r *resolver) architectures() []specs.Arch {
	doc := r.doc
	for i, a := range doc.Architectures {
		if _, err := syscalls.ArchFromSpec(a); err != nil {
			r.errorf(fmt.Sprintf("architectures[%d]", i), "%v", err)
		}
	}
	for i, m := range doc.ArchMap {
		path := fmt.Sprintf("archMap[%d]", i)
		if !slices.Contains(ociArches, m.Arch) {
			r.errorf(path+".architecture", "%v", suggest.UnknownName("architecture", string(m.Arch), archStrings(ociArches)))
		}
		for j, s := range m.SubArches {
			if !slices.Contains(ociArches, s) {
				r.errorf(fmt.Sprintf("%s.subArchitectures[%d]", path, j), "%v", suggest.UnknownName("architecture", string(s), archStrings(ociArches)))
			}
		}
	}
	if len(doc.Architectures) > 0 && len(doc.ArchMap) > 0 {
		r.errorf("archMap", "both \"architectures\" and \"archMap\" are given; use one of them (Docker and Podman refuse this too)")
	}

	if len(r.opt.Arches) > 0 {
		var out []specs.Arch
		for _, name := range r.opt.Arches {
			a, err := syscalls.ArchSpec(name)
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
	r.primary = syscalls.NativeArch()
	if len(doc.Architectures) > 0 {
		names := syscalls.ArchesFromSpec(doc.Architectures)
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
	native, err := syscalls.ArchSpec(r.primary)
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
			if n, err := syscalls.ArchFromSpec(s); err == nil {
				subs = append(subs, n)
			} else {
				subs = append(subs, string(s))
			}
		}
		r.opt.Warnf("%s: archMap: the profile covers only %s; its sub-architectures %s are left out, so the kernel kills their syscalls (stricter than Docker, which adds them). To keep them, pass --arch %s",
			r.where("archMap"), r.primary, strings.Join(subs, ", "), strings.Join(append([]string{r.primary}, subs...), ","))
		break
	}
	return []specs.Arch{native}
}

// capabilities builds the capability set includes/excludes check.
func (r *resolver) capabilities() {
	caps := r.opt.Caps
	if caps == nil {
		caps = DefaultCaps
	}
	canon := func(list []string) (out []string, all bool) {
		for _, c := range list {
			if strings.EqualFold(c, "ALL") {
				all = true
				continue
			}
			n, err := CanonicalCap(c)
			if err != nil {
				r.errs = append(r.errs, &rules.Error{Msg: err.Error()})
				continue
			}
			out = append(out, n)
		}
		return out, all
	}
	base, baseAll := canon(caps)
	add, addAll := canon(r.opt.CapAdd)
	drop, dropAll := canon(r.opt.CapDrop)
	if baseAll {
		base = linuxCaps
	}
	// As docker run combines them (moby's caps.TweakCapabilities): --cap-add
	// ALL is every capability but the dropped ones, --cap-drop ALL leaves
	// only the added ones, and otherwise the default set loses the
	// dropped and gains the added.
	r.caps = map[string]bool{}
	switch {
	case addAll:
		for _, c := range linuxCaps {
			r.caps[c] = !slices.Contains(drop, c)
		}
	case dropAll:
		for _, c := range add {
			r.caps[c] = true
		}
	default:
		for _, c := range base {
			r.caps[c] = !slices.Contains(drop, c)
		}
		for _, c := range add {
			r.caps[c] = true
		}
	}
}

// errno combines a numeric errnoRet with Podman's errno name, which must
// agree when both are given.
func (r *resolver) errno(ret *uint, name, retPath, namePath string) *uint {
	if name == "" {
		return ret
	}
	n, err := syscalls.ParseErrno(name)
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
			r.errorf(actPath, "%v", suggest.UnknownName("seccomp action", string(act), seccompActions))
		}
	case r.doc.Given(retPath) || !r.doc.Given(namePath):
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
		if r.doc.At(ap).IsValid() && !r.doc.Given(ap+".index") {
			// runc reads a missing index as 0: a condition meant for
			// another argument would silently test the first.
			r.errorf(ap, "the argument index (\"index\") is missing; runc would compare arg0, which may not be the argument meant (write \"index\": 0 if it is)")
			continue
		}
		if c, err := rules.CondFromSpec(a); err == nil {
			if err := c.CheckWidth(r.arches); err != nil {
				r.errorf(ap+".value", "%v", err)
			}
		} else {
			switch {
			case a.Index > 5:
				r.errorf(ap+".index", "argument index %d is out of range (0-5)", a.Index)
			case !slices.Contains(seccompOps, string(a.Op)):
				if a.Op == "" {
					r.errorf(ap, "the comparison operator (\"op\") is missing")
				} else {
					r.errorf(ap+".op", "%v", suggest.UnknownName("comparison operator", string(a.Op), seccompOps))
				}
			case a.ValueTwo != 0:
				r.errorf(ap+".valueTwo", "%v", err)
			default:
				r.errorf(ap, "%v", err)
			}
		}
	}
	// runc makes a rule whose conditions repeat an argument one rule per
	// condition, each naming every syscall: the cases multiply, and are
	// bounded here, where the rule has a position.
	if r.cases > rules.MaxCases {
		return specs.LinuxSyscall{}, false // said once
	}
	distinct := len(slices.Compact(slices.Sorted(slices.Values(names))))
	if r.cases += distinct * max(1, len(call.Args)); r.cases > rules.MaxCases {
		r.errorf(path, "the rules give syscalls more than %d cases (each syscall a rule names, once for each of its conditions when runc splits it): more than any profile needs", rules.MaxCases)
		return specs.LinuxSyscall{}, false
	}
	// Checked once a rule, on the condition with the highest argument:
	// names times conditions would grow with the square of the input.
	var conds []rules.Cond
	var condPaths []string
	for j, a := range call.Args {
		if c, err := rules.CondFromSpec(a); err == nil {
			conds, condPaths = append(conds, c), append(condPaths, fmt.Sprintf("%s.args[%d].index", path, j))
		}
	}
	if c, err := rules.CheckTaken(names, conds, r.arches); err != nil {
		r.errorf(condPaths[slices.Index(conds, c)], "%v", err)
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
			if len(syscalls.SyscallArches(n)) == 0 {
				r.unknownDeny = append(r.unknownDeny, n)
			}
		}
	}
	// A name given twice means it once; each copy would be carried into
	// every rule runc splits this one into.
	seen := map[string]bool{}
	var once []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			once = append(once, n)
		}
	}
	sc := specs.LinuxSyscall{Names: once, Args: slices.Clone(call.Args)}
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
			if r.opt.OnCap != nil {
				r.opt.OnCap(c)
			}
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
			r.errorf(p, "%v", suggest.UnknownName("architecture", a, slices.Sorted(maps.Keys(dockerArchNames))))
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
		var err error
		if v, err = kernel.Release(); err != nil {
			return nil, fmt.Errorf("reading the running kernel's version for minKernel: %w (name one with --kernel)", err)
		}
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
		r.opt.Warnf("minKernel decided rules for kernel %s as Docker does, but Podman and CRI-O ignore minKernel: %s. Name the target's kernel with --kernel",
			k, strings.Join(r.minKernelNotes, "; "))
	}
	if len(r.unknownDeny) > 0 {
		r.opt.Warnf("%s: libseccomp 2.5.4 (Debian 12) does not know %s: runc built against it skips those rules, so the calls get the default action instead",
			r.file, strings.Join(r.unknownDeny, ", "))
	}
	if len(r.ignoredErrno) > 0 {
		r.opt.Warnf("errnoRet on an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE is ignored by runc; dropped at %s", strings.Join(r.ignoredErrno, ", "))
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
func Builtin(name string, opt format.Options) (*specs.LinuxSeccomp, error) {
	switch name {
	case "docker-default":
		return Resolve(name, &Doc{Seccomp: *seccomp.DefaultProfile()}, opt)
	case "podman-default":
		return Read(name, podmanDefaultJSON, opt)
	}
	return nil, suggest.UnknownName("built-in profile", name, BuiltinNames())
}

// Names and tables.

// DefaultCaps is the capability set `docker run` grants by default
// (moby's oci/caps.DefaultCapabilities), which includes and excludes are
// resolved against when Options.Caps is nil.
var DefaultCaps = []string{
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
	if sug := suggest.Closest(c, linuxCaps); sug != "" {
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
	if a, err := syscalls.ArchFromSpec(specs.Arch(name)); err == nil {
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

func knownSyscall(name string) bool { return syscalls.IsSyscall(name) }

func unknownSyscallMsg(name string) string {
	if name == "" {
		return "empty syscall name"
	}
	cands := syscalls.AllSyscalls()
	msg := fmt.Sprintf("unknown syscall %s (runc would silently skip it)", suggest.Quote(name))
	if sug := suggest.Closest(name, cands); sug != "" {
		msg += fmt.Sprintf(": did you mean %q?", sug)
	}
	return msg
}
