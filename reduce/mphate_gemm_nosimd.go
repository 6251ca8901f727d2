//go:build !(goexperiment.simd && amd64)

package reduce

// mphateGEMMStripe is 0 without SIMD: mphateGEMMTail computes every column.
func mphateGEMMStripe() int { return 0 }

// mphateGEMMRows is not called without SIMD.
func mphateGEMMRows(c, a, bs []float64, i, nr, kk, n, j int) {}
