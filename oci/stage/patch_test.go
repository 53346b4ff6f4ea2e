package stage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// The helper mode of the test binary: patch the bundle in $patchEnv with
// patchProfiles[$patchProfileEnv], killing itself at step $patchKillEnv.
const (
	patchEnv        = "STAGE_TEST_PATCH_BUNDLE"
	patchProfileEnv = "STAGE_TEST_PATCH_PROFILE"
	patchKillEnv    = "STAGE_TEST_PATCH_KILL_AT"
	patchBinEnv     = "STAGE_TEST_PATCH_BINARY"
)

func TestMain(m *testing.M) {
	program.Init() // the export child of program.Export (intersect_bpf_test.go)
	if dir, ok := os.LookupEnv(patchEnv); ok {
		os.Exit(patchHelper(dir))
	}
	os.Exit(m.Run())
}

func patchHelper(dir string) int {
	i, _ := strconv.Atoi(os.Getenv(patchProfileEnv))
	if at := os.Getenv(patchKillEnv); at != "" {
		testStep = func(s string) {
			if s == at {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
	}
	bin := os.Getenv(patchBinEnv)
	_, err := Patch(dir, patchProfiles()[i], PatchOptions{LateBinary: func() (string, error) { return bin, nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// patchProfiles are the profiles the tests patch in: most need a late
// stage (they deny openat), each denies a syscall of its own, and the
// last needs none.
func patchProfiles() []*specs.LinuxSeccomp {
	var out []*specs.LinuxSeccomp
	for _, other := range []string{"mkdir", "rmdir", "chdir", "chmod", "chown", "link", "unlink", "rename", "symlink"} {
		out = append(out, profile(specs.ActAllow, rule(specs.ActErrno, "openat", other)))
	}
	return append(out, profile(specs.ActAllow, rule(specs.ActErrno, "connect")))
}

const patchConfig = `{
	"ociVersion": "1.0.2-dev",
	"process": {
		"args": ["/app", "-x"],
		"noNewPrivileges": true
	},
	"root": {"path": "rootfs"},
	"linux": {}
}
`

// patchBundle makes a bundle and a stand-in for the static oci-sbx.
func patchBundle(t *testing.T) (dir, bin string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "bundle")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(patchConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(root, "oci-sbx-static")
	if err := os.WriteFile(bin, []byte("a static oci-sbx\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// runsAs returns which of patchProfiles runc would run the bundle with,
// -1 for the bundle as it was before any patch, or an error when it
// would run anything else: linux.seccomp from one plan and the late
// profile from another, or a late stage whose files are missing or
// incomplete.
func runsAs(dir, bin string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return 0, err
	}
	if string(data) == patchConfig {
		return -1, nil
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return 0, fmt.Errorf("config.json: %w", err)
	}
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return 0, errors.New("config.json changed, without linux.seccomp")
	}
	binData, _ := os.ReadFile(bin)
	for i, p := range patchProfiles() {
		plan, err := Make(p, Options{NoNewPrivileges: true})
		if err != nil {
			return 0, err
		}
		if convert.Equal(s.Linux.Seccomp, plan.Seccomp) != nil {
			continue
		}
		name, late := LateProfile(s.Process.Args)
		if late != (plan.Late != nil) {
			return 0, fmt.Errorf("linux.seccomp of profile %d, late stage %v", i, late)
		}
		if !late {
			if !slices.Equal(s.Process.Args, []string{"/app", "-x"}) {
				return 0, fmt.Errorf("profile %d, args %q", i, s.Process.Args)
			}
			return i, nil
		}
		if name != plan.Late.File.Name {
			return 0, fmt.Errorf("linux.seccomp of profile %d, the late stage runs %s", i, name)
		}
		got, err := os.ReadFile(filepath.Join(dir, DirName, name))
		if err != nil || !bytes.Equal(got, plan.Late.File.Data) {
			return 0, fmt.Errorf("profile %d: the late profile %s is missing or differs: %v", i, name, err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, DirName, BinaryName)); err != nil || !bytes.Equal(got, binData) {
			return 0, fmt.Errorf("profile %d: the late stage's binary is missing or differs: %v", i, err)
		}
		return i, nil
	}
	return 0, fmt.Errorf("linux.seccomp is no profile's: %+v", s.Linux.Seccomp)
}

// leftovers lists what a patch's collection should have removed.
func leftovers(t *testing.T, dir string, want int) []string {
	t.Helper()
	keep := map[string]bool{LockName: true}
	plan, err := Make(patchProfiles()[want], Options{NoNewPrivileges: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Late != nil {
		keep[plan.Late.File.Name], keep[BinaryName] = true, true
	}
	var out []string
	entries, err := os.ReadDir(filepath.Join(dir, DirName))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			out = append(out, e.Name())
		}
	}
	return out
}

// replacedOnly reports whether leftovers can be the files of one config:
// one profile, the binary and the socket's file.
func replacedOnly(leftovers []string) bool {
	profiles := 0
	for _, n := range leftovers {
		switch {
		case strings.HasPrefix(n, ProfilePrefix):
			profiles++
		case n != BinaryName && n != AgentSocketName:
			return false
		}
	}
	return profiles <= 1
}

func patchChild(dir, bin string, profile int, killAt string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), patchEnv+"="+dir, patchProfileEnv+"="+strconv.Itoa(profile), patchBinEnv+"="+bin)
	if killAt != "" {
		cmd.Env = append(cmd.Env, patchKillEnv+"="+killAt)
	}
	return cmd
}

// A patch killed at each of its steps leaves the bundle running the
// earlier profile or the new one, never a mix; the next patch cleans up.
func TestPatchKilledAtEachStep(t *testing.T) {
	steps := []string{"locked", "profile written", "binary written", "files written", "committed"}
	profiles := patchProfiles()
	last := len(profiles) - 1
	for _, from := range []int{-1, 0, last} {
		for _, to := range []int{1, last} {
			for _, at := range steps {
				if to == last && strings.HasSuffix(at, " written") && at != "files written" {
					continue // no late stage: no late files
				}
				dir, bin := patchBundle(t)
				if from >= 0 {
					if out, err := patchChild(dir, bin, from, "").CombinedOutput(); err != nil {
						t.Fatalf("%v\n%s", err, out)
					}
				}
				err := patchChild(dir, bin, to, at).Run()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("from %d to %d at %q: the child was not killed: %v", from, to, at, err)
				}
				got, err := runsAs(dir, bin)
				if err != nil {
					t.Fatalf("from %d to %d, killed at %q: %v", from, to, at, err)
				}
				want := from
				if at == "committed" {
					want = to
				}
				if got != want {
					t.Errorf("from %d to %d, killed at %q: runs as %d", from, to, at, got)
				}
				// The next patch completes and collects what the
				// killed one left.
				if out, err := patchChild(dir, bin, 2, "").CombinedOutput(); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				if got, err := runsAs(dir, bin); err != nil || got != 2 {
					t.Errorf("after the next patch: %d, %v", got, err)
				}
				if l := leftovers(t, dir, 2); !replacedOnly(l) {
					t.Errorf("from %d to %d, killed at %q: left behind %v, more than the replaced config's profile", from, to, at, l)
				}
				// The replaced config's files stay one patch longer.
				if out, err := patchChild(dir, bin, 2, "").CombinedOutput(); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				if l := leftovers(t, dir, 2); len(l) > 0 {
					t.Errorf("from %d to %d, killed at %q: left behind %v", from, to, at, l)
				}
			}
		}
	}
}

// SIGKILL at random moments of a patch between two late stages.
func TestPatchKilledAnyMoment(t *testing.T) {
	dir, bin := patchBundle(t)
	start := time.Now()
	if out, err := patchChild(dir, bin, 0, "").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	span := time.Since(start)
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[int]int{}
	for i := range 60 {
		to := 1 + i%2 // alternate, so that every kill has something to change
		cmd := patchChild(dir, bin, to, "")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.Int64N(int64(span))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		got, err := runsAs(dir, bin)
		if err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		seen[got]++
	}
	t.Logf("runs as profile (count) after 60 kills within %v: %v", span, seen)
}

// Concurrent patches of one bundle with different profiles: the bundle
// runs as exactly one of them, with only that one's files left, and those
// of the config its patch replaced, which the next patch removes.
func TestPatchRace(t *testing.T) {
	profiles := patchProfiles()
	rounds := 8
	if testing.Short() {
		rounds = 2
	}
	for round := range rounds {
		dir, bin := patchBundle(t)
		var wg sync.WaitGroup
		errs := make([]error, len(profiles))
		for i := range profiles {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := patchChild(dir, bin, i, "").CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("%v: %s", err, out)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		got, err := runsAs(dir, bin)
		if err != nil || got < 0 {
			t.Fatalf("round %d: %d, %v", round, got, err)
		}
		if l := leftovers(t, dir, got); !replacedOnly(l) {
			t.Errorf("round %d: left behind %v, more than the replaced config's files", round, l)
		}
		if out, err := patchChild(dir, bin, got, "").CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if l := leftovers(t, dir, got); len(l) > 0 {
			t.Errorf("round %d: left behind %v", round, l)
		}
	}
}

// A write that fails midway (the binary's name taken by a directory)
// fails the patch and leaves the bundle running as before.
func TestPatchFailsMidway(t *testing.T) {
	dir, bin := patchBundle(t)
	find := func() (string, error) { return bin, nil }
	if _, err := Patch(dir, patchProfiles()[len(patchProfiles())-1], PatchOptions{LateBinary: find}); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, DirName, BinaryName), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Patch(dir, patchProfiles()[0], PatchOptions{LateBinary: find})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("patch over a directory: %v", err)
	}
	if got, err := runsAs(dir, bin); err != nil || got != len(patchProfiles())-1 {
		t.Errorf("after the failure: %d, %v", got, err)
	}
	if err := os.Remove(filepath.Join(dir, DirName, BinaryName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Patch(dir, patchProfiles()[0], PatchOptions{LateBinary: find}); err != nil {
		t.Fatal(err)
	}
	if got, err := runsAs(dir, bin); err != nil || got != 0 {
		t.Errorf("after the retry: %d, %v", got, err)
	}
	if l := leftovers(t, dir, 0); len(l) > 0 {
		t.Errorf("left behind %v", l)
	}
}
