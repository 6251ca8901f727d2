package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATESpRow: the float32 sparse-row product (SIMD where available) equals the float64 sum to
// 1e-5 of the sum of the terms' magnitudes, for row lengths that use every path (64-, 16- and
// 8-wide blocks, scalar tail) and overwrites its output.
func TestMPHATESpRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ q, nnz int }{{1, 5}, {3, 1}, {8, 7}, {16, 3}, {17, 9}, {64, 20}, {110, 40}, {112, 30}, {112, 0}, {50, 4}} {
		const n = 50
		src := make([]float32, n*c.q)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		cols := make([]int32, c.nnz)
		vals := make([]float32, c.nnz)
		for p := range cols {
			cols[p], vals[p] = int32(rng.IntN(n)), float32(rng.Float64())
		}
		got := make([]float32, c.q)
		for i := range got {
			got[i] = float32(math.NaN()) // must be overwritten
		}
		mphateSpRow32(got, vals, cols, src)
		for col := range got {
			var want, mag float64
			for p, j := range cols {
				v := float64(vals[p]) * float64(src[int(j)*c.q+col])
				want += v
				mag += math.Abs(v)
			}
			if math.Abs(float64(got[col])-want) > 1e-5*(mag+1e-30) || math.IsNaN(float64(got[col])) {
				t.Fatalf("q %d nnz %d: column %d = %v, want %v", c.q, c.nnz, col, got[col], want)
			}
		}
	}
}
