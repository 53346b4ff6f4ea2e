//go:build cgo && seccomp

package syscalls

import (
	"fmt"
	"testing"

	seccomp "github.com/seccomp/libseccomp-golang"
)

// TestTableMatchesLibseccomp checks the generated table against the
// libseccomp this test links, so the table cannot drift from it silently.
// Run with CGO_ENABLED=1 go test -tags seccomp.
func TestTableMatchesLibseccomp(t *testing.T) {
	major, minor, micro := seccomp.GetLibraryVersion()
	if v := fmt.Sprintf("%d.%d.%d", major, minor, micro); v != LibseccompVersion {
		t.Fatalf("linked libseccomp is %s, the table was generated from %s: run go generate ./convert/syscalls", v, LibseccompVersion)
	}
	for _, name := range []string{"x86_64", "aarch64", "x86", "x32"} {
		t.Run(name, func(t *testing.T) {
			arch, err := seccomp.GetArchFromString(name)
			if err != nil {
				t.Fatal(err)
			}
			// Every entry resolves in libseccomp as the table says.
			for _, sys := range AllSyscalls() {
				nr, inTable := SyscallNumber(name, sys)
				via := SyscallMultiplexer(name, sys)
				got, err := seccomp.GetSyscallFromNameByArch(sys, arch)
				switch {
				case via != "":
					// libseccomp names the pseudo-syscall it rewrites.
					if err != nil || int(got) >= 0 || int(got) <= -10000 {
						t.Errorf("%s: table says multiplexed via %s, libseccomp gives %d (%v)", sys, via, got, err)
					}
					if inTable {
						if back, err := seccomp.ScmpSyscall(nr).GetNameByArch(arch); err != nil || back != sys {
							t.Errorf("%s: table's direct number %d is %q in libseccomp (%v)", sys, nr, back, err)
						}
					}
				case inTable:
					if err != nil || int(got) != nr {
						t.Errorf("%s: table has %d, libseccomp %d (%v)", sys, nr, got, err)
					}
				default:
					// Absent here: libseccomp must not give it a real number.
					if err == nil && int(got) >= 0 {
						t.Errorf("%s: missing from the table, libseccomp has %d", sys, got)
					}
				}
			}
			// Every number libseccomp resolves is in the table.
			bases := []int{0}
			if name == "x32" {
				bases = []int{0x40000000}
			}
			for _, base := range bases {
				for n := base; n < base+1200; n++ {
					sys, err := seccomp.ScmpSyscall(n).GetNameByArch(arch)
					if err != nil {
						continue
					}
					if nr, ok := SyscallNumber(name, sys); !ok || nr != n {
						t.Errorf("libseccomp has %s = %d, table %d, %v", sys, n, nr, ok)
					}
				}
			}
		})
	}
}
