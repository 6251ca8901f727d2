package reduce

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// mphateSpectralLandmarks clusters the N = slices·n vertices (vertex t·n+i) of the symmetric
// kernel K (degrees deg) into L landmarks as graphtools' LandmarkGraph: the top min(100, N-1)
// singular vectors V of the symmetric diffusion affinity A = D^-1/2 K D^-1/2 (randomized subspace
// iteration as scikit-learn's randomized_svd with n_iter="auto": 10 oversamples, 12 here to round
// the block up to a multiple of 16 columns, and 7 power iterations of A Aᵀ, i.e. 14 products with
// A, 4 iterations when 100 >= N/10; the top singular values of A are close together, and with half
// the products the block did not resolve that subspace: the clusters followed the random start and
// the layout agreed with the reference's at Spearman 0.85 instead of 0.98), then mini-batch
// k-means (mphateMiniBatchKMeans, graphtools' MiniBatchKMeans) on the rows of P V with
// P = D^-1 K. Returns a label per vertex and the number of non-empty clusters (labels are
// renumbered 0..L-1).
func mphateSpectralLandmarks(K *Graph, deg []float64, slices, L int, seed int64) ([]int32, int, error) {
	N := K.N
	k := min(100, N-1)
	q := min(N, (k+10+15)/16*16) // at least 10 oversamples, a multiple of 16 (mphateSpRow's blocks)
	isq := make([]float64, N)
	for i, d := range deg {
		isq[i] = 1 / math.Sqrt(d)
	}
	// A's entries (aff) and P = D^-1 K's (rw), split into the intraslice entries (same snapshot:
	// global columns) and the interslice ones (same item: the other snapshot t as column). The
	// products with them run in float32 (half the memory traffic of float64, 8 lanes): a relative
	// error near 1e-6 per product, far below what the subspace iteration resolves.
	items := N / slices
	// The products run on the vertices renumbered by mphateLocalityOrder (row pos[i] for vertex
	// i, inv[r] the vertex of row r; the same item offset in every snapshot, so row t·items+it
	// is still item it of snapshot t in the new order): the whole subspace iteration is the same
	// up to that permutation of the rows (the random start is drawn in the new order), and the
	// features for k-means are read back in vertex order.
	pos := mphateLocalityOrder(K, slices)
	inv := make([]int32, N)
	for i, r := range pos {
		inv[r] = int32(i)
	}
	intra := &mphateSplit{ptr: make([]int32, N+1)}
	inter := &mphateSplit{ptr: make([]int32, N+1)}
	parallelRanges(N, 8192, func(lo, hi int) { // row counts, then their prefix sums
		for r := lo; r < hi; r++ {
			i := int(inv[r])
			si := i / items
			nIntra := int32(0)
			s0, s1 := int32(si*items), int32(si*items+items) // the snapshot's vertices
			for _, c := range K.Col[K.RowPtr[i]:K.RowPtr[i+1]] {
				if c >= s0 && c < s1 {
					nIntra++
				}
			}
			intra.ptr[r+1] = nIntra
			inter.ptr[r+1] = K.RowPtr[i+1] - K.RowPtr[i] - nIntra
		}
	})
	for r := 0; r < N; r++ {
		intra.ptr[r+1] += intra.ptr[r]
		inter.ptr[r+1] += inter.ptr[r]
	}
	intra.alloc()
	inter.alloc()
	parallelRanges(N, 4096, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			i := int(inv[r])
			si := i / items
			s0, s1 := si*items, si*items+items
			a, b := intra.ptr[r], inter.ptr[r]
			for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
				j := int(K.Col[p])
				w := float64(K.Val[p])
				av, rv := float32(w*isq[i]*isq[j]), float32(w/deg[i])
				if j >= s0 && j < s1 { // no integer division per entry
					intra.col[a], intra.aff[a], intra.rw[a] = pos[j], av, rv
					a++
				} else {
					inter.col[b], inter.aff[b], inter.rw[b] = int32(j/items), av, rv
					b++
				}
			}
		}
	})
	// prod sets dst = S src for S = A (rw false) or P (rw true) (src, dst [N, q] row-major,
	// float32): the intraslice entries row by row, then the interslice ones by chunks of 32
	// items, item by item from the item's T rows of src gathered (read once, instead of once per
	// entry from T places far apart), their sums kept per chunk ([t][item][q]) and added to dst
	// in float32 snapshot by snapshot (a contiguous block of rows each, where row by row an
	// item's T rows were T cache misses).
	const interChunk = 32
	interBuf := make([][]float32, runtime.GOMAXPROCS(0)) // per worker of parallelBlocks: xi, ys
	prod := func(dst, src []float32, rw bool) {
		parallelRanges(N, 512, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				p0, p1 := intra.ptr[i], intra.ptr[i+1]
				mphateSpRow32(dst[i*q:(i+1)*q], intra.vals(rw)[p0:p1], intra.col[p0:p1], src)
			}
		})
		if len(inter.col) == 0 {
			return
		}
		parallelBlocks((items+interChunk-1)/interChunk, 0, func(w, b int) {
			lo, hi := b*interChunk, min(items, (b+1)*interChunk)
			nb := hi - lo
			if interBuf[w] == nil {
				interBuf[w] = make([]float32, (interChunk+1)*slices*q)
			}
			xi, ys := interBuf[w][:slices*q], interBuf[w][slices*q:][:slices*nb*q]
			for k := 0; k < nb; k++ {
				it := lo + k
				for t := 0; t < slices; t++ {
					copy(xi[t*q:(t+1)*q], src[(t*items+it)*q:(t*items+it+1)*q])
				}
				for t := 0; t < slices; t++ {
					i := t*items + it
					p0, p1 := inter.ptr[i], inter.ptr[i+1]
					out := ys[(t*nb+k)*q : (t*nb+k+1)*q]
					if p0 == p1 {
						clear(out)
						continue
					}
					mphateSpRow32(out, inter.vals(rw)[p0:p1], inter.col[p0:p1], xi)
				}
			}
			for t := 0; t < slices; t++ {
				r := t*items + lo
				mphateAdd32(dst[r*q:(r+nb)*q], ys[t*nb*q:(t+1)*nb*q])
			}
		})
	}
	a32, b32 := make([]float32, N*q), make([]float32, N*q)
	narrow := func(dst []float32, src []float64) {
		parallelFor(N, 4096, func(lo, hi int) { mphateNarrow(dst[lo*q:hi*q], src[lo*q:hi*q]) })
	}
	widen := func(dst []float64, src []float32) {
		parallelFor(N, 4096, func(lo, hi int) { mphateWiden(dst[lo*q:hi*q], src[lo*q:hi*q], false) })
	}
	// mul sets dst = S src for float64 src and dst (the products in float32).
	mul := func(dst, src []float64, rw bool) {
		narrow(a32, src)
		prod(b32, a32, rw)
		widen(dst, b32)
	}
	Q := mphateGaussianStart(N, q, seed)
	// orth orthonormalizes the q columns of x ([N, q] row-major) in place by Cholesky QR, passes
	// times (x <- x R^-1 with RᵀR = xᵀx; twice is as accurate as Householder QR for
	// well-conditioned blocks, and keeps Q thin where mat.QR.QTo would form the full N × N Q).
	// The Gram matrix and x R^-1 run on mphateGramAdd and mphateMulUpper (AVX2/FMA tiles).
	orth := func(x []float64, passes int) error {
		const block = 8192 // rows per unit of parallel work (a few ms)
		for pass := 0; pass < passes; pass++ {
			g := mat.NewSymDense(q, mphateCrossSum(x, x, N, q))
			var trace float64
			for a := 0; a < q; a++ {
				trace += g.At(a, a)
			}
			var ch mat.Cholesky
			if !ch.Factorize(g) {
				// Rank-deficient block: regularize slightly.
				for a := 0; a < q; a++ {
					g.SetSym(a, a, g.At(a, a)+1e-10*trace/float64(q)+1e-300)
				}
				if !ch.Factorize(g) {
					return fmt.Errorf("reduce: MPHATE: landmarks: orthonormalizing the %d × %d block failed", N, q)
				}
			}
			var r mat.TriDense
			ch.UTo(&r)
			var rinv mat.TriDense
			if err := rinv.InverseTri(&r); err != nil {
				return fmt.Errorf("reduce: MPHATE: landmarks: %w", err)
			}
			u := make([]float64, q*q)
			for a := 0; a < q; a++ {
				for b := a; b < q; b++ {
					u[a*q+b] = rinv.At(a, b)
				}
			}
			parallelRanges(N, block, func(lo, hi int) {
				mphateMulUpper(x[lo*q:hi*q], u, q)
			})
		}
		return nil
	}
	// scikit-learn's n_iter="auto" (7, or 4 when n_components >= N/10) counts power iterations
	// of A Aᵀ: two products with A each. The span is what matters until the end: the Gaussian
	// start is well conditioned, and the spectrum of A lies in [-1, 1], so four products cannot
	// collapse the block; it is orthonormalized (one Cholesky QR pass) after every second
	// iteration, and with two passes after the last, for B = Qᵀ A Q.
	iters := 7
	if float64(min(100, N)) >= 0.1*float64(N) {
		iters = 4
	}
	for it := 0; it < iters; it++ {
		narrow(a32, Q) // Q <- A A Q, the intermediate in float32
		prod(b32, a32, false)
		prod(a32, b32, false)
		widen(Q, a32)
		passes := 0
		switch {
		case it == iters-1:
			passes = 2
		case it%2 == 1:
			passes = 1
		}
		if err := orth(Q, passes); err != nil {
			return nil, 0, err
		}
	}
	// B = Qᵀ A Q ([q, q], symmetric); its eigenvectors W give A's singular vectors V = Q W.
	tmp := make([]float64, N*q)
	mul(tmp, Q, false)
	B := mat.NewSymDense(q, mphateCrossSum(Q, tmp, N, q))
	var es mat.EigenSym
	if !es.Factorize(B, true) {
		return nil, 0, fmt.Errorf("reduce: MPHATE: landmarks: eigendecomposition of the %d x %d projected operator failed", q, q)
	}
	ev := es.Values(nil)
	var W mat.Dense
	es.VectorsTo(&W)
	order := make([]int, q)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return math.Abs(ev[order[a]]) > math.Abs(ev[order[b]]) })
	Wk := make([]float64, q*q) // [q, q] row-major, columns 0..k-1: W's columns by decreasing |eigenvalue|
	for c := 0; c < k; c++ {
		for a := 0; a < q; a++ {
			Wk[a*q+c] = W.At(a, order[c])
		}
	}
	// V = Q Wk ([N, q], columns 0..k-1 used), in place of Q.
	parallelRanges(N, 8192, func(lo, hi int) {
		mphateMulFull(Q[lo*q:hi*q], Wk, q)
	})
	V := Q
	narrow(a32, V)
	prod(b32, a32, true) // P V
	feat := NewMatrix(N, k)
	for i, r := range pos {
		copy(feat.Data[i*k:(i+1)*k], b32[int(r)*q:int(r)*q+k])
	}
	assignments := mphateMiniBatchKMeans(feat, L, seed)
	remap := make([]int32, L)
	for i := range remap {
		remap[i] = -1
	}
	labels := make([]int32, N)
	next := int32(0)
	for i, l := range assignments {
		if remap[l] < 0 {
			remap[l] = next
			next++
		}
		labels[i] = remap[l]
	}
	return labels, int(next), nil
}

// mphateSplit is a part of the kernel's pattern in CSR form (rows ptr[i]..ptr[i+1]) with two sets
// of entries: aff (the symmetric diffusion affinity) and rw (the diffusion operator).
type mphateSplit struct {
	ptr     []int32
	col     []int32
	aff, rw []float32
}

// alloc makes the entry slices for the row pointers.
func (s *mphateSplit) alloc() {
	nnz := s.ptr[len(s.ptr)-1]
	s.col, s.aff, s.rw = make([]int32, nnz), make([]float32, nnz), make([]float32, nnz)
}

func (s *mphateSplit) vals(rw bool) []float32 {
	if rw {
		return s.rw
	}
	return s.aff
}

// mphateStartBlock is the number of rows of the random start drawn from one PCG stream.
const mphateStartBlock = 4096

// mphateGaussianStart returns the randomized SVD's start ([N, q] row-major, standard normal
// entries): row block b (rows b·4096 ..) from its own PCG stream (seed, b), drawn in parallel, so
// the matrix depends on the seed only, not on GOMAXPROCS.
func mphateGaussianStart(N, q int, seed int64) []float64 {
	Q := make([]float64, N*q)
	parallelRanges(N, mphateStartBlock, func(lo, hi int) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x1a2d<<32|uint64(lo/mphateStartBlock)))
		for i := range Q[lo*q : hi*q] {
			Q[lo*q+i] = rng.NormFloat64()
		}
	})
	return Q
}

// mphateCrossSumBlock is the number of rows per partial sum of mphateCrossSum.
const mphateCrossSumBlock = 8192

// mphateCrossSum returns xᵀy ([q, q] row-major, entries (a, b) with b >= a set and mirrored
// below the diagonal: for x = y, or when xᵀy is symmetric) for x and y ([N, q] row-major): the
// partial sums of blocks of 8192 rows, formed in parallel, added in block order (the same result
// for any GOMAXPROCS).
func mphateCrossSum(x, y []float64, N, q int) []float64 {
	const block = mphateCrossSumBlock
	parts := make([][]float64, (N+block-1)/block)
	parallelRanges(N, block, func(lo, hi int) {
		g := make([]float64, q*q)
		mphateCrossAdd(g, x[lo*q:hi*q], y[lo*q:hi*q], q)
		parts[lo/block] = g
	})
	g := make([]float64, q*q)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			var v float64
			for _, p := range parts {
				v += p[a*q+b]
			}
			g[a*q+b], g[b*q+a] = v, v
		}
	}
	return g
}

// mphateMiniBatchKMeans clusters the rows of x ([N, d]) into L clusters as graphtools' landmark
// clustering, scikit-learn's MiniBatchKMeans(L, init_size=3L, n_init=1, batch_size=10000) with
// its other defaults: k-means++ seeds (greedy, as KMeans) from 3L rows drawn at random; steps on
// batches of min(10000, N) rows drawn with replacement, each assigning the batch to the nearest
// centres and moving every centre to the running mean of the rows assigned to it so far; centres
// whose count falls below 1% of the largest are moved to random rows of the batch (at most
// every 10 L rows, or when a count is 0); it stops when the exponentially weighted mean of the
// batch inertia (weight 2 batch/(N+1)) has not improved for 10 steps, or after 100 N/batch
// steps. Returns the nearest centre of every row ([N]). Cost O(steps · batch · L · d) instead of
// Lloyd's O(iterations · N · L · d): on 500,000 rows and 1000 centres a few seconds instead of
// minutes.
func mphateMiniBatchKMeans(x *Matrix, L int, seed int64) []int32 {
	N, d := x.Rows, x.Cols
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d626b6d))
	bs := min(10000, N)
	initSize := min(N, 3*L)
	sample := NewMatrix(initSize, d)
	for r := 0; r < initSize; r++ {
		copy(sample.Row(r), x.Row(rng.IntN(N)))
	}
	centers := kmeansPlusPlus(sample, L, rng)
	weight := make([]float64, L)
	batch := NewMatrix(bs, d)
	labels := make([]int32, bs)
	dist2 := make([]float32, bs)
	sums := make([]float64, L*d)
	picks := make([]int32, bs)
	counts := make([]int, L)
	nSteps := 100 * N / bs
	alpha := min(1, 2*float64(bs)/float64(N+1))
	var ewa, ewaMin float64
	noImprovement, sinceReassign := 0, 0
	for step := 0; step < nSteps; step++ {
		for r := range picks {
			picks[r] = int32(rng.IntN(N))
		}
		parallelFor(bs, 2048, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				copy(batch.Row(r), x.Row(int(picks[r])))
				labels[r] = -1
			}
		})
		assign(batch, rowSqNorms(batch.Data, bs, d), centers, L, labels, dist2)
		var inertia float64
		for _, v := range dist2 {
			inertia += float64(v)
		}
		inertia /= float64(bs)
		// Every centre's sum over its rows in row order, then its move: centres in blocks in
		// parallel, each block scanning the labels for its own.
		parallelRanges(L, 128, func(lo, hi int) {
			clear(sums[lo*d : hi*d])
			clear(counts[lo:hi])
			for r, l := range labels {
				c := int(l)
				if c < lo || c >= hi {
					continue
				}
				counts[c]++
				s := sums[c*d : (c+1)*d]
				for j, v := range batch.Row(r) {
					s[j] += float64(v)
				}
			}
			for c := lo; c < hi; c++ {
				if counts[c] > 0 {
					w := weight[c] + float64(counts[c])
					for j := 0; j < d; j++ {
						centers[c*d+j] = float32((float64(centers[c*d+j])*weight[c] + sums[c*d+j]) / w)
					}
					weight[c] = w
				}
			}
		})
		zero := false
		for c := 0; c < L; c++ {
			zero = zero || weight[c] == 0
		}
		// Random reassignment of nearly empty centres (reassignment_ratio 0.01).
		sinceReassign += bs
		if zero || sinceReassign >= 10*L {
			wmax := slices.Max(weight)
			var low []int
			for c, w := range weight {
				if w < 0.01*wmax {
					low = append(low, c)
				}
			}
			if len(low) > bs/2 { // keep the bs/2 lightest
				slices.SortStableFunc(low, func(a, b int) int { return cmp.Compare(weight[a], weight[b]) })
				low = low[:bs/2]
			}
			if len(low) > 0 {
				isLow := make([]bool, L)
				for _, c := range low {
					isLow[c] = true
				}
				wmin := math.Inf(1)
				for c, w := range weight {
					if !isLow[c] {
						wmin = min(wmin, w)
					}
				}
				for k, r := range rng.Perm(bs)[:len(low)] {
					c := low[k]
					copy(centers[c*d:(c+1)*d], batch.Row(r))
					weight[c] = wmin
				}
			}
			sinceReassign = 0
		}
		// Early stopping on the smoothed batch inertia (max_no_improvement 10).
		if step == 0 {
			continue
		}
		if step == 1 {
			ewa = inertia
		} else {
			ewa = ewa*(1-alpha) + inertia*alpha
		}
		if step == 1 || ewa < ewaMin {
			noImprovement, ewaMin = 0, ewa
		} else if noImprovement++; noImprovement >= 10 {
			break
		}
	}
	out := make([]int32, N)
	for i := range out {
		out[i] = -1
	}
	assign(x, rowSqNorms(x.Data, N, d), centers, L, out, make([]float32, N))
	return out
}

// mphateLandmarkOperator returns graphtools' landmark operator P_mn P_nm ([L, L], row-stochastic)
// with C[c, j] = sum_{i in c} K[i, j], P_mn = C row-normalized (Dm^-1 C, Dm = C 1) and
// P_nm = Cᵀ row-normalized (D^-1 Cᵀ, [N, L], also returned as the transitions from vertices to
// landmarks).
func mphateLandmarkOperator(K *Graph, deg []float64, labels []int32, L int) (*mat.Dense, *Graph) {
	N := K.N
	// Column view: for vertex j, the clusters c with C[c, j] > 0. Since K is symmetric,
	// C[c, j] = sum_{i in c} K[j, i]: accumulate over row j.
	// Per vertex j, C[c, j] for its clusters c (ascending), vertices in parallel.
	type entry struct {
		c int32
		v float64
	}
	cols := make([][]entry, N)
	parallelRanges(N, 4096, func(lo, hi int) {
		acc := make([]float64, L)
		mark := make([]int32, L)
		for i := range mark {
			mark[i] = -1
		}
		var touched []int32
		for j := lo; j < hi; j++ {
			touched = touched[:0]
			for p := K.RowPtr[j]; p < K.RowPtr[j+1]; p++ {
				c := labels[K.Col[p]]
				if mark[c] != int32(j) {
					mark[c] = int32(j)
					acc[c] = 0
					touched = append(touched, c)
				}
				acc[c] += float64(K.Val[p])
			}
			slices.Sort(touched)
			e := make([]entry, len(touched))
			for k, c := range touched {
				e[k] = entry{c, acc[c]}
			}
			cols[j] = e
		}
	})
	trans := &Graph{N: N, RowPtr: make([]int32, N+1)}
	dm := make([]float64, L)
	for j, e := range cols {
		trans.RowPtr[j+1] = trans.RowPtr[j] + int32(len(e))
		for _, x := range e {
			dm[x.c] += x.v
		}
	}
	trans.Col, trans.Val = make([]int32, trans.RowPtr[N]), make([]float32, trans.RowPtr[N])
	cv := make([]float64, trans.RowPtr[N]) // C[c, j] for trans's entries
	parallelRanges(N, 4096, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			p := int(trans.RowPtr[j])
			for k, x := range cols[j] {
				trans.Col[p+k], trans.Val[p+k], cv[p+k] = x.c, float32(x.v/deg[j]), x.v
			}
		}
	})
	// S[a, b] = sum_j C[a, j] C[b, j] / deg[j] (symmetric): the entries b >= a, j in increasing
	// order, then mirrored. Blocks of 128 rows of S (1 MB, in L2) in parallel, each streaming
	// C's columns (trans's rows) once and updating its rows only; reading C column by column
	// once per block instead of once per cluster it touches (the 15M entries of C on the real
	// 50 × 10,000 run would be read 20 times over).
	S := make([]float64, L*L)
	parallelRanges(L, 128, func(lo, hi int) {
		for j := 0; j < N; j++ {
			if j%65536 == 65535 {
				runtime.Gosched() // a scheduling point every few ms (async preemption is costly)
			}
			p0, p1 := trans.RowPtr[j], trans.RowPtr[j+1]
			c, v := trans.Col[p0:p1], cv[p0:p1]
			for k, a := range c {
				if int(a) < lo {
					continue
				}
				if int(a) >= hi {
					break
				}
				w := v[k] / deg[j]
				row := S[int(a)*L : int(a+1)*L]
				for l := k; l < len(c); l++ {
					row[c[l]] += w * v[l]
				}
			}
		}
	})
	for a := 0; a < L; a++ {
		for b := a + 1; b < L; b++ {
			S[b*L+a] = S[a*L+b]
		}
	}
	P := mat.NewDense(L, L, nil)
	for a := 0; a < L; a++ {
		for b := 0; b < L; b++ {
			P.Set(a, b, S[a*L+b]/dm[a])
		}
	}
	return P, trans
}
