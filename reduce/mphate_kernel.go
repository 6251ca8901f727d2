package reduce

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
)

type mphateEntry struct {
	j int32
	w float32
}

// mphateKernel builds the symmetric multislice kernel over T*n vertices (vertex t*n+i).
func mphateKernel(pts []*Matrix, knn int, decay float64, interKNN int, bw float64) (*Graph, error) {
	T, n, d := len(pts), pts[0].Rows, pts[0].Cols
	N := T * n
	rows := make([][]mphateEntry, N)
	const thresh = 1e-4
	kSearch := min(n-1, max(2*knn, 10))                 // a few more than knn, for duplicate points' bandwidths
	radiusScale := math.Pow(-math.Log(thresh), 1/decay) // k(d) >= thresh iff d <= sigma * radiusScale
	// Snapshots one after the other, each step parallel inside (nested parallel loops would have
	// more goroutines than processors, and long-running ones preempted by signals).
	errs := make([]error, T)
	for t := 0; t < T; t++ {
		x := pts[t]
		nb, err := KNN(x, kSearch, Euclidean)
		if err != nil {
			errs[t] = fmt.Errorf("reduce: MPHATE: snapshot %d: %w", t, err)
			break
		}
		sigma := make([]float64, n)
		for i := 0; i < n; i++ {
			_, dist := nb.Row(i)
			s := float64(dist[knn-1])
			if s <= 0 { // duplicates: use the first positive distance, or 1
				s = 1
				for _, v := range dist {
					if v > 0 {
						s = float64(v)
						break
					}
				}
			}
			sigma[i] = s
		}
		directed := mphateRadiusRows(x, sigma, radiusScale, decay, thresh)
		sym := symmetrizeAverage(directed)
		for i, r := range sym {
			out := make([]mphateEntry, 0, len(r)+T)
			for _, e := range r {
				if e.w >= thresh { // graphtools truncates the assembled kernel at thresh
					out = append(out, mphateEntry{e.j + int32(t*n), e.w})
				}
			}
			rows[t*n+i] = out
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if T > 1 {
		// Interslice distances per point: D_i(s, t) = ||x_s(i) - x_t(i)||. Items in parallel
		// (clearUpper: the scalar code and math.Exp below must not run with dirty AVX state).
		dists := make([]float64, n*T*T)
		parallelRanges(n, 64, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				clearUpper()
				for s := 0; s < T; s++ {
					a := pts[s].Data[i*d : (i+1)*d]
					for t := s + 1; t < T; t++ {
						v := math.Sqrt(float64(sqDist32(a, pts[t].Data[i*d:(i+1)*d])))
						dists[i*T*T+s*T+t] = v
						dists[i*T*T+t*T+s] = v
					}
				}
			}
		})
		if bw == 0 {
			kk := min(interKNN, T-1)
			medians := make([]float64, n)
			parallelRanges(n, 64, func(lo, hi int) {
				row := make([]float64, T)
				med := make([]float64, T)
				for i := lo; i < hi; i++ {
					clearUpper()
					for s := 0; s < T; s++ {
						copy(row, dists[i*T*T+s*T:i*T*T+(s+1)*T])
						slices.Sort(row) // row[0] is the point itself (0)
						med[s] = row[kk]
					}
					slices.Sort(med)
					if T%2 == 1 {
						medians[i] = med[T/2]
					} else {
						medians[i] = (med[T/2-1] + med[T/2]) / 2
					}
				}
			})
			var sum float64
			for _, v := range medians {
				sum += v
			}
			bw = sum / float64(n)
			if bw <= 0 || bad(bw) {
				bw = 1
			}
		}
		// exp(-v^2) >= thresh needs v^2 <= -ln(thresh); the exponential is taken a little beyond.
		cut := -math.Log(thresh) * (1 + 1e-9)
		parallelRanges(n, 64, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				clearUpper()
				for s := 0; s < T; s++ {
					for t := 0; t < T; t++ {
						if t == s {
							continue
						}
						// The reference's interslice kernels are dense, but the multislice kernel
						// goes through graphtools' TraditionalGraph, which zeroes entries below
						// thresh.
						v := dists[i*T*T+s*T+t] / bw
						if v*v > cut {
							continue
						}
						if w := math.Exp(-v * v); w >= thresh {
							rows[s*n+i] = append(rows[s*n+i], mphateEntry{int32(t*n + i), float32(w)})
						}
					}
				}
			}
		})
	}
	parallelRanges(N, 1024, func(lo, hi int) {
		for _, r := range rows[lo:hi] {
			mphateSortRow(r)
		}
	})
	g := &Graph{N: N, RowPtr: make([]int32, N+1)}
	nnz := 0
	for i, r := range rows {
		nnz += len(r)
		if nnz > math.MaxInt32 {
			return nil, fmt.Errorf("reduce: MPHATE: the multislice kernel has more than %d entries (the kernel's radius covers most of each snapshot: try a smaller Decay or fewer items)", math.MaxInt32)
		}
		g.RowPtr[i+1] = int32(nnz)
	}
	g.Col, g.Val = make([]int32, nnz), make([]float32, nnz)
	parallelRanges(N, 1024, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := g.RowPtr[i]
			for k, e := range rows[i] {
				g.Col[int(p)+k], g.Val[int(p)+k] = e.j, e.w
			}
			rows[i] = nil
		}
	})
	return g, nil
}

// mphateRadiusRows returns the directed alpha-decay kernel rows of the snapshot x ([n, d]): row i
// holds (j, exp(-(||x_i - x_j|| / sigma[i])^decay)) for every j (i included, weight 1) with
// ||x_i - x_j|| <= sigma[i] radiusScale and weight >= thresh, sorted by j: graphtools' kNNGraph,
// which widens its neighbour search until the kernel's radius is covered. Candidates come from
// KNN's float32 tile kernel (keys ||x_j||^2 - 2 <x_i, x_j> against the radius with a margin far
// above their rounding error, so none is missed), so the O(n^2 d) scan runs in SIMD; the
// distances of the candidates are then recomputed in float64.
func mphateRadiusRows(x *Matrix, sigma []float64, radiusScale, decay, thresh float64) [][]mphateEntry {
	n, d := x.Rows, x.Cols
	sq := rowSqNorms(x.Data, n, d)
	var maxSq float32
	for _, v := range sq {
		maxSq = max(maxSq, v)
	}
	packed := packReferences(x.Data, n, d, sq)
	rows := make([][]mphateEntry, n)
	// Blocks of 64 query rows in parallel (each writes its own rows).
	parallelRanges((n+3)/4, 16, func(b0, b1 int) {
		mphateRadiusBlock(x, sq, maxSq, packed, sigma, radiusScale, decay, thresh, rows, b0*4, min(n, b1*4))
	})
	for i, r := range rows {
		if len(r) == 0 || r[0].j > int32(i) { // the diagonal missed the tile (huge norms): add it
			k := sort.Search(len(r), func(a int) bool { return r[a].j >= int32(i) })
			if k == len(r) || r[k].j != int32(i) {
				r = slices.Insert(r, k, mphateEntry{int32(i), 1})
			}
			rows[i] = r
		}
	}
	return rows
}

// mphateRadiusBlock fills rows[lo:hi] (lo a multiple of 4) for mphateRadiusRows.
func mphateRadiusBlock(x *Matrix, sq []float32, maxSq float32, packed *knnPacked, sigma []float64, radiusScale, decay, thresh float64, rows [][]mphateEntry, lo, hi int) {
	d := x.Cols
	var tile [4 * knnPanel]float32
	var tops [4]float32
	var radius [4]float64
	for qi := lo; qi < hi; qi += 4 {
		var qs [4][]float32
		nq := min(4, hi-qi)
		for r := 0; r < 4; r++ {
			i := min(qi+r, hi-1)
			qs[r] = x.Row(i)
			radius[r] = sigma[i] * radiusScale
			// dist^2 = key + ||x_i||^2; the float32 key errs by a few units of rounding of
			// ||x_i||^2 + ||x_j||^2 per coordinate: 1e-4 of that bound is a wide margin.
			tops[r] = float32(radius[r]*radius[r]-float64(sq[i])) + 1e-4*(sq[i]+maxSq) + 1e-30
		}
		for p := 0; p < packed.panels; p++ {
			mask := knnTile(qs[0], qs[1], qs[2], qs[3], packed.data[p*d*knnPanel:(p+1)*d*knnPanel], packed.sqNorms[p*knnPanel:(p+1)*knnPanel], &tops, &tile)
			if nq < 4 {
				mask &= 1<<(16*nq) - 1
			}
			for mask != 0 {
				bit := bits.TrailingZeros64(mask)
				mask &= mask - 1
				r, j := bit>>4, p*knnPanel+bit&15
				i := qi + r
				if j == i {
					rows[i] = append(rows[i], mphateEntry{int32(i), 1})
					continue
				}
				clearUpper()
				dd := math.Sqrt(sqDist64(qs[r], x.Row(j)))
				if dd > radius[r] {
					continue
				}
				if w := math.Exp(-math.Pow(dd/sigma[i], decay)); w >= thresh {
					rows[i] = append(rows[i], mphateEntry{int32(j), float32(w)})
				}
			}
		}
	}
}

// mphateSortRow sorts r by column. Rows here are mostly one or two sorted runs (a scanned
// snapshot's row with the diagonal entry first; intraslice entries followed by interslice ones):
// those are merged in linear time, anything else is sorted.
func mphateSortRow(r []mphateEntry) {
	less := func(a, b mphateEntry) int { return cmp.Compare(a.j, b.j) }
	k := 1
	for k < len(r) && r[k-1].j <= r[k].j {
		k++
	}
	if k >= len(r) {
		return
	}
	if !slices.IsSortedFunc(r[k:], less) {
		slices.SortFunc(r, less)
		return
	}
	a := slices.Clone(r[:k])
	i, j, o := 0, k, 0
	for i < len(a) && j < len(r) {
		if r[j].j < a[i].j {
			r[o] = r[j]
			j++
		} else {
			r[o] = a[i]
			i++
		}
		o++
	}
	copy(r[o:], a[i:]) // the rest of r[j:] is already in place
}

// symmetrizeAverage returns (W + Wᵀ)/2 for the directed rows (entries (j, w) of row i, at most one
// per j; sorted in place by j), rows sorted.
func symmetrizeAverage(rows [][]mphateEntry) [][]mphateEntry {
	n := len(rows)
	count := make([]int32, n)
	for _, r := range rows {
		for _, e := range r {
			count[e.j]++
		}
	}
	// The transposed rows, each sorted by i (filled in increasing i).
	tr := make([][]mphateEntry, n)
	flat := make([]mphateEntry, 0, func() int {
		s := 0
		for _, c := range count {
			s += int(c)
		}
		return s
	}())
	for j, c := range count {
		tr[j] = flat[len(flat) : len(flat) : len(flat)+int(c)]
		flat = flat[:len(flat)+int(c)]
	}
	for i, r := range rows {
		for _, e := range r {
			tr[e.j] = append(tr[e.j], mphateEntry{int32(i), e.w})
		}
	}
	out := make([][]mphateEntry, n)
	parallelRanges(n, 256, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r, t := rows[i], tr[i]
			mphateSortRow(r)
			m := make([]mphateEntry, 0, len(r)+len(t))
			a, b := 0, 0
			for a < len(r) || b < len(t) {
				switch {
				case b == len(t) || (a < len(r) && r[a].j < t[b].j):
					m = append(m, mphateEntry{r[a].j, r[a].w / 2})
					a++
				case a == len(r) || t[b].j < r[a].j:
					m = append(m, mphateEntry{t[b].j, t[b].w / 2})
					b++
				default:
					m = append(m, mphateEntry{r[a].j, r[a].w/2 + t[b].w/2})
					a++
					b++
				}
			}
			out[i] = m
		}
	})
	return out
}
