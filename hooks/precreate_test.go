package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// podmanConfig is a config.json as Podman hands it to a precreate hook
// (json.Marshal of a runtime-spec Spec), plus a field no runtime-spec
// version has, and the annotations given.
func podmanConfig(t *testing.T, annotations map[string]string) []byte {
	t.Helper()
	ann := ""
	if annotations != nil {
		b, err := json.Marshal(annotations)
		if err != nil {
			t.Fatal(err)
		}
		ann = `,"annotations":` + string(b)
	}
	return []byte(`{"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0},"args":["/suspicious-app","-x"],` +
		`"env":["PATH=/usr/bin"],"cwd":"/","noNewPrivileges":false},"root":{"path":"/var/lib/c/merged"},` +
		`"hostname":"abc","mounts":[{"destination":"/proc","type":"proc","source":"proc"}],` +
		`"linux":{"namespaces":[{"type":"pid"}],"maskedPaths":["/proc/kcore"]},"x-vendor":{"n":1.50}` + ann + "}")
}

const denyConnect = `default: allow
rules:
  - action: errno(ECONNREFUSED)
    syscalls: [connect]
`

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecreatePassThrough(t *testing.T) {
	for name, in := range map[string][]byte{
		"no annotations":     podmanConfig(t, nil),
		"other annotations":  podmanConfig(t, map[string]string{"io.podman.annotations.autoremove": "TRUE", "x.io.oci-sbx.profile": "/x"}),
		"odd formatting":     []byte("{\n  \"ociVersion\" : \"1.0.0\",\"process\":{\"args\":[\"sh\"]} , \"z\": 1e3 }\n\n"),
		"annotations null":   []byte(`{"ociVersion":"1.0.0","annotations":null}`),
		"duplicate keys too": []byte(`{"ociVersion":"1.0.0","ociVersion":"1.0.1"}`),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Precreate(in, PrecreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, in) {
				t.Errorf("changed:\n%s\nwant:\n%s", out, in)
			}
		})
	}
}

// applied returns linux.seccomp of a precreate result, and the rest of the
// config as a generic value.
func applied(t *testing.T, out []byte) (*specs.LinuxSeccomp, map[string]any) {
	t.Helper()
	var spec specs.Spec
	if err := json.Unmarshal(out, &spec); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		t.Fatalf("no linux.seccomp:\n%s", out)
	}
	var rest map[string]any
	if err := json.Unmarshal(out, &rest); err != nil {
		t.Fatal(err)
	}
	delete(rest["linux"].(map[string]any), "seccomp")
	return spec.Linux.Seccomp, rest
}

func TestPrecreateApplies(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "deny-connect.yaml", denyConnect)
	want, err := convert.Read("want", []byte(denyConnect), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, ann := range map[string]map[string]string{
		"profile":                   {AnnotationProfile: file},
		"relative":                  {AnnotationProfile: "deny-connect.yaml"},
		"namespace in another case": {"IO.OCI-SBX.profile": "./deny-connect.yaml"},
		"rules":                     {AnnotationRules: denyConnect},
		"flow on one":               {AnnotationRules: "{default: allow, rules: [{action: errno(ECONNREFUSED), syscalls: [connect]}]}"},
	} {
		t.Run(name, func(t *testing.T) {
			in := podmanConfig(t, ann)
			out, err := Precreate(in, PrecreateOptions{Profiles: dir})
			if err != nil {
				t.Fatal(err)
			}
			got, rest := applied(t, out)
			if err := convert.Equal(got, want); err != nil {
				t.Errorf("linux.seccomp is not the profile: %v", err)
			}
			// The config comes back in its own layout: one line from Podman.
			if !bytes.Contains(out, []byte(`"flags":[]`)) {
				t.Errorf(`no "flags": [] (runc would add SPEC_ALLOW):\n%s`, out)
			}
			// Everything else is as it was, unknown fields included.
			_, before := applied(t, mustAddSeccomp(t, in))
			if d := cmp.Diff(before, rest); d != "" {
				t.Errorf("the rest of the config changed (-before +after):\n%s", d)
			}
			if !bytes.Contains(out, []byte(`1.50`)) {
				t.Error("the number 1.50 was rewritten")
			}
		})
	}
}

// mustAddSeccomp gives a config an empty linux.seccomp, so that applied
// can compare the rest of it.
func mustAddSeccomp(t *testing.T, config []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(config, &m); err != nil {
		t.Fatal(err)
	}
	m["linux"].(map[string]any)["seccomp"] = map[string]any{"defaultAction": "SCMP_ACT_ALLOW"}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrecreateErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yaml", denyConnect)
	bad := writeFile(t, dir, "bad.yaml", "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	notSocket := writeFile(t, dir, "not-a-socket", "")
	writeFile(t, dir, "secret", "root:*:19000:0:99999:7:::\n")
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "shadow")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "extends-shadow.yaml", "extends: /etc/shadow\n")
	_, hostSocket := agentSocket(t) // a host service's socket, outside
	if err := os.Symlink(hostSocket, filepath.Join(dir, "host.sock")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(writeFile(t, dir, "writable.yaml", denyConnect), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		config []byte
		want   string
	}{
		{"missing profile", podmanConfig(t, map[string]string{AnnotationProfile: filepath.Join(dir, "nope.yaml")}),
			`annotation io.oci-sbx.profile: reading "` + dir + `/nope.yaml": no such file or directory`},
		{"unreadable profile", podmanConfig(t, map[string]string{AnnotationProfile: good + "/x"}),
			`reading "` + good + `/x": not a directory`},
		{"directory", podmanConfig(t, map[string]string{AnnotationProfile: dir}),
			"not a regular file (directory)"},
		{"fifo", podmanConfig(t, map[string]string{AnnotationProfile: fifo}),
			"not a regular file (FIFO)"},
		{"a NUL in the name", podmanConfig(t, map[string]string{AnnotationProfile: "good.yaml\x00x"}),
			`reading "good.yaml\x00x": a name with a NUL byte`},
		{"a writable profile", podmanConfig(t, map[string]string{AnnotationProfile: "writable.yaml"}),
			`or the profile in it: "writable.yaml": writable by others (mode 0666 lets anyone write)`},
		{"inline rules extend a host file", podmanConfig(t, map[string]string{AnnotationRules: "{extends: /etc/shadow}"}),
			`extends "/etc/shadow": not a built-in base ([docker-default podman-default]) and not a readable file: outside the profiles directory "` + dir + `"`},
		{"inline rules extend out by ..", podmanConfig(t, map[string]string{AnnotationRules: "{extends: ../../../../../../etc/shadow}"}),
			`outside the profiles directory`},
		{"inline rules extend a file that is no profile", podmanConfig(t, map[string]string{AnnotationRules: "{extends: secret}"}),
			`extends "secret": "secret": not a profile oci-sbx reads (line 1, column 1); check it with oci-sbx lint`},
		{"inline rules extend a FIFO", podmanConfig(t, map[string]string{AnnotationRules: "{extends: fifo}"}),
			`extends "fifo": not a built-in base ([docker-default podman-default]) and not a readable file: not a regular file (FIFO)`},
		{"a profile extends a host file", podmanConfig(t, map[string]string{AnnotationProfile: "extends-shadow.yaml"}),
			`reading "extends-shadow.yaml": not a profile oci-sbx reads (line 1, column 10)`},
		{"absolute path outside", podmanConfig(t, map[string]string{AnnotationProfile: "/etc/passwd"}),
			`reading "/etc/passwd": outside the profiles directory "` + dir + `"`},
		{"relative path outside", podmanConfig(t, map[string]string{AnnotationProfile: "../../../../../../../etc/passwd"}),
			`outside the profiles directory`},
		{"symlink out", podmanConfig(t, map[string]string{AnnotationProfile: "shadow"}),
			`reading "shadow": outside the profiles directory`},
		{"invalid rules in a file", podmanConfig(t, map[string]string{AnnotationProfile: bad}),
			`annotation io.oci-sbx.profile: reading "` + bad + `": not a profile oci-sbx reads (line 4, column 16); check it with oci-sbx lint`},
		{"not a profile at all", podmanConfig(t, map[string]string{AnnotationProfile: "secret"}),
			`reading "secret": not a profile oci-sbx reads`},
		{"unknown key", podmanConfig(t, map[string]string{"io.oci-sbx.profil": good}),
			`"io.oci-sbx.profil": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{"key in another case", podmanConfig(t, map[string]string{"io.oci-sbx.Profile": good}),
			`"io.oci-sbx.Profile": unknown oci-sbx annotation: did you mean "io.oci-sbx.profile"?`},
		{"namespace and key in another case", podmanConfig(t, map[string]string{"IO.OCI-SBX.RULES": denyConnect}),
			`"IO.OCI-SBX.RULES": unknown oci-sbx annotation: did you mean "IO.OCI-SBX.rules"?`},
		{"a key only oci-sbx writes", podmanConfig(t, map[string]string{AnnotationRules: denyConnect, stage.NoNewPrivilegesAnnotation: "true"}),
			`"io.oci-sbx.set-no-new-privileges": annotation written by oci-sbx only`},
		{"engine-profile neither", podmanConfig(t, map[string]string{AnnotationRules: denyConnect, AnnotationEngineProfile: "Replace"}),
			`annotation io.oci-sbx.engine-profile: "Replace" is neither "keep" nor "replace"`},
		{"invalid inline rules", podmanConfig(t, map[string]string{AnnotationRules: "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [opnat]\n"}),
			`annotation io.oci-sbx.rules: io.oci-sbx.rules:4:16: unknown syscall "opnat": did you mean "openat"?`},
		{"inline rules not YAML", podmanConfig(t, map[string]string{AnnotationRules: "{[}"}),
			"annotation io.oci-sbx.rules: io.oci-sbx.rules:1:"},
		{"oversized inline rules", podmanConfig(t, map[string]string{AnnotationRules: denyConnect + "# " + strings.Repeat("x", MaxInlineRules) + "\n"}),
			"more than 64 KiB; put the rules in a file in the profiles directory and name it with io.oci-sbx.profile"},
		{"two profiles", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationRules: denyConnect}),
			"annotations io.oci-sbx.profile and io.oci-sbx.rules: give one profile, not two"},
		{"report without a profile", podmanConfig(t, map[string]string{AnnotationReport: "/run/agent.sock"}),
			"annotations io.oci-sbx.report: no profile: add io.oci-sbx.profile or io.oci-sbx.rules"},
		{"report to a missing agent", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: filepath.Join(dir, "agent.sock")}),
			`annotation io.oci-sbx.report: reporting to "` + dir + `/agent.sock": no such file or directory (start the agent with oci-sbx agent --socket ` + dir + "/agent.sock)"},
		{"report to a file", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: notSocket}),
			`reporting to "` + notSocket + `": not a socket`},
		{"report to a FIFO", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: "fifo"}),
			`reporting to "fifo": not a socket`},
		// runc would connect to it and the late stage bind it into the
		// container: a host service's socket must not be named.
		{"report to a socket outside", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: hostSocket}),
			`annotation io.oci-sbx.report: reporting to "` + hostSocket + `": outside the agents directory "` + dir + `"`},
		{"report through a symlink out", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: "host.sock"}),
			`reporting to "host.sock": outside the agents directory`},
		// The same for a listener the rules name themselves.
		{"a listener outside", podmanConfig(t, map[string]string{AnnotationRules: "{default: allow, listenerPath: " + hostSocket + ", rules: [{action: notify, syscalls: [mkdir]}]}"}),
			`annotation io.oci-sbx.rules: the profile's listenerPath: reporting to "` + hostSocket + `": outside the agents directory "` + dir + `"`},
		{"report to a relative path out", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: "../agent.sock"}),
			`reporting to "../agent.sock": outside the agents directory`},
		{"not JSON", []byte(`{"annotations": {`), "decoding config.json: 1:18: unexpected end of JSON input"},
		{"nested too deep", []byte(`{"annotations": {}, "x": ` + strings.Repeat("[", 20000)), "decoding config.json: 1:"},
		{"no process", []byte(`{"ociVersion":"1.0.0","annotations":{"io.oci-sbx.rules":"{default: allow}"}}`), "it has no process.args"},
		// What Podman 4.3 leaves of an unquoted multi-line --annotation.
		{"one line of block rules", podmanConfig(t, map[string]string{AnnotationRules: "extends: docker-default\n"}),
			`annotation io.oci-sbx.rules: "extends: docker-default" is one line of rules: Podman keeps only the first line`},
		{"one long line", podmanConfig(t, map[string]string{AnnotationRules: strings.Repeat("x", MaxInlineRules)}), `"xxxxxxxx`},
		{"one line too long", podmanConfig(t, map[string]string{AnnotationRules: strings.Repeat("x", MaxInlineRules+1)}), "more than 64 KiB"},
		{"a long report path", podmanConfig(t, map[string]string{AnnotationProfile: good, AnnotationReport: strings.Repeat("x", 1<<20)}), "more than 4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Precreate(tc.config, PrecreateOptions{LateDir: t.TempDir(), Profiles: dir, Agents: dir})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %.2000v\nwant it to contain %q", err, tc.want)
			}
			// An error quotes what it was given in part only.
			if err != nil && len(err.Error()) > 2048 {
				t.Errorf("an error of %d bytes", len(err.Error()))
			}
			// Never a word of a file that did not parse.
			if err != nil && (strings.Contains(err.Error(), "opnat") && !strings.Contains(tc.name, "inline") || strings.Contains(err.Error(), "root:")) {
				t.Errorf("the error quotes the file: %v", err)
			}
			if out != nil {
				t.Errorf("output despite the error:\n%s", out)
			}
		})
	}
}

// agentSocket listens on a socket where an agent would, in a new
// directory.
func agentSocket(t *testing.T) (dir, socket string) {
	t.Helper()
	dir = t.TempDir()
	socket = filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return dir, socket
}

func TestPrecreateReport(t *testing.T) {
	dir, socket := agentSocket(t)
	var warnings []string
	opt := PrecreateOptions{Agents: dir, Convert: convert.Options{Warn: func(m string) { warnings = append(warnings, m) }}}
	rules := denyConnect + "  - action: errno(EROFS)\n    syscalls: [mkdir]\n  - action: errno(EPERM)\n    syscalls: [umount2]\n    when: [\"arg1 & 0xffffffff == 0\"]\n"
	out, err := Precreate(podmanConfig(t, map[string]string{AnnotationRules: rules, AnnotationReport: socket}), opt)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := applied(t, out)
	profile, err := convert.Read("want", []byte(rules), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := ReportTo(profile, socket)
	if err != nil {
		t.Fatal(err)
	}
	if err := convert.Equal(got, want); err != nil {
		t.Errorf("linux.seccomp: %v", err)
	}
	if got.ListenerPath != socket || got.ListenerMetadata != `{"errnos":{"connect":111,"mkdir":30,"umount2":1}}` {
		t.Errorf("listenerPath %q, listenerMetadata %q", got.ListenerPath, got.ListenerMetadata)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
}

// The demo denies openat, which runc needs after it loads the filter: the
// profile goes into a late stage.
func TestPrecreateLateStage(t *testing.T) {
	demo := "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"
	in := podmanConfig(t, map[string]string{AnnotationRules: demo})
	lateDir := filepath.Join(t.TempDir(), "late")

	_, err := Precreate(in, PrecreateOptions{LateDir: lateDir, LateBinary: func() (string, error) { return "", errors.New("no static oci-sbx here") }})
	if err == nil || !strings.Contains(err.Error(), "openat") || !strings.Contains(err.Error(), "no static oci-sbx here") {
		t.Errorf("without a late binary: %v", err)
	}

	bin := "/usr/local/bin/oci-sbx-static"
	out, err := Precreate(in, PrecreateOptions{LateDir: lateDir, LateBinary: func() (string, error) { return bin, nil }})
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(out, &spec); err != nil {
		t.Fatal(err)
	}
	lateName, ok := stage.LateProfile(spec.Process.Args)
	if orig, _ := stage.OriginalArgs(spec.Process.Args); !ok || !cmp.Equal(orig, []string{"/suspicious-app", "-x"}) {
		t.Errorf("process.args %q", spec.Process.Args)
	}
	if !spec.Process.NoNewPrivileges {
		t.Error("process.noNewPrivileges is not set")
	}
	// The directory first, then the binary over its empty file.
	var mounts []specs.Mount
	for _, m := range spec.Mounts {
		if strings.HasPrefix(m.Destination, stage.MountPoint) {
			mounts = append(mounts, m)
		}
	}
	ro := []string{"bind", "ro", "nosuid", "nodev"}
	if len(mounts) != 2 || mounts[0].Destination != stage.MountPoint || filepath.Dir(mounts[0].Source) != lateDir ||
		mounts[1].Destination != stage.BinaryPath || mounts[1].Source != bin || !cmp.Equal(mounts[0].Options, ro) || !cmp.Equal(mounts[1].Options, ro) {
		t.Fatalf("mounts: %+v", mounts)
	}
	for name, size := range map[string]int{stage.BinaryName: 0, stage.AgentSocketName: -1} {
		fi, err := os.Stat(filepath.Join(mounts[0].Source, name))
		switch {
		case size < 0 && err == nil:
			t.Errorf("%s is there without a report", name)
		case size >= 0 && (err != nil || fi.Size() != int64(size)):
			t.Errorf("%s: %v", name, err)
		}
	}
	lateFile := filepath.Join(mounts[0].Source, lateName)
	late := readLate(t, lateFile)
	whole, err := convert.Read("demo", []byte(demo), convert.Rules, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := convert.Equal(late, whole); err != nil {
		t.Errorf("the late profile is not the whole profile: %v", err)
	}
	// runc can start under the early profile: it lets openat through.
	for _, r := range spec.Linux.Seccomp.Syscalls {
		for _, n := range r.Names {
			if n == "openat" && r.Action != specs.ActAllow {
				t.Errorf("the early profile gives openat %s", r.Action)
			}
		}
	}

	// The same profile again: the same directory, not a second one.
	if _, err := Precreate(in, PrecreateOptions{LateDir: lateDir, LateBinary: func() (string, error) { return bin, nil }}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(lateDir)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 {
		t.Errorf("late stages' directories %v, want one", dirs)
	}
}

// A listener an annotation's rules name lies beneath the agents
// directory, and linux.seccomp names the socket it resolves to.
func TestPrecreateListener(t *testing.T) {
	dir, socket := agentSocket(t)
	rules := "{default: allow, listenerPath: agent.sock, rules: [{action: notify, syscalls: [mkdir]}]}"
	out, err := Precreate(podmanConfig(t, map[string]string{AnnotationRules: rules}), PrecreateOptions{Agents: dir})
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(out, &spec); err != nil {
		t.Fatal(err)
	}
	if got := spec.Linux.Seccomp.ListenerPath; got != socket {
		t.Errorf("listenerPath %q, want %q", got, socket)
	}
}

// The demo, reported: the late stage notifies, through the socket bound
// into the container; runc's filter does not.
func TestPrecreateLateReport(t *testing.T) {
	dir, socket := agentSocket(t)
	demo := "default: allow\nrules:\n  - action: errno(EPERM)\n    syscalls: [openat, connect]\n"
	in := podmanConfig(t, map[string]string{AnnotationRules: demo, AnnotationReport: socket})
	out, err := Precreate(in, PrecreateOptions{Agents: dir, LateDir: dir, LateBinary: func() (string, error) { return "/oci-sbx-static", nil }})
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(out, &spec); err != nil {
		t.Fatal(err)
	}
	if s := spec.Linux.Seccomp; s.ListenerPath != "" {
		t.Errorf("runc's filter notifies %q", s.ListenerPath)
	}
	var lateFile string
	for _, m := range spec.Mounts {
		switch m.Destination {
		case LateAgentSocket:
			if m.Source != socket {
				t.Errorf("the socket mount: %+v", m)
			}
			socket = ""
		case stage.MountPoint:
			name, _ := stage.LateProfile(spec.Process.Args)
			lateFile = filepath.Join(m.Source, name)
			if _, err := os.Stat(filepath.Join(m.Source, stage.AgentSocketName)); err != nil {
				t.Errorf("no file to bind the socket over: %v", err)
			}
		}
	}
	if socket != "" {
		t.Errorf("the agent's socket is not bound into the container: %+v", spec.Mounts)
	}
	late := readLate(t, lateFile)
	if late.ListenerPath != LateAgentSocket || late.ListenerMetadata != `{"errnos":{"connect":1,"openat":1}}` {
		t.Errorf("late profile: listenerPath %q, metadata %q", late.ListenerPath, late.ListenerMetadata)
	}
}

// readLate reads a late profile the hook wrote.
func readLate(t *testing.T, path string) *specs.LinuxSeccomp {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := convert.Read(path, data, convert.OCI, convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
