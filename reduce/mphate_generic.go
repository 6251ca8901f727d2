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

// mphateGramAddGeneric adds xᵀx to g ([q, q] row-major) for the rows of x ([m, q] row-major),
// entries (a, b) with b >= a (the caller mirrors them).
func mphateGramAddGeneric(g, x []float64, q int) { mphateCrossAddGeneric(g, x, x, q) }

// mphateCrossAddGeneric adds xᵀy to g ([q, q] row-major) for x and y ([m, q] row-major), entries
// (a, b) with b >= a, rows added one at a time.
func mphateCrossAddGeneric(g, x, y []float64, q int) {
	for r := 0; r+q <= len(x); r += q {
		row, yr := x[r:r+q], y[r:r+q]
		for a, va := range row {
			ga := g[a*q : a*q+q]
			for b := a; b < q; b++ {
				ga[b] += va * yr[b]
			}
		}
	}
}

// mphateMulUpperGeneric replaces every row of x ([m, q] row-major) by row · u, u ([q, q]
// row-major) upper triangular; tmp has length >= q.
func mphateMulUpperGeneric(x, u []float64, q int, tmp []float64) {
	mphateMulRightGeneric(x, u, q, true, tmp)
}

// mphateMulRightGeneric replaces every row of x ([m, q] row-major) by row · u, u [q, q]
// row-major (only its upper triangle read when upper); tmp has length >= q.
func mphateMulRightGeneric(x, u []float64, q int, upper bool, tmp []float64) {
	for r := 0; r+q <= len(x); r += q {
		row := x[r : r+q]
		out := tmp[:q]
		clear(out)
		for a, va := range row {
			ua := u[a*q : a*q+q]
			b0 := 0
			if upper {
				b0 = a
			}
			for b := b0; b < q; b++ {
				out[b] += va * ua[b]
			}
		}
		copy(row, out)
	}
}

// mphateNarrowGeneric sets dst[i] = float32(src[i]) for i < min(len(dst), len(src)).
func mphateNarrowGeneric(dst []float32, src []float64) {
	n := min(len(dst), len(src))
	for i, v := range src[:n] {
		dst[i] = float32(v)
	}
}

// mphateWidenGeneric sets dst[i] = float64(src[i]) (adds it when add) for i < min(len(dst),
// len(src)).
func mphateWidenGeneric(dst []float64, src []float32, add bool) {
	n := min(len(dst), len(src))
	if add {
		for i, v := range src[:n] {
			dst[i] += float64(v)
		}
		return
	}
	for i, v := range src[:n] {
		dst[i] = float64(v)
	}
}

// mphateAdd32Generic adds src to dst for i < min(len(dst), len(src)).
func mphateAdd32Generic(dst, src []float32) {
	n := min(len(dst), len(src))
	for i, v := range src[:n] {
		dst[i] += v
	}
}
