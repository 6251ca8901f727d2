//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSqDist32 is the squared Euclidean distance between a and b in float32, for the k-means++
// prefilter: the relative error is below (len(a)+3) 2^-24 (non-negative terms).
func mphateSqDist32(a, b []float32) float32 { return sqDist32(a, b) }

// mphateSpRow32 sets out ([q]) to sum_p vals[p] src[cols[p]*q : cols[p]*q+q] (one row of a sparse
// [N, N] by dense [N, q] product, src row-major, float32).
func mphateSpRow32(out, vals []float32, cols []int32, src []float32) {
	mphateSpRow32Generic(out, vals, cols, src, len(out))
}
