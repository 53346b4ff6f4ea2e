package convert

import (
	"io/fs"
	"strings"
	"testing"
)

// A reader of the files a profile extends (the hooks' confinement) is the
// only way to them, and what such a file says never reaches an error.
func TestReadFileOption(t *testing.T) {
	files := map[string]string{
		"base.yaml":     "default: errno(EPERM)\nrules:\n  - action: allow\n    syscalls: [read]\n",
		"sub/base.yaml": "default: errno(EPERM)\nrules:\n  - action: allow\n    syscalls: [write]\n",
		"shadow":        "root:$6$secret:19000:0:99999:7:::\n",
	}
	var asked []string
	opt := Options{ReadFile: func(path string) ([]byte, error) {
		asked = append(asked, path)
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}}
	for _, tc := range []struct {
		name, file, src, asked, err string
	}{
		{name: "relative to the annotation", file: "io.oci-sbx.rules", src: "{extends: base.yaml}", asked: "base.yaml"},
		{name: "relative to the naming file", file: "sub/web.yaml", src: "extends: base.yaml\n", asked: "sub/base.yaml"},
		{name: "absolute as written", file: "web.yaml", src: "extends: /etc/base.yaml\n", asked: "/etc/base.yaml", err: "file does not exist"},
		{name: "not a profile", file: "web.yaml", src: "extends: shadow\n", asked: "shadow",
			err: `web.yaml:1:10: extends "shadow": "shadow": not a profile oci-sbx reads (line 1, column 1); check it with oci-sbx lint`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked = nil
			_, err := Read(tc.file, []byte(tc.src), Rules, opt)
			if len(asked) != 1 || asked[0] != tc.asked {
				t.Errorf("read %q; want %q", asked, tc.asked)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("Read: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("Read: %v; want %q", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}
