package filter

import (
	"slices"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/syscalls"
)

func TestParseSyscall(t *testing.T) {
	for _, tc := range []struct {
		arch, in string
		want     uint32
		err      string
	}{
		{arch: "x86_64", in: "openat", want: 257},
		{arch: "x86_64", in: "257", want: 257},
		{arch: "x86_64", in: "0x101", want: 257},
		{arch: "x86_64", in: "-1", want: 0xffffffff},
		{arch: "x32", in: "257", want: X32SyscallBit | 257},
		{arch: "x86_64", in: "4294967296", err: "not a 32-bit number"},
		{arch: "x86_64", in: "", err: "empty syscall"},
		{arch: "x86_64", in: "opnat", err: `did you mean "openat"`},
	} {
		got, err := ParseSyscall(tc.arch, tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseSyscall(%s, %q) = %#x, %v; want %#x", tc.arch, tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseSyscall(%s, %q): error %v; want one saying %q", tc.arch, tc.in, err, tc.err)
		}
	}
}

// AllArches names every architecture once, the native family first.
func TestAllArches(t *testing.T) {
	got := AllArches()
	native := syscalls.NativeArch()
	if native == "" {
		t.Fatal("no native architecture libseccomp knows")
	}
	want := append([]string{native}, syscalls.SubArches(native)...)
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("AllArches() starts %v; want %v first", got, want)
	}
	if len(got) != len(syscalls.Arches()) {
		t.Errorf("AllArches() has %d, syscalls.Arches() %d", len(got), len(syscalls.Arches()))
	}
	seen := map[string]bool{}
	for _, a := range got {
		if seen[a] {
			t.Errorf("%s twice", a)
		}
		seen[a] = true
	}
}
