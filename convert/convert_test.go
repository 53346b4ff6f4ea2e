package convert

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// goldenInputs are the profiles every output format is checked against.
var goldenInputs = []struct {
	path string
	from Format
}{
	{"../testdata/demo.yaml", Rules},
	{"../testdata/demo.c", LibseccompC},
	{"testdata/inputs/docker-like.json", Docker},
	{"testdata/inputs/config.json", OCI},
	{"testdata/inputs/spo.yaml", SPO},
}

// fixedOptions make golden output independent of the host's kernel.
func fixedOptions() Options {
	return Options{Kernel: "6.1", Name: "golden"}
}

func readGoldenInput(t *testing.T, path string, from Format) *specs.LinuxSeccomp {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sniffed, err := Sniff(data)
	if err != nil || sniffed != from {
		t.Errorf("Sniff(%s) = %q, %v; want %q", path, sniffed, err, from)
	}
	s, err := Read(path, data, from, fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s.Flags == nil {
		t.Errorf("%s: flags are nil: runc (and oci-sbx exec) would add SECCOMP_FILTER_FLAG_SPEC_ALLOW", path)
	}
	return s
}

// TestGolden writes every input in every output format, compares with the
// golden files, checks the output is byte-identical on a second run, and
// reads each output back to the same profile.
func TestGolden(t *testing.T) {
	for _, in := range goldenInputs {
		for _, to := range OutputFormats {
			base := strings.TrimSuffix(filepath.Base(in.path), filepath.Ext(in.path))
			name := base + "." + string(in.from) + "." + string(to)
			t.Run(name, func(t *testing.T) {
				s := readGoldenInput(t, in.path, in.from)
				var out, again bytes.Buffer
				if err := Write(&out, s, to, fixedOptions()); err != nil {
					// A format that cannot carry the profile refuses it;
					// the refusal is part of the golden record.
					checkGolden(t, "matrix/"+name+".error", []byte(err.Error()+"\n"))
					return
				}
				if err := Write(&again, readGoldenInput(t, in.path, in.from), to, fixedOptions()); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), again.Bytes()) {
					t.Error("output differs between two runs")
				}
				checkGolden(t, "matrix/"+name, out.Bytes())

				readBack := map[Format]Format{OCI: OCI, Docker: Docker, Kubernetes: OCI, SPO: SPO, Rules: Rules}[to]
				back, err := Read(name, out.Bytes(), readBack, Options{})
				if err != nil {
					t.Fatalf("output does not read back: %v", err)
				}
				want := s
				if to == SPO {
					want = spoMasked(s)
				}
				if err := Equal(want, back); err != nil {
					t.Errorf("output reads back to a different profile: %v", err)
				}
				if to == OCI || to == Docker || to == Kubernetes {
					var spec specs.LinuxSeccomp
					dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
					dec.DisallowUnknownFields()
					if err := dec.Decode(&spec); err != nil {
						t.Fatalf("runtime-spec cannot decode the output: %v", err)
					}
					if !bytes.Contains(out.Bytes(), []byte(`"flags": [`)) {
						t.Error(`output lacks "flags": runc would add SECCOMP_FILTER_FLAG_SPEC_ALLOW`)
					}
					if err := Equal(s, &spec); err != nil {
						t.Errorf("runtime-spec reads a different profile: %v", err)
					}
				}
			})
		}
	}
}

func TestRoundTrips(t *testing.T) {
	for _, in := range goldenInputs {
		t.Run(filepath.Base(in.path), func(t *testing.T) {
			s := readGoldenInput(t, in.path, in.from)
			for _, via := range [][]Format{{Docker, OCI}, {Rules, OCI}, {SPO, Rules, OCI}} {
				cur := s
				refused := false
				for _, f := range via {
					var buf bytes.Buffer
					if err := Write(&buf, cur, f, fixedOptions()); err != nil {
						refused = true // recorded by TestGolden
						break
					}
					var err error
					if cur, err = Read("via", buf.Bytes(), f, Options{}); err != nil {
						t.Fatalf("via %v: %v", via, err)
					}
				}
				want := s
				if slices.Contains(via, SPO) {
					want = spoMasked(s)
				}
				if err := Equal(want, cur); err != nil && !refused {
					t.Errorf("via %v: %v", via, err)
				}
			}
		})
	}
}

// spoMasked is what a SeccompProfile says for s: SPO's schema types
// argument values as int64, so arg == V with V a sign-extended negative
// 32-bit value (AT_FDCWD) becomes arg & 0xffffffff == V's low 32 bits.
func spoMasked(s *specs.LinuxSeccomp) *specs.LinuxSeccomp {
	out := *s
	out.Syscalls = nil
	for _, r := range s.Syscalls {
		r.Args = slices.Clone(r.Args)
		for i, a := range r.Args {
			if a.Op == specs.OpEqualTo && a.Value>>31 == 1<<33-1 {
				r.Args[i] = specs.LinuxSeccompArg{Index: a.Index, Op: specs.OpMaskedEqual, Value: 1<<32 - 1, ValueTwo: a.Value & (1<<32 - 1)}
			}
		}
		out.Syscalls = append(out.Syscalls, r)
	}
	return &out
}

func TestUint64Survives(t *testing.T) {
	s := readGoldenInput(t, "testdata/inputs/config.json", OCI)
	// Not SPO: its schema types values as int64, so the writer masks
	// such a compare to 32 bits or refuses it (see package spo).
	for _, f := range []Format{OCI, Docker, Rules} {
		var buf bytes.Buffer
		if err := Write(&buf, s, f, fixedOptions()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(buf.Bytes(), []byte("18446744073709551516")) && !bytes.Contains(buf.Bytes(), []byte("0xffffffffffffff9c")) {
			t.Errorf("%s output lost 18446744073709551516:\n%s", f, buf.Bytes())
		}
		back, err := Read("back", buf.Bytes(), f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, sc := range back.Syscalls {
			for _, a := range sc.Args {
				found = found || a.Value == 18446744073709551516
			}
		}
		if !found {
			t.Errorf("%s: 18446744073709551516 did not survive", f)
		}
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name, in string
		want     Format
	}{
		{"rules", "default: allow\n", Rules},
		{"bare seccomp", `{"defaultAction":"SCMP_ACT_ALLOW"}`, OCI},
		{"config.json", `{"ociVersion":"1.0.2","linux":{}}`, OCI},
		{"docker archMap", `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[]}`, Docker},
		{"podman errno", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ERRNO","errno":"ENOSYS"}]}`, Docker},
		{"c", "#include <seccomp.h>\nint main(){seccomp_init(SCMP_ACT_ALLOW);}", LibseccompC},
		{"spo", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n", SPO},
		// Other Kubernetes resources go to the SPO reader, which says
		// what they are and that they are no profile.
		{"spo recording", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: ProfileRecording\n", SPO},
		{"a pod", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n", SPO},
		{"rules with a kind of comment", "# apiVersion: v1\nkind: x\ndefault: allow\n", Rules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Sniff([]byte(tt.in)); err != nil || got != tt.want {
				t.Errorf("Sniff = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := Sniff([]byte("  \n")); err == nil {
		t.Error("empty input sniffed without error")
	}
	// What is not text is not read as YAML: a YAML error at 1:1 would
	// not tell a user they gave the wrong file.
	for _, tc := range []struct{ name, in, want string }{
		{"an executable", "\x7fELF\x02\x01\x01\x00", "an executable, not a profile: oci-sbx record -- PROGRAM"},
		{"a raw program", "\x20\x00\x00\x00\x04\x00\x00\x00", "binary data, not a profile"},
		{"not UTF-8", "default: allow\n\xff\xfe", "binary data, not a profile"},
	} {
		if f, err := Sniff([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Sniff = %q, %v; want an error saying %q", tc.name, f, err, tc.want)
		}
	}
}

// A format given by hand that the content contradicts fails in one line:
// the first error, how many followed, and what the content looks like.
func TestReadFromMismatch(t *testing.T) {
	docker := `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "x", "includes": {}}]}`
	for _, tc := range []struct {
		name, in string
		from     Format
		want     string
	}{
		{"rules as docker", "# rules\ndefault: allow\n", Docker,
			"x:1:1: malformed JSON: invalid character '#' looking for beginning of value (read as docker, as --from says; the content looks like rules)"},
		{"docker as oci", docker, OCI,
			`x:1:37: unknown key "archMap" in the profile (want one of defaultAction, defaultErrnoRet, architectures, flags, listenerPath, listenerMetadata, syscalls) (and 2 more errors; read as oci, as --from says; the content looks like docker)`},
	} {
		_, err := Read("x", []byte(tc.in), tc.from, Options{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}
	// The format guessed, or given and right, reads as before.
	if _, err := Read("x", []byte(docker), Docker, Options{}); err != nil {
		t.Errorf("--from docker on a Docker profile: %v", err)
	}
	if _, err := Read("x", []byte("default: allow\nrules: 3\n"), Rules, Options{}); err == nil || strings.Contains(err.Error(), "--from") {
		t.Errorf("a broken rules file read as rules: %v, want the error alone", err)
	}
}

func TestOCIErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown key", "{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\t\"syscall\": []\n}", `x.json:3:2: unknown key "syscall" in the profile: did you mean "syscalls"?`},
		{"case variant", `{"DefaultAction": "SCMP_ACT_ALLOW"}`, `x.json:1:2: unknown key "DefaultAction" in the profile: did you mean "defaultAction"?`},
		{"duplicate", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_KILL"}`, `duplicate key "defaultAction"`},
		{"syntax", "{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",,\n}", "x.json:2:36: malformed JSON"},
		{"trailing data", `{"defaultAction": "SCMP_ACT_ALLOW"} {}`, "x.json:1:37: unexpected data after the profile"},
		{"unknown syscall", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["opnat"], "action": "SCMP_ACT_ERRNO"}]}`, `x.json:1:61: unknown syscall "opnat" (runc would silently skip it): did you mean "openat"?`},
		{"unknown action", `{"defaultAction": "SCMP_ACT_DENY"}`, `unknown seccomp action "SCMP_ACT_DENY"`},
		{"errno zero", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}`, "errno(0)"},
		{"arg index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "argument index 6 is out of range"},
		{"bad op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "EQ"}]}]}`, `unknown comparison operator "EQ"`},
		{"wrong type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "openat", "action": "SCMP_ACT_ERRNO"}]}`, "x.json:1:60: syscalls[0].names must be a list, not a string"},
		{"config without seccomp", `{"ociVersion": "1.0.2", "linux": {}}`, "config.json has no linux.seccomp"},
		{"unknown arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_46"]}`, "SCMP_ARCH_X86_46"},
		// runc's and Docker's decoders refuse the whole profile for an
		// errnoRet written as a string; only SPO v1alpha1 writes one.
		{"errnoRet as a number in a string", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": "1"}]}`, "x.json:1:112: errnoRet must be a non-negative integer, not a string"},
		{"errnoRet as a name", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": "EACCES"}]}`, "x.json:1:112: errnoRet must be a non-negative integer, not a string"},
		{"a value above 32 bits for x86", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 4294967296, "op": "SCMP_CMP_GT"}]}]}`, `x.json:1:185: "arg1 > 0x100000000" on x86: libseccomp compares x86 arguments as 32 bits`},
		// On x86 libseccomp moves both onto socketcall with arg0 == 1 and
		// nothing else: EEXIST, so runc cannot start the container.
		{"two actions for socket that socketcall cannot tell apart", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}, {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}]}`, `x.json:1:246: socket: on x86, libseccomp moves the rules for socket onto socketcall, where arg0 is the call's number (1) and the conditions on arg0 are lost: this errno(EACCES) and the allow at x.json:1:`},
		// socketcall's own unconditional rule after them does not help:
		// the second rule for socket already fails.
		{"two actions for socket before socketcall's own rule", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}, {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}, {"names": ["socketcall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`, "which libseccomp refuses (EEXIST)"},
		// runc reads a missing index as 0.
		{"argument index missing", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"value": 2, "op": "SCMP_CMP_EQ"}]}]}`, `x.json:1:109: the argument index ("index") is missing; runc would compare arg0`},
		{"docker argument index missing", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"value": 2, "op": "SCMP_CMP_EQ"}]}], "archMap": []}`, `x.json:1:109: the argument index ("index") is missing`},
		{"docker errnoRet as a string", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": "EACCES"}], "archMap": []}`, "x.json:1:112: errnoRet must be a non-negative integer, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read("x.json", []byte(tt.in), "", Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestSocketcallDecides: socketcall denied outright before the rules
// for socket (as convert --harden writes for the network on x86) keeps
// libseccomp from moving them onto it, so two actions for socket load
// there (measured with runc's loader: e2e TestBypass/i386); the hardened
// profile itself reads back.
func TestSocketcallDecides(t *testing.T) {
	in := `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["socketcall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}, {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 2}]}, {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 10}]}]}`
	if _, err := Read("x.json", []byte(in), "", Options{}); err != nil {
		t.Errorf("socketcall denied first: %v", err)
	}
	src := "extends: docker-default\narchitectures: [x86_64, x86]\nrules:\n  - {action: errno(EACCES), syscalls: [connect]}\n"
	s, err := Read("no-connect.yaml", []byte(src), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := rules.Harden(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, h, OCI, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Read("hardened.json", out.Bytes(), "", Options{}); err != nil {
		t.Errorf("the hardened profile does not read back: %v", err)
	}
}

func TestExtendsFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "base.yaml"), []byte("default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [read, write, ptrace]}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte("extends: loop.yaml\n"), 0o644)
	top := filepath.Join(dir, "top.yaml")
	os.WriteFile(top, []byte("extends: base.yaml\nrules:\n  - {action: kill, syscalls: [ptrace]}\n"), 0o644)
	data, _ := os.ReadFile(top)
	s, err := Read(top, data, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := func(v uint) *uint { return &v }
	want := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write"}, Action: specs.ActAllow},
		{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
	}}
	if err := Equal(want, s); err != nil {
		t.Error(err)
	}
	loop := filepath.Join(dir, "loop.yaml")
	data, _ = os.ReadFile(loop)
	if _, err := Read(loop, data, "", Options{}); err == nil || !strings.Contains(err.Error(), "levels of extends") {
		t.Errorf("extends cycle: %v", err)
	}
}

// TestRuncDropsDefaultRulesFirst: runc drops a rule equal to the default
// before libseccomp keeps a syscall's first unconditional rule, so the
// conditional errno below still applies under runc.
func TestRuncDropsDefaultRulesFirst(t *testing.T) {
	in := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["personality"],"action":"SCMP_ACT_ALLOW"},
		{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]}`
	got, err := Read("x.json", []byte(in), OCI, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := uint(1)
	want := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: &u, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
	}}
	if err := Equal(want, got); err != nil {
		t.Error(err)
	}
	if len(got.Syscalls) != 1 {
		t.Errorf("got %d rules, want the errno rule only", len(got.Syscalls))
	}
}

// checkGolden compares got with testdata/golden/NAME (see -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", "golden", name), got)
}
