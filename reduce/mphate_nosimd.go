//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32).
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	mphateSpRow32Generic(out, vals, cols, src, len(out))
}

// mphateGramAdd adds xᵀx to g ([q, q] row-major) for the rows of x ([m, q] row-major): at least
// the entries (a, b) with b >= a are set (the caller mirrors them).
func mphateGramAdd(g, x []float64, q int) { mphateCrossAddGeneric(g, x, x, q) }

// mphateCrossAdd adds xᵀy to g ([q, q] row-major) for x and y ([m, q] row-major): at least the
// entries (a, b) with b >= a are set.
func mphateCrossAdd(g, x, y []float64, q int) { mphateCrossAddGeneric(g, x, y, q) }

// mphateMulUpper replaces every row of x ([m, q] row-major) by row · u, u ([q, q] row-major)
// upper triangular.
func mphateMulUpper(x, u []float64, q int) { mphateMulRightGeneric(x, u, q, true, make([]float64, q)) }

// mphateMulFull replaces every row of x ([m, q] row-major) by row · u, u [q, q] row-major.
func mphateMulFull(x, u []float64, q int) { mphateMulRightGeneric(x, u, q, false, make([]float64, q)) }

// mphateNarrow sets dst[i] = float32(src[i]) for i < min(len(dst), len(src)).
func mphateNarrow(dst []float32, src []float64) { mphateNarrowGeneric(dst, src) }

// mphateWiden sets dst[i] = float64(src[i]) (adds it when add) for i < min(len(dst), len(src)).
func mphateWiden(dst []float64, src []float32, add bool) { mphateWidenGeneric(dst, src, add) }

// mphateAdd32 adds src to dst for i < min(len(dst), len(src)).
func mphateAdd32(dst, src []float32) { mphateAdd32Generic(dst, src) }
