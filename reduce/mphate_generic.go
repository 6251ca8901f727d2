package reduce

// mphateSpRow32Generic sets out to sum_p vals[p] src[cols[p]*stride : cols[p]*stride+len(out)]
// (terms added in order p = 0, 1, ...): a row of a sparse by dense product whose dense rows have
// length stride.
func mphateSpRow32Generic(out, vals []float32, cols []int32, src []float32, stride int) {
	clear(out)
	q := len(out)
	for p, j := range cols {
		w := vals[p]
		in := src[int(j)*stride : int(j)*stride+q]
		for c, v := range in {
			out[c] += w * v
		}
	}
}
