package testutil

import (
	"strconv"
	"testing"

	"github.com/oci-sbx/oci-sbx/internal/kernel"
)

// KernelRelease is the running kernel's release ("6.1.0-18-amd64").
func KernelRelease(t testing.TB) string {
	t.Helper()
	r, err := kernel.Release()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Atoi is strconv.Atoi for a number a test reads from a command's output.
func Atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
