package oci

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseConfigRefuses(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"case variant at the top", `{"ociVersion": "1.0.2", "Linux": {}}`,
			`1:25: key "Linux" differs only in case from "linux": runc's decoder would read it as linux`},
		{"case variant of seccomp", "{\n\t\"linux\": {\n\t\t\"SECCOMP\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n\t}\n}",
			`3:3: key "SECCOMP" differs only in case from "seccomp": runc's decoder would read it as linux.seccomp`},
		{"case variant beside the exact key", `{"process": {"noNewPrivileges": true, "NoNewPrivileges": false}}`,
			`key "NoNewPrivileges" differs only in case from "noNewPrivileges": runc's decoder would read it as process.noNewPrivileges`},
		{"case variant inside a list", `{"mounts": [{"destination": "/x"}, {"Destination": "/y"}]}`,
			`differs only in case from "destination": runc's decoder would read it as mounts[1].destination`},
		{"case variant inside seccomp rules", `{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat"], "ACTION": "SCMP_ACT_ERRNO"}]}}}`,
			`runc's decoder would read it as linux.seccomp.syscalls[0].action`},
		{"Unicode case folding", `{"linux": {"ſeccomp": {}}}`, // U+017F folds to s
			`differs only in case from "seccomp"`},
		{"embedded struct field", `{"linux": {"resources": {"blockIO": {"weightDevice": [{"MAJOR": 8}]}}}}`,
			`differs only in case from "major"`},
		{"duplicate key", "{\"process\": {\"args\": [\"a\"],\n\"args\": [\"b\"]}}",
			`2:1: duplicate key "args" (first at 1:14): runc's decoder keeps the last one`},
		{"duplicate key through an escape", `{"linux": {}, "\u006cinux": {}}`, `duplicate key "linux"`},
		{"trailing object", "{}\n{}", "2:1: unexpected data after the JSON object"},
		{"trailing garbage", `{"ociVersion": "1"} x`, "1:21: unexpected data after the JSON object"},
		{"not an object", `["ociVersion"]`, "config.json is not a JSON object"},
		{"empty", " \n", "the file is empty"},
		{"truncated", `{"process": {`, "unexpected end of input"},
		{"malformed", `{"process": {]}`, "malformed JSON"},
		{"wrong type for runc", `{"process": {"args": "sh"}}`, "decoding as runc does: json: cannot unmarshal string into Go struct field Process.process.args of type []string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.config))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigAccepts(t *testing.T) {
	for _, config := range []string{
		`{}`,
		`{"annotations": {"Linux": "a map's keys are free", "linux": "b"}}`,
		`{"x-vendor": {"Linux": 1, "linux": 2}}`, // unknown fields are not runc's business
		`{"linux": null, "process": null}`,
	} {
		if _, err := ParseConfig([]byte(config)); err != nil {
			t.Errorf("%s: %v", config, err)
		}
	}
}

// A config written the way `runc spec` writes it comes back byte for
// byte, so a patch changes only the lines it means to.
func TestEditorKeepsLayout(t *testing.T) {
	data, err := os.ReadFile("testdata/runc-spec.json")
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Bytes(); !bytes.Equal(got, data) {
		t.Fatalf("unedited config changed:\n%s", Diff("before", "after", data, got))
	}
	if err := e.Apply(WithNoNewPrivileges(false)); err != nil {
		t.Fatal(err)
	}
	want := "@@ -43,7 +43,7 @@\n \t\t\t\t\"soft\": 1024\n \t\t\t}\n \t\t],\n-\t\t\"noNewPrivileges\": true\n+\t\t\"noNewPrivileges\": false\n \t},\n \t\"root\": {\n \t\t\"path\": \"rootfs\",\n"
	if d := Diff("a", "b", data, e.Bytes()); !strings.HasSuffix(d, want) {
		t.Errorf("diff:\n%s\nwant the hunk:\n%s", d, want)
	}
}

// Unknown fields, their order, escapes and numbers survive an edit token
// for token; a uint64 too large for int64 (and inexact as a float64)
// survives in an unknown field and in a runtime-spec one.
func TestEditorKeepsUnknownFields(t *testing.T) {
	const big = "18446744073709551516"
	config := `{"zz-first": {"b": 1, "a": [1.50, -0, 1e3, 1E-7, true, null]},
		"ociVersion": "1.0.2", "process": {"args": ["sh"], "x-note": "caf\u00e9 \"q\" <&>"},
		"linux": {"resources": {"cpu": {"period": ` + big + `}}, "x-big": ` + big + `},
		"aa-last": {}}
`
	e, err := ParseConfig([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	eperm := uint(1)
	if err := e.Apply(
		WithSeccomp(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"connect"}, Action: specs.ActErrno, ErrnoRet: &eperm}}}),
		WithNoNewPrivileges(true),
	); err != nil {
		t.Fatal(err)
	}
	out := e.Bytes()
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"zz-first":{"b":1,"a":[1.50,-0,1e3,1E-7,true,null]},"ociVersion":"1.0.2","process":{"args":["sh"],"x-note":"caf\u00e9 \"q\" <&>","noNewPrivileges":true},`,
		`"x-big":` + big + `,"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","flags":[],"syscalls":[`,
		`,"aa-last":{}}`,
		`"period":` + big,
	} {
		if !strings.Contains(compact.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	// The layout is the file's own: untouched lines stay as they were.
	if first := config[:strings.IndexByte(config, '\n')+1]; !bytes.HasPrefix(out, []byte(first)) || !bytes.HasSuffix(out, []byte("\t\t\"aa-last\": {}}\n")) {
		t.Errorf("the edit changed the layout of lines it did not touch:\n%s", out)
	}
	s, err := e.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if got := *s.Linux.Resources.CPU.Period; got != 18446744073709551516 {
		t.Errorf("cpu.period = %d", got)
	}
	if s.Linux.Seccomp.Flags == nil || !s.Process.NoNewPrivileges {
		t.Errorf("seccomp flags %v, noNewPrivileges %v", s.Linux.Seccomp.Flags, s.Process.NoNewPrivileges)
	}
}

func TestSpecOpts(t *testing.T) {
	e, err := ParseConfig([]byte(`{"process": {"args": ["/app", "-v"]}, "mounts": [{"destination": "/proc", "type": "proc"}, {"destination": "/x/", "type": "tmpfs"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Apply(
		WithArgsPrefix("/stage", "--"),
		WithMount(specs.Mount{Destination: "/x", Type: "bind", Source: "dir", Options: []string{"ro"}}),
		WithSeccomp(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.Spec()
	if strings.Join(s.Process.Args, " ") != "/stage -- /app -v" {
		t.Errorf("args %q", s.Process.Args)
	}
	if len(s.Mounts) != 2 || s.Mounts[0].Destination != "/proc" || s.Mounts[1].Type != "bind" {
		t.Errorf("mounts %+v: the mount at /x/ should have been replaced", s.Mounts)
	}
	if len(s.Linux.Seccomp.Flags) != 1 {
		t.Errorf("flags %v", s.Linux.Seccomp.Flags)
	}
	if err := e.Apply(WithoutMount("/x"), WithSeccomp(nil)); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Spec(); len(s.Mounts) != 1 || s.Linux.Seccomp != nil {
		t.Errorf("after removal: mounts %+v, seccomp %+v", s.Mounts, s.Linux.Seccomp)
	}

	// Missing and null objects on the way are created; other values are
	// not overwritten.
	e, _ = ParseConfig([]byte(`{"linux": null}`))
	if err := e.Apply(WithNoNewPrivileges(true), WithSeccomp(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, e.Bytes()); err != nil {
		t.Fatal(err)
	}
	if got := compact.String(); !strings.Contains(got, `"noNewPrivileges":true`) || !strings.Contains(got, `"seccomp":{`) {
		t.Errorf("got %s", got)
	}
	e, _ = ParseConfig([]byte(`{"x": 1}`))
	if err := e.Set(true, "x", "y"); err == nil || !strings.Contains(err.Error(), "x is not an object") {
		t.Errorf("setting through a number: %v", err)
	}
	if err := e.Apply(WithArgsPrefix("/stage")); err == nil {
		t.Error("prefixing missing args succeeded")
	}
}

// An edit keeps the file's own indentation and line endings, so a diff
// shows only what changed.
func TestEditorKeepsIndentationAndLineEndings(t *testing.T) {
	for _, tt := range []struct{ name, nl, unit string }{
		{"two spaces, LF", "\n", "  "},
		{"tabs, CRLF", "\r\n", "\t"},
		{"four spaces, CRLF", "\r\n", "    "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines := []string{
				"{",
				tt.unit + `"ociVersion": "1.0.2",`,
				tt.unit + `"process": {`,
				tt.unit + tt.unit + `"args": [ "sh" ],`,
				tt.unit + tt.unit + `"noNewPrivileges": false`,
				tt.unit + `},`,
				tt.unit + `"linux": {`,
				tt.unit + tt.unit + `"namespaces": [ { "type": "pid" } ]`,
				tt.unit + `}`,
				"}",
				"",
			}
			config := strings.Join(lines, tt.nl)
			e, err := ParseConfig([]byte(config))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Apply(WithNoNewPrivileges(true), WithSeccomp(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow})); err != nil {
				t.Fatal(err)
			}
			want := strings.Join([]string{
				"{",
				tt.unit + `"ociVersion": "1.0.2",`,
				tt.unit + `"process": {`,
				tt.unit + tt.unit + `"args": [ "sh" ],`,
				tt.unit + tt.unit + `"noNewPrivileges": true`,
				tt.unit + `},`,
				tt.unit + `"linux": {`,
				tt.unit + tt.unit + `"namespaces": [ { "type": "pid" } ],`,
				tt.unit + tt.unit + `"seccomp": {`,
				tt.unit + tt.unit + tt.unit + `"defaultAction": "SCMP_ACT_ALLOW",`,
				tt.unit + tt.unit + tt.unit + `"flags": []`,
				tt.unit + tt.unit + `}`,
				tt.unit + `}`,
				"}",
				"",
			}, tt.nl)
			if got := string(e.Bytes()); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
			// Undoing the edits gives back the file byte for byte.
			if err := e.Apply(WithNoNewPrivileges(false), WithSeccomp(nil)); err != nil {
				t.Fatal(err)
			}
			if got := string(e.Bytes()); got != config {
				t.Errorf("after undoing the edits got\n%q\nwant\n%q", got, config)
			}
		})
	}
}
