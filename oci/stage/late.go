package stage

import (
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/oci"
)

// The late stage in a container: a directory holding a static oci-sbx and
// the late profile, bound read-only at MountPoint, and process.args
// starting with Prefix.
const (
	MountPoint  = "/.oci-sbx"
	BinaryName  = "oci-sbx"   // the static oci-sbx, in the directory
	ProfileName = "late.json" // the late profile as OCI JSON, in the directory
	// BundleDir is the directory `oci-sbx patch` uses, relative to the
	// bundle (runc resolves a relative bind source against the bundle).
	BundleDir = ".oci-sbx"
)

// Prefix is what process.args start with when the late stage runs: the
// original args follow it.
var Prefix = []string{MountPoint + "/" + BinaryName, "late", MountPoint + "/" + ProfileName, "--"}

// OriginalArgs returns the args behind Prefix, and false when args do not
// start with it.
func OriginalArgs(args []string) ([]string, bool) {
	if len(args) > len(Prefix) && slices.Equal(args[:len(Prefix)], Prefix) {
		return args[len(Prefix):], true
	}
	return nil, false
}

// NoNewPrivilegesAnnotation marks a config whose process.noNewPrivileges
// a patch set to true because the profile needed it; it was false before.
const NoNewPrivilegesAnnotation = "io.oci-sbx.set-no-new-privileges"

// OriginalNoNewPrivileges is process.noNewPrivileges as it was before any
// patch.
func OriginalNoNewPrivileges(s *specs.Spec) bool {
	if s.Annotations[NoNewPrivilegesAnnotation] == "true" {
		return false
	}
	return s.Process != nil && s.Process.NoNewPrivileges
}

// WithoutEarlierPatch undoes what an earlier patch set up besides
// linux.seccomp: the original process.args come back and the late stage's
// mount goes, and so does a process.noNewPrivileges the patch set. It
// changes nothing in a config without them.
func WithoutEarlierPatch() oci.SpecOpt {
	return func(e *oci.Editor) error {
		s, err := e.Spec()
		if err != nil || s.Process == nil {
			return err
		}
		if s.Annotations[NoNewPrivilegesAnnotation] == "true" {
			if err := oci.WithNoNewPrivileges(false)(e); err != nil {
				return err
			}
			e.Delete("annotations", NoNewPrivilegesAnnotation)
		}
		if orig, ok := OriginalArgs(s.Process.Args); ok {
			if err := oci.WithArgs(orig)(e); err != nil {
				return err
			}
			return oci.WithoutMount(MountPoint)(e)
		}
		return nil
	}
}

// SpecOpts returns the edits that put the plan into a config whose
// process.noNewPrivileges is noNewPrivileges: linux.seccomp, and where the
// plan says so noNewPrivileges and the late stage, whose files are in the
// directory source (absolute, or relative to the bundle).
func (p *Plan) SpecOpts(source string, noNewPrivileges bool) []oci.SpecOpt {
	opts := []oci.SpecOpt{oci.WithSeccomp(p.Early)}
	if p.NoNewPrivileges && !noNewPrivileges {
		opts = append(opts, oci.WithNoNewPrivileges(true), func(e *oci.Editor) error {
			return e.Set("true", "annotations", NoNewPrivilegesAnnotation)
		})
	}
	if p.Late != nil {
		opts = append(opts,
			oci.WithMount(specs.Mount{Destination: MountPoint, Type: "bind", Source: source, Options: []string{"bind", "ro", "nosuid", "nodev"}}),
			oci.WithArgsPrefix(Prefix...))
	}
	return opts
}
