package bounded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int64
		want string // the data, or the error
	}{
		{"", 4, ""},
		{"abcd", 4, "abcd"},
		{"abcde", 4, "larger than 4 bytes"},
	} {
		got, err := ReadAll(strings.NewReader(tc.in), tc.max)
		if err != nil {
			if err.Error() != tc.want || !errors.Is(err, ErrTooLarge) {
				t.Errorf("ReadAll(%q, %d): %v", tc.in, tc.max, err)
			}
			continue
		}
		if string(got) != tc.want {
			t.Errorf("ReadAll(%q, %d) = %q", tc.in, tc.max, got)
		}
	}
	// An endless input stops at the limit.
	if _, err := ReadAll(endless{}, 16<<20); err == nil || err.Error() != "larger than 16 MiB" {
		t.Errorf("endless input: %v", err)
	}
	if _, err := ReadAll(iotest.ErrReader(errors.New("boom")), 4); err == nil || errors.Is(err, ErrTooLarge) {
		t.Errorf("a failing reader: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// ReadFile names the file when the file is too large, and fails as
// os.Open does for one that is not there.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p")
	if err := os.WriteFile(path, []byte("abcde"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(path, 5); err != nil || string(got) != "abcde" {
		t.Errorf("ReadFile(5): %q, %v", got, err)
	}
	if _, err := ReadFile(path, 4); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), strconv.Quote(path)) {
		t.Errorf("ReadFile(4): %v; want ErrTooLarge naming %q", err, path)
	}
	if _, err := ReadFile(filepath.Join(dir, "none"), 4); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	// A directory is named once.
	if _, err := ReadFile(dir, 4); err == nil || err.Error() != fmt.Sprintf("reading %q: is a directory", dir) {
		t.Errorf("a directory: %v", err)
	}
}
