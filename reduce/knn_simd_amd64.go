//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
	"unsafe"
)

// knnUseSIMD is true when the CPU has AVX2 and FMA, for the 8-wide tile kernel.
var knnUseSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// knnTile computes tile[r*16+c] = nrm[c] - 2 <q_r, b_c> for 4 query rows and one packed panel of 16
// reference rows ([d][16]), with AVX2/FMA when available. It returns a bit mask with bit r*16+c set
// where tile[r*16+c] < tops[r].
func knnTile(q0, q1, q2, q3, panel, nrm []float32, tops *[4]float32, tile *[4 * knnPanel]float32) uint64 {
	if !knnUseSIMD {
		return knnTileGeneric(q0, q1, q2, q3, panel, nrm, tops, tile)
	}
	d := len(q0)
	if d == 0 {
		return knnTileGeneric(q0, q1, q2, q3, panel, nrm, tops, tile)
	}
	// Bounds are checked once here; the loop reads through pointers.
	_, _, _ = q1[d-1], q2[d-1], q3[d-1]
	_ = panel[d*knnPanel-1]
	pp := unsafe.Pointer(&panel[0])
	p0, p1, p2, p3 := unsafe.Pointer(&q0[0]), unsafe.Pointer(&q1[0]), unsafe.Pointer(&q2[0]), unsafe.Pointer(&q3[0])
	var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float32x8
	for t := uintptr(0); t < uintptr(d); t++ {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pp, t*64)))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pp, t*64+32)))
		s := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p0, t*4)))
		a00 = s.MulAdd(b0, a00)
		a01 = s.MulAdd(b1, a01)
		s = archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p1, t*4)))
		a10 = s.MulAdd(b0, a10)
		a11 = s.MulAdd(b1, a11)
		s = archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p2, t*4)))
		a20 = s.MulAdd(b0, a20)
		a21 = s.MulAdd(b1, a21)
		s = archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(p3, t*4)))
		a30 = s.MulAdd(b0, a30)
		a31 = s.MulAdd(b1, a31)
	}
	m2 := archsimd.BroadcastFloat32x8(-2)
	n0 := archsimd.LoadFloat32x8Slice(nrm[:8])
	n1 := archsimd.LoadFloat32x8Slice(nrm[8:16])
	var mask uint64
	k0, k1 := a00.MulAdd(m2, n0), a01.MulAdd(m2, n1)
	k0.StoreSlice(tile[0:8])
	k1.StoreSlice(tile[8:16])
	tp := archsimd.BroadcastFloat32x8(tops[0])
	mask |= uint64(k0.Less(tp).ToBits()) | uint64(k1.Less(tp).ToBits())<<8
	k0, k1 = a10.MulAdd(m2, n0), a11.MulAdd(m2, n1)
	k0.StoreSlice(tile[16:24])
	k1.StoreSlice(tile[24:32])
	tp = archsimd.BroadcastFloat32x8(tops[1])
	mask |= uint64(k0.Less(tp).ToBits())<<16 | uint64(k1.Less(tp).ToBits())<<24
	k0, k1 = a20.MulAdd(m2, n0), a21.MulAdd(m2, n1)
	k0.StoreSlice(tile[32:40])
	k1.StoreSlice(tile[40:48])
	tp = archsimd.BroadcastFloat32x8(tops[2])
	mask |= uint64(k0.Less(tp).ToBits())<<32 | uint64(k1.Less(tp).ToBits())<<40
	k0, k1 = a30.MulAdd(m2, n0), a31.MulAdd(m2, n1)
	k0.StoreSlice(tile[48:56])
	k1.StoreSlice(tile[56:64])
	tp = archsimd.BroadcastFloat32x8(tops[3])
	mask |= uint64(k0.Less(tp).ToBits())<<48 | uint64(k1.Less(tp).ToBits())<<56
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code in the caller
	return mask
}
