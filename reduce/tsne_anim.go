package reduce

import (
	"fmt"
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
	// FrameIters is the number of iterations for each frame after the first. Zero means 200.
	FrameIters int
	// FrameExaggeration is the exaggeration of those iterations. Zero means 1.
	FrameExaggeration float64
	// NoRegister disables the Procrustes registration (rotation, reflection and translation, no
	// scaling) of each frame onto the previous one. Registration is on by default.
	NoRegister bool
	// NoNormalize disables the normalization of every returned frame to zero mean and unit std
	// (reduce.Normalize: one common scale for both axes). Normalization is on by default.
	NoNormalize bool
	// Progress, if not nil, is called after each frame with (frames done, T, "tsne frames").
	Progress Progress
}

// TSNEFrames embeds a snapshot sequence seq (T matrices [n, d_t], the same n points in every
// snapshot, in order) into T t-SNE layouts [n, 2] that form a coherent animation.
//
// Frame 0 is a full t-SNE of seq[0] (opts.TSNE). Frame t > 0 fits the affinities of seq[t]
// (computed afresh) starting from the layout of frame t-1 at its own scale, for FrameIters
// iterations with exaggeration FrameExaggeration and momentum 0.8. openTSNE advises rescaling an
// initialization to std 1e-4, and TSNE does that for fresh starts; here it is deliberately not done:
// a restart from a shrunk layout needs the early exaggeration phase again and lets clusters rotate,
// swap and flip between frames, whereas continuing an already converged layout (openTSNE's
// "optimize continues from where it stopped") moves each point only as far as its neighbourhood
// changed. The optimized layout is then registered onto frame t-1 by orthogonal Procrustes (removes
// the residual rotation/reflection/drift), blended with frame t-1 by Update, and carried on to
// frame t+1. Every returned frame is normalized (zero mean, unit std) unless NoNormalize.
//
// Cost: T affinity computations (kNN) plus Iters + (T-1) FrameIters iterations.
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
		frameIters = 200
	}
	if frameIters < 0 {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameIters %d must not be negative", o.FrameIters)
	}
	frameExag, ok := positiveOr(o.FrameExaggeration, 1)
	if !ok {
		return nil, fmt.Errorf("reduce: t-SNE frames: FrameExaggeration %v must be positive", o.FrameExaggeration)
	}
	base := o.TSNE
	base.Progress = nil
	if _, _, err := resolveTSNE(&base, seq[0].Rows); err != nil {
		return nil, err
	}
	if seq[0].Rows < 2 {
		return nil, fmt.Errorf("reduce: t-SNE frames: need at least 2 points, have %d", seq[0].Rows)
	}
	// One perplexity (and at most one warning) for the whole sequence.
	base.Perplexity = lowerPerplexity(base.Perplexity, seq[0].Rows, base.Warn)
	frames := make([]*Matrix, len(seq))
	var prev []float64 // carried layout of the previous frame, optimizer scale, [n, 2]
	n := seq[0].Rows
	for t, x := range seq {
		fo := base
		if t > 0 {
			fo.InitLayout = layoutMatrix(prev)
			fo.KeepInitScale = true
		}
		aff, err := TSNEAffinities(x, &fo)
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		emb, err := newTSNEEmbedding(aff, x, &fo)
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		if t == 0 {
			err = emb.Run()
		} else if frameIters > 0 {
			err = emb.optimize(frameIters, frameExag, 0.8, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("reduce: t-SNE frame %d: %w", t, err)
		}
		cur := emb.Embedding()
		if t > 0 {
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
		if !o.NoNormalize {
			cur = Normalize(cur)
		}
		frames[t] = cur
		reportProgress(o.Progress, t+1, len(seq), "tsne frames")
	}
	return frames, nil
}

// layoutMatrix converts an [n, 2] float64 layout to a Matrix.
func layoutMatrix(y []float64) *Matrix {
	m := NewMatrix(len(y)/2, 2)
	for k, v := range y {
		m.Data[k] = float32(v)
	}
	return m
}
