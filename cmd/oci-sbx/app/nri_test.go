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
	// The keys Kubernetes' SecurityContext has: a misspelt one would be
	// refused by the API server, or silently dropped by an older one.
	type securityContext struct {
		Capabilities *struct {
			Add  []string `yaml:"add"`
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
		Privileged               *bool          `yaml:"privileged"`
		SELinuxOptions           map[string]any `yaml:"seLinuxOptions"`
		WindowsOptions           map[string]any `yaml:"windowsOptions"`
		RunAsUser                *int64         `yaml:"runAsUser"`
		RunAsGroup               *int64         `yaml:"runAsGroup"`
		RunAsNonRoot             *bool          `yaml:"runAsNonRoot"`
		ReadOnlyRootFilesystem   *bool          `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool          `yaml:"allowPrivilegeEscalation"`
		ProcMount                string         `yaml:"procMount"`
		SeccompProfile           map[string]any `yaml:"seccompProfile"`
		AppArmorProfile          map[string]any `yaml:"appArmorProfile"`
	}
	type doc struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name      string            `yaml:"name"`
			Namespace string            `yaml:"namespace"`
			Labels    map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec struct {
					Containers []struct {
						Args            []string      `yaml:"args"`
						VolumeMounts    []mount       `yaml:"volumeMounts"`
						SecurityContext yaml.MapSlice `yaml:"securityContext"`
					} `yaml:"containers"`
					Volumes []volume `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	var ds *doc
	configMaps := map[string]map[string]string{}
	configMapNamespaces := map[string]string{}
	namespaces := map[string]bool{}
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
			configMapNamespaces[d.Metadata.Name] = d.Metadata.Namespace
		case "Namespace":
			namespaces[d.Metadata.Name] = true
		}
	}
	if ds == nil || len(ds.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("no DaemonSet with one container")
	}
	c := ds.Spec.Template.Spec.Containers[0]
	// What Kubernetes needs of the DaemonSet: a selector that matches the
	// pod's labels, mounts that name volumes, the ConfigMap and the
	// namespace of the file, typed host paths, and no privilege.
	if len(ds.Spec.Selector.MatchLabels) == 0 {
		t.Error("the DaemonSet has no selector")
	}
	for k, v := range ds.Spec.Selector.MatchLabels {
		if ds.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the selector's %s=%s is not a label of the pod template", k, v)
		}
	}
	if !namespaces[ds.Metadata.Namespace] {
		t.Errorf("the DaemonSet's namespace %q is not created in the file", ds.Metadata.Namespace)
	}
	for _, m := range c.VolumeMounts {
		if !slices.ContainsFunc(ds.Spec.Template.Spec.Volumes, func(v volume) bool { return v.Name == m.Name }) {
			t.Errorf("mount %s names no volume", m.Name)
		}
	}
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.HostPath != nil && v.HostPath["type"] == "" {
			t.Errorf("hostPath volume %s has no type: a missing directory would be created empty", v.Name)
		}
		if v.ConfigMap != nil && configMapNamespaces[v.ConfigMap["name"]] != ds.Metadata.Namespace {
			t.Errorf("volume %s names ConfigMap %s, which the file does not hold in namespace %s", v.Name, v.ConfigMap["name"], ds.Metadata.Namespace)
		}
	}
	raw, err := yaml.Marshal(c.SecurityContext)
	if err != nil {
		t.Fatal(err)
	}
	var sc securityContext
	if err := yaml.UnmarshalWithOptions(raw, &sc, yaml.Strict()); err != nil {
		t.Errorf("the container's securityContext: %v", err)
	}
	if sc.Privileged != nil && *sc.Privileged || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Add) > 0 || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("the plugin's container runs with privilege: %s", raw)
	}
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
