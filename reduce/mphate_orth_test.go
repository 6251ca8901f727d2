package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATEGramMulUpper checks mphateGramAdd and mphateMulUpper (the AVX2 tiles where the build
// has them) against the plain loops: q multiples of 8 (the tiled path) and not, row counts that
// are and are not multiples of the 4-row and 128-row blocks; tolerance 1e-12 relative (the
// summation order differs).
func TestMPHATEGramMulUpper(t *testing.T) {
	for _, c := range []struct{ m, q int }{{1, 8}, {5, 16}, {130, 112}, {257, 24}, {7, 10}, {3, 3}} {
		rng := rand.New(rand.NewPCG(uint64(c.m), uint64(c.q)))
		x := make([]float64, c.m*c.q)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		u := make([]float64, c.q*c.q)
		for a := 0; a < c.q; a++ {
			for b := a; b < c.q; b++ {
				u[a*c.q+b] = rng.NormFloat64()
			}
		}
		g, want := make([]float64, c.q*c.q), make([]float64, c.q*c.q)
		for i := range g {
			g[i] = float64(i) // added to
			want[i] = float64(i)
		}
		mphateGramAdd(g, x, c.q)
		mphateGramAddGeneric(want, x, c.q)
		for a := 0; a < c.q; a++ {
			for b := a; b < c.q; b++ {
				if d := math.Abs(g[a*c.q+b] - want[a*c.q+b]); d > 1e-12*(1+math.Abs(want[a*c.q+b])) {
					t.Fatalf("m=%d q=%d: gram[%d,%d] = %v, want %v", c.m, c.q, a, b, g[a*c.q+b], want[a*c.q+b])
				}
			}
		}
		y, wy := append([]float64(nil), x...), append([]float64(nil), x...)
		mphateMulUpper(y, u, c.q)
		mphateMulUpperGeneric(wy, u, c.q, make([]float64, c.q))
		for i := range y {
			if d := math.Abs(y[i] - wy[i]); d > 1e-12*(1+math.Abs(wy[i])) {
				t.Fatalf("m=%d q=%d: x·u[%d] = %v, want %v", c.m, c.q, i, y[i], wy[i])
			}
		}
		// The product itself: row 0 of x·u, column q-1, by hand.
		var s float64
		for a := 0; a < c.q; a++ {
			s += x[a] * u[a*c.q+c.q-1]
		}
		if d := math.Abs(y[c.q-1] - s); d > 1e-12*(1+math.Abs(s)) {
			t.Fatalf("m=%d q=%d: (x·u)[0, q-1] = %v, want %v", c.m, c.q, y[c.q-1], s)
		}
	}
}
