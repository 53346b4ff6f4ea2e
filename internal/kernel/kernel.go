// Package kernel names the running kernel: its release, as `uname -r`
// prints it, for minKernel, `oci-sbx version`, measured tables and
// benchmark headers alike.
package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Release returns the running kernel's release ("6.1.0-18-amd64").
func Release() (string, error) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", fmt.Errorf("calling uname: %w", err)
	}
	return unix.ByteSliceToString(uts.Release[:]), nil
}
