package reduce

import (
	"fmt"
	"math"
)

// UMAPAnimOptions configures UMAPFrames. The zero value (or nil) is the warm-started mode with
// umap-learn's defaults.
type UMAPAnimOptions struct {
	// UMAP holds the per-snapshot UMAP parameters (NNeighbors, MinDist, Metric, Init, Seed, ...).
	// Its KNN and InitEmbedding fields must be nil (each snapshot gets its own graph). Its NEpochs is
	// the first frame's epochs in warm mode and the joint epochs in aligned mode (0: warm uses
	// umap-learn's default, aligned uses 200 like AlignedUMAP).
	UMAP UMAPOptions
	// Mode is "warm" (default, ""): frame 0 is a full UMAP, frame t starts from frame t-1's layout
	// and runs FrameEpochs epochs on snapshot t's graph; or "aligned": all frames are optimized
	// jointly, each positive sample of point i in frame t also pulled toward point i's position in
	// frames t±1..t±AlignmentWindow (AlignedUMAP's regularisation, weight lambda exp(1 - |dt|)).
	Mode string
	// FrameEpochs is the number of epochs of each warm-started frame after the first. 0 means
	// adaptive: frame t's neighbours are first refined from frame t-1's graph (each point's previous
	// neighbours, their nearest neighbours and its reverse neighbours, rescored on snapshot t;
	// O(n k d)); if at most 15% of the entries changed (neighbourhoods that evolve smoothly, as in
	// a training run's later snapshots), that graph is used at 0.7 times FrameLearningRate;
	// otherwise the neighbours are searched again: where UMAP would use NN-descent (see
	// UMAP.KNNMethod), NN-descent starts from the refined graph and runs until it converges (see
	// WarmKNN for the alternative), else exactly. Either way the frame runs 100 * changed / 0.4
	// epochs, at least 20 and at most 100. (50 snapshots of 5,000 Fashion-MNIST points blended
	// with noise: 3-7% of the entries change a frame; the noisy random walk of BenchmarkReport10k:
	// 38-40%; a CNN's 50 Fashion-MNIST snapshots of 10,000 points: 16-63% in 28 of the first 30
	// frames, then 14% down to 0.) Until 2026-12-06 the epochs were 100 * changed / 0.15 on the refined graph and
	// 100 after a fresh NN-descent (random projection trees): on that CNN run (32 dims) the UMAP
	// frames now take 22.1 s CPU instead of 32.5 (2 busy cores, same run), last-frame
	// trustworthiness@10 (2,000-point subsample) 0.9863 instead of 0.9873, mean displacement
	// 0.0569 instead of 0.0586; on BenchmarkReport10k's walk (64 dims) 44.5 s instead of 58.7,
	// 0.7146 instead of 0.7189, 0.625 instead of 0.740. (The scale 0.35: 47.9 s, 0.7162 there,
	// 23.3 s and 0.9860 on the CNN run.) NN-descent from the refined graph reached a recall of the
	// exact graph of 0.998 in 3 iterations (0.16 s CPU) on the CNN run, where a fresh one reached
	// 0.998 in 0.24 s, and 0.71 in 7 iterations (0.23 s) on the walk, where a fresh one reached 0.60
	// in 0.51 s. On the 50 frames of 5,000 points of embviz bench reduce (exact searches, 3-7% new
	// entries: 20 epochs a frame): trustworthiness 0.9832 instead of 0.9848, displacement 0.0480
	// instead of 0.0491, CPU 0.31 instead of 0.43 times that of FrameEpochs 100 in the same run.
	// A positive FrameEpochs runs that many epochs a frame, always on a fresh search (the
	// behaviour before 2026-12 with 100).
	FrameEpochs int
	// FrameLearningRate is the initial SGD step of each warm-started frame after the first: small,
	// so a frame refines its predecessor instead of re-spreading it. 0 means 0.05 times
	// UMAP.LearningRate (default 1): on Fashion-MNIST snapshots with growing noise this moved points
	// half as much between frames as independent UMAPs, at equal trustworthiness (0.25 moved them
	// nearly as much and lost 0.004 trustworthiness).
	FrameLearningRate float64
	// WarmKNN starts NN-descent for frame t > 0 (one that searches afresh, see FrameEpochs; in
	// adaptive mode instead of the search from the refined graph) from frame t-1's graph
	// (NNDescentOptions.Init, no random projection trees) and runs umapFrameKNNIters iterations, where the snapshot's graph comes
	// from NN-descent (UMAP.KNNMethod "nndescent", or "" above UMAPNNDescentThreshold rows; exact
	// searches stay exact). Points keep their identity across snapshots, so most neighbourhoods carry
	// over: on 20 snapshots of 5,000 Fashion-MNIST points with growing noise, the same last-frame
	// trustworthiness with less motion and 0.2 s less CPU a frame. But on snapshots whose
	// neighbourhoods change a lot (BenchmarkReport10k's random walk in 64 dimensions, where even a
	// fresh NN-descent finds only 60% of the true neighbours) the search stays near the previous
	// graph: trustworthiness 0.762 instead of 0.785 after 8 frames of 10,000 points. Off by default.
	WarmKNN bool
	// AlignmentRegularization is lambda of the aligned mode. 0 means 0.01 (AlignedUMAP's).
	AlignmentRegularization float64
	// AlignmentWindow is the number of neighbouring frames on each side the aligned mode couples.
	// 0 means 3 (AlignedUMAP's).
	AlignmentWindow int
	// Progress, if not nil, is called with stage "umap frames" (done frames out of T) in warm mode,
	// "umap graphs" and "umap aligned epochs" in aligned mode.
	Progress Progress
}

// UMAPFrames embeds every snapshot of seq (T matrices [n, d_t] with the same n samples; d_t may
// differ) with UMAP and returns T frames [n, NComponents] that move smoothly:
//
//   - warm mode: frame t is initialized with frame t-1's layout and, by default, its neighbour
//     graph refined from frame t-1's, with fewer epochs where the graph changed little (see
//     UMAPAnimOptions.FrameEpochs); then each frame is normalized (Normalize: centered, unit
//     overall variance) and registered onto the previous registered frame by orthogonal
//     Procrustes (rotation/reflection + translation);
//   - aligned mode: all frames are optimized together with the alignment penalty (see
//     UMAPAnimOptions.Mode), then centered and scaled by one common factor, so relative motion
//     between frames is kept.
//
// Errors as UMAP, naming the snapshot.
func UMAPFrames(seq []*Matrix, opts *UMAPAnimOptions) ([]*Matrix, error) {
	if opts == nil {
		opts = &UMAPAnimOptions{}
	}
	if err := ValidateSequence(seq, false); err != nil {
		return nil, fmt.Errorf("reduce: UMAPFrames: %w", err)
	}
	if opts.UMAP.KNN != nil || opts.UMAP.InitEmbedding != nil {
		return nil, fmt.Errorf("reduce: UMAPFrames: UMAP.KNN and UMAP.InitEmbedding must be nil (each snapshot gets its own graph and the previous frame as init)")
	}
	if opts.FrameEpochs < 0 || opts.FrameLearningRate < 0 || opts.AlignmentWindow < 0 || opts.AlignmentRegularization < 0 || bad(opts.AlignmentRegularization) {
		return nil, fmt.Errorf("reduce: UMAPFrames: FrameEpochs (%d), AlignmentWindow (%d) and AlignmentRegularization (%v) cannot be negative",
			opts.FrameEpochs, opts.AlignmentWindow, opts.AlignmentRegularization)
	}
	switch opts.Mode {
	case "", "warm":
		return umapFramesWarm(seq, opts)
	case "aligned":
		return umapFramesAligned(seq, opts)
	}
	return nil, fmt.Errorf("reduce: UMAPFrames: unknown mode %q (want \"warm\" or \"aligned\")", opts.Mode)
}

// Adaptive warm frames (UMAPAnimOptions.FrameEpochs 0): a refined neighbour graph with at most
// umapSmoothChange of its entries new is used as is, at umapSmoothLR times the frame learning
// rate; other frames search their neighbours again (see FrameEpochs). Every frame runs
// umapFullFrameEpochs * changed / umapFullChange epochs (umapAdaptiveEpochs), at least
// umapMinFrameEpochs and at most umapFullFrameEpochs. On 50 snapshots of 5,000 Fashion-MNIST points
// blended with noise (embviz bench reduce) the smooth-graph rule took 2.5x less CPU than 100 epochs
// with fresh searches, moved points 8% less between frames and lost 0.002 last-frame
// trustworthiness (0.9848 vs 0.9870); the learning rate factor 1 moved them 1% more. See
// umapFullChange for the epochs' scale.
const (
	umapSmoothChange    = 0.15
	umapMinFrameEpochs  = 20
	umapFullFrameEpochs = 100
	umapSmoothLR        = 0.7 // times FrameLearningRate in a frame with a refined graph
	// umapFullChange is the fraction of new neighbour entries at which a frame runs all
	// umapFullFrameEpochs. Before 2026-12-06 it was umapSmoothChange (0.15) for frames on the
	// refined graph, and frames above it ran 100 epochs whatever their change; measurements in
	// UMAPAnimOptions.FrameEpochs.
	umapFullChange = 0.4
)

// umapAdaptiveEpochs is the number of epochs of an adaptive warm frame whose refined neighbour
// graph has the fraction changed of its entries new.
func umapAdaptiveEpochs(changed float64) int {
	return min(umapFullFrameEpochs, max(umapMinFrameEpochs, int(math.Round(umapFullFrameEpochs*changed/umapFullChange))))
}

// umapFrameKNNIters is the number of NN-descent iterations of a warm frame's neighbour graph,
// started from the previous frame's (see UMAPAnimOptions.WarmKNN).
const umapFrameKNNIters = 3

// umapFrameNeighbors returns the UMAP neighbour graph of snapshot x: as UMAP would (umapNeighbors),
// except that with warm, NN-descent starts from prev (the previous frame's graph, if not nil) and
// runs umapFrameKNNIters iterations.
func umapFrameNeighbors(x *Matrix, u *UMAPOptions, p *umapParams, prev *Neighbors, warm bool) (*Neighbors, error) {
	if prev == nil || !warm || u.KNN != nil || !umapUsesNNDescent(x.Rows, p) {
		return umapNeighbors(x, u, p)
	}
	nb, err := NNDescent(x, p.nNeighbors-1, &NNDescentOptions{Metric: p.metric, Seed: u.Seed, Threads: p.threads, Init: prev, MaxIter: umapFrameKNNIters})
	if err != nil {
		return nil, fmt.Errorf("reduce: UMAP: %w", err)
	}
	return nb, nil
}

// umapFrameGraph builds snapshot t's neighbour graph (umapFrameNeighbors) and fuzzy graph.
func umapFrameGraph(x *Matrix, t int, u *UMAPOptions, p *umapParams, prev *Neighbors, warm bool) (*Neighbors, *Graph, error) {
	knn, err := umapFrameNeighbors(x, u, p, prev, warm)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %d: %w", t, err)
	}
	g, err := FuzzySimplicialSet(knn)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot %d: %w", t, err)
	}
	return knn, g, nil
}

// umapAdaptiveFrame returns an adaptive warm frame's neighbour graph, epochs and learning rate
// factor (see UMAPAnimOptions.FrameEpochs) for snapshot x, given prev, the previous frame's graph:
// prev refined on x (refineKNN) if at most umapSmoothChange of its entries changed; otherwise,
// where UMAP would search with NN-descent and warmKNN is false, NN-descent started from the
// refined graph and run to convergence; otherwise nil (the frame searches its neighbours as UMAP
// does, or from prev with WarmKNN: umapFrameNeighbors).
func umapAdaptiveFrame(x *Matrix, prev *Neighbors, u *UMAPOptions, p *umapParams, warmKNN bool) (*Neighbors, int, float64, error) {
	k := p.nNeighbors - 1
	nb, changed := refineKNN(x, prev, k, p.metric)
	epochs := umapAdaptiveEpochs(changed)
	if changed <= umapSmoothChange {
		return nb, epochs, umapSmoothLR, nil
	}
	if warmKNN || !umapUsesNNDescent(x.Rows, p) {
		return nil, epochs, 1, nil
	}
	knn, err := NNDescent(x, k, &NNDescentOptions{Metric: p.metric, Seed: u.Seed, Threads: p.threads, Init: nb})
	if err != nil {
		return nil, 0, 0, fmt.Errorf("reduce: UMAP: %w", err)
	}
	return knn, epochs, 1, nil
}

func umapFramesWarm(seq []*Matrix, opts *UMAPAnimOptions) ([]*Matrix, error) {
	T := len(seq)
	adaptive := opts.FrameEpochs == 0
	frameLR := opts.FrameLearningRate
	if frameLR == 0 {
		frameLR = 0.05 * opts.UMAP.LearningRate
		if frameLR == 0 {
			frameLR = 0.05 * UMAPDefaultLearningRate
		}
	}
	out := make([]*Matrix, T)
	var prev *Matrix       // raw layout of the previous frame
	var prevKNN *Neighbors // its neighbour graph
	for t, x := range seq {
		u := opts.UMAP
		u.Progress = nil
		if t > 0 {
			u.InitEmbedding = prev
			u.NEpochs = opts.FrameEpochs
			u.LearningRate = frameLR
		}
		var knn *Neighbors
		if t > 0 && adaptive {
			pk, err := u.resolve(x.Rows)
			if err != nil {
				return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
			}
			var lrScale float64
			if knn, u.NEpochs, lrScale, err = umapAdaptiveFrame(x, prevKNN, &u, pk, opts.WarmKNN); err != nil {
				return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
			}
			u.LearningRate *= lrScale
		}
		p, err := u.resolve(x.Rows)
		if err != nil {
			return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
		}
		var g *Graph
		if knn != nil {
			g, err = FuzzySimplicialSet(knn)
		} else {
			knn, g, err = umapFrameGraph(x, t, &u, p, prevKNN, opts.WarmKNN)
		}
		if err != nil {
			return nil, fmt.Errorf("reduce: UMAPFrames: %w", err)
		}
		prevKNN = knn
		raw, err := simplicialSetEmbedding(x, g, &u, p)
		if err != nil {
			return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
		}
		prev = raw
		y := Normalize(raw)
		if t > 0 {
			if y, err = Procrustes(out[t-1], y, nil); err != nil {
				return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
			}
		}
		out[t] = y
		reportProgress(opts.Progress, t+1, T, "umap frames")
	}
	return out, nil
}

func umapFramesAligned(seq []*Matrix, opts *UMAPAnimOptions) ([]*Matrix, error) {
	T := len(seq)
	lambda := opts.AlignmentRegularization
	if lambda == 0 {
		lambda = 0.01
	}
	window := opts.AlignmentWindow
	if window == 0 {
		window = 3
	}
	u := opts.UMAP
	u.Progress = nil
	nEpochs := u.NEpochs
	if nEpochs == 0 {
		nEpochs = 200
	}
	graphs := make([]*Graph, T)
	var p *umapParams
	var knn *Neighbors
	for t, x := range seq {
		var err error
		if p, err = u.resolve(x.Rows); err != nil {
			return nil, fmt.Errorf("reduce: UMAPFrames: snapshot %d: %w", t, err)
		}
		if knn, graphs[t], err = umapFrameGraph(x, t, &u, p, knn, opts.WarmKNN); err != nil {
			return nil, fmt.Errorf("reduce: UMAPFrames: %w", err)
		}
		reportProgress(opts.Progress, t+1, T, "umap graphs")
	}
	// Frame 0: a full UMAP; every other frame starts from it.
	first, err := simplicialSetEmbedding(seq[0], graphs[0], &u, p)
	if err != nil {
		return nil, fmt.Errorf("reduce: UMAPFrames: snapshot 0: %w", err)
	}
	umapRescaleIsotropic(first)
	embs := make([]*Matrix, T)
	for t := range embs {
		embs[t] = first.Clone()
	}
	s := newUMAPSGD(embs, graphs, nEpochs, p.negRate, p.a, p.b, p.gamma, u.Seed)
	s.align, s.window = lambda, window
	s.run(nEpochs, p.lr, p.threads, func(e int) {
		if opts.Progress != nil && (e%10 == 0 || e == nEpochs) {
			opts.Progress(e, nEpochs, "umap aligned epochs")
		}
	})
	// Common centering and scale.
	dim := first.Cols
	mean := make([]float64, dim)
	var cnt float64
	for _, m := range embs {
		for i := 0; i < m.Rows; i++ {
			for c, v := range m.Row(i) {
				mean[c] += float64(v)
			}
		}
		cnt += float64(m.Rows)
	}
	for c := range mean {
		mean[c] /= cnt
	}
	var ss float64
	for _, m := range embs {
		for i := 0; i < m.Rows; i++ {
			for c, v := range m.Row(i) {
				e := float64(v) - mean[c]
				ss += e * e
			}
		}
	}
	sd := math.Sqrt(ss / (cnt * float64(dim)))
	if sd == 0 {
		sd = 1
	}
	for _, m := range embs {
		for i := 0; i < m.Rows; i++ {
			r := m.Row(i)
			for c := range r {
				r[c] = float32((float64(r[c]) - mean[c]) / sd)
			}
		}
	}
	return embs, nil
}
