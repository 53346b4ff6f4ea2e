package late

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oci-sbx/oci-sbx/oci/stage"
)

func TestReadProfile(t *testing.T) {
	good := []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}` + "\n")
	swapped := []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "flags": [], "syscalls": []}` + "\n")
	name := stage.ProfileName(good)
	tests := []struct {
		name, file string
		data       []byte
		want       string // substring of the error; empty for success
		changed    bool
	}{
		{"named by its hash", name, good, "", false},
		{"bytes changed", name, swapped, "do not match the SHA-256", true},
		{"one byte appended", name, append(append([]byte{}, good...), ' '), "do not match the SHA-256", true},
		{"upper-case hash", strings.ToUpper(name[:len(stage.ProfilePrefix)+64]) + ".json", good, "is not profile-<sha256>.json", false},
		{"legacy name", "late.json", good, "is not profile-<sha256>.json", false},
		{"no hash", stage.ProfilePrefix + "demo.json", good, "is not profile-<sha256>.json", false},
		{"not hex", stage.ProfilePrefix + strings.Repeat("g", 64) + ".json", good, "is not profile-<sha256>.json", false},
		{"short hash", name[:len(name)-6] + ".json", good, "is not profile-<sha256>.json", false},
		{"hash of other bytes", stage.ProfileName(swapped), good, "do not match the SHA-256", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := ReadProfile(path)
			if tt.want == "" {
				if err != nil || s.DefaultAction != "SCMP_ACT_ALLOW" || len(s.Syscalls) != 1 {
					t.Fatalf("ReadProfile = %+v, %v; want the profile", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadProfile error %v, want one saying %q", err, tt.want)
			}
			if errors.Is(err, ErrProfileChanged) != tt.changed {
				t.Errorf("errors.Is(%v, ErrProfileChanged) = %v, want %v", err, !tt.changed, tt.changed)
			}
		})
	}
}
