//go:build linux

package reexec

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// ReadLine takes a line longer than one read returns, and refuses one the
// peer cut short.
func TestReadLine(t *testing.T) {
	want := strings.Repeat("x", 300<<10)
	line, _ := json.Marshal(want)
	for _, tc := range []struct {
		parts [][]byte
		ok    bool
	}{
		{[][]byte{line[:1000], line[1000:], []byte("\n")}, true},
		{[][]byte{line[:1000]}, false},
	} {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for _, b := range tc.parts {
				_, _ = unix.Write(fds[1], b)
			}
			unix.Close(fds[1])
		}()
		var got string
		err = ReadLine(fds[0], &got)
		unix.Close(fds[0])
		if tc.ok && (err != nil || got != want) {
			t.Errorf("ReadLine: %d bytes, %v; want %d bytes", len(got), err, len(want))
		}
		if !tc.ok && err == nil {
			t.Error("a line cut short was read")
		}
	}
}
