package reduce

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultSkips are the multi-scale skips of Drift and CKADistanceSeries when none are given.
var DefaultSkips = []int{1, 2, 4, 8, 16}

// checkSkips returns the skips to use (DefaultSkips for an empty list) or an error for s < 1.
func checkSkips(skips []int) ([]int, error) {
	if len(skips) == 0 {
		return DefaultSkips, nil
	}
	for _, s := range skips {
		if s < 1 {
			return nil, fmt.Errorf("reduce: skip %d must be at least 1", s)
		}
	}
	return skips, nil
}

// MeanDistance returns the mean over samples of the Euclidean distance between corresponding rows
// of a and b (both [n, d]): (1/n) sum_r ||a_r - b_r||, accumulated in float64.
func MeanDistance(a, b *Matrix) (float64, error) {
	if err := checkPair(a, b, true); err != nil {
		return 0, err
	}
	return meanDistance(a, b), nil
}

func meanDistance(a, b *Matrix) float64 {
	var sum float64
	for r := 0; r < a.Rows; r++ {
		ar, br := a.Row(r), b.Row(r)
		var s float64
		for j := range ar {
			e := float64(ar[j]) - float64(br[j])
			s += e * e
		}
		sum += math.Sqrt(s)
	}
	return sum / float64(a.Rows)
}

// checkPair validates a and b and checks they have the same rows (and columns if sameCols).
func checkPair(a, b *Matrix, sameCols bool) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("reduce: first matrix: %w", err)
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("reduce: second matrix: %w", err)
	}
	if a.Rows != b.Rows {
		return fmt.Errorf("reduce: matrices have %d and %d rows; they must hold the same samples", a.Rows, b.Rows)
	}
	if sameCols && a.Cols != b.Cols {
		return fmt.Errorf("reduce: matrices are [%d, %d] and [%d, %d]; shapes must match", a.Rows, a.Cols, b.Rows, b.Cols)
	}
	return nil
}

// Drift returns the embedding drift at multiple scales: for each skip s (nil or empty means
// DefaultSkips = 1, 2, 4, 8, 16) a series over snapshots, out[s][i] = (1/n) sum_r ||E_i[r] - E_{i-s}[r]||
// for i >= s and NaN for i < s (no earlier snapshot). seq is T snapshots of [n, d] (same n and d);
// every series has length T.
func Drift(seq []*Matrix, skips []int) (map[int][]float64, error) {
	if err := ValidateSequence(seq, true); err != nil {
		return nil, err
	}
	skips, err := checkSkips(skips)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]float64, len(skips))
	for _, s := range skips {
		series := make([]float64, len(seq))
		for i := range series {
			if i < s {
				series[i] = math.NaN()
				continue
			}
			series[i] = meanDistance(seq[i], seq[i-s])
		}
		out[s] = series
	}
	return out, nil
}

// CKAKind selects a centered kernel alignment variant. The zero value "" means LinearKind.
type CKAKind string

const (
	// LinearKind is linear CKA: ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) on column-centered X, Y.
	LinearKind CKAKind = "linear"
	// DebiasedKind is linear CKA with the unbiased HSIC estimator (Song et al. 2012).
	DebiasedKind CKAKind = "debiased"
	// RBFKind is CKA with Gaussian kernels whose bandwidth is SigmaFrac times the median distance.
	RBFKind CKAKind = "rbf"
)

// CKAOptions configures CKA and CKADistanceSeries. The zero value (or nil) is linear CKA.
type CKAOptions struct {
	// Kind is the CKA variant; "" means LinearKind.
	Kind CKAKind
	// SigmaFrac is the RBF bandwidth as a fraction of the median pairwise distance; 0 means 1.
	SigmaFrac float64
	// Progress, if not nil, is called after each pair of snapshots in CKADistanceSeries
	// (stage "cka").
	Progress Progress
}

// CKA returns the centered kernel alignment between a ([n, d1]) and b ([n, d2]) of the kind in opts
// (nil means linear). See LinearCKA, DebiasedCKA and RBFCKA.
func CKA(a, b *Matrix, opts *CKAOptions) (float64, error) {
	if opts == nil {
		opts = &CKAOptions{}
	}
	switch opts.Kind {
	case "", LinearKind:
		return LinearCKA(a, b)
	case DebiasedKind:
		return DebiasedCKA(a, b)
	case RBFKind:
		return RBFCKA(a, b, opts.SigmaFrac)
	}
	return 0, fmt.Errorf("reduce: unknown CKA kind %q (want %q, %q or %q)", string(opts.Kind), LinearKind, DebiasedKind, RBFKind)
}

// centered holds the float64 feature-space quantities of one column-centered matrix.
type centered struct {
	m      *mat.Dense // [n, d] centered, float64
	rowSq  []float64  // [n] squared row norms
	sqNorm float64    // ||X||_F^2
}

func centerMatrix(x *Matrix) *centered {
	mean := columnMeans(x)
	n, d := x.Rows, x.Cols
	buf := make([]float64, n*d)
	centeredChunk(x, mean, 0, n, buf)
	c := &centered{m: mat.NewDense(n, d, buf), rowSq: make([]float64, n)}
	for i := 0; i < n; i++ {
		clearUpper()
		var s float64
		for _, v := range buf[i*d : (i+1)*d] {
			s += v * v
		}
		c.rowSq[i] = s
		c.sqNorm += s
	}
	return c
}

// crossSq returns ||X^T Y||_F^2 for centered X and Y, accumulated in float64.
func crossSq(x, y *centered) float64 {
	var p mat.Dense
	clearUpper()
	p.Mul(x.m.T(), y.m)
	v := mat.Norm(&p, 2)
	return v * v
}

// debiasedHSIC is the unbiased HSIC of centered features up to the factor 1/(n(n-3)), from
// xty = ||X^T Y||_F^2 (Kornblith et al. 2019, feature-space form):
// xty - n/(n-2) <rowSq_x, rowSq_y> + ||X||_F^2 ||Y||_F^2 / ((n-1)(n-2)).
func debiasedHSIC(xty float64, x, y *centered) float64 {
	n := float64(len(x.rowSq))
	var dot float64
	for i, v := range x.rowSq {
		dot += v * y.rowSq[i]
	}
	return xty - n/(n-2)*dot + x.sqNorm*y.sqNorm/((n-1)*(n-2))
}

// LinearCKA returns linear centered kernel alignment between a ([n, d1]) and b ([n, d2]) in its
// feature-space form, with X, Y the column-centered matrices, accumulated in float64:
//
//	CKA(X, Y) = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)
//
// It is 1 for matrices equal up to rotation and isotropic scaling. Cost O(n d1 d2 + n d1^2 + n d2^2).
// Errors: invalid input, different n, or a matrix with zero variance.
func LinearCKA(a, b *Matrix) (float64, error) {
	if err := checkPair(a, b, false); err != nil {
		return 0, err
	}
	x, y := centerMatrix(a), centerMatrix(b)
	v, ok := linearCKA(x, y, math.Sqrt(crossSq(x, x)), math.Sqrt(crossSq(y, y)))
	if !ok {
		return 0, fmt.Errorf("reduce: CKA undefined: a matrix has zero variance (||X^T X|| = 0)")
	}
	return v, nil
}

func linearCKA(x, y *centered, nx, ny float64) (float64, bool) {
	if nx == 0 || ny == 0 {
		return math.NaN(), false
	}
	return crossSq(x, y) / (nx * ny), true
}

// DebiasedCKA returns linear CKA with the unbiased HSIC estimator (Song et al. 2012; Kornblith et
// al. 2019), computed in feature space on column-centered a ([n, d1]) and b ([n, d2]):
//
//	CKA_u(X, Y) = HSIC_u(X, Y) / sqrt(HSIC_u(X, X) HSIC_u(Y, Y)),
//	HSIC_u(X, Y) ∝ ||X^T Y||_F^2 - n/(n-2) sum_i ||x_i||^2 ||y_i||^2 + ||X||_F^2 ||Y||_F^2 / ((n-1)(n-2)),
//
// which equals the Gram-matrix form with zeroed diagonals. It can be slightly negative. Requires n >= 4.
func DebiasedCKA(a, b *Matrix) (float64, error) {
	if err := checkPair(a, b, false); err != nil {
		return 0, err
	}
	if a.Rows < 4 {
		return 0, fmt.Errorf("reduce: debiased CKA needs at least 4 samples, have %d", a.Rows)
	}
	x, y := centerMatrix(a), centerMatrix(b)
	v, ok := debiasedCKA(x, y, crossSq(x, x), crossSq(y, y))
	if !ok {
		return 0, fmt.Errorf("reduce: debiased CKA undefined: HSIC_u(X, X) or HSIC_u(Y, Y) is not positive")
	}
	return v, nil
}

func debiasedCKA(x, y *centered, xx, yy float64) (float64, bool) {
	hx, hy := debiasedHSIC(xx, x, x), debiasedHSIC(yy, y, y)
	if !(hx > 0) || !(hy > 0) {
		return math.NaN(), false
	}
	return debiasedHSIC(crossSq(x, y), x, y) / math.Sqrt(hx*hy), true
}

// RBFCKA returns CKA with Gaussian kernels K_ij = exp(-||a_i - a_j||^2 / (2 sigma^2)) (L likewise
// for b), with sigma^2 = sigmaFrac^2 * median of the n^2 squared distances (diagonal included, as in
// Kornblith et al. 2019); sigmaFrac 0 means 1:
//
//	CKA = <HKH, HLH>_F / (||HKH||_F ||HLH||_F),  H = I - 11^T/n.
//
// The kernels are never stored: O(n^2 (d1 + d2)) time, O(n^2) bytes (float32 distances for the
// median). a is [n, d1], b is [n, d2].
func RBFCKA(a, b *Matrix, sigmaFrac float64) (float64, error) {
	if err := checkPair(a, b, false); err != nil {
		return 0, err
	}
	if sigmaFrac == 0 {
		sigmaFrac = 1
	}
	if !(sigmaFrac > 0) || math.IsInf(sigmaFrac, 0) {
		return 0, fmt.Errorf("reduce: RBF CKA sigma fraction %v must be positive", sigmaFrac)
	}
	if a.Rows < 2 {
		return 0, fmt.Errorf("reduce: RBF CKA needs at least 2 samples, have %d", a.Rows)
	}
	ma, mb := medianSqDist(a), medianSqDist(b)
	if ma == 0 || mb == 0 {
		return 0, fmt.Errorf("reduce: RBF CKA undefined: median squared distance is 0 (more than half the pairs coincide)")
	}
	ga, gb := -1/(2*sigmaFrac*sigmaFrac*ma), -1/(2*sigmaFrac*sigmaFrac*mb)
	n := a.Rows
	// Per-worker partial sums [kl, kk, ll, rs, rr, ss, sumR, sumS], added in worker order.
	workers := numWorkers(n, 64)
	parts := make([][8]float64, workers)
	parallelChunks(n, workers, func(w, i0, i1 int) {
		krow, lrow := make([]float64, n), make([]float64, n)
		var pkl, pkk, pll, prs, prr, pss, psr, psumS float64
		for i := i0; i < i1; i++ {
			clearUpper()
			sqDistRow(a, i, krow)
			sqDistRow(b, i, lrow)
			var r, s float64
			for j := 0; j < n; j++ {
				if j&63 == 0 {
					clearUpper()
				}
				k := math.Exp(ga * krow[j])
				l := math.Exp(gb * lrow[j])
				pkl += k * l
				pkk += k * k
				pll += l * l
				r += k
				s += l
			}
			prs += r * s
			prr += r * r
			pss += s * s
			psr += r
			psumS += s
		}
		parts[w] = [8]float64{pkl, pkk, pll, prs, prr, pss, psr, psumS}
	})
	var sum [8]float64
	for _, p := range parts {
		for j, v := range p {
			sum[j] += v
		}
	}
	kl, kk, ll, rs, rr, ss, sumR, sumS := sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]
	fn := float64(n)
	hsic := kl - 2/fn*rs + sumR*sumS/(fn*fn)
	nk := kk - 2/fn*rr + sumR*sumR/(fn*fn)
	nl := ll - 2/fn*ss + sumS*sumS/(fn*fn)
	if !(nk > 0) || !(nl > 0) {
		return 0, fmt.Errorf("reduce: RBF CKA undefined: a centered kernel is zero")
	}
	return hsic / math.Sqrt(nk*nl), nil
}

// sqDistRow fills dst[j] = ||x_i - x_j||^2 in float64 for all j.
func sqDistRow(x *Matrix, i int, dst []float64) {
	a := x.Row(i)
	for j := 0; j < x.Rows; j++ {
		if j&63 == 0 {
			clearUpper()
		}
		dst[j] = sqDist64(a, x.Row(j))
	}
}

// medianSqDist returns numpy's median of the full [n, n] squared-distance matrix of x (n zeros on
// the diagonal and every off-diagonal value twice), selecting in the float32 upper triangle.
func medianSqDist(x *Matrix) float64 {
	n := x.Rows
	m := n * (n - 1) / 2
	upper := make([]float32, m)
	// Row i's pairs (i, j > i) start at offset i*n - i*(i+1)/2.
	parallelFor(n, 64, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			clearUpper()
			off := i*n - i*(i+1)/2
			a := x.Row(i)
			for j := i + 1; j < n; j++ {
				if j&63 == 0 {
					clearUpper()
				}
				upper[off+j-i-1] = float32(sqDist64(a, x.Row(j)))
			}
		}
	})
	full := n * n
	at := func(p int) float64 { // the p-th smallest of the full matrix
		if p < n {
			return 0
		}
		return float64(selectKth(upper, (p-n)/2))
	}
	if full%2 == 1 {
		return at(full / 2)
	}
	return (at(full/2-1) + at(full/2)) / 2
}

// selectKth returns the k-th smallest element (0-based) of v (no NaNs), reordering v (quickselect
// with a median-of-three pivot).
func selectKth[T float32 | float64](v []T, k int) T {
	lo, hi := 0, len(v)-1
	for lo < hi {
		// Median-of-three pivot.
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		p := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// CKADistanceSeries returns, for each skip s (nil or empty means DefaultSkips), the series
// out[s][i] = 1 - CKA(E_i, E_{i-s}) over the T snapshots of seq (each [n, d_t], same n), NaN for
// i < s and where CKA is undefined (a snapshot with zero variance). opts selects the CKA kind
// (nil means linear) and a progress callback. Linear and debiased kinds center each snapshot once
// per pair and reuse ||X^T X||_F per snapshot.
func CKADistanceSeries(seq []*Matrix, skips []int, opts *CKAOptions) (map[int][]float64, error) {
	if opts == nil {
		opts = &CKAOptions{}
	}
	if err := ValidateSequence(seq, false); err != nil {
		return nil, err
	}
	skips, err := checkSkips(skips)
	if err != nil {
		return nil, err
	}
	kind := opts.Kind
	if kind == "" {
		kind = LinearKind
	}
	if kind != LinearKind && kind != DebiasedKind && kind != RBFKind {
		return nil, fmt.Errorf("reduce: unknown CKA kind %q (want %q, %q or %q)", string(kind), LinearKind, DebiasedKind, RBFKind)
	}
	if kind == DebiasedKind && seq[0].Rows < 4 {
		return nil, fmt.Errorf("reduce: debiased CKA needs at least 4 samples, have %d", seq[0].Rows)
	}
	T := len(seq)
	out := make(map[int][]float64, len(skips))
	total := 0
	for _, s := range skips {
		series := make([]float64, T)
		for i := range series {
			series[i] = math.NaN()
		}
		out[s] = series
		total += max(0, T-s)
	}
	// Self terms ||X^T X||_F^2 per snapshot, computed lazily.
	self := make([]float64, T)
	have := make([]bool, T)
	var cache map[int]*centered
	getCentered := func(t int) *centered {
		if c, ok := cache[t]; ok {
			return c
		}
		c := centerMatrix(seq[t])
		cache[t] = c
		return c
	}
	selfSq := func(t int, c *centered) float64 {
		if !have[t] {
			self[t] = crossSq(c, c)
			have[t] = true
		}
		return self[t]
	}
	done := 0
	for i := 0; i < T; i++ {
		// Keep only snapshot i and its partners i-s in the cache.
		cache = map[int]*centered{}
		for _, s := range skips {
			if i < s {
				continue
			}
			var v float64
			ok := true
			switch kind {
			case RBFKind:
				v, err = RBFCKA(seq[i], seq[i-s], opts.SigmaFrac)
				if err != nil {
					v, ok = math.NaN(), false
				}
			case LinearKind:
				x, y := getCentered(i), getCentered(i-s)
				v, ok = linearCKA(x, y, math.Sqrt(selfSq(i, x)), math.Sqrt(selfSq(i-s, y)))
			case DebiasedKind:
				x, y := getCentered(i), getCentered(i-s)
				v, ok = debiasedCKA(x, y, selfSq(i, x), selfSq(i-s, y))
			}
			if ok {
				out[s][i] = 1 - v
			}
			done++
			reportProgress(opts.Progress, done, total, "cka")
		}
	}
	return out, nil
}
