//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32).
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	mphateSpRow32Generic(out, vals, cols, src, len(out))
}
