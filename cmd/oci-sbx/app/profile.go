package app

import (
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/oci-sbx/oci-sbx/convert"
)

// readInput reads a file, or standard input for "-".
func readInput(stdin io.Reader, path string) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, convert.MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	if len(data) > convert.MaxInputSize {
		return nil, fmt.Errorf("reading %q: larger than %d MiB", path, convert.MaxInputSize>>20)
	}
	return data, nil
}

// loadProfile reads a profile in any format convert reads, sniffing the
// format unless from is set.
func loadProfile(stdin io.Reader, path string, from convert.Format, opt convert.Options) (*specs.LinuxSeccomp, error) {
	data, err := readInput(stdin, path)
	if err != nil {
		return nil, err
	}
	name := path
	if path == "-" {
		name = "<stdin>"
	}
	return convert.Read(name, data, from, opt)
}
