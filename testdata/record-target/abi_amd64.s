#include "textflag.h"

// func int80(nr, a1, a2, a3 uintptr) uintptr
TEXT ·int80(SB),NOSPLIT,$0-40
	MOVQ nr+0(FP), AX
	MOVQ a1+8(FP), BX
	MOVQ a2+16(FP), CX
	MOVQ a3+24(FP), DX
	INT $0x80
	MOVQ AX, ret+32(FP)
	RET

// func forkMarker(args unsafe.Pointer, size, marker uintptr) (pid uintptr, errno uintptr)
//
// clone3 without CLONE_VM: the child makes the marker ioctl and exits
// using registers only, so no Go code runs in the copy of this process.
TEXT ·forkMarker(SB),NOSPLIT,$0-40
	MOVQ marker+16(FP), R12
	MOVQ args+0(FP), DI
	MOVQ size+8(FP), SI
	MOVQ $435, AX // clone3
	SYSCALL
	CMPQ AX, $0
	JNE parent
	MOVQ $16, AX // ioctl(-1, marker, 0)
	MOVQ $-1, DI
	MOVQ R12, SI
	XORQ DX, DX
	SYSCALL
	MOVQ $231, AX // exit_group(0)
	XORQ DI, DI
	SYSCALL
parent:
	CMPQ AX, $0xfffffffffffff001
	JLS ok
	NEGQ AX
	MOVQ $0, pid+24(FP)
	MOVQ AX, errno+32(FP)
	RET
ok:
	MOVQ AX, pid+24(FP)
	MOVQ $0, errno+32(FP)
	RET
