//go:build e2e

package e2e

import (
	"os"
	"testing"
)

// TestMain tears down what tests share across the package: the Kubernetes
// node, started by the first test that needs it.
func TestMain(m *testing.M) {
	code := m.Run()
	stopKubeNode()
	os.Exit(code)
}
