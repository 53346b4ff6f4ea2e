package app

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/hooks"
	"github.com/oci-sbx/oci-sbx/oci/loader"
	"github.com/oci-sbx/oci-sbx/oci/sandbox"
)

// decodeStrict decodes JSON output into v, refusing fields v does not
// have: the documented schema is all there is.
func decodeStrict(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %v\n%s", err, out)
	}
	if !strings.HasSuffix(out, "}\n") || !strings.Contains(out, "\n\t\"") {
		t.Errorf("not tab-indented JSON with a trailing newline:\n%s", out)
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, stderr := runCLI(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v versionInfo
	decodeStrict(t, out, &v)
	if v.Version != version() || v.RuntimeSpec != specs.Version || v.Seccomp != sandbox.Supported ||
		!strings.HasPrefix(v.Platform, "linux/") || v.Kernel.Release == "" || len(v.Arches) < 10 ||
		!strings.Contains(strings.Join(v.Inputs, ","), "rules,libseccomp-c,docker,oci,spo") {
		t.Errorf("version --format json:\n%s", out)
	}
	// libseccomp and runc are those of the build: none without seccomp.
	if lib, err := loader.LibseccompVersion(); err == nil {
		// (A test binary's build information lists no modules: the
		// e2e test checks runc's in a real build.)
		if v.Libseccomp == nil || *v.Libseccomp != lib || v.Runc != nil && !strings.HasPrefix(*v.Runc, "v1.") {
			t.Errorf("libseccomp %v, runc %v; want %s and the linked runc", v.Libseccomp, v.Runc, lib)
		}
	} else if v.Libseccomp != nil || strings.Contains(out, `"libseccomp": "`) {
		t.Errorf("a build without seccomp reports libseccomp:\n%s", out)
	}
	// runc's features, as the linked loader reports them.
	f := v.SeccompFeatures
	if f == nil || f.Enabled == nil || *f.Enabled != sandbox.Supported {
		t.Fatalf("seccompFeatures %+v in a build with seccomp support %v", f, sandbox.Supported)
	}
	if sandbox.Supported {
		if !slices.Contains(f.Actions, "SCMP_ACT_KILL_PROCESS") || !slices.Contains(f.Operators, "SCMP_CMP_MASKED_EQ") || !slices.Contains(f.Archs, "SCMP_ARCH_X86_64") {
			t.Errorf("seccompFeatures lack what every runc knows: %+v", f)
		}
		for _, flag := range f.SupportedFlags {
			if !slices.Contains(f.KnownFlags, flag) {
				t.Errorf("supported flag %s is not a known one: %+v", flag, f)
			}
		}
	} else if f.Actions != nil || f.SupportedFlags != nil {
		t.Errorf("a build without seccomp reports features: %+v", f)
	}
	// The kernel's own list: every kernel with seccomp filters has these.
	for _, a := range []string{"kill_thread", "errno", "allow"} {
		if !strings.Contains(strings.Join(v.Kernel.SeccompActions, " "), a) {
			t.Errorf("kernel seccomp actions %v lack %s", v.Kernel.SeccompActions, a)
		}
	}
	// The text says the same.
	_, text, _ := runCLI(t, "version")
	for _, want := range []string{"oci-sbx:       " + v.Version, "runtime-spec:  " + v.RuntimeSpec, "kernel:        " + v.Kernel.Release} {
		if !strings.Contains(text, want) {
			t.Errorf("version lacks %q:\n%s", want, text)
		}
	}
	code, _, stderr = runCLI(t, "version", "--format", "yaml")
	if code != 2 {
		t.Errorf("--format yaml: exit %d", code)
	}
	checkUsageError(t, stderr)
}

func TestSimulateJSON(t *testing.T) {
	prog := writeProgram(t, "vsock.bpf", vsockProgram())
	code, out, stderr := runCLI(t, "simulate", "--format", "json", prog, "socket", "AF_VSOCK", "SOCK_STREAM")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got simulateJSON
	decodeStrict(t, out, &got)
	want := simulateJSON{Arch: "x86_64", Syscall: "socket", Nr: 41, Args: [6]string{"0x28", "0x1", "0x0", "0x0", "0x0", "0x0"},
		Action: "errno(EACCES)", Ret: "0x0005000d", Steps: 8}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("simulate --format json (-want +got):\n%s", d)
	}
	// With --trace, the instructions the text prints.
	_, out, _ = runCLI(t, "simulate", "--format", "json", "--trace", prog, "socket", "AF_VSOCK")
	_, text, _ := runCLI(t, "simulate", "--trace", prog, "socket", "AF_VSOCK")
	decodeStrict(t, out, &got)
	if lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n"); strings.Join(got.Trace, "\n") != strings.Join(lines[:len(lines)-1], "\n") {
		t.Errorf("trace %q; the text has\n%s", got.Trace, text)
	}
}

func TestDiffJSON(t *testing.T) {
	a, allow, i386 := diffPrograms(t)

	code, out, _ := runCLI(t, "diff", "--format", "json", a, a)
	var got diffJSON
	decodeStrict(t, out, &got)
	if code != 0 || !got.Same || len(got.Syscalls) != 0 || len(got.Architectures) != 0 || !strings.Contains(out, `"syscalls": []`) {
		t.Errorf("same program: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "diff", "--format", "json", "--arch", "x86_64,x86", a, allow)
	got = diffJSON{}
	decodeStrict(t, out, &got)
	want := diffJSON{A: a, B: allow, Architectures: []diffArchJSON{},
		Syscalls: []diffCallJSON{{Arch: "x86_64", Syscall: "openat", Label: "openat", Nr: 257, Last: 257, A: "errno(EPERM)", B: "allow"}}}
	if d := cmp.Diff(want, got); code != 1 || d != "" {
		t.Errorf("exit %d (want 1), -want +got:\n%s", code, d)
	}
	code, out, _ = runCLI(t, "diff", "--format", "json", "--arch", "x86", allow, i386)
	got = diffJSON{}
	decodeStrict(t, out, &got)
	want = diffJSON{A: allow, B: i386, Architectures: []diffArchJSON{{Arch: "x86", A: "kill-thread", B: "allow"}}, Syscalls: []diffCallJSON{}}
	if d := cmp.Diff(want, got); code != 1 || d != "" {
		t.Errorf("uncovered architecture: exit %d (want 1), -want +got:\n%s", code, d)
	}
}

// A Docker profile with an archMap, which convert notes it narrows.
const archMapProfile = `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}, {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}], "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}`

// --quiet silences warnings and notes, wherever it is given; the output
// stays the same.
func TestQuiet(t *testing.T) {
	code, loud, stderr := runCLIInput(t, archMapProfile, "convert", "--from", "docker", "-")
	if code != 0 || !strings.Contains(stderr, "warning:") || !strings.Contains(stderr, "archMap") {
		t.Fatalf("the control: exit %d, no archMap warning:\n%s", code, stderr)
	}
	for _, args := range [][]string{
		{"--quiet", "convert", "--from", "docker", "-"},
		{"convert", "-q", "--from", "docker", "-"},
		{"convert", "--from", "docker", "--to", "kubernetes", "--quiet", "-"},
		{"convert", "--from", "docker", "--to", "rules", "--harden", "--quiet", "-"},
	} {
		code, out, stderr := runCLIInput(t, archMapProfile, args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
		if args[len(args)-2] == "docker" && out != loud {
			t.Errorf("%v: the output changed", args)
		}
	}
	// Commands that say what they did say nothing with --quiet.
	bundle, profile := newBundle(t, "", denyConnect)
	for _, args := range [][]string{
		{"-q", "patch", "--profile", profile, bundle},
		{"-q", "patch", "--dry-run", "--profile", demo, bundle}, // the late stage's note
		{"-q", "hook", "config", "--dir", t.TempDir()},
	} {
		if code, _, stderr := runCLI(t, args...); code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
	}
	// That no runc can start under the profile is said even so, alone.
	for _, to := range []string{"docker", "oci"} {
		code, _, stderr := runCLI(t, "convert", "--quiet", "--to", to, demo)
		if code != 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "runc cannot start a container under this profile") {
			t.Errorf("--quiet --to %s: exit %d, stderr:\n%s", to, code, stderr)
		}
	}
}

// The README's example, extends: docker-default, reads without a note on
// every run: the base's archMap does not decide the architectures.
func TestExtendsDockerDefaultQuiet(t *testing.T) {
	code, out, stderr := runCLIInput(t, "extends: docker-default\nrules:\n  - {action: errno(EPERM), syscalls: [ptrace]}\n", "convert", "-")
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !regexp.MustCompile(`"architectures": \[\s*"SCMP_ARCH_[A-Z0-9_]+"\s*\]`).MatchString(out) {
		t.Errorf("not the native architecture alone:\n%.300s", out)
	}
}

// Counts read as English: one thing, two things.
func TestPlurals(t *testing.T) {
	one := writeProgram(t, "allow.bpf", []bpf.Instruction{bpf.RetConstant{Val: filter.RetAllow}})
	_, out, _ := runCLI(t, "simulate", "--trace", one, "getpid")
	if !strings.HasSuffix(out, "allow after 1 instruction\n") {
		t.Errorf("simulate --trace:\n%s", out)
	}
	_, _, stderr := runCLI(t, "simulate", one)
	if !strings.Contains(stderr, "got 1 argument\n") {
		t.Errorf("simulate with one argument:\n%s", stderr)
	}
	shadowed := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"},{"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"}]}`
	_, _, stderr = runCLIInput(t, shadowed, "convert", "--to", "rules", "-")
	if !strings.Contains(stderr, ": 1 syscall has an unconditional rule and other rules") {
		t.Errorf("one shadowed syscall:\n%s", stderr)
	}
	_, out, _ = runCLIInput(t, "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [keyctl]}\n", "lint", "-")
	if !strings.Contains(out, "allows keyctl: the kernel keyring") || !strings.Contains(out, "Fix: leave it out of the allow rules unless the program needs it,") {
		t.Errorf("one dangerous syscall:\n%s", out)
	}
}

// docFields reads docs/json.md: for each command's section, the field
// names its tables document (the first column's names).
func docFields(t *testing.T) map[string]map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	var cur map[string]bool
	heading := regexp.MustCompile("^## `oci-sbx ([a-z]+) ")
	name := regexp.MustCompile("`([A-Za-z.]+)`")
	for _, line := range strings.Split(string(data), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			cur = map[string]bool{}
			out[m[1]] = cur
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			cur[m[1]] = true
		}
	}
	return out
}

// jsonKeys lists the keys of a JSON document, nested ones as parent.key
// (through arrays of objects, by the key alone).
func jsonKeys(v any, prefix string, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, val := range v {
			into[prefix+k] = true
			if _, ok := val.(map[string]any); ok {
				jsonKeys(val, prefix+k+".", into)
			} else {
				jsonKeys(val, "", into)
			}
		}
	case []any:
		for _, e := range v {
			jsonKeys(e, "", into)
		}
	}
}

// Every field of every JSON output is documented in docs/json.md, and
// every documented field is written (given input that has it).
func TestJSONDocumented(t *testing.T) {
	prog := writeProgram(t, "vsock.bpf", vsockProgram())
	allow := writeProgram(t, "allow.bpf", []bpf.Instruction{bpf.RetConstant{Val: filter.RetAllow}})
	docs := docFields(t)
	for cmd, args := range map[string][]string{
		"version":  {"version"},
		"lint":     {"lint", demo},
		"simulate": {"simulate", "--trace", prog, "socket", "AF_VSOCK"},
		"diff":     {"diff", "--arch", "x86_64,x86", prog, allow},
	} {
		t.Run(cmd, func(t *testing.T) {
			_, out, stderr := runCLI(t, append(args, "--format", "json")...)
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("%v: %s\n%s", err, stderr, out)
			}
			keys := map[string]bool{}
			jsonKeys(v, "", keys)
			doc := docs[cmd]
			if len(doc) == 0 {
				t.Fatalf("docs/json.md has no section for %s", cmd)
			}
			for k := range keys {
				// Documented itself, under a documented object, or as the
				// object of documented fields (kernel for kernel.release).
				documented := doc[k]
				for d := range doc {
					documented = documented || strings.HasPrefix(k, d+".") || strings.HasPrefix(d, k+".")
				}
				if !documented {
					t.Errorf("%s --format json writes %q, which docs/json.md does not document", cmd, k)
				}
			}
			for k := range doc {
				if !keys[k] {
					t.Errorf("docs/json.md documents %q for %s, which it does not write", k, cmd)
				}
			}
		})
	}
}

// The agent's JSON lines are documented field by field, as the reports are.
func TestAgentJSONDocumented(t *testing.T) {
	data, err := json.Marshal(hooks.Event{Container: "c", Pid: 1, Arch: "x86_64", Syscall: "connect",
		Args: make([]string, 6), Call: "connect(3, …)", Path: "/p", Addr: "127.0.0.1:1", Answer: "EPERM"})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	doc := docFields(t)["agent"]
	for k := range v {
		if !doc[k] {
			t.Errorf("the agent writes %q, which docs/json.md does not document", k)
		}
	}
	for k := range doc {
		if _, ok := v[k]; !ok {
			t.Errorf("docs/json.md documents %q, which the agent does not write", k)
		}
	}
}
