package docker

import (
	"bytes"
	"errors"
	"runtime"
	"slices"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert/format"
)

// readVariants resolves data for each capability its filters name, as
// convert.ReadCapVariants does.
func readVariants(t *testing.T, data []byte, opt format.Options) []Variant {
	t.Helper()
	var named []string
	first := Variant{}.Options(opt)
	first.OnCap = func(c string) { named = append(named, c) }
	if _, err := Read("in.json", data, first); err != nil {
		t.Fatal(err)
	}
	variants := Toggles(named)
	for i := range variants {
		s, err := Read("in.json", data, variants[i].Options(opt))
		if err != nil {
			t.Fatal(err)
		}
		variants[i].Profile = s
	}
	return variants
}

// TestConditionalMatchesDocker writes Docker's default profile as docker
// output, keeping its capability conditions, and checks with moby's own
// LoadProfile that every container gets from it what it gets from
// Docker's default: with the default capabilities, with capabilities
// added (docker run --cap-add SYS_ADMIN now allows mount and chroot as
// Docker does) and dropped, one at a time and together.
func TestConditionalMatchesDocker(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("moby resolves arch filters for the native architecture; this test pins x86_64")
	}
	data := mobyDefaultJSON(t)
	opt := format.Options{Arches: []string{"x86_64", "x86", "x32"}}
	variants := readVariants(t, data, opt)
	if len(variants) < 10 {
		t.Fatalf("%d capability sets; Docker's default names more capabilities than that", len(variants))
	}
	var out bytes.Buffer
	if err := WriteConditional(&out, variants, opt); err != nil {
		t.Fatal(err)
	}
	with := func(add, drop []string) []string {
		var caps []string
		for _, c := range DefaultCaps {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
		return append(caps, add...)
	}
	sets := map[string][]string{
		"default":               DefaultCaps,
		"+SYS_ADMIN":            with([]string{"CAP_SYS_ADMIN"}, nil),
		"+SYS_PTRACE":           with([]string{"CAP_SYS_PTRACE"}, nil),
		"+SYS_ADMIN+SYS_PTRACE": with([]string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"}, nil),
		"-SYS_CHROOT":           with(nil, []string{"CAP_SYS_CHROOT"}),
		"-NET_RAW+SYS_TIME":     with([]string{"CAP_SYS_TIME"}, []string{"CAP_NET_RAW"}),
		"none":                  {},
	}
	for name, caps := range sets {
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
		want, err := seccomp.LoadProfile(string(data), spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := seccomp.LoadProfile(out.String(), spec)
		if err != nil {
			t.Fatalf("%s: moby cannot load the output: %v", name, err)
		}
		if err := format.Equal(want, got); err != nil {
			t.Errorf("%s: Docker gives the container another profile from the output: %v", name, err)
		}
	}

	// --cap-add means an addition to the default set, --caps a set.
	added, err := Read("default.json", data, format.Options{Arches: opt.Arches, CapAdd: []string{"SYS_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	replaced, err := Read("default.json", data, format.Options{Arches: opt.Arches, Caps: []string{"SYS_ADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := seccomp.LoadProfile(string(data), &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: sets["+SYS_ADMIN"]}}})
	if err := format.Equal(want, added); err != nil {
		t.Errorf("--cap-add SYS_ADMIN: %v", err)
	}
	if err := format.Equal(want, replaced); err == nil {
		t.Error("--caps SYS_ADMIN gives the same as --cap-add: chroot should need CAP_SYS_CHROOT, which it replaced")
	}
}

// TestCapSetArithmetic: --cap-add and --cap-drop combine as docker run
// combines them.
func TestCapSetArithmetic(t *testing.T) {
	doc := []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
		{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}`)
	allowed := func(opt format.Options) []string {
		s, err := Read("x.json", doc, opt)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, sc := range s.Syscalls {
			names = append(names, sc.Names...)
		}
		slices.Sort(names)
		return names
	}
	for _, tt := range []struct {
		add, drop []string
		want      []string
	}{
		{nil, nil, []string{"chroot"}},
		{[]string{"SYS_ADMIN"}, nil, []string{"chroot", "mount"}},
		{nil, []string{"sys_chroot"}, nil},
		{[]string{"SYS_ADMIN"}, []string{"ALL"}, []string{"mount"}},
		{[]string{"ALL"}, []string{"SYS_ADMIN"}, []string{"chroot"}},
	} {
		if got := allowed(format.Options{CapAdd: tt.add, CapDrop: tt.drop}); !slices.Equal(got, tt.want) {
			t.Errorf("--cap-add %v --cap-drop %v: allowed %v, want %v", tt.add, tt.drop, got, tt.want)
		}
	}
}

// TestConditionalRefuses: variants that differ in more than rules cannot
// be one conditional profile.
func TestConditionalRefuses(t *testing.T) {
	a := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	b := &specs.LinuxSeccomp{DefaultAction: specs.ActKillProcess}
	err := WriteConditional(&bytes.Buffer{}, []Variant{{Profile: a}, {Cap: "CAP_SYS_ADMIN", Added: true, Profile: b}}, format.Options{})
	if !errors.Is(err, ErrNotConditional) {
		t.Errorf("got %v, want ErrNotConditional", err)
	}
}
