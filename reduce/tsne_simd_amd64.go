//go:build goexperiment.simd && amd64

package reduce

import "simd/archsimd"

// tsneUseSIMD is true when the CPU has AVX2 and FMA, for the 4-wide interaction-list kernel.
var tsneUseSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// tsneListEval returns, for the point (px, py) and the interaction list (lx, ly, lc) whose length
// is a multiple of 4 (padded with zero counts),
//
//	z = sum_k c_k w_k,  (fx, fy) = sum_k c_k w_k^2 (px - x_k, py - y_k),  w_k = 1 / (1 + |p - p_k|^2),
//
// four list entries at a time with AVX2/FMA when available.
func tsneListEval(px, py float64, lx, ly, lc []float64) (fx, fy, z float64) {
	if !tsneUseSIMD {
		return tsneListEvalGeneric(px, py, lx, ly, lc)
	}
	one := archsimd.BroadcastFloat64x4(1)
	pxv, pyv := archsimd.BroadcastFloat64x4(px), archsimd.BroadcastFloat64x4(py)
	var zs, fxs, fys archsimd.Float64x4
	ly, lc = ly[:len(lx)], lc[:len(lx)]
	for k := 0; k+4 <= len(lx); k += 4 {
		dx := pxv.Sub(archsimd.LoadFloat64x4Slice(lx[k : k+4]))
		dy := pyv.Sub(archsimd.LoadFloat64x4Slice(ly[k : k+4]))
		d2 := dx.MulAdd(dx, dy.Mul(dy))
		w := one.Div(one.Add(d2))
		cw := archsimd.LoadFloat64x4Slice(lc[k : k+4]).Mul(w)
		zs = zs.Add(cw)
		cw = cw.Mul(w)
		fxs = cw.MulAdd(dx, fxs)
		fys = cw.MulAdd(dy, fys)
	}
	var a, b, c [4]float64
	zs.Store(&a)
	fxs.Store(&b)
	fys.Store(&c)
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code: see clearUpper
	return b[0] + b[1] + b[2] + b[3], c[0] + c[1] + c[2] + c[3], a[0] + a[1] + a[2] + a[3]
}

// tsneSqDist returns ||a - b||^2 (len(b) >= len(a)) in float32, 8 coordinates at a time with
// AVX2/FMA when available (sqDist32 otherwise): the t-SNE and kNN distances, and the k-means++
// prefilter, whose bound uses its relative error below (len(a)+3) 2^-24 (non-negative terms).
func tsneSqDist(a, b []float32) float32 {
	if !tsneUseSIMD || len(a) < 8 {
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

// tsneAttrRow returns, for the point (px, py), its neighbours cols (positions in y, [n, 2]) and
// their affinities vals (float32), sum_k vals_k w_k (p - y_cols_k) with w_k = 1 / (1 + |p - y_cols_k|^2):
// the differences are gathered into the scratch dx, dy (len(cols)), then evaluated four at a time
// with AVX2/FMA when available.
func tsneAttrRow(px, py float64, y []float64, cols []int32, vals []float32, dx, dy []float64) (fx, fy float64) {
	if !tsneUseSIMD || len(cols) < 8 {
		return tsneAttrRowGeneric(px, py, y, cols, vals, dx, dy)
	}
	m := len(cols)
	dx, dy, vals = dx[:m], dy[:m], vals[:m]
	for k, j := range cols {
		dx[k] = px - y[2*j]
		dy[k] = py - y[2*j+1]
	}
	one := archsimd.BroadcastFloat64x4(1)
	var fxs, fys archsimd.Float64x4
	k := 0
	for ; k+4 <= m; k += 4 {
		ddx := archsimd.LoadFloat64x4Slice(dx[k : k+4])
		ddy := archsimd.LoadFloat64x4Slice(dy[k : k+4])
		d2 := ddx.MulAdd(ddx, ddy.Mul(ddy))
		pw := archsimd.LoadFloat32x4Slice(vals[k : k+4]).ConvertToFloat64().Div(one.Add(d2))
		fxs = pw.MulAdd(ddx, fxs)
		fys = pw.MulAdd(ddy, fys)
	}
	var b, c [4]float64
	fxs.Store(&b)
	fys.Store(&c)
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code: see clearUpper
	fx, fy = (b[0]+b[1])+(b[2]+b[3]), (c[0]+c[1])+(c[2]+c[3])
	for ; k < m; k++ {
		pw := float64(vals[k]) / (1 + dx[k]*dx[k] + dy[k]*dy[k])
		fx += pw * dx[k]
		fy += pw * dy[k]
	}
	return
}
