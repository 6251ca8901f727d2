package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATEGramMulUpper checks mphateGramAdd, mphateCrossAdd, mphateMulUpper and mphateMulFull
// (the AVX-512 or AVX2 tiles where the build and CPU have them) against the plain loops and
// single entries by hand: q multiples of 16 and 8 (the tiled paths) and not, row counts that are
// and are not multiples of the 4-row and 128-row blocks; tolerance 1e-12 relative (the summation
// order differs).
func TestMPHATEGramMulUpper(t *testing.T) {
	for _, c := range []struct{ m, q int }{{1, 8}, {5, 16}, {130, 112}, {257, 24}, {9, 32}, {7, 10}, {3, 3}} {
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
		// x·w for a full w (mphateMulFull) and xᵀy for y != x (mphateCrossAdd).
		w := make([]float64, c.q*c.q)
		yv := make([]float64, c.m*c.q)
		for i := range w {
			w[i] = rng.NormFloat64()
		}
		for i := range yv {
			yv[i] = rng.NormFloat64()
		}
		f, wf := append([]float64(nil), x...), append([]float64(nil), x...)
		mphateMulFull(f, w, c.q)
		mphateMulRightGeneric(wf, w, c.q, false, make([]float64, c.q))
		for i := range f {
			if d := math.Abs(f[i] - wf[i]); d > 1e-12*(1+math.Abs(wf[i])) {
				t.Fatalf("m=%d q=%d: x·w[%d] = %v, want %v", c.m, c.q, i, f[i], wf[i])
			}
		}
		cg, cw := make([]float64, c.q*c.q), make([]float64, c.q*c.q)
		mphateCrossAdd(cg, x, yv, c.q)
		mphateCrossAddGeneric(cw, x, yv, c.q)
		for a := 0; a < c.q; a++ {
			for b := a; b < c.q; b++ {
				if d := math.Abs(cg[a*c.q+b] - cw[a*c.q+b]); d > 1e-12*(1+math.Abs(cw[a*c.q+b])) {
					t.Fatalf("m=%d q=%d: xᵀy[%d,%d] = %v, want %v", c.m, c.q, a, b, cg[a*c.q+b], cw[a*c.q+b])
				}
			}
		}
		// The products themselves, by hand: (x·w)[last row, 0], (xᵀy)[0, q-1].
		var sf, sc float64
		last := (c.m - 1) * c.q
		for a := 0; a < c.q; a++ {
			sf += x[last+a] * w[a*c.q]
		}
		for r := 0; r < c.m; r++ {
			sc += x[r*c.q] * yv[r*c.q+c.q-1]
		}
		if d := math.Abs(f[last] - sf); d > 1e-12*(1+math.Abs(sf)) {
			t.Fatalf("m=%d q=%d: (x·w)[m-1, 0] = %v, want %v", c.m, c.q, f[last], sf)
		}
		if d := math.Abs(cg[c.q-1] - sc); d > 1e-12*(1+math.Abs(sc)) {
			t.Fatalf("m=%d q=%d: (xᵀy)[0, q-1] = %v, want %v", c.m, c.q, cg[c.q-1], sc)
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

// TestMPHATENarrowWiden: mphateNarrow, mphateWiden and mphateAdd32 (AVX-512 where available)
// against the conversions and sums one at a time, for lengths with and without a tail of fewer
// than 8 (16), adding and not.
func TestMPHATENarrowWiden(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 3, 8, 19, 37, 112} {
		src := make([]float64, n)
		for i := range src {
			src[i] = rng.NormFloat64() * 1e3
		}
		got := make([]float32, n)
		mphateNarrow(got, src)
		for i, v := range src {
			if got[i] != float32(v) {
				t.Fatalf("n=%d: narrow[%d] = %v, want %v", n, i, got[i], float32(v))
			}
		}
		sum := make([]float32, n)
		for i := range sum {
			sum[i] = float32(i) - 2.5
		}
		mphateAdd32(sum, got)
		for i := range sum {
			if want := float32(i) - 2.5 + got[i]; sum[i] != want {
				t.Fatalf("n=%d: add[%d] = %v, want %v", n, i, sum[i], want)
			}
		}
		for _, add := range []bool{false, true} {
			dst := make([]float64, n)
			for i := range dst {
				dst[i] = float64(i) + 0.5
			}
			mphateWiden(dst, got, add)
			for i := range dst {
				want := float64(got[i])
				if add {
					want += float64(i) + 0.5
				}
				if dst[i] != want {
					t.Fatalf("n=%d add=%v: widen[%d] = %v, want %v", n, add, i, dst[i], want)
				}
			}
		}
	}
}
