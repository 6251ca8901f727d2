package reduce

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
)

// UMAP defaults (umap-learn 0.5.3's).
const (
	UMAPDefaultNeighbors          = 15
	UMAPDefaultMinDist            = 0.1
	UMAPDefaultSpread             = 1.0
	UMAPDefaultNegativeSampleRate = 5
	UMAPDefaultLearningRate       = 1.0
	// UMAPNNDescentThreshold: with UMAPOptions.KNNMethod "" (auto), data with more rows than this use
	// NN-descent for the kNN graph; smaller data use the exact KNN. Measured on Fashion-MNIST (PCA 50,
	// k = 14, 2 cores): n = 5000 exact 0.30 s vs NN-descent 0.49 s; n = 10000 exact 1.06 s vs
	// NN-descent 0.78 s (recall 0.996).
	UMAPNNDescentThreshold = 8192
)

// Float returns a pointer to v, for the optional numeric fields (UMAPOptions.MinDist,
// MPHATEOptions.Gamma) whose zero value must stay expressible: MinDist: reduce.Float(0).
func Float(v float64) *float64 { return &v }

// UMAPOptions are the parameters of UMAP (McInnes, Healy & Melville 2018), named as in umap-learn.
// The zero value (or a nil *UMAPOptions) gives umap-learn's defaults.
type UMAPOptions struct {
	// NNeighbors is umap-learn's n_neighbors: the size of the local neighbourhood, counting the
	// point itself, so each point gets NNeighbors-1 nearest other points. 0 means 15. The data
	// must have more than NNeighbors rows.
	NNeighbors int
	// MinDist is the minimum distance apart that points are packed in the embedding. nil means 0.1;
	// use reduce.Float(0) for exactly 0. Must be in [0, Spread].
	MinDist *float64
	// Spread is the effective scale of embedded points (with MinDist it fixes a, b). 0 means 1.
	Spread float64
	// Metric of the input space: Euclidean ("" is Euclidean) or Cosine.
	Metric Metric
	// NComponents is the embedding dimension. 0 means 2.
	NComponents int
	// NEpochs is the number of SGD epochs. 0 means 500 for n <= 10000, else 200 (umap-learn's).
	NEpochs int
	// Init is "spectral" (default, ""), "pca" or "random". InitEmbedding, when set, overrides it.
	Init string
	// InitEmbedding, if not nil, is the [n, NComponents] starting layout (used for warm starts).
	InitEmbedding *Matrix
	// Seed drives every random choice (noise on the init, negative sampling, NN-descent). Runs
	// with the same inputs, options and Seed give the same layout bit for bit, whatever Threads is
	// (the SGD splits each epoch's edges into a fixed number of chunks and adds their updates in
	// order; see UMAP). Not covered: other builds or CPUs (another GOARCH, or an amd64 without the
	// AVX2 kernels, round differently), and other versions of embviz.
	Seed int64
	// NegativeSampleRate is the number of negative samples per positive sample. 0 means 5.
	NegativeSampleRate int
	// LearningRate is the initial SGD step, decayed linearly to 0. 0 means 1.
	LearningRate float64
	// RepulsionStrength is gamma, the weight of negative samples. 0 means 1.
	RepulsionStrength float64
	// KNN, if not nil, is a precomputed neighbour graph ([n, K], self excluded, nearest first) under
	// Metric; its K must be at least NNeighbors-1 (extra columns are ignored).
	KNN *Neighbors
	// KNNMethod is "exact", "nndescent" or "" (auto: exact up to UMAPNNDescentThreshold rows,
	// NN-descent above).
	KNNMethod string
	// Threads is the number of goroutines for NN-descent and SGD. 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Progress, if not nil, is called with the stages "umap knn", "umap graph", "umap init" and
	// "umap epochs" (done/total epochs).
	Progress Progress
}

// umapParams are resolved UMAPOptions.
type umapParams struct {
	nNeighbors, nComponents, nEpochs, negRate, threads int
	minDist, spread, lr, gamma                         float64
	a, b                                               float64
	metric                                             Metric
	init                                               string
	knnMethod                                          string
}

// resolve validates o (nil means defaults) for n points and fills in defaults.
func (o *UMAPOptions) resolve(n int) (*umapParams, error) {
	if o == nil {
		o = &UMAPOptions{}
	}
	p := &umapParams{
		nNeighbors: o.NNeighbors, nComponents: o.NComponents, nEpochs: o.NEpochs,
		negRate: o.NegativeSampleRate, threads: o.Threads, spread: o.Spread, lr: o.LearningRate,
		gamma: o.RepulsionStrength, init: o.Init, knnMethod: o.KNNMethod,
	}
	if p.nNeighbors == 0 {
		p.nNeighbors = UMAPDefaultNeighbors
	}
	if p.nNeighbors < 2 {
		return nil, fmt.Errorf("reduce: UMAP: n_neighbors = %d, must be at least 2", p.nNeighbors)
	}
	if n <= p.nNeighbors {
		return nil, fmt.Errorf("reduce: UMAP: %d points are too few for n_neighbors = %d: need at least n_neighbors+1 = %d", n, p.nNeighbors, p.nNeighbors+1)
	}
	if p.nComponents == 0 {
		p.nComponents = 2
	}
	if p.nComponents < 1 {
		return nil, fmt.Errorf("reduce: UMAP: n_components = %d, must be at least 1", p.nComponents)
	}
	if p.nComponents >= n {
		return nil, fmt.Errorf("reduce: UMAP: n_components = %d must be less than the number of points %d", p.nComponents, n)
	}
	if p.spread == 0 {
		p.spread = UMAPDefaultSpread
	}
	p.minDist = UMAPDefaultMinDist
	if o.MinDist != nil {
		p.minDist = *o.MinDist
	}
	if bad(p.spread) || p.spread <= 0 {
		return nil, fmt.Errorf("reduce: UMAP: spread = %v, must be positive and finite", p.spread)
	}
	if bad(p.minDist) || p.minDist < 0 {
		return nil, fmt.Errorf("reduce: UMAP: min_dist = %v cannot be negative or non-finite", p.minDist)
	}
	if p.minDist > p.spread {
		return nil, fmt.Errorf("reduce: UMAP: min_dist must be less than or equal to spread (min_dist = %v, spread = %v)", p.minDist, p.spread)
	}
	if p.nEpochs == 0 {
		p.nEpochs = 500
		if n > 10000 {
			p.nEpochs = 200
		}
	}
	if p.nEpochs < 0 {
		return nil, fmt.Errorf("reduce: UMAP: n_epochs = %d cannot be negative", p.nEpochs)
	}
	if p.negRate == 0 {
		p.negRate = UMAPDefaultNegativeSampleRate
	}
	if p.negRate < 0 {
		return nil, fmt.Errorf("reduce: UMAP: negative_sample_rate = %d cannot be negative", p.negRate)
	}
	if p.lr == 0 {
		p.lr = UMAPDefaultLearningRate
	}
	if bad(p.lr) || p.lr < 0 {
		return nil, fmt.Errorf("reduce: UMAP: learning_rate = %v must be positive and finite", p.lr)
	}
	if p.gamma == 0 {
		p.gamma = 1
	}
	if bad(p.gamma) || p.gamma < 0 {
		return nil, fmt.Errorf("reduce: UMAP: repulsion_strength = %v must be positive and finite", p.gamma)
	}
	if p.threads <= 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	if umapRaceEnabled {
		p.threads = 1 // Faster under the race detector; the result is the same on any thread count.
	}
	switch p.init {
	case "":
		p.init = "spectral"
	case "spectral", "pca", "random":
	default:
		return nil, fmt.Errorf("reduce: UMAP: unknown init %q (want \"spectral\", \"pca\" or \"random\", or set InitEmbedding)", p.init)
	}
	if o.InitEmbedding != nil {
		if err := o.InitEmbedding.Validate(); err != nil {
			return nil, fmt.Errorf("reduce: UMAP: InitEmbedding: %w", err)
		}
		if o.InitEmbedding.Rows != n || o.InitEmbedding.Cols != p.nComponents {
			return nil, fmt.Errorf("reduce: UMAP: InitEmbedding is [%d, %d], want [%d, %d] (n points, n_components)", o.InitEmbedding.Rows, o.InitEmbedding.Cols, n, p.nComponents)
		}
		p.init = "given"
	}
	switch p.knnMethod {
	case "", "exact", "nndescent":
	default:
		return nil, fmt.Errorf("reduce: UMAP: unknown KNNMethod %q (want \"exact\", \"nndescent\" or \"\")", p.knnMethod)
	}
	m, err := o.Metric.resolve()
	if err != nil {
		return nil, err
	}
	p.metric = m
	p.a, p.b = FitAB(p.spread, p.minDist)
	return p, nil
}

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// UMAP embeds the rows of x ([n, d], n > NNeighbors) into [n, NComponents] (default 2) with UMAP:
//
//  1. kNN graph: K = NNeighbors-1 nearest other rows (opts.KNN if given; exact KNN, or NN-descent
//     for large n),
//  2. FuzzySimplicialSet: memberships w_ij = exp(-(d_ij - rho_i)/sigma_i), fuzzy union
//     W = P + Pᵀ - P∘Pᵀ,
//  3. init (spectral: the normalized Laplacian's smallest non-trivial eigenvectors; pca; random),
//  4. OptimizeLayout: SGD on the fuzzy cross-entropy with low-dimensional similarity
//     q(y_i, y_j) = 1 / (1 + a ||y_i - y_j||^(2b)), edges sampled in proportion to w_ij,
//     NegativeSampleRate uniform negative samples per positive.
//
// The SGD runs on opts.Threads goroutines (default GOMAXPROCS). Each epoch's edges are split into a
// fixed number of chunks (16, when there are at least 4096 edges); each chunk runs umap-learn's
// sequential updates (in 2-D, an edge's attraction and negative samples evaluated together at the
// point's position, 8 lanes wide with AVX2) on its own copy of the layout as of the epoch start, and the chunks'
// displacements are added in chunk order. So a run is reproducible bit for bit for a given Seed,
// on any number of threads (see UMAPOptions.Seed for what is not covered). Progress reports the
// stages.
//
// Errors ("reduce: UMAP: ...") for invalid x (NaN/Inf, empty), n <= NNeighbors, min_dist > spread,
// and other bad options.
func UMAP(x *Matrix, opts *UMAPOptions) (*Matrix, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: UMAP: %w", err)
	}
	if opts == nil {
		opts = &UMAPOptions{}
	}
	p, err := opts.resolve(x.Rows)
	if err != nil {
		return nil, err
	}
	knn, err := umapNeighbors(x, opts, p)
	if err != nil {
		return nil, err
	}
	reportProgress(opts.Progress, 0, 1, "umap graph")
	g, err := FuzzySimplicialSet(knn)
	if err != nil {
		return nil, err
	}
	reportProgress(opts.Progress, 1, 1, "umap graph")
	return simplicialSetEmbedding(x, g, opts, p)
}

// umapNeighbors returns the NNeighbors-1 nearest other points of each row of x, from opts.KNN,
// the exact KNN or NN-descent.
func umapNeighbors(x *Matrix, opts *UMAPOptions, p *umapParams) (*Neighbors, error) {
	k := p.nNeighbors - 1
	if opts.KNN != nil {
		nb := opts.KNN
		if nb.N != x.Rows {
			return nil, fmt.Errorf("reduce: UMAP: precomputed KNN has %d points, the data has %d", nb.N, x.Rows)
		}
		if nb.K < k {
			return nil, fmt.Errorf("reduce: UMAP: precomputed KNN has K = %d neighbours, n_neighbors = %d needs at least %d", nb.K, p.nNeighbors, k)
		}
		if len(nb.Index) != nb.N*nb.K || len(nb.Dist) != nb.N*nb.K {
			return nil, fmt.Errorf("reduce: UMAP: precomputed KNN has %d indices and %d distances, want N*K = %d", len(nb.Index), len(nb.Dist), nb.N*nb.K)
		}
		return truncateNeighbors(nb, k), nil
	}
	reportProgress(opts.Progress, 0, 1, "umap knn")
	var nb *Neighbors
	var err error
	if !umapUsesNNDescent(x.Rows, p) {
		nb, err = KNN(x, k, p.metric)
	} else {
		nb, err = NNDescent(x, k, &NNDescentOptions{Metric: p.metric, Seed: opts.Seed, Threads: p.threads})
	}
	if err != nil {
		return nil, fmt.Errorf("reduce: UMAP: %w", err)
	}
	reportProgress(opts.Progress, 1, 1, "umap knn")
	return nb, nil
}

// umapUsesNNDescent reports whether UMAP searches the neighbours of n points with NN-descent
// (KNNMethod "nndescent", or "" with more than UMAPNNDescentThreshold points) rather than exactly.
func umapUsesNNDescent(n int, p *umapParams) bool {
	return p.knnMethod == "nndescent" || (p.knnMethod == "" && n > UMAPNNDescentThreshold)
}

// truncateNeighbors returns nb with only its first k columns (nb itself if K == k).
func truncateNeighbors(nb *Neighbors, k int) *Neighbors {
	if nb.K == k {
		return nb
	}
	out := &Neighbors{N: nb.N, K: k, Index: make([]int32, nb.N*k), Dist: make([]float32, nb.N*k)}
	for i := 0; i < nb.N; i++ {
		copy(out.Index[i*k:(i+1)*k], nb.Index[i*nb.K:i*nb.K+k])
		copy(out.Dist[i*k:(i+1)*k], nb.Dist[i*nb.K:i*nb.K+k])
	}
	return out
}

// Graph is a sparse weighted graph over N vertices in CSR form: the edges of vertex i are
// Col[RowPtr[i]:RowPtr[i+1]] (sorted ascending) with weights Val[...] in (0, 1].
// FuzzySimplicialSet returns a symmetric one (W = Wᵀ).
type Graph struct {
	N      int
	RowPtr []int32   // [N+1]
	Col    []int32   // [nnz]
	Val    []float32 // [nnz]
}

// NNZ returns the number of stored (directed) edges.
func (g *Graph) NNZ() int { return len(g.Col) }

// FuzzySimplicialSet builds UMAP's fuzzy topological representation from a kNN graph (umap-learn's
// fuzzy_simplicial_set with local_connectivity 1 and set_op_mix_ratio 1). knn holds, for each of N
// points, its K nearest other points (umap-learn's n_neighbors = K+1, counting the point itself).
//
// For each point i: rho_i = distance to its nearest neighbour at non-zero distance, and sigma_i
// solves sum_j exp(-max(0, d_ij - rho_i)/sigma_i) = log2(K+1) by bisection (64 steps, tolerance
// 1e-5), floored at 1e-3 times the mean neighbour distance. Directed memberships
// p_{j|i} = exp(-max(0, d_ij - rho_i)/sigma_i) are symmetrized by the fuzzy union
// W = P + Pᵀ - P∘Pᵀ. Returns a symmetric CSR graph without self loops.
func FuzzySimplicialSet(knn *Neighbors) (*Graph, error) {
	if knn == nil || knn.N < 2 || knn.K < 1 {
		return nil, fmt.Errorf("reduce: FuzzySimplicialSet: need a kNN graph with N >= 2 and K >= 1")
	}
	n, k := knn.N, knn.K
	if len(knn.Index) != n*k || len(knn.Dist) != n*k {
		return nil, fmt.Errorf("reduce: FuzzySimplicialSet: kNN graph [%d, %d] has %d indices and %d distances", n, k, len(knn.Index), len(knn.Dist))
	}
	var total float64
	for idx, d := range knn.Dist {
		if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) || d < 0 {
			return nil, fmt.Errorf("reduce: FuzzySimplicialSet: bad distance %v at point %d, neighbour %d", d, idx/k, idx%k)
		}
		if j := knn.Index[idx]; j < 0 || int(j) >= n {
			return nil, fmt.Errorf("reduce: FuzzySimplicialSet: neighbour index %d out of range [0, %d) at point %d", j, n, idx/k)
		}
		total += float64(d)
	}
	meanAll := total / float64(n*(k+1)) // umap-learn's distances include the point itself (0)
	target := math.Log2(float64(k + 1))
	const minKDistScale = 1e-3
	// Directed memberships, as rows of triples.
	type ent struct {
		j int32
		w float32
	}
	rows := make([][]ent, n)
	buf := make([]ent, n*k)
	// Rows are independent: computed in parallel, each into its own part of buf.
	parallelChunks(n, runtime.GOMAXPROCS(0), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			// math.Exp below is legacy SSE code: dirty upper vector halves (left by an asynchronous
			// preemption, see clearUpper) would make it 100x slower.
			clearUpper()
			idx, dist := knn.Index[i*k:(i+1)*k], knn.Dist[i*k:(i+1)*k]
			rho := 0.0
			var sum float64
			for _, d := range dist {
				sum += float64(d)
				if rho == 0 && d > 0 {
					rho = float64(d)
				}
			}
			lo, hi, mid := 0.0, math.Inf(1), 1.0
			for it := 0; it < 64; it++ {
				psum := 0.0
				for _, d := range dist {
					if dd := float64(d) - rho; dd > 0 {
						psum += math.Exp(-dd / mid)
					} else {
						psum++
					}
				}
				if math.Abs(psum-target) < 1e-5 {
					break
				}
				if psum > target {
					hi = mid
					mid = (lo + hi) / 2
				} else {
					lo = mid
					if math.IsInf(hi, 1) {
						mid *= 2
					} else {
						mid = (lo + hi) / 2
					}
				}
			}
			sigma := mid
			if rho > 0 {
				sigma = math.Max(sigma, minKDistScale*sum/float64(k+1))
			} else {
				sigma = math.Max(sigma, minKDistScale*meanAll)
			}
			r := buf[i*k : i*k : (i+1)*k]
			for jj, j := range idx {
				if int(j) == i {
					continue
				}
				w := 1.0
				if dd := float64(dist[jj]) - rho; dd > 0 && sigma > 0 {
					w = math.Exp(-dd / sigma)
				}
				r = append(r, ent{j, float32(w)})
			}
			slices.SortFunc(r, func(a, b ent) int { return cmp.Compare(a.j, b.j) })
			// Drop duplicate neighbours (possible in approximate graphs), keeping the larger weight.
			out := r[:0]
			for _, e := range r {
				if len(out) > 0 && out[len(out)-1].j == e.j {
					if e.w > out[len(out)-1].w {
						out[len(out)-1].w = e.w
					}
					continue
				}
				out = append(out, e)
			}
			rows[i] = out
		}
	})
	// Transpose: Pᵀ rows.
	cnt := make([]int32, n+1)
	for i := 0; i < n; i++ {
		for _, e := range rows[i] {
			cnt[e.j+1]++
		}
	}
	for i := 0; i < n; i++ {
		cnt[i+1] += cnt[i]
	}
	tCol := make([]int32, cnt[n])
	tVal := make([]float32, cnt[n])
	pos := append([]int32(nil), cnt[:n]...)
	for i := 0; i < n; i++ { // i ascending, so each transposed row is sorted
		for _, e := range rows[i] {
			tCol[pos[e.j]] = int32(i)
			tVal[pos[e.j]] = e.w
			pos[e.j]++
		}
	}
	// Merge rows: w = p + q - p q.
	g := &Graph{N: n, RowPtr: make([]int32, n+1)}
	g.Col = make([]int32, 0, 2*n*k)
	g.Val = make([]float32, 0, 2*n*k)
	for i := 0; i < n; i++ {
		a := rows[i]
		bc, bv := tCol[cnt[i]:cnt[i+1]], tVal[cnt[i]:cnt[i+1]]
		x, y := 0, 0
		for x < len(a) || y < len(bc) {
			switch {
			case y >= len(bc) || (x < len(a) && a[x].j < bc[y]):
				g.Col = append(g.Col, a[x].j)
				g.Val = append(g.Val, a[x].w)
				x++
			case x >= len(a) || bc[y] < a[x].j:
				g.Col = append(g.Col, bc[y])
				g.Val = append(g.Val, bv[y])
				y++
			default:
				p, q := float64(a[x].w), float64(bv[y])
				g.Col = append(g.Col, a[x].j)
				g.Val = append(g.Val, float32(p+q-p*q))
				x++
				y++
			}
		}
		g.RowPtr[i+1] = int32(len(g.Col))
	}
	return g, nil
}

// FitAB returns umap-learn's (a, b) for spread and minDist: the least-squares fit of
// f(x) = 1 / (1 + a x^(2b)) to g(x) = 1 for x < minDist, exp(-(x - minDist)/spread) otherwise, on
// 300 points x in [0, 3 spread] (scipy's curve_fit, Levenberg-Marquardt from a = b = 1).
// For spread 1: minDist 0.1 gives a ≈ 1.577, b ≈ 0.895; minDist 0.001 gives a ≈ 1.929, b ≈ 0.7915.
func FitAB(spread, minDist float64) (a, b float64) {
	const m = 300
	xs := make([]float64, m)
	ys := make([]float64, m)
	for i := range xs {
		xs[i] = 3 * spread * float64(i) / float64(m-1)
		if xs[i] < minDist {
			ys[i] = 1
		} else {
			ys[i] = math.Exp(-(xs[i] - minDist) / spread)
		}
	}
	// Residuals r_i = f(x_i; a, b) - y_i. Parameterize as is; Levenberg-Marquardt.
	sse := func(a, b float64) float64 {
		s := 0.0
		for i, x := range xs {
			f := 1 / (1 + a*math.Pow(x, 2*b))
			s += (f - ys[i]) * (f - ys[i])
		}
		return s
	}
	a, b = 1, 1
	lambda := 1e-3
	cur := sse(a, b)
	for it := 0; it < 500; it++ {
		var jtj [2][2]float64
		var jtr [2]float64
		for i, x := range xs {
			if x == 0 {
				r := 1 - ys[i]
				_ = r // f(0) = 1 independently of a, b: zero gradient
				continue
			}
			xp := math.Pow(x, 2*b)
			den := 1 + a*xp
			f := 1 / den
			r := f - ys[i]
			da := -xp / (den * den)
			db := -a * xp * 2 * math.Log(x) / (den * den)
			jtj[0][0] += da * da
			jtj[0][1] += da * db
			jtj[1][1] += db * db
			jtr[0] += da * r
			jtr[1] += db * r
		}
		jtj[1][0] = jtj[0][1]
		improved := false
		for try := 0; try < 30; try++ {
			m00 := jtj[0][0] * (1 + lambda)
			m11 := jtj[1][1] * (1 + lambda)
			m01 := jtj[0][1]
			det := m00*m11 - m01*m01
			if det == 0 || bad(det) {
				lambda *= 10
				continue
			}
			sa := -(m11*jtr[0] - m01*jtr[1]) / det
			sb := -(-m01*jtr[0] + m00*jtr[1]) / det
			na, nb := a+sa, b+sb
			if na > 0 && nb > 0 {
				if s := sse(na, nb); s < cur {
					rel := (cur - s) / math.Max(cur, 1e-300)
					a, b, cur = na, nb, s
					lambda = math.Max(lambda/10, 1e-12)
					improved = true
					if rel < 1e-12 && math.Abs(sa) < 1e-10 && math.Abs(sb) < 1e-10 {
						return a, b
					}
					break
				}
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	return a, b
}
