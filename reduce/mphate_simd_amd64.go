//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateUseAVX512 selects the 512-bit tiles (16 float32 or 8 float64 lanes) of the M-PHATE
// landmark kernels on CPUs with AVX-512 (F, CD, BW, DQ, VL).
var mphateUseAVX512 = knnUseSIMD && archsimd.X86.AVX512()

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32), terms added in order p = 0, 1, ... for
// every column; with AVX-512 and q a multiple of 16, 112 (then 64, 16) columns at a time are
// accumulated in registers, with AVX2/FMA 64 (then 16, 8). Every column's sum is formed in the same order (one FMA per term)
// on every path, so the results are the same bit for bit.
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	q := len(out)
	if !knnUseSIMD || len(cols) == 0 {
		mphateSpRow32Generic(out, vals, cols, src, q)
		return
	}
	_ = vals[len(cols)-1]
	if mphateUseAVX512 && q%16 == 0 {
		mphateSpRow32x16(out, vals, cols, src) // checks the rows as it goes
		clearUpper()
		return
	}
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

// mphateGramAdd adds xᵀx to g ([q, q] row-major) for the rows of x ([m, q] row-major): at least
// the entries (a, b) with b >= a are set (the caller mirrors them). See mphateCrossAdd.
func mphateGramAdd(g, x []float64, q int) { mphateCrossAdd(g, x, x, q) }

// mphateCrossAdd adds xᵀy to g ([q, q] row-major) for x and y ([m, q] row-major): at least the
// entries (a, b) with b >= a are set. Every entry is the sum over chunks of 128 rows of that
// chunk's sum (rows in order), added to g chunk by chunk, on every path but the plain loop's:
// with AVX-512 and q a multiple of 8, tiles of 8 × 8 entries on and above the diagonal
// accumulate in registers; with AVX2/FMA and q a multiple of 8, tiles of 4 × 8.
func mphateCrossAdd(g, x, y []float64, q int) {
	if mphateUseAVX512 && q%8 == 0 {
		mphateCrossAdd512(g, x, y, q)
		clearUpper()
		return
	}
	if !knnUseSIMD || q%8 != 0 {
		mphateCrossAddGeneric(g, x, y, q)
		return
	}
	m := len(x) / q
	_ = y[m*q-1]
	const chunk = 128
	for r0 := 0; r0 < m; r0 += chunk {
		r1 := min(m, r0+chunk)
		for a0 := 0; a0 < q; a0 += 4 {
			for b0 := a0 / 8 * 8; b0 < q; b0 += 8 {
				var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
				for r := r0; r < r1; r++ {
					row := y[r*q : r*q+q]
					v0 := archsimd.LoadFloat64x4((*[4]float64)(row[b0 : b0+4]))
					v1 := archsimd.LoadFloat64x4((*[4]float64)(row[b0+4 : b0+8]))
					a := (*[4]float64)(x[r*q+a0 : r*q+a0+4])
					w := archsimd.BroadcastFloat64x4(a[0])
					c00, c01 = w.MulAdd(v0, c00), w.MulAdd(v1, c01)
					w = archsimd.BroadcastFloat64x4(a[1])
					c10, c11 = w.MulAdd(v0, c10), w.MulAdd(v1, c11)
					w = archsimd.BroadcastFloat64x4(a[2])
					c20, c21 = w.MulAdd(v0, c20), w.MulAdd(v1, c21)
					w = archsimd.BroadcastFloat64x4(a[3])
					c30, c31 = w.MulAdd(v0, c30), w.MulAdd(v1, c31)
				}
				for i, c := range [4][2]archsimd.Float64x4{{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}} {
					gr := g[(a0+i)*q+b0 : (a0+i)*q+b0+8]
					archsimd.LoadFloat64x4((*[4]float64)(gr[:4])).Add(c[0]).StoreSlice(gr[:4])
					archsimd.LoadFloat64x4((*[4]float64)(gr[4:])).Add(c[1]).StoreSlice(gr[4:])
				}
			}
		}
	}
	clearUpper()
}

// mphateMulUpper replaces every row of x ([m, q] row-major) by row · u, u ([q, q] row-major)
// upper triangular. See mphateMulRight.
func mphateMulUpper(x, u []float64, q int) { mphateMulRight(x, u, q, true) }

// mphateMulFull replaces every row of x ([m, q] row-major) by row · u, u [q, q] row-major.
func mphateMulFull(x, u []float64, q int) { mphateMulRight(x, u, q, false) }

// mphateMulRight replaces every row of x ([m, q] row-major) by row · u (u [q, q] row-major,
// only its upper triangle read when upper). Every entry sums its terms in order a = 0, 1, ... on
// every path: with AVX-512 and q a multiple of 16, 4 rows × 16 columns at a time; with AVX2/FMA
// and q a multiple of 8, 4 rows × 8 columns.
func mphateMulRight(x, u []float64, q int, upper bool) {
	if mphateUseAVX512 && q%16 == 0 {
		mphateMulRight512(x, u, q, upper, make([]float64, 4*q))
		clearUpper()
		return
	}
	if !knnUseSIMD || q%8 != 0 {
		mphateMulRightGeneric(x, u, q, upper, make([]float64, q))
		return
	}
	m := len(x) / q
	tmp := make([]float64, 4*q)
	for r0 := 0; r0 < m; r0 += 4 {
		nr := min(4, m-r0)
		var rows [4][]float64
		for i := range rows {
			r := r0 + min(i, nr-1)
			rows[i] = x[r*q : r*q+q]
		}
		for b0 := 0; b0 < q; b0 += 8 {
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x4
			end := q
			if upper {
				end = b0 + 8
			}
			for a := 0; a < end; a++ {
				ua := u[a*q+b0 : a*q+b0+8]
				v0 := archsimd.LoadFloat64x4((*[4]float64)(ua[:4]))
				v1 := archsimd.LoadFloat64x4((*[4]float64)(ua[4:]))
				w := archsimd.BroadcastFloat64x4(rows[0][a])
				c00, c01 = w.MulAdd(v0, c00), w.MulAdd(v1, c01)
				w = archsimd.BroadcastFloat64x4(rows[1][a])
				c10, c11 = w.MulAdd(v0, c10), w.MulAdd(v1, c11)
				w = archsimd.BroadcastFloat64x4(rows[2][a])
				c20, c21 = w.MulAdd(v0, c20), w.MulAdd(v1, c21)
				w = archsimd.BroadcastFloat64x4(rows[3][a])
				c30, c31 = w.MulAdd(v0, c30), w.MulAdd(v1, c31)
			}
			c00.StoreSlice(tmp[b0:])
			c01.StoreSlice(tmp[b0+4:])
			c10.StoreSlice(tmp[q+b0:])
			c11.StoreSlice(tmp[q+b0+4:])
			c20.StoreSlice(tmp[2*q+b0:])
			c21.StoreSlice(tmp[2*q+b0+4:])
			c30.StoreSlice(tmp[3*q+b0:])
			c31.StoreSlice(tmp[3*q+b0+4:])
		}
		for i := 0; i < nr; i++ {
			copy(x[(r0+i)*q:(r0+i+1)*q], tmp[i*q:(i+1)*q])
		}
	}
	clearUpper()
}

// mphateNarrow sets dst[i] = float32(src[i]) for i < min(len(dst), len(src)).
func mphateNarrow(dst []float32, src []float64) {
	if mphateUseAVX512 {
		mphateNarrow512(dst, src)
		clearUpper()
		return
	}
	mphateNarrowGeneric(dst, src)
}

// mphateWiden sets dst[i] = float64(src[i]) (adds it when add) for i < min(len(dst), len(src)).
func mphateWiden(dst []float64, src []float32, add bool) {
	if mphateUseAVX512 {
		mphateWiden512(dst, src, add)
		clearUpper()
		return
	}
	mphateWidenGeneric(dst, src, add)
}

// mphateAdd32 adds src to dst for i < min(len(dst), len(src)).
func mphateAdd32(dst, src []float32) {
	if mphateUseAVX512 {
		mphateAdd32x16(dst, src)
		clearUpper()
		return
	}
	mphateAdd32Generic(dst, src)
}
