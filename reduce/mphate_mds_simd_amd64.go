//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// smacofRow is smacofRowGeneric (same quantities) with AVX-512 for 2-D configurations: 8 points
// at a time (vector square roots and divisions), lane sums added at the end, so the sums are
// rounded differently from the portable loop's.
func smacofRow(cols, di, yi, sum []float64) (diag, stress float64) {
	M := len(di)
	if !mphateUseAVX512 || len(yi) != 2 || M < 8 {
		return smacofRowGeneric(cols, di, yi, sum)
	}
	x0, x1 := cols[:M], cols[M:2*M]
	p0, p1, pd := unsafe.Pointer(&x0[0]), unsafe.Pointer(&x1[0]), unsafe.Pointer(&di[0])
	y0, y1 := archsimd.BroadcastFloat64x8(yi[0]), archsimd.BroadcastFloat64x8(yi[1])
	guard := archsimd.BroadcastFloat64x8(1e-5)
	var zero, sDiag, sStress, s0, s1 archsimd.Float64x8
	j := 0
	for ; j+8 <= M; j += 8 {
		off := uintptr(j) * 8
		a := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(p0, off)))
		b := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(p1, off)))
		d := archsimd.LoadFloat64x8((*[8]float64)(unsafe.Add(pd, off)))
		u, v := y0.Sub(a), y1.Sub(b)
		dd := u.MulAdd(u, v.Mul(v)).Sqrt()
		e := dd.Sub(d)
		sStress = e.MulAdd(e, sStress)
		r := d.Div(guard.Merge(dd, dd.Equal(zero)))
		sDiag = sDiag.Add(r)
		s0 = r.MulAdd(a, s0)
		s1 = r.MulAdd(b, s1)
	}
	var l [4][8]float64
	sDiag.Store(&l[0])
	sStress.Store(&l[1])
	s0.Store(&l[2])
	s1.Store(&l[3])
	archsimd.ClearAVXUpperBits()
	var tot [4]float64
	for q := range tot {
		for _, w := range l[q] {
			tot[q] += w
		}
	}
	if j < M {
		// The last M mod 8 points by the portable loop (their columns gathered: at most 7).
		var rest [2]float64
		var buf [14]float64
		tc := buf[:2*(M-j)]
		copy(tc, x0[j:])
		copy(tc[M-j:], x1[j:])
		dg, st := smacofRowGeneric(tc, di[j:], yi, rest[:])
		tot[0] += dg
		tot[1] += st
		tot[2] += rest[0]
		tot[3] += rest[1]
	}
	sum[0], sum[1] = tot[2], tot[3]
	return tot[0], tot[1]
}
