package libseccompc

import (
	"errors"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// lscWrap puts statements into a minimal libseccomp program whose
// seccomp_init is on line 3 and whose first statement is on line 4,
// indented by one tab, so that statement k is at line 3+k, column 2.
func lscWrap(def string, stmts ...string) string {
	return "#include <seccomp.h>\nint main(void) { scmp_filter_ctx ctx;\n\tctx = seccomp_init(" + def + ");\n\t" +
		strings.Join(stmts, "\n\t") + "\n\treturn seccomp_load(ctx);\n}\n"
}

func errnoAct(n uint) rules.Action { return rules.Action{Kind: rules.Errno, Ret: n} }

// lscShape is what a test compares: rules without positions.
type lscShape struct {
	RuleCount int // checked when not zero
	Default   rules.Action
	Arches    []string
	Flags     []specs.LinuxSeccompFlag
	Rules     []lscRuleShape
}

type lscRuleShape struct {
	Syscall string
	Action  rules.Action
	When    []rules.Cond
}

func shapeOf(p *rules.Profile) lscShape {
	s := lscShape{Default: p.Default, Flags: p.Flags}
	for _, a := range p.Architectures {
		s.Arches = append(s.Arches, a.Name)
	}
	for _, r := range p.Rules {
		var when []rules.Cond
		for _, c := range r.When {
			c.Pos = rules.Pos{}
			when = append(when, c)
		}
		for _, n := range r.Syscalls {
			s.Rules = append(s.Rules, lscRuleShape{Syscall: n.Name, Action: r.Action, When: when})
		}
	}
	return s
}

func readDemoC(t testing.TB) []byte {
	src, err := os.ReadFile("../../testdata/demo.c")
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestParseDemo(t *testing.T) {
	p, err := Parse("demo.c", readDemoC(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := lscShape{
		Default: rules.Action{Kind: rules.Allow},
		Rules: []lscRuleShape{
			{Syscall: "openat", Action: errnoAct(1)},
			{Syscall: "connect", Action: errnoAct(1)},
		},
	}
	if got := shapeOf(p); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if p.File != "demo.c" || !p.HasDefault || len(p.Architectures) != 0 || len(p.Rules) != 1 {
		t.Errorf("File %q, HasDefault %v, Architectures %v, %d rules, want one rule for both calls", p.File, p.HasDefault, p.Architectures, len(p.Rules))
	}
	// Positions point into the C file.
	src := strings.Split(string(readDemoC(t)), "\n")
	at := func(pos rules.Pos) string {
		if pos.Line < 1 || pos.Line > len(src) || pos.Col < 1 || pos.Col > len(src[pos.Line-1]) {
			return "<invalid>"
		}
		return src[pos.Line-1][pos.Col-1:]
	}
	checks := []struct {
		what   string
		pos    rules.Pos
		prefix string
	}{
		{"DefaultPos", p.DefaultPos, "SCMP_ACT_ALLOW)"},
		{"rule 0 Pos", p.Rules[0].Pos, "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat)"},
		{"rule 0 ActionPos", p.Rules[0].ActionPos, "SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat)"},
		{"openat", p.Rules[0].Syscalls[0].Pos, "openat), 0);"},
		{"connect", p.Rules[0].Syscalls[1].Pos, "connect), 0);"},
	}
	for _, c := range checks {
		if got := at(c.pos); !strings.HasPrefix(got, c.prefix) {
			t.Errorf("%s %v points at %q, want %q", c.what, c.pos, got, c.prefix)
		}
	}
}

func TestParse(t *testing.T) {
	allow := rules.Action{Kind: rules.Allow}
	eperm := errnoAct(1)
	deny := func(name string, when ...rules.Cond) []lscRuleShape {
		return []lscRuleShape{{Syscall: name, Action: eperm, When: when}}
	}
	cond := func(arg uint, op rules.Op, v uint64) rules.Cond { return rules.Cond{Arg: arg, Op: op, Value: v} }
	masked := func(arg uint, mask, v uint64) rules.Cond {
		return rules.Cond{Arg: arg, Op: rules.OpMaskedEQ, Mask: mask, Value: v}
	}
	rule := func(args string) string { return "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), " + args + ");" }
	tests := []struct {
		name string
		src  string
		want lscShape
	}{
		// Actions
		{"default kill is kill-thread", lscWrap("SCMP_ACT_KILL", "seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);"),
			lscShape{Default: rules.Action{Kind: rules.KillThread}, Rules: []lscRuleShape{{Syscall: "read", Action: allow}}}},
		{"kill thread", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_KILL_THREAD, SCMP_SYS(ptrace), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "ptrace", Action: rules.Action{Kind: rules.KillThread}}}}},
		{"kill process", lscWrap("SCMP_ACT_KILL_PROCESS", "seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0);"),
			lscShape{Default: rules.Action{Kind: rules.KillProcess}, Rules: []lscRuleShape{{Syscall: "exit_group", Action: allow}}}},
		{"trap", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(ptrace), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "ptrace", Action: rules.Action{Kind: rules.Trap}}}}},
		{"log", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(ptrace), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "ptrace", Action: rules.Action{Kind: rules.Log}}}}},
		{"notify", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mount), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "mount", Action: rules.Action{Kind: rules.Notify}}}}},
		{"trace", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), SCMP_SYS(mount), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "mount", Action: rules.Action{Kind: rules.Trace, Ret: 7}}}}},
		{"errno by number", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(38), SCMP_SYS(mount), 0);"),
			lscShape{Default: allow, Rules: []lscRuleShape{{Syscall: "mount", Action: errnoAct(38)}}}},
		{"errno default", lscWrap("SCMP_ACT_ERRNO(ENOSYS)", "seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);"),
			lscShape{Default: errnoAct(38), Rules: []lscRuleShape{{Syscall: "read", Action: allow}}}},
		{"exact and parenthesized", lscWrap("(SCMP_ACT_ALLOW)", "seccomp_rule_add_exact(ctx, (SCMP_ACT_ERRNO(EPERM)), (SCMP_SYS(openat)), 0);"),
			lscShape{Default: allow, Rules: deny("openat")}},

		{"consecutive equal rules merge", lscWrap("SCMP_ACT_ALLOW",
			rule("SCMP_SYS(openat), 1, SCMP_A0(SCMP_CMP_EQ, 1)"), rule("SCMP_SYS(open), 1, SCMP_A0(SCMP_CMP_EQ, 1)"),
			rule("SCMP_SYS(creat), 1, SCMP_A0(SCMP_CMP_EQ, 2)"), "seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(ptrace), 0);",
			rule("SCMP_SYS(connect), 0")),
			lscShape{Default: allow, Rules: []lscRuleShape{
				{"openat", eperm, []rules.Cond{cond(0, rules.OpEQ, 1)}}, {"open", eperm, []rules.Cond{cond(0, rules.OpEQ, 1)}},
				{"creat", eperm, []rules.Cond{cond(0, rules.OpEQ, 2)}},
				{"ptrace", rules.Action{Kind: rules.KillThread}, nil},
				{"connect", eperm, nil},
			}, RuleCount: 4}},

		// Syscall spellings
		{"__NR_ and __SNR_", lscWrap("SCMP_ACT_ALLOW", rule("__NR_openat, 0"), rule("__SNR_connect, 0")),
			lscShape{Default: allow, Rules: append(deny("openat"), deny("connect")...)}},
		{"resolve_name", lscWrap("SCMP_ACT_ALLOW", rule(`seccomp_syscall_resolve_name("openat"), 0`)),
			lscShape{Default: allow, Rules: deny("openat")}},

		// Comparisons
		{"eq", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET)")),
			lscShape{Default: allow, Rules: deny("socket", cond(0, rules.OpEQ, 2))}},
		{"ne lt le gt ge", lscWrap("SCMP_ACT_ALLOW",
			rule("SCMP_SYS(mmap), 5, SCMP_A0(SCMP_CMP_NE, 0), SCMP_A1(SCMP_CMP_LT, 4096), SCMP_A2(SCMP_CMP_LE, 7), SCMP_A3(SCMP_CMP_GT, 1), SCMP_A4(SCMP_CMP_GE, 3)")),
			lscShape{Default: allow, Rules: deny("mmap", cond(0, rules.OpNE, 0), cond(1, rules.OpLT, 4096), cond(2, rules.OpLE, 7),
				cond(3, rules.OpGT, 1), cond(4, rules.OpGE, 3))}},
		{"masked eq", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDWR)")),
			lscShape{Default: allow, Rules: deny("openat", masked(2, 3, 2))}},
		{"masked eq without a value compares with zero", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE)")),
			lscShape{Default: allow, Rules: deny("openat", masked(2, 3, 0))}},
		{"a5 and _64", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(mmap), 1, SCMP_A5_64(SCMP_CMP_EQ, 0x100000000)")),
			lscShape{Default: allow, Rules: deny("mmap", cond(5, rules.OpEQ, 0x100000000))}},
		{"SCMP_CMP", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(ioctl), 1, SCMP_CMP(1, SCMP_CMP_EQ, TIOCSTI)")),
			lscShape{Default: allow, Rules: deny("ioctl", cond(1, rules.OpEQ, 0x5412))}},
		{"SCMP_CMP64 masked", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(clone), 1, SCMP_CMP64(0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)")),
			lscShape{Default: allow, Rules: deny("clone", masked(0, 0x10000000, 0x10000000))}},
		// libseccomp 2.5 casts a _32 datum to uint32_t and compares it
		// with the whole argument: SCMP_A0_32(SCMP_CMP_EQ, -1) tests
		// arg0 == 0xffffffff (high word zero), as seccomp_export_pfc shows.
		{"_32 eq truncates the datum", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(close), 1, SCMP_A0_32(SCMP_CMP_EQ, -1)")),
			lscShape{Default: allow, Rules: deny("close", cond(0, rules.OpEQ, 0xffffffff))}},
		{"_32 gt", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(dup), 1, SCMP_A0_32(SCMP_CMP_GT, 5)")),
			lscShape{Default: allow, Rules: deny("dup", cond(0, rules.OpGT, 5))}},
		{"_32 masked", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0_32(SCMP_CMP_MASKED_EQ, ~0, 0x1ffffffff)")),
			lscShape{Default: allow, Rules: deny("read", masked(0, 0xffffffff, 0xffffffff))}},
		{"SCMP_CMP32", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(close), 1, SCMP_CMP32(0, SCMP_CMP_NE, 0x100000003)")),
			lscShape{Default: allow, Rules: deny("close", cond(0, rules.OpNE, 3))}},

		// Values
		{"64-bit negative is two's complement", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(close), 1, SCMP_A0(SCMP_CMP_EQ, -1)")),
			lscShape{Default: allow, Rules: deny("close", cond(0, rules.OpEQ, 0xffffffffffffffff))}},
		{"big uint64 survives", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(close), 1, SCMP_A0(SCMP_CMP_EQ, 18446744073709551516)")),
			lscShape{Default: allow, Rules: deny("close", cond(0, rules.OpEQ, 18446744073709551516))}},
		{"max uint64 with suffix", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(close), 1, SCMP_A0(SCMP_CMP_EQ, 0xFFFFFFFFFFFFFFFFULL)")),
			lscShape{Default: allow, Rules: deny("close", cond(0, rules.OpEQ, 1<<64-1))}},
		{"C integer types", lscWrap("SCMP_ACT_ALLOW",
			rule("SCMP_SYS(close), 1, SCMP_A0(SCMP_CMP_EQ, ~0U)"),
			rule("SCMP_SYS(dup), 1, SCMP_A0(SCMP_CMP_EQ, 1 << 31)"),
			rule("SCMP_SYS(dup2), 1, SCMP_A0(SCMP_CMP_EQ, 1U << 31)"),
			rule("SCMP_SYS(dup3), 1, SCMP_A0(SCMP_CMP_EQ, 0x80000000)"),
			rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, (uint32_t)-2)"),
			rule("SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, (unsigned char)-1)"),
			rule("SCMP_SYS(pread64), 1, SCMP_A0(SCMP_CMP_EQ, 1UL << 40)"),
			rule("SCMP_SYS(pwrite64), 1, SCMP_A0(SCMP_CMP_EQ, -0x80000000)"),
			rule("SCMP_SYS(lseek), 1, SCMP_A0(SCMP_CMP_EQ, 2147483648)"),
			rule("SCMP_SYS(fsync), 1, SCMP_A0(SCMP_CMP_EQ, -2147483648)"),
			rule("SCMP_SYS(fcntl), 1, SCMP_A0(SCMP_CMP_EQ, 'A')"),
			rule("SCMP_SYS(fchmod), 1, SCMP_A1(SCMP_CMP_EQ, 0755)"),
			rule("SCMP_SYS(fchown), 1, SCMP_A1(SCMP_CMP_EQ, 0b101)"),
		),
			lscShape{Default: allow, Rules: []lscRuleShape{
				{"close", eperm, []rules.Cond{cond(0, rules.OpEQ, 0xffffffff)}},
				{"dup", eperm, []rules.Cond{cond(0, rules.OpEQ, 0xffffffff80000000)}},
				{"dup2", eperm, []rules.Cond{cond(0, rules.OpEQ, 0x80000000)}},
				{"dup3", eperm, []rules.Cond{cond(0, rules.OpEQ, 0x80000000)}},
				{"read", eperm, []rules.Cond{cond(0, rules.OpEQ, 0xfffffffe)}},
				{"write", eperm, []rules.Cond{cond(0, rules.OpEQ, 0xff)}},
				{"pread64", eperm, []rules.Cond{cond(0, rules.OpEQ, 1<<40)}},
				{"pwrite64", eperm, []rules.Cond{cond(0, rules.OpEQ, 0x80000000)}},
				{"lseek", eperm, []rules.Cond{cond(0, rules.OpEQ, 0x80000000)}},
				{"fsync", eperm, []rules.Cond{cond(0, rules.OpEQ, 0xffffffff80000000)}},
				{"fcntl", eperm, []rules.Cond{cond(0, rules.OpEQ, 65)}},
				{"fchmod", eperm, []rules.Cond{cond(1, rules.OpEQ, 0o755)}},
				{"fchown", eperm, []rules.Cond{cond(1, rules.OpEQ, 5)}},
			}}},
		{"constant expressions", lscWrap("SCMP_ACT_ALLOW",
			rule("SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, O_WRONLY | O_RDWR, (1 + 1) & 3)"),
			rule("SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_EQ, (4 * 1024 - 1) ^ 0xf >> 2 % 3 / 1)"),
		),
			lscShape{Default: allow, Rules: []lscRuleShape{
				{"openat", eperm, []rules.Cond{masked(2, 3, 2)}},
				{"mmap", eperm, []rules.Cond{cond(2, rules.OpEQ, 4095^(0xf>>(2%3)))}},
			}}},
		{"macros", "#include <seccomp.h>\n" +
			"#define DENY SCMP_ACT_ERRNO(EPERM)\n" +
			"#define MY_FD 3\n" +
			"#define MASK (0xffULL << 8)\n" +
			"#define BLOCK(name) seccomp_rule_add(ctx, DENY, SCMP_SYS(name), 0)\n" +
			"#define CHECK(x) do { if ((x) < 0) goto out; } while (0)\n" +
			"#define NR(name) __NR_##name\n" +
			"#define ADD(...) seccomp_rule_add(ctx, __VA_ARGS__)\n" +
			"#define SILLY(n) #n\n" +
			"int main(void) {\n" +
			"\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n" +
			"\tCHECK(BLOCK(openat));\n" +
			"\tCHECK(seccomp_rule_add(ctx, DENY, SCMP_SYS(close), 1, SCMP_A0(SCMP_CMP_EQ, MY_FD)));\n" +
			"\tseccomp_rule_add(ctx, DENY, NR(connect), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, MASK, 0x100));\n" +
			"\tADD(SCMP_ACT_LOG, seccomp_syscall_resolve_name(SILLY(mount)), 0);\n" +
			"#undef MY_FD\n" +
			"#define MY_FD 4\n" +
			"\tseccomp_rule_add(ctx, DENY, SCMP_SYS(dup), 1, SCMP_A0(SCMP_CMP_EQ, MY_FD));\n" +
			"out:\n\tseccomp_release(ctx);\n}\n",
			lscShape{Default: allow, Rules: []lscRuleShape{
				{"openat", eperm, nil},
				{"close", eperm, []rules.Cond{cond(0, rules.OpEQ, 3)}},
				{"connect", eperm, []rules.Cond{masked(1, 0xff00, 0x100)}},
				{"mount", rules.Action{Kind: rules.Log}, nil},
				{"dup", eperm, []rules.Cond{cond(0, rules.OpEQ, 4)}},
			}}},
		{"preprocessor", "#include <seccomp.h>\n" +
			"#ifndef SCMP_ACT_KILL_PROCESS\n#define SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL\n#endif\n" +
			"int main(void) {\n" +
			"\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);\n" +
			"#if 0\n\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0);\n#else\n" +
			"\tseccomp_rule_add(ctx, SCMP_ACT_ALLOW, \\\n\t\tSCMP_SYS(read), 0); // a comment\n#endif\n" +
			"#if 1\n\t/* seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0); */\n#elif FOO\n\tfoo();\n#endif\n" +
			"#if 0\n\tdon't mind the apostrophe\n#endif\n#warning don't panic\n" +
			"\tprintf(\"seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 0)\\n\");\n" +
			"}\n",
			lscShape{Default: rules.Action{Kind: rules.KillProcess}, Rules: []lscRuleShape{{"read", allow, nil}}}},
		{"calls in conditions and helpers are followed", "#include <seccomp.h>\n" +
			"static int deny_connect(scmp_filter_ctx ctx) {\n" +
			"\treturn seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);\n}\n" +
			"int main(void) {\n\tscmp_filter_ctx ctx;\n" +
			"\tif ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) { perror(\"x\"); return 1; }\n" +
			"\tif (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 0) < 0 ||\n" +
			"\t    deny_connect(ctx) < 0) { seccomp_release(ctx); return 1; }\n" +
			"\tfor (int i = 0; i < 3; i++) printf(\"%d\", i);\n" +
			"\tseccomp_export_pfc(ctx, 1);\n\tseccomp_load(ctx);\n}\n",
			// In the order the program runs them.
			lscShape{Default: allow, Rules: append(deny("openat"), deny("connect")...)}},

		// Architectures and attributes
		{"architectures", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_X86);", "seccomp_arch_add(ctx, SCMP_ARCH_X32);",
			"seccomp_arch_add(ctx, SCMP_ARCH_X86);", "seccomp_arch_remove(ctx, SCMP_ARCH_X32);", rule("SCMP_SYS(openat), 0")),
			lscShape{Default: allow, Arches: []string{"native", "x86"}, Rules: deny("openat")}},
		{"exactly these architectures", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);",
			"seccomp_arch_add(ctx, SCMP_ARCH_AARCH64);", "seccomp_arch_add(ctx, SCMP_ARCH_X86_64);"),
			lscShape{Default: allow, Arches: []string{"aarch64", "x86_64"}}},
		{"native only", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_NATIVE);", "seccomp_arch_exist(ctx, SCMP_ARCH_X86);"),
			lscShape{Default: allow}},
		{"attributes", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);",
			"seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 0);",
			"seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);", "seccomp_syscall_priority(ctx, SCMP_SYS(read), 200);"),
			lscShape{Default: allow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("t.c", []byte(tt.src), nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, tt.src)
			}
			got := shapeOf(p)
			if tt.want.RuleCount != 0 {
				got.RuleCount = len(p.Rules)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			checkLibseccompProfile(t, p)
		})
	}
}

func TestParsePositions(t *testing.T) {
	src := lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_X86);",
		"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_INET));")
	p, err := Parse("t.c", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rules[0]
	got := []rules.Pos{p.DefaultPos, p.Architectures[0].Pos, p.Architectures[1].Pos, r.Pos, r.ActionPos, r.Syscalls[0].Pos, r.When[0].Pos}
	pos := func(line, col int) rules.Pos { return rules.Pos{Line: line, Col: col} }
	want := []rules.Pos{pos(3, 21), pos(3, 8), pos(4, 24), pos(5, 2), pos(5, 24), pos(5, 56), pos(5, 68)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("positions %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	rule := func(args string) string { return "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), " + args + ");" }
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"syscall variable", lscWrap("SCMP_ACT_ALLOW", "int nr = 2;", "seccomp_rule_add(ctx, SCMP_ACT_KILL, nr, 0);"),
			`t.c:5:39: seccomp_rule_add: cannot follow syscall argument "nr" (a variable); write SCMP_SYS(name)`},
		{"syscall number", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_KILL, 2, 0);"),
			`t.c:4:39: seccomp_rule_add: cannot follow syscall number 2, which differs between architectures; write SCMP_SYS(name)`},
		{"syscall call", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_KILL, pick(1), 0);"),
			`t.c:4:39: seccomp_rule_add: cannot follow syscall argument "pick(1)" (a function call); write SCMP_SYS(name)`},
		{"unknown syscall", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(opnat), 0")),
			`t.c:4:56: seccomp_rule_add: unknown syscall "opnat": did you mean "openat"?`},
		{"unknown __NR_", lscWrap("SCMP_ACT_ALLOW", rule("__NR_conect, 0")),
			`t.c:4:47: seccomp_rule_add: unknown syscall "conect": did you mean "connect"?`},
		{"action variable", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, act, SCMP_SYS(read), 0);"),
			`t.c:4:24: seccomp_rule_add: cannot follow action "act" (a variable); write SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), SCMP_ACT_KILL_PROCESS …`},
		{"action expression", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, strict ? SCMP_ACT_KILL : SCMP_ACT_LOG, SCMP_SYS(read), 0);"),
			`t.c:4:24: seccomp_rule_add: cannot follow action "strict ? SCMP_ACT_KILL : SCMP_ACT_LOG"; write SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), SCMP_ACT_KILL_PROCESS …`},
		{"unknown action", lscWrap("SCMP_ACT_ALOW"),
			`t.c:3:21: seccomp_init: unknown action "SCMP_ACT_ALOW": did you mean "SCMP_ACT_ALLOW"?`},
		{"errno without value", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO, SCMP_SYS(read), 0);"),
			`t.c:4:24: seccomp_rule_add: SCMP_ACT_ERRNO needs a value, as in SCMP_ACT_ERRNO(1)`},
		{"errno zero", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(read), 0);"),
			`t.c:4:39: seccomp_rule_add: ` + rules.ErrZeroErrno.Error()},
		{"default errno zero", lscWrap("SCMP_ACT_ERRNO(0)"),
			`t.c:3:36: seccomp_init: ` + rules.ErrZeroErrno.Error()},
		{"negative errno", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(-EPERM), SCMP_SYS(read), 0);"),
			`t.c:4:39: seccomp_rule_add: errno -1 is negative; libseccomp takes a positive errno, as in SCMP_ACT_ERRNO(EPERM)`},
		{"errno too big", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(5000), SCMP_SYS(read), 0);"),
			`t.c:4:39: seccomp_rule_add: errno 5000 is out of range (1-4094): libseccomp refuses it`},
		{"masked value outside its mask", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, 1, 3));"),
			`t.c:4:64: seccomp_rule_add: masked equality "arg2 & 1 == 3" can never hold: the value has bits outside the mask (2); libseccomp would mask the value and match "arg2 & 1 == 1" instead`},
		{"errno variable", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(read), 0);"),
			`t.c:4:39: seccomp_rule_add: cannot follow errno "err" (a variable); write a number, a named constant or a #define`},
		{"trace too big", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_TRACE(70000), SCMP_SYS(read), 0);"),
			`t.c:4:39: seccomp_rule_add: trace message 70000 is out of range (0-65535)`},
		{"action equals default", lscWrap("SCMP_ACT_ERRNO(EPERM)", rule("SCMP_SYS(openat), 0")),
			`t.c:4:24: seccomp_rule_add: the action errno(EPERM) is the default action; libseccomp rejects such a rule (EACCES)`},
		{"count too high", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), 2, SCMP_A0(SCMP_CMP_EQ, 1)")),
			`t.c:4:65: seccomp_rule_add: the condition count is 2 but 1 condition follows`},
		{"count too low", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), 0, SCMP_A0(SCMP_CMP_EQ, 1), SCMP_A1(SCMP_CMP_EQ, 1)")),
			`t.c:4:65: seccomp_rule_add: the condition count is 0 but 2 conditions follow`},
		{"count variable", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), n")),
			`t.c:4:65: seccomp_rule_add: cannot follow condition count "n" (a variable); write a number, a named constant or a #define`},
		{"one argument too few", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx);"),
			`t.c:4:2: seccomp_arch_add: takes a filter context and an architecture, not 1 argument`},
		{"one argument too many", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_X86, 1);"),
			`t.c:4:2: seccomp_arch_add: takes a filter context and an architecture, not 3 arguments`},
		{"too few arguments", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat)")),
			`t.c:4:2: seccomp_rule_add: takes a filter context, an action, a syscall and a condition count, then the conditions`},
		{"condition variable", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, cmp")),
			`t.c:4:66: seccomp_rule_add: cannot follow condition "cmp" (a variable); write SCMP_A0(SCMP_CMP_EQ, value) … SCMP_A5(…)`},
		{"condition value variable", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, fd + 1)")),
			`t.c:4:87: seccomp_rule_add: cannot follow condition value "fd" (a variable); write a number, a named constant or a #define`},
		{"unknown constant", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, MY_FD)")),
			`t.c:4:87: seccomp_rule_add: unknown constant "MY_FD" in condition value; #define it in this file or write the number`},
		{"unknown comparison", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQUAL, 1)")),
			`t.c:4:74: seccomp_rule_add: unknown comparison "SCMP_CMP_EQUAL": did you mean "SCMP_CMP_EQ"?`},
		{"comparison variable", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(op, 1)")),
			`t.c:4:74: seccomp_rule_add: cannot follow comparison "op" (a variable); write SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE or SCMP_CMP_MASKED_EQ`},
		{"two values", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 1, 2)")),
			`t.c:4:66: seccomp_rule_add: SCMP_CMP_EQ takes one value, not 2`},
		{"argument index", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_CMP(6, SCMP_CMP_EQ, 1)")),
			`t.c:4:66: seccomp_rule_add: argument index 6 is out of range (0-5)`},
		{"argument compared twice", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 2, SCMP_A0(SCMP_CMP_GT, 1), SCMP_A0(SCMP_CMP_LT, 9)")),
			`t.c:4:91: seccomp_rule_add: argument 0 is compared twice; libseccomp rejects such a rule (EINVAL)`},
		{"shift out of range", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 1 << 32)")),
			`t.c:4:89: seccomp_rule_add: shift count 32 is out of range for a 32-bit value`},
		{"division by zero", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 1 / 0)")),
			`t.c:4:89: seccomp_rule_add: division by zero`},
		{"number too big", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 18446744073709551616)")),
			`t.c:4:87: seccomp_rule_add: condition value: number 18446744073709551616 does not fit in 64 bits`},
		{"float", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 1.5)")),
			`t.c:4:87: seccomp_rule_add: condition value: floating-point number 1.5`},
		{"rule_add_array", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add_array(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 1, cmps);"),
			`t.c:4:2: seccomp_rule_add_array: cannot follow an array of conditions; write seccomp_rule_add with SCMP_A0 … SCMP_A5 conditions`},
		{"rule_add_exact_array", lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add_exact_array(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 1, cmps);"),
			`t.c:4:2: seccomp_rule_add_exact_array: cannot follow an array of conditions; write seccomp_rule_add_exact with SCMP_A0 … SCMP_A5 conditions`},
		{"merge", lscWrap("SCMP_ACT_ALLOW", "seccomp_merge(ctx, other);"),
			`t.c:4:2: seccomp_merge: merging filter contexts cannot be followed; build one context`},
		{"reset", lscWrap("SCMP_ACT_ALLOW", "seccomp_reset(ctx, SCMP_ACT_KILL);"),
			`t.c:4:2: seccomp_reset: resetting the filter context cannot be followed; build the filter once`},
		{"second init", lscWrap("SCMP_ACT_ALLOW", "other = seccomp_init(SCMP_ACT_KILL);"),
			`t.c:4:10: seccomp_init: a second filter context (the first is at line 3) cannot be followed; build one filter`},
		{"missing init", "#include <seccomp.h>\nint main(void) { return 0; }\n",
			`t.c: no seccomp_init call: this file does not build a libseccomp filter`},
		{"missing init and include", "int main(void) { return 0; }\n",
			`t.c: no seccomp_init call: this file does not build a libseccomp filter (it does not even include <seccomp.h>)`},
		{"for loop", lscWrap("SCMP_ACT_ALLOW", "for (i = 0; i < n; i++)", "\tseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);"),
			`t.c:5:3: seccomp_rule_add: inside a loop, which cannot be followed; write one call per rule, outside loops`},
		{"while loop", lscWrap("SCMP_ACT_ALLOW", "while (names[i]) { i++; seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0); }"),
			`t.c:4:26: seccomp_rule_add: inside a loop, which cannot be followed; write one call per rule, outside loops`},
		{"do loop", lscWrap("SCMP_ACT_ALLOW", "do seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0); while (again());"),
			`t.c:4:5: seccomp_rule_add: inside a loop, which cannot be followed; write one call per rule, outside loops`},
		{"if body", lscWrap("SCMP_ACT_ALLOW", "if (strict)", "\tseccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);"),
			`t.c:5:3: seccomp_rule_add: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch`},
		{"else body", lscWrap("SCMP_ACT_ALLOW", "if (strict) { x(); } else { seccomp_arch_add(ctx, SCMP_ARCH_X86); }"),
			`t.c:4:30: seccomp_arch_add: inside an if, else or switch body, so the filter depends on a run-time condition; move the call out of the branch`},
		{"#ifdef", lscWrap("SCMP_ACT_ALLOW", "\n#ifdef STRICT", "seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);", "\n#endif"),
			`t.c:6:2: seccomp_rule_add: inside #if, #ifdef or #ifndef, so the filter depends on how the file is compiled; move the call out of the conditional`},
		{"attr badarch", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_LOG);"),
			`t.c:4:49: seccomp_attr_set: the bad-architecture action is SCMP_ACT_LOG: calls from every architecture the filter does not list (i386 int 0x80, x32) run unfiltered, and a profile cannot carry it`},
		{"attr badarch kill", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);"),
			`t.c:4:24: seccomp_attr_set: SCMP_FLTATR_ACT_BADARCH sets the action for other architectures, which a profile cannot express`},
		{"attr tsync", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);"),
			`t.c:4:24: seccomp_attr_set: SCMP_FLTATR_CTL_TSYNC applies the filter to every thread of the process, which a profile cannot express (runtimes filter the thread that executes the container)`},
		{"attr default", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_ACT_DEFAULT, SCMP_ACT_KILL);"),
			`t.c:4:24: seccomp_attr_set: SCMP_FLTATR_ACT_DEFAULT cannot be changed after seccomp_init (libseccomp returns EACCES); set the default in seccomp_init`},
		{"attr value variable", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, verbose);"),
			`t.c:4:45: seccomp_attr_set: cannot follow attribute value "verbose" (a variable); write a number, a named constant or a #define`},
		{"attr unknown", lscWrap("SCMP_ACT_ALLOW", "seccomp_attr_set(ctx, SCMP_FLTATR_CTL_FOO, 1);"),
			`t.c:4:24: seccomp_attr_set: unknown attribute "SCMP_FLTATR_CTL_FOO"`},
		{"unknown architecture", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_X86_46);"),
			`t.c:4:24: seccomp_arch_add: unknown architecture "SCMP_ARCH_X86_46": did you mean "SCMP_ARCH_X86_64"?`},
		{"architecture variable", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, arch);"),
			`t.c:4:24: seccomp_arch_add: cannot follow architecture "arch" (a variable); write SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 …`},
		{"arch after rules", lscWrap("SCMP_ACT_ALLOW", rule("SCMP_SYS(openat), 0"), "seccomp_arch_add(ctx, SCMP_ARCH_X86);"),
			`t.c:5:2: seccomp_arch_add: after seccomp_rule_add (line 4), but libseccomp adds earlier rules only to the architectures the filter had then; add architectures first`},
		{"remove host-dependent", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_remove(ctx, SCMP_ARCH_X86_64);"),
			`t.c:4:27: seccomp_arch_remove: SCMP_ARCH_X86_64 is in the filter only when it is the host's own architecture; write seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)`},
		{"remove native late", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_add(ctx, SCMP_ARCH_X86);", "seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);"),
			`t.c:5:27: seccomp_arch_remove: removing SCMP_ARCH_NATIVE after adding other architectures removes one of them when it is the host's; remove SCMP_ARCH_NATIVE first`},
		{"no architecture left", lscWrap("SCMP_ACT_ALLOW", "seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);"),
			`t.c:3:8: seccomp_init: every architecture was removed from the filter, so seccomp_load would fail`},
		{"unterminated comment", lscWrap("SCMP_ACT_ALLOW", "/* oops"),
			`t.c:4:2: unterminated comment`},
		{"unterminated string", lscWrap("SCMP_ACT_ALLOW", `puts("oops);`),
			`t.c:4:7: unterminated string literal`},
		{"macro bomb", "#define A0 x\n#define A1 A0 A0 A0 A0 A0 A0 A0 A0\n#define A2 A1 A1 A1 A1 A1 A1 A1 A1\n" +
			"#define A3 A2 A2 A2 A2 A2 A2 A2 A2\n#define A4 A3 A3 A3 A3 A3 A3 A3 A3\n#define A5 A4 A4 A4 A4 A4 A4 A4 A4\n" +
			"#define A6 A5 A5 A5 A5 A5 A5 A5 A5\n#define A7 A6 A6 A6 A6 A6 A6 A6 A6\n" +
			"int main(void) { seccomp_init(SCMP_ACT_ALLOW); A7; }\n",
			`t.c:9:48: macro A7 expands to too much code to follow`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.c", []byte(tt.src), nil)
			if err == nil {
				t.Fatalf("no error, want %s\n%s", tt.want, tt.src)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s\n%s", got, tt.want, tt.src)
			}
			var list rules.ErrorList
			if !errors.As(err, &list) {
				t.Errorf("error is a %T, want rules.ErrorList", err)
			}
		})
	}
}

func TestParseReportsAllErrors(t *testing.T) {
	src := lscWrap("SCMP_ACT_ALLOW",
		"seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(opnat), 0);",
		"seccomp_rule_add(ctx, act, nr, 1, SCMP_A0(SCMP_CMP_EQ, fd));",
		"for (;;) seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);",
		"seccomp_merge(ctx, other);",
	)
	_, err := Parse("t.c", []byte(src), nil)
	var list rules.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want a rules.ErrorList", err)
	}
	want := []string{
		`t.c:4:56: seccomp_rule_add: unknown syscall "opnat": did you mean "openat"?`,
		`t.c:5:24: seccomp_rule_add: cannot follow action "act" (a variable); write SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), SCMP_ACT_KILL_PROCESS …`,
		`t.c:5:29: seccomp_rule_add: cannot follow syscall argument "nr" (a variable); write SCMP_SYS(name)`,
		`t.c:5:57: seccomp_rule_add: cannot follow condition value "fd" (a variable); write a number, a named constant or a #define`,
		`t.c:6:11: seccomp_rule_add: inside a loop, which cannot be followed; write one call per rule, outside loops`,
		`t.c:7:2: seccomp_merge: merging filter contexts cannot be followed; build one context`,
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkLibseccompProfile checks what every successful parse must give.
func checkLibseccompProfile(t testing.TB, p *rules.Profile) {
	t.Helper()
	if p == nil || !p.HasDefault {
		t.Fatalf("profile %+v without a default", p)
	}
	validAction := func(a rules.Action) bool {
		switch a.Kind {
		case rules.Errno:
			return a.Ret >= 1 && a.Ret <= 4095
		case rules.Trace:
			return a.Ret <= 65535
		case rules.Allow, rules.KillProcess, rules.KillThread, rules.Trap, rules.Log, rules.Notify:
			return a.Ret == 0
		}
		return false
	}
	if !validAction(p.Default) {
		t.Errorf("invalid default action %+v", p.Default)
	}
	for _, r := range p.Rules {
		if !validAction(r.Action) || r.Action == p.Default {
			t.Errorf("invalid rule action %+v (default %+v)", r.Action, p.Default)
		}
		if len(r.Syscalls) == 0 || !r.Pos.IsValid() || !r.ActionPos.IsValid() {
			t.Errorf("invalid rule %+v", r)
		}
		for _, n := range r.Syscalls {
			if !syscalls.IsSyscall(n.Name) || !n.Pos.IsValid() {
				t.Errorf("invalid syscall %+v", n)
			}
		}
		seen := map[uint]bool{}
		for _, c := range r.When {
			if c.Arg > 5 || seen[c.Arg] || c.Op < rules.OpEQ || c.Op > rules.OpMaskedEQ || c.Op != rules.OpMaskedEQ && c.Mask != 0 {
				t.Errorf("invalid condition %+v", c)
			}
			seen[c.Arg] = true
		}
	}
	for _, a := range p.Architectures {
		if a.Name != rules.Native && !contains(syscalls.Arches(), a.Name) {
			t.Errorf("invalid architecture %q", a.Name)
		}
	}
}

// lscFuzzSeeds are the sources of the table tests, for the fuzzer.
func lscFuzzSeeds() []string {
	return []string{
		lscWrap("SCMP_ACT_KILL", "seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0_32(SCMP_CMP_MASKED_EQ, ~0, 3));"),
		lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), __NR_mount, 2, SCMP_CMP(1, SCMP_CMP_GE, 1UL << 40), SCMP_A0(SCMP_CMP_NE, -1));"),
		lscWrap("SCMP_ACT_ERRNO(EPERM)", "seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);", "seccomp_arch_add(ctx, SCMP_ARCH_X86);",
			"seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);", "seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);"),
		"#define D SCMP_ACT_ERRNO(EPERM)\n#define R(n, ...) seccomp_rule_add(ctx, D, __SNR_##n, __VA_ARGS__)\n" +
			"int main(void) { ctx = seccomp_init(SCMP_ACT_ALLOW); do { R(openat, 0); } while (0);\n" +
			"#if 0\nx\n#elif 1\n R(connect, 1, SCMP_A0((SCMP_CMP_EQ), (int)'x'));\n#else\ny\n#endif\n}\n",
		lscWrap("SCMP_ACT_ALLOW", "for (;;) { if (x) seccomp_rule_add(ctx, a, nr, n); }", "seccomp_merge(a, b);"),
		lscWrap("SCMP_ACT_ALLOW", "do { if (x) break; (void)sizeof seccomp_rule_add(ctx, a, nr, 0); } while (0);",
			"({ x && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 0) == 0 || f(ctx); });", "exit(1);"),
		lscWrap("SCMP_ACT_ALLOW", "i\\\n  f (x) <% seccomp_rule\\\n_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0); %>", "_Generic(x, int: 0);"),
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readDemoC(f))
	for _, s := range lscFuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz.c", src, nil)
		if err != nil {
			var list rules.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty rules.ErrorList", err)
			}
			return
		}
		checkLibseccompProfile(t, p)
	})
}

// TestParseGarbage feeds random bytes and random mutations of
// valid programs, which must never panic or hang.
func TestParseGarbage(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	seeds := append(lscFuzzSeeds(), string(readDemoC(t)))
	alphabet := []byte("()[]{},;#\\\"'/*\n \tx0_SCMP_A0(),seccomp_rule_add(ctx,if for do while else 0x1ULL<<-~|&")
	for i := 0; i < 3000; i++ {
		var src []byte
		if i%3 == 0 {
			src = make([]byte, rng.Intn(400))
			for k := range src {
				src[k] = alphabet[rng.Intn(len(alphabet))]
				if rng.Intn(10) == 0 {
					src[k] = byte(rng.Intn(256))
				}
			}
		} else {
			src = []byte(seeds[rng.Intn(len(seeds))])
			for n := rng.Intn(8); n >= 0 && len(src) > 0; n-- {
				k := rng.Intn(len(src))
				switch rng.Intn(3) {
				case 0:
					src = append(src[:k], src[k+1:]...)
				case 1:
					src[k] = alphabet[rng.Intn(len(alphabet))]
				default:
					j := rng.Intn(len(src))
					src = append(src[:k:k], append([]byte(string(src[j:min(j+20, len(src))])), src[k:]...)...)
				}
			}
		}
		p, err := Parse("garbage.c", src, nil)
		if err == nil {
			checkLibseccompProfile(t, p)
		}
	}
}

// TestIfConditions: an #if whose condition is an expression of literals
// is decided by the evaluator the calls' arguments use, so a rule inside
// a false one is not taken (nor seen by lint); a condition that names a
// macro stays unknown, and a rule inside it is refused.
func TestIfConditions(t *testing.T) {
	for _, tc := range []struct {
		cond string
		want int // rules taken; -1: refused as depending on the build
	}{
		{"0", 0}, {"1", 1}, {"(0)", 0}, {"1 - 1", 0}, {"0 && 1", 0}, {"0 || 2", 1},
		{"-1 < 0", 1}, {"0xffffffffu < 0", 0}, {"!1", 0}, {"1 << 3 == 8", 1},
		{"FOO", -1}, {"defined(FOO)", -1}, {"0 && FOO", -1}, {"1 / 0", -1},
	} {
		src := lscWrap("SCMP_ACT_ALLOW", "\n#if "+tc.cond, "seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 0);", "\n#endif")
		p, err := Parse("t.c", []byte(src), nil)
		switch {
		case tc.want < 0:
			if err == nil || !strings.Contains(err.Error(), "inside #if") {
				t.Errorf("#if %s: got %v, want the rule refused as inside #if", tc.cond, err)
			}
		case err != nil:
			t.Errorf("#if %s: %v", tc.cond, err)
		case len(p.Rules) != tc.want:
			t.Errorf("#if %s: %d rules, want %d", tc.cond, len(p.Rules), tc.want)
		}
	}
}

// TestArgumentComparisons: a call's argument may compare and combine
// values as C does (the result is an int, 0 or 1).
func TestArgumentComparisons(t *testing.T) {
	src := lscWrap("SCMP_ACT_ALLOW", "seccomp_rule_add(ctx, SCMP_ACT_KILL, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, (2 > 1) + (-1 < 0u) + (3 && 0) * 4));")
	p, err := Parse("t.c", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	// -1 < 0u compares unsigned: 0.
	if len(p.Rules) != 1 || len(p.Rules[0].When) != 1 || p.Rules[0].When[0].Value != 1 {
		t.Errorf("got %+v, want read with arg0 == 1", p.Rules)
	}
}
