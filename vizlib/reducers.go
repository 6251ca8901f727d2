package vizlib

import (
	"github.com/embviz/embviz/reduce"
)

// This file adapts package reduce's animation functions to the notebook API's options.

// pcaFrames projects each snapshot ([n, d], same d) to [n, 2] with reduce.PCAFrames: basis
// "all" (one basis for every snapshot), "window" (window snapshots around each frame) or "frame".
func pcaFrames(seq []*reduce.Matrix, basis string, window int, progress reduce.Progress) ([]*reduce.Matrix, error) {
	return reduce.PCAFrames(seq, &reduce.PCAAnimOptions{FitBasis: basis, Window: window, Progress: progress})
}

// umapFrames embeds each snapshot with warm-started UMAP (reduce.UMAPFrames).
func umapFrames(seq []*reduce.Matrix, opts *reduce.UMAPOptions, progress reduce.Progress) ([]*reduce.Matrix, error) {
	return reduce.UMAPFrames(seq, &reduce.UMAPAnimOptions{UMAP: *opts, Progress: progress})
}

// mphateFrames embeds all snapshots jointly with M-PHATE (reduce.MPHATE).
func mphateFrames(seq []*reduce.Matrix, c *config, progress reduce.Progress) ([]*reduce.Matrix, error) {
	return reduce.MPHATE(seq, &reduce.MPHATEOptions{Seed: c.seed, Progress: progress})
}

// denoiseFrames smooths point trajectories over time (reduce.Denoise, Gaussian sigma 1 frame);
// snapshots (may be nil) are the high-dimensional snapshots, whose CKA keeps sudden changes sharp.
func denoiseFrames(frames, snapshots []*reduce.Matrix) ([]*reduce.Matrix, error) {
	opts := &reduce.DenoiseOptions{}
	if len(snapshots) == len(frames) {
		opts.Snapshots = snapshots
	}
	return reduce.Denoise(frames, opts)
}
