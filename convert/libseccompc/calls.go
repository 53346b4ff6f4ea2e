package libseccompc

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/suggest"
)

var lscActions = map[string]rules.ActionKind{
	"SCMP_ACT_ALLOW":        rules.Allow,
	"SCMP_ACT_KILL":         rules.KillThread, // libseccomp's KILL is kill-thread
	"SCMP_ACT_KILL_THREAD":  rules.KillThread,
	"SCMP_ACT_KILL_PROCESS": rules.KillProcess,
	"SCMP_ACT_TRAP":         rules.Trap,
	"SCMP_ACT_LOG":          rules.Log,
	"SCMP_ACT_NOTIFY":       rules.Notify,
}

func lscActionNames() []string {
	names := []string{"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"}
	for n := range lscActions {
		names = append(names, n)
	}
	return names
}

// action reads action argument k of a call.
func (p *lscParser) action(c lscCall, k int) (rules.Action, bool) {
	toks := strip(c.args[k])
	at := c.argPos[k]
	if len(toks) == 0 {
		p.errorf(at, "%s: missing action", c.name)
		return rules.Action{}, false
	}
	if len(toks) == 1 && toks[0].kind == cIdent {
		if kind, ok := lscActions[toks[0].text]; ok {
			return rules.Action{Kind: kind}, true
		}
		if name := toks[0].text; strings.HasPrefix(name, "SCMP_ACT_") {
			msg := fmt.Sprintf("%s: unknown action %q", c.name, name)
			if name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE" {
				msg = fmt.Sprintf("%s: %s needs a value, as in %s(1)", c.name, name, name)
			} else if s := suggest.Closest(name, lscActionNames()); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
			p.errorf(toks[0].pos, "%s", msg)
			return rules.Action{}, false
		}
	}
	if name, inner, ok := callOf(toks); ok && (name == "SCMP_ACT_ERRNO" || name == "SCMP_ACT_TRACE") {
		inner = strip(inner)
		if len(inner) == 0 {
			p.errorf(toks[0].pos, "%s: %s needs a value, as in %s(1)", c.name, name, name)
			return rules.Action{}, false
		}
		if name == "SCMP_ACT_ERRNO" {
			return p.errnoAction(c, inner)
		}
		v, ok := p.eval(c, inner, "trace message")
		if !ok {
			return rules.Action{}, false
		}
		if v.neg() || v.v > math.MaxUint16 {
			p.errorf(inner[0].pos, "%s: trace message %s is out of range (0-65535)", c.name, v)
			return rules.Action{}, false
		}
		return rules.Action{Kind: rules.Trace, Ret: uint(v.v)}, true
	}
	p.errorf(at, "%s: cannot follow action %s; write SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), SCMP_ACT_KILL_PROCESS …", c.name, describe(toks))
	return rules.Action{}, false
}

func (p *lscParser) errnoAction(c lscCall, inner []cTok) (rules.Action, bool) {
	at := inner[0].pos
	var n uint64
	if len(inner) == 1 && inner[0].kind == cIdent && !looksLikeVariable(inner[0].text) && strings.HasPrefix(inner[0].text, "E") {
		e, err := syscalls.ParseErrno(inner[0].text)
		if err != nil {
			p.errorf(at, "%s: %v", c.name, err)
			return rules.Action{}, false
		}
		n = uint64(e)
	} else {
		v, ok := p.eval(c, inner, "errno")
		if !ok {
			return rules.Action{}, false
		}
		if v.neg() {
			p.errorf(at, "%s: errno %s is negative; libseccomp takes a positive errno, as in SCMP_ACT_ERRNO(EPERM)", c.name, v)
			return rules.Action{}, false
		}
		n = v.v
	}
	switch {
	case n == 0:
		p.errorf(at, "%s: %v", c.name, rules.ErrZeroErrno)
		return rules.Action{}, false
	case n > rules.MaxErrno:
		p.errorf(at, "%s: errno %d is out of range (1-%d): libseccomp refuses it", c.name, n, rules.MaxErrno)
		return rules.Action{}, false
	}
	return rules.Action{Kind: rules.Errno, Ret: uint(n)}, true
}

// syscallMacro returns the syscall a C library's number macro names:
// __NR_x and libseccomp's __SNR_x, and glibc's SYS_x (<sys/syscall.h>
// defines each as __NR_x, in lower case, unlike SYS_SECCOMP and other
// constants of the same prefix); "" for any other name.
func syscallMacro(name string) string {
	for _, prefix := range []string{"__NR_", "__SNR_", "SYS_"} {
		if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" && (prefix != "SYS_" || rest == strings.ToLower(rest)) {
			return rest
		}
	}
	return ""
}

// syscall reads the syscall argument of a rule.
func (p *lscParser) syscall(c lscCall, k int) (rules.Name, bool) {
	toks := strip(c.args[k])
	at := c.argPos[k]
	var name cTok
	switch fn, inner, isCall := callOf(toks); {
	case isCall && fn == "SCMP_SYS" && len(inner) == 1 && inner[0].kind == cIdent:
		name = inner[0]
	case isCall && fn == "seccomp_syscall_resolve_name" && len(inner) == 1 && inner[0].kind == cString &&
		!strings.Contains(inner[0].text, `\`):
		name = inner[0]
		name.text = strings.Trim(name.text, `"`)
	case len(toks) == 1 && toks[0].kind == cIdent && syscallMacro(toks[0].text) != "":
		name = toks[0]
		name.text = syscallMacro(name.text)
	case len(toks) == 1 && toks[0].kind == cNumber:
		p.errorf(at, "%s: cannot follow syscall number %s, which differs between architectures; write SCMP_SYS(name)", c.name, toks[0].text)
		return rules.Name{}, false
	case len(toks) == 0:
		p.errorf(at, "%s: missing syscall", c.name)
		return rules.Name{}, false
	default:
		p.errorf(at, "%s: cannot follow syscall argument %s; write SCMP_SYS(name)", c.name, describe(toks))
		return rules.Name{}, false
	}
	if !syscalls.IsSyscall(name.text) {
		msg := fmt.Sprintf("%s: unknown syscall %s", c.name, suggest.Quote(name.text))
		if s := suggest.Closest(name.text, syscalls.AllSyscalls()); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		p.errorf(name.pos, "%s", msg)
		return rules.Name{}, false
	}
	return rules.Name{Name: name.text, Pos: name.pos}, true
}

// ruleAdd follows seccomp_rule_add and seccomp_rule_add_exact.
func (p *lscParser) ruleAdd(st *lscState, c lscCall) {
	if !st.firstRule.IsValid() {
		st.firstRule = c.pos
	}
	if len(c.args) < 4 {
		p.errorf(c.pos, "%s: takes a filter context, an action, a syscall and a condition count, then the conditions", c.name)
		return
	}
	r := rules.Rule{Pos: c.pos, ActionPos: c.argPos[1]}
	a, ok := p.action(c, 1)
	r.Action = a
	name, sysOK := p.syscall(c, 2)
	ok = ok && sysOK
	r.Syscalls = []rules.Name{name}
	conds := c.args[4:]
	if n, countOK := p.eval(c, c.args[3], "condition count"); !countOK {
		ok = false
	} else if n.neg() || n.v != uint64(len(conds)) {
		follow := fmt.Sprintf("%d conditions follow", len(conds))
		if len(conds) == 1 {
			follow = "1 condition follows"
		}
		p.errorf(c.argPos[3], "%s: the condition count is %s but %s", c.name, n, follow)
		ok = false
	}
	seen := map[uint]bool{}
	for k := range conds {
		cond, condOK := p.cond(c, 4+k)
		if !condOK {
			ok = false
			continue
		}
		if seen[cond.Arg] {
			p.errorf(cond.Pos, "%s: argument %d is compared twice; libseccomp rejects such a rule (EINVAL)", c.name, cond.Arg)
			ok = false
		}
		seen[cond.Arg] = true
		r.When = append(r.When, cond)
	}
	if ok {
		st.prof.Rules = append(st.prof.Rules, r)
	}
}

var (
	lscArgMacro = regexp.MustCompile(`^SCMP_A([0-9]+)(_64|_32)?$`)
	lscCmpMacro = regexp.MustCompile(`^SCMP_CMP(64|32)?$`)
)

var lscOps = map[string]rules.Op{
	"SCMP_CMP_NE": rules.OpNE, "SCMP_CMP_LT": rules.OpLT, "SCMP_CMP_LE": rules.OpLE, "SCMP_CMP_EQ": rules.OpEQ,
	"SCMP_CMP_GE": rules.OpGE, "SCMP_CMP_GT": rules.OpGT, "SCMP_CMP_MASKED_EQ": rules.OpMaskedEQ,
}

// cond reads condition argument k of a rule: SCMP_An(op, value…),
// SCMP_An_64, SCMP_An_32 or SCMP_CMP(n, op, value…).
//
// The _32 forms mean what libseccomp 2.5 makes of them: each datum is cast
// to uint32_t and then compared with the whole 64-bit argument, as
// seccomp_export_pfc shows — SCMP_A0_32(SCMP_CMP_EQ, -1) tests
// arg0 == 0xffffffff with a zero high word, not the low half alone.
func (p *lscParser) cond(c lscCall, k int) (rules.Cond, bool) {
	toks := strip(c.args[k])
	fn, inner, isCall := callOf(toks)
	var rest [][]cTok
	var bits32 bool
	var arg uint64
	switch m, m2 := lscArgMacro.FindStringSubmatch(fn), lscCmpMacro.FindStringSubmatch(fn); {
	case isCall && m != nil:
		n, err := strconv.ParseUint(m[1], 10, 8)
		if err != nil {
			n = math.MaxUint8
		}
		arg, bits32, rest = n, m[2] == "_32", splitTop(inner)
	case isCall && m2 != nil:
		parts := splitTop(inner)
		rest, bits32 = parts[1:], m2[1] == "32"
		v, ok := p.eval(c, parts[0], "argument index")
		if !ok {
			return rules.Cond{}, false
		}
		arg = v.v
		if v.neg() {
			arg = math.MaxUint64
		}
	default:
		p.errorf(c.argPos[k], "%s: cannot follow condition %s; write SCMP_A0(SCMP_CMP_EQ, value) … SCMP_A5(…)", c.name, describe(toks))
		return rules.Cond{}, false
	}
	cond := rules.Cond{Pos: toks[0].pos}
	if arg > 5 {
		p.errorf(toks[0].pos, "%s: argument index %d is out of range (0-5)", c.name, arg)
		return rules.Cond{}, false
	}
	cond.Arg = uint(arg)
	if len(rest) == 0 || len(rest[0]) == 0 {
		p.errorf(toks[0].pos, "%s: %s needs a comparison, as in SCMP_CMP_EQ", c.name, fn)
		return rules.Cond{}, false
	}
	opToks := strip(rest[0])
	op, known := rules.Op(0), false
	if len(opToks) == 1 && opToks[0].kind == cIdent {
		op, known = lscOps[opToks[0].text]
	}
	if !known {
		msg := fmt.Sprintf("%s: cannot follow comparison %s; write SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE or SCMP_CMP_MASKED_EQ", c.name, describe(opToks))
		if len(opToks) == 1 && strings.HasPrefix(opToks[0].text, "SCMP_CMP_") {
			names := make([]string, 0, len(lscOps))
			for n := range lscOps {
				names = append(names, n)
			}
			msg = fmt.Sprintf("%s: unknown comparison %q", c.name, opToks[0].text)
			if s := suggest.Closest(opToks[0].text, names); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			}
		}
		p.errorf(rest[0][0].pos, "%s", msg)
		return rules.Cond{}, false
	}
	cond.Op = op
	values := rest[1:]
	want := "one value"
	if op == rules.OpMaskedEQ {
		want = "a mask and a value"
	}
	if len(values) == 0 || len(values) > 2 || op != rules.OpMaskedEQ && len(values) != 1 {
		p.errorf(toks[0].pos, "%s: %s takes %s, not %d", c.name, opToks[0].text, want, len(values))
		return rules.Cond{}, false
	}
	datum := make([]uint64, 2) // datum_b is zero when not given
	for j, v := range values {
		x, ok := p.eval(c, v, "condition value")
		if !ok {
			return rules.Cond{}, false
		}
		datum[j] = x.v
		if bits32 {
			datum[j] = uint64(uint32(x.v))
		}
	}
	if op == rules.OpMaskedEQ {
		cond.Mask, cond.Value = datum[0], datum[1]
	} else {
		cond.Value = datum[0]
	}
	if err := cond.Check(); err != nil {
		p.errorf(cond.Pos, "%s: %v", c.name, err)
		return rules.Cond{}, false
	}
	return cond, true
}

// arch follows seccomp_arch_add and seccomp_arch_remove. A new filter
// holds the native architecture.
func (p *lscParser) arch(st *lscState, c lscCall) {
	if !c.want(p, 2, "a filter context and an architecture") {
		return
	}
	toks := strip(c.args[1])
	at := c.argPos[1]
	if len(toks) != 1 || toks[0].kind != cIdent || !strings.HasPrefix(toks[0].text, "SCMP_ARCH_") {
		p.errorf(at, "%s: cannot follow architecture %s; write SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 …", c.name, describe(toks))
		return
	}
	name := strings.ToLower(strings.TrimPrefix(toks[0].text, "SCMP_ARCH_"))
	if name != rules.Native && !contains(syscalls.Arches(), name) {
		var names []string
		for _, a := range append(syscalls.Arches(), rules.Native) {
			names = append(names, "SCMP_ARCH_"+strings.ToUpper(a))
		}
		msg := fmt.Sprintf("%s: unknown architecture %q", c.name, toks[0].text)
		if s := suggest.Closest(toks[0].text, names); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		p.errorf(at, "%s", msg)
		return
	}
	if !st.archCalled {
		st.archCalled = true
		st.arches = []rules.Name{{Name: rules.Native, Pos: st.initPos}}
	}
	idx, explicit, hasNative := -1, false, false
	for k, a := range st.arches {
		if a.Name == name {
			idx = k
		}
		explicit = explicit || a.Name != rules.Native
		hasNative = hasNative || a.Name == rules.Native
	}
	if c.name == "seccomp_arch_add" {
		if st.firstRule.IsValid() {
			p.errorf(c.pos, "seccomp_arch_add: after seccomp_rule_add (line %d), but libseccomp adds earlier rules only to the architectures the filter had then; add architectures first", st.firstRule.Line)
			return
		}
		if idx < 0 { // adding an architecture twice fails with EEXIST
			st.arches = append(st.arches, rules.Name{Name: name, Pos: toks[0].pos})
		}
		return
	}
	switch {
	case name == rules.Native && explicit:
		p.errorf(at, "seccomp_arch_remove: removing SCMP_ARCH_NATIVE after adding other architectures removes one of them when it is the host's; remove SCMP_ARCH_NATIVE first")
	case idx >= 0:
		st.arches = append(st.arches[:idx:idx], st.arches[idx+1:]...)
	case hasNative:
		p.errorf(at, "seccomp_arch_remove: %s is in the filter only when it is the host's own architecture; write seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)", toks[0].text)
	}
}

// attr follows seccomp_attr_set.
func (p *lscParser) attr(st *lscState, c lscCall) {
	if !c.want(p, 3, "a filter context, an attribute and a value") {
		return
	}
	toks := strip(c.args[1])
	at := c.argPos[1]
	if len(toks) != 1 || toks[0].kind != cIdent {
		p.errorf(at, "seccomp_attr_set: cannot follow attribute %s; write SCMP_FLTATR_…", describe(toks))
		return
	}
	var flag specs.LinuxSeccompFlag
	switch name := toks[0].text; name {
	case "SCMP_FLTATR_CTL_NNP", "SCMP_FLTATR_CTL_OPTIMIZE", "SCMP_FLTATR_API_SYSRAWRC", "SCMP_FLTATR_API_TSKIP":
		// No_new_privs, the shape of the generated code and libseccomp's
		// own return codes: none changes what the filter decides.
		return
	case "SCMP_FLTATR_CTL_LOG":
		flag = specs.LinuxSeccompFlagLog
	case "SCMP_FLTATR_CTL_SSB":
		flag = specs.LinuxSeccompFlagSpecAllow
	case "SCMP_FLTATR_ACT_DEFAULT":
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_ACT_DEFAULT cannot be changed after seccomp_init (libseccomp returns EACCES); set the default in seccomp_init")
		return
	case "SCMP_FLTATR_ACT_BADARCH":
		if a, ok := p.action(c, 2); ok && !a.IsDeny() {
			p.errorf(c.argPos[2], "seccomp_attr_set: the bad-architecture action is %s: calls from every architecture the filter does not list (i386 int 0x80, x32) run unfiltered, and a profile cannot carry it",
				joinText(strip(c.args[2])))
			return
		}
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_ACT_BADARCH sets the action for other architectures, which a profile cannot express")
		return
	case "SCMP_FLTATR_CTL_TSYNC":
		p.errorf(at, "seccomp_attr_set: SCMP_FLTATR_CTL_TSYNC applies the filter to every thread of the process, which a profile cannot express (runtimes filter the thread that executes the container)")
		return
	default:
		msg := fmt.Sprintf("seccomp_attr_set: cannot follow attribute %s", describe(toks))
		if strings.HasPrefix(name, "SCMP_FLTATR_") {
			msg = fmt.Sprintf("seccomp_attr_set: unknown attribute %q", name)
		}
		p.errorf(at, "%s", msg)
		return
	}
	v, ok := p.eval(c, c.args[2], "attribute value")
	if !ok {
		return
	}
	flags := st.prof.Flags[:0:0]
	for _, f := range st.prof.Flags {
		if f != flag {
			flags = append(flags, f)
		}
	}
	if v.v != 0 {
		flags = append(flags, flag)
	}
	st.prof.Flags = flags
}
