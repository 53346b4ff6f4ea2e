//go:build !(linux && cgo && seccomp)

package sandbox

import (
	"context"
)

// Init has no init child to enter in this build.
func Init() {}

// Run needs libseccomp and runc's loader; this build has neither.
func Run(context.Context, Config) (*Result, error) { return nil, ErrUnsupported }
