package reduce

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// KMeansOptions configures KMeans. The zero value (or nil) means 10 restarts, seed 0, at most 300
// Lloyd iterations, tolerance 1e-4 and Euclidean distance, as scikit-learn's KMeans(n_init=10).
type KMeansOptions struct {
	// Restarts is the number of k-means++ initializations; the run with the lowest inertia wins.
	// 0 means 10.
	Restarts int
	// Seed seeds the random number generator (PCG); runs with the same seed are identical.
	Seed uint64
	// MaxIter bounds the Lloyd iterations per restart; 0 means 300.
	MaxIter int
	// Tol stops a restart when the squared shift of all centres is at most Tol times the mean
	// column variance of x; 0 means 1e-4.
	Tol float64
	// Metric "" or Euclidean runs k-means on x; Cosine runs it on the rows of x scaled to unit
	// length (spherical k-means: centres are means of unit vectors, inertia is measured on them).
	Metric Metric
	// Progress, if not nil, is called after each restart (stage "kmeans").
	Progress Progress
}

// KMeansResult is the best k-means clustering found.
type KMeansResult struct {
	// Assignments is [n]: the cluster of each row, in 0..k-1.
	Assignments []int32
	// Centers is [k, d]: the cluster means.
	Centers *Matrix
	// Inertia is sum_i ||x_i - c_{a_i}||^2 (float64), scikit-learn's inertia_.
	Inertia float64
	// Iterations is the number of Lloyd iterations of the winning restart.
	Iterations int
}

// KMeans clusters the rows of x ([n, d]) into k clusters, minimizing the inertia
// sum_i ||x_i - c_{a_i}||^2 with Lloyd's algorithm from greedy k-means++ seeds (2 + ln k candidate
// seeds per step, as scikit-learn), restarted opts.Restarts times. Empty clusters are re-seeded with
// the point farthest from its centre. Distances for assignments use the float32 SIMD kernel of KNN;
// centres and the inertia are accumulated in float64. Requires 1 <= k <= n.
func KMeans(x *Matrix, k int, opts *KMeansOptions) (*KMeansResult, error) {
	if opts == nil {
		opts = &KMeansOptions{}
	}
	metric, err := checkInput("KMeans", x, opts.Metric)
	if err != nil {
		return nil, err
	}
	n, d := x.Rows, x.Cols
	if k < 1 || k > n {
		return nil, fmt.Errorf("reduce: KMeans: k = %d clusters, must be in 1..n = 1..%d", k, n)
	}
	restarts, maxIter, tol := opts.Restarts, opts.MaxIter, opts.Tol
	if restarts == 0 {
		restarts = 10
	}
	if maxIter == 0 {
		maxIter = 300
	}
	if tol == 0 {
		tol = 1e-4
	}
	if restarts < 0 || maxIter < 0 || tol < 0 {
		return nil, fmt.Errorf("reduce: KMeans: negative option (restarts %d, max iterations %d, tol %v)", restarts, maxIter, tol)
	}
	if metric == Cosine {
		x = unitRows(x)
	}
	// Tolerance relative to the data: tol * mean column variance.
	mean := columnMeans(x)
	absTol := tol * centeredSumSquares(x, mean) / float64(n*d)
	sq := rowSqNorms(x.Data, n, d)
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6b6d65616e73))
	var best *KMeansResult
	for r := 0; r < restarts; r++ {
		centers := kmeansPlusPlus(x, k, rng)
		res := lloyd(x, sq, centers, maxIter, absTol)
		if best == nil || res.Inertia < best.Inertia {
			best = res
		}
		reportProgress(opts.Progress, r+1, restarts, "kmeans")
	}
	return best, nil
}

// unitRows returns a copy of x with every nonzero row scaled to unit length.
func unitRows(x *Matrix) *Matrix { return scaleRows(x, 0) }

// scaleRows returns a copy of x ([n, d]) with every row divided by its length plus eps (norms
// accumulated in float64); a zero row stays zero.
func scaleRows(x *Matrix, eps float64) *Matrix {
	out := x.Clone()
	for i := 0; i < x.Rows; i++ {
		row := out.Row(i)
		var s float64
		for _, v := range row {
			s += float64(v) * float64(v)
		}
		if s > 0 {
			inv := 1 / (math.Sqrt(s) + eps)
			for j, v := range row {
				row[j] = float32(float64(v) * inv)
			}
		}
	}
	return out
}

// sqDist64 is the squared Euclidean distance between a and b, accumulated in float64.
func sqDist64(a, b []float32) float64 {
	var s float64
	for t, v := range a {
		e := float64(v) - float64(b[t])
		s += e * e
	}
	return s
}

// kmeansPlusPlus returns k initial centres [k*d] by greedy k-means++ (Arthur & Vassilvitskii 2007,
// with 2 + floor(ln k) trials per centre as scikit-learn). A candidate's distances skip, by the
// triangle inequality, every point i whose current centre a(i) has ||c_a(i) - cand|| >
// 2 ||x_i - c_a(i)|| (with a relative margin of 1e-6, far above the rounding of the float64
// distances): the candidate cannot be closer to i, so min(closest_i, d) = closest_i as when it is
// computed. The remaining points are tested first with a float32 SIMD distance, and the float64
// one is computed only when the float32 one is within 4 times its error bound of closest_i. The
// seeds are the same as without these shortcuts.
func kmeansPlusPlus(x *Matrix, k int, rng *rand.Rand) []float32 {
	n, d := x.Rows, x.Cols
	centers := make([]float32, k*d)
	trials := 2 + int(math.Log(float64(k)))
	first := rng.IntN(n)
	copy(centers[:d], x.Row(first))
	closest := make([]float64, n)
	owner := make([]int32, n) // the centre closest[i] is measured to
	var pot float64
	for i := 0; i < n; i++ {
		clearUpper()
		closest[i] = sqDist64(x.Row(i), centers[:d])
		pot += closest[i]
	}
	// bound[i] = 2 (1 + 1e-6) sqrt(closest[i]): a centre farther than that from c_owner(i) is
	// farther from x_i than c_owner(i).
	bound := make([]float64, n)
	for i, v := range closest {
		bound[i] = 2 * (1 + 1e-6) * math.Sqrt(v)
	}
	cand := make([][]float64, trials)
	for t := range cand {
		cand[t] = make([]float64, n)
	}
	centreDist := make([]float64, k) // ||c_j - candidate|| for the centres so far
	// A float32 squared distance f (relative error below (d+3) 2^-24) with f > closest slack
	// means the float64 one exceeds closest: min(closest, d) = closest without computing it.
	slack := 1 + 4*float64(d+3)*0x1p-24
	for c := 1; c < k; c++ {
		bestT, bestPot := -1, math.Inf(1)
		ids := make([]int, trials)
		for t := 0; t < trials; t++ {
			// Sample a point with probability proportional to its current squared distance.
			id := 0
			if pot > 0 {
				target := rng.Float64() * pot
				var acc float64
				id = n - 1
				for i, v := range closest {
					acc += v
					if acc > target {
						id = i
						break
					}
				}
			} else {
				id = rng.IntN(n)
			}
			ids[t] = id
			cr := x.Row(id)
			var p float64
			parallelSum := cand[t]
			parallelFor(c, 64, func(j0, j1 int) {
				for j := j0; j < j1; j++ {
					clearUpper()
					centreDist[j] = math.Sqrt(sqDist64(centers[j*d:(j+1)*d], cr))
				}
			})
			parallelFor(n, 64, func(i0, i1 int) {
				for i := i0; i < i1; i++ {
					if centreDist[owner[i]] > bound[i] {
						parallelSum[i] = closest[i]
						continue
					}
					xi := x.Row(i)
					if f := float64(tsneSqDist(xi, cr)); f > closest[i]*slack && f > 0x1p-100 && !math.IsInf(f, 1) {
						// The float32 distance (far from float32's subnormals and overflow)
						// exceeds closest[i] by more than its error bound.
						parallelSum[i] = closest[i]
						continue
					}
					clearUpper()
					parallelSum[i] = math.Min(closest[i], sqDist64(xi, cr))
				}
			})
			for _, v := range parallelSum {
				p += v
			}
			if p < bestPot {
				bestT, bestPot = t, p
			}
		}
		copy(centers[c*d:(c+1)*d], x.Row(ids[bestT]))
		best := cand[bestT]
		parallelFor(n, 256, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				if best[i] < closest[i] {
					closest[i] = best[i]
					owner[i] = int32(c)
					bound[i] = 2 * (1 + 1e-6) * math.Sqrt(closest[i])
				}
			}
		})
		pot = bestPot
	}
	return centers
}

// assign sets labels[i] to the nearest centre of row i and dist2[i] to the (float32-kernel) squared
// distance, in parallel; it returns the number of changed labels.
func assign(x *Matrix, sq []float32, centers []float32, k int, labels []int32, dist2 []float32) int {
	n, d := x.Rows, x.Cols
	packed := packReferences(centers, k, d, rowSqNorms(centers, k, d))
	nb := (n + 3) / 4 // blocks of 4 query rows
	// Units of 64 blocks (256 rows) spread over the workers by parallelBlocks, which yields between
	// units: one long chunk per worker would be preempted by signals every 10 ms.
	const unit = 64
	workers := numWorkers(nb, unit)
	changed := make([]int, workers)
	parallelBlocks((nb+unit-1)/unit, workers, func(w, u int) {
		b0, b1 := u*unit, min(nb, (u+1)*unit)
		var tile [2][4 * knnPanel]float32
		local := 0
		for qi := b0 * 4; qi < min(n, b1*4); qi += 4 {
			var qs [4][]float32
			for r := 0; r < 4; r++ {
				i := min(qi+r, n-1)
				qs[r] = x.Row(i)
			}
			var bestKey [4]float32
			var bestC [4]int32
			for r := range bestKey {
				bestKey[r] = float32(math.Inf(1))
			}
			// Panels in pairs (one AVX-512 tile; the last pair may end in the padding panel);
			// candidates in order of index, rechecked against the current best (ties keep the
			// smaller index).
			for p := 0; p < packed.panels; p += 2 {
				var masks [2]uint64
				masks[0], masks[1] = packed.tilePair(&qs, p, &bestKey, &tile)
				for hp, mask := range masks {
					for mask != 0 {
						bit := bits.TrailingZeros64(mask)
						mask &= mask - 1
						r := bit >> 4
						if key := tile[hp][bit]; key < bestKey[r] {
							bestKey[r], bestC[r] = key, int32((p+hp)*knnPanel+bit&15)
						}
					}
				}
			}
			for r := 0; r < 4 && qi+r < n; r++ {
				i := qi + r
				if labels[i] != bestC[r] {
					labels[i] = bestC[r]
					local++
				}
				dist2[i] = max(0, bestKey[r]+sq[i])
			}
		}
		changed[w] += local
	})
	total := 0
	for _, c := range changed {
		total += c
	}
	return total
}

// lloyd runs Lloyd iterations from centers ([k*d], modified) and returns the clustering.
func lloyd(x *Matrix, sq []float32, centers []float32, maxIter int, absTol float64) *KMeansResult {
	n, d := x.Rows, x.Cols
	k := len(centers) / d
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = -1
	}
	dist2 := make([]float32, n)
	sums := make([]float64, k*d)
	counts := make([]int, k)
	iter := 0
	for iter < maxIter {
		iter++
		changed := assign(x, sq, centers, k, labels, dist2)
		if changed == 0 && iter > 1 {
			break
		}
		clear(sums)
		clear(counts)
		for i := 0; i < n; i++ {
			clearUpper()
			c := int(labels[i])
			counts[c]++
			s := sums[c*d : (c+1)*d]
			for j, v := range x.Row(i) {
				s[j] += float64(v)
			}
		}
		// Empty clusters take the points farthest from their centres.
		for c := 0; c < k; c++ {
			if counts[c] > 0 {
				continue
			}
			far := 0
			for i := range dist2 {
				if dist2[i] > dist2[far] {
					far = i
				}
			}
			old := int(labels[far])
			counts[old]--
			counts[c] = 1
			for j, v := range x.Row(far) {
				sums[old*d+j] -= float64(v)
				sums[c*d+j] = float64(v)
			}
			labels[far] = int32(c)
			dist2[far] = 0
		}
		var shift float64
		for c := 0; c < k; c++ {
			if counts[c] == 0 {
				continue
			}
			inv := 1 / float64(counts[c])
			for j := 0; j < d; j++ {
				v := float32(sums[c*d+j] * inv)
				e := float64(v) - float64(centers[c*d+j])
				shift += e * e
				centers[c*d+j] = v
			}
		}
		if shift <= absTol {
			assign(x, sq, centers, k, labels, dist2)
			break
		}
	}
	if iter == maxIter {
		assign(x, sq, centers, k, labels, dist2)
	}
	// Exact inertia in float64.
	var inertia float64
	for i := 0; i < n; i++ {
		clearUpper()
		c := int(labels[i])
		inertia += sqDist64(x.Row(i), centers[c*d:(c+1)*d])
	}
	return &KMeansResult{Assignments: labels, Centers: MatrixFrom(k, d, centers), Inertia: inertia, Iterations: iter}
}

// denseLabels maps arbitrary label values to dense ids 0..m-1 (in order of first appearance) and returns m.
func denseLabels(labels []int32) ([]int, int) {
	ids := make(map[int32]int)
	out := make([]int, len(labels))
	for i, l := range labels {
		id, ok := ids[l]
		if !ok {
			id = len(ids)
			ids[l] = id
		}
		out[i] = id
	}
	return out, len(ids)
}

// Silhouette returns the mean silhouette coefficient of the clustering labels ([n], any int32
// values) of x ([n, d]) under metric ("" means Euclidean, or Cosine = 1 - cos):
//
//	s_i = (b_i - a_i) / max(a_i, b_i),   a_i = mean distance to the other members of i's cluster,
//	b_i = min over other clusters C of the mean distance from i to C,
//
// with s_i = 0 for a point alone in its cluster; the result is the mean of s_i, as scikit-learn's
// silhouette_score. Distances are computed in float64 (blocked products); O(n^2 d) time.
// Requires 2 <= number of clusters <= n-1.
func Silhouette(x *Matrix, labels []int32, metric Metric) (float64, error) {
	s, err := SilhouetteSamples(x, labels, metric)
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s)), nil
}

// SilhouetteSamples returns the silhouette coefficient s_i of every row of x ([n]); see Silhouette.
func SilhouetteSamples(x *Matrix, labels []int32, metric Metric) ([]float64, error) {
	metric, err := checkInput("silhouette", x, metric)
	if err != nil {
		return nil, err
	}
	n := x.Rows
	if len(labels) != n {
		return nil, fmt.Errorf("reduce: silhouette: %d labels for %d rows", len(labels), n)
	}
	lab, m := denseLabels(labels)
	if m < 2 || m > n-1 {
		return nil, fmt.Errorf("reduce: silhouette: %d distinct labels, need 2..n-1 = 2..%d", m, n-1)
	}
	sizes := make([]int, m)
	for _, l := range lab {
		sizes[l]++
	}
	out := make([]float64, n)
	pd := newPairwise(x, metric)
	const block = 128
	blocks := (n + block - 1) / block
	parallelFor(blocks, 1, func(b0, b1 int) {
		var dist mat.Dense
		sums := make([]float64, m)
		for b := b0; b < b1; b++ {
			i0, i1 := b*block, min(n, (b+1)*block)
			pd.rows(i0, i1, &dist)
			for i := i0; i < i1; i++ {
				clearUpper()
				clear(sums)
				row := dist.RawRowView(i - i0)
				clearUpper()
				for j, v := range row {
					sums[lab[j]] += v
				}
				own := lab[i]
				if sizes[own] == 1 {
					out[i] = 0
					continue
				}
				a := sums[own] / float64(sizes[own]-1)
				bmin := math.Inf(1)
				for c := 0; c < m; c++ {
					if c != own {
						bmin = math.Min(bmin, sums[c]/float64(sizes[c]))
					}
				}
				if den := math.Max(a, bmin); den > 0 {
					out[i] = (bmin - a) / den
				}
			}
		}
	})
	return out, nil
}

// pairwise computes blocks of the float64 distance matrix of x under a metric.
type pairwise struct {
	x      *mat.Dense // [n, d] float64 (unit rows for cosine)
	sq     []float64  // squared norms
	metric Metric
	zero   []bool // cosine: rows that were zero
}

func newPairwise(x *Matrix, metric Metric) *pairwise {
	n, d := x.Rows, x.Cols
	buf := make([]float64, n*d)
	for i, v := range x.Data {
		buf[i] = float64(v)
	}
	p := &pairwise{x: mat.NewDense(n, d, buf), sq: make([]float64, n), metric: metric, zero: make([]bool, n)}
	for i := 0; i < n; i++ {
		clearUpper()
		row := buf[i*d : (i+1)*d]
		var s float64
		for _, v := range row {
			s += v * v
		}
		if metric == Cosine {
			if s > 0 {
				inv := 1 / math.Sqrt(s)
				for j := range row {
					row[j] *= inv
				}
			} else {
				p.zero[i] = true
			}
			continue
		}
		p.sq[i] = s
	}
	return p
}

// rows sets dst to the [i1-i0, n] distances from rows i0..i1-1 to all rows (exact 0 on the diagonal,
// except a zero row's cosine distance to itself, 1 as in scikit-learn).
func (p *pairwise) rows(i0, i1 int, dst *mat.Dense) {
	n, d := p.x.Dims()
	dst.Reset()
	dst.ReuseAs(i1-i0, n)
	// Column chunks, each a separate product, with VZEROUPPER between them (see clearUpper).
	a := p.x.Slice(i0, i1, 0, d)
	const chunk = 512
	for j0 := 0; j0 < n; j0 += chunk {
		j1 := min(n, j0+chunk)
		clearUpper()
		dst.Slice(0, i1-i0, j0, j1).(*mat.Dense).Mul(a, p.x.Slice(j0, j1, 0, d).T())
	}
	for i := i0; i < i1; i++ {
		clearUpper()
		clearUpper()
		row := dst.RawRowView(i - i0)
		for j := 0; j < n; j++ {
			if p.metric == Cosine {
				row[j] = math.Min(2, math.Max(0, 1-row[j]))
			} else {
				row[j] = math.Sqrt(math.Max(0, p.sq[i]+p.sq[j]-2*row[j]))
			}
		}
		if p.metric != Cosine || !p.zero[i] {
			row[i] = 0
		}
	}
}

// AdjustedRandIndex returns the adjusted Rand index between two labelings a and b ([n] each, any
// int32 values): with the pair confusion counts (tn, fp, fn, tp) over the n^2 ordered pairs,
//
//	ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)),
//
// and 1 when fp = fn = 0 (identical partitions), exactly as scikit-learn's adjusted_rand_score.
// The counts are exact integers (math/big), so the result is the correctly rounded float64.
func AdjustedRandIndex(a, b []int32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("reduce: adjusted Rand index: labelings have %d and %d elements", len(a), len(b))
	}
	if len(a) == 0 {
		return 0, fmt.Errorf("reduce: adjusted Rand index: empty labelings")
	}
	la, _ := denseLabels(a)
	lb, _ := denseLabels(b)
	type cell struct{ i, j int }
	cont := map[cell]int64{}
	var na, nb []int64
	for t := range la {
		cont[cell{la[t], lb[t]}]++
		for len(na) <= la[t] {
			na = append(na, 0)
		}
		for len(nb) <= lb[t] {
			nb = append(nb, 0)
		}
		na[la[t]]++
		nb[lb[t]]++
	}
	n := big.NewInt(int64(len(a)))
	sumSq := new(big.Int) // sum n_ij^2
	var rowDot, colDot big.Int
	for c, v := range cont {
		sumSq.Add(sumSq, new(big.Int).Mul(big.NewInt(v), big.NewInt(v)))
		// contingency . n_k summed = sum_ij n_ij * nb_j ; transpose . n_c = sum_ij n_ij * na_i
		rowDot.Add(&rowDot, new(big.Int).Mul(big.NewInt(v), big.NewInt(nb[c.j])))
		colDot.Add(&colDot, new(big.Int).Mul(big.NewInt(v), big.NewInt(na[c.i])))
	}
	tp := new(big.Int).Sub(sumSq, n)
	fp := new(big.Int).Sub(&rowDot, sumSq)
	fn := new(big.Int).Sub(&colDot, sumSq)
	tn := new(big.Int).Mul(n, n)
	tn.Sub(tn, fp).Sub(tn, fn).Sub(tn, sumSq)
	if fn.Sign() == 0 && fp.Sign() == 0 {
		return 1, nil
	}
	num := new(big.Int).Sub(new(big.Int).Mul(tp, tn), new(big.Int).Mul(fn, fp))
	num.Mul(num, big.NewInt(2))
	den := new(big.Int).Mul(new(big.Int).Add(tp, fn), new(big.Int).Add(fn, tn))
	den.Add(den, new(big.Int).Mul(new(big.Int).Add(tp, fp), new(big.Int).Add(fp, tn)))
	if den.Sign() == 0 {
		return 0, nil
	}
	r, _ := new(big.Rat).SetFrac(num, den).Float64()
	return r, nil
}
