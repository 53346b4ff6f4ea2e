package late

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
	"github.com/oci-sbx/oci-sbx/internal/bounded"
	"github.com/oci-sbx/oci-sbx/oci/stage"
)

// CommandError is ExecLate's failure to find or execute the container's
// command, told apart from a failure of the late stage itself (which a
// missing file, such as the agent's socket, must not pass for).
type CommandError struct{ Err error }

func (e *CommandError) Error() string { return e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

// ErrProfileChanged reports a late profile whose bytes do not hash to the
// name it is run by: it changed after it was written, and nobody asked
// for what it says now.
var ErrProfileChanged = errors.New("the profile's bytes do not match the SHA-256 in its name")

// ReadProfile reads the late profile at path and decodes it strictly.
// The file is content-addressed, so a file whose bytes changed since it
// was written is refused (ErrProfileChanged), as is a name that carries
// no hash: the late stage fails closed rather than load a profile nobody
// asked for.
func ReadProfile(path string) (*specs.LinuxSeccomp, error) {
	name := filepath.Base(path)
	want, ok := strings.CutPrefix(name, stage.ProfilePrefix)
	want, ok2 := strings.CutSuffix(want, ".json")
	if _, err := hex.DecodeString(want); err != nil || !ok || !ok2 || len(want) != 2*sha256.Size || strings.ToLower(want) != want {
		return nil, fmt.Errorf("reading %q: the name is not %s<sha256>.json, so its bytes cannot be checked; patch the bundle again", path, stage.ProfilePrefix)
	}
	data, err := bounded.ReadFile(path, convert.MaxInputSize)
	if err != nil {
		return nil, err
	}
	if stage.ProfileName(data) != name {
		return nil, fmt.Errorf("reading %q: %w (it changed after it was written); patch the bundle again", path, ErrProfileChanged)
	}
	var s specs.LinuxSeccomp
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decoding %q: %w", path, err)
	}
	return &s, nil
}
