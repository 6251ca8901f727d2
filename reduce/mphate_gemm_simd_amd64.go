//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateGEMMStripe returns the width of the column stripes mphateGEMMRows computes: 16 with
// AVX-512, 8 with AVX2, 0 without SIMD.
func mphateGEMMStripe() int {
	switch {
	case !knnUseSIMD:
		return 0
	case mphateUseAVX512:
		return 16
	}
	return 8
}

// mphateGEMMRows computes c's rows i..i+nr-1 (nr <= 4) of c = a b (see mphateGEMM) for the
// columns j..j+w-1 of one stripe (w = mphateGEMMStripe(): 4 rows × 2 vectors of Float64x8 or
// Float64x4 accumulators, which with the operands fit the 15 vector registers Go allocates),
// bs holding b's columns j..j+w-1 packed ([kk, w], read in order), every lane a chain of fused
// multiply-adds over t in order.
func mphateGEMMRows(c, a, bs []float64, i, nr, kk, n, j int) {
	var rows [4]unsafe.Pointer
	for r := range rows {
		rows[r] = unsafe.Pointer(&a[(i+min(r, nr-1))*kk])
	}
	bp := unsafe.Pointer(&bs[0])
	if mphateUseAVX512 {
		var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float64x8
		r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
		for t := uintptr(0); t < uintptr(kk); t++ {
			bt := unsafe.Add(bp, t*128)
			b0 := archsimd.LoadFloat64x8((*[8]float64)(bt))
			b1 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(bt, 64)))
			s := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(r0, t*8)))
			a00 = s.MulAdd(b0, a00)
			a01 = s.MulAdd(b1, a01)
			s = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(r1, t*8)))
			a10 = s.MulAdd(b0, a10)
			a11 = s.MulAdd(b1, a11)
			s = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(r2, t*8)))
			a20 = s.MulAdd(b0, a20)
			a21 = s.MulAdd(b1, a21)
			s = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(r3, t*8)))
			a30 = s.MulAdd(b0, a30)
			a31 = s.MulAdd(b1, a31)
		}
		accs := [4][2]archsimd.Float64x8{{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}}
		for r := 0; r < nr; r++ {
			out := c[(i+r)*n+j : (i+r)*n+j+16]
			accs[r][0].Store((*[8]float64)(out[0:8]))
			accs[r][1].Store((*[8]float64)(out[8:16]))
		}
		archsimd.ClearAVXUpperBits()
		return
	}
	var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float64x4
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	for t := uintptr(0); t < uintptr(kk); t++ {
		bt := unsafe.Add(bp, t*64)
		b0 := archsimd.LoadFloat64x4((*[4]float64)(bt))
		b1 := archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(bt, 32)))
		s := archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(r0, t*8)))
		a00 = s.MulAdd(b0, a00)
		a01 = s.MulAdd(b1, a01)
		s = archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(r1, t*8)))
		a10 = s.MulAdd(b0, a10)
		a11 = s.MulAdd(b1, a11)
		s = archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(r2, t*8)))
		a20 = s.MulAdd(b0, a20)
		a21 = s.MulAdd(b1, a21)
		s = archsimd.BroadcastFloat64x4(*(*float64)(unsafe.Add(r3, t*8)))
		a30 = s.MulAdd(b0, a30)
		a31 = s.MulAdd(b1, a31)
	}
	accs := [4][2]archsimd.Float64x4{{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}}
	for r := 0; r < nr; r++ {
		out := c[(i+r)*n+j : (i+r)*n+j+8]
		accs[r][0].Store((*[4]float64)(out[0:4]))
		accs[r][1].Store((*[4]float64)(out[4:8]))
	}
	archsimd.ClearAVXUpperBits()
}
