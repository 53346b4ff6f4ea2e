package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

// onX86 is what the compiled profile does on x86 with socketcall(call):
// socketcall's own rules, or else the rule libseccomp makes of the rule
// for the call it carries, or else the default.
func onX86(t *testing.T, s *specs.LinuxSeccomp, call uint64) string {
	t.Helper()
	d := mustDecide(t, s)
	got, err := underRunc(d, "socketcall", [6]uint64{call})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cases("socketcall")) > 0 && got != d.Default {
		return got.String()
	}
	for _, name := range d.Names() {
		if mux, k, ok := syscalls.Subcall("x86", name); ok && mux == "socketcall" && k == call {
			for _, c := range d.Cases(name) {
				if len(c.When) == 0 {
					return c.Action.String()
				}
			}
		}
	}
	return got.String()
}

// TestMultiplexedPrecedence covers the class "a denial vanishes through
// the multiplexer that carries the call" (socketcall on x86): an allow of
// socketcall, written or inherited from a base, beside a denial of
// connect (even one with the default action, which runc drops) keeps
// socketcall only for the other calls, so connect through socketcall gets
// the denial.
func TestMultiplexedPrecedence(t *testing.T) {
	const connect, socket, sendto = 3, 1, 11
	tests := []struct {
		name, src string
		want      map[uint64]string // socketcall's call → action on x86
		denies    bool              // the denial of a call applies through socketcall: no note may say it does nothing
	}{
		{"a denial with the default action beside an allow of socketcall",
			"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socketcall, read]}\n  - {action: errno(EPERM), syscalls: [connect]}\n",
			map[uint64]string{connect: "errno(EPERM)", socket: "allow", sendto: "allow"}, true},
		{"two denials of another errno",
			"default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [socketcall]}\n  - {action: errno(EPERM), syscalls: [connect, sendto]}\n",
			map[uint64]string{connect: "errno(EPERM)", socket: "allow", sendto: "errno(EPERM)"}, true},
		{"the same through groups",
			"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [\"@system-service\"]}\n  - {action: errno(EPERM), syscalls: [connect]}\n",
			map[uint64]string{connect: "errno(EPERM)", socket: "allow"}, true},
		{"a base's allow of socketcall",
			"extends: b\nrules:\n  - {action: kill, syscalls: [connect]}\n",
			map[uint64]string{connect: "kill-process", socket: "allow", sendto: "allow"}, true},
		{"a stricter socketcall wins over an allowed call",
			"default: allow\nrules:\n  - {action: errno(EACCES), syscalls: [socketcall]}\n  - {action: allow, syscalls: [connect]}\n",
			map[uint64]string{connect: "errno(EACCES)", socket: "errno(EACCES)"}, false},
	}
	base := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(1), Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "socketcall", "write"}, Action: specs.ActAllow},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warns []string
			opt := CompileOptions{Arches: []string{"x86_64", "x86"}, Warn: func(e *Error) { warns = append(warns, e.Error()) },
				Base: func(string, []string) (*specs.LinuxSeccomp, error) { return base, nil }}
			s, err := compileString(t, tt.src, opt)
			if err != nil {
				t.Fatal(err)
			}
			for call, want := range tt.want {
				if got := onX86(t, s, call); got != want {
					t.Errorf("socketcall(%d): %s, want %s\n%s", call, got, want, mustJSON(t, s))
				}
			}
			if w := strings.Join(warns, "\n"); tt.denies && (strings.Contains(w, "changes nothing") || strings.Contains(w, "never applies")) {
				t.Errorf("warnings %q: the rules apply, through socketcall", warns)
			}
			// On x86_64 alone nothing is multiplexed: socketcall's rules stay as written.
			opt.Arches = []string{"x86_64"}
			s64, err := compileString(t, tt.src, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range mustDecide(t, s64).Cases("socketcall") {
				if len(c.When) > 0 {
					t.Errorf("x86_64 alone: socketcall got conditions %v", c.When)
				}
			}
		})
	}
}

// TestMultiplexedUnloadable covers the class "what libseccomp makes of a
// multiplexed call's conditional rules": it moves them onto socketcall,
// where the conditions on arg0 are lost, so two with different actions
// and the same other conditions cannot load (EEXIST), a conditional allow
// lets every call through (a warning, as recordings write it), and a
// conditional denial beside an allow of socketcall does not hold; each
// at its position, and only on an architecture with the multiplexer.
func TestMultiplexedUnloadable(t *testing.T) {
	tests := []struct {
		name, src string
		err, warn string // "" for none
	}{
		{"two actions on arg0",
			"default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [socket, read]}\n  - {action: errno(EACCES), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET\"]}\n",
			"t.yaml:3:14: socket: on x86, libseccomp moves the rules for socket onto socketcall, where arg0 is the call's number (1) and the conditions on arg0 are lost: the allow here and the errno(EACCES) at t.yaml:4:14 become two rules with the same conditions and different actions, which libseccomp refuses (EEXIST)", ""},
		{"two actions apart on another argument",
			"default: errno(ENOSYS)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg2 == 0\"]}\n  - {action: errno(EACCES), syscalls: [socket], when: [\"arg2 == 9\"]}\n",
			"", ""},
		{"a conditional allow",
			"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_UNIX\"]}\n",
			"", "t.yaml:3:14: socket: on x86, libseccomp moves the rules for socket onto socketcall, where arg0 is the call's number (1) and the conditions on arg0 are lost, so this conditional allow lets every socket call through socketcall whatever its arguments"},
		{"a conditional denial beside an allow of socketcall",
			"default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [socketcall, read]}\n  - {action: errno(EACCES), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET\"]}\n",
			"t.yaml:4:14: socket: on x86, socket also goes through socketcall (arg0 == 1), whose arguments seccomp cannot read, and the allow at t.yaml:3:14 lets every call through it: this conditional errno(EACCES) does not hold there", ""},
		{"a conditional denial, socketcall left to the default",
			"default: allow\nrules:\n  - {action: errno(EACCES), syscalls: [socket], when: [\"arg0 & 0xffffffff == AF_INET\"]}\n",
			"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, arches := range [][]string{{"x86_64", "x86"}, {"x86_64"}} {
				var warns []string
				_, err := compileString(t, tt.src, CompileOptions{Arches: arches, Warn: func(e *Error) { warns = append(warns, e.Error()) }})
				wantErr, wantWarn := tt.err, tt.warn
				if len(arches) == 1 {
					wantErr, wantWarn = "", "" // no multiplexer on x86_64
				}
				switch {
				case wantErr == "" && err != nil:
					t.Errorf("%v: error %v", arches, err)
				case wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), wantErr)):
					t.Errorf("%v: error %v\nwant %s…", arches, err, wantErr)
				}
				w := strings.Join(warns, "\n")
				if (wantWarn == "") != !strings.Contains(w, "the conditions on arg0 are lost") || wantWarn != "" && !strings.Contains(w, wantWarn) {
					t.Errorf("%v: warnings %q, want %q", arches, warns, wantWarn)
				}
			}
		})
	}
}

// TestMultiplexClashes: on x86, socket's conditional rules move onto
// socketcall; two actions for one set of conditions but arg0 clash, once
// for each action after the first, and nothing else does.
func TestMultiplexClashes(t *testing.T) {
	allow, eperm, kill := Action{Kind: Allow}, Action{Kind: Errno, Ret: 1}, Action{Kind: KillProcess}
	def := Action{Kind: Errno, Ret: 38}
	fam := func(v uint64) []Cond { return []Cond{{Arg: 0, Op: OpEQ, Value: v}} }
	typ := []Cond{{Arg: 1, Op: OpEQ, Value: 2}}
	rs := []MuxRule{
		{Names: []string{"socket"}, Action: allow, When: fam(1)},                                // 0: first of key ""
		{Names: []string{"socket"}, Action: eperm, When: fam(2)},                                // 1: clashes with 0
		{Names: []string{"socket"}, Action: allow, When: fam(10)},                               // 2: the first's action again
		{Names: []string{"socket"}, Action: kill, When: fam(16)},                                // 3: a third action
		{Names: []string{"socket"}, Action: eperm, When: typ},                                   // 4: another key
		{Names: []string{"socket"}, Action: def, When: fam(3)},                                  // 5: the default: runc drops it
		{Names: []string{"socket"}, Action: kill},                                               // 6: unconditional
		{Names: []string{"connect", "read"}, Action: eperm, When: fam(5)},                       // 7: connect's first; read is not multiplexed
		{Names: []string{"connect"}, Action: allow, When: []Cond{{Arg: 0, Op: OpNE, Value: 5}}}, // 8: clashes with 7
	}
	got := MultiplexClashes(rs, []string{"x86", "x86_64"}, def, nil)
	want := []MuxClash{
		{Arch: "x86", Name: "socket", Mux: "socketcall", Call: 1, First: 0, Second: 1},
		{Arch: "x86", Name: "socket", Mux: "socketcall", Call: 1, First: 0, Second: 3},
		{Arch: "x86", Name: "connect", Mux: "socketcall", Call: 3, First: 7, Second: 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clashes (-want +got):\n%s", diff)
	}
	// A rule skip excludes (the multiplexer's own rule decides it) takes
	// no part.
	got = MultiplexClashes(rs, []string{"x86"}, def, func(i int, mux string) bool { return i >= 7 })
	if len(got) != 2 {
		t.Errorf("with connect's rules skipped: %+v, want socket's two clashes", got)
	}
}
