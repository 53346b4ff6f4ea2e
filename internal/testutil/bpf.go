package testutil

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// AssembleBPF encodes a program as raw struct sock_filter bytes, with
// x/net/bpf's assembler rather than oci-sbx's own encoder, so that a test
// of that encoder or of a reader of raw programs has an independent
// source.
func AssembleBPF(t testing.TB, prog []bpf.Instruction) []byte {
	t.Helper()
	raw, err := bpf.Assemble(prog)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, ins := range raw {
		if err := binary.Write(&buf, binary.NativeEndian, unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}
