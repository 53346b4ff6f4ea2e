package sandbox

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// FromBundle fills c from a runc bundle's config.json: the process (args,
// env, cwd, noNewPrivileges), and with profile its linux.seccomp. A late
// stage runs as in the container: its binary and profile from the bundle,
// after linux.seccomp. Without profile (the caller brings its own in place
// of linux.seccomp), the original process runs alone.
func (c *Config) FromBundle(dir string, profile bool, opt convert.Options) error {
	path := filepath.Join(dir, "config.json")
	data, err := bounded.ReadFile(path, convert.MaxInputSize)
	if err != nil {
		return fmt.Errorf("reading the bundle: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("decoding %q: %w", path, err)
	}
	p := spec.Process
	if p == nil {
		return fmt.Errorf("running the bundle: %q has no process", path)
	}
	if len(p.Args) == 0 {
		return fmt.Errorf("running the bundle: %q has no process.args", path)
	}
	c.Args = p.Args
	if profile {
		if c.Args, _, err = stage.HostArgs(&spec, dir); err != nil {
			return fmt.Errorf("running the bundle: %w", err)
		}
	} else if orig, ok := stage.OriginalArgs(p.Args); ok {
		c.Args = orig
	}
	c.Env = append([]string{}, p.Env...) // exactly the bundle's, even when empty
	c.Dir = p.Cwd
	c.NoNewPrivileges = p.NoNewPrivileges
	if !profile {
		return nil
	}
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return fmt.Errorf("running the bundle: %q has no linux.seccomp; give --profile", path)
	}
	c.Seccomp, err = convert.Read(path, data, convert.OCI, opt)
	return err
}
