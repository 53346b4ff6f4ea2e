//go:build linux && cgo && seccomp

package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/convert/filter"
	"github.com/oci-sbx/oci-sbx/convert/syscalls"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
	"github.com/oci-sbx/oci-sbx/oci/program"
)

// TestMain serves as the export child of program.Export, which compiles
// the programs the cache keeps.
func TestMain(m *testing.M) {
	program.Init()
	os.Exit(m.Run())
}

func (c Counts) minus(d Counts) Counts {
	return Counts{c.Hits - d.Hits, c.Compiles - d.Compiles, c.Rejected - d.Rejected, c.Stores - d.Stores, c.Launches - d.Launches}
}

// get takes the program for s from the cache (compiling it on a miss) and
// says what it does to getppid.
func get(t *testing.T, s *specs.LinuxSeccomp) string {
	t.Helper()
	p, err := Get(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := filter.AuditArch(syscalls.NativeArch())
	if err != nil {
		t.Fatal(err)
	}
	return p.Prog.Run(filter.Data{Nr: unix.SYS_GETPPID, Arch: audit}).Action().String()
}

// TestCacheTampered: an entry that fails any check is rebuilt, never
// loaded, and the run still gets the right filter.
func TestCacheTampered(t *testing.T) {
	testutil.RequireRoot(t)
	s := testutil.Deny(unix.EPERM, "getppid")
	want := "errno(EPERM)"
	other := testutil.Deny(unix.EACCES, "getppid")

	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir, entry string)
	}{
		{"flipped byte", func(t *testing.T, dir, entry string) {
			edit(t, entry, func(b []byte) []byte {
				i := bytes.Index(b, []byte("\nprogram ")) + 20
				b[i] ^= 0x40
				return b
			})
		}},
		{"truncated", func(t *testing.T, dir, entry string) {
			edit(t, entry, func(b []byte) []byte { return b[:len(b)-30] })
		}},
		{"another profile's entry", func(t *testing.T, dir, entry string) {
			// Compiled for a profile that denies with EACCES, renamed
			// to this profile's name: valid, but for another key.
			testutil.RequireRoot(t) // the cache is root's only
			testutil.UseDir(t, Env, "")
			get(t, other)
			src := testutil.Entries(t, os.Getenv(Env))[0]
			data, err := os.ReadFile(filepath.Join(os.Getenv(Env), src))
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv(Env, dir)
			edit(t, entry, func([]byte) []byte { return data })
		}},
		{"consistent checksum, invalid program", func(t *testing.T, dir, entry string) {
			k, err := cacheKey(s)
			if err != nil {
				t.Fatal(err)
			}
			// A jump past the end: the kernel would refuse it.
			bad := make([]byte, 16)
			binary.NativeEndian.PutUint16(bad[0:], 0x05) // ja
			binary.NativeEndian.PutUint32(bad[4:], 7)
			binary.NativeEndian.PutUint16(bad[8:], 0x06) // ret
			edit(t, entry, func([]byte) []byte { return encodeProgram(k.text, bad) })
		}},
		{"symlink", func(t *testing.T, dir, entry string) {
			target := filepath.Join(t.TempDir(), "entry")
			if err := os.Rename(entry, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, entry); err != nil {
				t.Fatal(err)
			}
		}},
		{"readable by others", func(t *testing.T, dir, entry string) {
			if err := os.Chmod(entry, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testutil.PrivateDir(t)
			testutil.RequireRoot(t) // the cache is root's only
			testutil.UseDir(t, Env, dir)
			get(t, s)
			entry := filepath.Join(dir, testutil.Entries(t, dir)[0])
			good, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, dir, entry)

			before := Stats()
			if out := get(t, s); out != want {
				t.Errorf("got %q, want %q", out, want)
			}
			if got := Stats().minus(before); got != (Counts{Rejected: 1, Compiles: 1, Stores: 1}) {
				t.Errorf("cache did %+v, want the entry rejected and rebuilt", got)
			}
			fi, err := os.Lstat(entry)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Fatalf("rebuilt entry: %v, %v", fi, err)
			}
			k, err := cacheKey(s)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt, _ := os.ReadFile(entry)
			if _, err := decodeProgram(rebuilt, k.text); err != nil || !bytes.Equal(rebuilt, good) {
				t.Errorf("rebuilt entry differs from the first (%v)", err)
			}
		})
	}
}

func edit(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestEntryEncoding(t *testing.T) {
	key := []byte("build x\nprofile {}\n")
	prog := []byte("\x06\x00\x00\x00\x00\x00\xff\x7f")
	entry := encodeProgram(key, prog)
	if got, err := decodeProgram(entry, key); err != nil || !bytes.Equal(got, prog) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"empty":        {},
		"other key":    encodeProgram([]byte("build y\nprofile {}\n"), prog),
		"no newline":   entry[:len(entry)-1],
		"extra byte":   append(append([]byte{}, entry...), 'x'),
		"bad checksum": bytes.Replace(entry, prog, []byte("\x06\x00\x00\x00\x00\x00\xff\x7e"), 1),
		"bad magic":    append([]byte("x"), entry...),
	} {
		if _, err := decodeProgram(bad, key); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: got %v, want errCorrupt", name, err)
		}
	}
}

// TestBuildID: the build ID in the cache key is the one the go command
// reads from the binary.
// TestHostKey: launch.c reads this build's Go build ID from the mapped
// notes as the toolchain wrote it, and names the libseccomp and kernel in use.
func TestHostKey(t *testing.T) {
	host, err := hostKey()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", os.Args[0]).Output()
	if err != nil {
		t.Fatalf("go tool buildid: %v", err)
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	api, _ := libseccomp.GetAPI()
	want := fmt.Sprintf("build %x\nlibseccomp %d.%d.%d\nkernel %s\nlibseccomp-api %d\n",
		strings.TrimSpace(string(out)), major, minor, micro, testutil.KernelRelease(t), api)
	if host != want {
		t.Errorf("host key\n%s\nwant\n%s", host, want)
	}
}

// TestCacheTrimmed: a store keeps the newest cacheMaxEntries entries and
// removes what writers killed mid-write left, once it is old.
func TestCacheTrimmed(t *testing.T) {
	dir := testutil.PrivateDir(t)
	old := time.Now().Add(-2 * time.Hour)
	for i := range cacheMaxEntries + 4 {
		name := filepath.Join(dir, fmt.Sprintf("%064x", i))
		if err := os.WriteFile(name, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Second) // 0 is the oldest
		if err := os.Chtimes(name, at, at); err != nil {
			t.Fatal(err)
		}
	}
	stale := filepath.Join(dir, fmt.Sprintf(".%064x.tmp-0123456789ab", 7))
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	newest := fmt.Sprintf("%064x", 1<<20)
	if err := writeEntry(d, newest, encodeProgram([]byte("key"), make([]byte, 8))); err != nil {
		t.Fatal(err)
	}
	names := testutil.Entries(t, dir)
	if len(names) != cacheMaxEntries {
		t.Fatalf("%d files left, want %d", len(names), cacheMaxEntries)
	}
	for _, gone := range []string{fmt.Sprintf("%064x", 0), fmt.Sprintf("%064x", 4), filepath.Base(stale)} {
		if slices.Contains(names, gone) {
			t.Errorf("%s is still there", gone)
		}
	}
	if !slices.Contains(names, newest) || !slices.Contains(names, fmt.Sprintf("%064x", 5)) {
		t.Errorf("the newest entries went")
	}
}

func TestLaunchCacheConfig(t *testing.T) {
	if launchCacheEnv != Env || launchCacheDir != DefaultDir {
		t.Errorf("launch.h has %s=%s, cache.go %s=%s", launchCacheEnv, launchCacheDir, Env, DefaultDir)
	}
}

func TestLaunchSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range append([]int{0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 100_000}, r.IntN(5000), r.IntN(5000)) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if got, want := sha256C(b), sha256.Sum256(b); got != want {
			t.Errorf("%d bytes: launch.c's SHA-256 %x, want %x", n, got, want)
		}
	}
}
