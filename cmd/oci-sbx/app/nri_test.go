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
	// Each path a flag names lies in a volume of the right kind.
	volumeFor := func(path string) *volume {
		for _, m := range c.VolumeMounts {
			if path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/") {
				for i, v := range ds.Spec.Template.Spec.Volumes {
					if v.Name == m.Name {
						return &ds.Spec.Template.Spec.Volumes[i]
					}
				}
			}
		}
		return nil
	}
	if v := volumeFor(flags["socket"]); v == nil || v.HostPath == nil {
		t.Errorf("--socket %s is not on a hostPath volume", flags["socket"])
	}
	if v := volumeFor(flags["records"]); v == nil || v.HostPath == nil {
		t.Errorf("--records %s is not on a hostPath volume: recordings would go with the pod", flags["records"])
	}
	if v := volumeFor(flags["late-dir"]); v == nil || v.HostPath == nil || !strings.HasPrefix(flags["late-dir"], v.HostPath["path"]) {
		t.Errorf("--late-dir %s is not at the same path on the host", flags["late-dir"])
	}
	v := volumeFor(flags["profiles"])
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
