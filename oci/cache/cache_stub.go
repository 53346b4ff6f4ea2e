//go:build !(linux && cgo && seccomp)

package cache

import "github.com/oci-sbx/oci-sbx/oci/loader"

// Dir needs the seccomp build: this one compiles nothing to cache.
func Dir() (string, error) { return "", loader.ErrUnsupported }
