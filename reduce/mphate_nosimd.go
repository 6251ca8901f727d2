//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32).
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	mphateSpRow32Generic(out, vals, cols, src, len(out))
}

// mphateGramAdd adds xᵀx to g ([q, q] row-major) for the rows of x ([m, q] row-major): at least
// the entries (a, b) with b >= a are set (the caller mirrors them).
func mphateGramAdd(g, x []float64, q int) { mphateGramAddGeneric(g, x, q) }

// mphateMulUpper replaces every row of x ([m, q] row-major) by row · u, u ([q, q] row-major)
// upper triangular.
func mphateMulUpper(x, u []float64, q int) { mphateMulUpperGeneric(x, u, q, make([]float64, q)) }
