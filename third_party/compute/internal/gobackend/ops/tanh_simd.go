//go:build amd64 && goexperiment.simd

// embviz patch (third_party/README.md): Tanh of float32 tensors, eight lanes at a time in float64
// AVX-512 arithmetic, within one float32 ulp of float32(math.Tanh(float64(x))).

package ops

import "simd/archsimd"

var hasAVX512Tanh = archsimd.X86.AVX512()

// tanhSmallCoeffs are the Taylor coefficients of tanh(x) = x * (1 + s*(c3 + s*(c5 + ...))), s = x²,
// from x³ to x³¹ (2^2n (2^2n - 1) B_2n / (2n)!): below |x| = 0.625 the truncation error is under
// 2e-13 relative, far below float32's 6e-8.
var tanhSmallCoeffs = [...]float64{
	-0.3333333333333333, 0.13333333333333333, -0.05396825396825397, 0.021869488536155203,
	-0.008863235529902197, 0.003592128036572481, -0.0014558343870513183, 0.000590027440945586,
	-0.00023912911424355248, 9.691537956929451e-05, -3.927832388331683e-05, 1.5918905069328964e-05,
	-6.451689215655431e-06, 2.6147711512907546e-06, -1.0597268320104654e-06,
}

// tanhExpCoeffs are 1/k! for k = 0..15: exp(y) for 0 <= y <= 0.6 by Taylor, error under 4e-16.
var tanhExpCoeffs = [...]float64{
	1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
	1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800, 1.0 / 87178291200,
	1.0 / 1307674368000,
}

// tanhFloat32Lanes writes tanh of the first len(in) &^ 7 elements of in to out and returns how many
// it wrote (0 without AVX-512). |x| < 0.625: the Taylor series above; otherwise
// 1 - 2/(exp(2|x|) + 1) with the sign of x, where exp(2|x|) = exp(|x|/16)^32 (|x| clamped to 9.5,
// beyond which tanh rounds to ±1 in float32) and exp(|x|/16) by Taylor. The float64 result is
// within 1e-12 relative of tanh(x), so its float32 rounding equals float32(math.Tanh(x)) except
// where tanh(x) lies within that distance of a rounding boundary (then the two differ by one ulp).
// NaN stays NaN.
func tanhFloat32Lanes(in, out []float32) int {
	if !hasAVX512Tanh {
		return 0
	}
	n := min(len(in), len(out)) &^ 7
	zero := archsimd.BroadcastFloat64x8(0)
	one := archsimd.BroadcastFloat64x8(1)
	two := archsimd.BroadcastFloat64x8(2)
	small := archsimd.BroadcastFloat64x8(0.625)
	clamp := archsimd.BroadcastFloat64x8(9.5)
	sixteenth := archsimd.BroadcastFloat64x8(1.0 / 16)
	for k := 0; k < n; k += 8 {
		x32 := archsimd.LoadFloat32x8Slice(in[k : k+8])
		x := x32.ConvertToFloat64()
		neg := x.Less(zero)
		a := x.Max(zero.Sub(x))
		// Small |x|: x (1 + s P(s)).
		s := x.Mul(x)
		p := archsimd.BroadcastFloat64x8(tanhSmallCoeffs[len(tanhSmallCoeffs)-1])
		for i := len(tanhSmallCoeffs) - 2; i >= 0; i-- {
			p = p.MulAdd(s, archsimd.BroadcastFloat64x8(tanhSmallCoeffs[i]))
		}
		ts := x.Mul(s.MulAdd(p, one)) // x (1 + s P), keeping the sign of -0
		// Large |x|: 1 - 2/(e + 1), e = exp(|x|/16)^32.
		y := a.Min(clamp).Mul(sixteenth)
		e := archsimd.BroadcastFloat64x8(tanhExpCoeffs[len(tanhExpCoeffs)-1])
		for i := len(tanhExpCoeffs) - 2; i >= 0; i-- {
			e = e.MulAdd(y, archsimd.BroadcastFloat64x8(tanhExpCoeffs[i]))
		}
		for range 5 {
			e = e.Mul(e)
		}
		tl := one.Sub(two.Div(e.Add(one)))
		tl = zero.Sub(tl).Merge(tl, neg)
		r := ts.Merge(tl, a.Less(small)).ConvertToFloat32()
		r = x32.Merge(r, x32.IsNaN())
		r.StoreSlice(out[k : k+8])
	}
	archsimd.ClearAVXUpperBits() // back to scalar (SSE) code in the caller
	return n
}
