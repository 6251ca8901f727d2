//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// mphateSqDist returns ||a - b||^2 (len(b) >= len(a)) accumulated in float64: 16 coordinates a
// step in four 4-lane accumulators (FMA), lane l of accumulator v taking coordinates
// 16k + 4v + l, summed as ((v0 + v1) + (v2 + v3)) and then lanes (l0 + l1) + (l2 + l3), the rest
// added in order; mphateSqDistGeneric computes the same sum in the same order, bit for bit.
func mphateSqDist(a, b []float32) float64 {
	n := len(a)
	if !knnUseSIMD || n < 16 {
		return mphateSqDistGeneric(a, b)
	}
	b = b[:n]
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	var s0, s1, s2, s3 archsimd.Float64x4
	i := 0
	for ; i+16 <= n; i += 16 {
		off := uintptr(i) * 4
		e0 := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pa, off))).ConvertToFloat64().Sub(archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pb, off))).ConvertToFloat64())
		e1 := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pa, off+16))).ConvertToFloat64().Sub(archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pb, off+16))).ConvertToFloat64())
		e2 := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pa, off+32))).ConvertToFloat64().Sub(archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pb, off+32))).ConvertToFloat64())
		e3 := archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pa, off+48))).ConvertToFloat64().Sub(archsimd.LoadFloat32x4((*[4]float32)(unsafe.Add(pb, off+48))).ConvertToFloat64())
		s0 = e0.MulAdd(e0, s0)
		s1 = e1.MulAdd(e1, s1)
		s2 = e2.MulAdd(e2, s2)
		s3 = e3.MulAdd(e3, s3)
	}
	var lanes [4]float64
	s0.Add(s1).Add(s2.Add(s3)).Store(&lanes)
	archsimd.ClearAVXUpperBits()
	s := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
	for ; i < n; i++ {
		e := float64(a[i]) - float64(b[i])
		s += e * e
	}
	return s
}
