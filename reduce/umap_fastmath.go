package reduce

import "math"

// umapPow returns x^b for normal float32 x > 0 as 2^(b log2 x), with polynomial log2 on the mantissa
// (max abs error 2.5e-6) and exp2 on the fraction (relative error 1e-7), so about 2e-6 relative
// error for |b| <= 1. It replaces math.Pow / math.Exp(b*math.Log(x)) in the UMAP SGD inner loop,
// where they dominated the run time. x <= 0 or subnormal x is the caller's business (UMAP only
// calls it with x > 0; a subnormal x gives a finite but inexact result).
func umapPow(x, b float32) float32 {
	bits := math.Float32bits(x)
	t := math.Float32frombits(bits&0x007fffff|0x3f800000) - 1 // mantissa - 1 in [0, 1)
	l := float32(int32(bits>>23)-127) +
		t*(1.4425347795670294+t*(-0.7180335903817894+t*(0.4571581210655231+t*(-0.2773416459578803+t*(0.12147294837872821+t*-0.0257923450314754)))))
	y := b * l
	if y < -126 {
		return 0
	}
	if y > 127 {
		y = 127
	}
	i := int32(y)
	if float32(i) > y {
		i--
	}
	f := y - float32(i)
	p := 0.9999998957631353 + f*(0.6931546200032985+f*(0.24014077009183826+f*(0.05586328265926116+f*(0.008946214666326169+f*0.001895107291005893))))
	return p * math.Float32frombits(uint32(i+127)<<23)
}

// umapEdgeGrad2Generic computes, for the point c = (cx, cy) of a 2-D layout, UMAP's clipped
// gradients for one sampled edge into g = {px, py, sx, sy}:
//
//   - (px, py) = clip(-2ab d^(2(b-1)) / (1 + a d^(2b)) (c - o_0)), the attraction toward
//     o_0 = (ox[0], oy[0]) (zero where d = 0);
//   - (sx, sy) = sum over l = 1..cnt (cnt <= 7) of clip(2 gamma b / ((0.001 + d^2)(1 + a d^(2b))) (c - o_l)),
//     the repulsions from the negative samples o_l, +4 on each coordinate where o_l coincides with c
//     (umap-learn's rule for d = 0). The caller leaves out samples of the point itself.
//
// Each coordinate is clipped to [-4, 4]; d^(2b) is umapPow's approximation.
func umapEdgeGrad2Generic(cx, cy float32, ox, oy *[8]float32, cnt int, k *umapEdgeConst, g *[4]float32) {
	a, b, ab2, rep := k.a[0], k.b[0], k.num1[0], k.num0[1]
	var px, py, sx, sy float32
	for l := 0; l <= cnt; l++ {
		dx, dy := cx-ox[l], cy-oy[l]
		d2 := dx*dx + dy*dy
		switch {
		case d2 > 0 && l == 0:
			pb := umapPow(d2, b)
			gc := ab2 * pb / (d2 * (a*pb + 1))
			px, py = clip4(gc*dx), clip4(gc*dy)
		case d2 > 0:
			pb := umapPow(d2, b)
			gc := rep / ((0.001 + d2) * (a*pb + 1))
			sx += clip4(gc * dx)
			sy += clip4(gc * dy)
		case l > 0:
			sx += 4
			sy += 4
		}
	}
	g[0], g[1], g[2], g[3] = px, py, sx, sy
}

// umapEdgeConst holds the per-lane constants of umapEdgeGrad2 (lane 0 the attraction, lanes 1..7
// the repulsions): a and b of q(d) = 1 / (1 + a d^(2b)) in every lane; the coefficient
// num1 pb + num0 over (d^2 + eps)(a pb + 1), with num1 = -2ab, num0 = 0, eps = 0 in lane 0 and
// num1 = 0, num0 = 2 gamma b, eps = 0.001 in the others.
type umapEdgeConst struct {
	a, b, num1, num0, eps [8]float32
}

func newUMAPEdgeConst(a, b, ab2, rep float32) *umapEdgeConst {
	k := &umapEdgeConst{}
	for l := range k.a {
		k.a[l], k.b[l] = a, b
		if l == 0 {
			k.num1[l] = ab2
		} else {
			k.num0[l], k.eps[l] = rep, 0.001
		}
	}
	return k
}

// Lane constants of umapEdgeGrad2.
var (
	umapZero8    [8]float32
	umapSameGrad = [8]float32{0, 4, 4, 4, 4, 4, 4, 4}
	umapMantMask = [8]int32{0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff}
	umapOneBits  = [8]int32{0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000}
	umapBias     = [8]int32{127, 127, 127, 127, 127, 127, 127, 127}
	// umapPosMask selects lane 0, umapNegMask[c] lanes 1..c.
	umapPosMask = [8]int32{-1}
	umapNegMask = func() (m [8][8]int32) {
		for c := 1; c < 8; c++ {
			for l := 1; l <= c; l++ {
				m[c][l] = -1
			}
		}
		return
	}()
)
