package rules

import (
	"golang.org/x/sys/unix"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

func mustCompile(t *testing.T, src string) *specs.LinuxSeccomp {
	t.Helper()
	s, err := compileString(t, src, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDecide(t *testing.T, s *specs.LinuxSeccomp) *Decisions {
	t.Helper()
	d, err := Decide(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const demoRules = "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"

// TestDecide checks the verdicts against what runc and libseccomp do with
// the same OCI rules.
func TestDecide(t *testing.T) {
	u := func(v uint) *uint { return &v }
	errno := func(names []string, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: names, Action: specs.ActErrno, ErrnoRet: u(1), Args: args}
	}
	allow := func(names []string, args ...specs.LinuxSeccompArg) specs.LinuxSyscall {
		return specs.LinuxSyscall{Names: names, Action: specs.ActAllow, Args: args}
	}
	eq := func(i uint, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Value: v, Op: specs.OpEqualTo}
	}
	tests := []struct {
		name string
		s    specs.LinuxSeccomp
		want map[string]Verdict
	}{
		{"denylist", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{errno([]string{"openat"})}},
			map[string]Verdict{"openat": Denied, "open": Allowed}},
		{"allowlist", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{allow([]string{"read"}), allow([]string{"socket"}, eq(0, 1))}},
			map[string]Verdict{"read": Allowed, "write": Denied, "socket": Partly}},
		// runc drops a rule whose action is the default before libseccomp
		// sees it, so the conditional rule decides (measured with runc
		// 1.1.5: personality(8) fails with EPERM).
		{"default rule dropped first", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{allow([]string{"personality"}), errno([]string{"personality"}, eq(0, 8))}},
			map[string]Verdict{"personality": Partly}},
		// libseccomp keeps the first unconditional rule, whatever comes
		// before or after it.
		{"unconditional wins", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			errno([]string{"openat"}, eq(2, 1)),
			{Names: []string{"openat"}, Action: specs.ActKillProcess},
			errno([]string{"openat"}, eq(2, 2)),
		}}, map[string]Verdict{"openat": Denied}},
		{"trace denies", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActTrace}}},
			map[string]Verdict{"ptrace": Denied}},
		{"log allows", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActLog}}},
			map[string]Verdict{"read": Allowed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDecide(t, &tt.s)
			for name, want := range tt.want {
				if got := d.Verdict(name); got != want {
					t.Errorf("Verdict(%s) = %d, want %d", name, got, want)
				}
			}
		})
	}

	// Two conditions on one argument are two cases, as runc adds them.
	d := mustDecide(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{allow([]string{"socket"}, eq(0, 1), eq(0, 2))}})
	if cs := d.Cases("socket"); len(cs) != 2 || len(cs[0].When) != 1 || len(cs[1].When) != 1 {
		t.Errorf("same-argument conditions: cases %v, want one per condition", cs)
	}
}

func TestIntents(t *testing.T) {
	names := func(src string) []string {
		var out []string
		for _, in := range mustDecide(t, mustCompile(t, src)).Intents() {
			out = append(out, in.Class.Name+":"+in.Trigger+":"+in.Action.String())
		}
		return out
	}
	tests := []struct {
		name, src string
		want      []string
	}{
		{"demo", demoRules, []string{"file-open:openat:errno(EPERM)", "network:connect:errno(EPERM)", "process-inspect:openat:errno(EPERM)"}},
		{"ptrace alone", "default: allow\nrules:\n  - {action: kill, syscalls: [ptrace]}\n", []string{"process-inspect:ptrace:kill-process"}},
		{"a conditional denial states a narrower intent", "default: allow\nrules:\n  - {action: errno(EACCES), syscalls: [openat], when: [\"arg2 & O_ACCMODE == O_WRONLY\"]}\n", nil},
		{"the default action states none", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [open, read]}\n", nil},
		{"an explicit denial in an allowlist does", "default: errno(EPERM)\nrules:\n  - {action: allow, syscalls: [open, read]}\n  - {action: errno(EACCES), syscalls: [openat]}\n",
			[]string{"file-open:openat:errno(EACCES)", "process-inspect:openat:errno(EACCES)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(tt.src); !slices.Equal(got, tt.want) {
				t.Errorf("intents %q, want %q", got, tt.want)
			}
		})
	}
}

func mustHarden(t *testing.T, s *specs.LinuxSeccomp, arches ...string) (*specs.LinuxSeccomp, []string) {
	t.Helper()
	h, notes, err := Harden(s, arches)
	if err != nil {
		t.Fatal(err)
	}
	return h, notes
}

func TestHardenDemo(t *testing.T) {
	h, notes := mustHarden(t, mustCompile(t, demoRules))
	d := mustDecide(t, h)
	eperm := Action{Kind: Errno, Ret: 1}
	for _, g := range []string{"@file-open", "@network-connect", "@process-inspect"} {
		// The demo lists no architectures: the filter covers the host's.
		members, _ := GroupMembers(g, []string{syscalls.NativeArch()})
		for _, m := range members {
			if m == "sendto" {
				continue
			}
			if d.Verdict(m) != Denied {
				t.Errorf("%s (%s) is not denied", m, g)
			} else if a, _ := d.RuleDenial(m); a != eperm {
				t.Errorf("%s is denied with %s, want the demo's errno(EPERM)", m, a)
			}
		}
	}
	for _, m := range []string{"accept", "accept4"} {
		if d.Verdict(m) != Denied {
			t.Errorf("%s is not denied", m)
		}
	}
	// sendto only with a destination: send(2) on a connected socket works.
	if d.Verdict("sendto") != Partly || !d.DeniesWhen("sendto", Cond{Arg: 4, Op: OpNE}) {
		t.Errorf("sendto: verdict %d, cases %v; want denied when arg4 != 0 only", d.Verdict("sendto"), d.Cases("sendto"))
	}
	for _, m := range []string{"read", "write", "close", "getdents64", "newfstatat", "readlink", "recvfrom", "execve"} {
		if d.Verdict(m) != Allowed {
			t.Errorf("%s is no longer allowed", m)
		}
	}
	// socket for the local families only, whatever the upper half says.
	for _, tc := range []struct {
		family uint64
		allow  bool
	}{{unix.AF_UNIX, true}, {unix.AF_NETLINK, true}, {unix.AF_UNIX | 1<<32, true}, {unix.AF_INET, false}, {unix.AF_INET6, false},
		{unix.AF_PACKET, false}, {unix.AF_INET | 1<<32, false}, {0, false}, {unix.AF_VSOCK, false}, {0xffffffff, false}} {
		if got := d.Allows("socket", [6]uint64{tc.family}); got != tc.allow {
			t.Errorf("socket(%#x): allowed %v, want %v", tc.family, got, tc.allow)
		}
	}
	if open := d.OpenFamilies(); len(open) != 0 {
		t.Errorf("network families still open: %v", open)
	}
	if len(notes) != 4 || !strings.Contains(notes[3], "socket: denied with errno(EPERM) for every family but AF_UNIX and AF_NETLINK") || !strings.Contains(notes[0], "like openat") || !strings.Contains(notes[1], "sendto (when arg4 != 0)") {
		t.Errorf("notes:\n%s", strings.Join(notes, "\n"))
	}
	// Every name it writes exists on the architecture it covers, so
	// reading it back warns of none (socketcall is x86's).
	for _, n := range d.Names() {
		if !syscalls.HasSyscall(syscalls.NativeArch(), n) {
			t.Errorf("%s does not exist on %s", n, syscalls.NativeArch())
		}
	}
	// Hardening the hardened profile changes nothing.
	again, notes := mustHarden(t, h)
	if diff := diffJSON(t, again, h); diff != "" || len(notes) != 0 {
		t.Errorf("hardening twice: notes %q, diff:\n%s", notes, diff)
	}
}

func TestHardenAllowlist(t *testing.T) {
	src := `default: errno(ENOSYS)
rules:
  - {action: allow, syscalls: [read, write, open, sendto, ptrace]}
  - {action: errno(EACCES), syscalls: [openat, connect]}
`
	h, notes := mustHarden(t, mustCompile(t, src))
	d := mustDecide(t, h)
	eacces := Action{Kind: Errno, Ret: 13}
	// What a rule let through is denied like the trigger; what the
	// default denies stays so.
	for _, m := range []string{"open", "ptrace"} {
		if a, ok := d.RuleDenial(m); !ok || a != eacces || d.Verdict(m) != Denied {
			t.Errorf("%s: %v %v, want denied with errno(EACCES)", m, a, d.Verdict(m))
		}
	}
	for _, m := range []string{"openat2", "creat", "sendmsg"} {
		if d.Verdict(m) != Denied || len(d.Cases(m)) != 0 {
			t.Errorf("%s: verdict %d, cases %v; want the default's denial", m, d.Verdict(m), d.Cases(m))
		}
	}
	// sendto was allowed by a rule: it stays allowed without a destination.
	cases := d.Cases("sendto")
	if len(cases) != 2 || !d.DeniesWhen("sendto", Cond{Arg: 4, Op: OpNE}) ||
		!slices.ContainsFunc(cases, func(c Case) bool {
			return c.Action.Kind == Allow && len(c.When) == 1 && c.When[0].String() == "arg4 == 0"
		}) {
		t.Errorf("sendto cases %v", cases)
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, "taken out of the rule that gave them allow") && strings.Contains(n, "open")
	}) {
		t.Errorf("no note on the allow rule that lost open:\n%s", strings.Join(notes, "\n"))
	}
	if d.Verdict("read") != Allowed {
		t.Error("read lost its rule")
	}
}

// TestHardenPerArch: a class resolves on every listed architecture, so
// arm's open is denied next to aarch64's openat.
func TestHardenPerArch(t *testing.T) {
	s := mustCompile(t, "default: allow\narchitectures: [aarch64, arm]\nrules:\n  - {action: errno(EPERM), syscalls: [openat, connect]}\n")
	h, _ := mustHarden(t, s)
	d := mustDecide(t, h)
	for _, m := range []string{"open", "creat"} {
		if got := d.Verdict(m); got != Denied {
			t.Errorf("%s: verdict %d, want denied", m, got)
		}
	}
	// x86 multiplexes sockets through socketcall.
	h86, _ := mustHarden(t, mustCompile(t, "default: allow\narchitectures: [x86_64, x86]\nrules:\n  - {action: errno(EPERM), syscalls: [connect]}\n"))
	if d := mustDecide(t, h86); d.Verdict("socketcall") != Denied || d.Verdict("send") != Allowed {
		t.Errorf("x86: socketcall %d, send %d", d.Verdict("socketcall"), d.Verdict("send"))
	}
	// Hardening for aarch64 alone leaves arm's calls out.
	h, _ = mustHarden(t, s, "aarch64")
	if d := mustDecide(t, h); d.Verdict("open") != Allowed || d.Verdict("openat2") != Denied {
		t.Errorf("for aarch64: open %d, openat2 %d", d.Verdict("open"), d.Verdict("openat2"))
	}
	if _, _, err := Harden(s, []string{"amd64"}); err == nil || !strings.Contains(err.Error(), `did you mean "x86_64"`) {
		t.Errorf("unknown architecture: %v", err)
	}
}

func TestHardenActions(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActKill, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"read", "write"}, Action: specs.ActAllow},
	}}
	h, notes := mustHarden(t, s)
	if h.DefaultAction != specs.ActKillProcess || len(notes) != 1 || !strings.Contains(notes[0], "kill-thread became kill-process") {
		t.Errorf("default %s, want kill-process; notes %q", h.DefaultAction, notes)
	}
	s = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"ptrace"}, Action: specs.ActTrace},
	}}
	h, notes = mustHarden(t, s)
	d := mustDecide(t, h)
	if a, _ := d.RuleDenial("ptrace"); a != (Action{Kind: Errno, Ret: 1}) {
		t.Errorf("ptrace: %v, want errno(EPERM)", a)
	}
	// ptrace's denial states the process-inspect intent.
	for _, m := range []string{"process_vm_readv", "pidfd_getfd"} {
		if a, _ := d.RuleDenial(m); a != (Action{Kind: Errno, Ret: 1}) {
			t.Errorf("%s: %v, want errno(EPERM)", m, a)
		}
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "trace became errno(EPERM)") || !strings.Contains(notes[1], "like ptrace") {
		t.Errorf("notes:\n%s", strings.Join(notes, "\n"))
	}
}

func TestHardenMasksIntArgs(t *testing.T) {
	src := `default: allow
rules:
  - {action: errno(EAFNOSUPPORT), syscalls: [socket], when: ["arg0 == AF_ALG"]}
  - {action: errno(EPERM), syscalls: [kill], when: ["arg1 == -1"]}
  - {action: errno(EAFNOSUPPORT), syscalls: [socket, mmap], when: ["arg1 == 2"]}
  - {action: errno(EPERM), syscalls: [ioctl], when: ["arg1 < 5"]}
  - {action: errno(EPERM), syscalls: [setns], when: ["arg1 & 0xffffffffffffffff == CLONE_NEWUSER"]}
`
	h, notes := mustHarden(t, mustCompile(t, src))
	want := map[string][]string{
		"socket": {"arg0 & 0xffffffff == 38", "arg1 & 15 == 2"}, // the type without its flags
		"kill":   {"arg1 & 0xffffffff == 0xffffffff"},
		"mmap":   {"arg1 == 2"}, // a 64-bit argument stays as it is
		"ioctl":  {"arg1 < 5"},
		"setns":  {"arg1 & 0xffffffff == 0x10000000"},
	}
	d := mustDecide(t, h)
	for name, conds := range want {
		var got []string
		for _, c := range d.Cases(name) {
			for _, w := range c.When {
				got = append(got, w.String())
			}
		}
		if !slices.Equal(got, conds) {
			t.Errorf("%s: conditions %q, want %q", name, got, conds)
		}
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, `"arg1 < 5"`) && strings.Contains(n, "cannot be masked")
	}) {
		t.Errorf("no note on the condition that cannot be masked:\n%s", strings.Join(notes, "\n"))
	}
}

func TestHardenKey(t *testing.T) {
	p, err := Parse("t.yaml", []byte("harden: true\n"+demoRules))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	got, err := p.Compile(CompileOptions{Warn: func(e *Error) { warnings = append(warnings, e.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mustHarden(t, mustCompile(t, demoRules))
	if d := diffJSON(t, got, want); d != "" {
		t.Errorf("harden: true differs from Harden:\n%s", d)
	}
	if len(warnings) != 4 || !strings.HasPrefix(warnings[0], "t.yaml: harden: ") {
		t.Errorf("warnings:\n%s", strings.Join(warnings, "\n"))
	}
	if s := p.String(); !strings.Contains(s, "\nharden: true\n") {
		t.Errorf("the key is not printed:\n%s", s)
	} else if back, err := Parse("printed", []byte(s)); err != nil || !back.Harden {
		t.Errorf("printed form: %v, harden %v", err, back != nil && back.Harden)
	}
	if _, err := Parse("t.yaml", []byte("harden: yes\n"+demoRules)); err == nil || !strings.Contains(err.Error(), `t.yaml:1:9: harden: want true or false, not "yes"`) {
		t.Errorf("harden: yes: %v", err)
	}
}

// TestHardenFamilyIntent: "no network" said by socket family (AF_INET
// and AF_INET6 denied by rules, the upper half masked or not) is the
// network intent as much as a denied connect: every network family and
// every call that reaches a peer is denied. One IP family, AF_PACKET alone
// ("no raw frames"), a local family or a type says something narrower
// and stays as it is.
func TestHardenFamilyIntent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		whens  []string
		intent bool
	}{
		{"AF_INET and AF_INET6", []string{`"arg0 == AF_INET"`, `"arg0 & 0xffffffff == AF_INET6"`}, true},
		{"not AF_UNIX", []string{`"arg0 != AF_UNIX"`}, true},
		{"above AF_UNIX", []string{`"arg0 > AF_UNIX"`}, true},
		{"AF_INET alone", []string{`"arg0 == AF_INET"`}, false},
		{"AF_PACKET alone", []string{`"arg0 == AF_PACKET"`}, false},
		{"AF_ALG", []string{`"arg0 == AF_ALG"`}, false},
		{"SOCK_RAW", []string{`"arg1 == SOCK_RAW"`}, false},
		{"AF_INET and a type", []string{`"arg0 == AF_INET", "arg1 == SOCK_RAW"`, `"arg0 == AF_INET6"`}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "default: allow\nrules:\n"
			for _, w := range tc.whens {
				src += "  - {action: errno(EACCES), syscalls: [socket], when: [" + w + "]}\n"
			}
			d := mustDecide(t, mustCompile(t, src))
			var got []string
			for _, in := range d.Intents() {
				got = append(got, in.Class.Name+"/"+in.Trigger)
			}
			want := []string{"network/socket", "process-inspect/socket"}
			if !tc.intent {
				want = nil
			}
			if !slices.Equal(got, want) {
				t.Fatalf("intents %q, want %q", got, want)
			}
			if !tc.intent {
				return
			}
			h, _ := mustHarden(t, mustCompile(t, src))
			hd := mustDecide(t, h)
			if !hd.DeniesFamilies([]uint64{unix.AF_UNIX, unix.AF_NETLINK}) || hd.Verdict("connect") != Denied || len(hd.OpenFamilies()) != 0 {
				t.Errorf("hardened: connect %v, families open %q", hd.Verdict("connect"), hd.OpenFamilies())
			}
			if a, _ := hd.RuleDenial("connect"); a != (Action{Kind: Errno, Ret: uint(unix.EACCES)}) {
				t.Errorf("connect denied with %v, want the family rule's errno(EACCES)", a)
			}
		})
	}
}

// TestOpenFamilies: lint's question "which network families does socket
// let through" is asked of every family, with the type's flags and the
// argument's upper half set, so that no condition on one of them hides the
// rest.
func TestOpenFamilies(t *testing.T) {
	for _, tc := range []struct {
		name, rules string
		want        []string
	}{
		{"three denied", `[{action: errno(EPERM), syscalls: [socket], when: ["arg0 & 0xffffffff == AF_INET"]}, {action: errno(EPERM), syscalls: [socket], when: ["arg0 & 0xffffffff == AF_INET6"]}, {action: errno(EPERM), syscalls: [socket], when: ["arg0 & 0xffffffff == AF_PACKET"]}]`, nil},
		{"unmasked", `[{action: errno(EPERM), syscalls: [socket], when: ["arg0 == AF_INET"]}]`, []string{"AF_INET"}},
		{"raw type only", `[{action: errno(EPERM), syscalls: [socket], when: ["arg1 & 0xffffffff == SOCK_RAW"]}]`, []string{"AF_INET"}},
		{"unix only", `[{action: allow, syscalls: [socket], when: ["arg0 & 0xffffffff == AF_UNIX"]}]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			def := "allow"
			if tc.name == "unix only" {
				def = "errno(EPERM)"
			}
			d := mustDecide(t, mustCompile(t, "default: "+def+"\nrules: "+tc.rules+"\n"))
			open := d.OpenFamilies()
			if tc.want == nil {
				if tc.name == "three denied" {
					if slices.Contains(open, "AF_INET") || !slices.Contains(open, "AF_XDP") || !slices.Contains(open, "AF_VSOCK") {
						t.Errorf("open %q, want AF_XDP and AF_VSOCK without AF_INET", open)
					}
				} else if len(open) != 0 {
					t.Errorf("open %q, want none", open)
				}
				return
			}
			if !slices.Contains(open, tc.want[0]) {
				t.Errorf("open %q, want %q among them", open, tc.want)
			}
		})
	}
}

// TestFlagEscapable: a denial's comparison of socket's or socketpair's
// type that includes the flag bits is slipped past with SOCK_NONBLOCK or
// SOCK_CLOEXEC; one on the type's bits alone, an allow, or another
// argument is not.
func TestFlagEscapable(t *testing.T) {
	deny := Action{Kind: Errno, Ret: 1}
	for _, tc := range []struct {
		name string
		a    Action
		c    Cond
		want string // the condition on the type's bits; "" when not escapable
	}{
		{"socket", deny, Cond{Arg: 1, Op: OpEQ, Value: unix.SOCK_RAW}, "arg1 & 15 == 3"},
		{"socketpair", deny, Cond{Arg: 1, Op: OpMaskedEQ, Mask: 0xffffffff, Value: unix.SOCK_DGRAM}, "arg1 & 15 == 2"},
		{"socket", deny, Cond{Arg: 1, Op: OpMaskedEQ, Mask: 0xf, Value: unix.SOCK_RAW}, ""},
		{"socket", deny, Cond{Arg: 1, Op: OpEQ, Value: unix.SOCK_RAW | unix.SOCK_NONBLOCK}, ""},
		{"socket", Action{Kind: Allow}, Cond{Arg: 1, Op: OpEQ, Value: unix.SOCK_RAW}, ""},
		{"socket", deny, Cond{Arg: 0, Op: OpEQ, Value: unix.AF_INET}, ""},
		{"bind", deny, Cond{Arg: 1, Op: OpEQ, Value: 3}, ""},
	} {
		got, ok := FlagEscapable(tc.name, tc.a, tc.c)
		if ok != (tc.want != "") || ok && got.String() != tc.want {
			t.Errorf("%s %v %q: %q, %v; want %q", tc.name, tc.a, tc.c.String(), got.String(), ok, tc.want)
		}
		if ok {
			for _, flags := range []uint64{0, unix.SOCK_NONBLOCK, unix.SOCK_CLOEXEC, unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC} {
				if !got.Matches(tc.c.Value&0xf | flags) {
					t.Errorf("%q misses the type with flags %#x", got.String(), flags)
				}
			}
		}
	}
}
