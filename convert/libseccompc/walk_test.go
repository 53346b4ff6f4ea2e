package libseccompc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// prog numbers its lines so that tests can name positions: line k of the
// result is lines[k-1].
func prog(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

const (
	hdr     = "#include <seccomp.h>"
	initKP  = "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);"
	allowRd = "\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);"
	allowPt = "\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0);"
	load    = "\treturn seccomp_load(ctx);"
)

// TestStraightWayRefuses covers the class "a rule the C program never
// runs, or runs only sometimes, becomes an unconditional rule": each such
// call is refused at its line and column, and only those.
// refusal is a program Parse refuses, with every error it must give, in
// order.
type refusal struct {
	name, src string
	want      []string
}

func checkRefusals(t *testing.T, tests []refusal) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.c", []byte(tt.src), nil)
			if err == nil {
				t.Fatalf("no error, want %q\n%s", tt.want, tt.src)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s\n%s", got, want, tt.src)
			}
		})
	}
}

func TestStraightWayRefuses(t *testing.T) {
	tests := []refusal{
		{"function never called", prog(hdr,
			"static void extra(scmp_filter_ctx ctx) {",
			allowPt,
			"}",
			"int main(void) {", initKP, allowRd, load, "}"),
			[]string{"t.c:3:2: seccomp_rule_add: in extra, which is not called on the way to seccomp_load"}},
		{"function called under if", prog(hdr,
			"static void extra(scmp_filter_ctx ctx) {", allowPt, "}",
			"int main(int argc, char **argv) {", initKP,
			"\tif (argc > 1)",
			"\t\textra(ctx);",
			load, "}"),
			[]string{"t.c:3:2: seccomp_rule_add: in extra, called at line 8, inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch"}},
		{"goto jumps over", prog(hdr, "int main(void) {", initKP,
			"\tgoto skip;", allowPt, "skip:", load, "}"),
			[]string{"t.c:5:2: seccomp_rule_add: jumped over by the goto at line 4, so it never runs"}},
		{"conditional goto jumps over", prog(hdr, "int main(int argc, char **argv) {", initKP,
			"\tif (argc > 1) goto skip;", allowPt, "skip:", load, "}"),
			[]string{"t.c:5:2: seccomp_rule_add: jumped over by the goto at line 4 when its condition holds"}},
		{"goto back makes a loop", prog(hdr, "int main(void) {", initKP, "again:", allowPt, "\tif (more()) goto again;", load, "}"),
			[]string{"t.c:5:2: seccomp_rule_add: between label again and the goto at line 6 that may jump back to it, a loop, which cannot be followed; write one call per rule, outside loops"}},
		{"after seccomp_load", prog(hdr, "int main(void) {", initKP, allowRd, "\tseccomp_load(ctx);", allowPt, "\treturn 0;", "}"),
			[]string{"t.c:6:2: seccomp_rule_add: after seccomp_load at line 5, so it does not change the loaded filter"}},
		{"after return in a helper", prog(hdr,
			"static int add(scmp_filter_ctx ctx) {", "\treturn 0;", allowPt, "}",
			"int main(void) {", initKP, "\tadd(ctx);", load, "}"),
			[]string{"t.c:4:2: seccomp_rule_add: after the return at line 3, so it never runs"}},
		{"return before seccomp_load", prog(hdr, "int main(void) {", initKP, "\treturn 0;", allowPt, load, "}"),
			[]string{"t.c:5:2: seccomp_rule_add: after the return at line 4, so it never runs",
				"t.c:6:9: seccomp_load: after the return at line 4, so it never runs, so the program loads no filter on its straight way"}},
		{"operand of &&", prog(hdr, "int main(int argc, char **argv) {", initKP,
			"\targc > 1 && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0);", load, "}"),
			[]string{"t.c:4:14: seccomp_rule_add: an operand of && (line 4), so it runs only when a run-time condition holds"}},
		{"operand of ?:", prog(hdr, "int main(int argc, char **argv) {", initKP,
			"\targc > 1 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0) : 0;", load, "}"),
			[]string{"t.c:4:13: seccomp_rule_add: an operand of ? (line 4), so it runs only when a run-time condition holds"}},
		{"operand of || in parentheses", prog(hdr, "int main(int argc, char **argv) {", initKP,
			"\t(void)(argc || (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0)));", load, "}"),
			[]string{"t.c:4:18: seccomp_rule_add: an operand of || (line 4), so it runs only when a run-time condition holds"}},
		{"helper as an operand", prog(hdr, "static int extra(scmp_filter_ctx ctx) {", "\treturn seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0);", "}",
			"int main(int argc, char **argv) {", initKP, "\tif (argc > 1 && extra(ctx) < 0) return 1;", load, "}"),
			[]string{"t.c:3:9: seccomp_rule_add: in extra, called at line 7 as an operand of && (line 7), so it runs only when a run-time condition holds"}},
		{"loop", prog(hdr, "int main(void) {", initKP, "\tfor (int i = 0; i < 2; i++)", "\t"+allowPt, load, "}"),
			[]string{"t.c:5:3: seccomp_rule_add: inside a loop, which cannot be followed; write one call per rule, outside loops"}},
		{"released before seccomp_load", prog(hdr, "int main(void) {", initKP, allowRd, "\tseccomp_release(ctx);", load, "}"),
			[]string{"t.c:5:2: seccomp_release: frees the filter context before seccomp_load at line 6, which then reads freed memory; release it after loading"}},
		{"released in a helper before seccomp_load", prog(hdr, "static void done(scmp_filter_ctx ctx) {", "\tseccomp_release(ctx);", "}",
			"int main(void) {", initKP, allowRd, "\tdone(ctx);", load, "}"),
			[]string{"t.c:3:2: seccomp_release: frees the filter context before seccomp_load at line 9, which then reads freed memory; release it after loading"}},
		{"a macro in place of seccomp_load", prog(hdr, "#define seccomp_load(c) 0", "int main(void) {", initKP, allowRd, load, "}"),
			[]string{"t.c:2:9: #define seccomp_load: a macro in place of libseccomp's seccomp_load cannot be followed; call libseccomp's function, or give the macro another name"}},
		{"a macro in place of seccomp_rule_add", prog(hdr, "static int nothing(scmp_filter_ctx c, unsigned a, int s, unsigned n, ...) { return 0; }",
			"#define seccomp_rule_add nothing", "int main(void) {", initKP, allowRd, load, "}"),
			[]string{"t.c:3:9: #define seccomp_rule_add: a macro in place of libseccomp's seccomp_rule_add cannot be followed; call libseccomp's function, or give the macro another name"}},
		{"a rule on NULL", prog(hdr, "int main(void) {", initKP, "\tseccomp_rule_add(NULL, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);", load, "}"),
			[]string{"t.c:4:2: seccomp_rule_add: acts on \"NULL\", which is not provably the filter context seccomp_init returns at line 3 (ctx), so what it does is not in the filter the program loads; pass that context"}},
		{"a rule on a context never initialised", prog(hdr, "static scmp_filter_ctx other;", "int main(void) {", initKP,
			"\tseccomp_rule_add(other, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);", load, "}"),
			[]string{"t.c:5:2: seccomp_rule_add: acts on \"other\", which is not provably the filter context seccomp_init returns at line 4 (ctx), so what it does is not in the filter the program loads; pass that context"}},
		{"a helper called with another context", prog(hdr, "static int add(scmp_filter_ctx c) {", "\treturn seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);", "}",
			"int main(void) {", initKP, "\tadd(ctx);", "\tadd(NULL);", load, "}"),
			[]string{"t.c:3:9: seccomp_rule_add: acts on \"c\", which is not provably the filter context seccomp_init returns at line 6 (ctx), so what it does is not in the filter the program loads; pass that context"}},
		{"loading another context", prog(hdr, "static scmp_filter_ctx other;", "int main(void) {", initKP, allowRd, "\treturn seccomp_load(other);", "}"),
			[]string{"t.c:6:9: seccomp_load: acts on \"other\", which is not provably the filter context seccomp_init returns at line 4 (ctx), so the program does not load the filter the reader follows; pass that context"}},
		{"recursion", prog(hdr, "static void add(scmp_filter_ctx ctx) {", allowPt, "\tadd(ctx);", "}",
			"int main(void) {", initKP, "\tadd(ctx);", load, "}"),
			[]string{"t.c:3:2: seccomp_rule_add: in add, which calls itself, so the calls may run any number of times"}},
	}
	checkRefusals(t, tests)
}

// TestStraightWayTakes covers what the program does run: error checks
// that jump past seccomp_load, calls in if conditions, helpers called on
// the way (in the order they run), do { } while (0), a goto forward over
// no rule.
func TestStraightWayTakes(t *testing.T) {
	tests := straightWayPrograms()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("t.c", []byte(tt.src), nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, tt.src)
			}
			if got := shapeOf(p).Rules; !sameShapes(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestAsLibseccomp covers the class "two calls for one syscall whose
// libseccomp meaning is not both rules as written".
func TestAsLibseccomp(t *testing.T) {
	eperm := rules.Action{Kind: rules.Errno, Ret: 1}
	eacces := rules.Action{Kind: rules.Errno, Ret: 13}
	kill := rules.Action{Kind: rules.KillThread}
	a0 := func(v uint64) []rules.Cond { return []rules.Cond{{Arg: 0, Op: rules.OpEQ, Value: v}} }
	wrap := func(stmts ...string) string { return lscWrap("SCMP_ACT_ALLOW", stmts...) }
	tests := []struct {
		name, src string
		want      []lscRuleShape
		notes     []string
		err       string
	}{
		{"the first unconditional rule decides", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);",
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);"),
			[]lscRuleShape{{"openat", eperm, nil}},
			[]string{"t.c:5:2: seccomp_rule_add: changes nothing: libseccomp keeps the unconditional rule for openat at line 4 (errno(EPERM)) and ignores this one"}, ""},
		{"a conditional rule after an unconditional one changes nothing", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 0);",
			"seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));"),
			[]lscRuleShape{{"read", eperm, nil}},
			[]string{"t.c:5:2: seccomp_rule_add: changes nothing: libseccomp keeps the unconditional rule for read at line 4 (errno(EPERM)) and ignores this one"}, ""},
		{"an unconditional rule replaces conditional ones", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));",
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 4));",
			"seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);"),
			[]lscRuleShape{{"read", kill, nil}},
			[]string{"t.c:4:2: seccomp_rule_add: the rule for read here (errno(EPERM)) is replaced by the unconditional one at line 6 (kill-thread), as libseccomp replaces it",
				"t.c:5:2: seccomp_rule_add: the rule for read here (errno(EACCES)) is replaced by the unconditional one at line 6 (kill-thread), as libseccomp replaces it"}, ""},
		{"the same conditions with another action are refused", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));",
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));"),
			nil, nil,
			"t.c:5:2: seccomp_rule_add: libseccomp refuses this rule (EEXIST): the call at line 4 already gives read the action errno(EPERM) under the same conditions. The filter keeps the first; a program that checks the result never loads it. Remove one of the two"},
		{"the same rule twice is one rule", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));",
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));"),
			[]lscRuleShape{{"read", eperm, a0(3)}}, nil, ""},
		{"other conditions are other rules", wrap(
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 3));",
			"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 4));"),
			[]lscRuleShape{{"read", eperm, a0(3)}, {"read", eacces, a0(4)}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notes []string
			p, err := Parse("t.c", []byte(tt.src), func(e *rules.Error) { notes = append(notes, e.Error()) })
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := shapeOf(p).Rules; !sameShapes(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if strings.Join(notes, "\n") != strings.Join(tt.notes, "\n") {
				t.Errorf("notes\n%s\nwant\n%s", strings.Join(notes, "\n"), strings.Join(tt.notes, "\n"))
			}
		})
	}
}

func sameShapes(a, b []lscRuleShape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Syscall != b[i].Syscall || a[i].Action != b[i].Action || len(a[i].When) != len(b[i].When) {
			return false
		}
		for j := range a[i].When {
			if a[i].When[j] != b[i].When[j] {
				return false
			}
		}
	}
	return true
}

// TestLimits: any C source is read, or refused with a position, in time
// and memory linear in its size (the benchmark in package convert
// measures it at the input limit).
func TestLimits(t *testing.T) {
	deep := prog(hdr, "int main(void) {", "\tint x = "+strings.Repeat("(", maxNesting)+"1"+strings.Repeat(")", maxNesting)+";", "}")
	_, err := Parse("t.c", []byte(deep), nil)
	if err == nil || !strings.Contains(err.Error(), "t.c:3:") || !strings.Contains(err.Error(), "brackets nested deeper than 256 levels") {
		t.Errorf("deep nesting: %v", err)
	}
	// Conditionals: each line asks every enclosing one whether it is
	// compiled, so their depth is bounded too.
	for _, d := range []string{"#if 1\n", "#ifdef X\n", "#ifndef X\n"} {
		ifs := hdr + "\n" + strings.Repeat(d, maxNesting+1) + strings.Repeat("#endif\n", maxNesting+1) + "int main(void) { return 0; }\n"
		line := 1 + maxNesting + 1
		if _, err := Parse("t.c", []byte(ifs), nil); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("t.c:%d:2: #%s nested deeper than 256 levels", line, strings.Fields(d)[0][1:])) {
			t.Errorf("%q nested %d deep: %v", d, maxNesting+1, err)
		}
		ok := hdr + "\n" + strings.Repeat(d, maxNesting) + strings.Repeat("#endif\n", maxNesting) + "int main(void) { return 0; }\n"
		if _, err := Parse("t.c", []byte(ok), nil); err != nil && strings.Contains(err.Error(), "nested deeper") {
			t.Errorf("%q nested %d deep: %v", d, maxNesting, err)
		}
	}
	long := prog(hdr, "int main(void) {", strings.Repeat("\tx = 1;\n", maxTokens/4+1), "}")
	if _, err := Parse("t.c", []byte(long), nil); err == nil || !strings.Contains(err.Error(), "more than 200000 tokens") {
		t.Errorf("many tokens: %v", err)
	}
}

// straightWayPrograms are programs whose filter the reader takes, with
// the rules it takes; TestAgainstLibseccomp also checks them against
// libseccomp.
func straightWayPrograms() []struct {
	name, src string
	want      []lscRuleShape
} {
	eperm := rules.Action{Kind: rules.Errno, Ret: 1}
	allow := rules.Action{Kind: rules.Allow}
	return []struct {
		name, src string
		want      []lscRuleShape
	}{
		{"error checks jump past seccomp_load", prog(hdr, "int main(void) {", "\tint rc;", initKP,
			"\trc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);", "\tif (rc != 0)", "\t\tgoto out;",
			"\tif (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0) < 0) goto out;",
			"\trc = seccomp_load(ctx);", "out:", "\tseccomp_release(ctx);", "\treturn -rc;", "}"),
			[]lscRuleShape{{"read", allow, nil}, {"write", allow, nil}}},
		{"helpers in the order they run", prog(hdr,
			"static int second(scmp_filter_ctx ctx) { return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0); }",
			"static int first(scmp_filter_ctx ctx) { return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0); }",
			"static int install(scmp_filter_ctx ctx) { return seccomp_load(ctx); }",
			"int main(void) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\tif (first(ctx) < 0 || second(ctx) < 0) return 1;", "\tinstall(ctx);", "\tseccomp_release(ctx);", "}"),
			[]lscRuleShape{{"openat", eperm, nil}, {"connect", eperm, nil}}},
		{"do while 0 and a block", prog(hdr, "int main(void) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\tdo { seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0); } while (0);",
			"\t{ seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0); }", load, "}"),
			[]lscRuleShape{{"openat", eperm, nil}, {"connect", eperm, nil}}},
		{"goto forward over no rule", prog(hdr, "int main(void) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\tgoto add;", "\tputs(\"never\");", "add:", "\tseccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);", load, "}"),
			[]lscRuleShape{{"openat", eperm, nil}}},
		{"a name split by a backslash-newline", prog(hdr, "int main(void) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\tseccomp_rule\\", "_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);", load, "}"),
			[]lscRuleShape{{"openat", eperm, nil}}},
		{"digraphs outside a branch", prog(hdr, "int main(void) <%", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\t<% seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0); %>", load, "%>"),
			[]lscRuleShape{{"openat", eperm, nil}}},
		{"|| and && whose left side lets the right run", prog(hdr,
			"static int add(scmp_filter_ctx ctx) { return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0); }",
			"int main(void) {", "\tint rc;", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\trc = add(ctx) == 0 && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0) == 0;",
			"\tif ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendto), 0)) < 0 || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendmsg), 0) != 0) return 1;",
			load, "}"),
			[]lscRuleShape{{"openat", eperm, nil}, {"connect", eperm, nil}, {"sendto", eperm, nil}, {"sendmsg", eperm, nil}}},
		{"a statement expression, do while 0 without break, sizeof of no call", prog(hdr, "int main(void) {", "\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);",
			"\t({ seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0); });",
			"\tdo { if (sizeof(ctx) > 64) puts(\"big\"); seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0); } while (0);", load, "}"),
			[]lscRuleShape{{"openat", eperm, nil}, {"connect", eperm, nil}}},
		{"the context through an alias, a cast, a structure and helpers", prog(hdr,
			"struct box { scmp_filter_ctx ctx; };",
			"static int add(void *c) { return seccomp_rule_add((scmp_filter_ctx)c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sendto), 0); }",
			"static int deny(struct box *b) { return seccomp_rule_add(b->ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0); }",
			"static scmp_filter_ctx make(void) { return seccomp_init(SCMP_ACT_ALLOW); }",
			"int main(void) {", "\tstruct box b;", "\tb.ctx = make();", "\tscmp_filter_ctx alias = b.ctx;",
			"\tseccomp_rule_add(alias, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0);", "\tdeny(&b);", "\tadd(alias);", "\treturn seccomp_load(b.ctx);", "}"),
			[]lscRuleShape{{"openat", eperm, nil}, {"connect", eperm, nil}, {"sendto", eperm, nil}}},
		{"glibc's SYS_ names, and a release on an error path before seccomp_load", prog(hdr, "#include <sys/syscall.h>", "int main(int argc, char **argv) {", initKP,
			"\tif (argc > 9) { seccomp_release(ctx); return 1; }",
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_write, 0);",
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_read, 0);", "\tseccomp_load(ctx);", "\tseccomp_release(ctx);", "\treturn 0;", "}"),
			[]lscRuleShape{{"write", allow, nil}, {"read", allow, nil}}},
		{"libc constants", prog(hdr, "#include <unistd.h>", "#include <limits.h>", "int main(void) {", initKP,
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, STDOUT_FILENO));",
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 2, SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO), SCMP_A2(SCMP_CMP_LE, SSIZE_MAX));",
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(close), 1, SCMP_A0_32(SCMP_CMP_EQ, STDERR_FILENO));", load, "}"),
			[]lscRuleShape{
				{"write", allow, []rules.Cond{{Arg: 0, Op: rules.OpEQ, Value: 1}}},
				{"read", allow, []rules.Cond{{Arg: 0, Op: rules.OpEQ, Value: 0}, {Arg: 2, Op: rules.OpLE, Value: 1<<63 - 1}}},
				{"close", allow, []rules.Cond{{Arg: 0, Op: rules.OpEQ, Value: 2}}},
			}},
	}
}
