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
	if o.Harden {
		if s, err = harden(s, opt.Arches, o.Note); err != nil {
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
		if !o.Harden {
			return s, nil
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

// checkStart refuses (Strict) or alerts about output for an engine that
// no runc can start under.
func checkStart(s *specs.LinuxSeccomp, o Options, name string) error {
	if !slices.Contains(engineOutputs, o.To) {
		return nil
	}
	f, bad := lint.CannotStart(name, s)
	switch {
	case !bad:
		return nil
	case o.Strict:
		return fmt.Errorf("refusing to write %s output that no runc can start: %s", o.To, f)
	}
	if o.Alert != nil {
		o.Alert(fmt.Sprintf("warning: %s output: %s", o.To, f))
	}
	return nil
}
