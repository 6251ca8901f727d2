//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateSpRow sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major), terms added in order p = 0, 1, ... for every
// column; with AVX2/FMA, 32 (then 16, 4) columns at a time are accumulated in registers.
func mphateSpRow(out, vals []float64, cols []int32, src []float64) {
	q := len(out)
	if !knnUseSIMD || len(cols) == 0 {
		mphateSpRowGeneric(out, vals, cols, src, q)
		return
	}
	_ = vals[len(cols)-1]
	for _, j := range cols {
		_ = src[int(j)*q+q-1] // bounds, once
	}
	sp := unsafe.Pointer(&src[0])
	stride := uintptr(q) * 8
	c := 0
	for ; c+32 <= q; c += 32 {
		var a0, a1, a2, a3, a4, a5, a6, a7 archsimd.Float64x4
		for p, j := range cols {
			w := archsimd.BroadcastFloat64x4(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*8)
			a0 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(b)), a0)
			a1 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 32))), a1)
			a2 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 64))), a2)
			a3 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 96))), a3)
			a4 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 128))), a4)
			a5 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 160))), a5)
			a6 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 192))), a6)
			a7 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 224))), a7)
		}
		a0.StoreSlice(out[c : c+4])
		a1.StoreSlice(out[c+4 : c+8])
		a2.StoreSlice(out[c+8 : c+12])
		a3.StoreSlice(out[c+12 : c+16])
		a4.StoreSlice(out[c+16 : c+20])
		a5.StoreSlice(out[c+20 : c+24])
		a6.StoreSlice(out[c+24 : c+28])
		a7.StoreSlice(out[c+28 : c+32])
	}
	for ; c+16 <= q; c += 16 {
		var a0, a1, a2, a3 archsimd.Float64x4
		for p, j := range cols {
			w := archsimd.BroadcastFloat64x4(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*8)
			a0 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(b)), a0)
			a1 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 32))), a1)
			a2 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 64))), a2)
			a3 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(b, 96))), a3)
		}
		a0.StoreSlice(out[c : c+4])
		a1.StoreSlice(out[c+4 : c+8])
		a2.StoreSlice(out[c+8 : c+12])
		a3.StoreSlice(out[c+12 : c+16])
	}
	for ; c+4 <= q; c += 4 {
		var a0 archsimd.Float64x4
		for p, j := range cols {
			w := archsimd.BroadcastFloat64x4(vals[p])
			a0 = w.MulAdd(archsimd.LoadFloat64x4((*[4]float64)(unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*8))), a0)
		}
		a0.StoreSlice(out[c : c+4])
	}
	clearUpper()
	if c < q {
		mphateSpRowGeneric(out[c:], vals, cols, src[c:], q)
	}
}

// mphateSqDist32 is the squared Euclidean distance between a and b in float32 (AVX2/FMA, 8 lanes),
// for the k-means++ prefilter: the relative error is below (len(a)+3) 2^-24 (non-negative terms).
func mphateSqDist32(a, b []float32) float32 {
	if !knnUseSIMD || len(a) < 8 {
		return sqDist32(a, b)
	}
	b = b[:len(a)]
	var acc archsimd.Float32x8
	i := 0
	for ; i+8 <= len(a); i += 8 {
		d := archsimd.LoadFloat32x8Slice(a[i : i+8]).Sub(archsimd.LoadFloat32x8Slice(b[i : i+8]))
		acc = d.MulAdd(d, acc)
	}
	var v [8]float32
	acc.Store(&v)
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code: see clearUpper
	s := ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
	for ; i < len(a); i++ {
		e := a[i] - b[i]
		s += e * e
	}
	return s
}
