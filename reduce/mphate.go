package reduce

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// MPHATEOptions are the parameters of MPHATE. The zero value (or nil) gives the defaults.
type MPHATEOptions struct {
	// Mode is "samples" (default, ""): seq[t] is [n, d] and its rows (evaluation samples) are the
	// points, giving an animation of the embedding space; or "units" (the paper's): seq[t] is
	// [nTrace, nUnits], the activations of nUnits hidden units on a fixed trace set of nTrace
	// inputs, and the points are the units (columns), each described by its activation vector.
	Mode string
	// KNN is the intraslice k: the adaptive bandwidth sigma_i is the distance from point i to its
	// KNN-th nearest other point in the same snapshot. 0 means 5 (PHATE's; the m-phate package uses 2).
	KNN int
	// Decay is alpha of the intraslice alpha-decay kernel exp(-(d/sigma_i)^alpha). 0 means 40
	// (PHATE's; the m-phate package uses 5).
	Decay float64
	// IntersliceKNN sets the interslice bandwidth when IntersliceBandwidth is 0: the mean over points
	// of the median over snapshots of the distance to the IntersliceKNN-th nearest snapshot of the same
	// point (capped at T-1). 0 means 25 (m-phate's).
	IntersliceKNN int
	// IntersliceBandwidth, if positive, is the fixed bandwidth eps of the interslice kernel
	// exp(-(||x_t(i) - x_s(i)|| / eps)^2).
	IntersliceBandwidth float64
	// Landmarks is the number of landmarks the diffusion is computed on (k-means clusters within each
	// snapshot, about Landmarks/T per snapshot). 0 means automatic: none (exact diffusion on all
	// vertices) when T*n <= 1000, else 20 per snapshot, at least 500 and at most 1000 in all (the
	// dense eigendecomposition of the landmark operator costs O(Landmarks^3)). Negative means never
	// use landmarks.
	Landmarks int
	// T is the diffusion time. 0 means automatic: the knee of the von Neumann entropy of the
	// diffusion operator's spectrum over t = 1..100.
	T int
	// Gamma selects the potential: 1 (default, nil) the log potential -log(P^t + 1e-7); -1 the raw
	// P^t; otherwise (P^t)^c / c with c = (1 - Gamma)/2 (0 gives the square root potential of the
	// m-phate package). Use reduce.Float(0) for 0.
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
	Entropy   []float64 // von Neumann entropy for t = 1..len(Entropy) (nil when T was given)
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

// MPHATEFit runs M-PHATE and returns the frames with the diffusion time and landmarks used.
//
// Points: in samples mode the rows of seq[t] ([n, d], every snapshot the same samples and d),
// each snapshot centered and scaled to unit RMS norm; in units mode the columns of seq[t]
// ([nTrace, nUnits]), each unit's activation vector standardized to mean 0, standard deviation 1
// (as the m-phate package). The multislice graph has N = T*n vertices (t, i):
//
//   - intraslice: K((t,i),(t,j)) = (k_t(i,j) + k_t(j,i))/2, k_t(i,j) = exp(-(||x_t(i)-x_t(j)||/sigma_t(i))^alpha),
//     sigma_t(i) the distance to the KNN-th neighbour, entries below 1e-4 dropped;
//   - interslice: K((t,i),(s,i)) = exp(-(||x_t(i)-x_s(i)|| / eps)^2) linking the same point across
//     snapshots, eps fixed (IntersliceBandwidth, or the IntersliceKNN rule).
//
// The diffusion operator is P = D^-1 K. With landmarks, the vertices of each snapshot are
// clustered by k-means on their (standardized) features, and P is replaced by PHATE's landmark
// operator P_mn P_nm (PHATE clusters spectral coordinates of the whole graph instead; per-snapshot
// clusters keep late frames from being averaged with early ones). The diffusion time t is the knee of the von Neumann entropy
// H(t) = -sum_i p_i log p_i, p_i = |lambda_i|^t / sum_j |lambda_j|^t. The potential of P^t (Gamma)
// gives potential distances between rows, embedded by classical MDS followed by SMACOF metric MDS;
// landmark coordinates are carried to all vertices through the point-to-landmark transitions.
func MPHATEFit(seq []*Matrix, opts *MPHATEOptions) (*MPHATEResult, error) {
	if opts == nil {
		opts = &MPHATEOptions{}
	}
	if err := ValidateSequence(seq, true); err != nil {
		return nil, fmt.Errorf("reduce: MPHATE: %w", err)
	}
	o := *opts
	var pts []*Matrix
	switch o.Mode {
	case "", "samples":
		o.Mode = "samples"
		for _, m := range seq {
			pts = append(pts, mphateScaleSnapshot(m))
		}
	case "units":
		for _, m := range seq {
			pts = append(pts, mphateStandardizeUnits(m))
		}
	default:
		return nil, fmt.Errorf("reduce: MPHATE: unknown mode %q (want \"samples\" or \"units\")", o.Mode)
	}
	T, n := len(pts), pts[0].Rows
	if o.KNN == 0 {
		o.KNN = 5
	}
	if o.KNN < 1 || o.KNN > n-1 {
		return nil, fmt.Errorf("reduce: MPHATE: knn = %d needs 1 <= knn <= points-1 = %d (%s mode has %d points per snapshot)", o.KNN, n-1, o.Mode, n)
	}
	if o.Decay == 0 {
		o.Decay = 40
	}
	if bad(o.Decay) || o.Decay <= 0 {
		return nil, fmt.Errorf("reduce: MPHATE: decay = %v must be positive", o.Decay)
	}
	if o.IntersliceKNN == 0 {
		o.IntersliceKNN = 25
	}
	if o.IntersliceKNN < 1 {
		return nil, fmt.Errorf("reduce: MPHATE: interslice knn = %d must be positive", o.IntersliceKNN)
	}
	if bad(o.IntersliceBandwidth) || o.IntersliceBandwidth < 0 {
		return nil, fmt.Errorf("reduce: MPHATE: interslice bandwidth = %v must be positive (or 0 for automatic)", o.IntersliceBandwidth)
	}
	if o.T < 0 {
		return nil, fmt.Errorf("reduce: MPHATE: t = %d cannot be negative", o.T)
	}
	gamma := 1.0
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
		landmarks = min(1000, max(500, 20*T))
	}
	if landmarks < 0 || landmarks >= N {
		landmarks = 0
	}
	if landmarks > 0 && landmarks <= o.NComponents+1 {
		return nil, fmt.Errorf("reduce: MPHATE: %d landmarks are too few for %d components", landmarks, o.NComponents)
	}

	reportProgress(o.Progress, 0, 2, "mphate kernel")
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
	// The symmetric conjugate M of the (landmark) diffusion operator, its degrees dm, and the
	// transitions from vertices to landmarks (nil: identity).
	var sym *mat.SymDense
	var dm []float64
	var trans *Graph
	if landmarks == 0 {
		sym = mat.NewSymDense(N, nil)
		for i := 0; i < N; i++ {
			for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
				j := int(K.Col[p])
				if j >= i {
					sym.SetSym(i, j, float64(K.Val[p])/math.Sqrt(deg[i]*deg[j]))
				}
			}
		}
		dm = deg
	} else {
		reportProgress(o.Progress, 0, 1, "mphate landmarks")
		labels, L, err := mphateSliceLandmarks(pts, landmarks, o.Seed)
		if err != nil {
			return nil, err
		}
		sym, dm, trans = mphateLandmarkOperator(K, deg, labels, L)
		landmarks = L
		reportProgress(o.Progress, 1, 1, "mphate landmarks")
	}
	M := sym.SymmetricDim()
	reportProgress(o.Progress, 0, 1, "mphate diffusion")
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return nil, fmt.Errorf("reduce: MPHATE: eigendecomposition of the %d x %d diffusion operator failed", M, M)
	}
	lam := es.Values(nil)
	var U mat.Dense
	es.VectorsTo(&U)
	res := &MPHATEResult{Landmarks: landmarks, T: o.T}
	if res.T == 0 {
		res.Entropy = vonNeumannEntropy(lam, 100)
		res.T = findKnee(res.Entropy) + 1
	}
	// P^t = Dm^-1/2 U Λ^t Uᵀ Dm^1/2.
	ul := mat.NewDense(M, M, nil)
	for i := 0; i < M; i++ {
		for c := 0; c < M; c++ {
			ul.Set(i, c, U.At(i, c)*math.Pow(lam[c], float64(res.T)))
		}
	}
	var pt mat.Dense
	pt.Mul(ul, U.T())
	pot := mat.NewDense(M, M, nil)
	for i := 0; i < M; i++ {
		si := 1 / math.Sqrt(dm[i])
		for j := 0; j < M; j++ {
			v := math.Max(0, pt.At(i, j)*si*math.Sqrt(dm[j]))
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

// mphateStandardizeUnits returns the [nUnits, nTrace] transpose of m ([nTrace, nUnits]) with each
// unit's row standardized to mean 0 and standard deviation 1 (constant units become 0).
func mphateStandardizeUnits(m *Matrix) *Matrix {
	nt, nu := m.Rows, m.Cols
	out := NewMatrix(nu, nt)
	for u := 0; u < nu; u++ {
		var s, ss float64
		for r := 0; r < nt; r++ {
			v := float64(m.Data[r*nu+u])
			s += v
			ss += v * v
		}
		mean := s / float64(nt)
		sd := math.Sqrt(math.Max(0, ss/float64(nt)-mean*mean))
		inv := 0.0
		if sd > 1e-12 {
			inv = 1 / sd
		}
		for r := 0; r < nt; r++ {
			out.Data[u*nt+r] = float32((float64(m.Data[r*nu+u]) - mean) * inv)
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
	kSearch := min(n-1, max(5*knn, 30))
	radiusScale := math.Pow(-math.Log(thresh), 1/decay) // k(d) >= thresh iff d <= sigma * radiusScale
	for t, x := range pts {
		nb, err := KNN(x, kSearch, Euclidean)
		if err != nil {
			return nil, fmt.Errorf("reduce: MPHATE: snapshot %d: %w", t, err)
		}
		directed := make([][]mphateEntry, n)
		for i := 0; i < n; i++ {
			idx, dist := nb.Row(i)
			sigma := float64(dist[knn-1])
			if sigma <= 0 { // duplicates: use the first positive distance, or 1
				sigma = 1
				for _, v := range dist {
					if v > 0 {
						sigma = float64(v)
						break
					}
				}
			}
			r := []mphateEntry{{int32(i), 1}}
			for jj, j := range idx {
				dd := float64(dist[jj])
				if dd > sigma*radiusScale {
					break
				}
				if w := math.Exp(-math.Pow(dd/sigma, decay)); w >= thresh {
					r = append(r, mphateEntry{j, float32(w)})
				}
			}
			directed[i] = r
		}
		sym := symmetrizeAverage(directed)
		for i, r := range sym {
			out := make([]mphateEntry, len(r), len(r)+T)
			for q, e := range r {
				out[q] = mphateEntry{e.j + int32(t*n), e.w}
			}
			rows[t*n+i] = out
		}
	}
	if T > 1 {
		// Interslice distances per point: D_i(s, t) = ||x_s(i) - x_t(i)||.
		dists := make([]float64, n*T*T)
		for i := 0; i < n; i++ {
			for s := 0; s < T; s++ {
				a := pts[s].Data[i*d : (i+1)*d]
				for t := s + 1; t < T; t++ {
					v := math.Sqrt(float64(sqDist32(a, pts[t].Data[i*d:(i+1)*d])))
					dists[i*T*T+s*T+t] = v
					dists[i*T*T+t*T+s] = v
				}
			}
		}
		if bw == 0 {
			kk := min(interKNN, T-1)
			row := make([]float64, T)
			med := make([]float64, T)
			var sum float64
			for i := 0; i < n; i++ {
				for s := 0; s < T; s++ {
					copy(row, dists[i*T*T+s*T:i*T*T+(s+1)*T])
					sort.Float64s(row) // row[0] is the point itself (0)
					med[s] = row[kk]
				}
				sort.Float64s(med)
				if T%2 == 1 {
					sum += med[T/2]
				} else {
					sum += (med[T/2-1] + med[T/2]) / 2
				}
			}
			bw = sum / float64(n)
			if bw <= 0 || bad(bw) {
				bw = 1
			}
		}
		for i := 0; i < n; i++ {
			for s := 0; s < T; s++ {
				for t := 0; t < T; t++ {
					if t == s {
						continue
					}
					v := dists[i*T*T+s*T+t] / bw
					if w := math.Exp(-v * v); w >= thresh {
						rows[s*n+i] = append(rows[s*n+i], mphateEntry{int32(t*n + i), float32(w)})
					}
				}
			}
		}
	}
	g := &Graph{N: N, RowPtr: make([]int32, N+1)}
	for i, r := range rows {
		sort.Slice(r, func(a, b int) bool { return r[a].j < r[b].j })
		for _, e := range r {
			g.Col = append(g.Col, e.j)
			g.Val = append(g.Val, e.w)
		}
		g.RowPtr[i+1] = int32(len(g.Col))
	}
	return g, nil
}

// symmetrizeAverage returns (W + Wᵀ)/2 for the directed rows (entries (j, w) of row i), rows sorted.
func symmetrizeAverage(rows [][]mphateEntry) [][]mphateEntry {
	n := len(rows)
	acc := make([]map[int32]float32, n)
	for i := range acc {
		acc[i] = make(map[int32]float32, 2*len(rows[i]))
	}
	for i, r := range rows {
		for _, e := range r {
			acc[i][e.j] += e.w / 2
			acc[e.j][int32(i)] += e.w / 2
		}
	}
	out := make([][]mphateEntry, n)
	for i, m := range acc {
		r := make([]mphateEntry, 0, len(m))
		for j, w := range m {
			r = append(r, mphateEntry{j, w})
		}
		sort.Slice(r, func(a, b int) bool { return r[a].j < r[b].j })
		out[i] = r
	}
	return out
}

// mphateSliceLandmarks clusters the vertices into about L landmarks, ceil(L/T) per snapshot (at
// least 1): KMeans (one k-means++ start, at most 8 Lloyd iterations) on each snapshot's points
// (projected on their top 32 principal axes when they have more features). Landmarks never mix snapshots, so a landmark of a
// late snapshot is not averaged with points of early ones (PHATE's spectral clustering of the whole
// multislice graph does mix them, which blurred late frames in our tests). Returns a label per
// vertex (t*n+i) and the number of landmarks.
func mphateSliceLandmarks(pts []*Matrix, L int, seed int64) ([]int32, int, error) {
	T, n := len(pts), pts[0].Rows
	per := max(1, min(n, (L+T-1)/T))
	labels := make([]int32, T*n)
	next := int32(0)
	for t, x := range pts {
		feat := x
		if x.Cols > 32 && n > 32 {
			var err error
			if feat, err = PCAProject(x, 32); err != nil {
				return nil, 0, fmt.Errorf("reduce: MPHATE: landmarks of snapshot %d: %w", t, err)
			}
		}
		km, err := KMeans(feat, per, &KMeansOptions{Restarts: 1, MaxIter: 8, Seed: uint64(seed + int64(t))})
		if err != nil {
			return nil, 0, fmt.Errorf("reduce: MPHATE: landmarks of snapshot %d: %w", t, err)
		}
		lab := km.Assignments
		remap := make([]int32, per)
		for i := range remap {
			remap[i] = -1
		}
		for i, l := range lab {
			if remap[l] < 0 {
				remap[l] = next
				next++
			}
			labels[t*n+i] = remap[l]
		}
	}
	return labels, int(next), nil
}

// mphateLandmarkOperator returns the symmetric conjugate Dm^-1/2 S Dm^-1/2 of the landmark operator
// P_mn P_nm = Dm^-1 S, with C[c, j] = sum_{i in c} K[i, j], S = C D^-1 Cᵀ, Dm = C 1; and the
// row-stochastic transitions P_nm = D^-1 Cᵀ ([N, L]).
func mphateLandmarkOperator(K *Graph, deg []float64, labels []int32, L int) (*mat.SymDense, []float64, *Graph) {
	N := K.N
	// Column view: for vertex j, the clusters c with C[c, j] > 0. Since K is symmetric,
	// C[c, j] = sum_{i in c} K[j, i]: accumulate over row j.
	trans := &Graph{N: N, RowPtr: make([]int32, N+1)}
	acc := make([]float64, L)
	mark := make([]int32, L)
	for i := range mark {
		mark[i] = -1
	}
	S := make([]float64, L*L)
	dm := make([]float64, L)
	var touched []int32
	for j := 0; j < N; j++ {
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
		sort.Slice(touched, func(a, b int) bool { return touched[a] < touched[b] })
		for _, c := range touched {
			trans.Col = append(trans.Col, c)
			trans.Val = append(trans.Val, float32(acc[c]/deg[j]))
			dm[c] += acc[c]
		}
		trans.RowPtr[j+1] = int32(len(trans.Col))
		for _, a := range touched {
			for _, b := range touched {
				S[int(a)*L+int(b)] += acc[a] * acc[b] / deg[j]
			}
		}
	}
	sym := mat.NewSymDense(L, nil)
	for a := 0; a < L; a++ {
		for b := a; b < L; b++ {
			sym.SetSym(a, b, S[a*L+b]/math.Sqrt(dm[a]*dm[b]))
		}
	}
	return sym, dm, trans
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

// metricMDS embeds the symmetric distance matrix dist ([M, M]) in k dimensions: classical MDS
// (top-k eigenvectors of -1/2 J D² J scaled by sqrt(eigenvalue)), refined by SMACOF (Guttman
// transform) until the relative stress decrease is below 1e-6 or 300 iterations. Returns [M, k]
// row-major.
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
			s := math.Sqrt(math.Max(vals[c], 0))
			for i := 0; i < M; i++ {
				y[i*k+c] = vecs[c][i] * s
			}
		}
	}
	smacof(dist, y, k, 300, 1e-6)
	return y, nil
}

// smacof refines the [M, k] configuration y in place to reduce the raw stress
// sum_{i<j} (||y_i - y_j|| - dist_ij)^2 by Guttman transforms y <- (1/M) B(y) y.
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
	prevStress := math.Inf(1)
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
					if dd > 1e-12 {
						r := dij / dd
						diag += r
						for c := range acc {
							acc[c] -= r * yj[c]
						}
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
		if prevStress-stress < eps*prevStress {
			break
		}
		prevStress = stress
	}
}
