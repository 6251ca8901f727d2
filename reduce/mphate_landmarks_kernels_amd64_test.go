//go:build goexperiment.simd && amd64

package reduce

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMPHATELandmarkKernels times the landmark stage's dense kernels on one 8192-row block
// (q = 112) and the sparse row product on 100 entries per row of a 10,000-row snapshot (and of
// its first 1000 rows, which fit in L2: the cost of the gathers' cache misses): the SIMD paths
// (AVX-512 where the CPU has it, then AVX2) against each other.
func BenchmarkMPHATELandmarkKernels(b *testing.B) {
	const m, q = 8192, 112
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, m*q), make([]float64, m*q)
	for i := range x {
		x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	u := make([]float64, q*q)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	const n, nnz = 10000, 100
	src := make([]float32, n*q)
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	// Entries on all n rows (4.5 MB of src, beyond L2), and on 1000 rows (in L2).
	cols, near := make([]int32, m*nnz), make([]int32, m*nnz)
	vals := make([]float32, m*nnz)
	for i := range cols {
		cols[i], near[i], vals[i] = int32(rng.IntN(n)), int32(rng.IntN(1000)), rng.Float32()
	}
	saved := mphateUseAVX512
	defer func() { mphateUseAVX512 = saved }()
	for _, wide := range []bool{saved, false} {
		mphateUseAVX512 = wide
		name := fmt.Sprintf("avx512=%v", wide)
		b.Run("cross/"+name, func(b *testing.B) {
			g := make([]float64, q*q)
			for i := 0; i < b.N; i++ {
				mphateCrossAdd(g, x, y, q)
			}
		})
		b.Run("mulupper/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				mphateMulUpper(x, u, q)
			}
		})
		b.Run("mulfull/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				mphateMulFull(y, u, q)
			}
		})
		for _, c := range []struct {
			name string
			cols []int32
		}{{"sprow10000", cols}, {"sprow1000", near}} {
			b.Run(c.name+"/"+name, func(b *testing.B) {
				out := make([]float32, q)
				for i := 0; i < b.N; i++ {
					for r := 0; r < m; r++ {
						mphateSpRow32(out, vals[r*nnz:(r+1)*nnz], c.cols[r*nnz:(r+1)*nnz], src)
					}
				}
			})
		}
	}
}
