//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32), terms added in order p = 0, 1, ... for
// every column; with AVX2/FMA, 64 (then 16, 8) columns at a time are accumulated in registers.
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	q := len(out)
	if !knnUseSIMD || len(cols) == 0 {
		mphateSpRow32Generic(out, vals, cols, src, q)
		return
	}
	_ = vals[len(cols)-1]
	for _, j := range cols {
		_ = src[int(j)*q+q-1] // bounds, once
	}
	sp := unsafe.Pointer(&src[0])
	stride := uintptr(q) * 4
	c := 0
	for ; c+64 <= q; c += 64 {
		var a0, a1, a2, a3, a4, a5, a6, a7 archsimd.Float32x8
		for p, j := range cols {
			w := archsimd.BroadcastFloat32x8(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4)
			a0 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(b)), a0)
			a1 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 32))), a1)
			a2 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 64))), a2)
			a3 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 96))), a3)
			a4 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 128))), a4)
			a5 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 160))), a5)
			a6 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 192))), a6)
			a7 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 224))), a7)
		}
		a0.StoreSlice(out[c : c+8])
		a1.StoreSlice(out[c+8 : c+16])
		a2.StoreSlice(out[c+16 : c+24])
		a3.StoreSlice(out[c+24 : c+32])
		a4.StoreSlice(out[c+32 : c+40])
		a5.StoreSlice(out[c+40 : c+48])
		a6.StoreSlice(out[c+48 : c+56])
		a7.StoreSlice(out[c+56 : c+64])
	}
	for ; c+16 <= q; c += 16 {
		var a0, a1 archsimd.Float32x8
		for p, j := range cols {
			w := archsimd.BroadcastFloat32x8(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4)
			a0 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(b)), a0)
			a1 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(b, 32))), a1)
		}
		a0.StoreSlice(out[c : c+8])
		a1.StoreSlice(out[c+8 : c+16])
	}
	for ; c+8 <= q; c += 8 {
		var a0 archsimd.Float32x8
		for p, j := range cols {
			w := archsimd.BroadcastFloat32x8(vals[p])
			a0 = w.MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4))), a0)
		}
		a0.StoreSlice(out[c : c+8])
	}
	clearUpper()
	if c < q {
		mphateSpRow32Generic(out[c:], vals, cols, src[c:], q)
	}
}
