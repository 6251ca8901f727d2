package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
)

// NNDescentOptions are the parameters of NNDescent. The zero value gives the defaults.
type NNDescentOptions struct {
	// Metric is Euclidean ("" too) or Cosine.
	Metric Metric
	// Seed drives the random projection trees and the candidate sampling.
	Seed int64
	// Trees is the number of random projection trees of the initial graph. 0 means
	// min(32, 5 + round(n^0.25 / 2)) (pynndescent's).
	Trees int
	// MaxIter bounds the NN-descent iterations. 0 means max(5, round(log2 n)).
	MaxIter int
	// Delta stops the iterations when fewer than Delta*k*n neighbour lists changed. 0 means 0.001.
	Delta float64
	// MaxCandidates bounds the new and old candidates per point and iteration. 0 means min(60, k).
	MaxCandidates int
	// Threads computing distances. 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Init, if not nil, is a starting graph over the same n points (K >= k; for example the graph
	// of the previous snapshot of a sequence, whose neighbourhoods mostly carry over): each point's
	// first k neighbours in Init, rescored on x, replace the random projection trees' candidates.
	Init *Neighbors
	// Progress, if not nil, is called with stage "nndescent" after each iteration.
	Progress Progress
}

// NNDescent returns an approximate k-nearest-neighbour graph of the rows of x ([n, d], n > k) with
// the NN-descent algorithm (Dong, Moses & Li 2011) as in pynndescent: an initial graph from random
// projection trees (leaves of at most max(10, k+1) points, all pairs within a leaf), then rounds of
// local joins, "a neighbour of my neighbour is likely my neighbour": for each point, its sampled new
// and old neighbours (forward and reverse) are compared pairwise, new x new and new x old, and each
// pair's distance is offered to both points' bounded max-heaps. Distances are computed in
// parallel; heap updates are applied sequentially, so a run is deterministic for a given Seed.
// Output as KNN: Index and Dist [n, k], nearest first, self excluded; Cosine rows are scaled to unit
// length and d = 1 - cos. Typical recall at k = 15 is above 0.95.
func NNDescent(x *Matrix, k int, opts *NNDescentOptions) (*Neighbors, error) {
	if opts == nil {
		opts = &NNDescentOptions{}
	}
	metric, err := checkInput("NNDescent", x, opts.Metric)
	if err != nil {
		return nil, err
	}
	n, d := x.Rows, x.Cols
	if k < 1 || k > n-1 {
		return nil, fmt.Errorf("reduce: NNDescent: k = %d neighbours need 1 <= k <= n-1 = %d", k, n-1)
	}
	data := x.Data
	if metric == Cosine {
		data = make([]float32, len(x.Data))
		for i := 0; i < n; i++ {
			r := x.Row(i)
			var s float64
			for _, v := range r {
				s += float64(v) * float64(v)
			}
			inv := float32(0)
			if s > 0 {
				inv = float32(1 / math.Sqrt(s))
			}
			for j, v := range r {
				data[i*d+j] = v * inv
			}
		}
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	nd := &nnDescent{n: n, d: d, k: k, data: data, threads: threads}
	nd.idx = make([]int32, n*k)
	nd.dist = make([]float32, n*k)
	nd.isNew = make([]bool, n*k)
	for i := range nd.idx {
		nd.idx[i] = -1
		nd.dist[i] = float32(math.Inf(1))
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0xdecade))
	trees := opts.Trees
	if trees <= 0 {
		trees = min(32, 5+int(math.Round(math.Pow(float64(n), 0.25)/2)))
	}
	if in := opts.Init; in != nil {
		if in.N != n || in.K < k || len(in.Index) != in.N*in.K {
			return nil, fmt.Errorf("reduce: NNDescent: Init graph is [%d, %d] with %d indices, want %d points and K >= %d", in.N, in.K, len(in.Index), n, k)
		}
		nd.graphInit(in)
	} else {
		nd.rpInit(trees, max(10, k+1), rng)
	}
	// Fill lists that are still short with random points.
	for i := 0; i < n; i++ {
		for t := 0; nd.idx[i*k] < 0 && t < 4*k; t++ {
			j := rng.IntN(n)
			if j != i {
				nd.push(i, int32(j), nd.sqdist(i, j), true)
			}
		}
	}
	maxIter := opts.MaxIter
	if maxIter <= 0 {
		maxIter = max(5, int(math.Round(math.Log2(float64(n)))))
	}
	delta := opts.Delta
	if delta <= 0 {
		delta = 0.001
	}
	maxCand := opts.MaxCandidates
	if maxCand <= 0 {
		maxCand = min(60, k)
	}
	for it := 0; it < maxIter; it++ {
		c := nd.iterate(maxCand, rng)
		reportProgress(opts.Progress, it+1, maxIter, "nndescent")
		if float64(c) <= delta*float64(k)*float64(n) {
			break
		}
	}
	// Sort each heap ascending and convert distances.
	out := &Neighbors{N: n, K: k, Index: make([]int32, n*k), Dist: make([]float32, n*k)}
	for i := 0; i < n; i++ {
		base := i * k
		// Heap sort: repeatedly pop the max to the end.
		ids, ds := nd.idx[base:base+k], nd.dist[base:base+k]
		for end := k - 1; end > 0; end-- {
			ids[0], ids[end] = ids[end], ids[0]
			ds[0], ds[end] = ds[end], ds[0]
			siftDown(ids[:end], ds[:end], nil, 0)
		}
		for t := 0; t < k; t++ {
			j := ids[t]
			if j < 0 { // cannot happen for k <= n-1 after the random fill, but stay safe
				j = int32((i + 1 + t) % n)
				ds[t] = nd.sqdist(i, int(j))
			}
			out.Index[base+t] = j
			if metric == Cosine {
				out.Dist[base+t] = max(0, ds[t]/2)
			} else {
				out.Dist[base+t] = float32(math.Sqrt(float64(ds[t])))
			}
		}
	}
	return out, nil
}

type nnDescent struct {
	n, d, k, threads int
	data             []float32
	idx              []int32
	dist             []float32 // squared Euclidean; each row a max-heap
	isNew            []bool
}

func (nd *nnDescent) sqdist(i, j int) float32 {
	return sqDist32(nd.data[i*nd.d:(i+1)*nd.d], nd.data[j*nd.d:(j+1)*nd.d])
}

// sqDist32 returns ||a - b||^2 with four accumulators.
func sqDist32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		d2 := a[i+2] - b[i+2]
		d3 := a[i+3] - b[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		v := a[i] - b[i]
		s0 += v * v
	}
	return (s0 + s1) + (s2 + s3)
}

// siftDown restores the max-heap property of (ids, ds[, flags]) from position p.
func siftDown(ids []int32, ds []float32, flags []bool, p int) {
	n := len(ids)
	for {
		l := 2*p + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && ds[r] > ds[l] {
			c = r
		}
		if ds[c] <= ds[p] {
			return
		}
		ids[p], ids[c] = ids[c], ids[p]
		ds[p], ds[c] = ds[c], ds[p]
		if flags != nil {
			flags[p], flags[c] = flags[c], flags[p]
		}
		p = c
	}
}

// push offers j at squared distance dd to point i's heap; it reports whether the heap changed.
func (nd *nnDescent) push(i int, j int32, dd float32, isNew bool) bool {
	base := i * nd.k
	if dd >= nd.dist[base] || int(j) == i {
		return false
	}
	ids := nd.idx[base : base+nd.k]
	for _, x := range ids {
		if x == j {
			return false
		}
	}
	ds := nd.dist[base : base+nd.k]
	fl := nd.isNew[base : base+nd.k]
	ids[0], ds[0], fl[0] = j, dd, isNew
	siftDown(ids, ds, fl, 0)
	return true
}

// rpInit seeds the heaps from the leaves of random projection trees.
func (nd *nnDescent) rpInit(trees, leaf int, rng *rand.Rand) {
	all := make([]int32, nd.n)
	for t := 0; t < trees; t++ {
		for i := range all {
			all[i] = int32(i)
		}
		var leaves [][]int32
		nd.split(all, leaf, rng, &leaves, 0)
		// Distances within leaves in parallel, pushes sequentially.
		type pair struct {
			i, j int32
			d    float32
		}
		res := make([][]pair, len(leaves))
		parallelBlocks(len(leaves), nd.threads, func(_, l int) {
			lv := leaves[l]
			ps := make([]pair, 0, len(lv)*(len(lv)-1)/2)
			for a := 0; a < len(lv); a++ {
				for b := a + 1; b < len(lv); b++ {
					ps = append(ps, pair{lv[a], lv[b], nd.sqdist(int(lv[a]), int(lv[b]))})
				}
			}
			res[l] = ps
		})
		for _, ps := range res {
			for _, p := range ps {
				nd.push(int(p.i), p.j, p.d, true)
				nd.push(int(p.j), p.i, p.d, true)
			}
		}
	}
}

// graphInit seeds each point's heap with its first k neighbours in g (distances recomputed in
// parallel, pushes sequential).
func (nd *nnDescent) graphInit(g *Neighbors) {
	n, k := nd.n, nd.k
	ds := make([]float32, n*k)
	parallelChunks(n, nd.threads, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for t, j := range g.Index[i*g.K : i*g.K+k] {
				if j >= 0 && int(j) < n && int(j) != i {
					ds[i*k+t] = nd.sqdist(i, int(j))
				}
			}
		}
	})
	for i := 0; i < n; i++ {
		for t, j := range g.Index[i*g.K : i*g.K+k] {
			if j >= 0 && int(j) < n && int(j) != i {
				nd.push(i, j, ds[i*k+t], true)
			}
		}
	}
}

// split partitions idx by random hyperplanes (equidistant from two random points) until leaves
// hold at most leaf points.
func (nd *nnDescent) split(idx []int32, leaf int, rng *rand.Rand, out *[][]int32, depth int) {
	if len(idx) <= leaf || depth > 64 {
		*out = append(*out, append([]int32(nil), idx...))
		return
	}
	d := nd.d
	a := int(idx[rng.IntN(len(idx))])
	b := int(idx[rng.IntN(len(idx))])
	for tries := 0; a == b && tries < 8; tries++ {
		b = int(idx[rng.IntN(len(idx))])
	}
	pa, pb := nd.data[a*d:(a+1)*d], nd.data[b*d:(b+1)*d]
	normal := make([]float32, d)
	var off float32
	for j := range normal {
		normal[j] = pa[j] - pb[j]
		off -= normal[j] * (pa[j] + pb[j]) / 2
	}
	lo, hi := 0, len(idx)-1
	side := make([]bool, len(idx))
	for t, i := range idx {
		r := nd.data[int(i)*d : (int(i)+1)*d]
		m := off
		for j, v := range r {
			m += normal[j] * v
		}
		if m == 0 {
			side[t] = rng.IntN(2) == 0
		} else {
			side[t] = m > 0
		}
	}
	tmp := make([]int32, len(idx))
	for t, i := range idx {
		if side[t] {
			tmp[lo] = i
			lo++
		} else {
			tmp[hi] = i
			hi--
		}
	}
	if lo == 0 || lo == len(idx) { // degenerate split: halve at random
		rng.Shuffle(len(tmp), func(x, y int) { tmp[x], tmp[y] = tmp[y], tmp[x] })
		lo = len(tmp) / 2
	}
	copy(idx, tmp)
	nd.split(idx[:lo], leaf, rng, out, depth+1)
	nd.split(idx[lo:], leaf, rng, out, depth+1)
}

// iterate runs one NN-descent round and returns the number of heap updates.
func (nd *nnDescent) iterate(maxCand int, rng *rand.Rand) int {
	n, k := nd.n, nd.k
	// Candidate lists with random priorities, kept as bounded max-heaps on priority.
	newC := make([]int32, n*maxCand)
	newP := make([]float32, n*maxCand)
	oldC := make([]int32, n*maxCand)
	oldP := make([]float32, n*maxCand)
	for i := range newC {
		newC[i], oldC[i] = -1, -1
		newP[i], oldP[i] = float32(math.Inf(1)), float32(math.Inf(1))
	}
	add := func(c []int32, pr []float32, i int, j int32, p float32) {
		base := i * maxCand
		if p >= pr[base] {
			return
		}
		ids := c[base : base+maxCand]
		for _, x := range ids {
			if x == j {
				return
			}
		}
		ids[0], pr[base] = j, p
		siftDown(ids, pr[base:base+maxCand], nil, 0)
	}
	for i := 0; i < n; i++ {
		for t := 0; t < k; t++ {
			j := nd.idx[i*k+t]
			if j < 0 {
				continue
			}
			p := rng.Float32()
			if nd.isNew[i*k+t] {
				add(newC, newP, i, j, p)
				add(newC, newP, int(j), int32(i), p)
			} else {
				add(oldC, oldP, i, j, p)
				add(oldC, oldP, int(j), int32(i), p)
			}
		}
	}
	// Sampled new neighbours become old.
	for i := 0; i < n; i++ {
		nc := newC[i*maxCand : (i+1)*maxCand]
		for t := 0; t < k; t++ {
			if !nd.isNew[i*k+t] {
				continue
			}
			j := nd.idx[i*k+t]
			for _, x := range nc {
				if x == j {
					nd.isNew[i*k+t] = false
					break
				}
			}
		}
	}
	// Local joins in parallel over blocks of points; updates collected, then applied in order.
	type upd struct {
		p, q int32
		d    float32
	}
	const block = 256
	nBlocks := (n + block - 1) / block
	results := make([][]upd, nBlocks)
	parallelBlocks(nBlocks, nd.threads, func(_, b int) {
		var us []upd
		for i := b * block; i < min(n, (b+1)*block); i++ {
			nc := newC[i*maxCand : (i+1)*maxCand]
			oc := oldC[i*maxCand : (i+1)*maxCand]
			for x, p := range nc {
				if p < 0 {
					continue
				}
				tp := nd.dist[int(p)*k]
				for _, q := range nc[x+1:] {
					if q < 0 {
						continue
					}
					dd := nd.sqdist(int(p), int(q))
					if dd < tp || dd < nd.dist[int(q)*k] {
						us = append(us, upd{p, q, dd})
					}
				}
				for _, q := range oc {
					if q < 0 || q == p {
						continue
					}
					dd := nd.sqdist(int(p), int(q))
					if dd < tp || dd < nd.dist[int(q)*k] {
						us = append(us, upd{p, q, dd})
					}
				}
			}
		}
		results[b] = us
	})
	c := 0
	for _, us := range results {
		for _, u := range us {
			if nd.push(int(u.p), u.q, u.d, true) {
				c++
			}
			if nd.push(int(u.q), u.p, u.d, true) {
				c++
			}
		}
	}
	return c
}
