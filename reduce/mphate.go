package reduce

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Normalizations of MPHATEOptions.
const (
	// MPHATENormItems z-scores each item's feature vector within its snapshot (mean 0, standard
	// deviation 1 over its features), as the m-phate package (m_phate.utils.normalize).
	MPHATENormItems = "items"
	// MPHATENormSlice centers each snapshot's columns and scales it to unit RMS row norm.
	MPHATENormSlice = "slice"
	// MPHATENormNone uses the features as they are.
	MPHATENormNone = "none"
)

// MPHATEOptions are the parameters of MPHATE. The zero value (or nil) gives the defaults of the
// reference implementation (m_phate.M_PHATE of scottgigante/m-phate 0.1.6 with PHATE 1.0 and
// graphtools 1.5), except the number of landmarks (see Landmarks).
type MPHATEOptions struct {
	// Mode is "samples" (default, ""): seq[t] is [n, d] and its rows (evaluation samples) are the
	// items, giving an animation of the embedding space whose frames move as the samples move; or
	// "units" (the paper's): seq[t] is [nTrace, nUnits], the activations of nUnits hidden units on a
	// fixed trace set of nTrace inputs, and the items are the units (columns), each described by its
	// activation vector.
	Mode string
	// Normalize is how each snapshot's items are scaled before the kernels: MPHATENormItems (the
	// reference's, default) z-scores every item's feature vector; MPHATENormSlice centers and scales
	// the snapshot as a whole; MPHATENormNone keeps the features. "" means MPHATENormItems, except in
	// samples mode with fewer than 4 features (a 2-D or 3-D bottleneck, e.g. a color run) where
	// z-scoring each point's 2 or 3 coordinates would leave it 0 or 1 degree of freedom (every point
	// on a circle or at ±1): there "" means MPHATENormSlice.
	Normalize string
	// KNN is the intraslice k: the adaptive bandwidth sigma_t(i) is the distance from item i to its
	// KNN-th nearest other item in the same snapshot. 0 means 2 (intraslice_knn of the reference).
	KNN int
	// Decay is alpha of the intraslice alpha-decay kernel exp(-(d/sigma)^alpha). 0 means 5.
	Decay float64
	// IntersliceKNN sets the interslice bandwidth when IntersliceBandwidth is 0: the mean over items
	// of the median over snapshots of the distance to the IntersliceKNN-th nearest other snapshot of
	// the same item (capped at T-1). 0 means 25 (the reference's, which needs T > 25) when there
	// are more than 25 snapshots, else round(0.86 (T-1)) (the share of the other snapshots that 25
	// is of 29): a bandwidth taken from the farthest snapshot would link all snapshots alike and
	// stack the frames on each other.
	IntersliceKNN int
	// IntersliceBandwidth, if positive, is the fixed bandwidth eps of the interslice kernel
	// exp(-(||x_t(i) - x_s(i)|| / eps)^2).
	IntersliceBandwidth float64
	// NPCA: when the items have more features, the normalized items of all snapshots are projected
	// on their top NPCA principal axes before the kernels (n_pca of the reference). 0 means 100;
	// negative means never.
	NPCA int
	// Landmarks is the number of landmarks the diffusion is computed on (spectral clusters of the
	// multislice graph, as graphtools' LandmarkGraph). 0 means automatic: none (exact diffusion on
	// all T*n vertices) when T*n <= 1000, else 1000 (the reference uses 4000; the landmark operator's
	// powers and the metric MDS cost O(Landmarks^3) and O(Landmarks^2) per iteration; on a real
	// 30 × 300 CNN tensor, testdata/mphate_cnn30.npy, our layout with 1000 landmarks agrees with the
	// reference's at 4000 at Spearman 0.97-0.98, Procrustes disparity 0.04-0.05 for seeds 0, 1
	// and 2, the reference's seed 1 with its seed 0 at 0.99 / 0.02; the reference at 1000
	// landmarks agrees with itself at 4000 at 0.99 / 0.01).
	// Negative means never use landmarks.
	Landmarks int
	// T is the diffusion time. 0 means automatic: the knee of the von Neumann entropy of the
	// diffusion operator's singular values (PHATE's t = "auto").
	T int
	// Gamma selects the potential of P^t: 1 the log potential -log(P^t + 1e-7); -1 the raw P^t;
	// otherwise (P^t)^c / c with c = (1 - Gamma)/2. nil means 0 (the reference's: the square root
	// potential). Use reduce.Float(1) for PHATE's log potential.
	Gamma *float64
	// NComponents is the output dimension. 0 means 2.
	NComponents int
	// Seed drives the landmark clustering and the MDS.
	Seed int64
	// Progress, if not nil, is called with the stages "mphate kernel", "mphate landmarks",
	// "mphate diffusion" and "mphate mds".
	Progress Progress
}

// MPHATEResult holds MPHATE's frames and the choices it made.
type MPHATEResult struct {
	Frames    []*Matrix // T frames [n, NComponents] (samples) or [nUnits, NComponents] (units)
	T         int       // diffusion time used (the automatic choice when MPHATEOptions.T == 0)
	Landmarks int       // number of landmarks used (0: exact diffusion on all T*n points)
	Normalize string    // the normalization used
	Entropy   []float64 // von Neumann entropy for t = 0..len(Entropy)-1 (nil when T was given)
	// KernelEntries is the number of stored entries of the multislice kernel ([T*n, T*n] in
	// samples mode, diagonal included): intraslice entries grow with how much of a snapshot the
	// alpha-decay kernel's radius covers, interslice ones with T.
	KernelEntries int
}

// MPHATE embeds a sequence of snapshots with M-PHATE (Gigante, Charles, Krishnaswamy & Mishne,
// NeurIPS 2019) and returns one [n, 2] frame per snapshot in a shared coordinate system. See
// MPHATEFit for the method.
func MPHATE(seq []*Matrix, opts *MPHATEOptions) ([]*Matrix, error) {
	r, err := MPHATEFit(seq, opts)
	if err != nil {
		return nil, err
	}
	return r.Frames, nil
}

// MPHATEFit runs M-PHATE and returns the frames with the diffusion time and landmarks used. It
// follows the reference implementation (m_phate.M_PHATE().fit_transform on the [T, n, d] tensor):
//
//   - items: the rows of seq[t] ([n, d], samples mode) or its columns ([nTrace, nUnits], units
//     mode), normalized per snapshot (Normalize; by default each item's vector z-scored) and, with
//     more than NPCA features, projected on the top NPCA principal axes of all snapshots together;
//   - the multislice graph has N = T*n vertices (t, i), slice-major. Intraslice:
//     K((t,i),(t,j)) = (k_t(i,j) + k_t(j,i))/2, k_t(i,j) = exp(-(||x_t(i)-x_t(j)||/sigma_t(i))^alpha),
//     sigma_t(i) the distance to the KNN-th other item, entries below 1e-4 dropped (graphtools'
//     kNNGraph). Interslice: K((t,i),(s,i)) = exp(-(||x_t(i)-x_s(i)|| / eps)^2) for s != t, eps
//     fixed (IntersliceBandwidth, or the IntersliceKNN rule); entries of the assembled kernel
//     below 1e-4 are dropped (graphtools' TraditionalGraph on the precomputed affinity);
//   - the diffusion operator P = D^-1 K, or with landmarks graphtools' landmark operator
//     P_mn P_nm: vertices clustered by k-means on P V (V the top 100 singular vectors of
//     D^-1/2 K D^-1/2), C[c, j] = sum_{i in c} K[i, j], P_mn = C row-normalized, P_nm = Cᵀ
//     row-normalized;
//   - t: the knee of the von Neumann entropy of P's singular values over t = 0..99 (PHATE's
//     find_knee_point index); the potential of P^t (Gamma); Euclidean distances between potential
//     rows; classical MDS (PHATE's: top principal components of the double-centered squared
//     distances) refined by SMACOF metric MDS (scikit-learn's stopping rule, at most 3000
//     iterations), re-oriented onto the classical solution as PHATE does
//     (scipy.spatial.procrustes: centered, unit Frobenius norm times the Procrustes scale);
//     landmark coordinates are carried to all vertices by P_nm.
func MPHATEFit(seq []*Matrix, opts *MPHATEOptions) (*MPHATEResult, error) {
	if opts == nil {
		opts = &MPHATEOptions{}
	}
	if err := ValidateSequence(seq, true); err != nil {
		return nil, fmt.Errorf("reduce: MPHATE: %w", err)
	}
	o := *opts
	var items []*Matrix
	switch o.Mode {
	case "", "samples":
		o.Mode = "samples"
		items = seq
	case "units":
		for _, m := range seq {
			items = append(items, transpose(m))
		}
	default:
		return nil, fmt.Errorf("reduce: MPHATE: unknown mode %q (want \"samples\" or \"units\")", o.Mode)
	}
	switch o.Normalize {
	case "":
		o.Normalize = MPHATENormItems
		if o.Mode == "samples" && items[0].Cols < 4 {
			o.Normalize = MPHATENormSlice
		}
	case MPHATENormItems, MPHATENormSlice, MPHATENormNone:
	default:
		return nil, fmt.Errorf("reduce: MPHATE: unknown normalization %q (want %q, %q or %q)", o.Normalize, MPHATENormItems, MPHATENormSlice, MPHATENormNone)
	}
	T, n := len(items), items[0].Rows
	if o.KNN == 0 {
		o.KNN = 2
	}
	if o.KNN < 1 || o.KNN > n-1 {
		return nil, fmt.Errorf("reduce: MPHATE: knn = %d needs 1 <= knn <= items-1 = %d (%s mode has %d items per snapshot)", o.KNN, n-1, o.Mode, n)
	}
	if o.Decay == 0 {
		o.Decay = 5
	}
	if bad(o.Decay) || o.Decay <= 0 {
		return nil, fmt.Errorf("reduce: MPHATE: decay = %v must be positive", o.Decay)
	}
	if o.IntersliceKNN == 0 {
		o.IntersliceKNN = 25
		if T <= 25 {
			// The reference refuses fewer than 26 snapshots. Capping 25 at T-1 would take the
			// bandwidth from the farthest snapshot, which links every snapshot strongly to every
			// other and stacks the frames on each other; use the share of the other snapshots that
			// 25 is in a 30-snapshot run instead.
			o.IntersliceKNN = max(1, int(math.Round(0.86*float64(T-1))))
		}
	}
	if o.IntersliceKNN < 1 {
		return nil, fmt.Errorf("reduce: MPHATE: interslice knn = %d must be positive", o.IntersliceKNN)
	}
	if bad(o.IntersliceBandwidth) || o.IntersliceBandwidth < 0 {
		return nil, fmt.Errorf("reduce: MPHATE: interslice bandwidth = %v must be positive (or 0 for automatic)", o.IntersliceBandwidth)
	}
	if o.NPCA == 0 {
		o.NPCA = 100
	}
	if o.T < 0 {
		return nil, fmt.Errorf("reduce: MPHATE: t = %d cannot be negative", o.T)
	}
	gamma := 0.0
	if o.Gamma != nil {
		gamma = *o.Gamma
	}
	if bad(gamma) || gamma < -1 || gamma > 1 {
		return nil, fmt.Errorf("reduce: MPHATE: gamma = %v must be in [-1, 1]", gamma)
	}
	if o.NComponents == 0 {
		o.NComponents = 2
	}
	N := T * n
	if o.NComponents < 1 || o.NComponents >= N {
		return nil, fmt.Errorf("reduce: MPHATE: n_components = %d must be in [1, %d)", o.NComponents, N)
	}
	landmarks := o.Landmarks
	if landmarks == 0 && N > 1000 {
		landmarks = 1000
	}
	if landmarks < 0 || landmarks >= N {
		landmarks = 0
	}
	if landmarks > 0 && landmarks <= o.NComponents+1 {
		return nil, fmt.Errorf("reduce: MPHATE: %d landmarks are too few for %d components", landmarks, o.NComponents)
	}

	reportProgress(o.Progress, 0, 2, "mphate kernel")
	pts := make([]*Matrix, T)
	for t, m := range items {
		pts[t] = mphateNormalize(m, o.Normalize)
	}
	if o.NPCA > 0 && pts[0].Cols > o.NPCA {
		var err error
		if pts, err = mphatePCA(pts, o.NPCA); err != nil {
			return nil, err
		}
	}
	K, err := mphateKernel(pts, o.KNN, o.Decay, o.IntersliceKNN, o.IntersliceBandwidth)
	if err != nil {
		return nil, err
	}
	reportProgress(o.Progress, 2, 2, "mphate kernel")
	deg := make([]float64, N)
	for i := 0; i < N; i++ {
		for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
			deg[i] += float64(K.Val[p])
		}
	}
	// The diffusion operator P ([M, M], row-stochastic) and the transitions from vertices to
	// landmarks (nil: identity).
	var P *mat.Dense
	var trans *Graph
	if landmarks == 0 {
		P = mat.NewDense(N, N, nil)
		for i := 0; i < N; i++ {
			for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
				P.Set(i, int(K.Col[p]), float64(K.Val[p])/deg[i])
			}
		}
	} else {
		reportProgress(o.Progress, 0, 1, "mphate landmarks")
		labels, L, err := mphateSpectralLandmarks(K, deg, T, landmarks, o.Seed)
		if err != nil {
			return nil, err
		}
		P, trans = mphateLandmarkOperator(K, deg, labels, L)
		landmarks = L
		reportProgress(o.Progress, 1, 1, "mphate landmarks")
	}
	M, _ := P.Dims()
	reportProgress(o.Progress, 0, 1, "mphate diffusion")
	res := &MPHATEResult{Landmarks: landmarks, T: o.T, Normalize: o.Normalize, KernelEntries: len(K.Val)}
	if res.T == 0 {
		var svd mat.SVD
		if !svd.Factorize(P, mat.SVDNone) {
			return nil, fmt.Errorf("reduce: MPHATE: singular values of the %d x %d diffusion operator failed", M, M)
		}
		res.Entropy = vonNeumannEntropy(svd.Values(nil), 100)
		res.T = max(1, findKnee(res.Entropy))
	}
	pt := matPow(P, res.T)
	pot := mat.NewDense(M, M, nil)
	for i := 0; i < M; i++ {
		for j := 0; j < M; j++ {
			v := math.Max(0, pt.At(i, j))
			switch {
			case gamma == 1:
				v = -math.Log(v + 1e-7)
			case gamma == -1:
			default:
				c := (1 - gamma) / 2
				v = math.Pow(v, c) / c
			}
			pot.Set(i, j, v)
		}
	}
	reportProgress(o.Progress, 1, 1, "mphate diffusion")
	// Potential distances.
	gram := mat.NewDense(M, M, nil)
	mphateGEMM(gram.RawMatrix().Data, pot.RawMatrix().Data, mat.DenseCopyOf(pot.T()).RawMatrix().Data, M, M, M)
	dist := mat.NewSymDense(M, nil)
	for i := 0; i < M; i++ {
		for j := i + 1; j < M; j++ {
			dist.SetSym(i, j, math.Sqrt(math.Max(0, gram.At(i, i)+gram.At(j, j)-2*gram.At(i, j))))
		}
	}
	reportProgress(o.Progress, 0, 1, "mphate mds")
	y, err := metricMDS(dist, o.NComponents, o.Seed)
	if err != nil {
		return nil, err
	}
	reportProgress(o.Progress, 1, 1, "mphate mds")
	k := o.NComponents
	full := y
	if trans != nil {
		full = make([]float64, N*k)
		for i := 0; i < N; i++ {
			for p := trans.RowPtr[i]; p < trans.RowPtr[i+1]; p++ {
				c, w := int(trans.Col[p]), float64(trans.Val[p])
				for d := 0; d < k; d++ {
					full[i*k+d] += w * y[c*k+d]
				}
			}
		}
	}
	for t := 0; t < T; t++ {
		f := NewMatrix(n, k)
		for i := range f.Data {
			f.Data[i] = float32(full[t*n*k+i])
		}
		res.Frames = append(res.Frames, f)
	}
	return res, nil
}

// transpose returns mᵀ.
func transpose(m *Matrix) *Matrix {
	out := NewMatrix(m.Cols, m.Rows)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			out.Data[j*m.Rows+i] = v
		}
	}
	return out
}

// mphateNormalize returns m ([items, features]) normalized by mode (MPHATENorm*).
func mphateNormalize(m *Matrix, mode string) *Matrix {
	switch mode {
	case MPHATENormItems:
		return mphateZScoreItems(m)
	case MPHATENormSlice:
		return mphateScaleSnapshot(m)
	}
	return m
}

// mphatePCA projects the rows of all snapshots together on their top k principal axes.
func mphatePCA(pts []*Matrix, k int) ([]*Matrix, error) {
	n, d := pts[0].Rows, pts[0].Cols
	all := NewMatrix(len(pts)*n, d)
	for t, m := range pts {
		copy(all.Data[t*n*d:], m.Data)
	}
	proj, err := PCAProject(all, k)
	if err != nil {
		return nil, fmt.Errorf("reduce: MPHATE: PCA to %d dimensions: %w", k, err)
	}
	out := make([]*Matrix, len(pts))
	for t := range pts {
		out[t] = &Matrix{Rows: n, Cols: k, Data: proj.Data[t*n*k : (t+1)*n*k]}
	}
	return out, nil
}

// matPow returns p^t (t >= 1, p square) by repeated squaring (numpy's matrix_power), the
// products by mphateGEMM.
func matPow(p *mat.Dense, t int) *mat.Dense {
	M, _ := p.Dims()
	mul := func(a, b *mat.Dense) *mat.Dense {
		c := mat.NewDense(M, M, nil)
		mphateGEMM(c.RawMatrix().Data, a.RawMatrix().Data, b.RawMatrix().Data, M, M, M)
		return c
	}
	var result *mat.Dense
	base := mat.DenseCopyOf(p)
	for t > 0 {
		if t&1 == 1 {
			if result == nil {
				result = mat.DenseCopyOf(base)
			} else {
				result = mul(result, base)
			}
		}
		t >>= 1
		if t > 0 {
			base = mul(base, base)
		}
	}
	return result
}

// mphateScaleSnapshot centers m's columns and scales it to unit RMS row norm (samples mode).
func mphateScaleSnapshot(m *Matrix) *Matrix {
	n, d := m.Rows, m.Cols
	out := NewMatrix(n, d)
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range m.Row(i) {
			mean[j] += float64(v)
		}
	}
	var ss float64
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j, v := range m.Row(i) {
			c := float64(v) - mean[j]
			ss += c * c
		}
	}
	s := 1.0
	if ss > 0 {
		s = 1 / math.Sqrt(ss/float64(n))
	}
	for i := 0; i < n; i++ {
		for j, v := range m.Row(i) {
			out.Data[i*d+j] = float32((float64(v) - mean[j]) * s)
		}
	}
	return out
}

// mphateZScoreItems returns m ([items, features]) with each item's row standardized to mean 0 and
// standard deviation 1 over its features (a constant row becomes 0), as m_phate.utils.normalize.
func mphateZScoreItems(m *Matrix) *Matrix {
	n, d := m.Rows, m.Cols
	out := NewMatrix(n, d)
	for i := 0; i < n; i++ {
		row := m.Row(i)
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mean := s / float64(d)
		var ss float64
		for _, v := range row {
			c := float64(v) - mean
			ss += c * c
		}
		sd := math.Sqrt(ss / float64(d))
		inv := 1.0
		if sd > 0 {
			inv = 1 / sd
		}
		dst := out.Row(i)
		for j, v := range row {
			dst[j] = float32((float64(v) - mean) * inv)
		}
	}
	return out
}

// vonNeumannEntropy returns H(t) for t = 1..tMax: H(t) = -sum_i p_i log p_i with
// p_i = |lambda_i|^t / sum_j |lambda_j|^t (PHATE adds machine epsilon to p).
func vonNeumannEntropy(lam []float64, tMax int) []float64 {
	abs := make([]float64, len(lam))
	for i, v := range lam {
		abs[i] = math.Abs(v)
	}
	pw := append([]float64(nil), abs...)
	out := make([]float64, tMax)
	for t := 0; t < tMax; t++ {
		var s float64
		for _, v := range pw {
			s += v
		}
		var h float64
		for _, v := range pw {
			p := v/s + 2.220446049250313e-16
			h -= p * math.Log(p)
		}
		out[t] = h
		for i := range pw {
			pw[i] *= abs[i]
		}
	}
	return out
}

// findKnee returns the index of the knee of y (PHATE's find_knee_point): the breakpoint b in
// [1, len-2] minimizing the summed absolute residuals of a least-squares line through y[0..b] and
// another through y[b..end], x being the index.
func findKnee(y []float64) int {
	n := len(y)
	if n < 3 {
		return 0
	}
	fit := func(lo, hi int) (m, b float64) { // least squares on [lo, hi]
		var sx, sy, sxx, sxy float64
		c := float64(hi - lo + 1)
		for i := lo; i <= hi; i++ {
			x := float64(i)
			sx += x
			sy += y[i]
			sxx += x * x
			sxy += x * y[i]
		}
		det := c*sxx - sx*sx
		if det == 0 {
			return 0, sy / c
		}
		m = (c*sxy - sx*sy) / det
		return m, (sy - m*sx) / c
	}
	best, bestErr := 1, math.Inf(1)
	for bp := 1; bp < n-1; bp++ {
		m1, b1 := fit(0, bp)
		m2, b2 := fit(bp, n-1)
		var e float64
		for i := 0; i <= bp; i++ {
			e += math.Abs(m1*float64(i) + b1 - y[i])
		}
		for i := bp; i < n; i++ {
			e += math.Abs(m2*float64(i) + b2 - y[i])
		}
		if e < bestErr {
			best, bestErr = bp, e
		}
	}
	return best
}

// metricMDS embeds the symmetric distance matrix dist ([M, M]) in k dimensions as PHATE's
// embed_MDS(how="metric", solver="smacof"): classical MDS (PHATE's: the top-k principal components
// U S of the double-centered squared distances J D² J, i.e. the top eigenvectors of
// B = -1/2 J D² J scaled by 2 lambda), refined by SMACOF (scikit-learn's smacof with that
// initialization: at most 3000 Guttman transforms, stopping when the stress per unit of
// configuration norm decreases by less than 1e-6), then re-oriented onto the classical solution
// as PHATE does (procrustesOnto: scipy.spatial.procrustes's centered, unit-norm, rotated and
// scaled second output). Returns [M, k] row-major.
func metricMDS(dist *mat.SymDense, k int, seed int64) ([]float64, error) {
	M := dist.SymmetricDim()
	// Double centering of squared distances.
	b := mat.NewSymDense(M, nil)
	rowMean := make([]float64, M)
	var all float64
	for i := 0; i < M; i++ {
		for j := 0; j < M; j++ {
			v := dist.At(i, j)
			rowMean[i] += v * v
		}
		all += rowMean[i]
		rowMean[i] /= float64(M)
	}
	all /= float64(M * M)
	for i := 0; i < M; i++ {
		for j := i; j < M; j++ {
			v := dist.At(i, j)
			b.SetSym(i, j, -0.5*(v*v-rowMean[i]-rowMean[j]+all))
		}
	}
	y := make([]float64, M*k)
	if M <= k+1 {
		for i := 0; i < M && i < k; i++ {
			y[i*k+i] = 1
		}
	} else {
		matvec := func(dst, src []float64) {
			for i := 0; i < M; i++ {
				var s float64
				for j := 0; j < M; j++ {
					s += b.At(i, j) * src[j]
				}
				dst[i] = s
			}
		}
		var vals []float64
		var vecs [][]float64
		var err error
		if M <= 400 {
			var es mat.EigenSym
			if !es.Factorize(b, true) {
				return nil, fmt.Errorf("reduce: MDS: eigendecomposition failed")
			}
			ev := es.Values(nil)
			var V mat.Dense
			es.VectorsTo(&V)
			for c := M - 1; c >= M-k; c-- {
				vals = append(vals, ev[c])
				v := make([]float64, M)
				mat.Col(v, c, &V)
				vecs = append(vecs, v)
			}
		} else {
			vals, vecs, err = lanczosLargest(M, matvec, k, nil, seed)
			if err != nil {
				return nil, err
			}
		}
		for c := 0; c < k; c++ {
			s := 2 * math.Abs(vals[c])
			for i := 0; i < M; i++ {
				y[i*k+c] = vecs[c][i] * s
			}
		}
	}
	classic := append([]float64(nil), y...)
	smacof(dist, y, k, 3000, 1e-6)
	procrustesOnto(y, classic, M, k)
	return y, nil
}

// smacofRowGeneric is smacofRow's portable version: for the point yi ([k]) and its target
// distances di ([M]) to all points (cols: the configuration by columns, [k, M]) it sets
// sum[c] = sum_j r_j y_j[c] and returns diag = sum_j r_j and the stress sum_j (dd_j - di[j])^2,
// with dd_j = ||yi - y_j|| and r_j = di[j] / dd_j (dd_j = 0 counted as 1e-5, scikit-learn's guard,
// so the point itself, di = 0, adds nothing).
func smacofRowGeneric(cols, di, yi, sum []float64) (diag, stress float64) {
	M, k := len(di), len(yi)
	clear(sum)
	for j := 0; j < M; j++ {
		var dd float64
		for c := 0; c < k; c++ {
			v := yi[c] - cols[c*M+j]
			dd += v * v
		}
		dd = math.Sqrt(dd)
		e := dd - di[j]
		stress += e * e
		if dd == 0 {
			dd = 1e-5
		}
		r := di[j] / dd
		diag += r
		for c := 0; c < k; c++ {
			sum[c] += r * cols[c*M+j]
		}
	}
	return diag, stress
}

// procrustesOnto replaces y ([M, k]) by the second output of PHATE's re-orientation,
// scipy.spatial.procrustes(ref, y): both configurations centered and scaled to unit Frobenius
// norm, then y rotated by the orthogonal Q (reflections allowed) minimizing ||y Q - ref||_F and
// multiplied by the sum of the singular values of yᵀ ref (≤ 1), so the layout has ref's
// orientation, centre 0 and the reference implementation's scale.
func procrustesOnto(y, ref []float64, M, k int) {
	center := func(x []float64) []float64 {
		out := slices.Clone(x)
		for c := 0; c < k; c++ {
			var m float64
			for i := 0; i < M; i++ {
				m += x[i*k+c]
			}
			m /= float64(M)
			for i := 0; i < M; i++ {
				out[i*k+c] -= m
			}
		}
		var ss float64
		for _, v := range out {
			ss += v * v
		}
		if ss > 0 {
			inv := 1 / math.Sqrt(ss)
			for i := range out {
				out[i] *= inv
			}
		}
		return out
	}
	yn, rn := center(y), center(ref)
	cross := mat.NewDense(k, k, nil)
	for i := 0; i < M; i++ {
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				cross.Set(a, b, cross.At(a, b)+yn[i*k+a]*rn[i*k+b])
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(cross, mat.SVDFull) {
		copy(y, yn)
		return
	}
	var scale float64
	for _, v := range svd.Values(nil) {
		scale += v
	}
	var u, v, q mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	q.Mul(&u, v.T())
	for i := 0; i < M; i++ {
		for b := 0; b < k; b++ {
			var s float64
			for a := 0; a < k; a++ {
				s += yn[i*k+a] * q.At(a, b)
			}
			y[i*k+b] = s * scale
		}
	}
}

// smacof refines the [M, k] configuration y in place to reduce the raw stress
// sigma = sum_{i<j} (||y_i - y_j|| - dist_ij)^2 by Guttman transforms y <- (1/M) B(y) y, as
// scikit-learn's smacof (metric): it stops when sigma / sum_i ||y_i|| (the norm taken after the
// transform) decreases by less than eps, or after maxIter transforms.
func smacof(dist *mat.SymDense, y []float64, k, maxIter int, eps float64) {
	M := dist.SymmetricDim()
	dflat := make([]float64, M*M)
	for i := 0; i < M; i++ {
		for j := 0; j < M; j++ {
			dflat[i*M+j] = dist.At(i, j)
		}
	}
	next := make([]float64, M*k)
	rowStress := make([]float64, M)
	cols := make([]float64, k*M) // y by columns ([k, M]), for the row kernel
	prev := math.Inf(1)
	for it := 0; it < maxIter; it++ {
		for i := 0; i < M; i++ {
			for c := 0; c < k; c++ {
				cols[c*M+i] = y[i*k+c]
			}
		}
		// Rows in parallel; the stress per row, summed in row order (independent of the workers).
		parallelFor(M, 8, func(i0, i1 int) {
			sum := make([]float64, k)
			for i := i0; i < i1; i++ {
				diag, st := smacofRow(cols, dflat[i*M:(i+1)*M], y[i*k:(i+1)*k], sum)
				for c := range sum {
					next[i*k+c] = (diag*y[i*k+c] - sum[c]) / float64(M)
				}
				rowStress[i] = st / 2 // each pair is in two rows
			}
		})
		stress := 0.0
		for _, v := range rowStress {
			stress += v
		}
		copy(y, next)
		var norm float64
		for i := 0; i < M; i++ {
			var s float64
			for _, v := range y[i*k : (i+1)*k] {
				s += v * v
			}
			norm += math.Sqrt(s)
		}
		if norm > 0 {
			stress /= norm
		}
		if prev-stress < eps {
			break
		}
		prev = stress
	}
}
