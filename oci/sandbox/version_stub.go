//go:build !(linux && cgo && seccomp)

package sandbox

// LibseccompVersion reports that this build links no libseccomp.
func LibseccompVersion() (string, error) { return "", ErrUnsupported }
