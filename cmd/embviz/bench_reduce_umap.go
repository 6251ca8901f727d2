package main

import (
	"fmt"
	"io"
	"time"

	"github.com/embviz/embviz/reduce"
)

// benchUMAPFrames times a frames-frame UMAP animation (reduce.UMAPFrames, warm mode) of
// benchSequence(x) with the defaults and, in the same run, with the settings before 2026-12
// (FrameEpochs 100: every frame's neighbours searched afresh, 100 epochs), and prints both next to
// one static UMAP (wall w1, CPU c1): time, time per frame and in units of the static UMAP,
// last-frame trustworthiness@k (against the last snapshot) and the mean frame-to-frame
// displacement (reduce.Displacements).
func benchUMAPFrames(stdout io.Writer, x *reduce.Matrix, frames, k int, w1, c1 time.Duration) error {
	seq := benchSequence(x, frames)
	fmt.Fprintf(stdout, "UMAP animation: %d frames of %d points (the same snapshots); one static UMAP: %.2f s wall, %.2f s CPU\n",
		frames, x.Rows, w1.Seconds(), c1.Seconds())
	fmt.Fprintf(stdout, "%-21s %8s %8s %9s %11s %10s %11s\n", "UMAP frames", "wall_s", "cpu_s", "s/frame", "x_static", "trust_last", "mean_disp")
	var res [2]struct{ w, c time.Duration }
	for i, c := range []struct {
		name string
		opts *reduce.UMAPAnimOptions
	}{{"UMAP defaults", nil}, {"UMAP before 2026-12", &reduce.UMAPAnimOptions{FrameEpochs: 100}}} {
		var err error
		res[i].w, res[i].c, err = framesRow(stdout, 21, c.name, seq, k, w1, func() ([]*reduce.Matrix, error) { return reduce.UMAPFrames(seq, c.opts) })
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "UMAP frames: %.3f s a frame, %.2f static UMAPs; defaults vs before 2026-12: %.2fx wall, %.2fx CPU (x_static: wall in units of one static UMAP)\n",
		res[0].w.Seconds()/float64(frames), res[0].w.Seconds()/float64(frames)/w1.Seconds(),
		res[1].w.Seconds()/res[0].w.Seconds(), res[1].c.Seconds()/res[0].c.Seconds())
	return nil
}
