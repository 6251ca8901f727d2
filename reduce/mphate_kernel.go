package reduce

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"sync/atomic"
)

// mphateNoSeeds makes mphateKernel build every snapshot without the previous one's neighbours
// (tests compare the two).
var mphateNoSeeds bool

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
	// The snapshots in contiguous chains, one per worker, each snapshot on one goroutine: every
	// snapshot after a chain's first is scanned once with the previous snapshot's neighbours as
	// seeds (mphateSeededRows), and nothing waits on serial stretches (transposes, allocation).
	// A chain's first snapshot takes KNN and the radius scan, parallel inside. The kernel does not
	// depend on the chains (the seeded rows equal the unseeded ones).
	errs := make([]error, T)
	parallelChunks(T, numWorkers(T, 1), func(_, lo, hi int) {
		// seeds[i*kSearch:(i+1)*kSearch] are item i's nearest items in the previous snapshot.
		var seeds []int32
		for t := lo; t < hi; t++ {
			x := pts[t]
			var directed [][]mphateEntry
			if seeds == nil || mphateNoSeeds {
				nb, err := KNN(x, kSearch, Euclidean)
				if err != nil {
					errs[t] = fmt.Errorf("reduce: MPHATE: snapshot %d: %w", t, err)
					return
				}
				sigma := make([]float64, n)
				for i := 0; i < n; i++ {
					_, dist := nb.Row(i)
					sigma[i] = mphateSigma(dist, knn)
				}
				directed = mphateRadiusRows(x, sigma, radiusScale, decay, thresh)
				seeds = nb.Index
			} else {
				directed, seeds, _ = mphateSeededRows(x, knn, kSearch, seeds, radiusScale, decay, thresh, serialRanges)
			}
			sym := symmetrizeAverage(directed, serialRanges)
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
	})
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
						med[s] = selectKth(row, kk) // the kk-th smallest; the 0th is the point itself
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

// mphateSqDistGeneric returns ||a - b||^2 (len(b) >= len(a)) accumulated in float64 in the order
// of the SIMD version: with 16 or more coordinates, 16 a step into four 4-lane sums (lane l of sum
// v takes coordinates 16k + 4v + l, by fused multiply-adds), combined as ((v0 + v1) + (v2 + v3))
// lane by lane and then (l0 + l1) + (l2 + l3); the remaining coordinates added in order.
func mphateSqDistGeneric(a, b []float32) float64 {
	n := len(a)
	b = b[:n]
	var s float64
	i := 0
	if n >= 16 {
		var acc [4][4]float64
		for ; i+16 <= n; i += 16 {
			for v := range 4 {
				for l := range 4 {
					e := float64(a[i+4*v+l]) - float64(b[i+4*v+l])
					acc[v][l] = math.FMA(e, e, acc[v][l])
				}
			}
		}
		var lane [4]float64
		for l := range 4 {
			lane[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l])
		}
		s = (lane[0] + lane[1]) + (lane[2] + lane[3])
	}
	for ; i < n; i++ {
		e := float64(a[i]) - float64(b[i])
		s += e * e
	}
	return s
}

// mphatePow returns x^decay for x >= 0: by mphatePowInt for the integer decays up to 64 (the
// default 5), else math.Pow.
func mphatePow(x, decay float64) float64 {
	if decay >= 1 && decay <= 64 && decay == math.Trunc(decay) {
		return mphatePowInt(x, int(decay))
	}
	return math.Pow(x, decay)
}

// mphatePowInt returns x^k for x >= 0 and an integer k >= 1 by repeated squaring, the products
// math.Pow forms for an integer exponent (the same float64 result for arguments far from
// overflow and underflow), without its general path.
func mphatePowInt(x float64, k int) float64 {
	a := 1.0
	for ; k != 0; k >>= 1 {
		if k&1 == 1 {
			a *= x
		}
		x *= x
	}
	return a
}

// mphateKeyBound returns the threshold on KNN's tile keys (||x_j||^2 - 2 <x_i, x_j>) that
// keeps every item j within squared distance r2 of item i (squared norm sqi; maxSq the largest
// squared norm): dist^2 = key + ||x_i||^2, and the float32 key errs by a few units of rounding of
// ||x_i||^2 + ||x_j||^2 per coordinate, so 1e-4 of that bound is a wide margin.
func mphateKeyBound(r2 float64, sqi, maxSq float32) float32 {
	return float32(r2-float64(sqi)) + 1e-4*(sqi+maxSq) + 1e-30
}

// mphateSigma is the alpha-decay kernel's bandwidth for an item whose kSearch nearest other items
// are at the ascending distances dist: the knn-th, or where duplicates make it 0 the first positive
// distance, or 1.
func mphateSigma(dist []float32, knn int) float64 {
	if s := float64(dist[knn-1]); s > 0 {
		return s
	}
	for _, v := range dist {
		if v > 0 {
			return float64(v)
		}
	}
	return 1
}

// mphateCand is a candidate of the seeded scan: column j and its tile key
// ||x_j||^2 - 2 <x_i, x_j>.
type mphateCand struct {
	j   int32
	key float32
}

// mphateSeededRows returns what KNN(x, kSearch) and mphateRadiusRows give for the snapshot x
// ([n, d]) — the directed kernel rows, and each item's kSearch nearest other items ([n*kSearch],
// the next snapshot's seeds) — from one scan of the snapshot instead of two. seeds holds each
// item's kSearch nearest items in the previous snapshot: the knn-th smallest distance to them
// bounds sigma before the scan, so the scan that finds the nearest items also collects every
// candidate inside the kernel's radius for that bound. An item whose final radius exceeds the bound
// (duplicates: sigma from the first positive distance) is tested against every item exactly; the
// rows are the same as mphateRadiusRows's with the same sigma. ranges runs the blocks of 4 query
// rows (parallelRanges, or serialRanges inside a parallel loop); fallbacks counts the items tested
// against every item.
func mphateSeededRows(x *Matrix, knn, kSearch int, seeds []int32, radiusScale, decay, thresh float64, ranges func(n, block int, body func(lo, hi int))) (rows [][]mphateEntry, next []int32, fallbacks int) {
	n, d := x.Rows, x.Cols
	sq := rowSqNorms(x.Data, n, d)
	var maxSq float32
	for _, v := range sq {
		maxSq = max(maxSq, v)
	}
	packed := packReferences(x.Data, n, d, sq)
	kc := min(kSearch+knnExtra, n-1) // candidates re-ranked exactly, as KNN
	rows = make([][]mphateEntry, n)
	next = make([]int32, n*kSearch)
	var exhaustive atomic.Int64
	ranges((n+3)/4, 16, func(b0, b1 int) {
		var tile [2][4 * knnPanel]float32
		var heaps [4]knnHeap
		var cands [4][]mphateCand
		for r := range heaps {
			heaps[r] = knnHeap{keys: make([]float32, kc), idx: make([]int32, kc)}
		}
		exact := make([]knnCand, kc)
		seedD2 := make([]float64, kSearch)
		lo, hi := b0*4, min(n, b1*4)
		for qi := lo; qi < hi; qi += 4 {
			nq := min(4, hi-qi)
			var qs [4][]float32
			var bound, tops [4]float32
			for r := 0; r < 4; r++ {
				i := min(qi+r, hi-1)
				qs[r] = x.Row(i)
				heaps[r].reset()
				cands[r] = cands[r][:0]
				// sigma^2 <= the knn-th smallest squared distance to the seeds (knn distinct other
				// items); the tile keys err by far less than the margin (mphateRadiusBlock).
				// The seeds also start the heap (their keys from the exact distances: the heap only
				// picks the candidates that are re-ranked exactly), so that few scanned items
				// replace its top; the scan skips them.
				clearUpper()
				h := &heaps[r]
				for k, j := range seeds[i*kSearch : (i+1)*kSearch] {
					seedD2[k] = mphateSqDist(qs[r], x.Row(int(j)))
					if key := float32(seedD2[k] - float64(sq[i])); key < h.keys[0] && r < nq {
						h.replaceTop(key, j)
					}
				}
				// sigma is a float32 distance (KNN's), rounded up from the exact one by up to a
				// relative 6e-8: without the slack, an item whose knn-th neighbour stayed the same
				// would miss the bound and be tested against every item (10-20% of the items).
				slices.Sort(seedD2)
				r2 := radiusScale * radiusScale * seedD2[knn-1] * (1 + 1e-5)
				bound[r] = mphateKeyBound(r2, sq[i], maxSq)
				tops[r] = max(bound[r], h.keys[0])
			}
			for p := 0; p < packed.panels; p += 2 {
				m0, m1 := packed.tilePair(&qs, p, &tops, &tile)
				masks := [2]uint64{m0, m1}
				for hp, mask := range masks {
					if nq < 4 {
						mask &= 1<<(16*nq) - 1
					}
					for mask != 0 {
						bit := bits.TrailingZeros64(mask)
						mask &= mask - 1
						r, j := bit>>4, int32((p+hp)*knnPanel+bit&15)
						key := tile[hp][bit]
						if key < bound[r] {
							cands[r] = append(cands[r], mphateCand{j, key})
						}
						if h := &heaps[r]; key < h.keys[0] && j != int32(qi+r) && !slices.Contains(seeds[(qi+r)*kSearch:(qi+r+1)*kSearch], j) {
							h.replaceTop(key, j)
							tops[r] = max(bound[r], h.keys[0])
						}
					}
				}
			}
			for r := 0; r < nq; r++ {
				i := qi + r
				clearUpper()
				heaps[r].rerank(x, i, Euclidean, exact) // KNN's exact re-ranking of the kc candidates
				dist := make([]float32, kSearch)
				for c := range kSearch {
					next[i*kSearch+c] = exact[c].j
					dist[c] = float32(exact[c].d)
				}
				sigma := mphateSigma(dist, knn)
				radius := sigma * radiusScale
				top := mphateKeyBound(radius*radius, sq[i], maxSq)
				var row []mphateEntry
				add := func(j int32) {
					if w, ok := mphateDecayWeight(x, i, int(j), radius, sigma, decay, thresh); ok {
						row = append(row, mphateEntry{j, w})
					}
				}
				if top <= bound[r] {
					for _, c := range cands[r] {
						if c.key < top {
							add(c.j)
						}
					}
				} else {
					// The radius outgrew the seeds' bound: test every item (the exact test alone
					// decides, as after the tile's prefilter).
					exhaustive.Add(1)
					for j := range int32(n) {
						add(j)
					}
				}
				rows[i] = row
			}
		}
	})
	mphateEnsureDiagonal(rows)
	return rows, next, int(exhaustive.Load())
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
	mphateEnsureDiagonal(rows)
	return rows
}

// mphateDecayWeight returns the directed alpha-decay kernel entry k(i, j) = exp(-(d/sigma)^decay)
// of items i and j of x (d their exact distance, float64) and whether it is kept: j == i (weight
// 1), or d within radius and the weight at least thresh.
func mphateDecayWeight(x *Matrix, i, j int, radius, sigma, decay, thresh float64) (float32, bool) {
	if j == i {
		return 1, true
	}
	clearUpper() // scalar math after the tile kernels
	dd := math.Sqrt(mphateSqDist(x.Row(i), x.Row(j)))
	if dd > radius {
		return 0, false
	}
	w := math.Exp(-mphatePow(dd/sigma, decay))
	return float32(w), w >= thresh
}

// mphateEnsureDiagonal adds the entry (i, 1) to every row i (sorted by column) that lacks it: with
// huge norms the diagonal's tile key can miss the prefilter.
func mphateEnsureDiagonal(rows [][]mphateEntry) {
	for i, r := range rows {
		k := sort.Search(len(r), func(a int) bool { return r[a].j >= int32(i) })
		if k == len(r) || r[k].j != int32(i) {
			rows[i] = slices.Insert(r, k, mphateEntry{int32(i), 1})
		}
	}
}

// mphateRadiusBlock fills rows[lo:hi] (lo a multiple of 4) for mphateRadiusRows.
func mphateRadiusBlock(x *Matrix, sq []float32, maxSq float32, packed *knnPacked, sigma []float64, radiusScale, decay, thresh float64, rows [][]mphateEntry, lo, hi int) {
	var tile [2][4 * knnPanel]float32
	var tops [4]float32
	var radius [4]float64
	for qi := lo; qi < hi; qi += 4 {
		var qs [4][]float32
		nq := min(4, hi-qi)
		for r := 0; r < 4; r++ {
			i := min(qi+r, hi-1)
			qs[r] = x.Row(i)
			radius[r] = sigma[i] * radiusScale
			tops[r] = mphateKeyBound(radius[r]*radius[r], sq[i], maxSq)
		}
		for p := 0; p < packed.panels; p += 2 {
			m0, m1 := packed.tilePair(&qs, p, &tops, &tile)
			masks := [2]uint64{m0, m1}
			for hp, mask := range masks {
				if nq < 4 {
					mask &= 1<<(16*nq) - 1
				}
				for mask != 0 {
					bit := bits.TrailingZeros64(mask)
					mask &= mask - 1
					r, j := bit>>4, (p+hp)*knnPanel+bit&15
					i := qi + r
					if w, ok := mphateDecayWeight(x, i, j, radius[r], sigma[i], decay, thresh); ok {
						rows[i] = append(rows[i], mphateEntry{int32(j), w})
					}
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
// per j; sorted in place by j), rows sorted; ranges runs the merge over row ranges.
func symmetrizeAverage(rows [][]mphateEntry, ranges func(n, block int, body func(lo, hi int))) [][]mphateEntry {
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
	ranges(n, 256, func(lo, hi int) {
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
