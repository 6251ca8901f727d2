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

// knnUseAVX512 is true when the CPU has AVX-512 (F, CD, BW, DQ, VL), for the 16-wide pair tile.
var knnUseAVX512 = archsimd.X86.AVX512()

// knnTilePair computes the keys of 4 query rows against two packed panels of 16 reference rows,
// panel h ([d][16]) at pair[h*d*16 : (h+1)*d*16] with squared norms nrm[h*16 : h*16+16]:
// tile[h][r*16+c] = nrm[h*16+c] - 2 <q_r, b_{h*16+c}>, and returns one mask per panel, bit r*16+c of
// mask h set where tile[h][r*16+c] < tops[r]. The keys and masks are bit for bit those of
// knnTile(q0, q1, q2, q3, panel h, nrm[h*16:], tops, &tile[h]) on each panel (every key is the same
// chain of FMAs over t = 0..d-1 followed by the same nrm - 2 acc FMA); with AVX-512 the two panels
// are one call of 8 16-wide accumulators, otherwise it is those two calls of knnTile.
func knnTilePair(q0, q1, q2, q3, pair, nrm []float32, tops *[4]float32, tile *[2][4 * knnPanel]float32) (uint64, uint64) {
	d := len(q0)
	if !knnUseAVX512 || d == 0 {
		m0 := knnTile(q0, q1, q2, q3, pair[:d*knnPanel], nrm[:knnPanel], tops, &tile[0])
		m1 := knnTile(q0, q1, q2, q3, pair[d*knnPanel:2*d*knnPanel], nrm[knnPanel:2*knnPanel], tops, &tile[1])
		return m0, m1
	}
	// Bounds are checked once here; the loop reads through pointers.
	_, _, _ = q1[d-1], q2[d-1], q3[d-1]
	_ = pair[2*d*knnPanel-1]
	_ = nrm[2*knnPanel-1]
	pa := unsafe.Pointer(&pair[0])
	pb := unsafe.Pointer(&pair[d*knnPanel])
	p0, p1, p2, p3 := unsafe.Pointer(&q0[0]), unsafe.Pointer(&q1[0]), unsafe.Pointer(&q2[0]), unsafe.Pointer(&q3[0])
	var a00, a01, a10, a11, a20, a21, a30, a31 archsimd.Float32x16
	for t := uintptr(0); t < uintptr(d); t++ {
		b0 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pa, t*64)))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, t*64)))
		s := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p0, t*4)))
		a00 = s.MulAdd(b0, a00)
		a01 = s.MulAdd(b1, a01)
		s = archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p1, t*4)))
		a10 = s.MulAdd(b0, a10)
		a11 = s.MulAdd(b1, a11)
		s = archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p2, t*4)))
		a20 = s.MulAdd(b0, a20)
		a21 = s.MulAdd(b1, a21)
		s = archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p3, t*4)))
		a30 = s.MulAdd(b0, a30)
		a31 = s.MulAdd(b1, a31)
	}
	m2 := archsimd.BroadcastFloat32x16(-2)
	n0 := archsimd.LoadFloat32x16((*[16]float32)(nrm[0:16]))
	n1 := archsimd.LoadFloat32x16((*[16]float32)(nrm[16:32]))
	t0, t1 := &tile[0], &tile[1]
	var m0, m1 uint64
	k0, k1 := a00.MulAdd(m2, n0), a01.MulAdd(m2, n1)
	k0.Store((*[16]float32)(t0[0:16]))
	k1.Store((*[16]float32)(t1[0:16]))
	tp := archsimd.BroadcastFloat32x16(tops[0])
	m0 |= uint64(k0.Less(tp).ToBits())
	m1 |= uint64(k1.Less(tp).ToBits())
	k0, k1 = a10.MulAdd(m2, n0), a11.MulAdd(m2, n1)
	k0.Store((*[16]float32)(t0[16:32]))
	k1.Store((*[16]float32)(t1[16:32]))
	tp = archsimd.BroadcastFloat32x16(tops[1])
	m0 |= uint64(k0.Less(tp).ToBits()) << 16
	m1 |= uint64(k1.Less(tp).ToBits()) << 16
	k0, k1 = a20.MulAdd(m2, n0), a21.MulAdd(m2, n1)
	k0.Store((*[16]float32)(t0[32:48]))
	k1.Store((*[16]float32)(t1[32:48]))
	tp = archsimd.BroadcastFloat32x16(tops[2])
	m0 |= uint64(k0.Less(tp).ToBits()) << 32
	m1 |= uint64(k1.Less(tp).ToBits()) << 32
	k0, k1 = a30.MulAdd(m2, n0), a31.MulAdd(m2, n1)
	k0.Store((*[16]float32)(t0[48:64]))
	k1.Store((*[16]float32)(t1[48:64]))
	tp = archsimd.BroadcastFloat32x16(tops[3])
	m0 |= uint64(k0.Less(tp).ToBits()) << 48
	m1 |= uint64(k1.Less(tp).ToBits()) << 48
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code in the caller
	return m0, m1
}
