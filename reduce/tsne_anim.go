package reduce

import (
	"fmt"
	"math"
)

// TSNEAnimOptions configures TSNEFrames. The zero value (or nil) means every default.
type TSNEAnimOptions struct {
	// TSNE configures every frame: perplexity, metric, method, learning rate, seed; frame 0 runs
	// its full schedule (Init, EarlyIters, Iters). Its Progress is ignored (use Progress below);
	// InitLayout, if set, initializes frame 0.
	TSNE TSNEOptions
	// Update (the notebooks' tsne_update), in (0, 1], is the fraction of the move towards its newly
	// optimized layout that each frame takes: Y_t = (1-Update) Y_{t-1} + Update * Y_t^opt (after
	// registration), and the next frame starts from Y_t. Smaller values smooth the animation in
	// time (an exponential moving average of the layouts) at the price of lagging behind the data.
	// Zero means 1 (no smoothing).
	Update float64
	// FrameIters is the number of iterations of each frame after the first whose affinities changed
	// little. Zero means 20. A frame whose affinities P moved by a total variation
	// tv = (1/2) sum_ij |P_ij - P'_ij| above 0.06 from the previous frame's P' (snapshots far apart)
	// runs FrameIters * tv / 0.06 iterations, at most 200 and at most FrameBudget / (T-1) (or
	// FrameIters if that is more).
	FrameIters int
	// FrameBudget bounds the iterations that the tv rule above adds: no frame after the first runs
	// more than FrameBudget / (T-1) iterations (unless FrameIters is more), so that T frames whose
	// snapshots all differ a lot cost about FrameBudget iterations, a few static embeddings' worth,
	// and not (T-1) * 200. Zero means 4 * Iters (3000 by default: 61 a frame for 50 frames, 200
	// for up to 16 frames); negative means no budget.
	FrameBudget int
	// FramePlace, in [0, 1], moves each point before the iterations of frame t > 0 towards the
	// neighbours it did not have in frame t-1: y_i += FramePlace * s_i * (m_i - y_i), where m_i is
	// the P-weighted mean position (in frame t-1's layout) of the points j with P_ij > 0 and
	// P'_ij = 0 (new neighbours), and s_i their share of row i's affinity mass. A point whose
	// neighbourhood did not change stays where it is; one whose neighbours are all new starts among
	// them instead of having to travel there by gradient steps (openTSNE places new points the same
	// way, at their neighbours' positions). Zero means 1; negative disables it. Measured (2026-12,
	// last-frame trustworthiness@10, mean displacement per frame): 50 frames of 5,000 Fashion-MNIST
	// points (embviz bench reduce), 40 iterations a frame: 0.9878 and 0.0464 with it, 0.9853 and
	// 0.0471 without; with it at 30 iterations 0.9848 and 0.0442 in 10.6 s, at 20 (the default)
	// 0.9838 and 0.0423 in 8.9 s on 2 idle cores; 12 frames of 10,000 points whose affinities move by tv = 0.47 a frame
	// (BenchmarkReport10k's run): 60 iterations with it 0.8647 and 0.186, without it 0.8606 and
	// 0.167 at 80 iterations, 0.8736 and 0.204 at 200.
	FramePlace float64
	// FrameStop ends a frame's iterations early once its layout has settled: after at least
	// FrameIters iterations, at the end of a window of 10 iterations whose mean relative step (RMS
	// of the update over RMS of the layout) is below FrameStop. It only shortens the frames that
	// the tv rule gives more than FrameIters iterations. Zero means TSNEFrameStop (0.003); negative
	// disables it. Measured (2026-12, CPU seconds of frames 1..49 on 2 shared cores, last-frame
	// trustworthiness@10 on all points, mean displacement per frame), on the real run of `embviz
	// report` (50 snapshots of 10,000 points of a CNN trained on Fashion-MNIST, 32 dimensions;
	// most frames there run the tv rule's 61 iterations, and their steps fall to 0.0015-0.003,
	// the optimizer's jitter, after 20 to 40): without it 25.1 s, 0.9957, 0.0325; with 0.003
	// 16.0 s, 0.9952, 0.0281; 0.004: 15.7 s, 0.9955, 0.0279 (the code before 2026-12-06, without
	// it and with the older tree: 34.9 s, 0.9955, 0.0319). On BenchmarkReport10k's synthetic run
	// (10,000 points in 64 dimensions, ~40% of the neighbourhoods new each frame) the steps are
	// still 0.005-0.015, shrinking ~10% a window, at 90 iterations, and 0.003 stops no frame.
	// A test of the steps' ratio instead (stop when a window's steps exceed 0.8 times the
	// previous window's) also stopped those still-improving frames: there trustworthiness 0.8595
	// instead of 0.8627 (0.6: 0.8443), and on 3 frames of 300 points 0.9379 instead of 0.9619.
	FrameStop float64
	// FrameLearningRate is the learning rate of those iterations. Zero means n/2, twice the
	// automatic rate of TSNE at exaggeration 1: a layout that continues from an optimized one, with
	// the optimizer's gains and momentum carried over, tolerates larger steps, and needs fewer of them.
	FrameLearningRate float64
	// FrameTheta is the Barnes-Hut opening angle of those iterations (see TSNEOptions.Theta). Zero
	// means 0.7: a frame only refines a layout that is already in place.
	FrameTheta float64
	// FrameExaggeration is the exaggeration of those iterations. Zero means 1.
	FrameExaggeration float64
	// ExactKNN searches the nearest neighbours of every snapshot exactly (reduce.KNN, O(n^2 d) a
	// frame). By default (Barnes-Hut only) frame t > 0 refines frame t-1's neighbour graph instead:
	// each point's candidates are its previous neighbours, their nearest neighbours and its reverse
	// neighbours, rescored on the new snapshot (a local join as in NN-descent, O(n k d)); points
	// keep their identity across snapshots, so most neighbourhoods carry over.
	ExactKNN bool
	// NoRegister disables the orthogonal Procrustes registration (rotation and reflection, no
	// scaling) of each frame onto the previous frame. Registration is on by default.
	NoRegister bool
	// NoNormalize disables the normalization of every returned frame. By default each axis is
	// normalized to zero mean and unit standard deviation, then the frame is registered onto the
	// previous returned frame (the order of the t-SNE logger notebook, seed 001).
	NoNormalize bool
	// CommonScale normalizes with one standard deviation for both axes (reduce.Normalize) instead of
	// one per axis, and registers the optimizer's layout onto the previous one before normalizing
	// (the default before 2026-12). Use it when distances must mean the same along both axes: the
	// per-axis normalization stretches the shorter side of an elongated layout (round clusters turn
	// into ellipses, and the stretch changes as the layout's aspect ratio does), whereas one common
	// scale keeps the t-SNE layout's shape and relative distances.
	CommonScale bool
	// Progress, if not nil, is called after each frame with (frames done, T, "tsne frames").
	Progress Progress
}

// Defaults of TSNEAnimOptions.
const (
	tsneFrameIters = 20
	tsneFrameTheta = 0.7
	tsneFrameLRx   = 2 // FrameLearningRate = tsneFrameLRx * n / 4
	// A frame whose affinities moved by a total variation tv > tsneFrameTV from the previous
	// frame's runs FrameIters * tv / tsneFrameTV iterations, at most tsneFrameMaxIters (or
	// FrameIters if that is more). (50 snapshots of a run: tv 0.02 to 0.06 a frame; 5: 0.3 and more.)
	tsneFrameTV       = 0.06
	tsneFrameMaxIters = 200
	tsneFrameBudgetX  = 4 // FrameBudget = tsneFrameBudgetX * Iters
	tsneFramePlace    = 1
	tsneStopWindow    = 10 // iterations per window of the FrameStop test
)

// TSNEFrameStop is the default TSNEAnimOptions.FrameStop.
const TSNEFrameStop = 0.003

// TSNEFrames embeds a snapshot sequence seq (T matrices [n, d_t], the same n points in every
// snapshot, in order) into T t-SNE layouts [n, 2] that form a coherent animation.
//
// Frame 0 is a full t-SNE of seq[0] (opts.TSNE). Frame t > 0 fits the affinities of seq[t]
// (from a neighbour graph refined from frame t-1's, unless ExactKNN) starting from the layout of
// frame t-1 at its own scale, each point first moved towards its new neighbours (FramePlace), with
// the optimizer's gains and momentum where frame t-1 left them,
// for FrameIters iterations without early exaggeration (FrameExaggeration, default 1), momentum
// 0.8, learning rate FrameLearningRate and Barnes-Hut angle FrameTheta (more where P moved, by the
// tv rule, until the layout settles: FrameStop). openTSNE advises rescaling
// an initialization to std 1e-4, and TSNE does that for fresh starts; here it is deliberately not
// done: a restart from a shrunk layout needs the early exaggeration phase again and lets clusters
// rotate, swap and flip between frames, whereas continuing an already converged layout (openTSNE's
// "optimize continues from where it stopped") moves each point only as far as its neighbourhood
// changed, in a few dozen iterations. With Update < 1 the optimized layout is registered onto
// frame t-1's (orthogonal Procrustes, unless NoRegister) and blended with it (the optimizer's state
// then restarts); the result is carried on to frame t+1. The returned frame is that layout with
// each axis normalized to mean 0 and std 1 (unless NoNormalize), then rotated (or reflected) onto
// the previous returned frame by orthogonal Procrustes (unless NoRegister), which removes the
// residual rotation and reflection between frames. CommonScale keeps the older order (register the
// optimizer's layout, restarting the optimizer's state each frame, then one common scale).
//
// The settings before 2026-12 (200 iterations a frame, each frame's kNN searched exactly, learning
// rate n/4, angle 0.5, common scale, no placement, no budget) are FrameIters 200, ExactKNN,
// FrameLearningRate n/4, FrameTheta 0.5, CommonScale, FramePlace -1, FrameBudget -1: on 50 frames of 5,000 Fashion-MNIST points (embviz bench reduce)
// they take about 4x the time of the defaults for a similar last-frame trustworthiness.
//
// Cost: one exact kNN search and Iters iterations, then for each later frame a kNN refinement
// (O(n k d)), the affinities and FrameIters iterations (more where P moved, within FrameBudget).
// A perplexity too high for n points is lowered once for all frames (CheckPerplexity), with one
// warning (TSNE.Warn). Errors: invalid sequence (NaN/Inf, differing row counts, fewer than 2 points),
// bad options, ErrTSNEStopped if the TSNE callback asked to stop.
func TSNEFrames(seq []*Matrix, opts *TSNEAnimOptions) ([]*Matrix, error) {
	if err := ValidateSequence(seq, false); err != nil {
		return nil, fmt.Errorf("reduce: t-SNE frames: %w", err)
	}
	var o TSNEAnimOptions
	if opts != nil {
		o = *opts
	}
	update := o.Update
	if update == 0 {
		update = 1
	}
	if !(update > 0 && update <= 1) {
		return nil, fmt.Errorf("reduce: t-SNE frames: Update %v must be in (0, 1]", o.Update)
	}
	frameIters := o.FrameIters
	if frameIters == 0 {
		frameIters = tsneFrameIters
	}
	if frameIters < 0 {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameIters %d must not be negative", o.FrameIters)
	}
	frameLR := o.FrameLearningRate
	if frameLR == 0 {
		frameLR = tsneFrameLRx * max(float64(seq[0].Rows)/4, 50)
	}
	if !(frameLR > 0) || math.IsInf(frameLR, 0) {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameLearningRate %v must be positive (or 0 for auto)", o.FrameLearningRate)
	}
	frameTheta, ok := positiveOr(o.FrameTheta, tsneFrameTheta)
	if !ok {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameTheta %v must be positive", o.FrameTheta)
	}
	frameExag, ok := positiveOr(o.FrameExaggeration, 1)
	if !ok {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameExaggeration %v must be positive", o.FrameExaggeration)
	}
	place := o.FramePlace
	switch {
	case place == 0:
		place = tsneFramePlace
	case place < 0:
		place = 0
	case !(place <= 1):
		return nil, fmt.Errorf("reduce: t-SNE frames: FramePlace %v must be in [0, 1] (or negative for none)", o.FramePlace)
	}
	stop := o.FrameStop
	switch {
	case stop == 0:
		stop = TSNEFrameStop
	case stop < 0:
		stop = 0
	case !(stop < math.Inf(1)):
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameStop %v must be finite (or negative for none)", o.FrameStop)
	}
	base := o.TSNE
	base.Progress = nil
	if seq[0].Rows < 2 {
		return nil, fmt.Errorf("reduce: t-SNE frames: need at least 2 points, have %d", seq[0].Rows)
	}
	// One perplexity (and at most one warning) for the whole sequence.
	base.Perplexity = lowerPerplexity(base.Perplexity, seq[0].Rows, base.Warn)
	_, r, err := resolveTSNE(&base, seq[0].Rows)
	if err != nil {
		return nil, err
	}
	maxIters := tsneFrameMaxIters // of one frame, by the tv rule
	switch budget := o.FrameBudget; {
	case budget == 0:
		budget = tsneFrameBudgetX * r.iters
		fallthrough
	case budget > 0:
		if len(seq) > 1 {
			maxIters = min(maxIters, budget/(len(seq)-1))
		}
	}
	frames := make([]*Matrix, len(seq))
	var prev []float64 // carried layout of the previous frame, optimizer scale, [n, 2]
	var nb *Neighbors  // kNN graph of the previous snapshot (Barnes-Hut)
	var prevUpd, prevGains []float64
	var prevAff *Affinities
	n := seq[0].Rows
	betas := make([]float64, n) // each point's Gaussian precision, the start of the next frame's
	for t, x := range seq {
		fo := base
		if t > 0 {
			fo.InitLayout = layoutMatrix(prev)
			fo.KeepInitScale = true
		}
		seed := nb
		if o.ExactKNN {
			seed = nil
		}
		aff, g, _, err := tsneAffinities(x, r, nil, seed, betas)
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		nb = g
		iters := frameIters
		if t > 0 {
			// A frame whose affinities moved more than usual gets proportionally more iterations.
			if tv := affinityChange(prevAff, aff); tv > tsneFrameTV {
				iters = max(frameIters, min(maxIters, int(math.Ceil(float64(frameIters)*tv/tsneFrameTV))))
			}
			if place > 0 {
				fo.InitLayout = layoutMatrix(placeNewNeighbors(prev, prevAff, aff, place))
			}
		}
		prevAff = aff
		emb, err := newTSNEEmbedding(aff, x, &fo)
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		// The optimizer's state carries over while the carried layout is the optimizer's own
		// (not registered or blended).
		fresh := true
		if t > 0 && update == 1 && (!o.CommonScale || o.NoRegister) {
			copy(emb.update, prevUpd)
			copy(emb.gains, prevGains)
			fresh = false
		}
		if t == 0 {
			err = emb.Run()
		} else if frameIters > 0 {
			emb.r.lr, emb.r.theta = frameLR, frameTheta
			emb.stopMin, emb.stopStep = frameIters, stop
			err = emb.optimizeFrom(iters, frameExag, 0.8, 0, fresh)
		}
		prevUpd, prevGains = emb.update, emb.gains
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		cur := emb.Embedding()
		if t > 0 && (o.CommonScale || update < 1) {
			ref := layoutMatrix(prev)
			if !o.NoRegister {
				if cur, err = Procrustes(ref, cur, nil); err != nil {
					return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
				}
			}
			if update < 1 {
				for k := range cur.Data {
					cur.Data[k] = float32((1-update)*prev[k] + update*float64(cur.Data[k]))
				}
			}
		}
		if prev == nil {
			prev = make([]float64, 2*n)
		}
		for k, v := range cur.Data {
			prev[k] = float64(v)
		}
		switch {
		case o.CommonScale && !o.NoNormalize:
			cur = Normalize(cur)
		case !o.CommonScale:
			if !o.NoNormalize {
				cur = standardizeColumns(cur)
			}
			if t > 0 && !o.NoRegister {
				if cur, err = Procrustes(frames[t-1], cur, nil); err != nil {
					return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
				}
			}
		}
		frames[t] = cur
		reportProgress(o.Progress, t+1, len(seq), "tsne frames")
	}
	return frames, nil
}

// placeNewNeighbors returns a copy of the layout y ([n, 2], the layout that fits p) in which each
// point i moved by place * s_i towards m_i, the q-weighted mean position of its new neighbours
// (q_ij > 0, p_ij = 0), s_i being their share of row i of q (see TSNEAnimOptions.FramePlace).
// p and q are over the same n points, with sorted columns in each row.
func placeNewNeighbors(y []float64, p, q *Affinities, place float64) []float64 {
	out := make([]float64, len(y))
	copy(out, y)
	parallelFor(q.N, 256, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			a, ae := p.RowPtr[i], p.RowPtr[i+1]
			var sx, sy, sNew, sAll float64
			for k := q.RowPtr[i]; k < q.RowPtr[i+1]; k++ {
				j, w := q.Col[k], q.Val[k]
				sAll += w
				for a < ae && p.Col[a] < j {
					a++
				}
				if a < ae && p.Col[a] == j {
					continue // a neighbour already
				}
				sx += w * y[2*j]
				sy += w * y[2*j+1]
				sNew += w
			}
			if sNew > 0 {
				f := place * sNew / sAll
				out[2*i] += f * (sx/sNew - y[2*i])
				out[2*i+1] += f * (sy/sNew - y[2*i+1])
			}
		}
	})
	return out
}

// standardizeColumns returns a copy of x ([n, d]) with each column shifted to mean 0 and divided
// by its own standard deviation (a constant column is only centered).
func standardizeColumns(x *Matrix) *Matrix {
	out := NewMatrix(x.Rows, x.Cols)
	mean := columnMeans(x)
	ss := make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			d := float64(v) - mean[j]
			ss[j] += d * d
		}
	}
	for j := range ss {
		if sd := math.Sqrt(ss[j] / float64(x.Rows)); sd > 0 && !math.IsInf(sd, 0) {
			ss[j] = 1 / sd
		} else {
			ss[j] = 1
		}
	}
	for i := 0; i < x.Rows; i++ {
		dst := out.Row(i)
		for j, v := range x.Row(i) {
			dst[j] = float32((float64(v) - mean[j]) * ss[j])
		}
	}
	return out
}

// layoutMatrix converts an [n, 2] float64 layout to a Matrix.
func layoutMatrix(y []float64) *Matrix {
	m := NewMatrix(len(y)/2, 2)
	for k, v := range y {
		m.Data[k] = float32(v)
	}
	return m
}

// affinityChange returns the total variation distance between two affinity matrices over the same
// points, (1/2) sum_ij |P_ij - Q_ij| in [0, 1]: the share of the affinity mass that moved.
func affinityChange(p, q *Affinities) float64 {
	var s float64
	for i := 0; i < p.N; i++ {
		a, b := p.RowPtr[i], q.RowPtr[i]
		ae, be := p.RowPtr[i+1], q.RowPtr[i+1]
		for a < ae || b < be {
			switch {
			case b >= be || (a < ae && p.Col[a] < q.Col[b]):
				s += p.Val[a]
				a++
			case a >= ae || q.Col[b] < p.Col[a]:
				s += q.Val[b]
				b++
			default:
				s += math.Abs(p.Val[a] - q.Val[b])
				a++
				b++
			}
		}
	}
	return s / 2
}
