package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATESpRow: the sparse-row product (SIMD where available) equals the scalar loop to 1e-12
// relative, for row lengths that use every path (32- and 16-wide blocks, 4-wide blocks, scalar tail).
func TestMPHATESpRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ q, nnz int }{{1, 5}, {3, 1}, {4, 7}, {16, 3}, {17, 9}, {110, 40}, {110, 0}, {32, 5}, {112, 30}, {50, 4}} {
		const n = 50
		src := make([]float64, n*c.q)
		for i := range src {
			src[i] = rng.NormFloat64()
		}
		cols := make([]int32, c.nnz)
		vals := make([]float64, c.nnz)
		for p := range cols {
			cols[p], vals[p] = int32(rng.IntN(n)), rng.Float64()
		}
		got := make([]float64, c.q)
		for i := range got {
			got[i] = math.NaN() // must be overwritten
		}
		want := make([]float64, c.q)
		mphateSpRow(got, vals, cols, src)
		for col := range want {
			for p, j := range cols {
				want[col] += vals[p] * src[int(j)*c.q+col]
			}
		}
		for col := range want {
			if math.Abs(got[col]-want[col]) > 1e-12*(1+math.Abs(want[col])) {
				t.Fatalf("q %d nnz %d: column %d = %v, want %v", c.q, c.nnz, col, got[col], want[col])
			}
		}
	}
}
