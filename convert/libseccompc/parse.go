package libseccompc

import (
	"fmt"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Parse reads C source that builds a seccomp filter with libseccomp and
// returns the profile that filter enforces, as a rules document whose
// positions point into the C file. file names the source in error
// messages.
//
// It follows seccomp_init, seccomp_rule_add, seccomp_rule_add_exact,
// seccomp_arch_add, seccomp_arch_remove and seccomp_attr_set on the
// program's straight way to seccomp_load (see walk.go): from main, into
// the file's own functions, as the program runs when every call succeeds.
// Actions, syscalls and conditions are written with libseccomp's macros,
// integer constant expressions, named constants (the C library's too) and
// the file's own #define macros. Calls that only load, export, release or
// query the filter change nothing. What it cannot follow exactly — a call
// off the straight way (in a branch, a loop, an uncalled function, after
// a goto, return, exit or seccomp_load, an operand of &&, || or ?:), a
// value held in a variable, an #if it cannot decide, condition arrays,
// merged, reset or released contexts, a call on a context that is not
// provably the one seccomp_init returned (see ctx.go), a macro in place of
// one of the libseccomp calls it follows — is an error naming the line and
// column; every
// such error in the file is reported, as a rules.ErrorList. Consecutive
// calls with the same action and conditions become one rule.
//
// The rules count as libseccomp counts them: for one syscall, the first
// unconditional rule decides and later rules change nothing, an
// unconditional rule replaces the conditional ones before it, and a second
// conditional rule with the same conditions but another action is refused,
// as libseccomp refuses it (EEXIST). warn, which may be nil, is told of
// each rule that libseccomp keeps or drops other than as written.
func Parse(file string, src []byte, warn func(*rules.Error)) (*rules.Profile, error) {
	p := &lscParser{file: file, warn: warn}
	toks := p.lex(src)
	if err := p.errs.Err(); err != nil && toks == nil {
		return nil, err
	}
	pre := &cPre{p: p, macros: map[string]*cMacro{}, budget: 1 << 16}
	p.toks = pre.run(toks)
	p.includesSeccomp = pre.includesSeccomp
	p.structure()
	prof := p.follow()
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return prof, nil
}

// lscParser holds the state of one Parse call.
type lscParser struct {
	file            string
	errs            rules.ErrorList
	toks            []cTok // after preprocessing
	match           []int  // index of the matching bracket, or -1
	scanner         *stmtScanner
	warn            func(*rules.Error)
	includesSeccomp bool
}

func (p *lscParser) errorf(at rules.Pos, format string, args ...any) {
	p.errs = append(p.errs, &rules.Error{File: p.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
}

func (p *lscParser) notef(at rules.Pos, format string, args ...any) {
	if p.warn != nil {
		p.warn(&rules.Error{File: p.file, Pos: at, Msg: fmt.Sprintf(format, args...)})
	}
}
