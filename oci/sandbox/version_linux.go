//go:build linux && cgo && seccomp

package sandbox

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer/seccomp"
)

// LibseccompVersion is the version of the libseccomp this build links.
func LibseccompVersion() (string, error) {
	major, minor, micro := seccomp.Version()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro), nil
}
