//go:build goexperiment.simd && amd64

package reduce

import (
	"math/rand/v2"
	"testing"
)

// TestMPHATEAVX512SameAsAVX2: on a CPU with AVX-512, the 512-bit paths of mphateSpRow32,
// mphateCrossAdd and mphateMulRight give the AVX2 paths' results bit for bit (the same sums in
// the same order, one FMA per term); skipped on CPUs without AVX-512.
func TestMPHATEAVX512SameAsAVX2(t *testing.T) {
	if !mphateUseAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	defer func() { mphateUseAVX512 = true }()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ m, q int }{{1, 16}, {37, 112}, {130, 112}, {9, 128}, {5, 48}, {6, 24}} {
		x, y := make([]float64, c.m*c.q), make([]float64, c.m*c.q)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		u, uu := make([]float64, c.q*c.q), make([]float64, c.q*c.q) // full, upper triangular
		for i := range u {
			u[i] = rng.NormFloat64()
			if i%c.q >= i/c.q {
				uu[i] = u[i]
			}
		}
		src := make([]float32, c.m*c.q)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		cols, vals := make([]int32, 3*c.m), make([]float32, 3*c.m)
		for i := range cols {
			cols[i], vals[i] = int32(rng.IntN(c.m)), rng.Float32()
		}
		var res [2]struct {
			g, up, full []float64
			sp          []float32
		}
		for k, wide := range []bool{true, false} {
			mphateUseAVX512 = wide
			r := &res[k]
			r.g = make([]float64, c.q*c.q)
			mphateCrossAdd(r.g, x, y, c.q)
			r.up, r.full = append([]float64(nil), x...), append([]float64(nil), x...)
			mphateMulUpper(r.up, uu, c.q)
			mphateMulFull(r.full, u, c.q)
			r.sp = make([]float32, c.q)
			mphateSpRow32(r.sp, vals, cols, src)
		}
		for a := 0; a < c.q; a++ {
			for b := a; b < c.q; b++ {
				if res[0].g[a*c.q+b] != res[1].g[a*c.q+b] {
					t.Fatalf("m=%d q=%d: cross[%d,%d] %v (AVX-512) != %v (AVX2)", c.m, c.q, a, b, res[0].g[a*c.q+b], res[1].g[a*c.q+b])
				}
			}
		}
		for i := range x {
			if res[0].up[i] != res[1].up[i] || res[0].full[i] != res[1].full[i] {
				t.Fatalf("m=%d q=%d: x·u[%d] %v/%v (AVX-512, upper/full) != %v/%v (AVX2)", c.m, c.q, i, res[0].up[i], res[0].full[i], res[1].up[i], res[1].full[i])
			}
		}
		for i := range res[0].sp {
			if res[0].sp[i] != res[1].sp[i] {
				t.Fatalf("m=%d q=%d: sparse row[%d] %v (AVX-512) != %v (AVX2)", c.m, c.q, i, res[0].sp[i], res[1].sp[i])
			}
		}
	}
}
