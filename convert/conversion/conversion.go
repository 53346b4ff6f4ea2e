package conversion

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/convert/docker"
	"github.com/oci-sbx/oci-sbx/convert/lint"
	"github.com/oci-sbx/oci-sbx/convert/rules"
)

// Options steer a conversion.
type Options struct {
	// Read is passed to convert.Read and to the writer: architectures,
	// capabilities, kernel, name, and Warn for notes about the profile.
	Read     convert.Options
	From, To convert.Format
	// Harden widens each deny intent to its class (rules.Harden); each
	// change is told to Note.
	Harden bool
	Note   func(string)
	// Strict refuses output for an engine that no runc can start under;
	// without it, Alert says so and the output is written. Alert is not
	// a note: it is told even when notes are not wanted.
	Strict bool
	Alert  func(string)
	// Write writes formats convert.Write does not (bpf, which needs
	// runc's loader); nil for none.
	Write func(w io.Writer, s *specs.LinuxSeccomp, to convert.Format, opt convert.Options) error
}

// engineOutputs are the formats an engine starts a container under.
var engineOutputs = []convert.Format{convert.OCI, convert.Docker, convert.Kubernetes, convert.SPO}

// Convert reads the profile data (named name in messages) and writes it
// to w as o says.
func Convert(w io.Writer, name string, data []byte, o Options) error {
	opt := o.Read
	if o.To == convert.Docker && opt.Caps == nil && opt.CapAdd == nil && opt.CapDrop == nil {
		return convertDocker(w, name, data, o)
	}
	s, err := convert.Read(name, data, o.From, opt)
	if err != nil {
		return err
	}
	if err := checkLoads(s, opt); err != nil {
		return err
	}
	if o.Harden {
		if s, err = harden(s, opt.Arches, o.Note); err != nil {
			return err
		}
		// What --harden adds must load and mean what it says too; the
		// input was held to it above, since harden may only make what
		// runc does with it stricter.
		if err := checkLoads(s, opt); err != nil {
			return err
		}
	}
	if err := checkStart(s, o, name); err != nil {
		return err
	}
	write := convert.Write
	if !slices.Contains(convert.OutputFormats, o.To) && o.Write != nil {
		write = o.Write
	}
	if err := write(w, s, o.To, opt); err != nil {
		return fmt.Errorf("writing %s: %w", o.To, err)
	}
	return nil
}

// convertDocker keeps what Docker resolves per container: the profile is
// read for each capability set its includes and excludes name, and
// written with those rules conditional again.
func convertDocker(w io.Writer, name string, data []byte, o Options) error {
	opt := o.Read
	variants, err := convert.ReadCapVariants(name, data, o.From, opt, func(s *specs.LinuxSeccomp, first bool) (*specs.LinuxSeccomp, error) {
		if err := checkLoads(s, opt); err != nil || !o.Harden {
			return s, err
		}
		note := o.Note
		if !first {
			note = nil // the same notes again
		}
		return harden(s, opt.Arches, note)
	})
	if err != nil {
		return err
	}
	if err := checkStart(variants[0].Profile, o, name); err != nil {
		return err
	}
	if o.Harden {
		for _, v := range variants {
			if err := checkLoads(v.Profile, opt); err != nil {
				return err
			}
		}
	}
	err = docker.WriteConditional(w, variants, opt)
	if errors.Is(err, docker.ErrNotConditional) {
		opt.Warnf("%v; written for the capabilities docker run grants by default", err)
		err = convert.Write(w, variants[0].Profile, convert.Docker, opt)
	}
	if err != nil {
		return fmt.Errorf("writing docker: %w", err)
	}
	return nil
}

// harden is rules.Harden, each change told to note.
func harden(s *specs.LinuxSeccomp, arches []string, note func(string)) (*specs.LinuxSeccomp, error) {
	h, notes, err := rules.Harden(s, arches)
	if err != nil {
		return nil, err
	}
	if note != nil {
		for _, n := range notes {
			note("harden: " + n)
		}
	}
	return h, nil
}

// checkLoads is opt.Check, when set.
func checkLoads(s *specs.LinuxSeccomp, opt convert.Options) error {
	if opt.Check == nil {
		return nil
	}
	if err := opt.Check(s); err != nil {
		return fmt.Errorf("refusing to write the profile: %w", err)
	}
	return nil
}

// checkStart is CheckStart with the conversion's options.
func checkStart(s *specs.LinuxSeccomp, o Options, name string) error {
	return CheckStart(s, o.To, name, o.Strict, o.Alert)
}

// CheckStart refuses (strict) or alerts about output for an engine that
// no runc can start under, and about docker, kubernetes and spo output
// that runc starts only with noNewPrivileges, which docker run, podman run
// and the kubelet leave false unless asked (oci output, which goes into a
// config.json whose noNewPrivileges is the user's, is only alerted
// about). The alert is not a note: it is told even when notes are not
// wanted. merge and record write engine output too, and check it here.
func CheckStart(s *specs.LinuxSeccomp, to convert.Format, name string, strict bool, alert func(string)) error {
	if !slices.Contains(engineOutputs, to) {
		return nil
	}
	f, bad := lint.RuncStart(name, s)
	if !bad {
		return nil
	}
	if f.ID == "runc-needs-nnp" {
		f.Fix = nnpFix[to]
		if strict && to != convert.OCI {
			return fmt.Errorf("refusing to write %s output that runc cannot start with the engine's default noNewPrivileges (false): %s", to, f)
		}
	} else if strict {
		return fmt.Errorf("refusing to write %s output that no runc can start: %s", to, f)
	}
	if alert != nil {
		alert(fmt.Sprintf("warning: %s output: %s", to, f))
	}
	return nil
}

// nnpFix says, per output, how its consumer turns noNewPrivileges on.
var nnpFix = map[convert.Format]string{
	convert.OCI:        "set process.noNewPrivileges to true in config.json (runc spec does; oci-sbx patch does when the profile needs it)",
	convert.Docker:     "run the container with --security-opt no-new-privileges (docker run, podman run), or put the profile in with oci-sbx patch or the Podman hook, which set it",
	convert.Kubernetes: "set securityContext.allowPrivilegeEscalation: false on the container, which the kubelet turns into noNewPrivileges",
	convert.SPO:        "set securityContext.allowPrivilegeEscalation: false on the containers that use the profile, which the kubelet turns into noNewPrivileges",
}
