package reduce

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sort"

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
//     iterations) and rotated onto the classical solution; landmark coordinates are carried to all
//     vertices by P_nm.
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
	var gram mat.Dense
	gram.Mul(pot, pot.T())
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

// matPow returns p^t (t >= 1) by repeated squaring (numpy's matrix_power).
func matPow(p *mat.Dense, t int) *mat.Dense {
	var result *mat.Dense
	base := mat.DenseCopyOf(p)
	for t > 0 {
		if t&1 == 1 {
			if result == nil {
				result = mat.DenseCopyOf(base)
			} else {
				var r mat.Dense
				r.Mul(result, base)
				result = &r
			}
		}
		t >>= 1
		if t > 0 {
			var b mat.Dense
			b.Mul(base, base)
			base = &b
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
	intra := &mphateSplit{ptr: make([]int32, N+1)}
	inter := &mphateSplit{ptr: make([]int32, N+1)}
	for i := 0; i < N; i++ {
		si := i / items
		nIntra := int32(0)
		for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
			if int(K.Col[p])/items == si {
				nIntra++
			}
		}
		intra.ptr[i+1] = intra.ptr[i] + nIntra
		inter.ptr[i+1] = inter.ptr[i] + (K.RowPtr[i+1] - K.RowPtr[i] - nIntra)
	}
	intra.alloc()
	inter.alloc()
	parallelRanges(N, 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			si := i / items
			a, b := intra.ptr[i], inter.ptr[i]
			for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
				j := int(K.Col[p])
				w := float64(K.Val[p])
				av, rv := float32(w*isq[i]*isq[j]), float32(w/deg[i])
				if sj := j / items; sj == si {
					intra.col[a], intra.aff[a], intra.rw[a] = int32(j), av, rv
					a++
				} else {
					inter.col[b], inter.aff[b], inter.rw[b] = int32(sj), av, rv
					b++
				}
			}
		}
	})
	src32 := make([]float32, N*q)
	// mul sets dst = S src for S = A (rw false) or P (rw true) (src, dst [N, q] row-major): the
	// intraslice entries row by row, then the interslice ones item by item from the item's T rows
	// of src gathered (read once, instead of once per entry from T places far apart).
	mul := func(dst, src []float64, rw bool) {
		parallelFor(N, 4096, func(lo, hi int) {
			for i, v := range src[lo*q : hi*q] {
				src32[lo*q+i] = float32(v)
			}
		})
		parallelRanges(N, 512, func(lo, hi int) {
			out := make([]float32, q)
			for i := lo; i < hi; i++ {
				p0, p1 := intra.ptr[i], intra.ptr[i+1]
				mphateSpRow32(out, intra.vals(rw)[p0:p1], intra.col[p0:p1], src32)
				for c, v := range out {
					dst[i*q+c] = float64(v)
				}
			}
		})
		if len(inter.col) == 0 {
			return
		}
		parallelRanges(items, 64, func(lo, hi int) {
			out := make([]float32, q)
			xi := make([]float32, slices*q)
			for it := lo; it < hi; it++ {
				for t := 0; t < slices; t++ {
					copy(xi[t*q:(t+1)*q], src32[(t*items+it)*q:(t*items+it+1)*q])
				}
				for t := 0; t < slices; t++ {
					i := t*items + it
					p0, p1 := inter.ptr[i], inter.ptr[i+1]
					if p0 == p1 {
						continue
					}
					mphateSpRow32(out, inter.vals(rw)[p0:p1], inter.col[p0:p1], xi)
					for c, v := range out {
						dst[i*q+c] += float64(v)
					}
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1a2d))
	Q := make([]float64, N*q)
	for i := range Q {
		Q[i] = rng.NormFloat64()
	}
	tmp := make([]float64, N*q)
	// orth orthonormalizes the q columns of x ([N, q] row-major) in place by Cholesky QR, passes
	// times (x <- x R^-1 with RᵀR = xᵀx; twice is as accurate as Householder QR for
	// well-conditioned blocks, and keeps Q thin where mat.QR.QTo would form the full N × N Q).
	// The Gram matrix and x R^-1 run on mphateGramAdd and mphateMulUpper (AVX2/FMA tiles).
	orth := func(x []float64, passes int) error {
		const block = 8192 // rows per unit of parallel work (a few ms)
		for pass := 0; pass < passes; pass++ {
			// xᵀx from row blocks in parallel, summed in block order.
			parts := make([][]float64, (N+block-1)/block)
			parallelRanges(N, block, func(lo, hi int) {
				g := make([]float64, q*q)
				mphateGramAdd(g, x[lo*q:hi*q], q)
				parts[lo/block] = g
			})
			g := mat.NewSymDense(q, nil)
			for a := 0; a < q; a++ {
				for b := a; b < q; b++ {
					var v float64
					for _, p := range parts {
						if p != nil {
							v += p[a*q+b]
						}
					}
					g.SetSym(a, b, v)
				}
			}
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
		mul(tmp, Q, false)
		mul(Q, tmp, false)
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
	mul(tmp, Q, false)
	var bd mat.Dense
	bd.Mul(mat.NewDense(N, q, Q).T(), mat.NewDense(N, q, tmp))
	B := mat.NewSymDense(q, nil)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			B.SetSym(a, b, bd.At(a, b))
		}
	}
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
	Wk := mat.NewDense(q, q, nil) // columns 0..k-1: W's columns by decreasing |eigenvalue|
	for c := 0; c < k; c++ {
		for a := 0; a < q; a++ {
			Wk.Set(a, c, W.At(a, order[c]))
		}
	}
	V := make([]float64, N*q) // columns 0..k-1 used
	mat.NewDense(N, q, V).Mul(mat.NewDense(N, q, Q), Wk)
	mul(tmp, V, true) // P V
	feat := NewMatrix(N, k)
	for i := 0; i < N; i++ {
		for c := 0; c < k; c++ {
			feat.Data[i*k+c] = float32(tmp[i*q+c])
		}
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
	counts := make([]int, L)
	nSteps := 100 * N / bs
	alpha := min(1, 2*float64(bs)/float64(N+1))
	var ewa, ewaMin float64
	noImprovement, sinceReassign := 0, 0
	for step := 0; step < nSteps; step++ {
		for r := 0; r < bs; r++ {
			copy(batch.Row(r), x.Row(rng.IntN(N)))
		}
		for i := range labels {
			labels[i] = -1
		}
		assign(batch, rowSqNorms(batch.Data, bs, d), centers, L, labels, dist2)
		var inertia float64
		for _, v := range dist2 {
			inertia += float64(v)
		}
		inertia /= float64(bs)
		clear(sums)
		clear(counts)
		for r := 0; r < bs; r++ {
			c := int(labels[r])
			counts[c]++
			s := sums[c*d : (c+1)*d]
			for j, v := range batch.Row(r) {
				s[j] += float64(v)
			}
		}
		zero := false
		for c := 0; c < L; c++ {
			if counts[c] > 0 {
				w := weight[c] + float64(counts[c])
				for j := 0; j < d; j++ {
					centers[c*d+j] = float32((float64(centers[c*d+j])*weight[c] + sums[c*d+j]) / w)
				}
				weight[c] = w
			}
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
	count := make([]int32, L+1)
	for j, e := range cols {
		trans.RowPtr[j+1] = trans.RowPtr[j] + int32(len(e))
		for _, x := range e {
			dm[x.c] += x.v
			count[x.c+1]++
		}
	}
	trans.Col, trans.Val = make([]int32, trans.RowPtr[N]), make([]float32, trans.RowPtr[N])
	// byCluster lists, for every cluster a, the vertices j with C[a, j] > 0 in increasing order.
	for a := 0; a < L; a++ {
		count[a+1] += count[a]
	}
	// and cva the matching C[a, j].
	byCluster := make([]int32, count[L])
	cva := make([]float64, count[L])
	next := slices.Clone(count[:L])
	for j, e := range cols {
		p := trans.RowPtr[j]
		for k, x := range e {
			trans.Col[int(p)+k], trans.Val[int(p)+k] = x.c, float32(x.v/deg[j])
			byCluster[next[x.c]], cva[next[x.c]] = int32(j), x.v
			next[x.c]++
		}
	}
	// S[a, b] = sum_j C[a, j] C[b, j] / deg[j], rows a in parallel, j in increasing order.
	S := make([]float64, L*L)
	parallelRanges(L, 8, func(lo, hi int) {
		for a := lo; a < hi; a++ {
			row := S[a*L : (a+1)*L]
			for p := count[a]; p < count[a+1]; p++ {
				j := byCluster[p]
				w := cva[p] / deg[j]
				for _, x := range cols[j] {
					row[x.c] += w * x.v
				}
			}
		}
	})
	P := mat.NewDense(L, L, nil)
	for a := 0; a < L; a++ {
		for b := 0; b < L; b++ {
			P.Set(a, b, S[a*L+b]/dm[a])
		}
	}
	return P, trans
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
// configuration norm decreases by less than 1e-6), then rotated (orthogonal Procrustes,
// reflections allowed) onto the classical solution. Returns [M, k] row-major.
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
	rotateOnto(y, classic, M, k)
	return y, nil
}

// rotateOnto replaces y ([M, k]) by y Q, Q the orthogonal matrix (reflections allowed) minimizing
// ||y_c Q - ref_c||_F for the centered configurations (Q = U Vᵀ for y_cᵀ ref_c = U S Vᵀ); y keeps
// its centre and scale.
func rotateOnto(y, ref []float64, M, k int) {
	mean := func(x []float64) []float64 {
		m := make([]float64, k)
		for i := 0; i < M; i++ {
			for c := 0; c < k; c++ {
				m[c] += x[i*k+c] / float64(M)
			}
		}
		return m
	}
	my, mr := mean(y), mean(ref)
	cross := mat.NewDense(k, k, nil)
	for i := 0; i < M; i++ {
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				cross.Set(a, b, cross.At(a, b)+(y[i*k+a]-my[a])*(ref[i*k+b]-mr[b]))
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(cross, mat.SVDFull) {
		return
	}
	var u, v, q mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	q.Mul(&u, v.T())
	row := make([]float64, k)
	for i := 0; i < M; i++ {
		for b := 0; b < k; b++ {
			var s float64
			for a := 0; a < k; a++ {
				s += (y[i*k+a] - my[a]) * q.At(a, b)
			}
			row[b] = s + my[b]
		}
		copy(y[i*k:(i+1)*k], row)
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
	prev := math.Inf(1)
	for it := 0; it < maxIter; it++ {
		// Rows in parallel; the stress per row, summed in row order (independent of the workers).
		parallelFor(M, 8, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				local := 0.0
				yi := y[i*k : (i+1)*k]
				acc := next[i*k : (i+1)*k]
				for c := range acc {
					acc[c] = 0
				}
				var diag float64
				for j := 0; j < M; j++ {
					if j == i {
						continue
					}
					yj := y[j*k : (j+1)*k]
					var dd float64
					for c := range yi {
						v := yi[c] - yj[c]
						dd += v * v
					}
					dd = math.Sqrt(dd)
					dij := dflat[i*M+j]
					if j > i {
						local += (dd - dij) * (dd - dij)
					}
					if dd == 0 {
						dd = 1e-5 // scikit-learn's guard
					}
					r := dij / dd
					diag += r
					for c := range acc {
						acc[c] -= r * yj[c]
					}
				}
				for c := range acc {
					acc[c] = (acc[c] + diag*yi[c]) / float64(M)
				}
				rowStress[i] = local
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
