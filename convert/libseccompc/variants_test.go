package libseccompc

import (
	"strconv"
	"strings"
	"testing"
)

// wrapA puts statements into main between seccomp_init with the allow
// default (line 3) and the return of seccomp_load: statement k is on line
// 3+k.
func wrapA(stmts ...string) string {
	return prog(append(append([]string{hdr, "int main(int argc, char **argv) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);"}, stmts...), load, "}")...)
}

const denyOpen = "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0)"

// TestStraightWayVariants covers more members of the class "a call the
// program does not run, or runs only sometimes, is taken; a call it runs
// is missed": calls after one that does not return, in operands the
// compiler does not evaluate, after a break, behind && and || whose left
// side decides, in a branch spelled with digraphs or a keyword split by a
// backslash-newline, behind a conditional return or load, in a function
// or an #include the reader cannot see.
func TestStraightWayVariants(t *testing.T) {
	tests := []refusal{
		{"after exit", wrapA("\texit(0);", "\t"+denyOpen+";"), []string{
			"t.c:5:2: seccomp_rule_add: after the call to exit at line 4, which does not return, so it never runs",
			"t.c:6:9: seccomp_load: after the call to exit at line 4, which does not return, so it never runs, so the program loads no filter on its straight way"}},
		{"after a helper that execs", prog(hdr, "static void run(void) { execv(\"/app\", 0); }", "int main(void) {",
			"\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);", "\trun();", "\t"+denyOpen+";", load, "}"), []string{
			"t.c:6:2: seccomp_rule_add: after the call to execv at line 2, which does not return, so it never runs",
			"t.c:7:9: seccomp_load: after the call to execv at line 2, which does not return, so it never runs, so the program loads no filter on its straight way"}},
		{"sizeof", wrapA("\t(void)sizeof(" + denyOpen + ");"), []string{
			"t.c:4:15: seccomp_rule_add: inside sizeof (line 4), which the compiler does not evaluate, so it never runs"}},
		{"sizeof without parentheses", wrapA("\t(void)sizeof " + denyOpen + ";"), []string{
			"t.c:4:15: seccomp_rule_add: inside sizeof (line 4), which the compiler does not evaluate, so it never runs"}},
		{"typeof", wrapA("\t__typeof__(" + denyOpen + ") x = 0;"), []string{
			"t.c:4:13: seccomp_rule_add: inside __typeof__ (line 4), which the compiler does not evaluate, so it never runs"}},
		{"_Generic", wrapA("\t_Generic(argc, int: 0, default: " + denyOpen + ");"), []string{
			"t.c:4:34: seccomp_rule_add: inside _Generic (line 4), which the compiler does not evaluate, so it never runs"}},
		{"after a break", wrapA("\tdo { break; " + denyOpen + "; } while (0);"), []string{
			"t.c:4:14: seccomp_rule_add: after the break at line 4, which leaves the do { } while (0), so it never runs"}},
		{"after a conditional break", wrapA("\tdo { if (argc > 1) break; " + denyOpen + "; } while (0);"), []string{
			"t.c:4:28: seccomp_rule_add: skipped by the break at line 4 when its condition holds"}},
		{"&& after a call that returns 0", wrapA("\t" + denyOpen + " && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);"), []string{
			"t.c:4:71: seccomp_rule_add: an operand of && (line 4) whose left side is 0 when the calls before succeed, so it never runs"}},
		{"|| after == 0", wrapA("\t" + denyOpen + " == 0 || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);"), []string{
			"t.c:4:76: seccomp_rule_add: an operand of || (line 4) whose left side is 1 when the calls before succeed, so it never runs"}},
		{"|| after a helper that returns 1", prog(hdr, "static int add(scmp_filter_ctx ctx) { "+denyOpen+"; return 1; }", "int main(void) {",
			"\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);", "\tadd(ctx) || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);", load, "}"), []string{
			"t.c:5:14: seccomp_rule_add: an operand of || (line 5) whose left side is 1 when the calls before succeed, so it never runs"}},
		{"digraph braces", wrapA("\tif (argc > 1) <% argc = 2; " + denyOpen + "; %>"), []string{
			"t.c:4:29: seccomp_rule_add: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch"}},
		{"keyword split by a backslash-newline", wrapA("\ti\\", "f (argc > 1) "+denyOpen+";"), []string{
			"t.c:5:14: seccomp_rule_add: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch"}},
		{"trigraph", wrapA("\tif (argc > 1) ??< " + denyOpen + "; ??>"), []string{
			"t.c:4:16: trigraph ??<: compilers read it as another character in ISO modes and leave it in GNU modes, so the program's tokens are not certain; write the character itself"}},
		{"statement expression", wrapA("\t({ if (argc > 1) " + denyOpen + "; });"), []string{
			"t.c:4:19: seccomp_rule_add: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch"}},
		{"conditional return in a helper", prog(hdr, "static void add(scmp_filter_ctx ctx, int n) {", "\tif (n > 1) return;", "\t"+denyOpen+";", "}",
			"int main(int argc, char **argv) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);", "\tadd(ctx, argc);", load, "}"), []string{
			"t.c:4:2: seccomp_rule_add: skipped by the return at line 3 in add when its condition holds"}},
		{"after a conditional load", prog(hdr, "int main(int argc, char **argv) {", initKP,
			"\tif (argc > 5) seccomp_load(ctx);", allowPt, load, "}"), []string{
			"t.c:5:2: seccomp_rule_add: after the seccomp_load at line 4, which loads the filter without it when its condition holds"}},
		{"a function of another file gets the context", wrapA("\tadd_denials(ctx);"), []string{
			"t.c:4:2: add_denials: gets the filter context but is not defined in this file, so the rules it may add cannot be followed; define it in the file, or add the rules in it"}},
		{"a function of another file gets the structure that holds the context", prog(hdr, "struct filter { int n; scmp_filter_ctx ctx; };", "int main(void) {",
			"\tstruct filter f;", "\tf.ctx = seccomp_init(SCMP_ACT_ALLOW);", "\tadd_denials(&f);", "\treturn seccomp_load(f.ctx);", "}"), []string{
			"t.c:6:2: add_denials: gets the filter context but is not defined in this file, so the rules it may add cannot be followed; define it in the file, or add the rules in it"}},
		{"asm goto", wrapA("\tasm goto (\"\" :::: skip);", "\t"+denyOpen+";", "skip: ;"), []string{
			"t.c:5:2: seccomp_rule_add: jumped over by the goto at line 4 when its condition holds"}},
		{"#include inside a function", wrapA("#include \"denials.inc\""), []string{
			"t.c:4:2: #include inside a function: the reader does not read other files, so the calls it brings cannot be followed; write them in this file"}},
	}
	checkRefusals(t, tests)
}

// TestCallTreeOnce: a function called many times, through a tree of
// calls 2^60 paths deep, is walked once and its rule taken once.
func TestCallTreeOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString(hdr + "\nstatic void f0(scmp_filter_ctx ctx) { " + denyOpen + "; }\n")
	for i := 1; i <= 60; i++ {
		b.WriteString("static void f" + itoa(i) + "(scmp_filter_ctx ctx) { f" + itoa(i-1) + "(ctx); f" + itoa(i-1) + "(ctx); }\n")
	}
	b.WriteString("int main(void) { scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW); f60(ctx); return seccomp_load(ctx); }\n")
	p, err := Parse("t.c", []byte(b.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := shapeOf(p).Rules, []lscRuleShape{{"openat", errnoAct(1), nil}}; !sameShapes(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
