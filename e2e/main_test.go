//go:build e2e

package e2e

import (
	"flag"
	"os"
	"testing"
)

// TestMain starts building the Kubernetes node's binaries early, when a
// test that needs them will run, and tears down what tests share across
// the package: the node, started by the first test that needs it.
func TestMain(m *testing.M) {
	flag.Parse()
	prebuildNode()
	code := m.Run()
	stopKubeNode()
	os.Exit(code)
}
