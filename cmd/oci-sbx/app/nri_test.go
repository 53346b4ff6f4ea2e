package app

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/urfave/cli/v3"
)

// The DaemonSet runs the plugin with flags the command has, and mounts
// what those flags name: the NRI socket's directory, the profiles from
// the ConfigMap, and the late stage's directory from the host at the
// same path.
func TestDaemonSetManifest(t *testing.T) {
	data, err := os.ReadFile("../../../deploy/oci-sbx-nri.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type volume struct {
		Name      string            `yaml:"name"`
		HostPath  map[string]string `yaml:"hostPath"`
		ConfigMap map[string]string `yaml:"configMap"`
	}
	type mount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}
	type doc struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Args         []string `yaml:"args"`
						VolumeMounts []mount  `yaml:"volumeMounts"`
					} `yaml:"containers"`
					Volumes []volume `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	var ds *doc
	configMaps := map[string]map[string]string{}
	for _, part := range strings.Split(string(data), "\n---\n") {
		var d doc
		if err := yaml.Unmarshal([]byte(part), &d); err != nil {
			t.Fatal(err)
		}
		switch d.Kind {
		case "DaemonSet":
			ds = &d
		case "ConfigMap":
			configMaps[d.Metadata.Name] = d.Data
		}
	}
	if ds == nil || len(ds.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("no DaemonSet with one container")
	}
	c := ds.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "nri" {
		t.Fatalf("args %q do not run oci-sbx nri", c.Args)
	}
	cmd := nriCommand()
	flags := map[string]string{}
	for _, a := range c.Args[1:] {
		name, val, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) }) {
			t.Errorf("oci-sbx nri has no flag --%s", name)
		}
		flags[name] = val
	}
	// Each path a flag names, or its default, lies in a volume of the
	// right kind.
	value := func(name string) string {
		if v, ok := flags[name]; ok {
			return v
		}
		for _, f := range cmd.Flags {
			if sf, ok := f.(*cli.StringFlag); ok && sf.Name == name {
				return sf.Value
			}
		}
		t.Fatalf("oci-sbx nri has no flag --%s", name)
		return ""
	}
	volumeFor := func(path string) (*volume, mount) {
		for _, m := range c.VolumeMounts {
			if path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/") {
				for i, v := range ds.Spec.Template.Spec.Volumes {
					if v.Name == m.Name {
						return &ds.Spec.Template.Spec.Volumes[i], m
					}
				}
			}
		}
		return nil, mount{}
	}
	for _, name := range []string{"socket", "records"} {
		if v, _ := volumeFor(value(name)); v == nil || v.HostPath == nil {
			t.Errorf("--%s %s is not on a hostPath volume", name, value(name))
		}
	}
	// The runtime on the host binds the late stage's files and connects
	// to agents' and recorders' sockets: the paths the plugin gives it
	// must be the same on the host.
	for _, name := range []string{"late-dir", "agents", "record-run"} {
		if v, m := volumeFor(value(name)); v == nil || v.HostPath == nil || v.HostPath["path"] != m.MountPath {
			t.Errorf("--%s %s is not at the same path on the host", name, value(name))
		}
	}
	v, _ := volumeFor(value("profiles"))
	if v == nil || v.ConfigMap == nil {
		t.Fatalf("--profiles %s is not a ConfigMap volume", flags["profiles"])
	}
	profiles := configMaps[v.ConfigMap["name"]]
	if len(profiles) == 0 {
		t.Fatalf("the ConfigMap %s holds no profiles", v.ConfigMap["name"])
	}
	for name, content := range profiles {
		if code, _, stderr := runCLIInput(t, content, "convert", "--quiet", "-"); code != 0 {
			t.Errorf("profile %s of the ConfigMap does not convert: %s", name, stderr)
		}
	}
}
