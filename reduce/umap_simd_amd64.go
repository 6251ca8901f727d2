//go:build goexperiment.simd && amd64

package reduce

import (
	"simd/archsimd"
)

// umapUseSIMD is true when the CPU has AVX2 and FMA, for the 8-wide UMAP SGD kernel.
var umapUseSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// umapEdgeGrad2 computes, for the point c = (cx, cy), UMAP's attractive gradient toward the point
// (ox[0], oy[0]) and the sum of the repulsive gradients from the points (ox[l], oy[l]),
// 1 <= l <= cnt (cnt <= 7), each coordinate clipped to [-4, 4], into g = {attraction x, y,
// repulsion sum x, y} (see umapEdgeGrad2Generic), on 8 lanes with AVX2/FMA when available. Its
// x^b is umapPow's approximation, vectorized.
func umapEdgeGrad2(cx, cy float32, ox, oy *[8]float32, cnt int, k *umapEdgeConst, g *[4]float32) {
	if !umapUseSIMD {
		umapEdgeGrad2Generic(cx, cy, ox, oy, cnt, k, g)
		return
	}
	// Every constant comes from memory as a vector: a scalar reload (legacy SSE) while the upper
	// halves are dirty costs hundreds of ns (see clearUpper).
	c := archsimd.BroadcastFloat32x8
	dx := c(cx).Sub(archsimd.LoadFloat32x8(ox))
	dy := c(cy).Sub(archsimd.LoadFloat32x8(oy))
	d2 := dx.Mul(dx).Add(dy.Mul(dy))
	// pb = d2^b as in umapPow: 2^(b log2 d2), polynomials on the mantissa and the fraction.
	bits := d2.AsInt32x8()
	t := bits.And(archsimd.LoadInt32x8(&umapMantMask)).Or(archsimd.LoadInt32x8(&umapOneBits)).AsFloat32x8().Sub(c(1))
	ex := bits.ShiftAllRight(23).Sub(archsimd.LoadInt32x8(&umapBias)).ConvertToFloat32()
	p := t.MulAdd(c(-0.0257923450314754), c(0.12147294837872821))
	p = p.MulAdd(t, c(-0.2773416459578803))
	p = p.MulAdd(t, c(0.4571581210655231))
	p = p.MulAdd(t, c(-0.7180335903817894))
	p = p.MulAdd(t, c(1.4425347795670294))
	y := p.MulAdd(t, ex).Mul(archsimd.LoadFloat32x8(&k.b))
	under := y.Less(c(-126))
	y = y.Max(c(-126)).Min(c(127))
	fl := y.Floor()
	f := y.Sub(fl)
	q := f.MulAdd(c(0.001895107291005893), c(0.008946214666326169))
	q = q.MulAdd(f, c(0.05586328265926116))
	q = q.MulAdd(f, c(0.24014077009183826))
	q = q.MulAdd(f, c(0.6931546200032985))
	q = q.MulAdd(f, c(0.9999998957631353))
	zero := archsimd.LoadFloat32x8(&umapZero8)
	pb := zero.Merge(q.Mul(fl.ConvertToInt32().Add(archsimd.LoadInt32x8(&umapBias)).ShiftAllLeft(23).AsFloat32x8()), under)
	// Lane 0: -2ab pb / (d2 (a pb + 1)); lanes 1..: 2 gamma b / ((0.001 + d2)(a pb + 1)).
	num := pb.MulAdd(archsimd.LoadFloat32x8(&k.num1), archsimd.LoadFloat32x8(&k.num0))
	den := d2.Add(archsimd.LoadFloat32x8(&k.eps)).Mul(pb.MulAdd(archsimd.LoadFloat32x8(&k.a), c(1)))
	gc := num.Div(den)
	hi, lo := c(4), c(-4)
	gx := gc.Mul(dx).Min(hi).Max(lo)
	gy := gc.Mul(dy).Min(hi).Max(lo)
	// Coincident points (d2 == 0): no attraction, a push by +4 on every coordinate for a negative
	// sample (umap-learn's rule).
	same := d2.Equal(zero)
	z := archsimd.LoadFloat32x8(&umapSameGrad)
	gx = z.Merge(gx, same)
	gy = z.Merge(gy, same)
	pos := archsimd.LoadInt32x8(&umapPosMask)
	neg := archsimd.LoadInt32x8(&umapNegMask[cnt])
	ix, iy := gx.AsInt32x8(), gy.AsInt32x8()
	// Sums of gx over lane 0, gy over lane 0, gx over lanes 1..cnt, gy over lanes 1..cnt.
	v1 := ix.And(pos).AsFloat32x8().AddPairsGrouped(iy.And(pos).AsFloat32x8())
	v2 := ix.And(neg).AsFloat32x8().AddPairsGrouped(iy.And(neg).AsFloat32x8())
	v3 := v1.AddPairsGrouped(v2)
	v3.GetLo().Add(v3.GetHi()).Store(g)
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code in the caller
}

// umapEdgeGrad2x2 is umapEdgeGrad2 for two edges at once (A and B), their operations interleaved so
// that the two latency-bound dependency chains overlap.
func umapEdgeGrad2x2(cxA, cyA float32, oxA, oyA *[8]float32, cntA int, cxB, cyB float32, oxB, oyB *[8]float32, cntB int, k *umapEdgeConst, gA, gB *[4]float32) {
	if !umapUseSIMD {
		umapEdgeGrad2Generic(cxA, cyA, oxA, oyA, cntA, k, gA)
		umapEdgeGrad2Generic(cxB, cyB, oxB, oyB, cntB, k, gB)
		return
	}
	c := archsimd.BroadcastFloat32x8
	dxA := c(cxA).Sub(archsimd.LoadFloat32x8(oxA))
	dxB := c(cxB).Sub(archsimd.LoadFloat32x8(oxB))
	dyA := c(cyA).Sub(archsimd.LoadFloat32x8(oyA))
	dyB := c(cyB).Sub(archsimd.LoadFloat32x8(oyB))
	d2A := dxA.Mul(dxA).Add(dyA.Mul(dyA))
	d2B := dxB.Mul(dxB).Add(dyB.Mul(dyB))
	bitsA := d2A.AsInt32x8()
	bitsB := d2B.AsInt32x8()
	tA := bitsA.And(archsimd.LoadInt32x8(&umapMantMask)).Or(archsimd.LoadInt32x8(&umapOneBits)).AsFloat32x8().Sub(c(1))
	tB := bitsB.And(archsimd.LoadInt32x8(&umapMantMask)).Or(archsimd.LoadInt32x8(&umapOneBits)).AsFloat32x8().Sub(c(1))
	exA := bitsA.ShiftAllRight(23).Sub(archsimd.LoadInt32x8(&umapBias)).ConvertToFloat32()
	exB := bitsB.ShiftAllRight(23).Sub(archsimd.LoadInt32x8(&umapBias)).ConvertToFloat32()
	pA := tA.MulAdd(c(-0.0257923450314754), c(0.12147294837872821))
	pB := tB.MulAdd(c(-0.0257923450314754), c(0.12147294837872821))
	pA = pA.MulAdd(tA, c(-0.2773416459578803))
	pB = pB.MulAdd(tB, c(-0.2773416459578803))
	pA = pA.MulAdd(tA, c(0.4571581210655231))
	pB = pB.MulAdd(tB, c(0.4571581210655231))
	pA = pA.MulAdd(tA, c(-0.7180335903817894))
	pB = pB.MulAdd(tB, c(-0.7180335903817894))
	pA = pA.MulAdd(tA, c(1.4425347795670294))
	pB = pB.MulAdd(tB, c(1.4425347795670294))
	yA := pA.MulAdd(tA, exA).Mul(archsimd.LoadFloat32x8(&k.b))
	yB := pB.MulAdd(tB, exB).Mul(archsimd.LoadFloat32x8(&k.b))
	underA := yA.Less(c(-126))
	underB := yB.Less(c(-126))
	yA = yA.Max(c(-126)).Min(c(127))
	yB = yB.Max(c(-126)).Min(c(127))
	flA := yA.Floor()
	flB := yB.Floor()
	fA := yA.Sub(flA)
	fB := yB.Sub(flB)
	qA := fA.MulAdd(c(0.001895107291005893), c(0.008946214666326169))
	qB := fB.MulAdd(c(0.001895107291005893), c(0.008946214666326169))
	qA = qA.MulAdd(fA, c(0.05586328265926116))
	qB = qB.MulAdd(fB, c(0.05586328265926116))
	qA = qA.MulAdd(fA, c(0.24014077009183826))
	qB = qB.MulAdd(fB, c(0.24014077009183826))
	qA = qA.MulAdd(fA, c(0.6931546200032985))
	qB = qB.MulAdd(fB, c(0.6931546200032985))
	qA = qA.MulAdd(fA, c(0.9999998957631353))
	qB = qB.MulAdd(fB, c(0.9999998957631353))
	zero := archsimd.LoadFloat32x8(&umapZero8)
	pbA := zero.Merge(qA.Mul(flA.ConvertToInt32().Add(archsimd.LoadInt32x8(&umapBias)).ShiftAllLeft(23).AsFloat32x8()), underA)
	pbB := zero.Merge(qB.Mul(flB.ConvertToInt32().Add(archsimd.LoadInt32x8(&umapBias)).ShiftAllLeft(23).AsFloat32x8()), underB)
	numA := pbA.MulAdd(archsimd.LoadFloat32x8(&k.num1), archsimd.LoadFloat32x8(&k.num0))
	numB := pbB.MulAdd(archsimd.LoadFloat32x8(&k.num1), archsimd.LoadFloat32x8(&k.num0))
	denA := d2A.Add(archsimd.LoadFloat32x8(&k.eps)).Mul(pbA.MulAdd(archsimd.LoadFloat32x8(&k.a), c(1)))
	denB := d2B.Add(archsimd.LoadFloat32x8(&k.eps)).Mul(pbB.MulAdd(archsimd.LoadFloat32x8(&k.a), c(1)))
	gcA := numA.Div(denA)
	gcB := numB.Div(denB)
	hi, lo := c(4), c(-4)
	gxA := gcA.Mul(dxA).Min(hi).Max(lo)
	gxB := gcB.Mul(dxB).Min(hi).Max(lo)
	gyA := gcA.Mul(dyA).Min(hi).Max(lo)
	gyB := gcB.Mul(dyB).Min(hi).Max(lo)
	sameA := d2A.Equal(zero)
	sameB := d2B.Equal(zero)
	z := archsimd.LoadFloat32x8(&umapSameGrad)
	gxA = z.Merge(gxA, sameA)
	gxB = z.Merge(gxB, sameB)
	gyA = z.Merge(gyA, sameA)
	gyB = z.Merge(gyB, sameB)
	pos := archsimd.LoadInt32x8(&umapPosMask)
	negA := archsimd.LoadInt32x8(&umapNegMask[cntA])
	negB := archsimd.LoadInt32x8(&umapNegMask[cntB])
	ixA, iyA := gxA.AsInt32x8(), gyA.AsInt32x8()
	ixB, iyB := gxB.AsInt32x8(), gyB.AsInt32x8()
	v1A := ixA.And(pos).AsFloat32x8().AddPairsGrouped(iyA.And(pos).AsFloat32x8())
	v1B := ixB.And(pos).AsFloat32x8().AddPairsGrouped(iyB.And(pos).AsFloat32x8())
	v2A := ixA.And(negA).AsFloat32x8().AddPairsGrouped(iyA.And(negA).AsFloat32x8())
	v2B := ixB.And(negB).AsFloat32x8().AddPairsGrouped(iyB.And(negB).AsFloat32x8())
	v3A := v1A.AddPairsGrouped(v2A)
	v3B := v1B.AddPairsGrouped(v2B)
	v3A.GetLo().Add(v3A.GetHi()).Store(gA)
	v3B.GetLo().Add(v3B.GetHi()).Store(gB)
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code in the caller
}
