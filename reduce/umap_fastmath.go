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
