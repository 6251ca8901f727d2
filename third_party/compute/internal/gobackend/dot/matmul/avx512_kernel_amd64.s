// embviz patch (third_party/README.md): hand-written AVX-512 micro-kernels of the float32 matmul.

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// func avx512Kernel4x32Asm(lhs, rhs, out *float32, k, outStride int)
//
// out[r*outStride + c] = sum over i < k of lhs[4*i + r] * rhs[32*i + c], for r < 4 and c < 32.
// Accumulators Z0-Z7 (row r, columns 0-15 and 16-31 in Z(2r), Z(2r+1)); k may be 0.
TEXT ·avx512Kernel4x32Asm(SB), NOSPLIT, $0-40
	MOVQ lhs+0(FP), AX
	MOVQ rhs+8(FP), BX
	MOVQ out+16(FP), DI
	MOVQ k+24(FP), CX
	MOVQ outStride+32(FP), DX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ CX, CX
	JEQ store4x32

loop4x32:
	VMOVUPS (BX), Z8
	VMOVUPS 64(BX), Z9
	VBROADCASTSS (AX), Z10
	VBROADCASTSS 4(AX), Z11
	VBROADCASTSS 8(AX), Z12
	VBROADCASTSS 12(AX), Z13
	VFMADD231PS Z8, Z10, Z0
	VFMADD231PS Z9, Z10, Z1
	VFMADD231PS Z8, Z11, Z2
	VFMADD231PS Z9, Z11, Z3
	VFMADD231PS Z8, Z12, Z4
	VFMADD231PS Z9, Z12, Z5
	VFMADD231PS Z8, Z13, Z6
	VFMADD231PS Z9, Z13, Z7
	ADDQ $16, AX
	ADDQ $128, BX
	DECQ CX
	JNZ loop4x32

store4x32:
	SHLQ $2, DX
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ DX, DI
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	ADDQ DX, DI
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, 64(DI)
	ADDQ DX, DI
	VMOVUPS Z6, (DI)
	VMOVUPS Z7, 64(DI)
	VZEROUPPER
	RET
