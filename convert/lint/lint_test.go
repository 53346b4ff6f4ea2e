package lint

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// opts make findings independent of the host's kernel (Docker's minKernel).
var opts = convert.Options{Kernel: "6.1"}

// source is one profile of the corpus.
type source struct {
	name string
	data []byte
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// corpus is the demo, Docker's and Podman's defaults, the demo hardened,
// and testdata/corpus: hand-made profiles, each showing a finding class.
func corpus(t *testing.T) []source {
	t.Helper()
	docker, err := json.MarshalIndent(seccomp.DefaultProfile(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	srcs := []source{
		{"demo.yaml", readFile(t, "../../testdata/demo.yaml")},
		{"demo.c", readFile(t, "../../testdata/demo.c")},
		{"docker-default.json", docker},
		{"podman-default.json", readFile(t, "../docker/builtin/podman-default.json")},
		{"demo-hardened.json", hardenedDemo(t)},
	}
	paths, _ := filepath.Glob("testdata/corpus/*")
	for _, p := range paths {
		srcs = append(srcs, source{filepath.Base(p), readFile(t, p)})
	}
	return srcs
}

func hardenedDemo(t *testing.T) []byte {
	t.Helper()
	s, err := convert.Read("demo.yaml", readFile(t, "../../testdata/demo.yaml"), "", opts)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := rules.Harden(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := convert.Write(&b, h, convert.OCI, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func lintSource(t *testing.T, src source) *Report {
	t.Helper()
	r, err := Source(src.name, src.data, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden lints the corpus in both output formats, checks the output
// is the same on a second run, and that the JSON reads back.
func TestGolden(t *testing.T) {
	for _, src := range corpus(t) {
		t.Run(src.name, func(t *testing.T) {
			r := lintSource(t, src)
			var text, js, again bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join("testdata", "golden", src.name+".txt"), text.Bytes())
			testutil.Golden(t, filepath.Join("testdata", "golden", src.name+".json"), js.Bytes())
			if err := lintSource(t, src).WriteJSON(&again); err != nil || !bytes.Equal(again.Bytes(), js.Bytes()) {
				t.Errorf("a second run differs: %v", err)
			}
			var back jsonReport
			dec := json.NewDecoder(bytes.NewReader(js.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&back); err != nil {
				t.Fatal(err)
			}
			if len(back.Findings) != len(r.Findings) || back.Errors != r.Count(Error) {
				t.Errorf("JSON holds %d findings, %d errors; the report %d, %d", len(back.Findings), back.Errors, len(r.Findings), r.Count(Error))
			}
			if lines := strings.Count(text.String(), "\n"); lines != len(r.Findings)+1 {
				t.Errorf("text has %d lines for %d findings and a summary", lines, len(r.Findings))
			}
		})
	}
}

// ids are the finding ids lint reports. Each but runc-needs-nnp (which
// depends on the measured runc table) and loader-differs (which takes
// libseccomp: the CLI's tests) shows up in the corpus.
var ids = []string{
	"arch-untranslated", "arg-width", "bad-arch-allow", "bypass-file-open", "bypass-io-uring", "bypass-network",
	"bypass-process-inspect", "clone3-eperm", "conflicting-rules", "dangerous-allowed", "deny-vanishes", "network-socket-family", "network-stays-open", "type-flags", "errno-range", "mask-value", "value-two-ignored", "arg-not-taken", "loader-hangs", "arch-list", "multiplexed-args", "multiplexed-conflict", "default-allow",
	"default-rule", "dynamic-binary", "eperm-default", "errno-ignored", "errno-zero", "flag-ignored", "flag-unloadable", "flags-missing", "flags-old-runc",
	"invalid-profile", "kill-thread", "network-accept", "not-cached", "notify-continue", "notify-default", "notify-write",
	"or-conditions", "pointer-arg", "runc-cannot-start", "seccomp-cannot-path", "seccomp-cannot-proc",
	"trace-as-deny", "unknown-syscall", "unmasked-int-arg", "unresolvable-syscall", "x32-listed",
}

func TestCorpusCoversEveryID(t *testing.T) {
	seen := map[string]bool{}
	for _, src := range corpus(t) {
		for _, f := range lintSource(t, src).Findings {
			seen[f.ID] = true
			if !slices.Contains(ids, f.ID) && f.ID != "runc-needs-nnp" && f.ID != "loader-differs" {
				t.Errorf("%s: id %q is not in the list", src.name, f.ID)
			}
			if f.Reason == "" || f.Fix == "" {
				t.Errorf("%s: %s has no reason or fix", src.name, f.ID)
			}
		}
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("no profile in the corpus shows %s", id)
		}
	}
}

func findings(r *Report, id string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

// isBypass: the error-level findings that say something gets through.
func isBypass(f Finding) bool {
	return f.Severity == Error && (strings.HasPrefix(f.ID, "bypass-") || f.ID == "arch-untranslated" ||
		f.ID == "trace-as-deny" || f.ID == "unmasked-int-arg")
}

// TestHardenClosesBypasses: the demo has bypass errors; hardened, it has
// none, and neither has any profile of the corpus that reads.
func TestHardenClosesBypasses(t *testing.T) {
	demo := lintSource(t, source{"demo.yaml", readFile(t, "../../testdata/demo.yaml")})
	for _, id := range []string{"bypass-file-open", "bypass-network", "bypass-io-uring"} {
		if len(findings(demo, id)) != 1 {
			t.Errorf("the demo has no %s finding", id)
		}
	}
	for _, src := range corpus(t) {
		s, err := convert.Read(src.name, src.data, "", opts)
		if err != nil {
			continue
		}
		h, _, err := rules.Harden(s, nil)
		if err != nil {
			t.Errorf("%s: %v", src.name, err)
			continue
		}
		for _, f := range Profile(src.name, h).Findings {
			if isBypass(f) && !(f.ID == "unmasked-int-arg" && !strings.Contains(f.Reason, "==")) {
				t.Errorf("%s hardened: %s: %s", src.name, f.ID, f.Reason)
			}
		}
	}
}

// TestFindings checks findings that golden files would tie to the
// measured runc table, by id and severity only.
func TestFindings(t *testing.T) {
	tests := []struct {
		name, src string
		id        string
		severity  Severity
		syscalls  []string
	}{
		{"or-conditions in an allow rule let more through",
			`{"defaultAction": "SCMP_ACT_ERRNO", "flags": [], "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW",
			  "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 0, "value": 10, "op": "SCMP_CMP_LE"}]}]}`,
			"or-conditions", Error, []string{"socket"}},
		{"an allowlist that leaves out openat", "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [read, write, close, execve]}\n",
			"runc-cannot-start", Warning, nil},
		{"unmasked != in an allow rule", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg0 != AF_NETLINK\"]}\n",
			"unmasked-int-arg", Error, []string{"socket"}},
		{"a denial that never applies: > -1 on an int", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 > -1\"]}\n",
			"unmasked-int-arg", Error, []string{"socket"}},
		{"a denial that never applies: >= 0x100000000 on an int", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 >= 0x100000000\"]}\n",
			"unmasked-int-arg", Error, []string{"socket"}},
		{"an allow whose condition always holds: != -1 on an int", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg0 != -1\"]}\n",
			"unmasked-int-arg", Error, []string{"socket"}},
		{"> on a 64-bit argument is fine", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [mmap], when: [\"arg1 > 0x100000000\"]}\n",
			"unmasked-int-arg", -1, nil},
		{"a masked compare is fine", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET\"]}\n",
			"unmasked-int-arg", -1, nil},
		{"an allowed == on an int is fine", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg0 == AF_UNIX\"]}\n",
			"unmasked-int-arg", -1, nil},
		{"sendto denied with a destination is enough",
			"default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [connect, sendmsg, sendmmsg]}\n  - {action: errno(EPERM), syscalls: [sendto], when: [\"arg4 != 0\"]}\n",
			"bypass-network", -1, nil},
		{"a NULL test on a pointer is fine", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [sendto], when: [\"arg4 != 0\"]}\n",
			"pointer-arg", -1, nil},
		{"ENOSYS for clone3 is right", "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [clone]}\n",
			"clone3-eperm", -1, nil},
		{"trace in the default", `{"defaultAction": "SCMP_ACT_TRACE", "flags": [], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`,
			"trace-as-deny", Error, nil},
		{"an argument check runs the filter on every call", "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [read, write]}\n  - {action: allow, syscalls: [socket], when: [\"arg0 == AF_UNIX\"]}\n",
			"not-cached", Info, []string{"socket"}},
		{"a denial by condition too", "default: allow\nrules:\n  - {action: errno(EPERM), syscalls: [sendto], when: [\"arg4 != 0\"]}\n",
			"not-cached", Info, []string{"sendto"}},
		{"unconditional allows and denials are cached or never allowed", "default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [read, write]}\n  - {action: errno(EPERM), syscalls: [socket], when: [\"arg0 == AF_INET\"]}\n",
			"not-cached", -1, nil},
		{"log is never cached", "default: errno(ENOSYS)\nrules:\n  - {action: log, syscalls: [read]}\n",
			"not-cached", Info, []string{"read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lintSource(t, source{"t", []byte(tt.src)})
			fs := findings(r, tt.id)
			if tt.severity < 0 {
				if len(fs) > 0 {
					t.Errorf("unexpected %s: %s", tt.id, fs[0].Reason)
				}
				return
			}
			if len(fs) != 1 || fs[0].Severity != tt.severity || tt.syscalls != nil && !slices.Equal(fs[0].Syscalls, tt.syscalls) {
				t.Errorf("%s findings: %+v", tt.id, fs)
			}
		})
	}
}

// TestPositions: findings about the profile as loaded take the position
// where the document names the syscall.
func TestPositions(t *testing.T) {
	r := lintSource(t, source{"demo.yaml", readFile(t, "../../testdata/demo.yaml")})
	f := findings(r, "bypass-file-open")
	if len(f) != 1 || f[0].Pos != (rules.Pos{Line: 8, Col: 16}) {
		t.Errorf("bypass-file-open at %+v, want demo.yaml:8:16 (openat)", f)
	}
	js := []byte("{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\t\"flags\": [],\n\t\"syscalls\": [{\"names\": [\"connect\"], \"action\": \"SCMP_ACT_KILL\"}]\n}\n")
	r = lintSource(t, source{"k.json", js})
	if f := findings(r, "kill-thread"); len(f) != 1 || f[0].Pos != (rules.Pos{Line: 4, Col: 48}) {
		t.Errorf("kill-thread at %+v, want k.json:4:48", f)
	}
	if f := findings(r, "bypass-network"); len(f) != 1 || f[0].Pos != (rules.Pos{Line: 4, Col: 26}) {
		t.Errorf("bypass-network at %+v, want k.json:4:26", f)
	}
}

func TestNotAProfile(t *testing.T) {
	if _, err := Source("empty", []byte("  \n"), "", opts); err == nil {
		t.Error("an empty document is linted")
	}
	r, err := Source("list.json", []byte("[1, 2]"), "", opts)
	if err != nil || !r.HasErrors() {
		t.Errorf("a JSON list: %v, %+v", err, r)
	}
}

func TestProfile(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"openat"}, Action: specs.ActKillThread}}}
	r := Profile("p", s)
	if len(findings(r, "kill-thread")) != 1 || len(findings(r, "bypass-file-open")) != 1 || !r.HasErrors() {
		t.Errorf("findings: %+v", r.Findings)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil || !strings.HasSuffix(b.String(), "p: 2 errors, 5 warnings, 2 info\n") {
		t.Errorf("text: %v\n%s", err, b.String())
	}
}

// FuzzSource: whatever the document, lint reports or refuses, never
// panics, and its text has a line per finding and a summary.
func FuzzSource(f *testing.F) {
	paths, _ := filepath.Glob("testdata/corpus/*")
	for _, p := range append(paths, "../../testdata/demo.yaml") {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Source("f", data, "", convert.Options{Kernel: "6.1", Arches: []string{"x86_64"}})
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil || strings.Count(b.String(), "\n") != len(r.Findings)+1 {
			t.Errorf("text: %v\n%s", err, b.String())
		}
	})
}

// Lint reads the document convert reads, through the same parsers: what
// the C preprocessor compiles out is out for lint too.
func TestLintReadsWhatConvertReads(t *testing.T) {
	for _, tt := range []struct {
		file string
		want bool
	}{{"badarch.c", true}, {"badarch-if0.c", false}, {"badarch-ifexpr.c", false}} {
		data := readFile(t, filepath.Join("testdata", "corpus", tt.file))
		r, err := Source(tt.file, data, "", convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.ID == "bad-arch-allow" })
		if got != tt.want {
			t.Errorf("%s: bad-arch-allow found %v, want %v", tt.file, got, tt.want)
		}
		_, convErr := convert.Read(tt.file, data, "", convert.Options{})
		if (convErr != nil) != tt.want {
			t.Errorf("%s: convert refuses it: %v, while lint's bad-arch-allow is %v", tt.file, convErr, tt.want)
		}
	}
}

// A format given by hand that the content contradicts is one finding that
// says so, not one per line of the file.
func TestSourceFromMismatch(t *testing.T) {
	docker := `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "x", "includes": {}}]}`
	r, err := Source("x.json", []byte(docker), convert.OCI, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(r.Findings), r.Findings)
	}
	f := r.Findings[0]
	if f.ID != "invalid-profile" || f.Pos.Line != 1 || f.Pos.Col != 37 || strings.HasPrefix(f.Reason, "x.json") ||
		!strings.HasSuffix(f.Reason, "(and 2 more errors; read as oci, as --from says; the content looks like docker)") ||
		f.Fix != "leave --from out, or give --from docker" {
		t.Errorf("finding: %+v", f)
	}
}

// The default-allow finding counts what it does not list in English: one
// more dangerous one, two more dangerous ones.
func TestDefaultAllowCount(t *testing.T) {
	var all []string
	for _, dg := range dangerousSets {
		for _, n := range dg.names {
			if syscalls.HasSyscall("x86_64", n) && !slices.Contains(all, n) {
				all = append(all, n)
			}
		}
	}
	sort.Strings(all)
	for _, tc := range []struct {
		open int
		want string
	}{{9, " and 1 more dangerous one;"}, {10, " and 2 more dangerous ones;"}} {
		if len(all) < tc.open {
			t.Fatalf("only %d dangerous syscalls", len(all))
		}
		src := "default: allow\narchitectures: [x86_64]\nrules:\n  - action: errno(EPERM)\n    syscalls: [" + strings.Join(all[tc.open:], ", ") + "]\n"
		r, err := Source("x.yaml", []byte(src), convert.Rules, convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range r.Findings {
			if f.ID == "default-allow" {
				found = true
				if !strings.Contains(f.Reason, tc.want) {
					t.Errorf("%d open: %s\nwant %q", tc.open, f.Reason, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("%d open: no default-allow finding", tc.open)
		}
	}
}

// A SeccompProfile cannot carry "flags": lint does not tell a user to add
// it there, as it does for the formats that can.
func TestSPONoFlagsAdvice(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", "spo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []convert.Format{"", convert.SPO} {
		r, err := Source("spo.yaml", data, from, convert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for _, f := range r.Findings {
			if f.ID == "flags-missing" {
				seen = true
			}
			if strings.Contains(f.Fix, `"flags"`) || strings.Contains(f.Fix, "flags: []") {
				t.Errorf("%s advises flags on a SeccompProfile: %s", f.ID, f.Fix)
			}
		}
		if !seen {
			t.Error("no flags-missing finding: the SPEC_ALLOW consequence goes unsaid")
		}
	}
	// The same profile as OCI JSON gets the advice.
	var buf bytes.Buffer
	s, err := convert.Read("spo.yaml", data, "", convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Flags = nil
	if err := convert.Write(&buf, s, convert.OCI, convert.Options{}); err != nil {
		t.Fatal(err)
	}
	js := strings.Replace(buf.String(), "\t\"flags\": [],\n", "", 1)
	r, err := Source("p.json", []byte(js), convert.OCI, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	advised := false
	for _, f := range r.Findings {
		advised = advised || f.ID == "flags-missing" && strings.Contains(f.Fix, `"flags": []`)
	}
	if !advised {
		t.Errorf("OCI JSON without flags is not told to add them:\n%+v", r.Findings)
	}
}
