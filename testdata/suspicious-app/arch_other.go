//go:build !amd64

package main

// Architectures other than amd64 have neither int 0x80 nor x32, and the
// newer ones (arm64, riscv64) have no open or creat either; the attempts
// report that instead of pretending.
var (
	sysOpen   = -1
	sysCreat  = -1
	haveInt80 = false
	map32Bit  = 0
)

func int80(trap, a1, a2, a3 uintptr) uintptr { panic("int 0x80 needs amd64") }
