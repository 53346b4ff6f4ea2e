package convert

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/tree"
)

// Every input up to MaxInputSize is converted, or refused with a
// positioned error, within these bounds: the CPU time and peak memory of
// one conversion.
const (
	boundTime   = 2 * time.Second
	boundMemory = 256 << 20
)

// childEnv makes the test binary convert one file and exit, so that the
// benchmark measures one conversion's time and peak memory alone.
const childEnv = "OCI_SBX_CONVERT_BOUND_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		err := convertFile(path)
		// The peak of this process's own memory: VmHWM belongs to the
		// address space exec made, where getrusage would also count the
		// parent's, inherited across exec.
		status, _ := os.ReadFile("/proc/self/status")
		for line := range strings.Lines(string(status)) {
			if strings.HasPrefix(line, "VmHWM:") {
				fmt.Print(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB\n")))
			}
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func convertFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s, err := Read(path, data, "", Options{Kernel: "6.1"})
	if err != nil {
		return err
	}
	return Write(io.Discard, s, OCI, Options{})
}

// hostileInputs are the worst cases of each parser, each as large as the
// input limit allows or, where a limit of the parser refuses it sooner,
// just within that limit.
func hostileInputs() map[string]string {
	const size = MaxInputSize
	rep := func(unit string, n int) string { return strings.Repeat(unit, n) }
	fill := func(head, unit, tail string) string {
		return head + rep(unit, (size-len(head)-len(tail))/len(unit)) + tail
	}
	rules := "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: "
	return map[string]string{
		"yaml-nested-flow":   fill("", "[", ""),
		"yaml-nested-block":  fill("", "- ", "x\n"),
		"yaml-nested-indent": nestedIndent(size),
		"json-nested":        fill("", `{"a":`, ""),
		"json-nested-list":   fill(`{"defaultAction": "SCMP_ACT_ALLOW", "x": `, "[", ""),
		"yaml-flow-values":   "[" + rep("0,", 49_990) + "0]\n",
		"yaml-rules-names":   rules + "[" + rep("read, ", 49_000) + "read]\n",
		"yaml-block-names":   rules + "\n" + rep("      - read\n", 49_000),
		"yaml-long-scalar":   "default: allow\ncomment: \"" + rep("x", 2<<20-64) + "\"\n",
		"yaml-too-large":     fill("default: allow\n# ", "x", "\n"),
		"docker-names":       `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": null, "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": [` + rep(`"read",`, 49_000) + `"read"]}]}`,
		"docker-rules":       `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": null, "syscalls": [` + rep(`{"names": ["read"], "action": "SCMP_ACT_ERRNO"},`, 16_000) + `{"names": ["read"], "action": "SCMP_ACT_ERRNO"}]}`,
		// Every syscall of a rule against each of its conditions: names
		// times conditions would grow with the square of the input.
		"docker-names-args": `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": [` + rep(`"write","close","openat","socket",`, 2_000) + `"read"], "args": [` + numbered(`{"index": 0, "value": %d, "op": "SCMP_CMP_NE"},`, 9_000) + `{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]}]}`,
		"yaml-names-conds":  rules + "[" + rep("write, close, openat, socket, ", 6_000) + "read]\n    when: [" + numbered(`"arg0 != %d", `, 12_000) + "\"arg0 != 0\"]\n",
		// runc splits a rule whose conditions repeat an argument into one
		// rule per condition, each naming every syscall of the rule.
		"docker-or-split":       `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": [` + allNames + `], "args": [` + numbered(`{"index": 0, "value": %d, "op": "SCMP_CMP_NE"},`, 12_000) + `{"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]}]}`,
		"docker-or-split-rules": `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [` + rep(`{"action": "SCMP_ACT_ERRNO", "names": [`+allNames+`], "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NE"}, {"index": 0, "value": 2, "op": "SCMP_CMP_NE"}]},`, 150) + `{"action": "SCMP_ACT_ERRNO", "names": ["read"]}]}`,
		// A group names hundreds of syscalls: each rule is as many cases.
		"yaml-group-rules":   "default: errno(EPERM)\nrules:\n" + numbered("  - {action: allow, syscalls: [\"@system-service\"], when: [\"arg0 & 0xffff == %d\"]}\n", 5_000),
		"yaml-group-actions": "default: errno(EPERM)\nrules:\n" + alternating("  - {action: allow, syscalls: [\"@system-service\"]} # %d\n", "  - {action: log, syscalls: [\"@system-service\"]} # %d\n", 8_000),
		"docker-too-many":    fill(`{"defaultAction": "SCMP_ACT_ALLOW", "archMap": null, "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": [`, `"read",`, `"read"]}]}`),
		"oci-long-string":    fill(`{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "`, "x", `"}`),
		"spo-names":          "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - action: SCMP_ACT_ERRNO\n    names: [" + rep("read, ", 49_000) + "read]\n",
		"c-rules":            fill("#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n", "\tseccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 0);\n", "\treturn seccomp_load(ctx);\n}\n"),
		"c-nested-parens":    fill("#include <seccomp.h>\nint x = ", "(", ""),
		"c-nested-braces":    fill("#include <seccomp.h>\nint main(void) ", "{", ""),
		// Conditionals as deep as the token limit lets them nest (5 tokens
		// an #if and its #endif): each line asks every enclosing one.
		"c-nested-if":         "#include <seccomp.h>\n" + rep("#if 1\n", 39_990) + rep("#endif\n", 39_990) + "int main(void) { return 0; }\n",
		"c-nested-ifdef":      "#include <seccomp.h>\n" + rep("#ifdef X\n", 39_990) + rep("#endif\n", 39_990) + "int main(void) { return 0; }\n",
		"c-macro-chain":       macroChain(size),
		"c-comment":           fill("#include <seccomp.h>\n/*", " ", "*/\n"),
		"c-call-tree":         callTree(60),
		"c-long-function":     longFunction(),
		"c-gotos":             manyGotos(),
		"c-conditional-rules": "#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n" + numbered("\tseccomp_rule_add(ctx,SCMP_ACT_ERRNO(1),SCMP_SYS(read),1,SCMP_A0(SCMP_CMP_EQ,%d));\n", 8_200) + "\treturn seccomp_load(ctx);\n}\n",
		"yaml-tags":           "default: " + rep("!!str ", 49_990) + "allow\n",
		"yaml-explicit-keys":  rep("? ", 49_990) + "x\n",
		"yaml-documents":      rep("--- x\n", tree.MaxDocuments) + rep("# x\n", (tree.MaxYAMLSize-400)/4),
		"yaml-anchors":        "default: allow\nrules:\n" + numbered("  - &a%d {action: allow, syscalls: [read]}\n", 12_000),
		// One syscall's rules are compared pairwise by precedence: as many
		// as the value limit lets in, each pinning the argument to its own
		// value, under two errnos of one rank and under allow beside kill.
		"yaml-two-errnos": "default: allow\nrules:\n" + alternating("  - {action: errno(EPERM), syscalls: [read], when: [\"arg0 & 0xffffffff == %d\"]}\n", "  - {action: errno(EACCES), syscalls: [read], when: [\"arg0 & 0xffffffff == %d\"]}\n", 5_500),
		"yaml-allow-kill": "default: errno(EPERM)\nrules:\n" +
			alternating("  - {action: allow, syscalls: [read], when: [\"arg0 & 0xffffffff == %d\"]}\n", "  - {action: kill, syscalls: [read], when: [\"arg0 & 0xffffffff == %d\"]}\n", 5_500),
		// Values that an error quotes back: the message must not grow with them.
		"docker-long-name":    fill(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": ["`, "a", `"]}]}`),
		"docker-long-number":  fill(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "errnoRet": `, "1", `, "names": ["read"]}]}`),
		"docker-long-escapes": fill(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO", "names": ["`, `\u00e9`, `"]}]}`),
		"yaml-long-name":      rules + "[" + rep("a", 2<<20-128) + "]\n",
		"c-long-name":         fill("#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n\tseccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(", "a", "), 0);\n\treturn seccomp_load(ctx);\n}\n"),
		"c-conditions":        fill("#include <seccomp.h>\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n\tseccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 1", ", SCMP_A0(SCMP_CMP_EQ, 1)", ");\n\treturn seccomp_load(ctx);\n}\n"),
	}
}

// allNames lists, as JSON strings, every syscall of x86_64 that takes an
// argument.
var allNames = func() string {
	var names []string
	for _, n := range syscalls.AllSyscalls() {
		if c, ok := syscalls.ArgCount("x86_64", n); ok && c > 0 && syscalls.HasSyscall("x86_64", n) {
			names = append(names, strconv.Quote(n))
		}
	}
	return strings.Join(names, ",")
}()

// alternating repeats two formats with one %d in turn, n lines in all,
// counting from 0.
func alternating(even, odd string, n int) string {
	var b strings.Builder
	for i := range n {
		format := even
		if i%2 == 1 {
			format = odd
		}
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// numbered repeats a format with one %d, counting from 0.
func numbered(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// callTree is a C file whose functions each call the one before twice: a
// walk that followed every call would take 2^depth steps.
func callTree(depth int) string {
	var b strings.Builder
	b.WriteString("#include <seccomp.h>\nstatic void f0(scmp_filter_ctx ctx) { seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 0); }\n")
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "static void f%d(scmp_filter_ctx ctx) { f%d(ctx); f%d(ctx); }\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "int main(void) { scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW); f%d(ctx); return seccomp_load(ctx); }\n", depth)
	return b.String()
}

// longFunction calls a function of half the reader's token limit as many
// times as the other half holds.
func longFunction() string {
	return "#include <seccomp.h>\nstatic void f(scmp_filter_ctx ctx) {\n" + strings.Repeat("\tx = 1;\n", 24_000) +
		"}\nint main(void) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n" + strings.Repeat("\tf(ctx);\n", 19_000) + "\treturn seccomp_load(ctx);\n}\n"
}

// manyGotos jumps from many branches over many rules to many labels.
func manyGotos() string {
	return "#include <seccomp.h>\nint main(int argc, char **argv) {\n\tscmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);\n" +
		numbered("\tif (argc) goto L%d;\n", 12_000) + strings.Repeat("\tseccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), SCMP_SYS(read), 0);\n", 1_000) +
		numbered("L%d:\n", 12_000) + "\treturn seccomp_load(ctx);\n}\n"
}

func nestedIndent(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size-2*i-8; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}

func macroChain(size int) string {
	var b strings.Builder
	b.WriteString("#include <seccomp.h>\n#define M0 1\n")
	for i := 1; b.Len() < size-200; i++ {
		fmt.Fprintf(&b, "#define M%d (M%d + M%d)\n", i, i-1, i-1)
	}
	b.WriteString("int main(void) { return seccomp_rule_add(0, SCMP_ACT_ERRNO(M4000), SCMP_SYS(read), 0); }\n")
	return b.String()
}

// BenchmarkBoundedInput converts each hostile input in a child process
// and checks it finished, or refused, within boundTime and boundMemory.
// It reports the child's peak resident memory as maxrss-MiB and its CPU
// time as cpu-s. Run it with
// -benchtime 1x: each input is as large as oci-sbx accepts.
func BenchmarkBoundedInput(b *testing.B) {
	dir := b.TempDir()
	for name, content := range hostileInputs() {
		if len(content) > MaxInputSize {
			b.Fatalf("%s is %d bytes, more than the input limit", name, len(content))
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var worstTime time.Duration
			var worstRSS int64
			for range b.N {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), childEnv+"="+path)
				var out strings.Builder
				cmd.Stderr = &out

				hwm, err := cmd.Output()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out.String())
				}
				// CPU time, not wall time: the machines that run this are shared.

				worstTime = max(worstTime, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
				kb, err := strconv.ParseInt(string(hwm), 10, 64)
				if err != nil {
					b.Fatalf("child's VmHWM %q: %v", hwm, err)
				}
				worstRSS = max(worstRSS, kb<<10)
				if b.N == 1 {
					b.Logf("%s: %s", name, strings.TrimSpace(firstLine(out.String())))
				}
			}
			b.ReportMetric(float64(worstRSS)/(1<<20), "maxrss-MiB")
			b.ReportMetric(worstTime.Seconds(), "cpu-s")
			if worstTime > boundTime || worstRSS > boundMemory {
				b.Errorf("%s took %v and %d MiB; the bound is %v and %d MiB", name, worstTime, worstRSS>>20, boundTime, boundMemory>>20)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 160 {
		line = line[:160] + "…"
	}
	return line
}

// TestLongValueErrors: a refused value is quoted in part, so the error
// stays a line or two whatever the input's size, and keeps its position.
func TestLongValueErrors(t *testing.T) {
	inputs := hostileInputs()
	for _, name := range []string{"docker-long-name", "docker-long-number", "docker-long-escapes", "yaml-long-name", "c-long-name"} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(name, []byte(inputs[name]), "", Options{Kernel: "6.1"})
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if len(msg) > 2048 || !strings.HasPrefix(msg, name+":1:") && !strings.HasPrefix(msg, name+":3:") && !strings.HasPrefix(msg, name+":4:") {
				t.Errorf("error of %d bytes: %.300s", len(msg), msg)
			}
		})
	}
}
