// Package kubernetes writes Kubernetes Localhost seccomp profiles and
// says where a node and a pod expect them.
package kubernetes

import (
	"fmt"
	"io"
	"strings"

	"github.com/oci-sbx/oci-sbx/convert/format"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// The kubelet hands a Localhost profile's path to the CRI runtime, and each
// reads it its own way: containerd decodes it straight into the OCI
// specs.LinuxSeccomp (Docker-only keys such as archMap and includes are
// dropped, so conditional rules become unconditional), CRI-O through
// containers/common (which resolves them). The flat OCI JSON that
// Write emits means the same to both.

// Write writes the profile as a Localhost profile for the kubelet: the
// canonical OCI JSON, byte for byte what the OCI output is.
func Write(w io.Writer, s *specs.LinuxSeccomp, opt format.Options) error {
	return format.WriteJSON(w, s)
}

// Hint tells where a Localhost profile named name goes on a node
// and how a pod refers to it, for the CLI to print after writing one. An
// empty name means DefaultName; a ".json" suffix is optional.
func Hint(name string) string {
	if name == "" {
		name = format.DefaultName
	}
	file := strings.TrimSuffix(name, ".json") + ".json"
	var b strings.Builder
	fmt.Fprintf(&b, "Copy the profile to /var/lib/kubelet/seccomp/profiles/%s on every node that may run the pod, and refer to it in the pod's or container's securityContext:\n", file)
	b.WriteString("  securityContext:\n")
	b.WriteString("    seccompProfile:\n")
	b.WriteString("      type: Localhost\n")
	fmt.Fprintf(&b, "      localhostProfile: profiles/%s\n", file)
	b.WriteString("To have the Security Profiles Operator install it on every node instead, convert with --to spo and apply the resource with kubectl.\n")
	return b.String()
}
