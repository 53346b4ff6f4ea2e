package bounded

import (
	"errors"
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
