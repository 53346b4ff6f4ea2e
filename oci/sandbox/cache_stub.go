//go:build !(linux && cgo && seccomp)

package sandbox

// CacheDir needs the seccomp build: this one compiles nothing to cache.
func CacheDir() (string, error) { return "", ErrUnsupported }
