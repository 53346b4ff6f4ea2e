//go:build cgo && seccomp

package libseccompc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	seccomp "github.com/seccomp/libseccomp-golang"

	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// pfcPrelude turns a program's seccomp_load into an export of the filter
// as libseccomp's pseudo filter code, so the program can run here without
// loading anything.
const pfcPrelude = `#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>
static int sbx_export_pfc(scmp_filter_ctx ctx) { return seccomp_export_pfc(ctx, STDOUT_FILENO); }
#define seccomp_load sbx_export_pfc
`

// TestAgainstLibseccomp compiles C programs with gcc, runs them with
// seccomp_load replaced by seccomp_export_pfc, and compares libseccomp's
// filter with the one this reader's rules build through libseccomp: the
// reader must take the rules the program's filter holds, no more, no
// fewer, in the same way.
func TestAgainstLibseccomp(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatal("the seccomp build needs gcc, which is missing")
	}
	programs := map[string]string{}
	for _, src := range straightWayPrograms() {
		programs[src.name] = src.src
	}
	programs["demo"] = string(readDemoC(t))
	// Repeated rules for one syscall, which libseccomp keeps its own way.
	add := func(act, sys string, conds ...string) string {
		return "seccomp_rule_add(ctx, " + act + ", SCMP_SYS(" + sys + "), " + string(rune('0'+len(conds))) + strings.Join(append([]string{""}, conds...), ", ") + ");"
	}
	programs["first unconditional decides"] = lscWrap("SCMP_ACT_ALLOW", add("SCMP_ACT_ERRNO(EPERM)", "openat"), add("SCMP_ACT_ERRNO(EACCES)", "openat"))
	programs["conditional after unconditional"] = lscWrap("SCMP_ACT_ALLOW", add("SCMP_ACT_ERRNO(EPERM)", "read"), add("SCMP_ACT_KILL", "read", "SCMP_A0(SCMP_CMP_EQ, 3)"))
	programs["unconditional replaces conditional"] = lscWrap("SCMP_ACT_ALLOW", add("SCMP_ACT_ERRNO(EPERM)", "read", "SCMP_A0(SCMP_CMP_EQ, 3)"),
		add("SCMP_ACT_ERRNO(EACCES)", "read", "SCMP_A0(SCMP_CMP_EQ, 4)"), add("SCMP_ACT_KILL", "read"))
	programs["the same rule twice"] = lscWrap("SCMP_ACT_ALLOW", add("SCMP_ACT_ERRNO(EPERM)", "read", "SCMP_A0(SCMP_CMP_EQ, 3)"), add("SCMP_ACT_ERRNO(EPERM)", "read", "SCMP_A0(SCMP_CMP_EQ, 3)"))
	programs["masked and 32-bit"] = lscWrap("SCMP_ACT_KILL_PROCESS", add("SCMP_ACT_ALLOW", "openat", "SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY)"),
		add("SCMP_ACT_ALLOW", "write", "SCMP_A0_32(SCMP_CMP_EQ, STDOUT_FILENO)"), add("SCMP_ACT_ALLOW", "read", "SCMP_A2(SCMP_CMP_LE, SSIZE_MAX)"))
	dir := t.TempDir()
	for name, src := range programs {
		t.Run(name, func(t *testing.T) {
			p, err := Parse("t.c", []byte(src), nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			c := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".c")
			if err := os.WriteFile(c, []byte(pfcPrelude+src), 0o600); err != nil {
				t.Fatal(err)
			}
			bin := strings.TrimSuffix(c, ".c")
			if out, err := exec.Command(cc, "-w", "-o", bin, c, "-lseccomp").CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			// The demo takes the program to run; /bin/true ends it.
			cmd := exec.Command(bin, "/bin/true")
			want, err := cmd.Output()
			if err != nil && len(want) == 0 {
				t.Fatalf("running the program: %v", err)
			}
			got := pfcOf(t, p)
			if !bytes.Equal(got, want) {
				t.Errorf("the rules read build\n%s\nthe program builds\n%s", got, want)
			}
		})
	}
}

// pfcOf builds the profile's filter with libseccomp and exports it. It
// adds the rules last to first: the reader's rules must mean the same in
// any order (libseccomp's own order-dependent handling of repeated rules
// already applied), so a reader that left it to libseccomp fails here.
func pfcOf(t *testing.T, p *rules.Profile) []byte {
	t.Helper()
	f, err := seccomp.NewFilter(scmpAction(t, p.Default))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	for _, r := range slices.Backward(p.Rules) {
		var conds []seccomp.ScmpCondition
		for _, c := range r.When {
			var cond seccomp.ScmpCondition
			if c.Op == rules.OpMaskedEQ {
				cond, err = seccomp.MakeCondition(c.Arg, seccomp.CompareMaskedEqual, c.Mask, c.Value)
			} else {
				cond, err = seccomp.MakeCondition(c.Arg, scmpOps[c.Op], c.Value)
			}
			if err != nil {
				t.Fatal(err)
			}
			conds = append(conds, cond)
		}
		for _, n := range slices.Backward(r.Syscalls) {
			nr, err := seccomp.GetSyscallFromName(n.Name)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.AddRuleConditional(nr, scmpAction(t, r.Action), conds); err != nil {
				t.Fatalf("adding %s: %v", n.Name, err)
			}
		}
	}
	out, err := os.CreateTemp(t.TempDir(), "pfc")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := f.ExportPFC(out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var scmpOps = map[rules.Op]seccomp.ScmpCompareOp{
	rules.OpEQ: seccomp.CompareEqual, rules.OpNE: seccomp.CompareNotEqual, rules.OpLT: seccomp.CompareLess,
	rules.OpLE: seccomp.CompareLessOrEqual, rules.OpGT: seccomp.CompareGreater, rules.OpGE: seccomp.CompareGreaterEqual,
}

func scmpAction(t *testing.T, a rules.Action) seccomp.ScmpAction {
	t.Helper()
	switch a.Kind {
	case rules.Allow:
		return seccomp.ActAllow
	case rules.Errno:
		return seccomp.ActErrno.SetReturnCode(int16(a.Ret))
	case rules.KillThread:
		return seccomp.ActKillThread
	case rules.KillProcess:
		return seccomp.ActKillProcess
	case rules.Trap:
		return seccomp.ActTrap
	case rules.Log:
		return seccomp.ActLog
	case rules.Trace:
		return seccomp.ActTrace.SetReturnCode(int16(a.Ret))
	case rules.Notify:
		return seccomp.ActNotify
	}
	t.Fatalf("no libseccomp action for %v", a)
	return 0
}
