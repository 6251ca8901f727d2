package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMPHATELandmarkOperator: mphateLandmarkOperator against the dense formulas on random
// symmetric kernels: P = Dm^-1 C D^-1 Cᵀ with C[c, j] = sum over the vertices i of cluster c of
// K[i, j] (Dm = C 1, D = K 1) to 1e-12 relative, its rows summing to 1, and the transitions
// D^-1 Cᵀ to float32 rounding; cluster counts below, at and above the 128-row blocks of S, and
// clusters without vertices.
func TestMPHATELandmarkOperator(t *testing.T) {
	for _, c := range []struct{ n, L, nnz int }{{40, 5, 4}, {300, 128, 6}, {500, 300, 10}, {200, 150, 3}} {
		rng := rand.New(rand.NewPCG(uint64(c.n), uint64(c.L)))
		dense := make([]float64, c.n*c.n)
		for i := 0; i < c.n; i++ {
			dense[i*c.n+i] = 1
			for e := 0; e < c.nnz; e++ {
				j := rng.IntN(c.n)
				w := float64(float32(rng.Float64()))
				dense[i*c.n+j], dense[j*c.n+i] = w, w
			}
		}
		K := &Graph{N: c.n, RowPtr: make([]int32, c.n+1)}
		deg := make([]float64, c.n)
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.n; j++ {
				if v := dense[i*c.n+j]; v != 0 {
					K.Col, K.Val = append(K.Col, int32(j)), append(K.Val, float32(v))
					deg[i] += v
				}
			}
			K.RowPtr[i+1] = int32(len(K.Col))
		}
		labels := make([]int32, c.n)
		for i := range labels {
			labels[i] = int32(rng.IntN(c.L - 1)) // cluster L-1 stays empty
		}
		P, trans := mphateLandmarkOperator(K, deg, labels, c.L)
		C := make([]float64, c.L*c.n)
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.n; j++ {
				C[int(labels[i])*c.n+j] += dense[i*c.n+j]
			}
		}
		for a := 0; a < c.L; a++ {
			var dm float64
			for j := 0; j < c.n; j++ {
				dm += C[a*c.n+j]
			}
			var rowSum float64
			for b := 0; b < c.L; b++ {
				var s float64
				for j := 0; j < c.n; j++ {
					s += C[a*c.n+j] * C[b*c.n+j] / deg[j]
				}
				want := 0.0
				if dm > 0 {
					want = s / dm
				}
				got := P.At(a, b)
				rowSum += got
				if math.Abs(got-want) > 1e-12*(math.Abs(want)+1e-300) && !(dm == 0 && (got == 0 || math.IsNaN(got))) {
					t.Fatalf("n=%d L=%d: P[%d,%d] = %v, want %v", c.n, c.L, a, b, got, want)
				}
			}
			if dm > 0 && math.Abs(rowSum-1) > 1e-12 {
				t.Fatalf("n=%d L=%d: row %d of P sums to %v", c.n, c.L, a, rowSum)
			}
		}
		for j := 0; j < c.n; j++ {
			got := make([]float64, c.L)
			for p := trans.RowPtr[j]; p < trans.RowPtr[j+1]; p++ {
				got[trans.Col[p]] = float64(trans.Val[p])
			}
			for a := 0; a < c.L; a++ {
				want := C[a*c.n+j] / deg[j]
				if math.Abs(got[a]-want) > 1e-6*math.Abs(want) || (want == 0) != (got[a] == 0) {
					t.Fatalf("n=%d L=%d: trans[%d,%d] = %v, want %v", c.n, c.L, j, a, got[a], want)
				}
			}
		}
	}
}
