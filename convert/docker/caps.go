package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
)

// Capability-conditional output: Docker and Podman resolve a rule's
// includes and excludes by capability for each container, so a profile
// written for them keeps those conditions instead of resolving them for
// one capability set (docker run --cap-add SYS_ADMIN then gets mount, as
// under Docker's own default). The profile is built from resolutions:
// one for the default set, and one per capability the input's filters
// name, added to or dropped from it; a rule that one of them gains or
// loses carries that capability as a condition.

// A Variant is a profile resolved for Docker's default capability set
// (Cap empty) or for that set with one capability added or dropped.
type Variant struct {
	Cap     string
	Added   bool
	Profile *specs.LinuxSeccomp
}

// Options returns opt with the variant's capability set.
func (v Variant) Options(opt format.Options) format.Options {
	opt.Caps, opt.CapAdd, opt.CapDrop = nil, nil, nil
	switch {
	case v.Cap == "":
	case v.Added:
		opt.CapAdd = []string{v.Cap}
	default:
		opt.CapDrop = []string{v.Cap}
	}
	return opt
}

// Toggles returns the variants worth resolving for the capabilities the
// input's filters name: the default set first, then each capability
// added (when not in the set) or dropped (when in it), sorted.
func Toggles(named []string) []Variant {
	out := []Variant{{}}
	names := slices.Clone(named)
	slices.Sort(names)
	for _, c := range slices.Compact(names) {
		out = append(out, Variant{Cap: c, Added: !slices.Contains(DefaultCaps, c)})
	}
	return out
}

// ErrNotConditional says a set of variants cannot be written as one
// capability-conditional profile; the caller can flatten instead.
var ErrNotConditional = errors.New("the capability conditions cannot be kept exactly")

// atom is one syscall name's rule.
type atom struct {
	name string
	sys  specs.LinuxSyscall // Names holds name alone
}

func (a atom) key() string {
	b, _ := json.Marshal(a.sys)
	return string(b)
}

func atoms(s *specs.LinuxSeccomp) []atom {
	var out []atom
	for _, sc := range s.Syscalls {
		for _, n := range sc.Names {
			one := sc
			one.Names = []string{n}
			out = append(out, atom{n, one})
		}
	}
	return out
}

// condRule is a rule of the output with its capability conditions.
type condRule struct {
	sys                specs.LinuxSyscall
	includes, excludes []string
}

// WriteConditional writes Docker JSON whose includes and excludes by
// capability give, resolved for each variant's capability set, exactly
// that variant's profile; it checks that by resolving what it wrote.
// variants[0] is the default set's. It fails with ErrNotConditional
// where the variants differ in more than their rules, or a rule depends
// on capabilities together.
func WriteConditional(w io.Writer, variants []Variant, opt format.Options) error {
	if len(variants) == 0 || variants[0].Cap != "" {
		return errors.New("writing docker output: no resolution for the default capabilities")
	}
	base := variants[0].Profile
	if len(variants) == 1 {
		return format.WriteJSON(w, base) // no capability decides anything
	}
	type entry struct {
		a                  atom
		includes, excludes []string
	}
	var entries []*entry
	byKey := map[string]*entry{}
	for _, a := range atoms(base) {
		e := &entry{a: a}
		byKey[a.key()] = e
		entries = append(entries, e)
	}
	var extra []*entry // rules a capability adds, one per capability
	for _, v := range variants[1:] {
		if !sameFrame(base, v.Profile) {
			return fmt.Errorf("%w: with %s %s, more than the rules change", ErrNotConditional, v.Cap, verb(v.Added))
		}
		have := map[string]bool{}
		for _, a := range atoms(v.Profile) {
			k := a.key()
			have[k] = true
			if _, inBase := byKey[k]; inBase {
				continue
			}
			e := &entry{a: a}
			if v.Added {
				e.includes = []string{v.Cap}
			} else {
				e.excludes = []string{v.Cap}
			}
			extra = append(extra, e)
		}
		for k, e := range byKey {
			if have[k] {
				continue
			}
			if v.Added {
				e.excludes = append(e.excludes, v.Cap)
			} else {
				e.includes = append(e.includes, v.Cap)
			}
		}
	}

	// Group the names of rules that agree on all but the name.
	var out []*condRule
	groups := map[string]*condRule{}
	for _, e := range append(entries, extra...) {
		slices.Sort(e.includes)
		slices.Sort(e.excludes)
		sys := e.a.sys
		sys.Names = nil
		kb, _ := json.Marshal(struct {
			S    specs.LinuxSyscall
			I, E []string
		}{sys, e.includes, e.excludes})
		if g, ok := groups[string(kb)]; ok {
			g.sys.Names = append(g.sys.Names, e.a.name)
			continue
		}
		g := &condRule{sys: e.a.sys, includes: e.includes, excludes: e.excludes}
		groups[string(kb)] = g
		out = append(out, g)
	}

	data, err := marshalConditional(base, out)
	if err != nil {
		return fmt.Errorf("writing docker output: %w", err)
	}
	for _, v := range variants {
		vopt := v.Options(format.Options{Kernel: opt.Kernel, Arches: opt.Arches})
		got, err := Read("docker output", data, vopt)
		if err != nil {
			return fmt.Errorf("%w: resolving the output: %v", ErrNotConditional, err)
		}
		if err := format.Equal(v.Profile, got); err != nil {
			what := "the default capabilities"
			if v.Cap != "" {
				what = fmt.Sprintf("%s %s", v.Cap, verb(v.Added))
			}
			return fmt.Errorf("%w: with %s the output would mean otherwise: %v", ErrNotConditional, what, err)
		}
	}
	_, err = w.Write(data)
	return err
}

func verb(added bool) string {
	if added {
		return "added"
	}
	return "dropped"
}

// sameFrame reports whether two profiles agree on everything but rules.
func sameFrame(a, b *specs.LinuxSeccomp) bool {
	x, y := *a, *b
	x.Syscalls, y.Syscalls = nil, nil
	xb, _ := json.Marshal(format.ToOCIJSON(&x))
	yb, _ := json.Marshal(format.ToOCIJSON(&y))
	return string(xb) == string(yb)
}

// dockerJSON is a Docker profile as written: the OCI fields, with
// includes and excludes per rule (its Syscalls hides the embedded one).
type dockerJSON struct {
	format.OCIJSON
	Syscalls []dockerRule `json:"syscalls,omitempty"`
}

type dockerRule struct {
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet,omitempty"`
	Args     []specs.LinuxSeccompArg  `json:"args,omitempty"`
	Includes *capFilter               `json:"includes,omitempty"`
	Excludes *capFilter               `json:"excludes,omitempty"`
}

type capFilter struct {
	Caps []string `json:"caps"`
}

func marshalConditional(base *specs.LinuxSeccomp, rs []*condRule) ([]byte, error) {
	doc := dockerJSON{OCIJSON: format.ToOCIJSON(base)}
	for _, r := range rs {
		names := slices.Clone(r.sys.Names)
		slices.Sort(names)
		dr := dockerRule{Names: slices.Compact(names), Action: r.sys.Action, ErrnoRet: r.sys.ErrnoRet, Args: r.sys.Args}
		if len(r.includes) > 0 {
			dr.Includes = &capFilter{Caps: r.includes}
		}
		if len(r.excludes) > 0 {
			dr.Excludes = &capFilter{Caps: r.excludes}
		}
		doc.Syscalls = append(doc.Syscalls, dr)
	}
	return format.MarshalJSON(doc)
}
