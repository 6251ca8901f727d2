package reduce

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
)

// Metric names a distance between rows of a matrix.
//
// The zero value "" means Euclidean.
type Metric string

const (
	// Euclidean is d(a, b) = ||a - b||_2.
	Euclidean Metric = "euclidean"
	// Cosine is d(a, b) = 1 - <a, b> / (||a|| ||b||), in [0, 2]. A zero row has cosine 0 with
	// every other row (distance 1).
	Cosine Metric = "cosine"
)

// resolve returns the metric with the zero value mapped to Euclidean, or an error for an unknown name.
func (m Metric) resolve() (Metric, error) {
	switch m {
	case "", Euclidean:
		return Euclidean, nil
	case Cosine:
		return Cosine, nil
	}
	return "", fmt.Errorf("reduce: unknown metric %q (want %q or %q)", string(m), Euclidean, Cosine)
}

// checkInput validates x ([n, d]: non-empty, finite) for the operation op (named in the error) and
// resolves metric ("" means Euclidean).
func checkInput(op string, x *Matrix, metric Metric) (Metric, error) {
	if err := x.Validate(); err != nil {
		return "", fmt.Errorf("reduce: %s: %w", op, err)
	}
	return metric.resolve()
}

// Progress reports the progress of a long computation: done out of total units of the named stage
// (for example "knn", "kmeans restart", "pca frames"). A nil Progress is valid and ignored.
type Progress func(done, total int, stage string)

// reportProgress calls p if it is not nil.
func reportProgress(p Progress, done, total int, stage string) {
	if p != nil {
		p(done, total, stage)
	}
}

// Neighbors is a k-nearest-neighbour graph over N points: Index and Dist are [N, K] row-major,
// row i holds the K nearest other points of point i, nearest first (ties by smaller index). The point
// itself is excluded (another point at distance 0, a duplicate, is not).
type Neighbors struct {
	N, K  int
	Index []int32   // [N, K] neighbour indices
	Dist  []float32 // [N, K] distances under the metric used to build the graph
}

// Row returns the neighbour indices and distances of point i (slices alias the graph).
func (nb *Neighbors) Row(i int) ([]int32, []float32) {
	return nb.Index[i*nb.K : (i+1)*nb.K], nb.Dist[i*nb.K : (i+1)*nb.K]
}

// KNN returns the exact k nearest neighbours of every row of x ([n, d]) among the other rows, under
// metric ("" means Euclidean): Index and Dist [n, k], nearest first, the point itself excluded.
//
// The search compares keys ||b||^2 - 2<a, b> in float32, computed by a blocked, SIMD kernel (when
// built with GOEXPERIMENT=simd on amd64: AVX-512, 4 query rows against 2 panels per call, where the
// CPU has it, else AVX2/FMA; the keys are the same bits either way) over packed panels of 16
// reference rows, in runtime.GOMAXPROCS goroutines over blocks of query rows, keeping a bounded
// max-heap per row. A few extra candidates are kept and re-ranked with distances recomputed in
// float64 from the input, so the returned distances are exact to float32 rounding. For Cosine,
// rows are first scaled to unit length and d = 1 - cos. Cost O(n^2 d) time, O(n d + n k) memory.
//
// Errors: x invalid (empty, NaN/Inf), k < 1, or k > n-1.
func KNN(x *Matrix, k int, metric Metric) (*Neighbors, error) {
	metric, err := checkInput("KNN", x, metric)
	if err != nil {
		return nil, err
	}
	n := x.Rows
	if k < 1 {
		return nil, fmt.Errorf("reduce: KNN: k = %d, must be at least 1", k)
	}
	if k > n-1 {
		return nil, fmt.Errorf("reduce: KNN: k = %d neighbours need at least k+1 = %d points, have %d", k, k+1, n)
	}
	if metric == Euclidean {
		for t, v := range x.Data {
			if math.Abs(float64(v)) > 1e17 {
				return nil, fmt.Errorf("reduce: KNN: |x[%d, %d]| = %g is too large for float32 squared distances (limit 1e17)", t/x.Cols, t%x.Cols, v)
			}
		}
	}
	return knnSearch(x, k, metric), nil
}

const (
	knnPanel      = 16 // reference rows per packed panel (two 8-wide or one 16-wide vector)
	knnQueryBlock = 64 // query rows per unit of parallel work
	knnExtra      = 4  // extra candidates re-ranked exactly
	knnChunkBytes = 32 << 10
)

// knnPacked holds the reference rows packed for the tile kernel: panel p holds rows 16p..16p+15 as
// [d][16] (column-interleaved), padded with zero rows whose key offset is +Inf. The storage holds
// an even number of panels (panels rounded up, the extra one all padding), so that panels p and
// p+1 always exist for the pair tile (see tilePair).
type knnPacked struct {
	d       int
	panels  int       // panels holding reference rows: ceil(n/16)
	data    []float32 // [panels rounded up to even, d, 16]
	sqNorms []float32 // [(panels rounded up to even)*16] ||b||^2 (+Inf for padding)
}

// packReferences packs the n rows of the row-major [n, d] data with their squared norms sqNorms[n]
// for the tile kernels.
func packReferences(rows []float32, n, d int, sqNorms []float32) *knnPacked {
	panels := (n + knnPanel - 1) / knnPanel
	stored := panels + panels&1
	p := &knnPacked{d: d, panels: panels, data: make([]float32, stored*d*knnPanel), sqNorms: make([]float32, stored*knnPanel)}
	for j := range p.sqNorms {
		if j < n {
			p.sqNorms[j] = sqNorms[j]
		} else {
			p.sqNorms[j] = float32(math.Inf(1))
		}
	}
	for j := 0; j < n; j++ {
		pan, c := j/knnPanel, j%knnPanel
		base := pan * d * knnPanel
		row := rows[j*d : (j+1)*d]
		for t, v := range row {
			p.data[base+t*knnPanel+c] = v
		}
	}
	return p
}

// tilePair computes the keys of the 4 query rows qs (each of length d) against panels p and p+1 of
// pk (p even, p < pk.panels) with the AVX-512 pair tile: tile[h][r*16+c] = ||b_j||^2 - 2 <q_r, b_j>
// for reference row j = (p+h)*16 + c, and returns the masks m0, m1 of panels p and p+1, bit r*16+c
// of mask h set where tile[h][r*16+c] < tops[r]. When p is the last panel (p+1 == pk.panels), p+1
// is the padding panel and m1 is 0. Keys and masks are bit for bit those of knnTile on each panel.
// Callers visit panel p's candidates before panel p+1's and recheck each key against their current
// bound, since m1 was computed with tops from before panel p's candidates were taken.
func (pk *knnPacked) tilePair(qs *[4][]float32, p int, tops *[4]float32, tile *[2][4 * knnPanel]float32) (uint64, uint64) {
	d := pk.d
	m0, m1 := knnTilePair(qs[0], qs[1], qs[2], qs[3], pk.data[p*d*knnPanel:(p+2)*d*knnPanel], pk.sqNorms[p*knnPanel:(p+2)*knnPanel], tops, tile)
	if p+1 >= pk.panels {
		m1 = 0
	}
	return m0, m1
}

// knnHeap is a bounded max-heap of (key, index) pairs, the largest key at position 0.
type knnHeap struct {
	keys []float32
	idx  []int32
}

func (h *knnHeap) reset() {
	for i := range h.keys {
		h.keys[i] = float32(math.Inf(1))
		h.idx[i] = -1
	}
}

// rowSqNorms returns ||x_i||^2 (accumulated in float64, rounded to float32) of the n rows of the
// row-major [n, d] data.
func rowSqNorms(data []float32, n, d int) []float32 {
	sq := make([]float32, n)
	for i := 0; i < n; i++ {
		clearUpper()
		var s float64
		for _, v := range data[i*d : (i+1)*d] {
			s += float64(v) * float64(v)
		}
		sq[i] = float32(s)
	}
	return sq
}

// replaceTop replaces the largest element by (key, j) and restores the heap order. It is
// siftDown from the top moving a hole instead of swapping: the same comparisons, the same order.
func (h *knnHeap) replaceTop(key float32, j int32) {
	keys := h.keys
	idx := h.idx[:len(keys)]
	n, p := len(keys), 0
	for {
		c := 2*p + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && keys[r] > keys[c] {
			c = r
		}
		if keys[c] <= key {
			break
		}
		keys[p], idx[p] = keys[c], idx[c]
		p = c
	}
	keys[p], idx[p] = key, j
}

// knnSearch is KNN after validation.
func knnSearch(x *Matrix, k int, metric Metric) *Neighbors {
	n, d := x.Rows, x.Cols
	rows := x.Data
	sq := make([]float32, n)
	if metric == Cosine {
		rows = make([]float32, len(x.Data))
		for i := 0; i < n; i++ {
			clearUpper()
			src := x.Row(i)
			var s float64
			for _, v := range src {
				s += float64(v) * float64(v)
			}
			if s == 0 {
				sq[i] = 1 // zero row: key 1 - 2*0 corresponds to cos 0
				continue
			}
			inv := 1 / math.Sqrt(s)
			dst := rows[i*d : (i+1)*d]
			var s2 float64
			for t, v := range src {
				u := float32(float64(v) * inv)
				dst[t] = u
				s2 += float64(u) * float64(u)
			}
			sq[i] = float32(s2)
		}
	} else {
		sq = rowSqNorms(x.Data, n, d)
	}
	packed := packReferences(rows, n, d, sq)
	kc := min(k+knnExtra, n-1) // candidates kept per row
	out := &Neighbors{N: n, K: k, Index: make([]int32, n*k), Dist: make([]float32, n*k)}

	chunkPanels := max(2, knnChunkBytes/(d*knnPanel*4)) &^ 1 // even: whole pairs of panels
	blocks := (n + knnQueryBlock - 1) / knnQueryBlock
	// Per-worker scratch: the heaps of one block of queries, a tile and the candidates.
	type scratch struct {
		heaps []knnHeap
		tile  [2][4 * knnPanel]float32
		cands []knnCand
	}
	scr := make([]*scratch, runtime.GOMAXPROCS(0))
	parallelBlocks(blocks, len(scr), func(w, b int) {
		if scr[w] == nil {
			hk := make([]float32, knnQueryBlock*kc)
			hi := make([]int32, knnQueryBlock*kc)
			sc := &scratch{heaps: make([]knnHeap, knnQueryBlock), cands: make([]knnCand, kc)}
			for r := range sc.heaps {
				sc.heaps[r] = knnHeap{keys: hk[r*kc : (r+1)*kc], idx: hi[r*kc : (r+1)*kc]}
			}
			scr[w] = sc
		}
		heaps, tile, cands := scr[w].heaps, &scr[w].tile, scr[w].cands
		q0 := b * knnQueryBlock
		q1 := min(n, q0+knnQueryBlock)
		for r := 0; r < q1-q0; r++ {
			heaps[r].reset()
		}
		for c0 := 0; c0 < packed.panels; c0 += chunkPanels {
			c1 := min(packed.panels, c0+chunkPanels)
			for qi := q0; qi < q1; qi += 4 {
				// Query rows qi..qi+3, repeating the last row when the block runs out.
				var qs [4][]float32
				var tops [4]float32
				nq := min(4, q1-qi)
				for r := 0; r < 4; r++ {
					i := min(qi+r, q1-1)
					qs[r] = rows[i*d : (i+1)*d]
					tops[r] = heaps[min(r, nq-1)+qi-q0].keys[0]
				}
				// Panels in pairs (one AVX-512 tile; chunks hold whole pairs, the last pair may
				// end in the padding panel); the candidates of each panel are visited in order, as
				// one panel at a time.
				for p := c0; p < c1; p += 2 {
					var masks [2]uint64
					masks[0], masks[1] = packed.tilePair(&qs, p, &tops, tile)
					for hp, mask := range masks {
						if nq < 4 {
							mask &= 1<<(16*nq) - 1 // rows past the block end
						}
						keys := &tile[hp]
						j0 := int32((p + hp) * knnPanel)
						for mask != 0 {
							bit := bits.TrailingZeros64(mask)
							mask &= mask - 1
							r, c := bit>>4, bit&15
							h := &heaps[qi+r-q0]
							j := j0 + int32(c)
							// Rechecked against the current top: a pair's second mask was
							// computed before the first panel's candidates lowered it.
							if key := keys[bit]; key < h.keys[0] && j != int32(qi+r) {
								h.replaceTop(key, j)
								tops[r] = h.keys[0]
							}
						}
					}
				}
			}
		}
		for r := 0; r < q1-q0; r++ {
			clearUpper()
			i := q0 + r
			heaps[r].rerank(x, i, metric, cands)
			for c := 0; c < k; c++ {
				out.Index[i*k+c] = cands[c].j
				out.Dist[i*k+c] = float32(cands[c].d)
			}
		}
	})
	return out
}

type knnCand struct {
	j int32
	d float64
}

// rerank sets cands (length len(h.idx)) to the heap's candidates for row i of x with their exact
// distances (exactDistance under metric), sorted by distance, then index (the indices are
// distinct: one order).
func (h *knnHeap) rerank(x *Matrix, i int, metric Metric, cands []knnCand) {
	for c, j := range h.idx {
		cands[c] = knnCand{j: j, d: exactDistance(x, i, int(j), metric)}
	}
	slices.SortFunc(cands, func(a, b knnCand) int {
		if a.d != b.d {
			return cmp.Compare(a.d, b.d)
		}
		return cmp.Compare(a.j, b.j)
	})
}

// exactDistance is the metric between rows i and j of x, accumulated in float64.
func exactDistance(x *Matrix, i, j int, metric Metric) float64 {
	a, b := x.Row(i), x.Row(j)
	if metric == Cosine {
		var ab, aa, bb float64
		for t := range a {
			u, v := float64(a[t]), float64(b[t])
			ab += u * v
			aa += u * u
			bb += v * v
		}
		if aa == 0 || bb == 0 {
			return 1
		}
		return max(0, 1-ab/math.Sqrt(aa*bb))
	}
	var s float64
	for t := range a {
		e := float64(a[t]) - float64(b[t])
		s += e * e
	}
	return math.Sqrt(s)
}

// knnTileGeneric is the portable tile kernel: for the 4 query rows q0..q3 (length d) and one packed
// panel ([d][16]) with squared norms nrm[16], tile[r*16+c] = nrm[c] - 2 <q_r, b_c>; it returns a
// bit mask with bit r*16+c set where that key is below tops[r].
func knnTileGeneric(q0, q1, q2, q3, panel, nrm []float32, tops *[4]float32, tile *[4 * knnPanel]float32) uint64 {
	var acc [4][knnPanel]float32
	d := len(q0)
	for t := 0; t < d; t++ {
		pv := (*[knnPanel]float32)(panel[t*knnPanel : (t+1)*knnPanel])
		a0, a1, a2, a3 := q0[t], q1[t], q2[t], q3[t]
		for c := 0; c < knnPanel; c++ {
			v := pv[c]
			acc[0][c] += a0 * v
			acc[1][c] += a1 * v
			acc[2][c] += a2 * v
			acc[3][c] += a3 * v
		}
	}
	var mask uint64
	for r := 0; r < 4; r++ {
		for c := 0; c < knnPanel; c++ {
			key := nrm[c] - 2*acc[r][c]
			tile[r*knnPanel+c] = key
			if key < tops[r] {
				mask |= 1 << (r*knnPanel + c)
			}
		}
	}
	return mask
}

// knnRefineHop is how many of a point's nearest neighbours (and of theirs) refineKNN visits.
const knnRefineHop = 12

// refineKNN returns an approximate k-nearest-neighbour graph of the rows of x ([n, d]) seeded by
// prev, a graph over the same n points with prev.K >= k (for example the previous snapshot of a
// sequence, whose neighbourhoods are mostly still neighbourhoods): the candidates of point i are its
// prev.K neighbours in prev, the knnRefineHop nearest neighbours of each of its knnRefineHop nearest
// neighbours and its reverse neighbours among those (a local join as in NN-descent), scored with
// distances under metric in x; the k nearest are kept, nearest first (ties by smaller index).
// It also returns the fraction of the k*n neighbour entries that are not in prev's rows.
// Cost O(n (K + hop^2) d) time instead of KNN's O(n^2 d).
func refineKNN(x *Matrix, prev *Neighbors, k int, metric Metric) (*Neighbors, float64) {
	n, d := x.Rows, x.Cols
	hop := min(knnRefineHop, prev.K)
	// Reverse lists: j -> the points i that have j among their hop nearest (at most hop of them).
	revCnt := make([]int32, n)
	rev := make([]int32, n*hop)
	for i := 0; i < n; i++ {
		idx, _ := prev.Row(i)
		for _, j := range idx[:hop] {
			if c := revCnt[j]; int(c) < hop {
				rev[int(j)*hop+int(c)] = int32(i)
				revCnt[j]++
			}
		}
	}
	out := &Neighbors{N: n, K: k, Index: make([]int32, n*k), Dist: make([]float32, n*k)}
	changed := make([]int, runtime.GOMAXPROCS(0))
	type scratch struct {
		stamp []int32  // stamp[j] == i: j is already a candidate of i
		top   []uint64 // a max-heap of the k smallest candidates (key bits << 32 | index)
	}
	scr := make([]*scratch, len(changed))
	parallelBlocks((n+knnQueryBlock-1)/knnQueryBlock, len(changed), func(w, b int) {
		if scr[w] == nil {
			scr[w] = &scratch{stamp: make([]int32, n), top: make([]uint64, k)}
			for t := range scr[w].stamp {
				scr[w].stamp[t] = -1
			}
		}
		s := scr[w]
		top := s.top
		for i := b * knnQueryBlock; i < min(n, (b+1)*knnQueryBlock); i++ {
			clearUpper()
			s.stamp[i] = int32(i)
			filled := 0
			xi := x.Data[i*d : (i+1)*d]
			// Candidates are compared as key bits << 32 | index (keys >= 0 order like their bits):
			// the k smallest (key, index) pairs are kept whatever the order of the candidates, ties
			// going to the smaller index. The first k fill the heap, which is then heapified.
			add := func(j int32) {
				if s.stamp[j] == int32(i) {
					return
				}
				s.stamp[j] = int32(i)
				var key float32
				if metric == Cosine {
					key = max(float32(exactDistance(x, i, int(j), metric)), 0)
				} else {
					key = tsneSqDist(xi, x.Data[int(j)*d:(int(j)+1)*d])
				}
				c := uint64(math.Float32bits(key))<<32 | uint64(uint32(j))
				switch {
				case filled < k:
					top[filled] = c
					filled++
					if filled == k {
						for p := k/2 - 1; p >= 0; p-- {
							siftDownU64(top, p)
						}
					}
				case c < top[0]:
					top[0] = c
					siftDownU64(top, 0)
				}
			}
			idx, _ := prev.Row(i)
			for _, j := range idx {
				add(j)
			}
			for _, j := range idx[:hop] {
				jdx, _ := prev.Row(int(j))
				for _, l := range jdx[:hop] {
					add(l)
				}
			}
			for _, j := range rev[i*hop : i*hop+int(revCnt[i])] {
				add(j)
			}
			for ; filled < k; filled++ { // fewer than k candidates: missing entries (index -1, +Inf)
				top[filled] = uint64(math.Float32bits(float32(math.Inf(1))))<<32 | uint64(math.MaxUint32)
			}
			// Nearest first, ties by index.
			slices.Sort(top)
			for c, key := range top {
				out.Index[i*k+c] = int32(uint32(key))
				v := math.Float32frombits(uint32(key >> 32))
				if metric != Cosine {
					v = float32(math.Sqrt(float64(v)))
				}
				out.Dist[i*k+c] = v
			}
			// Entries new to the row: mark the new row, unmark prev's row, count what is left.
			row := out.Index[i*k : (i+1)*k]
			for _, j := range row {
				s.stamp[j] = -2
			}
			for _, j := range idx {
				s.stamp[j] = int32(i)
			}
			for _, j := range row {
				if s.stamp[j] == -2 {
					changed[w]++
				}
				s.stamp[j] = int32(i)
			}
		}
	})
	var c int
	for _, v := range changed {
		c += v
	}
	return out, float64(c) / float64(n*k)
}

// siftDownU64 restores the max-heap order of h below position p.
func siftDownU64(h []uint64, p int) {
	n := len(h)
	for {
		c := 2*p + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && h[r] > h[c] {
			c = r
		}
		if h[c] <= h[p] {
			return
		}
		h[p], h[c] = h[c], h[p]
		p = c
	}
}
