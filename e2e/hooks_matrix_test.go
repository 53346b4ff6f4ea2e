//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci"
)

// The calls the matrix probes, and the errnos only a filter gives them
// (with the calls program's arguments the kernel answers EFAULT, EBADF or
// EINVAL, never these).
var (
	matrixCalls   = []string{"openat", "mkdirat", "mkdirat@6", "unlinkat", "unlinkat@5", "unlinkat@7", "symlinkat", "linkat", "add_key", "faccessat", "connect"}
	filterErrnos  = map[string]bool{"EPERM": true, "EACCES": true, "ENOSYS": true, "EROFS": true, "EXDEV": true}
	matrixEngines = map[string]string{
		// A Localhost denylist with its own errno.
		"denylist-eacces": `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
			{"names": ["mkdirat", "add_key"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`,
		// Conditions on the descriptor argument.
		"conditions": `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
			{"names": ["unlinkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
			{"names": ["mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 6, "op": "SCMP_CMP_EQ"}]}]}`,
		// Actions between errno and allow: log, and trace with no tracer
		// (the kernel answers ENOSYS).
		"log-trace": `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
			{"names": ["symlinkat", "mkdirat"], "action": "SCMP_ACT_LOG"},
			{"names": ["faccessat"], "action": "SCMP_ACT_TRACE"},
			{"names": ["linkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}`,
	}
	// Inline rules an annotation gives: one runc cannot start under (a
	// late stage), one it can, and one with conditions.
	matrixAnnotations = map[string]string{
		"late":       `{default: allow, rules: [{action: errno(EPERM), syscalls: [openat, mkdirat]}]}`,
		"early":      `{default: allow, rules: [{action: errno(EPERM), syscalls: [unlinkat, add_key, linkat, faccessat]}]}`,
		"conditions": `{default: allow, rules: [{action: errno(EXDEV), syscalls: [unlinkat], when: ["arg0 == 7"]}, {action: errno(EACCES), syscalls: [symlinkat, connect]}]}`,
	}
)

// TestHookEngineMatrix runs, for every engine profile × annotation
// profile above, the calls program under the engine's profile alone,
// under the annotation's alone and under both through the precreate hook,
// with runc and the kernel, and checks each call's answer against the
// rule, derived from the two runs alone: a call either denies gets that
// denial (the annotation's when both deny with an errno, as stacked
// filters answer), and a call both let through gets the kernel's answer.
// Whether the hook wrote the exact intersection or stacked the filters,
// the container is never less confined than under either profile.
func TestHookEngineMatrix(t *testing.T) {
	testutil.RequireRoot(t)
	runc := requireTool(t, "runc")
	dir := t.TempDir()
	bin := filepath.Join(dir, "oci-sbx")
	buildStatic(t, bin) // the hook, and the late stage's binary
	_, rootfs := callsRootfs(t, dir)
	late := filepath.Join(dir, "late")

	// run makes a bundle with the engine's profile (none for ""), passes
	// it through the hook with the annotation's rules (none for ""), runs
	// it and returns each call's answer.
	run := func(t *testing.T, engine, rules string) map[string]string {
		t.Helper()
		bundle := filepath.Join(t.TempDir(), "bundle")
		var opts []oci.SpecOpt
		if engine != "" {
			var s specs.LinuxSeccomp
			if err := json.Unmarshal([]byte(engine), &s); err != nil {
				t.Fatal(err)
			}
			opts = append(opts, oci.WithSeccomp(&s))
		}
		if rules != "" {
			opts = append(opts, func(e *oci.Editor) error { return e.Set(rules, "annotations", "io.oci-sbx.rules") })
		}
		runcBundle(t, runc, bundle, rootfs, append([]string{"/calls"}, matrixCalls...), opts...)
		if rules != "" {
			stderr := hookPrecreate(t, bin, bundle, "--late-dir", late, "--log", filepath.Join(dir, "hook.log"))
			t.Logf("hook precreate:\n%s", stderr)
		}
		code, out, timedOut := runcRun(t, runc, bundle, time.Minute)
		if code != 0 || timedOut {
			t.Fatalf("runc run: exit status %d (timed out %v)\n%s", code, timedOut, out)
		}
		return callAnswers(t, out)
	}

	checkEngineMatrix(t, run, func() string {
		log, _ := os.ReadFile(filepath.Join(dir, "hook.log"))
		return fmt.Sprintf("hook log:\n%s", log)
	})
}

// checkEngineMatrix runs the calls program through run under each engine
// profile alone, each annotation's rules alone ("" for none), then under
// every pair, and checks that no pair is weaker than either alone. When
// a pair fails, the test logs what failLog returns (a back-end's log).
func checkEngineMatrix(t *testing.T, run func(t *testing.T, engine, rules string) map[string]string, failLog func() string) {
	t.Helper()
	engineProfiles := matrixEngineProfiles(t)
	engines := map[string]map[string]string{}
	for name, profile := range engineProfiles {
		engines[name] = run(t, profile, "")
	}
	alone := map[string]map[string]string{}
	for name, rules := range matrixAnnotations {
		alone[name] = run(t, "", rules)
	}
	for en, engine := range engineProfiles {
		for an, rules := range matrixAnnotations {
			t.Run(en+"×"+an, func(t *testing.T) {
				checkNeverWeaker(t, run(t, engine, rules), engines[en], alone[an])
				if t.Failed() {
					t.Log(failLog())
				}
			})
		}
	}
}

// matrixEngineProfiles returns matrixEngines and Podman 4.3.1's default,
// as it puts it into config.json: an allowlist, default errno(ENOSYS),
// with conditions.
func matrixEngineProfiles(t *testing.T) map[string]string {
	t.Helper()
	podman, err := os.ReadFile(filepath.Join(testutil.Root(t), "oci", "stage", "testdata", "podman-4.3.1-default.json"))
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string]string{"podman-default": string(podman)}
	for name, p := range matrixEngines {
		engines[name] = p
	}
	return engines
}

// checkNeverWeaker checks the answers of the calls under both profiles
// against those under the engine's alone and the annotation's alone: a
// call the annotation denies with an errno gets that errno (the newest
// filter's, when both deny), any other the engine's answer — its denial,
// or the kernel's answer to a call both let through.
func checkNeverWeaker(t *testing.T, got, engine, annotation map[string]string) {
	t.Helper()
	for _, c := range matrixCalls {
		e, a := engine[c], annotation[c]
		want := e
		if filterErrnos[a] {
			want = a
		}
		if got[c] != want {
			t.Errorf("%s: %s, want %s (engine alone %s, annotation alone %s)", c, got[c], want, e, a)
		}
	}
}

// callAnswers reads the calls program's output: each call's answer. A
// call without one fails the test.
func callAnswers(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if call, errno, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			got[call] = errno
		}
	}
	for _, c := range matrixCalls {
		if got[c] == "" {
			t.Fatalf("no answer for %s in\n%s", c, out)
		}
	}
	return got
}
