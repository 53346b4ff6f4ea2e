//go:build linux && cgo && seccomp

package program_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/conversion"
	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/merge"
	"github.com/oci-sbx/oci-sbx/convert/rules"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// The property test's size: a few cases in CI, thousands by hand
// (go test -tags seccomp ./oci/program -run TestFormatsKeepMeaning
// -formats.cases 3000 -formats.seed 7).
var (
	formatsCases   = flag.Int("formats.cases", 10, "random profiles TestFormatsKeepMeaning converts")
	formatsVerbose = flag.Bool("formats.v", false, "log each refusal of TestFormatsKeepMeaning")
	formatsSeed    = flag.Uint64("formats.seed", 1, "seed of TestFormatsKeepMeaning's profiles")
	formatsOnly    = flag.Int("formats.only", -1, "check only this case of TestFormatsKeepMeaning (to reproduce one)")
)

// TestFormatsKeepMeaning converts random profiles of tricky shapes from
// every input format to every output format, and back, and holds each
// written profile to the meaning runc's loader gives the input: the
// exported programs (real libseccomp) must answer every case alike, or
// convert must name each syscall whose answer changed in a warning, or
// refuse. --harden may only make answers stricter, and merge of a
// profile with itself means the profile.
func TestFormatsKeepMeaning(t *testing.T) {
	n := *formatsCases
	if testing.Short() {
		n = min(n, 4)
	}
	h := &harness{t: t, progs: map[string]progOrErr{}}
	r := rand.New(rand.NewPCG(*formatsSeed, 0x5eed))
	stats := map[string]int{}
	for i := range n {
		s := randomProfile(r)
		if *formatsOnly >= 0 && i != *formatsOnly {
			continue
		}
		h.check(fmt.Sprintf("case %d", i), s, stats)
		if t.Failed() && h.failures > 30 {
			t.Fatalf("stopping after %d failures", h.failures)
		}
	}
	t.Logf("%d profiles, %d exports; %v", n, len(h.progs), stats)
}

// Regression shapes the random test once found.
func TestFormatsKeepMeaningShapes(t *testing.T) {
	h := &harness{t: t, progs: map[string]progOrErr{}}
	stats := map[string]int{}
	for name, src := range formatShapes {
		var s specs.LinuxSeccomp
		if err := json.Unmarshal([]byte(src), &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h.check(name, &s, stats)
	}
	t.Logf("%v", stats)
}

// formatShapes are profiles (linux.seccomp JSON) that once lost meaning in
// some conversion.
var formatShapes = map[string]string{
	// A rule with the default action is dropped by runc from the filter
	// but counted by its ENOSYS stub: dropping it on conversion moved
	// the stub below prctl, and every call between answered ENOSYS
	// instead of killing.
	"a default-action rule sets the stub": `{"defaultAction": "SCMP_ACT_KILL", "syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["prctl", "socket"], "action": "SCMP_ACT_KILL", "args": [{"index": 2, "value": 39, "op": "SCMP_CMP_GE"}]}]}`,
	// The SeccompProfile writer lowered a compare above int64 to 32 bits
	// on an argument the kernel reads as 64 (here to "always"), naming
	// only the rule's first syscall; now it refuses.
	"spo lowers a mask on every name of the rule": `{"defaultAction": "SCMP_ACT_KILL", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
		{"names": ["mmap", "msgsnd"], "action": "SCMP_ACT_TRACE", "errnoRet": 2826, "args": [{"index": 0, "value": 18446744069414584320, "op": "SCMP_CMP_MASKED_EQ"}]}]}`,
	// On x86 libseccomp resolves socket to a pseudo number, so runc's
	// stub starts above mmap and answers socket ENOSYS, not kill: said.
	"the stub overrides a multiplexed call on x86": `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
		{"names": ["mmap", "socket"], "action": "SCMP_ACT_KILL_PROCESS"}]}`,
	// --harden turns a trace default into errno(EPERM), which brings the
	// stub in.
	"harden brings the stub in": `{"defaultAction": "SCMP_ACT_TRACE", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [
		{"names": ["socket", "mmap", "msgsnd"], "action": "SCMP_ACT_KILL_THREAD"}]}`,
	// --harden makes the default kill-process, which the kill-process
	// rule then equals: runc drops it, and the notify rule beside it
	// takes the calls both matched. Said, naming mprotect.
	"harden makes a denial equal the default": `{"defaultAction": "SCMP_ACT_KILL", "syscalls": [
		{"names": ["bind", "mprotect"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 2, "value": 16, "op": "SCMP_CMP_GE"}]},
		{"names": ["prctl", "ioctl", "mprotect"], "action": "SCMP_ACT_NOTIFY", "args": [{"index": 2, "value": 4294967295, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 18446744073709551615, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}]}`,
	// merge kept only the strictest of a call's denials, so the second
	// condition of runc's OR was lost.
	"merge keeps every denial": `{"defaultAction": "SCMP_ACT_KILL", "syscalls": [
		{"names": ["bind", "semop"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 9223372036854775809, "op": "SCMP_CMP_GT"}, {"index": 0, "value": 2147483648, "op": "SCMP_CMP_GE"}]},
		{"names": ["mmap", "connect", "bind"], "action": "SCMP_ACT_KILL_PROCESS"}]}`,
	// The precedence of the kill-thread rule split the errno rule for
	// ioctl into two that share "arg0 <= 0x7fffffff" and then compare
	// arg1 and arg2: libseccomp never finished adding the second.
	"rules libseccomp never finishes adding": `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
		{"names": ["socketcall", "ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4094, "args": [{"index": 0, "value": 2147483647, "op": "SCMP_CMP_LE"}]},
		{"names": ["ioctl", "semop"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 4294967298, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9223372036854775808, "op": "SCMP_CMP_LE"}]}]}`,
	// libseccomp 2.5.4 leaves the load of the syscall number out of the
	// aarch64 section: the input means less than it says, and --harden
	// (which wrote what it says) looked like a weakening.
	"libseccomp miscompiles aarch64": `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], "syscalls": [
		{"names": ["ipc"], "action": "SCMP_ACT_KILL_THREAD"},
		{"names": ["socketcall", "mmap"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 2, "op": "SCMP_CMP_LE"}, {"index": 2, "value": 8, "op": "SCMP_CMP_GT"}]}]}`,
	// The inputs list only foreign architectures, but runc adds the
	// machine's own, whose ENOSYS stub clone set: merge dropped the rule
	// with the default action that names it.
	"merge keeps the native stub's bound": `{"defaultAction":"SCMP_ACT_KILL","architectures":["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"],"syscalls":[{"names":["socket","mprotect"],"action":"SCMP_ACT_TRAP","args":[{"index":1,"value":4294967295,"op":"SCMP_CMP_GE"},{"index":0,"value":2147483648,"op":"SCMP_CMP_LE"}]},{"names":["clone"],"action":"SCMP_ACT_KILL_THREAD","args":[{"index":1,"value":2147483648,"op":"SCMP_CMP_LT"}]}]}`,
	// Rules of two actions overlap: runc keeps libseccomp's order, the
	// merged profile the stricter one; merge now says so.
	"merge says where overlapping rules change": `{"defaultAction":"SCMP_ACT_TRAP","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["msgsnd"],"action":"SCMP_ACT_TRACE","args":[{"index":1,"value":36,"op":"SCMP_CMP_NE"},{"index":2,"value":18446744073709551615,"op":"SCMP_CMP_LT"}]},{"names":["prctl","ptrace"],"action":"SCMP_ACT_KILL","args":[{"index":1,"value":1,"op":"SCMP_CMP_GE"},{"index":0,"value":4292985,"op":"SCMP_CMP_GE"}]},{"names":["msgsnd"],"action":"SCMP_ACT_ERRNO","errnoRet":2452,"args":[{"index":1,"value":9223372036854775808,"op":"SCMP_CMP_MASKED_EQ"},{"index":2,"value":894,"op":"SCMP_CMP_NE"}]},{"names":["recvfrom"],"action":"SCMP_ACT_TRAP","args":[{"index":1,"value":0,"op":"SCMP_CMP_GE"}]}]}`,
	// On arm, "arg0 & 1<<63 == 0" holds for every call, so libseccomp
	// keeps the conditional errno there before the unconditional notify,
	// which decides on x86_64: refused, as meaning one thing per width.
	"a condition always true on 32 bits": `{"defaultAction":"SCMP_ACT_TRAP","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"],"syscalls":[
		{"names":["clone","personality"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"args":[{"index":0,"value":9223372036854775808,"op":"SCMP_CMP_MASKED_EQ"},{"index":0,"value":9223372036854775808,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["openat","personality"],"action":"SCMP_ACT_NOTIFY"}]}`,
	// An input logs shmat under one condition and allows it under
	// another: merged, it is logged under both, and merge says so.
	"merge logs what an input logs": `{"defaultAction":"SCMP_ACT_KILL_PROCESS","architectures":["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"],"syscalls":[
		{"names":["shmat","write","socketpair"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":16,"op":"SCMP_CMP_EQ"},{"index":1,"value":16,"op":"SCMP_CMP_GE"}]},
		{"names":["shmat","ioctl"],"action":"SCMP_ACT_LOG","args":[{"index":1,"value":4294967295,"valueTwo":3517,"op":"SCMP_CMP_MASKED_EQ"}]}]}`,
	// --harden makes the default kill-process, which the conditional
	// kill-process denials of prctl then equal: runc drops them, and the
	// weaker errno denial beside them takes their calls. Said.
	"harden drops a denial beside a weaker one": `{"defaultAction":"SCMP_ACT_KILL","syscalls":[{"names":["mprotect","read"],"action":"SCMP_ACT_TRAP"},{"names":["openat","socketpair"],"action":"SCMP_ACT_KILL_THREAD","args":[{"index":2,"value":18446744069414584320,"op":"SCMP_CMP_MASKED_EQ"}]},{"names":["prctl"],"action":"SCMP_ACT_ERRNO","errnoRet":4094,"args":[{"index":2,"value":16,"op":"SCMP_CMP_GT"},{"index":1,"value":2,"op":"SCMP_CMP_LE"}]},{"names":["prctl","clone","shmat"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":2,"value":17,"op":"SCMP_CMP_NE"},{"index":2,"value":0,"op":"SCMP_CMP_EQ"}]},{"names":["msgsnd","semop"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":1,"value":8,"op":"SCMP_CMP_LE"},{"index":0,"value":2147483647,"op":"SCMP_CMP_EQ"}]}]}`,
	// On x86's 32-bit halves libseccomp makes two of these rules one
	// (EEXIST), so merge wrote a profile runc could not load.
	"x86 halves make two rules one": `{"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"], "syscalls": [
		{"names": ["semop"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_LT"}, {"index": 1, "value": 2, "op": "SCMP_CMP_NE"}]},
		{"names": ["semop"], "action": "SCMP_ACT_TRACE", "errnoRet": 95, "args": [{"index": 1, "value": 4294967295, "op": "SCMP_CMP_NE"}]}]}`,
}

type progOrErr struct {
	p   *filter.Program
	err error
}

type harness struct {
	t        *testing.T
	progs    map[string]progOrErr
	failures int
}

func (h *harness) errorf(format string, args ...any) {
	h.t.Helper()
	h.failures++
	h.t.Errorf(format, args...)
}

// export is the program runc's loader builds for s, cached by the
// profile's JSON.
func (h *harness) export(s *specs.LinuxSeccomp) (*filter.Program, error) {
	key, _ := json.Marshal(s)
	if c, ok := h.progs[string(key)]; ok {
		return c.p, c.err
	}
	b, err := program.Export(context.Background(), s)
	if errors.Is(err, context.DeadlineExceeded) {
		b, err = program.Export(context.Background(), s) // a busy machine
	}
	var p *filter.Program
	if err == nil {
		p, err = filter.Decode(b)
	}
	h.progs[string(key)] = progOrErr{p, err}
	return p, err
}

// written is one conversion's output.
type written struct {
	data  []byte
	warns []string
	err   error
}

func (h *harness) convert(name string, data []byte, from, to convert.Format, harden bool) written {
	var out written
	add := func(m string) { out.warns = append(out.warns, m) }
	var buf bytes.Buffer
	out.err = conversion.Convert(&buf, name, data, conversion.Options{
		Read: convert.Options{Warn: add, Check: check}, From: from, To: to, Harden: harden, Note: add, Alert: add,
		Write: func(w io.Writer, s *specs.LinuxSeccomp, to convert.Format, opt convert.Options) error {
			return program.Write(context.Background(), w, s, opt.Warn)
		},
	})
	out.data = buf.Bytes()
	return out
}

// load is the program runc loads for a written file of format f, and the
// profile (nil for bpf).
func (h *harness) load(data []byte, f convert.Format) (*filter.Program, *specs.LinuxSeccomp, error) {
	if f == convert.BPF {
		p, err := filter.Decode(data)
		return p, nil, err
	}
	from := f
	if f == convert.Kubernetes {
		from = convert.OCI
	}
	s, err := convert.Read("written", data, from, convert.Options{})
	if err != nil {
		return nil, nil, err
	}
	p, err := h.export(s)
	return p, s, err
}

// arches are the architectures compared: every one libseccomp knows.
var compareArches = filter.AllArches()

// unsaid returns the differences between want and got that no warning
// names.
func unsaid(diffs []filter.Difference, warns []string) []string {
	var out []string
	text := strings.Join(warns, "\n")
	for _, d := range diffs {
		name := filter.SyscallName(d.Case.Arch, d.Case.Nr)
		if name != "" && mentions(text, name) {
			continue
		}
		out = append(out, fmt.Sprintf("%s/%s: %v vs %v", d.Case.Arch, d, d.A.Action(), d.B.Action()))
	}
	return out
}

// saidUnreadable reports whether a warning carries the error reading
// the written rules back gives.
func saidUnreadable(warns []string, err error) bool {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:] // past the file name
	}
	if len(msg) > 40 {
		msg = msg[:40] // before the positions, which name the file
	}
	for _, w := range warns {
		if strings.Contains(w, msg) {
			return true
		}
	}
	return false
}

// mentions reports whether text names the syscall as a word.
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isNameByte(text[j-1])
		after := j+len(name) == len(text) || !isNameByte(text[j+len(name)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// inputs renders s in each input format whose meaning under runc is the
// profile's: OCI, Docker and SPO carry it as written; the libseccomp C
// program only where libseccomp's own filter means what runc's does.
func inputs(s *specs.LinuxSeccomp) map[convert.Format][]byte {
	raw, _ := json.Marshal(s)
	out := map[convert.Format][]byte{
		convert.OCI:    raw,
		convert.Docker: raw,
	}
	if s.DefaultErrnoRet == nil || *s.DefaultErrnoRet == 1 {
		// A SeccompProfile has no defaultErrnoRet.
		c := *s
		c.DefaultErrnoRet = nil
		raw, _ := json.Marshal(&c)
		out[convert.SPO] = []byte(`{"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile", "metadata": {"name": "p"}, "spec": ` + string(raw) + "}")
	}
	if c, ok := cProgram(s); ok {
		out[convert.LibseccompC] = c
	}
	return out
}

// check converts s every way and compares meanings.
func (h *harness) check(name string, s *specs.LinuxSeccomp, stats map[string]int) {
	t := h.t
	t.Helper()
	raw, _ := json.Marshal(s)
	want, err := h.export(s)
	if err != nil {
		stats["unloadable input"]++
		// A profile runc cannot load must not come out as one it can,
		// unless convert says why.
		w := h.convert(name, raw, convert.OCI, convert.OCI, false)
		if w.err == nil && len(w.warns) == 0 {
			if _, _, lerr := h.load(w.data, convert.OCI); lerr == nil {
				h.errorf("%s: runc cannot load the input (%v), convert wrote a loadable profile without a word\ninput: %s\nwritten: %s", name, err, raw, w.data)
			}
		}
		return
	}
	ins := inputs(s)
	// The rules input is what convert writes for the OCI input; its
	// meaning is checked below with the other outputs.
	if w := h.convert(name, raw, convert.OCI, convert.Rules, false); w.err == nil {
		ins[convert.Rules] = w.data
	}
	// Rules that extend the profile as a base, and say nothing else,
	// mean it.
	base := filepath.Join(h.t.TempDir(), "base.json")
	if err := os.WriteFile(base, raw, 0o644); err != nil {
		h.t.Fatal(err)
	}
	extends := []byte(fmt.Sprintf("extends: %q\n", base))
	for _, in := range []struct {
		label string
		from  convert.Format
	}{{"oci", convert.OCI}, {"docker", convert.Docker}, {"spo", convert.SPO}, {"libseccomp-c", convert.LibseccompC}, {"rules", convert.Rules}, {"rules-extends", convert.Rules}} {
		from := in.from
		data, ok := ins[from]
		if in.label == "rules-extends" {
			data, ok = extends, true
		}
		if !ok {
			continue
		}
		ref := want
		if in.label == "rules" {
			p, _, err := h.load(data, convert.Rules)
			if err != nil && saidUnreadable(h.convert(name, raw, convert.OCI, convert.Rules, false).warns, err) {
				continue
			}
			if err != nil {
				h.errorf("%s: the rules convert wrote do not load: %v\n%s", name, err, data)
				continue
			}
			ref = p
		}
		for _, to := range []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO, convert.Rules, convert.BPF} {
			tag := fmt.Sprintf("%s: %s→%s", name, in.label, to)
			w := h.convert(name, data, from, to, false)
			if w.err != nil {
				stats["refused "+in.label+"→"+string(to)]++
				if *formatsVerbose {
					h.t.Logf("%s refused: %v", tag, w.err)
				}
				continue
			}
			got, gs, err := h.load(w.data, to)
			if err != nil && to == convert.Rules && saidUnreadable(w.warns, err) {
				// The rules writer reads its output back and says
				// where the rules language refuses what runc accepts.
				stats["rules written with a warning that they do not read back"]++
				continue
			}
			if err != nil {
				h.errorf("%s: the written profile does not load: %v\ninput: %s\nwritten: %s", tag, err, data, w.data)
				continue
			}
			stats["converted"]++
			diffs := filter.Compare(ref, got, compareArches, s, gs)
			if u := unsaid(diffs, w.warns); len(u) > 0 {
				h.errorf("%s: meaning changed without a word:\n\t%s\ninput: %s\nwritten: %s\nwarnings: %q", tag, strings.Join(first(u, 8), "\n\t"), data, w.data, w.warns)
				continue
			}
			if len(diffs) == 0 && gs != nil && from != convert.LibseccompC {
				// The library's comparison must agree with the loader.
				in, err := convert.Read("input", data, from, convert.Options{})
				if err == nil {
					if err := convert.Equal(in, gs); err != nil {
						stats["Equal stricter than the loader"]++
					}
				}
			}
			if len(diffs) > 0 && gs != nil && from != convert.LibseccompC {
				in, err := convert.Read("input", data, from, convert.Options{})
				if err == nil && convert.Equal(in, gs) == nil {
					h.errorf("%s: format.Equal sees no difference, the loader does: %v\ninput: %s\nwritten: %s\nwarnings: %q", tag, first(unsaid(diffs, nil), 4), data, w.data, w.warns)
				}
			}
			// Back again: A→B→A.
			back := from
			if !slices.Contains(convert.OutputFormats, back) || to == convert.BPF {
				continue
			}
			readAs := to
			if to == convert.Kubernetes {
				readAs = convert.OCI
			}
			w2 := h.convert(name, w.data, readAs, back, false)
			if w2.err != nil {
				stats["refused back "+string(to)+"→"+string(back)]++
				continue
			}
			got2, gs2, err := h.load(w2.data, back)
			if err != nil && back == convert.Rules && saidUnreadable(w2.warns, err) {
				stats["rules written back with a warning that they do not read back"]++
				continue
			}
			if err != nil {
				h.errorf("%s→%s: the written profile does not load: %v\nwritten: %s", tag, back, err, w2.data)
				continue
			}
			diffs = filter.Compare(ref, got2, compareArches, s, gs2)
			if u := unsaid(diffs, append(w.warns, w2.warns...)); len(u) > 0 {
				h.errorf("%s→%s: meaning changed without a word:\n\t%s\ninput: %s\nwritten: %s\nwarnings: %q", tag, back, strings.Join(first(u, 8), "\n\t"), data, w2.data, append(w.warns, w2.warns...))
			}
		}
	}
	h.checkHarden(name, raw, want, s, stats)
	h.checkMerge(name, raw, want, s, stats)
}

// checkHarden: --harden only makes answers stricter.
func (h *harness) checkHarden(name string, raw []byte, want *filter.Program, s *specs.LinuxSeccomp, stats map[string]int) {
	w := h.convert(name, raw, convert.OCI, convert.OCI, true)
	if w.err != nil {
		stats["refused harden"]++
		return
	}
	got, gs, err := h.load(w.data, convert.OCI)
	if err != nil {
		h.errorf("%s: the hardened profile does not load: %v\n%s", name, err, w.data)
		return
	}
	bad := 0
	for _, arch := range compareArches {
		for _, c := range filter.Cases(arch, s, gs) {
			a, b := want.Run(c.Data()).Action(), got.Run(c.Data()).Action()
			// The masks on 32-bit arguments are a change --harden
			// names: the kernel reads only the lower half.
			if rules.Rank(b) < rules.Rank(a) && !mentions(strings.Join(w.warns, "\n"), filter.SyscallName(arch, c.Nr)) {
				if bad++; bad <= 5 {
					h.errorf("%s: --harden made %s/%s weaker: %v → %v\ninput: %s\nwritten: %s", name, arch, c, a, b, raw, w.data)
				}
			}
		}
	}
}

// checkMerge: the union of a profile with itself is the profile.
func (h *harness) checkMerge(name string, raw []byte, want *filter.Program, s *specs.LinuxSeccomp, stats map[string]int) {
	var buf bytes.Buffer
	var warns []string
	add := func(m string) { warns = append(warns, m) }
	in := merge.Input{Name: "a.json", Data: raw}
	err := merge.Profile(&buf, []merge.Input{in, in}, merge.Options{From: convert.OCI, Warn: add}, merge.Output{To: convert.OCI, Alert: add, Check: check})
	if err != nil {
		stats["refused merge"]++
		return
	}
	got, gs, err := h.load(buf.Bytes(), convert.OCI)
	if err != nil {
		h.errorf("%s: the merged profile does not load: %v\n%s", name, err, buf.Bytes())
		return
	}
	stats["merged"]++
	diffs := filter.Compare(want, got, compareArches, s, gs)
	if u := unsaid(diffs, warns); len(u) > 0 {
		h.errorf("%s: merge of a profile with itself changed its meaning:\n\t%s\ninput: %s\nwritten: %s\nwarnings: %q", name, strings.Join(first(u, 8), "\n\t"), raw, buf.Bytes(), warns)
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

// check is what the CLI holds every profile it writes to: runc's loader
// must build it, and build what it says.
func check(s *specs.LinuxSeccomp) error { return program.Check(context.Background(), s) }

// The pools the random profiles draw from.
var (
	archSets = [][]specs.Arch{
		nil,
		{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		{specs.ArchX86_64},
		{specs.ArchX86_64, specs.ArchX86},
		{specs.ArchAARCH64, specs.ArchARM},
		{specs.ArchX86_64, specs.ArchAARCH64, specs.ArchARM},
		{specs.ArchS390X},
		{specs.ArchX86},
	}
	callPool = []string{
		"socket", "personality", "openat", "read", "write", "connect", "sendto", "bind",
		"semop", "msgsnd", "shmat", "socketcall", "ipc", "clone", "ptrace", "mmap", "ioctl",
		"prctl", "kill", "setsockopt", "accept4", "recvfrom", "socketpair", "mprotect",
	}
	valuePool = []uint64{
		0, 1, 2, 3, 10, 16, 17, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 1<<32 | 2,
		0xffffffffffffff9c, 1<<63 - 1, 1 << 63, 1<<63 + 1, ^uint64(0), ^uint64(0) - 1, 0x0008, 0xff,
	}
	maskPool = []uint64{0xff, 0xf, 0xffffffff, 0xffffffff00000000, 1 << 63, ^uint64(0), 0x10, 0xfffffff0}
	opPool   = []specs.LinuxSeccompOperator{
		specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual,
	}
	errnoPool = []uint{0, 1, 13, 38, 95, 4094, 4095}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randomErrno(r *rand.Rand) uint {
	if r.IntN(4) == 0 {
		return uint(r.IntN(4095))
	}
	return pick(r, errnoPool[:len(errnoPool)-1])
}

func randomAction(r *rand.Rand, dflt bool) (specs.LinuxSeccompAction, *uint) {
	acts := []specs.LinuxSeccompAction{
		specs.ActAllow, specs.ActErrno, specs.ActErrno, specs.ActKill, specs.ActKillProcess,
		specs.ActKillThread, specs.ActTrap, specs.ActLog, specs.ActTrace, specs.ActNotify,
	}
	if dflt {
		acts = acts[:len(acts)-1] // runc refuses a notify default
	}
	a := pick(r, acts)
	switch a {
	case specs.ActErrno, specs.ActTrace:
		if r.IntN(5) > 0 {
			e := randomErrno(r)
			if r.IntN(40) == 0 {
				e = 4095
			}
			return a, &e
		}
	}
	return a, nil
}

func randomValue(r *rand.Rand) uint64 {
	if r.IntN(2) == 0 {
		return pick(r, valuePool[:10]) // 32-bit values
	}
	if r.IntN(6) == 0 {
		return r.Uint64() >> r.IntN(64)
	}
	return pick(r, valuePool)
}

func randomProfile(r *rand.Rand) *specs.LinuxSeccomp {
	s := &specs.LinuxSeccomp{Architectures: pick(r, archSets), Flags: []specs.LinuxSeccompFlag{}}
	var ret *uint
	s.DefaultAction, ret = randomAction(r, true)
	if s.DefaultAction == specs.ActErrno {
		s.DefaultErrnoRet = ret
	}
	for range 1 + r.IntN(5) {
		var rule specs.LinuxSyscall
		for range 1 + r.IntN(3) {
			n := pick(r, callPool)
			if !slices.Contains(rule.Names, n) {
				rule.Names = append(rule.Names, n)
			}
		}
		rule.Action, rule.ErrnoRet = randomAction(r, false)
		for range r.IntN(3) {
			a := specs.LinuxSeccompArg{Index: uint(r.IntN(3)), Op: pick(r, opPool), Value: randomValue(r)}
			if a.Op == specs.OpMaskedEqual {
				a.Value = pick(r, maskPool)
				a.ValueTwo = randomValue(r)
				if r.IntN(4) > 0 {
					a.ValueTwo &= a.Value
				}
			} else if r.IntN(20) == 0 {
				a.ValueTwo = randomValue(r)
			}
			rule.Args = append(rule.Args, a)
		}
		s.Syscalls = append(s.Syscalls, rule)
	}
	return s
}

// cProgram is s as a libseccomp C program, where libseccomp's own filter
// means what runc's does: no rule with the default's action (runc drops
// it, libseccomp refuses it), at most one condition per argument, and the
// same syscall never with two actions.
func cProgram(s *specs.LinuxSeccomp) ([]byte, bool) {
	act := func(a specs.LinuxSeccompAction, ret *uint) (string, bool) {
		switch a {
		case specs.ActAllow:
			return "SCMP_ACT_ALLOW", true
		case specs.ActErrno:
			e := uint(1)
			if ret != nil {
				e = *ret
			}
			return fmt.Sprintf("SCMP_ACT_ERRNO(%d)", e), true
		case specs.ActKill, specs.ActKillThread:
			return "SCMP_ACT_KILL", true
		case specs.ActKillProcess:
			return "SCMP_ACT_KILL_PROCESS", true
		case specs.ActTrap:
			return "SCMP_ACT_TRAP", true
		case specs.ActLog:
			return "SCMP_ACT_LOG", true
		}
		return "", false
	}
	def := s.DefaultErrnoRet
	dflt, ok := act(s.DefaultAction, def)
	if !ok {
		return nil, false
	}
	var b strings.Builder
	b.WriteString("#include <seccomp.h>\n\nint main(void)\n{\n\tscmp_filter_ctx ctx = seccomp_init(" + dflt + ");\n")
	for _, a := range s.Architectures {
		name := strings.ToUpper(strings.TrimPrefix(string(a), "SCMP_ARCH_"))
		fmt.Fprintf(&b, "\tseccomp_arch_add(ctx, SCMP_ARCH_%s);\n", name)
	}
	seen := map[string]bool{}
	for _, rule := range s.Syscalls {
		a, ok := act(rule.Action, rule.ErrnoRet)
		if !ok || a == dflt {
			return nil, false
		}
		var conds []string
		idx := map[uint]bool{}
		for _, c := range rule.Args {
			if idx[c.Index] || (c.ValueTwo != 0 && c.Op != specs.OpMaskedEqual) {
				return nil, false
			}
			idx[c.Index] = true
			if c.Op == specs.OpMaskedEqual {
				conds = append(conds, fmt.Sprintf("SCMP_A%d(%s, %#xULL, %#xULL)", c.Index, c.Op, c.Value, c.ValueTwo))
			} else {
				conds = append(conds, fmt.Sprintf("SCMP_A%d(%s, %#xULL)", c.Index, c.Op, c.Value))
			}
		}
		for _, n := range rule.Names {
			if seen[n] {
				return nil, false
			}
			seen[n] = true
			if len(conds) == 0 {
				fmt.Fprintf(&b, "\tseccomp_rule_add(ctx, %s, SCMP_SYS(%s), 0);\n", a, n)
			} else {
				fmt.Fprintf(&b, "\tseccomp_rule_add(ctx, %s, SCMP_SYS(%s), %d, %s);\n", a, n, len(conds), strings.Join(conds, ", "))
			}
		}
	}
	b.WriteString("\tseccomp_load(ctx);\n\treturn 0;\n}\n")
	return []byte(b.String()), true
}
