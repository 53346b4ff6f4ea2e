package docker

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/oci-sbx/oci-sbx/convert/format/formattest"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// mobyDefaultJSON is Docker's default profile as moby's generator writes
// default.json.
func mobyDefaultJSON(t *testing.T) []byte {
	t.Helper()
	data, err := json.MarshalIndent(seccomp.DefaultProfile(), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkDecodes checks that JSON output decodes strictly into the
// runtime-spec and moby types, and means what want means, also once moby
// has resolved it.
func checkDecodes(t *testing.T, out []byte, want *specs.LinuxSeccomp) {
	t.Helper()
	var oci specs.LinuxSeccomp
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&oci); err != nil {
		t.Fatalf("runtime-spec cannot decode the output: %v", err)
	}
	if err := format.Equal(want, &oci); err != nil {
		t.Errorf("runtime-spec reads another profile: %v", err)
	}
	var moby seccomp.Seccomp
	dec = json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&moby); err != nil {
		t.Fatalf("moby cannot decode the output: %v", err)
	}
	loaded, err := seccomp.LoadProfile(string(out), &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}})
	if err != nil {
		t.Fatalf("moby cannot load the output: %v", err)
	}
	if err := format.Equal(want, loaded); err != nil {
		t.Errorf("moby loads another profile: %v", err)
	}
}

func TestDockerDefaultMatchesMoby(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("moby resolves arch filters for the native architecture; this test pins x86_64")
	}
	data := mobyDefaultJSON(t)
	withAdmin := append(slices.Clone(DefaultCaps), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")
	tests := []struct {
		name    string
		optCaps []string // what the user passes
		bound   []string // the container's bounding set, for moby
	}{
		{"docker run defaults", nil, DefaultCaps},
		{"defaults plus SYS_ADMIN and SYS_PTRACE", append(slices.Clone(DefaultCaps), "sys_admin", "SYS_PTRACE"), withAdmin},
	}
	var results []*specs.LinuxSeccomp
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w formattest.Warnings
			got, err := Read("default.json", data, w.Options(format.Options{Arches: []string{"x86_64", "x86", "x32"}, Caps: tt.optCaps}))
			if err != nil {
				t.Fatal(err)
			}
			want, err := seccomp.LoadProfile(string(data), &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: tt.bound}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := format.Equal(want, got); err != nil {
				t.Errorf("readDocker differs from moby's LoadProfile: %v", err)
			}
			if len(w) != 0 {
				t.Errorf("unexpected warnings: %q", w)
			}
			builtin, err := Builtin("docker-default", format.Options{Arches: []string{"x86_64", "x86", "x32"}, Caps: tt.optCaps})
			if err != nil {
				t.Fatal(err)
			}
			if err := format.Equal(got, builtin); err != nil {
				t.Errorf("Builtin(docker-default) differs from reading default.json: %v", err)
			}
			if *got.DefaultErrnoRet != 1 {
				t.Errorf("defaultErrnoRet = %d, want 1 (explicit)", *got.DefaultErrnoRet)
			}
			for _, sc := range got.Syscalls {
				if sc.Action == specs.ActErrno && sc.ErrnoRet == nil {
					t.Errorf("rule for %v: ERRNO without explicit errnoRet", sc.Names)
				}
			}
			results = append(results, got)
		})
	}
	if len(results) == 2 {
		err := format.Equal(results[0], results[1])
		var diff *format.DiffError
		if !errors.As(err, &diff) {
			t.Fatalf("the two capability sets give the same profile (%v)", err)
		}
		all := strings.Join(diff.Diffs, "\n")
		for _, want := range []string{"clone3: errno(ENOSYS) vs allow", "mount: errno(EPERM) vs allow", "kcmp: errno(EPERM) vs allow"} {
			if !strings.Contains(all, want) {
				t.Errorf("differences lack %q:\n%s", want, all)
			}
		}
	}
}

func TestDockerPodmanSystemProfile(t *testing.T) {
	const path = "/usr/share/containers/seccomp.json"
	data, err := os.ReadFile(path)
	if err != nil {
		testutil.Missing(t, "%s is absent (it comes with Debian's podman, or golang-github-containers-common): %v", path, err)
	}
	// No capabilities: the rules that deny what a missing capability
	// guards (with EPERM and EINVAL) apply.
	opt := format.Options{Arches: []string{"x86_64", "x86", "x32"}, Caps: []string{}, Kernel: "6.1"}
	got, err := Read(path, data, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got.DefaultAction != specs.ActErrno || got.DefaultErrnoRet == nil || *got.DefaultErrnoRet != 38 {
		t.Fatalf("default = %s %v, want SCMP_ACT_ERRNO with errnoRet 38 (ENOSYS)", got.DefaultAction, got.DefaultErrnoRet)
	}

	// The file gives every errno twice, as a number and as a name. Drop
	// the numbers: the names alone must give the same profile.
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "defaultErrnoRet")
	named := 0
	for _, r := range raw["syscalls"].([]any) {
		rule := r.(map[string]any)
		if _, ok := rule["errno"]; ok {
			delete(rule, "errnoRet")
			named++
		}
	}
	if named == 0 {
		t.Fatal("the file names no errno; the test proves nothing")
	}
	namesOnly, _ := json.Marshal(raw)
	fromNames, err := Read("names-only.json", namesOnly, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := format.Equal(got, fromNames); err != nil {
		t.Errorf("errno names are not honoured: %v", err)
	}
	if *fromNames.DefaultErrnoRet != 38 {
		t.Errorf("defaultErrno ENOSYS gave %d", *fromNames.DefaultErrnoRet)
	}
	// And each named errno reaches the rule it is written on.
	seen := map[uint]bool{}
	for _, sc := range fromNames.Syscalls {
		if sc.Action == specs.ActErrno {
			seen[*sc.ErrnoRet] = true
		}
	}
	if !seen[1] || !seen[22] {
		t.Errorf("errnos of ERRNO rules = %v, want EPERM (1) and EINVAL (22) among them", seen)
	}
}

func TestDockerErrors(t *testing.T) {
	rule := func(r string) string {
		return `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [` + r + `]}`
	}
	tests := []struct {
		name string
		in   string
		opt  format.Options
		want string
	}{
		{"unknown key", "{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\t\"syscall\": []\n}", format.Options{},
			`x.json:3:2: unknown key "syscall" in the profile: did you mean "syscalls"?`},
		{"unknown rule key", rule(`{"nmes": ["read"], "action": "SCMP_ACT_ERRNO"}`), format.Options{},
			`x.json:1:51: unknown key "nmes" in a syscall rule: did you mean "names"?`},
		{"case variant", `{"DefaultAction": "SCMP_ACT_ALLOW"}`, format.Options{},
			`unknown key "DefaultAction" in the profile: did you mean "defaultAction"?`},
		{"syntax", "{\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\",,\n}", format.Options{},
			"x.json:2:36: malformed JSON: invalid character ','"},
		{"truncated", "{\n\t\"defaultAction\": ", format.Options{}, "x.json:2:19: malformed JSON: unexpected end of input"},
		{"empty", "", format.Options{}, "x.json:1:1: the file is empty"},
		{"trailing data", `{"defaultAction": "SCMP_ACT_ALLOW"} {}`, format.Options{}, "x.json:1:37: unexpected data after the profile"},
		{"duplicate key", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_KILL"}`, format.Options{},
			`x.json:1:37: duplicate key "defaultAction" (first given on line 1)`},
		{"wrong type", rule(`{"names": "read", "action": "SCMP_ACT_ERRNO"}`), format.Options{},
			"x.json:1:60: syscalls[0].names must be a list, not a string"},
		{"negative", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": -1}`), format.Options{},
			"errnoRet must not be negative (-1)"},
		{"too large", rule(`{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}`), format.Options{},
			"value 18446744073709551616 is too large"},
		{"missing default", `{"syscalls": []}`, format.Options{}, "x.json:1:1: defaultAction is missing"},
		{"architectures and archMap", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`, format.Options{},
			`x.json:1:87: both "architectures" and "archMap" are given`},
		{"name and names", rule(`{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}`), format.Options{},
			`x.json:1:59: both "name" and "names" are given`},
		{"no names", rule(`{"names": [], "action": "SCMP_ACT_ERRNO"}`), format.Options{}, "the rule names no syscalls"},
		{"unknown action", `{"defaultAction": "SCMP_ACT_DENY"}`, format.Options{},
			`x.json:1:19: unknown seccomp action "SCMP_ACT_DENY"`},
		{"misspelt action", rule(`{"names": ["read"], "action": "SCMP_ACT_ALOW"}`), format.Options{},
			`unknown seccomp action "SCMP_ACT_ALOW": did you mean "SCMP_ACT_ALLOW"?`},
		{"unknown op", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQQ"}]}`), format.Options{},
			`unknown comparison operator "SCMP_CMP_EQQ": did you mean "SCMP_CMP_EQ"?`},
		{"missing op", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1}]}`), format.Options{},
			`the comparison operator ("op") is missing`},
		{"unknown errno", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EPREM"}`), format.Options{},
			`unknown errno "EPREM": did you mean "EPERM"?`},
		{"unknown default errno", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSIS"}`, format.Options{},
			`x.json:1:53: unknown errno "ENOSIS": did you mean "ENOSYS"?`},
		{"errno zero", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}`), format.Options{}, "x.json:1:110: errno(0)"},
		{"errno libseccomp refuses", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}`), format.Options{},
			"x.json:1:110: errno 4095 cannot load"},
		{"default errno libseccomp refuses", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4095}`, format.Options{}, "x.json:1:56: errno 4095 cannot load"},
		{"masked value outside its mask", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]}`), format.Options{},
			`x.json:1:144: masked equality "arg0 & 1 == 3" can never hold`},
		{"valueTwo on a plain comparison", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "valueTwo": 3, "op": "SCMP_CMP_EQ"}]}`), format.Options{},
			`x.json:1:144: valueTwo 0x3 on SCMP_CMP_EQ: only SCMP_CMP_MASKED_EQ reads valueTwo`},
		{"mixed byte orders", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_S390X"]}`, format.Options{},
			`x.json:1:75: architecture "s390x" is big-endian and "x86_64" is not`},
		{"errno zero by name", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "0"}`), format.Options{}, "errno(0)"},
		{"default errno zero", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 0}`, format.Options{}, "x.json:1:56: errno(0)"},
		{"errno name and number disagree", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "ENOSYS"}`), format.Options{},
			`errno "ENOSYS" is 38 but errnoRet is 1; they must agree`},
		{"default errno disagree", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "defaultErrno": "ENOSYS"}`, format.Options{},
			`defaultErrno "ENOSYS" is 38 but defaultErrnoRet is 1; they must agree`},
		{"arg index 6", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}`), format.Options{},
			"argument index 6 is out of range (0-5)"},
		{"unknown syscall", rule(`{"names": ["read", "opnat"], "action": "SCMP_ACT_ERRNO"}`), format.Options{},
			`x.json:1:69: unknown syscall "opnat" (runc would silently skip it): did you mean "openat"?`},
		{"unknown syscall in an excluded rule", rule(`{"names": ["opnat"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["s390x"]}}`), format.Options{},
			`unknown syscall "opnat" (runc would silently skip it): did you mean "openat"?`},
		{"unknown arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_46"]}`, format.Options{}, `"SCMP_ARCH_X86_46"`},
		{"unknown archMap arch", `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_AMD64"}]}`, format.Options{},
			`unknown architecture "SCMP_ARCH_AMD64"`},
		{"unknown target arch", `{"defaultAction": "SCMP_ACT_ALLOW"}`, format.Options{Arches: []string{"amd64"}},
			`target architecture: unknown architecture "amd64": did you mean "x86_64"?`},
		{"filter arch in libseccomp spelling", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["x86_64"]}}`), format.Options{},
			`architecture "x86_64" never matches: Docker and Podman name it "amd64" here`},
		{"unknown filter arch", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "excludes": {"arches": ["amd46"]}}`), format.Options{},
			`unknown architecture "amd46": did you mean "amd64"?`},
		{"unknown filter cap", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMN"]}}`), format.Options{},
			`unknown capability "CAP_SYS_ADMN": did you mean "CAP_SYS_ADMIN"?`},
		{"filter cap not as Docker spells it", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["sys_admin"]}}`), format.Options{},
			`capability "sys_admin" never matches: Docker and Podman compare names exactly; write "CAP_SYS_ADMIN"`},
		{"unknown option cap", `{"defaultAction": "SCMP_ACT_ALLOW"}`, format.Options{Caps: []string{"NET_ADMN"}},
			`unknown capability "NET_ADMN": did you mean "CAP_NET_ADMIN"?`},
		{"bad minKernel", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "5"}}`), format.Options{},
			`minKernel "5": want "<major>.<minor>"`},
		{"bad kernel option", rule(`{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "5.8"}}`), format.Options{Kernel: "new"},
			`kernel version "new": want "<major>.<minor>"`},
		{"unknown flag", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOGG"]}`, format.Options{},
			`unknown seccomp flag "SECCOMP_FILTER_FLAG_LOGG": did you mean "SECCOMP_FILTER_FLAG_LOG"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Read("x.json", []byte(tt.in), tt.opt)
			if err == nil {
				b, _ := format.MarshalJSON(format.ToOCIJSON(s))
				t.Fatalf("no error; got\n%s", b)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDockerErrorsAll checks that one pass reports every problem, sorted
// by position.
func TestDockerErrorsAll(t *testing.T) {
	in := "{\n" +
		"\t\"defaultAction\": \"SCMP_ACT_ALOW\",\n" +
		"\t\"syscalls\": [\n" +
		"\t\t{\"names\": [\"opnat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 0},\n" +
		"\t\t{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}\n" +
		"\t]\n}\n"
	_, err := Read("x.json", []byte(in), format.Options{})
	want := `x.json:2:19: unknown seccomp action "SCMP_ACT_ALOW": did you mean "SCMP_ACT_ALLOW"?
x.json:4:14: unknown syscall "opnat" (runc would silently skip it): did you mean "openat"?
x.json:4:64: errno(0) makes the syscall report success without running it; use allow, or a real errno such as EPERM
x.json:5:70: argument index 6 is out of range (0-5)`
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
	var list rules.ErrorList
	if !errors.As(err, &list) || len(list) != 4 {
		t.Errorf("error is %T, want a rules.ErrorList of 4", err)
	}
}

func TestDockerResolution(t *testing.T) {
	native := syscalls.NativeArch()
	nativeSpec, _ := syscalls.ArchSpec(native)
	tests := []struct {
		name     string
		in       string
		opt      format.Options
		want     *specs.LinuxSeccomp
		warnings []string
	}{
		{
			name: "archMap keeps the native architecture and warns",
			in:   `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "` + string(nativeSpec) + `", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM"]}]}`,
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{nativeSpec}},
			warnings: []string{"its sub-architectures x86, x32, arm are left out", "pass --arch " + native + ",x86,x32,arm",
				"x.json:1:48: archMap"},
		},
		{
			name: "--arch replaces archMap",
			in:   `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}]}`,
			opt:  format.Options{Arches: []string{"aarch64", "arm", "aarch64"}},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchAARCH64, specs.ArchARM}},
		},
		{
			name: "architectures as written",
			in:   `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}`,
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86}},
		},
		{
			name: "arch filters see the first target architecture in Docker's spelling",
			in: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
				{"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
				{"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["arm64"]}}]}`,
			opt: format.Options{Arches: []string{"aarch64"}},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1), Architectures: []specs.Arch{specs.ArchAARCH64},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"sync_file_range2"}, Action: specs.ActAllow}}},
		},
		{
			name: "caps: includes need all, excludes any; names in any case, with or without CAP_",
			in: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
				{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]}},
				{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]}}]}`,
			opt: format.Options{Caps: []string{"sys_admin", "Cap_Chown"}},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mount"}, Action: specs.ActAllow}}},
		},
		{
			name: "nil caps mean docker run's defaults",
			in: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
				{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`,
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"chroot"}, Action: specs.ActAllow}}},
		},
		{
			name: "empty caps mean none",
			in:   `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}}]}`,
			opt:  format.Options{Caps: []string{}},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1)},
		},
		{
			name: "ALL grants every capability",
			in:   `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_BPF", "CAP_SYS_ADMIN"]}}]}`,
			opt:  format.Options{Caps: []string{"all"}},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"bpf"}, Action: specs.ActAllow}}},
		},
		{
			name: "minKernel met: no warning",
			in:   `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}]}`,
			opt:  format.Options{Kernel: "6.1.0-18-amd64"},
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}},
		},
		{
			name: "minKernel decides: warn that Podman differs",
			in: `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
				{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.2"}},
				{"names": ["write"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}}]}`,
			opt:      format.Options{Kernel: "6.1"},
			want:     &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: testutil.Errno(1)},
			warnings: []string{"for kernel 6.1", "Podman and CRI-O ignore minKernel", "x.json:2:5 (read) is dropped here, kept by Podman", "(write) is dropped here"},
		},
		{
			name: "normalised actions and explicit errnos, names sorted, rule order kept, default-action rules dropped as runc drops them",
			in: `{"defaultAction": "SCMP_ACT_KILL", "syscalls": [
				{"name": "openat", "action": "SCMP_ACT_ERRNO"},
				{"names": ["connect", "bind"], "action": "SCMP_ACT_ERRNO", "errno": "ECONNREFUSED"},
				{"names": ["ptrace"], "action": "SCMP_ACT_KILL"},
				{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5, "comment": "errnoRet is ignored here"}]}`,
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActKillThread, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1)},
				{Names: []string{"bind", "connect"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(111)},
				{Names: []string{"read"}, Action: specs.ActAllow},
			}},
			warnings: []string{"errnoRet on an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE is ignored by runc; dropped at x.json:5:5"},
		},
		{
			name:     "deny rules for syscalls libseccomp 2.5 cannot filter",
			in:       `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mseal", "openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`,
			want:     &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mseal", "openat"}, Action: specs.ActErrno, ErrnoRet: testutil.Errno(1)}}},
			warnings: []string{"does not know mseal"},
		},
		{
			name: "listener, flags and metadata pass through",
			in:   `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"], "listenerPath": "/run/agent.sock", "listenerMetadata": "x", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}`,
			want: &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
				ListenerPath: "/run/agent.sock", ListenerMetadata: "x",
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w formattest.Warnings
			got, err := Read("x.json", []byte(tt.in), w.Options(tt.opt))
			if err != nil {
				t.Fatal(err)
			}
			w.Check(t, got, tt.want, tt.warnings)
		})
	}
}

func TestDockerUint64RoundTrip(t *testing.T) {
	in := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ioctl"], "action": "SCMP_ACT_ERRNO",
		"args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 18446744073709551516, "op": "SCMP_CMP_MASKED_EQ"}]}]}`
	first, err := Read("in.json", []byte(in), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, first, format.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"value": 18446744073709551615`, `"valueTwo": 18446744073709551516`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	again, err := Read("out.json", out.Bytes(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := again.Syscalls[0].Args[0]
	if a.Value != 18446744073709551615 || a.ValueTwo != 18446744073709551516 {
		t.Errorf("values after docker→LinuxSeccomp→docker: %d, %d", a.Value, a.ValueTwo)
	}
	var out2 bytes.Buffer
	if err := Write(&out2, again, format.Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), out2.Bytes()) {
		t.Errorf("second round differs:\n%s\n%s", out.Bytes(), out2.Bytes())
	}
	checkDecodes(t, out.Bytes(), first)
}

// podmanLike uses every Docker and Podman feature readDocker resolves.
const podmanLike = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrno": "ENOSYS",
	"archMap": [
		{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
		{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": null}
	],
	"syscalls": [
		{"names": ["read", "write", "exit_group", "futex"], "action": "SCMP_ACT_ALLOW", "comment": "", "args": [], "includes": {}, "excludes": {}},
		{"name": "personality", "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}},
		{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
		{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EPERM", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]},
		{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
		{"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
		{"names": ["statx"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.11"}},
		{"names": ["kill"], "action": "SCMP_ACT_KILL", "comment": "KILL is kill-thread"}
	]
}`

func TestDockerGolden(t *testing.T) {
	if syscalls.NativeArch() != "x86_64" {
		t.Skip("the golden file resolves arch filters for x86_64")
	}
	opt := format.Options{Arches: []string{"x86_64", "x86", "x32"}, Kernel: "6.1"}
	s, err := Read("podman-like.json", []byte(podmanLike), opt)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, s, opt); err != nil {
		t.Fatal(err)
	}
	testutil.Golden(t, filepath.Join("testdata", "golden", "podman-like.json"), out.Bytes())
	checkDecodes(t, out.Bytes(), s)
	back, err := Read("back.json", out.Bytes(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := format.Equal(s, back); err != nil {
		t.Errorf("the output reads back to another profile: %v", err)
	}
}

func TestBuiltin(t *testing.T) {
	if got, want := BuiltinNames(), []string{"docker-default", "podman-default"}; !slices.Equal(got, want) {
		t.Errorf("BuiltinNames() = %q, want %q", got, want)
	}
	_, err := Builtin("docker-defualt", format.Options{})
	if err == nil || err.Error() != `unknown built-in profile "docker-defualt": did you mean "docker-default"?` {
		t.Errorf("unknown name: %v", err)
	}
	_, err = Builtin("seccomp", format.Options{})
	if err == nil || !strings.Contains(err.Error(), "want one of docker-default, podman-default") {
		t.Errorf("unknown name: %v", err)
	}

	opt := format.Options{Arches: []string{"x86_64", "x86", "x32"}, Kernel: "6.1"}
	podman, err := Builtin("podman-default", opt)
	if err != nil {
		t.Fatal(err)
	}
	if podman.DefaultAction != specs.ActErrno || *podman.DefaultErrnoRet != 38 {
		t.Errorf("podman-default: default %s %d, want SCMP_ACT_ERRNO 38", podman.DefaultAction, *podman.DefaultErrnoRet)
	}
	var raw seccomp.Seccomp
	if err := json.Unmarshal(podmanDefaultJSON, &raw); err != nil {
		t.Fatalf("the embedded podman-default.json: %v", err)
	}
	if !bytes.Contains(podmanDefaultJSON, []byte(`"defaultErrno": "ENOSYS"`)) {
		t.Error("the embedded podman-default.json lacks defaultErrno: regenerate it with go generate")
	}
	docker, err := Builtin("docker-default", opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := format.Equal(docker, podman); err == nil {
		t.Error("docker-default and podman-default mean the same")
	}
	for _, sc := range docker.Syscalls {
		if slices.Contains(sc.Names, "io_uring_setup") {
			t.Error("docker-default allows io_uring_setup")
		}
	}

	// The warning without --arch names the sub-architectures left out.
	var w formattest.Warnings
	if _, err := Builtin("docker-default", w.Options(format.Options{Kernel: "6.1"})); err != nil {
		t.Fatal(err)
	}
	if subs := syscalls.SubArches(syscalls.NativeArch()); len(subs) > 0 && !w.Contain("--arch "+strings.Join(append([]string{syscalls.NativeArch()}, subs...), ",")) {
		t.Errorf("warnings %q do not say how to keep the sub-architectures", w)
	}
}

func FuzzReadDocker(f *testing.F) {
	f.Add([]byte(podmanLike))
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 18446744073709551516, "op": "SCMP_CMP_EQ"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := format.Options{Arches: []string{"x86_64"}, Kernel: "6.1"}
		s, err := Read("fuzz.json", data, opt)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, s, opt); err != nil {
			t.Fatal(err)
		}
		back, err := Read("back.json", out.Bytes(), opt)
		if err != nil {
			t.Fatalf("output does not read back: %v\n%s", err, out.Bytes())
		}
		if err := format.Equal(s, back); err != nil {
			t.Fatal(err)
		}
	})
}
