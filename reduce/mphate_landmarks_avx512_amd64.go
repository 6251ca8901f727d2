//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateSpRow32x16 is mphateSpRow32's AVX-512 path (q = len(out) a multiple of 16): out[c] for
// blocks of 112, 64 and 16 columns (7, 4 and 1 registers of 16 lanes) accumulated over the row's
// entries in order p = 0, 1, ...; every entry's row cols[p] is checked against src's len(src)/q
// rows as it is read (a compare per entry, instead of a pass over cols before).
func mphateSpRow32x16(out, vals []float32, cols []int32, src []float32) {
	q := len(out)
	rows := uint(len(src) / q)
	_ = vals[len(cols)-1]
	sp := unsafe.Pointer(&src[0])
	stride := uintptr(q) * 4
	c := 0
	for ; c+112 <= q; c += 112 {
		var a0, a1, a2, a3, a4, a5, a6 archsimd.Float32x16
		for p, j := range cols {
			if uint(j) >= rows {
				panic("reduce: mphateSpRow32: column outside src")
			}
			w := archsimd.BroadcastFloat32x16(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4)
			a0 = archsimd.LoadFloat32x16((*[16]float32)(b)).MulAdd(w, a0)
			a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 64))).MulAdd(w, a1)
			a2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 128))).MulAdd(w, a2)
			a3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 192))).MulAdd(w, a3)
			a4 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 256))).MulAdd(w, a4)
			a5 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 320))).MulAdd(w, a5)
			a6 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 384))).MulAdd(w, a6)
		}
		o := out[c : c+112]
		a0.StoreSlice(o[0:16])
		a1.StoreSlice(o[16:32])
		a2.StoreSlice(o[32:48])
		a3.StoreSlice(o[48:64])
		a4.StoreSlice(o[64:80])
		a5.StoreSlice(o[80:96])
		a6.StoreSlice(o[96:112])
	}
	for ; c+64 <= q; c += 64 {
		var a0, a1, a2, a3 archsimd.Float32x16
		for p, j := range cols {
			if uint(j) >= rows {
				panic("reduce: mphateSpRow32: column outside src")
			}
			w := archsimd.BroadcastFloat32x16(vals[p])
			b := unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4)
			a0 = archsimd.LoadFloat32x16((*[16]float32)(b)).MulAdd(w, a0)
			a1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 64))).MulAdd(w, a1)
			a2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 128))).MulAdd(w, a2)
			a3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(b, 192))).MulAdd(w, a3)
		}
		o := out[c : c+64]
		a0.StoreSlice(o[0:16])
		a1.StoreSlice(o[16:32])
		a2.StoreSlice(o[32:48])
		a3.StoreSlice(o[48:64])
	}
	for ; c+16 <= q; c += 16 {
		var a0 archsimd.Float32x16
		for p, j := range cols {
			if uint(j) >= rows {
				panic("reduce: mphateSpRow32: column outside src")
			}
			w := archsimd.BroadcastFloat32x16(vals[p])
			a0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(sp, uintptr(j)*stride+uintptr(c)*4))).MulAdd(w, a0)
		}
		a0.StoreSlice(out[c : c+16])
	}
}

// mphateCrossAdd512 is mphateCrossAdd's AVX-512 tile (q a multiple of 8): the 8 × 8 blocks of g
// on and above the diagonal accumulate in registers over chunks of 128 rows (one load of y's
// block and 8 broadcasts of x's per row), then are added to g. (Go allocates 15 vector
// registers; 4 × 16 tiles, whose loads and broadcasts are each used twice or more, were spilled
// to the stack and ran at half this speed.)
func mphateCrossAdd512(g, x, y []float64, q int) {
	m := len(x) / q
	if m == 0 || len(y) < m*q || len(g) < q*q {
		return
	}
	xp, yp := unsafe.Pointer(&x[0]), unsafe.Pointer(&y[0])
	rs := uintptr(q) * 8
	const chunk = 128
	for r0 := 0; r0 < m; r0 += chunk {
		r1 := min(m, r0+chunk)
		for a0 := 0; a0 < q; a0 += 8 {
			for b0 := a0; b0 < q; b0 += 8 {
				var c0, c1, c2, c3, c4, c5, c6, c7 archsimd.Float64x8
				xa := unsafe.Add(xp, uintptr(r0)*rs+uintptr(a0)*8)
				yb := unsafe.Add(yp, uintptr(r0)*rs+uintptr(b0)*8)
				for r := r0; r < r1; r++ {
					v := archsimd.LoadFloat64x8((*[8]float64)(yb))
					a := (*[8]float64)(xa)
					c0 = archsimd.BroadcastFloat64x8(a[0]).MulAdd(v, c0)
					c1 = archsimd.BroadcastFloat64x8(a[1]).MulAdd(v, c1)
					c2 = archsimd.BroadcastFloat64x8(a[2]).MulAdd(v, c2)
					c3 = archsimd.BroadcastFloat64x8(a[3]).MulAdd(v, c3)
					c4 = archsimd.BroadcastFloat64x8(a[4]).MulAdd(v, c4)
					c5 = archsimd.BroadcastFloat64x8(a[5]).MulAdd(v, c5)
					c6 = archsimd.BroadcastFloat64x8(a[6]).MulAdd(v, c6)
					c7 = archsimd.BroadcastFloat64x8(a[7]).MulAdd(v, c7)
					xa, yb = unsafe.Add(xa, rs), unsafe.Add(yb, rs)
				}
				for i, c := range [8]archsimd.Float64x8{c0, c1, c2, c3, c4, c5, c6, c7} {
					gr := g[(a0+i)*q+b0 : (a0+i)*q+b0+8]
					archsimd.LoadFloat64x8((*[8]float64)(gr)).Add(c).StoreSlice(gr)
				}
			}
		}
	}
}

// mphateMulRight512 is mphateMulRight's AVX-512 tile (q a multiple of 16): 4 rows × 16 columns
// of x·u at a time, over u's rows a < b0+16 only when upper (u upper triangular), all q
// otherwise; tmp has length >= 4q.
func mphateMulRight512(x, u []float64, q int, upper bool, tmp []float64) {
	m := len(x) / q
	if m == 0 || len(u) < q*q || len(tmp) < 4*q {
		return
	}
	up := unsafe.Pointer(&u[0])
	for r0 := 0; r0 < m; r0 += 4 {
		nr := min(4, m-r0)
		x0 := unsafe.Pointer(&x[r0*q])
		x1 := unsafe.Pointer(&x[(r0+min(1, nr-1))*q])
		x2 := unsafe.Pointer(&x[(r0+min(2, nr-1))*q])
		x3 := unsafe.Pointer(&x[(r0+min(3, nr-1))*q])
		for b0 := 0; b0 < q; b0 += 16 {
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float64x8
			end := q
			if upper {
				end = b0 + 16
			}
			ua := unsafe.Add(up, uintptr(b0)*8)
			for a := 0; a < end; a++ {
				v0 := archsimd.LoadFloat64x8((*[8]float64)(ua))
				v1 := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(ua, 64)))
				off := uintptr(a) * 8
				w := archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(x0, off)))
				c00, c01 = w.MulAdd(v0, c00), w.MulAdd(v1, c01)
				w = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(x1, off)))
				c10, c11 = w.MulAdd(v0, c10), w.MulAdd(v1, c11)
				w = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(x2, off)))
				c20, c21 = w.MulAdd(v0, c20), w.MulAdd(v1, c21)
				w = archsimd.BroadcastFloat64x8(*(*float64)(unsafe.Add(x3, off)))
				c30, c31 = w.MulAdd(v0, c30), w.MulAdd(v1, c31)
				ua = unsafe.Add(ua, uintptr(q)*8)
			}
			c00.StoreSlice(tmp[b0 : b0+8])
			c01.StoreSlice(tmp[b0+8 : b0+16])
			c10.StoreSlice(tmp[q+b0 : q+b0+8])
			c11.StoreSlice(tmp[q+b0+8 : q+b0+16])
			c20.StoreSlice(tmp[2*q+b0 : 2*q+b0+8])
			c21.StoreSlice(tmp[2*q+b0+8 : 2*q+b0+16])
			c30.StoreSlice(tmp[3*q+b0 : 3*q+b0+8])
			c31.StoreSlice(tmp[3*q+b0+8 : 3*q+b0+16])
		}
		copy(x[r0*q:(r0+nr)*q], tmp[:nr*q])
	}
}

// mphateNarrow512 sets dst[i] = float32(src[i]) (AVX-512, 8 at a time).
func mphateNarrow512(dst []float32, src []float64) {
	n := min(len(dst), len(src))
	i := 0
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat64x8((*[8]float64)(src[i : i+8])).ConvertToFloat32().StoreSlice(dst[i : i+8])
	}
	for ; i < n; i++ {
		dst[i] = float32(src[i])
	}
}

// mphateWiden512 sets dst[i] = float64(src[i]), or adds it when add (AVX-512, 8 at a time).
func mphateWiden512(dst []float64, src []float32, add bool) {
	n := min(len(dst), len(src))
	i := 0
	if add {
		for ; i+8 <= n; i += 8 {
			d := dst[i : i+8]
			archsimd.LoadFloat64x8((*[8]float64)(d)).Add(archsimd.LoadFloat32x8((*[8]float32)(src[i : i+8])).ConvertToFloat64()).StoreSlice(d)
		}
		for ; i < n; i++ {
			dst[i] += float64(src[i])
		}
		return
	}
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat32x8((*[8]float32)(src[i : i+8])).ConvertToFloat64().StoreSlice(dst[i : i+8])
	}
	for ; i < n; i++ {
		dst[i] = float64(src[i])
	}
}

// mphateAdd32x16 adds src to dst (AVX-512, 16 at a time) for i < min(len(dst), len(src)).
func mphateAdd32x16(dst, src []float32) {
	n := min(len(dst), len(src))
	i := 0
	for ; i+16 <= n; i += 16 {
		d := dst[i : i+16]
		archsimd.LoadFloat32x16((*[16]float32)(d)).Add(archsimd.LoadFloat32x16((*[16]float32)(src[i : i+16]))).StoreSlice(d)
	}
	for ; i < n; i++ {
		dst[i] += src[i]
	}
}
