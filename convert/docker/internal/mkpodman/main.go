//go:build generate

// Command mkpodman writes Podman's default seccomp profile, as
// github.com/containers/common's pkg/seccomp.DefaultProfile returns it, to
// convert/docker/builtin/podman-default.json, where package docker embeds it.
//
// It lives apart from package docker because pkg/seccomp links
// libseccomp through cgo when built with the seccomp tag, and it builds
// only with the generate tag (and without seccomp, which DefaultProfile
// does not need), so no ordinary build or dependency check sees it. Run
// it through go generate in convert/docker:
//
//	go generate ./convert/docker
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containers/common/pkg/seccomp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkpodman:", err)
		os.Exit(1)
	}
}

func run() error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(seccomp.DefaultProfile()); err != nil {
		return fmt.Errorf("encoding the profile: %w", err)
	}
	dir := "builtin"
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Join("convert", "docker", "builtin") // run from the module root
	}
	out := filepath.Join(dir, "podman-default.json")
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
