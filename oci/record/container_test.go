package record

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oci-sbx/oci-sbx/convert"
)

// TestContainerFilter: everything is notified except write and what runc
// needs after loading, for the container's noNewPrivileges; calls no
// table names get ENOSYS; every ABI of the machine is covered.
func TestContainerFilter(t *testing.T) {
	for _, nnp := range []bool{true, false} {
		s, unobserved, err := ContainerFilter("/run/r.sock", nnp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.ListenerPath != "/run/r.sock" || s.DefaultAction != "SCMP_ACT_ERRNO" || *s.DefaultErrnoRet != 38 || s.Flags == nil {
			t.Errorf("nnp %v: %+v", nnp, s)
		}
		allowed, notified := s.Syscalls[0].Names, s.Syscalls[1].Names
		if !slices.Equal(allowed, unobserved) || !slices.Contains(allowed, "write") || !slices.Contains(allowed, "execve") {
			t.Errorf("nnp %v: allowed %v, unobserved %v", nnp, allowed, unobserved)
		}
		if slices.Contains(allowed, "setuid") == nnp {
			t.Errorf("nnp %v: runc sets the user after loading only without noNewPrivileges; allowed %v", nnp, allowed)
		}
		for _, n := range []string{"mkdir", "socket", "uname", "open", "socketcall"} {
			if !slices.Contains(notified, n) {
				t.Errorf("nnp %v: %s is not notified", nnp, n)
			}
		}
		if len(s.Architectures) < 2 {
			t.Errorf("architectures %v", s.Architectures)
		}
	}
	if _, _, err := ContainerFilter("rel.sock", true, nil); err == nil {
		t.Error("a relative socket was taken")
	}
}

// TestListenTimeout: a recorder nobody connects to gives up.
func TestListenTimeout(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "r.sock")
	start := time.Now()
	_, err := Listen(context.Background(), socket, nil, nil, 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "waiting for runc") {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if _, err := os.Lstat(socket); !os.IsNotExist(err) {
		t.Errorf("the socket stays behind: %v", err)
	}
}

// TestWriteBeneath: the file lands beneath the directory; a symlink at
// its name is replaced, not followed; names leading out are refused.
func TestWriteBeneath(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "p.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBeneath(dir, "p.yaml", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the symlink's target was written: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "p.yaml")); string(b) != "new" {
		t.Errorf("p.yaml holds %q", b)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out/x.yaml", "../x.yaml", filepath.Join(outside, "x.yaml")} {
		if err := WriteBeneath(dir, name, []byte("x")); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("files appeared outside: %v", entries)
	}
	// A symlink that stays inside works, and so does an absolute name
	// inside the directory.
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "in")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"in/a.yaml", filepath.Join(dir, "real", "b.yaml")} {
		if err := WriteBeneath(dir, name, []byte("y")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, f := range []string{"a.yaml", "b.yaml"} {
		if b, _ := os.ReadFile(filepath.Join(dir, "real", f)); string(b) != "y" {
			t.Errorf("real/%s holds %q", f, b)
		}
	}
}

// TestBaseAllowsExit: only a base that lets exit or exit_group through
// can hide a container's whole run from the recorder, which then cannot
// tell a program that ran from one that never started.
func TestBaseAllowsExit(t *testing.T) {
	for doc, want := range map[string]bool{
		"": false,
		"default: errno(EPERM)\nrules: [{action: allow, syscalls: [read]}]\n":       false,
		"default: errno(EPERM)\nrules: [{action: allow, syscalls: [exit_group]}]\n": true,
		"default: allow\nrules: [{action: errno(EPERM), syscalls: [ioctl]}]\n":      true,
	} {
		var base *Base
		if doc != "" {
			s, err := convert.Read("base", []byte(doc), "", convert.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if base, err = NewBase(s); err != nil {
				t.Fatal(err)
			}
		}
		if got := base.allowsExit(); got != want {
			t.Errorf("%q: allowsExit %v, want %v", doc, got, want)
		}
	}
}
