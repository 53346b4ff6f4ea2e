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

// SeccompDir is the kubelet's seccomp directory with its default
// --root-dir: a Localhost profile's localhostProfile is resolved beneath
// it.
const SeccompDir = "/var/lib/kubelet/seccomp"

// Hint tells where a Localhost profile named name goes on a node and how
// a pod refers to it, for the CLI to print after writing one, and what
// Podman's kube play wants instead. An empty name means
// format.DefaultName; a ".json" suffix is optional.
func Hint(name string) string {
	if name == "" {
		name = format.DefaultName
	}
	file := strings.TrimSuffix(name, ".json") + ".json"
	var b strings.Builder
	fmt.Fprintf(&b, "The kubelet resolves a Localhost profile beneath its seccomp directory, %s (ROOT/seccomp for --root-dir ROOT).\n", SeccompDir)
	fmt.Fprintf(&b, "Copy the profile to every node that may run the pod, as %s/profiles/%s, and name it\n", SeccompDir, file)
	b.WriteString("in the pod's securityContext (every container) or in a container's (that one), with the seccompProfile field\n")
	b.WriteString("(GA since Kubernetes 1.19; the seccomp annotations it replaced are deprecated):\n")
	b.WriteString("  securityContext:\n")
	b.WriteString("    seccompProfile:\n")
	b.WriteString("      type: Localhost\n")
	fmt.Fprintf(&b, "      localhostProfile: profiles/%s\n", file)
	fmt.Fprintf(&b, "The kubelet hands the runtime the absolute path, %s/profiles/%s.\n", SeccompDir, file)
	b.WriteString("podman kube play (Podman 4.3) ignores seccompProfile. It reads the annotation\n")
	fmt.Fprintf(&b, "  seccomp.security.alpha.kubernetes.io/pod: localhost/%s\n", file)
	b.WriteString("(container.seccomp.security.alpha.kubernetes.io/CONTAINER for one container), and takes only the first\n")
	fmt.Fprintf(&b, "path element after localhost/: put the file directly in --seccomp-profile-root (default %s), not in profiles/.\n", SeccompDir)
	b.WriteString("To have the Security Profiles Operator install it on every node instead, convert with --to spo and apply the resource with kubectl.\n")
	return b.String()
}
