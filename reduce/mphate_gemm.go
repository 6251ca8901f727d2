package reduce

import "math"

// mphateGEMM sets c = a b for row-major a [m, kk], b [kk, n] and c [m, n] (float64, c must not
// overlap a or b). Every entry is summed over t = 0..kk-1 in order by fused multiply-adds, so the
// result is the same bit for bit with AVX-512, AVX2 or none and for any number of workers. Blocks
// of 4 rows run in parallel, each against stripes of b's columns that stay in cache (the
// diffusion operator's powers and the potential's Gram matrix, M = 1000: gonum's Mul ran at about
// 1 GFlop/s here).
func mphateGEMM(c, a, b []float64, m, kk, n int) {
	_, _, _ = c[m*n-1], a[m*kk-1], b[kk*n-1]
	w := mphateGEMMStripe()
	stripes := 0
	if w > 0 {
		stripes = n / w
	}
	// b's full stripes packed ([stripes][kk][w]), read in order by the kernel.
	packed := make([]float64, stripes*kk*w)
	parallelFor(stripes, 1, func(s0, s1 int) {
		for s := s0; s < s1; s++ {
			for t := 0; t < kk; t++ {
				copy(packed[(s*kk+t)*w:(s*kk+t+1)*w], b[t*n+s*w:t*n+(s+1)*w])
			}
		}
	})
	parallelRanges((m+3)/4, 8, func(b0, b1 int) {
		for i := b0 * 4; i < min(m, b1*4); i += 4 {
			nr := min(4, m-i)
			for s := 0; s < stripes; s++ {
				mphateGEMMRows(c, a, packed[s*kk*w:(s+1)*kk*w], i, nr, kk, n, s*w)
			}
			mphateGEMMTail(c, a, b, i, nr, kk, n, stripes*w)
		}
	})
}

// mphateGEMMTail computes the columns j0..n-1 of c's rows i..i+nr-1 for mphateGEMM, t-order
// fused multiply-adds (the SIMD kernels' order).
func mphateGEMMTail(c, a, b []float64, i, nr, kk, n, j0 int) {
	if j0 >= n {
		return
	}
	clearUpper()
	for r := 0; r < nr; r++ {
		row := c[(i+r)*n : (i+r+1)*n]
		clear(row[j0:])
		ar := a[(i+r)*kk : (i+r+1)*kk]
		for t, av := range ar {
			br := b[t*n : (t+1)*n]
			for j := j0; j < n; j++ {
				row[j] = math.FMA(av, br[j], row[j])
			}
		}
	}
}
