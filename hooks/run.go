package hooks

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci"
)

// DefaultLog is where the precreate hook leaves its errors: Podman
// discards a hook's standard error.
const DefaultLog = "/run/oci-sbx/precreate.log"

// maxLog bounds the log: past it, the log starts over.
const maxLog = 1 << 20

// RunPrecreate is the precreate hook as Podman runs it: the container's
// config.json on r, the config to create the container with on w
// (Precreate). An error is also appended to the file log, unless log is
// empty.
func RunPrecreate(r io.Reader, w io.Writer, log string, opt PrecreateOptions) error {
	config, err := bounded.ReadAll(r, oci.MaxConfigSize)
	if err != nil {
		return fmt.Errorf("reading config.json from standard input: %w", err)
	}
	out, err := Precreate(config, opt)
	if err != nil {
		err = fmt.Errorf("hook precreate: %w", err)
		if log != "" {
			logError(log, err)
		}
		return err
	}
	_, err = w.Write(out)
	return err
}

// logError appends err to the log file, best effort: the hook's answer to
// Podman is its exit status either way.
func logError(path string, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND | syscall.O_NOFOLLOW
	if fi, err := os.Lstat(path); err == nil && fi.Size() > maxLog {
		flags |= os.O_TRUNC
	}
	f, ferr := os.OpenFile(path, flags, 0o600)
	if ferr != nil {
		return
	}
	defer f.Close()
	// A log made before it was kept private, or by someone else: errors
	// name profiles and paths, so only root reads them.
	if err := f.Chmod(0o600); err != nil {
		return
	}
	fmt.Fprintf(f, "%s oci-sbx: %v\n", time.Now().UTC().Format(time.RFC3339), err)
}
