package reduce

import (
	"fmt"
	"log"
	"math"
	"math/rand/v2"
)

// t-SNE (van der Maaten & Hinton 2008) in stages, as openTSNE does it:
//
//	aff, _ := reduce.TSNEAffinities(x, opts)      // kNN + perplexity calibration + symmetrization, once
//	emb, _ := reduce.NewTSNEEmbedding(aff, opts)   // initial layout (PCA, random or given), rescaled
//	emb.Optimize(250, 12, 0.5)                     // early exaggeration phase
//	emb.Optimize(500, 1, 0.8)                      // continues from where it stopped
//	y := emb.Embedding()                           // [n, 2]
//
// TSNE runs these stages with the defaults; TSNEFrames chains them over a snapshot sequence.

// TSNEMethod selects how the gradient is computed.
type TSNEMethod string

const (
	// TSNEAuto picks TSNEExact for n <= 500 points and TSNEBarnesHut above.
	TSNEAuto TSNEMethod = "auto"
	// TSNEExact uses dense affinities over all n-1 other points and the exact O(n^2) gradient.
	TSNEExact TSNEMethod = "exact"
	// TSNEBarnesHut uses sparse affinities over the 3*perplexity nearest neighbours and the
	// Barnes-Hut quadtree approximation of the repulsive forces, O(n log n) per iteration. For
	// Theta <= 0.7 the points of each small quadtree cell (<= 24 points) share one interaction
	// list (Barnes 1990 grouping, with an acceptance test that is at least as strict as the
	// per-point one), evaluated 4 entries at a time with AVX2/FMA in GOEXPERIMENT=simd builds;
	// the attractive forces visit each pair i < j of P once.
	TSNEBarnesHut TSNEMethod = "barnes-hut"
)

// tsneExactMaxN is the largest n for which TSNEAuto picks the exact method.
const tsneExactMaxN = 500

// TSNEOptions configures t-SNE. The zero value (or a nil pointer) means every default.
type TSNEOptions struct {
	// Perplexity is the effective number of neighbours each point's Gaussian covers:
	// 2^H(P_i) = Perplexity. Zero means DefaultPerplexity (30). It needs n-1 >= 3*Perplexity
	// points; a higher one is lowered to max(2, (n-1)/3) with a warning (see CheckPerplexity).
	Perplexity float64
	// EarlyExaggeration multiplies P during the first EarlyIters iterations. Zero means 12.
	EarlyExaggeration float64
	// EarlyIters is the length of the early exaggeration phase (momentum 0.5). Zero means 250;
	// negative means no early exaggeration phase.
	EarlyIters int
	// Iters is the total number of iterations, early phase included (the rest run with
	// exaggeration 1 and momentum 0.8). Zero means 750 (openTSNE's 250 + 500).
	Iters int
	// LearningRate is the gradient descent step. Zero means "auto": max(n / exaggeration / 4, 50)
	// for each phase with that phase's exaggeration (the gradient here carries the factor 4 of
	// dC/dy, as in scikit-learn; this equals openTSNE's n / exaggeration).
	LearningRate float64
	// Init is the initial layout: "pca" (default: the first two principal components) or "random"
	// (isotropic Gaussian). Either is rescaled so that its first column has std 1e-4.
	Init string
	// InitLayout, if not nil, is the initial [n, 2] layout, used instead of Init. It is centered
	// and, unless KeepInitScale, rescaled to std 1e-4 like the other initializations.
	InitLayout *Matrix
	// KeepInitScale keeps InitLayout's scale (only centering it): for continuing from a layout
	// that is already an optimized t-SNE embedding.
	KeepInitScale bool
	// Seed seeds the random initialization. Zero is a valid seed.
	Seed uint64
	// Method is "auto" (default, also ""), "exact" or "barnes-hut".
	Method TSNEMethod
	// Theta is the Barnes-Hut opening angle: a quadtree cell of width w at distance r from a point
	// is summarized by its center of mass when w/r < Theta. Zero means 0.5.
	Theta float64
	// Metric is the input distance: Euclidean (default; affinities use squared distances) or
	// Cosine (affinities use the cosine distance itself, as scikit-learn does).
	Metric Metric
	// Progress, if not nil, is called with the iterations done out of the total (stage "tsne"),
	// and with the stages "tsne knn" and "tsne affinities".
	Progress Progress
	// Callback, if not nil, is called every CallbackEvery iterations (and after the last one)
	// with the iteration number (counted over the embedding's lifetime), the KL divergence
	// KL(P || Q) of the un-exaggerated P, and the current [n, 2] layout (a copy). Returning true
	// stops the optimization (Optimize then returns ErrTSNEStopped).
	Callback func(iter int, kl float64, y *Matrix) (stop bool)
	// CallbackEvery is the callback period in iterations. Zero means 50.
	CallbackEvery int
	// Warn, if not nil, is called once per TSNE, TSNEAffinities or TSNEFrames call with a
	// warning, e.g. that the perplexity was lowered for too few points; nil prints it with
	// log.Printf. It does not affect the results.
	Warn func(msg string)
}

// DefaultPerplexity is the t-SNE perplexity used when TSNEOptions.Perplexity is 0.
const DefaultPerplexity = 30.0

// CheckPerplexity returns the perplexity that t-SNE uses for n points (openTSNE's
// check_perplexity): perplexity itself (0 means DefaultPerplexity) when 3*perplexity <= n-1
// (the affinities use the 3*perplexity nearest neighbours), else max(2, (n-1)/3), never more than
// perplexity; lowered reports that the result is below it. A negative, NaN or infinite
// perplexity is returned unchanged (TSNE rejects it). For example CheckPerplexity(0, 50) is
// (16.33, true) and CheckPerplexity(10, 50) is (10, false).
func CheckPerplexity(perplexity float64, n int) (effective float64, lowered bool) {
	if perplexity == 0 {
		perplexity = DefaultPerplexity
	}
	if !(perplexity > 0) || math.IsInf(perplexity, 0) || 3*perplexity <= float64(n-1) {
		return perplexity, false
	}
	e := min(perplexity, max(2, float64(n-1)/3))
	return e, e < perplexity
}

// lowerPerplexity applies CheckPerplexity to perplexity for n points, warning (once, with warn or
// log.Printf) when it lowers it.
func lowerPerplexity(perplexity float64, n int, warn func(string)) float64 {
	if perplexity == 0 {
		perplexity = DefaultPerplexity
	}
	e, lowered := CheckPerplexity(perplexity, n)
	if lowered {
		msg := fmt.Sprintf("reduce: perplexity %g is too high for %d points (needs n-1 >= 3*perplexity); using %.4g", perplexity, n, e)
		if warn != nil {
			warn(msg)
		} else {
			log.Print(msg)
		}
	}
	return e
}

// ErrTSNEStopped is returned by Optimize (and TSNE, TSNEFrames) when a Callback asked to stop.
var ErrTSNEStopped = fmt.Errorf("reduce: t-SNE stopped by callback")

// positiveOr returns v, or def when v is 0, and whether that value is positive and finite.
func positiveOr(v, def float64) (float64, bool) {
	if v == 0 {
		v = def
	}
	return v, v > 0 && !math.IsInf(v, 0)
}

// tsneResolved is TSNEOptions with the defaults applied.
type tsneResolved struct {
	perplexity, exaggeration, lr, theta float64
	earlyIters, iters                   int
	method                              TSNEMethod
	metric                              Metric
	cbEvery                             int
}

func resolveTSNE(opts *TSNEOptions, n int) (TSNEOptions, tsneResolved, error) {
	var o TSNEOptions
	if opts != nil {
		o = *opts
	}
	var r tsneResolved
	var ok bool
	if r.perplexity, ok = positiveOr(o.Perplexity, DefaultPerplexity); !ok {
		return o, r, fmt.Errorf("reduce: t-SNE perplexity %v must be positive and finite", o.Perplexity)
	}
	if r.exaggeration, ok = positiveOr(o.EarlyExaggeration, 12); !ok {
		return o, r, fmt.Errorf("reduce: t-SNE early exaggeration %v must be positive and finite", o.EarlyExaggeration)
	}
	r.iters = o.Iters
	if r.iters == 0 {
		r.iters = 750
	}
	if r.iters < 0 {
		return o, r, fmt.Errorf("reduce: t-SNE iterations %d must not be negative", o.Iters)
	}
	r.earlyIters = o.EarlyIters
	if r.earlyIters == 0 {
		r.earlyIters = 250
	}
	if r.earlyIters < 0 {
		r.earlyIters = 0
	}
	if r.earlyIters > r.iters {
		r.earlyIters = r.iters
	}
	r.lr = o.LearningRate
	if r.lr < 0 || math.IsNaN(r.lr) || math.IsInf(r.lr, 0) {
		return o, r, fmt.Errorf("reduce: t-SNE learning rate %v must be positive (or 0 for auto)", o.LearningRate)
	}
	if r.theta, ok = positiveOr(o.Theta, 0.5); !ok {
		return o, r, fmt.Errorf("reduce: t-SNE theta %v must be positive", o.Theta)
	}
	switch o.Method {
	case "", TSNEAuto:
		r.method = TSNEBarnesHut
		if n <= tsneExactMaxN {
			r.method = TSNEExact
		}
	case TSNEExact, TSNEBarnesHut:
		r.method = o.Method
	default:
		return o, r, fmt.Errorf("reduce: unknown t-SNE method %q (want %q, %q or %q)", o.Method, TSNEAuto, TSNEExact, TSNEBarnesHut)
	}
	m, err := o.Metric.resolve()
	if err != nil {
		return o, r, err
	}
	r.metric = m
	r.cbEvery = o.CallbackEvery
	if r.cbEvery <= 0 {
		r.cbEvery = 50
	}
	switch o.Init {
	case "", "pca", "random":
	default:
		return o, r, fmt.Errorf("reduce: unknown t-SNE init %q (want \"pca\", \"random\" or an InitLayout)", o.Init)
	}
	return o, r, nil
}

// Affinities is the symmetric t-SNE input affinity matrix P over N points, stored sparse by rows
// (CSR): row i holds the pairs (Col[k], Val[k]) for k in RowPtr[i]:RowPtr[i+1], columns ascending.
// P_ij = (p_j|i + p_i|j) / (2N), where p_j|i = exp(-beta_i d_ij) / sum_k exp(-beta_i d_ik) over
// i's neighbours and beta_i is found by binary search so that the entropy of p_.|i is
// log(Perplexity). P is symmetric, has a zero diagonal and sums to 1.
type Affinities struct {
	N          int
	Perplexity float64
	// Exact is true when every row holds all N-1 other points (the exact method).
	Exact  bool
	RowPtr []int32   // [N+1]
	Col    []int32   // [nnz]
	Val    []float64 // [nnz]
}

// NNZ returns the number of stored (non-zero) entries.
func (a *Affinities) NNZ() int { return len(a.Col) }

// TSNEAffinities computes the t-SNE affinities P of x ([n, d], one point per row).
//
// Barnes-Hut (the default for n > 500): the k = min(n-1, floor(3*Perplexity)) exact nearest
// neighbours of each point (reduce.KNN under opts.Metric), conditional probabilities calibrated
// to the perplexity by binary search over beta_i, then symmetrized; O(n k) entries.
// Exact (n <= 500, or Method "exact"): the same over all n-1 other points (dense, O(n^2)).
//
// Distances d_ij are squared Euclidean distances, or cosine distances for Metric Cosine.
// A perplexity too high for n points is lowered (CheckPerplexity) with a warning (opts.Warn).
// Errors: invalid x (NaN/Inf, empty, fewer than 2 rows), bad options.
func TSNEAffinities(x *Matrix, opts *TSNEOptions) (*Affinities, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: t-SNE input: %w", err)
	}
	o, r, err := resolveTSNE(opts, x.Rows)
	if err != nil {
		return nil, err
	}
	n := x.Rows
	if n < 2 {
		return nil, fmt.Errorf("reduce: t-SNE needs at least 2 points, have %d", n)
	}
	r.perplexity = lowerPerplexity(r.perplexity, n, o.Warn)
	aff, _, _, err := tsneAffinities(x, r, o.Progress, nil, nil)
	return aff, err
}

// tsneAffinities computes the affinities of a validated x with resolved options whose perplexity
// CheckPerplexity accepts. With prev (a kNN graph of the same points, Barnes-Hut only) the
// neighbours are refined from prev (refineKNN) instead of searched exactly. It returns the
// Barnes-Hut kNN graph (nil for the exact method) and, with prev, the fraction of neighbour entries
// that changed. betas is affinitiesFromNeighbors' (Barnes-Hut only; nil is valid).
func tsneAffinities(x *Matrix, r tsneResolved, progress Progress, prev *Neighbors, betas []float64) (*Affinities, *Neighbors, float64, error) {
	if r.method == TSNEExact {
		aff, err := exactAffinities(x, r, progress)
		return aff, nil, 0, err
	}
	n := x.Rows
	k := max(1, min(n-1, int(3*r.perplexity)))
	reportProgress(progress, 0, 1, "tsne knn")
	var nb *Neighbors
	var changed float64
	if prev != nil && prev.N == n && prev.K >= k {
		nb, changed = refineKNN(x, prev, k, r.metric)
	} else {
		var err error
		if nb, err = KNN(x, k, r.metric); err != nil {
			return nil, nil, 0, err
		}
	}
	reportProgress(progress, 1, 1, "tsne knn")
	aff, err := affinitiesFromNeighbors(nb, r.perplexity, r.metric, betas)
	return aff, nb, changed, err
}

// AffinitiesFromNeighbors computes sparse t-SNE affinities from a precomputed kNN graph (Index and
// Dist [N, K], self excluded, distances under metric; Euclidean distances are squared here).
// Use it to reuse one kNN graph for several perplexities <= K/3. perplexity 0 means
// DefaultPerplexity; one too high for N points is lowered by CheckPerplexity, with a warning
// printed by log.Printf.
func AffinitiesFromNeighbors(nb *Neighbors, perplexity float64, metric Metric) (*Affinities, error) {
	if nb == nil || nb.N < 2 || nb.K < 1 || len(nb.Index) != nb.N*nb.K || len(nb.Dist) != nb.N*nb.K {
		return nil, fmt.Errorf("reduce: t-SNE affinities: malformed neighbour graph")
	}
	if p, ok := positiveOr(perplexity, DefaultPerplexity); !ok {
		return nil, fmt.Errorf("reduce: t-SNE perplexity %v must be positive and finite", p)
	}
	return affinitiesFromNeighbors(nb, lowerPerplexity(perplexity, nb.N, nil), metric, nil)
}

// affinitiesFromNeighbors is AffinitiesFromNeighbors for a valid graph and a perplexity that
// CheckPerplexity accepts. betas, if not nil ([N]), holds each row's precision beta_i: a positive
// entry starts that row's search (a nearby snapshot's beta), and every entry is overwritten with the
// beta found.
func affinitiesFromNeighbors(nb *Neighbors, perplexity float64, metric Metric, betas []float64) (*Affinities, error) {
	if float64(nb.K) < math.Floor(3*perplexity) && nb.K < nb.N-1 {
		return nil, fmt.Errorf("reduce: t-SNE perplexity %g needs %d neighbours, the graph has %d", perplexity, int(3*perplexity), nb.K)
	}
	metric, err := metric.resolve()
	if err != nil {
		return nil, err
	}
	n, k := nb.N, nb.K
	cond := make([]float64, n*k) // p_j|i, row-major like nb
	parallelRanges(n, 64, func(i0, i1 int) {
		d := make([]float64, k)
		for i := i0; i < i1; i++ {
			_, dist := nb.Row(i)
			for t, v := range dist {
				d[t] = float64(v)
				if metric == Euclidean {
					d[t] *= d[t]
				}
			}
			if betas != nil {
				betas[i] = calibrateRowFrom(d, perplexity, cond[i*k:(i+1)*k], betas[i])
			} else {
				calibrateRowFrom(d, perplexity, cond[i*k:(i+1)*k], 0)
			}
		}
	})
	// Symmetrize: each p_j|i goes to (i, j) and (j, i); merge duplicates per row. Row i holds its
	// own k neighbours, then the points that have i as a neighbour (in increasing order, as they
	// are filled), so only the first part needs sorting before a merge of the two sorted lists.
	cnt := make([]int32, n+1)
	for i := 0; i < n; i++ {
		idx, _ := nb.Row(i)
		cnt[i+1] += int32(k)
		for _, j := range idx {
			if int(j) < 0 || int(j) >= n || int(j) == i {
				return nil, fmt.Errorf("reduce: t-SNE affinities: neighbour %d of point %d out of range [0, %d) or self", j, i, n)
			}
			cnt[j+1]++
		}
	}
	for i := 0; i < n; i++ {
		cnt[i+1] += cnt[i]
	}
	fill := make([]int32, n)
	for i := 0; i < n; i++ {
		fill[i] = cnt[i] + int32(k)
	}
	col := make([]int32, cnt[n])
	val := make([]float64, cnt[n])
	for i := 0; i < n; i++ {
		idx, _ := nb.Row(i)
		for t, j := range idx {
			p := cond[i*k+t]
			col[fill[j]], val[fill[j]] = int32(i), p
			fill[j]++
		}
	}
	// Each row's own neighbours sorted by column: the transpose of the reverse entries (row j's
	// reverse entries are the p_j|i of the rows i that have j as a neighbour, in increasing i), so
	// visiting the rows j in order appends each row's own entries in increasing column order.
	ownCol := make([]int32, n*k)
	ownVal := make([]float64, n*k)
	ownLen := make([]int32, n)
	for j := 0; j < n; j++ {
		for q := cnt[j] + int32(k); q < cnt[j+1]; q++ {
			i := col[q]
			o := int(i)*k + int(ownLen[i])
			ownCol[o], ownVal[o] = int32(j), val[q]
			ownLen[i]++
		}
	}
	// Merge each row's own entries with its reverse entries (both sorted), summing duplicates,
	// into col2/val2 at the row's start.
	col2 := make([]int32, cnt[n])
	val2 := make([]float64, cnt[n])
	rowLen := make([]int32, n)
	parallelRanges(n, 64, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			owc, owv := ownCol[i*k:(i+1)*k], ownVal[i*k:(i+1)*k]
			rc, rv := col[cnt[i]+int32(k):cnt[i+1]], val[cnt[i]+int32(k):cnt[i+1]]
			oc, ov := col2[cnt[i]:cnt[i+1]], val2[cnt[i]:cnt[i+1]]
			w, a, b := 0, 0, 0
			for a < k || b < len(rc) {
				var j int32
				var x float64
				if b >= len(rc) || (a < k && owc[a] <= rc[b]) {
					j, x = owc[a], owv[a]
					a++
				} else {
					j, x = rc[b], rv[b]
					b++
				}
				if w > 0 && oc[w-1] == j {
					ov[w-1] += x
					continue
				}
				oc[w], ov[w] = j, x
				w++
			}
			rowLen[i] = int32(w)
		}
	})
	col, val = col2, val2
	a := &Affinities{N: n, Perplexity: perplexity, RowPtr: make([]int32, n+1)}
	for i := 0; i < n; i++ {
		a.RowPtr[i+1] = a.RowPtr[i] + rowLen[i]
	}
	a.Col = make([]int32, a.RowPtr[n])
	a.Val = make([]float64, a.RowPtr[n])
	norm := 1 / (2 * float64(n))
	for i := 0; i < n; i++ {
		src := cnt[i]
		dst := a.RowPtr[i]
		copy(a.Col[dst:a.RowPtr[i+1]], col[src:src+rowLen[i]])
		for t := int32(0); t < rowLen[i]; t++ {
			a.Val[dst+t] = val[src+t] * norm
		}
	}
	return a, nil
}

// calibrateRow sets p[t] = exp(-beta d[t]) / sum, with beta chosen so that the Shannon entropy
// (natural log) of p equals log(perplexity) within 1e-5 (scikit-learn's
// _binary_search_perplexity tolerance), at most 100 steps. Distances are shifted by their minimum
// first, which leaves p unchanged and avoids underflow for large distances.
func calibrateRow(d []float64, perplexity float64, p []float64) {
	calibrateRowFrom(d, perplexity, p, 0)
}

// calibrateRowFrom is calibrateRow starting from beta0 (if positive; else 1 / mean shifted
// distance), and returns the beta found. Each step is a Newton step on H(log beta), whose
// derivative is -beta^2 Var_p(d), kept inside the bracket of betas known to give too high and too
// low an entropy (bisection when it would leave it): a few steps from a nearby start where plain
// bisection needs 20 or more.
func calibrateRowFrom(d []float64, perplexity float64, p []float64, beta0 float64) float64 {
	dmin := math.Inf(1)
	for _, v := range d {
		dmin = min(dmin, v)
	}
	target := math.Log(perplexity)
	beta, lo, hi := 1.0, 0.0, math.Inf(1)
	// Start from a scale-aware beta: 1 / mean shifted distance.
	var mean float64
	for _, v := range d {
		mean += v - dmin
	}
	mean /= float64(len(d))
	if mean > 0 {
		beta = 1 / mean
	}
	if beta0 > 0 && !math.IsInf(beta0, 0) {
		beta = beta0
	}
	used := beta // the beta of the current p
	for step := 0; step < 100; step++ {
		used = beta
		var sum, dsum, d2sum float64
		for t, v := range d {
			// exp(-60) ~ 1e-26 relative to the nearest neighbour's weight 1 is negligible; cutting
			// there keeps every P value a normal float64 (subnormal arithmetic is ~100x slower).
			e := 0.0
			x := v - dmin
			if a := x * beta; a < 60 {
				e = tsneExp(-a)
			}
			p[t] = e
			sum += e
			dsum += x * e
			d2sum += x * x * e
		}
		m := dsum / sum
		h := math.Log(sum) + beta*m
		diff := h - target
		if math.Abs(diff) <= 1e-5 {
			break
		}
		if diff > 0 { // entropy too high: sharpen
			lo = beta
		} else {
			hi = beta
		}
		// Newton on u = log beta: dH/du = -beta^2 Var(d), so u += diff / (beta^2 Var).
		next := math.NaN()
		if v := d2sum/sum - m*m; v > 0 {
			next = beta * math.Exp(max(-2, min(2, diff/(beta*beta*v))))
		}
		if !(next > lo && next < hi) {
			switch {
			case diff > 0 && math.IsInf(hi, 1):
				next = beta * 2
			case diff > 0:
				next = (beta + hi) / 2
			case lo == 0:
				next = beta / 2
			default:
				next = (beta + lo) / 2
			}
		}
		beta = next
	}
	var sum float64
	for _, v := range p {
		sum += v
	}
	if sum == 0 || math.IsNaN(sum) { // all distances equal and huge beta: uniform
		for t := range p {
			p[t] = 1 / float64(len(p))
		}
		return used
	}
	for t := range p {
		p[t] /= sum
	}
	return used
}

// tsneExp returns e^x for x in [-60, 0] (relative error < 1e-15), in pure Go.
//
// math.Exp on amd64 is assembly that mixes VEX (FMA) and legacy SSE instructions; in binaries
// built with GOEXPERIMENT=simd it was measured here to slow down ~100x (14 ns -> 1.4 us a call)
// once the goroutine has been asynchronously preempted (upper vector state left dirty, so every
// SSE/VEX transition pays a penalty). Plain Go compiles to SSE only and is unaffected.
// Algorithm (as in Go's math.exp, from FreeBSD): x = k ln2 + r, |r| <= ln2/2, then a rational
// approximation of e^r on the reduced range and a scaling by 2^k.
func tsneExp(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		log2e = 1.44269504088896338700e+00
		p1    = 1.66666666666666657415e-01
		p2    = -2.77777777770155933842e-03
		p3    = 6.61375632143793436117e-05
		p4    = -1.65339022054652515390e-06
		p5    = 4.13813679705723846039e-08
	)
	k := int(log2e*x - 0.5)
	if x > 0 {
		k = int(log2e*x + 0.5)
	}
	hi := x - float64(k)*ln2Hi
	lo := float64(k) * ln2Lo
	r := hi - lo
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return y * math.Float64frombits(uint64(k+1023)<<52)
}

// exactAffinities computes dense P over all pairs (stored as full CSR rows).
func exactAffinities(x *Matrix, r tsneResolved, progress Progress) (*Affinities, error) {
	n, dim := x.Rows, x.Cols
	reportProgress(progress, 0, 1, "tsne affinities")
	xs := x
	if r.metric == Cosine {
		xs = x.Clone()
		for i := 0; i < n; i++ {
			row := xs.Row(i)
			var s float64
			for _, v := range row {
				s += float64(v) * float64(v)
			}
			if s > 0 {
				inv := float32(1 / math.Sqrt(s))
				for t := range row {
					row[t] *= inv
				}
			}
		}
	}
	cond := make([]float64, n*n) // p_j|i at [i, j], diagonal 0
	parallelRanges(n, 16, func(i0, i1 int) {
		d := make([]float64, n-1)
		p := make([]float64, n-1)
		for i := i0; i < i1; i++ {
			a := xs.Row(i)
			t := 0
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				b := xs.Row(j)
				var s float64
				if r.metric == Cosine { // rows are unit length (or zero): d = 1 - cos
					var dot float64
					for c := 0; c < dim; c++ {
						dot += float64(a[c]) * float64(b[c])
					}
					s = 1 - dot
				} else {
					for c := 0; c < dim; c++ {
						df := float64(a[c]) - float64(b[c])
						s += df * df
					}
				}
				d[t] = s
				t++
			}
			calibrateRow(d, r.perplexity, p)
			t = 0
			for j := 0; j < n; j++ {
				if j == i {
					continue
				}
				cond[i*n+j] = p[t]
				t++
			}
		}
	})
	a := &Affinities{N: n, Perplexity: r.perplexity, Exact: true, RowPtr: make([]int32, n+1),
		Col: make([]int32, n*(n-1)), Val: make([]float64, n*(n-1))}
	norm := 1 / (2 * float64(n))
	w := 0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			a.Col[w] = int32(j)
			a.Val[w] = (cond[i*n+j] + cond[j*n+i]) * norm
			w++
		}
		a.RowPtr[i+1] = int32(w)
	}
	reportProgress(progress, 1, 1, "tsne affinities")
	return a, nil
}

// TSNE embeds x ([n, d], one point per row) in 2 dimensions with t-SNE: affinities
// (TSNEAffinities), initial layout (opts.Init), EarlyIters iterations with exaggeration
// EarlyExaggeration and momentum 0.5, then the remaining Iters-EarlyIters with exaggeration 1 and
// momentum 0.8. It minimizes KL(P || Q), Q_ij = w_ij / Z, w_ij = 1 / (1 + ||y_i - y_j||^2),
// Z = sum_{k != l} w_kl, whose gradient is
//
//	dC/dy_i = 4 sum_j (P_ij - Q_ij) w_ij (y_i - y_j).
//
// Returns [n, 2]. opts may be nil (all defaults).
func TSNE(x *Matrix, opts *TSNEOptions) (*Matrix, error) {
	aff, err := TSNEAffinities(x, opts)
	if err != nil {
		return nil, err
	}
	emb, err := newTSNEEmbedding(aff, x, opts)
	if err != nil {
		return nil, err
	}
	if err := emb.Run(); err != nil {
		return nil, err
	}
	return emb.Embedding(), nil
}

// randomLayout returns an [n, 2] layout with iid N(0, 1) entries from seed.
func randomLayout(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x7e5e))
	y := make([]float64, 2*n)
	for t := range y {
		y[t] = rng.NormFloat64()
	}
	return y
}
