package main

import "golang.org/x/sys/unix"

// Variables, not constants: arch_other.go sets the numbers to -1.
var (
	sysOpen   = unix.SYS_OPEN
	sysCreat  = unix.SYS_CREAT
	haveInt80 = true
	map32Bit  = unix.MAP_32BIT
)

// int80 is implemented in int80_amd64.s.
func int80(trap, a1, a2, a3 uintptr) uintptr
