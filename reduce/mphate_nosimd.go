//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSpRow sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major).
func mphateSpRow(out, vals []float64, cols []int32, src []float64) {
	mphateSpRowGeneric(out, vals, cols, src, len(out))
}
