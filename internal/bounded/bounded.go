// Package bounded is reading input up to a size limit: profiles,
// config.json and annotations come from places a user does not control,
// and one that never ends must not exhaust memory.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrTooLarge matches the error of ReadAll for input over its limit.
var ErrTooLarge = errors.New("larger than the limit")

type tooLarge int64

func (e tooLarge) Error() string {
	if e >= 1<<20 && e%(1<<20) == 0 {
		return fmt.Sprintf("larger than %d MiB", int64(e)>>20)
	}
	return fmt.Sprintf("larger than %d bytes", int64(e))
}

func (tooLarge) Is(target error) bool { return target == ErrTooLarge }

// ReadAll reads r to its end, or fails with an error matching
// ErrTooLarge ("larger than 16 MiB") once it has read more than max bytes.
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooLarge(max)
	}
	return data, nil
}

// ReadFile reads the file at path as ReadAll reads, naming the file in
// an error of reading; an error of opening it names it already.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadAll(f, max)
	if err != nil {
		// The *PathError of read(2) would name the file a second time.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading %q: %w", path, err)
	}
	return data, nil
}
