package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATEGEMM checks c = a b against t-order fused multiply-adds bit for bit, and against a
// plain float64 sum within rounding, for shapes that exercise the 32- and 16-column stripes, the
// scalar tail and a last block of fewer than 4 rows.
func TestMPHATEGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 9, 16}, {5, 17, 32}, {7, 33, 49}, {13, 64, 100}, {33, 100, 65}} {
		m, kk, n := sh[0], sh[1], sh[2]
		a, b := make([]float64, m*kk), make([]float64, kk*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		c := make([]float64, m*n)
		for i := range c {
			c[i] = math.NaN() // every entry must be written
		}
		mphateGEMM(c, a, b, m, kk, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var fma, plain float64
				for k := 0; k < kk; k++ {
					fma = math.FMA(a[i*kk+k], b[k*n+j], fma)
					plain += a[i*kk+k] * b[k*n+j]
				}
				if got := c[i*n+j]; got != fma || math.Abs(got-plain) > 1e-12*float64(kk) {
					t.Fatalf("%v: c[%d, %d] = %v, want %v (plain sum %v)", sh, i, j, got, fma, plain)
				}
			}
		}
	}
}
