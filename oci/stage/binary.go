package stage

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// StaticName is the static oci-sbx looked for next to the running one.
const StaticName = "oci-sbx-static"

// FindBinary returns the static oci-sbx for a late stage: flag (a
// --late-binary option) when it is one, else StaticName next to the
// running program, else the running program itself when it is one.
func FindBinary(flag string) (string, error) {
	if flag != "" {
		if err := CheckBinary(flag); err != nil {
			return "", fmt.Errorf("--late-binary: %w", err)
		}
		return flag, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this oci-sbx: %w", err)
	}
	var why []string
	for _, cand := range []string{filepath.Join(filepath.Dir(self), StaticName), self} {
		err := CheckBinary(cand)
		if err == nil {
			return cand, nil
		}
		why = append(why, err.Error())
	}
	return "", fmt.Errorf("no static oci-sbx with seccomp support found (%s); build one with `make build`, or give --late-binary", strings.Join(why, "; "))
}

// CheckBinary makes sure a file can serve as the late stage inside a
// container: an oci-sbx for this architecture, built with seccomp support,
// and static (a container's rootfs has no libseccomp, maybe no libc).
func CheckBinary(file string) error {
	bi, err := buildinfo.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if bi.Path != "github.com/oci-sbx/oci-sbx/cmd/oci-sbx" {
		return fmt.Errorf("%s is %s, not oci-sbx", file, bi.Path)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOARCH"] != runtime.GOARCH {
		return fmt.Errorf("%s is built for %s, not %s", file, settings["GOARCH"], runtime.GOARCH)
	}
	if settings["CGO_ENABLED"] != "1" || !slices.Contains(strings.Split(settings["-tags"], ","), "seccomp") {
		return fmt.Errorf("%s is built without seccomp support (CGO_ENABLED=1 and -tags seccomp)", file)
	}
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", file)
		}
	}
	return nil
}
