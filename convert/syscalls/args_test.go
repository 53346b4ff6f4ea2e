package syscalls

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/convert/syscalls/internal/tracepoints"
	"github.com/oci-sbx/oci-sbx/internal/testutil"
)

// TestArgTableMatchesKernel checks the generated argument counts against
// the tracepoints of the running kernel, so the table cannot drift from
// its generator silently. On another kernel release or architecture the
// syscalls both know must still agree (a syscall's arguments do not change
// between releases); only on the release the table came from must the two
// lists be the same.
func TestArgTableMatchesKernel(t *testing.T) {
	testutil.RequireRoot(t)
	release := testutil.KernelRelease(t)
	same := strings.HasPrefix(release, strings.Fields(ArgsKernel)[0]+".") && runtime.GOARCH == strings.Fields(ArgsKernel)[1]
	got, err := tracepoints.Kernel()
	if err != nil {
		if os.IsPermission(err) || strings.Contains(err.Error(), "operation not permitted") {
			testutil.Missing(t, "mounting tracefs: %v", err)
		}
		t.Fatal(err)
	}
	if same && len(got) != len(argTable) {
		t.Errorf("the kernel has %d syscall tracepoints, the table %d: run go generate ./convert/syscalls", len(got), len(argTable))
	}
	for name, a := range got {
		c, ok := argTable[name]
		if !ok && !same {
			continue // a syscall of another release
		}
		if !ok || int(c.n) != a.N || int(c.wide) != a.Wide {
			t.Errorf("%s: the kernel says %d arguments (%d wide), the table %+v", name, a.N, a.Wide, c)
		}
	}
}

func TestArgCount(t *testing.T) {
	for _, tc := range []struct {
		arch, name string
		want       int
		ok         bool
	}{
		{"x86_64", "getpid", 0, true},
		{"x86_64", "read", 3, true},
		{"x86_64", "socket", 3, true},
		{"x86_64", "mmap", 6, true},
		{"aarch64", "openat", 4, true},
		// A 64-bit argument takes two registers on a 32-bit ABI, and arm
		// aligns the pair: pread64 there is fd, buf, count, pad, lo, hi.
		{"x86_64", "pread64", 4, true},
		{"arm", "pread64", 6, true},
		{"x86", "fallocate", 6, true},
		{"x32", "pread64", 4, true},
		// Not in the kernel's tracepoints under this name: not known.
		{"x86", "socketcall_nonexistent", 0, false},
	} {
		got, ok := ArgCount(tc.arch, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ArgCount(%s, %s) = %d, %v; want %d, %v", tc.arch, tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
