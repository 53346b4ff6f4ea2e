package hooks

import (
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/oci-sbx/oci-sbx/oci/record"
)

// What the Podman hook and the NRI plugin (package hooks/nri) do alike.

// RecordFilter is the record annotation for a back-end other than the
// precreate hook (the NRI plugin): it checks name beneath opt.Records,
// starts a recorder (oci-sbx record --listen, in a session of its own) on
// a fresh socket, and returns the recording filter whose listenerPath is
// that socket, within engine unless replace or engine is nil, and the
// calls left unobserved. The recorder writes the profile to name when the
// container has exited.
func RecordFilter(engine *specs.LinuxSeccomp, name string, replace, nnp bool, opt PrecreateOptions) (*specs.LinuxSeccomp, []string, error) {
	records := opt.Records
	if records == "" {
		records = DefaultRecords
	}
	// The name is checked now, so that a bad one refuses the container
	// instead of failing once it has run.
	d, _, err := record.OpenRecordsDir(records, name)
	if err != nil {
		return nil, nil, err
	}
	d.Close()
	run := opt.RecordRun
	if run == "" {
		run = DefaultRecordRun
	}
	if err := os.MkdirAll(run, 0o700); err != nil {
		return nil, nil, err
	}
	var rnd [12]byte
	if _, err := unix.Getrandom(rnd[:], 0); err != nil {
		return nil, nil, err
	}
	socket := filepath.Join(run, hex.EncodeToString(rnd[:])+".sock")
	s, unobserved, err := containerFilter(engine, socket, nnp, replace)
	if err != nil {
		return nil, nil, err
	}
	if err := startRecorder(opt, socket, records, name); err != nil {
		return nil, nil, err
	}
	return s, unobserved, nil
}
