package convert

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/docker"
)

// ReadCapVariants reads a profile as Read does, for Docker's default
// capability set and once more per capability that an includes or
// excludes filter of the input (or of a base it extends) names, added to
// or dropped from that set: what docker.WriteConditional needs to keep
// the filters for the engine to resolve per container. then, if set,
// transforms each reading (hardening); its second argument is true for
// the default set's. Notes come from that reading only. opt's Caps,
// CapAdd and CapDrop are ignored: the engine chooses the set.
func ReadCapVariants(name string, data []byte, from Format, opt Options, then func(*specs.LinuxSeccomp, bool) (*specs.LinuxSeccomp, error)) ([]docker.Variant, error) {
	var named []string
	first := docker.Variant{}.Options(opt)
	first.OnCap = func(c string) { named = append(named, c) }
	base, err := Read(name, data, from, first)
	if err != nil {
		return nil, err
	}
	variants := docker.Toggles(named)
	for i := range variants {
		s := base
		if i > 0 {
			vopt := variants[i].Options(opt)
			vopt.Warn, vopt.OnFile, vopt.OnCap = nil, nil, nil
			if s, err = Read(name, data, from, vopt); err != nil {
				return nil, err
			}
		}
		if then != nil {
			if s, err = then(s, i == 0); err != nil {
				return nil, err
			}
		}
		variants[i].Profile = s
	}
	return variants, nil
}
