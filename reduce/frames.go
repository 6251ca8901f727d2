package reduce

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Fit-basis modes of PCAFrames.
const (
	// FitAll fits one PCA basis on all snapshots together.
	FitAll = "all"
	// FitWindow fits a basis per frame on a sliding window of Window snapshots around it.
	FitWindow = "window"
	// FitFrame fits a basis per snapshot.
	FitFrame = "frame"
)

// Camera modes of PCAFrames.
const (
	// CameraFixed keeps every frame in its basis' own units: with one basis (FitAll) and one axis
	// range for all frames, motion in the animation is motion of the embedding, and an early,
	// small embedding is drawn small.
	CameraFixed = "fixed"
	// CameraFollow moves a camera with the data: frame t is re-centred on its centroid and zoomed
	// so its spread (RMS distance from the centroid) is that of the last frame, with the centre
	// and the log-zoom smoothed over frames (Gaussian-weighted local linear fits, CameraSmooth) so
	// the camera glides instead of jumping. Every frame then fills the view; relative motion and shape are kept.
	CameraFollow = "follow"
)

// PCAAnimOptions configures PCAFrames. The zero value (or nil) fits one 2-D basis on all snapshots
// with a fixed camera.
type PCAAnimOptions struct {
	// FitBasis is FitAll ("all", also ""), FitWindow ("window") or FitFrame ("frame").
	FitBasis string
	// Window is the number of snapshots per window for FitWindow; 0 means 16 (clipped to T).
	Window int
	// Camera is CameraFixed ("fixed") or CameraFollow ("follow"). "" means CameraFixed for FitAll
	// (the seed's "PCA on all": one basis, absolute motion) and CameraFollow for FitWindow and
	// FitFrame (per-frame fits, whose point is that early frames are not squashed by the scale of
	// late ones).
	Camera string
	// CameraSmooth is the standard deviation, in frames, of the Gaussian that smooths the follow
	// camera's centre and log-zoom; 0 means 2, negative means no smoothing.
	CameraSmooth float64
	// Components is the output dimension; 0 means 2.
	Components int
	// Progress, if not nil, is called after each frame (stage "pca frames").
	Progress Progress
}

// PCAFrames projects every snapshot of seq (T matrices [n, d], same n and d) onto principal axes and
// returns T frames [n, c] (c = opts.Components, default 2) for an animation:
//
//   - FitAll: one basis (mean mu, axes V [c, d]) from the pooled covariance of all T*n rows;
//     frame t = (E_t - mu) V^T.
//   - FitWindow: for frame t a basis from the w snapshots [lo, lo+w) with lo = clamp(t - w/2, 0, T-w);
//     frame t = (E_t - mu_t) V_t^T.
//   - FitFrame: as FitWindow with w = 1.
//
// With CameraFollow (the default for FitWindow and FitFrame) each frame is then moved by the
// camera: Y_t = (X_t - c~_t) s_{T-1} / s~_t + c_{T-1}, with c_t the centroid and s_t the RMS spread of
// X_t, and c~, log s~ their Gaussian-smoothed values over frames (see CameraFollow).
//
// Per-frame bases are aligned frame to frame so the picture does not flip or spin: V_t is replaced
// by Q V_t with Q ([c, c], orthogonal, reflections allowed) the Procrustes solution minimizing
// ||Q V_t - V_{t-1}||_F (Q = W U^T for V_t V_{t-1}^T = U S W^T), which fixes sign flips and
// rotations/swaps of nearly equal eigenvalues. The first basis has each axis's largest-magnitude
// entry positive. Window covariances are kept as running float64 sums of X^T X (shifted by the
// global mean), so the cost is O(T n d^2 + T d^3) whatever the window.
func PCAFrames(seq []*Matrix, opts *PCAAnimOptions) ([]*Matrix, error) {
	if opts == nil {
		opts = &PCAAnimOptions{}
	}
	if err := ValidateSequence(seq, true); err != nil {
		return nil, err
	}
	T, n, d := len(seq), seq[0].Rows, seq[0].Cols
	c := opts.Components
	if c == 0 {
		c = 2
	}
	if c < 1 || c > d {
		return nil, fmt.Errorf("reduce: PCA frames: %d components, must be in 1..d = 1..%d", c, d)
	}
	var w int
	switch opts.FitBasis {
	case "", FitAll:
		w = T
	case FitWindow:
		w = opts.Window
		if w == 0 {
			w = 16
		}
		if w < 1 {
			return nil, fmt.Errorf("reduce: PCA frames: window %d must be positive", w)
		}
		w = min(w, T)
	case FitFrame:
		w = 1
	default:
		return nil, fmt.Errorf("reduce: PCA frames: unknown fit basis %q (want %q, %q or %q)", opts.FitBasis, FitAll, FitWindow, FitFrame)
	}
	if w*n < 2 {
		return nil, fmt.Errorf("reduce: PCA frames: a window holds %d rows, need at least 2", w*n)
	}
	camera := opts.Camera
	switch camera {
	case "":
		camera = CameraFollow
		if w == T && opts.FitBasis != FitFrame && opts.FitBasis != FitWindow {
			camera = CameraFixed
		}
	case CameraFixed, CameraFollow:
	default:
		return nil, fmt.Errorf("reduce: PCA frames: unknown camera %q (want %q or %q)", opts.Camera, CameraFixed, CameraFollow)
	}
	if bad(opts.CameraSmooth) {
		return nil, fmt.Errorf("reduce: PCA frames: camera smoothing %v must be finite", opts.CameraSmooth)
	}
	// Shift every snapshot by the global mean to keep the running sums well conditioned.
	shift := make([]float64, d)
	for _, x := range seq {
		for j, v := range columnMeans(x) {
			shift[j] += v / float64(T)
		}
	}
	acc := &windowMoments{d: d, shift: shift, xtx: make([]float64, d*d), sum: make([]float64, d)}
	frames := make([]*Matrix, T)
	lo, hi := 0, 0 // current window [lo, hi)
	var prev []float64
	var mean, axes []float64
	for t := 0; t < T; t++ {
		clearUpper()
		nlo := min(max(t-w/2, 0), T-w)
		nhi := nlo + w
		if nlo != lo || nhi != hi || t == 0 {
			for s := hi; s < nhi; s++ {
				acc.add(seq[s], 1)
			}
			for s := lo; s < nlo; s++ {
				acc.add(seq[s], -1)
			}
			lo, hi = nlo, nhi
			var ok bool
			mean, axes, ok = acc.axes(c)
			if !ok {
				return nil, fmt.Errorf("reduce: PCA frames: eigen-decomposition for frame %d did not converge", t)
			}
			if prev == nil {
				signByLargestEntry(axes, c, d)
			} else {
				alignAxes(axes, prev, c, d)
			}
			prev = axes
		}
		frames[t] = projectFrame(seq[t], mean, axes, c)
		reportProgress(opts.Progress, t+1, T, "pca frames")
	}
	if camera == CameraFollow {
		sigma := opts.CameraSmooth
		if sigma == 0 {
			sigma = 2
		}
		followCamera(frames, sigma)
	}
	return frames, nil
}

// followCamera applies CameraFollow to frames in place: frame t is centred on its smoothed
// centroid and zoomed to the last frame's spread by its smoothed log-spread (Gaussian-weighted
// local linear fits over frames with standard deviation sigma; sigma <= 0: no smoothing).
func followCamera(frames []*Matrix, sigma float64) {
	T := len(frames)
	c := frames[0].Cols
	cen := make([][]float64, T)
	logS := make([]float64, T)
	for t, f := range frames {
		mu, s := rmsSpread(f)
		cen[t] = mu
		logS[t] = math.Log(math.Max(s, 1e-30))
	}
	smooth := func(get func(t int) float64) []float64 {
		out := make([]float64, T)
		for t := range out {
			if sigma <= 0 {
				out[t] = get(t)
				continue
			}
			// Gaussian-weighted local linear fit a + b (s - t), evaluated at t: a steady zoom or pan
			// is followed exactly, also at the first and last frames.
			r := int(math.Ceil(3 * sigma))
			var sw, sx, sxx, sy, sxy float64
			for s := max(0, t-r); s <= min(T-1, t+r); s++ {
				x := float64(s - t)
				w := math.Exp(-x * x / (2 * sigma * sigma))
				y := get(s)
				sw += w
				sx += w * x
				sxx += w * x * x
				sy += w * y
				sxy += w * x * y
			}
			if det := sw*sxx - sx*sx; det > 1e-12*sw*sw {
				out[t] = (sxx*sy - sx*sxy) / det
			} else {
				out[t] = sy / sw
			}
		}
		return out
	}
	sm := smooth(func(t int) float64 { return logS[t] })
	smC := make([][]float64, c)
	for j := range smC {
		smC[j] = smooth(func(t int) float64 { return cen[t][j] })
	}
	target := math.Exp(logS[T-1])
	last := cen[T-1]
	for t, f := range frames {
		z := target / math.Exp(sm[t])
		for i := 0; i < f.Rows; i++ {
			row := f.Row(i)
			for j := range row {
				row[j] = float32((float64(row[j])-smC[j][t])*z + last[j])
			}
		}
	}
}

// windowMoments keeps running float64 sums over the rows of a window of snapshots, shifted by a
// fixed vector: sum (x - shift) and sum (x - shift)(x - shift)^T.
type windowMoments struct {
	d     int
	shift []float64
	xtx   []float64 // [d, d]
	sum   []float64 // [d]
	rows  int
}

// add adds (sign = 1) or removes (sign = -1) the rows of x.
func (m *windowMoments) add(x *Matrix, sign float64) {
	n, d := x.Rows, x.Cols
	buf := make([]float64, n*d)
	centeredChunk(x, m.shift, 0, n, buf)
	c := mat.NewDense(n, d, buf)
	var p mat.Dense
	p.Mul(c.T(), c)
	raw := p.RawMatrix()
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			m.xtx[a*d+b] += sign * raw.Data[a*raw.Stride+b]
		}
	}
	for i := 0; i < n; i++ {
		clearUpper()
		for j, v := range buf[i*d : (i+1)*d] {
			m.sum[j] += sign * v
		}
	}
	m.rows += int(sign) * n
}

// axes returns the window mean [d] and the top c unit eigenvectors [c*d] of its covariance.
func (m *windowMoments) axes(c int) ([]float64, []float64, bool) {
	d, N := m.d, float64(m.rows)
	mu := make([]float64, d)
	for j := range mu {
		mu[j] = m.sum[j] / N
	}
	cov := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := 0.5*(m.xtx[a*d+b]+m.xtx[b*d+a]) - N*mu[a]*mu[b]
			cov.SetSym(a, b, v/(N-1))
		}
	}
	_, axes, ok := symTopEigen(cov, c, true)
	if !ok {
		return nil, nil, false
	}
	mean := make([]float64, d)
	for j := range mean {
		mean[j] = mu[j] + m.shift[j]
	}
	return mean, axes, true
}

// signByLargestEntry flips each axis ([c, d]) so that its largest-magnitude entry is positive.
func signByLargestEntry(axes []float64, c, d int) {
	for k := 0; k < c; k++ {
		ax := axes[k*d : (k+1)*d]
		big := 0
		for j, v := range ax {
			if math.Abs(v) > math.Abs(ax[big]) {
				big = j
			}
		}
		if ax[big] < 0 {
			for j := range ax {
				ax[j] = -ax[j]
			}
		}
	}
}

// alignAxes replaces axes ([c, d]) by Q axes with Q orthogonal minimizing ||Q axes - prev||_F.
func alignAxes(axes, prev []float64, c, d int) {
	a := mat.NewDense(c, d, axes)
	b := mat.NewDense(c, d, prev)
	var m mat.Dense
	m.Mul(a, b.T()) // [c, c] = A B^T = U S W^T
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDFull) {
		return
	}
	var u, wv mat.Dense
	svd.UTo(&u)
	svd.VTo(&wv)
	var q mat.Dense
	q.Mul(&wv, u.T())
	var out mat.Dense
	out.Mul(&q, a)
	copy(axes, out.RawMatrix().Data)
}

// projectFrame returns (x - mean) axes^T as [n, c].
func projectFrame(x *Matrix, mean, axes []float64, c int) *Matrix {
	n, d := x.Rows, x.Cols
	out := NewMatrix(n, c)
	parallelFor(n, 64, func(i0, i1 int) {
		cen := make([]float64, d)
		for i := i0; i < i1; i++ {
			clearUpper()
			for j, v := range x.Row(i) {
				cen[j] = float64(v) - mean[j]
			}
			for k := 0; k < c; k++ {
				var s float64
				for j, v := range axes[k*d : (k+1)*d] {
					s += v * cen[j]
				}
				out.Data[i*c+k] = float32(s)
			}
		}
	})
	return out
}

// RegisterFrames aligns a frame sequence (T matrices [n, c], same shape) by chaining Procrustes:
// frame 0 is kept, frame t+1 is aligned onto the aligned frame t (opts as for Procrustes, nil
// means rotation/reflection + translation). Returns new matrices.
func RegisterFrames(frames []*Matrix, opts *ProcrustesOptions) ([]*Matrix, error) {
	if err := ValidateSequence(frames, true); err != nil {
		return nil, err
	}
	out := make([]*Matrix, len(frames))
	out[0] = frames[0].Clone()
	for t := 1; t < len(frames); t++ {
		a, err := Procrustes(out[t-1], frames[t], opts)
		if err != nil {
			return nil, fmt.Errorf("reduce: registering frame %d: %w", t, err)
		}
		out[t] = a
	}
	return out, nil
}

// StandardizeFrames returns copies of frames (T matrices [n, c]) with each axis of each frame
// shifted to mean 0 and divided by its own standard deviation, as seed 001 normalizes every
// t-SNE layout before registering it (a constant axis is only centered). Compare Normalize, which
// uses one standard deviation for all axes.
func StandardizeFrames(frames []*Matrix) []*Matrix {
	out := make([]*Matrix, len(frames))
	for t, f := range frames {
		out[t] = standardizeColumns(f)
	}
	return out
}

// DenoiseOptions configures Denoise. The zero value (or nil) is a Gaussian temporal smoothing with
// sigma 1 frame, CKA weighting when Snapshots are given (vizlib's Animation.Denoise gives them),
// frames rescaled to their original spread.
type DenoiseOptions struct {
	// Sigma is the standard deviation of the temporal Gaussian, in frames; 0 means 1.
	Sigma float64
	// Radius is the half-width of the smoothing window in frames; 0 means ceil(3 Sigma).
	Radius int
	// Snapshots, if not nil, are the T high-dimensional snapshots the frames were computed from
	// (each [n, d], same n as the frames). The weight between frames t and s is then multiplied by
	// exp(-(1 - CKA(E_t, E_s)) / Tau) (linear CKA), so that frames across a sudden change in the
	// representation are not averaged together.
	Snapshots []*Matrix
	// Tau is the CKA-distance scale of that weight; 0 means twice the median of 1 - CKA between
	// consecutive snapshots.
	Tau float64
	// NoCKA switches the CKA weighting off even when Snapshots are given (the seed's
	// denoise(do_cka_similarities=False)): a plain Gaussian over time.
	NoCKA bool
	// Register aligns the frames with RegisterFrames (rotation/reflection + translation) before
	// smoothing; use it for layouts whose orientation is arbitrary per frame. Default false.
	Register bool
	// NoRescale keeps the smoothed frames as they are; by default each smoothed frame is scaled about
	// its centroid to the spread (root mean square distance from the centroid) of the input frame,
	// so smoothing does not shrink the picture.
	NoRescale bool
	// Progress, if not nil, is called after each output frame (stage "denoise").
	Progress Progress
}

// Denoise smooths every point's trajectory over a frame sequence (T matrices [n, c], same shape) and
// returns T new frames:
//
//	Y_t[i] = sum_s w_ts X_s[i] / sum_s w_ts,   w_ts = exp(-(t-s)^2 / (2 sigma^2)) [* exp(-(1 - CKA_ts) / tau)],
//
// for |t - s| <= Radius. Each point is averaged only with itself at nearby times, never with other
// points, so clusters keep their members and shape while frame-to-frame jitter is removed; the
// optional CKA factor keeps real transitions sharp. See DenoiseOptions for the defaults.
func Denoise(frames []*Matrix, opts *DenoiseOptions) ([]*Matrix, error) {
	if opts == nil {
		opts = &DenoiseOptions{}
	}
	if err := ValidateSequence(frames, true); err != nil {
		return nil, err
	}
	T := len(frames)
	sigma := opts.Sigma
	if sigma == 0 {
		sigma = 1
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("reduce: denoise: sigma %v must be positive", sigma)
	}
	radius := opts.Radius
	if radius == 0 {
		radius = int(math.Ceil(3 * sigma))
	}
	if radius < 0 {
		return nil, fmt.Errorf("reduce: denoise: radius %d must not be negative", radius)
	}
	if opts.Tau < 0 || math.IsNaN(opts.Tau) {
		return nil, fmt.Errorf("reduce: denoise: tau %v must not be negative", opts.Tau)
	}
	src := frames
	if opts.Register {
		var err error
		if src, err = RegisterFrames(frames, nil); err != nil {
			return nil, err
		}
	}
	// weight(t, s) for |t-s| <= radius.
	weight := func(t, s int) float64 {
		dt := float64(t - s)
		return math.Exp(-dt * dt / (2 * sigma * sigma))
	}
	if opts.Snapshots != nil && !opts.NoCKA {
		snaps := opts.Snapshots
		if len(snaps) != T {
			return nil, fmt.Errorf("reduce: denoise: %d snapshots for %d frames", len(snaps), T)
		}
		if err := ValidateSequence(snaps, false); err != nil {
			return nil, err
		}
		if snaps[0].Rows != frames[0].Rows {
			return nil, fmt.Errorf("reduce: denoise: snapshots have %d rows, frames %d", snaps[0].Rows, frames[0].Rows)
		}
		ckaDist, err := windowCKADistances(snaps, radius)
		if err != nil {
			return nil, err
		}
		tau := opts.Tau
		if tau == 0 {
			var adj []float64
			for t := 1; t < T; t++ {
				if v := ckaDist[t][1]; !math.IsNaN(v) {
					adj = append(adj, v)
				}
			}
			if len(adj) > 0 {
				sort.Float64s(adj)
				tau = 2 * adj[len(adj)/2]
			}
		}
		gauss := weight
		weight = func(t, s int) float64 {
			w := gauss(t, s)
			if t == s || tau <= 0 {
				return w
			}
			a, b := max(t, s), max(t, s)-min(t, s)
			dist := ckaDist[a][b]
			if math.IsNaN(dist) {
				return w
			}
			return w * math.Exp(-max(0, dist)/tau)
		}
	}
	n, c := frames[0].Rows, frames[0].Cols
	out := make([]*Matrix, T)
	for t := 0; t < T; t++ {
		clearUpper()
		y := NewMatrix(n, c)
		acc := make([]float64, n*c)
		var wsum float64
		for s := max(0, t-radius); s <= min(T-1, t+radius); s++ {
			w := weight(t, s)
			wsum += w
			for p, v := range src[s].Data {
				acc[p] += w * float64(v)
			}
		}
		for p := range acc {
			y.Data[p] = float32(acc[p] / wsum)
		}
		if !opts.NoRescale {
			rescaleLike(y, src[t])
		}
		out[t] = y
		reportProgress(opts.Progress, t+1, T, "denoise")
	}
	return out, nil
}

// windowCKADistances returns dist[t][k] = 1 - linear CKA(E_t, E_{t-k}) for 1 <= k <= radius, k <= t
// (NaN where undefined).
func windowCKADistances(seq []*Matrix, radius int) ([][]float64, error) {
	T := len(seq)
	cen := make([]*centered, T)
	self := make([]float64, T)
	for t, x := range seq {
		cen[t] = centerMatrix(x)
		self[t] = math.Sqrt(crossSq(cen[t], cen[t]))
	}
	out := make([][]float64, T)
	for t := range out {
		out[t] = make([]float64, radius+1)
		for k := 1; k <= radius && k <= t; k++ {
			v, ok := linearCKA(cen[t], cen[t-k], self[t], self[t-k])
			if ok {
				out[t][k] = 1 - v
			} else {
				out[t][k] = math.NaN()
			}
		}
	}
	return out, nil
}

// rmsSpread returns the column means of m ([n, d]) and the RMS distance of its rows from them,
// sqrt(sum_ij (m_ij - mu_j)^2 / n).
func rmsSpread(m *Matrix) ([]float64, float64) {
	mu := columnMeans(m)
	return mu, math.Sqrt(centeredSumSquares(m, mu) / float64(m.Rows))
}

// rescaleLike scales y about its centroid so its RMS distance from the centroid equals ref's.
func rescaleLike(y, ref *Matrix) {
	mu, sy := rmsSpread(y)
	_, sr := rmsSpread(ref)
	if sy == 0 || sr == 0 {
		return
	}
	f := sr / sy
	for i := 0; i < y.Rows; i++ {
		row := y.Row(i)
		for j, v := range row {
			row[j] = float32(mu[j] + f*(float64(v)-mu[j]))
		}
	}
}

// Interpolate inserts steps frames between every pair of consecutive frames (T matrices [n, c],
// same shape) for smooth playback and returns (T-1)(steps+1)+1 frames; input frame t is output frame
// t(steps+1) (copied). Each coordinate of each point follows a cubic Hermite (Catmull-Rom) curve
// through the frames with tangents m_t = (X_{t+1} - X_{t-1}) / 2 (one-sided at the ends), so
// motion is C1-smooth; steps = 0 returns copies.
func Interpolate(frames []*Matrix, steps int) ([]*Matrix, error) {
	if err := ValidateSequence(frames, true); err != nil {
		return nil, err
	}
	if steps < 0 {
		return nil, fmt.Errorf("reduce: interpolate: steps %d must not be negative", steps)
	}
	T := len(frames)
	out := make([]*Matrix, 0, (T-1)*(steps+1)+1)
	tangent := func(t, p int) float64 {
		switch {
		case T == 1:
			return 0
		case t == 0:
			return float64(frames[1].Data[p]) - float64(frames[0].Data[p])
		case t == T-1:
			return float64(frames[T-1].Data[p]) - float64(frames[T-2].Data[p])
		}
		return (float64(frames[t+1].Data[p]) - float64(frames[t-1].Data[p])) / 2
	}
	for t := 0; t < T; t++ {
		clearUpper()
		out = append(out, frames[t].Clone())
		if t == T-1 {
			break
		}
		a, b := frames[t], frames[t+1]
		for k := 1; k <= steps; k++ {
			u := float64(k) / float64(steps+1)
			u2, u3 := u*u, u*u*u
			h00, h10, h01, h11 := 2*u3-3*u2+1, u3-2*u2+u, -2*u3+3*u2, u3-u2
			m := NewMatrix(a.Rows, a.Cols)
			for p := range m.Data {
				m.Data[p] = float32(h00*float64(a.Data[p]) + h10*tangent(t, p) + h01*float64(b.Data[p]) + h11*tangent(t+1, p))
			}
			out = append(out, m)
		}
	}
	return out, nil
}
