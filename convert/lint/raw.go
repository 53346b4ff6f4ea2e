package lint

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// The document as written: what convert.Read normalises away, with the
// positions the findings about the profile as loaded borrow.

type rawResult struct {
	findings []Finding
	ids      map[string]bool      // ids found here, which the profile checks need not repeat
	names    map[string]rules.Pos // where each syscall is first named
}

func (r *rawResult) add(f Finding) {
	r.findings = append(r.findings, f)
	r.ids[f.ID] = true
}

func (r *rawResult) name(n string, at rules.Pos) {
	if _, ok := r.names[n]; !ok && at.IsValid() {
		r.names[n] = at
	}
}

func lintRaw(name string, data []byte, from convert.Format) *rawResult {
	r := &rawResult{ids: map[string]bool{}, names: map[string]rules.Pos{}}
	doc, err := convert.Parse(name, data, from)
	if err != nil {
		return r // convert.Read says what is wrong
	}
	switch {
	case doc.Rules != nil:
		rawRules(r, name, doc.Rules)
	case doc.Docker != nil:
		rawProfile(r, name, doc.Docker, from == convert.SPO)
	}
	return r
}

// rawProfile checks a linux.seccomp object, a Docker or Podman profile,
// or an SPO spec (spo) as written.
func rawProfile(r *rawResult, file string, doc *docker.Doc, spo bool) {
	if doc.DefaultAction == "" {
		return // not a profile, or seccomp off: convert.Read says which
	}
	errnoOf := func(ret *uint, name string) *uint {
		if ret != nil {
			return ret
		}
		if n, err := syscalls.ParseErrno(name); err == nil && name != "" { // Podman's and SPO's names
			return &n
		}
		return nil
	}
	defAct, defErr := rules.ActionFromSpec(doc.DefaultAction, errnoOf(doc.DefaultErrnoRet, doc.DefaultErrno))
	switch {
	case doc.Given("flags"):
	case spo:
		// The resource cannot say "flags": [] (SPO's CRD drops an empty
		// list), so advising it would be wrong.
		r.add(Finding{ID: "flags-missing", Severity: Info, File: file, Pos: doc.At(""),
			Reason: "a SeccompProfile cannot carry an empty \"flags\" list: the operator installs the profile without a flags key, so runc 1.2 and later add SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns off the kernel's Speculative Store Bypass mitigation for the container",
			Fix:    "nothing in the resource changes this; a profile applied by oci-sbx nri's late stage is loaded without SPEC_ALLOW"})
	default:
		r.add(Finding{ID: "flags-missing", Severity: Warning, File: file, Pos: doc.At(""),
			Reason: "the profile has no \"flags\" key: runc then adds SECCOMP_FILTER_FLAG_SPEC_ALLOW, which turns off the kernel's Speculative Store Bypass mitigation for the container",
			Fix:    "write \"flags\": [] (oci-sbx convert always does)"})
	}
	actionFindings(r, file, string(doc.DefaultAction), doc.At("defaultAction"), "the default action")

	names := make([][]string, len(doc.Syscalls))
	for i, c := range doc.Syscalls {
		for j, n := range c.Names {
			names[i] = append(names[i], n)
			r.name(n, doc.At(fmt.Sprintf("syscalls[%d].names[%d]", i, j)))
		}
		if c.Name != "" {
			names[i] = append(names[i], c.Name)
			r.name(c.Name, doc.At(fmt.Sprintf("syscalls[%d].name", i)))
		}
	}
	for i, c := range doc.Syscalls {
		path := fmt.Sprintf("syscalls[%d]", i)
		act := string(c.Action)
		actPos := doc.At(path + ".action")
		what := "the rule for " + strings.Join(names[i], ", ")
		actionFindings(r, file, act, actPos, what)

		errno := ""
		if i < len(doc.Errnos) {
			errno = doc.Errnos[i]
		}
		if (doc.Given(path+".errnoRet") || doc.Given(path+".errno")) && act != string(specs.ActErrno) && act != string(specs.ActTrace) {
			key := "errnoRet"
			if !doc.Given(path + ".errnoRet") {
				key = "errno"
			}
			r.add(Finding{ID: "errno-ignored", Severity: Warning, File: file, Pos: doc.At(path + "." + key), Syscalls: names[i],
				Reason: fmt.Sprintf("%s: %s is ignored on %s; runc uses it only with SCMP_ACT_ERRNO and SCMP_ACT_TRACE", what, key, act),
				Fix:    fmt.Sprintf("drop %s, or make the action SCMP_ACT_ERRNO if an error was meant", key)})
		}

		a, err := rules.ActionFromSpec(c.Action, errnoOf(c.ErrnoRet, errno))
		vanished := false
		if err == nil && defErr == nil {
			vanished = denyVanishes(r, file, doc, names, i, a, defAct, errnoOf)
		}
		if err == nil && defErr == nil && a == defAct && !vanished {
			others := false
			for j := range doc.Syscalls {
				others = others || j != i && slices.ContainsFunc(names[j], func(n string) bool { return slices.Contains(names[i], n) })
			}
			f := Finding{ID: "default-rule", Severity: Info, File: file, Pos: actPos, Syscalls: names[i],
				Reason: fmt.Sprintf("%s has the default action %s: runc drops it, so it changes nothing", what, a),
				Fix:    "remove the rule"}
			if others {
				f.Severity = Warning
				f.Reason = fmt.Sprintf("%s has the default action %s: runc drops it, so the other rules for the same syscalls decide alone (libseccomp would have let this unconditional rule win)", what, a)
				f.Fix = "remove the rule and check that the other rules say what is meant, or give this one another action"
			}
			r.add(f)
		}

		perArg := map[uint][]int{}
		var order []uint
		for j, arg := range c.Args {
			if _, ok := perArg[arg.Index]; !ok {
				order = append(order, arg.Index)
			}
			perArg[arg.Index] = append(perArg[arg.Index], j)
		}
		for _, idx := range order {
			args := perArg[idx]
			if len(args) < 2 {
				continue
			}
			f := Finding{ID: "or-conditions", Severity: Warning, File: file, Pos: doc.At(fmt.Sprintf("%s.args[%d]", path, args[1])), Syscalls: names[i],
				Reason: fmt.Sprintf("%s has %d conditions on arg%d: runc ORs conditions on one argument (one rule per condition), so it matches when any of them holds and denies more than written", what, len(args), idx),
				Fix:    "write one condition (a mask, or a single bound), or one rule per case"}
			if err == nil && !a.IsDeny() {
				f.Severity = Error
				f.Reason = fmt.Sprintf("%s has %d conditions on arg%d: runc ORs conditions on one argument (one rule per condition), so it lets the call through when any of them holds", what, len(args), idx)
			}
			r.add(f)
		}
	}
}

// denyVanishes reports a denial that runc and libseccomp never apply
// because another rule lets the same call through: runc drops a rule
// whose action is the default before libseccomp sees it, and libseccomp
// keeps a syscall's first unconditional rule and ignores every other.
func denyVanishes(r *rawResult, file string, doc *docker.Doc, names [][]string, i int, a, def rules.Action, errnoOf func(*uint, string) *uint) bool {
	if !a.IsDeny() || !onThisArch(doc.Syscalls[i]) {
		return false
	}
	when := func(c *seccomp.Syscall) []rules.Cond {
		var out []rules.Cond
		for _, arg := range c.Args {
			if cond, err := rules.CondFromSpec(arg); err == nil {
				out = append(out, cond)
			}
		}
		return out
	}
	mine := when(doc.Syscalls[i])
	for j, other := range doc.Syscalls {
		if j == i || other == nil || !onThisArch(other) {
			continue
		}
		caps, together := capsForBoth(doc.Syscalls[i], other)
		if !together {
			continue
		}
		errno := ""
		if j < len(doc.Errnos) {
			errno = doc.Errnos[j]
		}
		b, err := rules.ActionFromSpec(other.Action, errnoOf(other.ErrnoRet, errno))
		if err != nil || b.IsDeny() || b == def {
			continue
		}
		var shared []string
		for _, n := range names[i] {
			if slices.Contains(names[j], n) {
				shared = append(shared, n)
			}
		}
		theirs := when(other)
		at := doc.At(fmt.Sprintf("syscalls[%d].action", j))
		where := fmt.Sprintf("%s:%d:%d", file, at.Line, max(at.Col, 1))
		if len(shared) == 0 && len(theirs) == 0 && a != def {
			// On x86 libseccomp files a socket call under socketcall as
			// well, with arg0 == its number: a conditional rule there,
			// which an unconditional allow of socketcall overrides.
			var through, muxes []string
			for _, arch := range syscalls.ArchesFromSpec(doc.Architectures) {
				for _, n := range names[i] {
					if mux := syscalls.SyscallMultiplexer(arch, n); mux != "" && slices.Contains(names[j], mux) && !slices.Contains(through, n) {
						through, muxes = append(through, n), append(muxes, fmt.Sprintf("%s through %s on %s", n, mux, arch))
					}
				}
			}
			if len(through) > 0 {
				r.add(Finding{ID: "deny-vanishes", Severity: Error, File: file, Pos: doc.At(fmt.Sprintf("syscalls[%d].action", i)), Syscalls: through,
					Reason: fmt.Sprintf("the %s rule never applies to %s under runc: libseccomp files the call under the multiplexer with arg0 equal to its number, a conditional rule, and the unconditional %s rule at %s decides, letting the call through", a, strings.Join(muxes, ", "), b, where),
					Fix:    "allow the multiplexer only for the other call numbers (one rule per number: runc ORs conditions on one argument), deny it outright, or leave the architecture out; oci-sbx rules do this for you: the stricter action wins"})
				return true
			}
		}
		if len(shared) == 0 || !rules.Overlap(mine, theirs) {
			continue
		}
		var why string
		switch {
		case a == def:
			why = fmt.Sprintf("its action is the default (%s), so runc drops it before libseccomp sees it, and the %s rule at %s decides alone", a, b, where)
		case len(theirs) == 0 && (len(mine) > 0 || j < i):
			why = fmt.Sprintf("libseccomp keeps the first unconditional rule for a syscall and ignores every other, so the %s rule at %s decides", b, where)
		default:
			continue
		}
		if caps != "" {
			why += " in a container " + caps
		}
		r.add(Finding{ID: "deny-vanishes", Severity: Error, File: file, Pos: doc.At(fmt.Sprintf("syscalls[%d].action", i)), Syscalls: shared,
			Reason: fmt.Sprintf("the %s rule for %s never applies under runc: %s, letting the call through", a, strings.Join(shared, ", "), why),
			Fix:    "take the syscalls out of the rule that lets them through (or give that rule conditions that exclude what is denied); oci-sbx rules do this for you: the stricter action wins"})
		return true
	}
	return false
}

// onThisArch reports whether Docker keeps a rule on this machine's
// architecture.
func onThisArch(c *seccomp.Syscall) bool {
	this := func(s string) bool { return s == runtime.GOARCH }
	if in := c.Includes; in != nil && len(in.Arches) > 0 && !slices.ContainsFunc(in.Arches, this) {
		return false
	}
	return c.Excludes == nil || !slices.ContainsFunc(c.Excludes.Arches, this)
}

// capsForBoth reports whether some container's capabilities make Docker
// keep both rules (a rule that clashes only once a capability is added is
// a clash all the same: docker run --cap-add is one flag away), and, when
// that set differs from the default, which capabilities it takes, for the
// finding's reason.
func capsForBoth(a, b *seccomp.Syscall) (string, bool) {
	var need, ban []string
	for _, c := range []*seccomp.Syscall{a, b} {
		if c.Includes != nil {
			need = append(need, c.Includes.Caps...)
		}
		if c.Excludes != nil {
			ban = append(ban, c.Excludes.Caps...)
		}
	}
	if slices.ContainsFunc(need, func(s string) bool { return slices.Contains(ban, s) }) {
		return "", false
	}
	var how []string
	for _, c := range need {
		if !slices.Contains(docker.DefaultCaps, c) && !slices.Contains(how, "with "+c) {
			how = append(how, "with "+c)
		}
	}
	for _, c := range ban {
		if slices.Contains(docker.DefaultCaps, c) && !slices.Contains(how, "without "+c) {
			how = append(how, "without "+c)
		}
	}
	slices.Sort(how)
	return strings.Join(how, " and "), true
}

// actionFindings reports actions that do not do what they say.
func actionFindings(r *rawResult, file, act string, at rules.Pos, what string) {
	switch specs.LinuxSeccompAction(act) {
	case specs.ActKill:
		r.add(Finding{ID: "kill-thread", Severity: Warning, File: file, Pos: at,
			Reason: what + " is SCMP_ACT_KILL, which runc reads as kill-thread: only the calling thread dies, and the rest of the process carries on without it",
			Fix:    "use SCMP_ACT_KILL_PROCESS"})
	case specs.ActKillThread:
		r.add(killThread(file, at, what))
	case specs.ActTrace:
		r.add(traceAsDeny(file, at, what))
	}
}

func killThread(file string, at rules.Pos, what string) Finding {
	return Finding{ID: "kill-thread", Severity: Warning, File: file, Pos: at,
		Reason: what + " kills only the calling thread: the rest of the process carries on without it, in whatever state that thread left",
		Fix:    "kill the whole process: kill-process (SCMP_ACT_KILL_PROCESS)"}
}

func traceAsDeny(file string, at rules.Pos, what string) Finding {
	return Finding{ID: "trace-as-deny", Severity: Error, File: file, Pos: at,
		Reason: what + " is trace: with no tracer attached the call fails with ENOSYS, but a process that forks and traces its own child (PTRACE_O_TRACESECCOMP) lets the child's call through",
		Fix:    "deny with errno(EPERM) or kill-process; use trace only under a tracer you control"}
}

// rawRules checks a rules document, or the rules of a libseccomp C
// program, as written.
func rawRules(r *rawResult, file string, p *rules.Profile) {
	for _, rule := range p.Rules {
		for _, n := range rule.Syscalls {
			if strings.HasPrefix(n.Name, "@") {
				members, _ := rules.GroupMembers(n.Name, nil)
				for _, m := range members {
					r.name(m, n.Pos)
				}
				continue
			}
			r.name(n.Name, n.Pos)
		}
	}
	if p.Harden {
		return // hardening makes trace errno(EPERM) and kill-thread kill-process
	}
	if p.HasDefault {
		ruleAction(r, file, p.Default, p.DefaultPos, "the default action")
	}
	for _, rule := range p.Rules {
		what := "the rule for " + ruleNames(rule)
		ruleAction(r, file, rule.Action, rule.ActionPos, what)
		if p.HasDefault && p.Extends == "" && rule.Action == p.Default && !sharesSyscall(p, rule) {
			r.add(Finding{ID: "default-rule", Severity: Info, File: file, Pos: rule.ActionPos,
				Reason: fmt.Sprintf("%s has the default action %s: it changes nothing (runc would drop it)", what, rule.Action),
				Fix:    "remove the rule"})
		}
	}
}

// sharesSyscall reports whether another rule names one of the rule's
// syscalls: then a rule with the default action takes them out of it.
func sharesSyscall(p *rules.Profile, rule rules.Rule) bool {
	members := func(r rules.Rule) []string {
		var out []string
		for _, n := range r.Syscalls {
			if strings.HasPrefix(n.Name, "@") {
				m, _ := rules.GroupMembers(n.Name, nil)
				out = append(out, m...)
			} else {
				out = append(out, n.Name)
			}
		}
		return out
	}
	mine := members(rule)
	for _, other := range p.Rules {
		if other.Pos == rule.Pos {
			continue
		}
		if slices.ContainsFunc(members(other), func(n string) bool { return slices.Contains(mine, n) }) {
			return true
		}
	}
	return false
}

func ruleNames(r rules.Rule) string {
	names := make([]string, len(r.Syscalls))
	for i, n := range r.Syscalls {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

func ruleAction(r *rawResult, file string, a rules.Action, at rules.Pos, what string) {
	switch a.Kind {
	case rules.KillThread:
		r.add(killThread(file, at, what))
	case rules.Trace:
		r.add(traceAsDeny(file, at, what))
	}
}
