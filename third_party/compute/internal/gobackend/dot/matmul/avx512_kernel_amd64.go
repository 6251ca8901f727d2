// embviz patch (third_party/README.md): hand-written AVX-512 micro-kernels of the float32 matmul.

//go:build amd64 && goexperiment.simd

package matmul

// avx512Kernel4x32Asm is the float32 micro-kernel of avx512LargeKernelFloat32 in assembly
// (avx512_kernel_amd64.s): out[r*outStride+c] = Σ_{i<k} lhs[4i+r]·rhs[32i+c] for r < 4, c < 32,
// lhs and rhs packed as avx512PackLHSKernelRows4 and the RHS packing lay them out. The Go version
// compiles each multiply-add to VFMADD213PS, whose destination is a multiplicand, so every
// iteration copied the right-hand vectors and the accumulators between registers (~14 moves and
// the broadcasts as separate loads for 8 FMAs); here the accumulators stay in Z0-Z7 and each FMA
// is one VFMADD231PS, with the broadcasts loaded straight from memory.
//
//go:noescape
func avx512Kernel4x32Asm(lhs, rhs, out *float32, k, outStride int)

// useAVX512Kernel4x32Asm selects avx512Kernel4x32Asm in avx512LargeKernelFloat32 (tests turn it
// off to compare with the Go kernel).
var useAVX512Kernel4x32Asm = true

// avx512Kernel8x32Asm is two avx512Kernel4x32Asm tiles that share the right-hand panel: rows 0-3
// from lhsA, rows 4-7 from lhsB (the next packed group of 4 rows), written to out rows 0-7. With
// 16 accumulators it loads each right-hand vector once per 8 FMAs instead of 4 and keeps twice as
// many independent FMA chains in flight.
//
//go:noescape
func avx512Kernel8x32Asm(lhsA, lhsB, rhs, out *float32, k, outStride int)
