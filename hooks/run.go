package hooks

import (
	"fmt"
	"io"
	"time"

	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci"
)

// DefaultLog is where the precreate hook leaves its errors: Podman
// discards a hook's standard error.
const DefaultLog = "/run/oci-sbx/precreate.log"

// RunPrecreate is the precreate hook as Podman runs it: the container's
// config.json on r, the config to create the container with on w
// (Precreate). An error is also appended to the file log (see
// AppendLog), unless log is empty.
func RunPrecreate(r io.Reader, w io.Writer, log string, opt PrecreateOptions) error {
	config, err := bounded.ReadAll(r, oci.MaxConfigSize)
	if err != nil {
		return fmt.Errorf("reading config.json from standard input: %w", err)
	}
	out, err := Precreate(config, opt)
	if err != nil {
		err = fmt.Errorf("hook precreate: %w", err)
		if log != "" {
			line := fmt.Sprintf("%s oci-sbx: %v", time.Now().UTC().Format(time.RFC3339), err)
			if lerr := AppendLog(log, line); lerr != nil {
				return fmt.Errorf("%w; not logging to %s: %v", err, log, lerr)
			}
		}
		return err
	}
	_, err = w.Write(out)
	return err
}
