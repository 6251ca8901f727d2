//go:build amd64 && goexperiment.simd

// embviz patch (third_party/README.md): AVX-512 inner loops of the 2x2 max-pooling fast paths.

package ops

import "simd/archsimd"

var hasAVX512Pool2 = archsimd.X86.AVX512()

// maxPool2ScatterLanes handles the first n - n%16 lanes of one window column of
// execMaxPool2InnerScatter (t0, t1: the window's top row; b0, b1: its bottom row; s: the
// upstream values; o0..o3: the outputs at those positions) with AVX-512 compares and blends,
// branch-free, with the same selection as the scalar loop; it returns how many lanes it handled.
func maxPool2ScatterLanes(t0, t1, b0, b1, s, o0, o1, o2, o3 []float32) int {
	if !hasAVX512Pool2 {
		return 0
	}
	n := len(s) &^ 15
	var zero archsimd.Float32x16
	for k := 0; k < n; k += 16 {
		v := archsimd.LoadFloat32x16Slice(t0[k : k+16])
		c1 := archsimd.LoadFloat32x16Slice(t1[k : k+16])
		m1 := c1.Greater(v).Or(c1.IsNaN())
		v = c1.Merge(v, m1)
		c2 := archsimd.LoadFloat32x16Slice(b0[k : k+16])
		m2 := c2.Greater(v).Or(c2.IsNaN())
		v = c2.Merge(v, m2)
		c3 := archsimd.LoadFloat32x16Slice(b1[k : k+16])
		m3 := c3.Greater(v).Or(c3.IsNaN())
		sv := archsimd.LoadFloat32x16Slice(s[k : k+16])
		sv.Masked(m3).StoreSlice(o3[k : k+16])
		sv = zero.Merge(sv, m3)
		sv.Masked(m2).StoreSlice(o2[k : k+16])
		sv = zero.Merge(sv, m2)
		sv.Masked(m1).StoreSlice(o1[k : k+16])
		zero.Merge(sv, m1).StoreSlice(o0[k : k+16])
	}
	return n
}

// maxPool2Lanes handles the first n - n%16 lanes of one window column of execMaxPool2Inner
// (o = max(max(t0, t1), max(b0, b1))) with AVX-512, bit-identical to Go's max: it returns how
// many lanes it handled.
func maxPool2Lanes(t0, t1, b0, b1, o []float32) int {
	if !hasAVX512Pool2 {
		return 0
	}
	n := len(o) &^ 15
	for k := 0; k < n; k += 16 {
		top := goMax16(archsimd.LoadFloat32x16Slice(t0[k:k+16]), archsimd.LoadFloat32x16Slice(t1[k:k+16]))
		bottom := goMax16(archsimd.LoadFloat32x16Slice(b0[k:k+16]), archsimd.LoadFloat32x16Slice(b1[k:k+16]))
		goMax16(top, bottom).StoreSlice(o[k : k+16])
	}
	return n
}

// goMax16 is Go's max(a, b) lane by lane: VMAXPS, with equal lanes (+0 and -0 included) set to
// a AND b (+0 when either is +0) and lanes with a NaN set to a+b (a NaN).
func goMax16(a, b archsimd.Float32x16) archsimd.Float32x16 {
	m := a.Max(b)
	m = a.AsInt32x16().And(b.AsInt32x16()).AsFloat32x16().Merge(m, a.Equal(b))
	return a.Add(b).Merge(m, a.IsNaN().Or(b.IsNaN()))
}
