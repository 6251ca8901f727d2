package vizlib

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// TSNESteps selects the steps of the t-SNE animation pipeline that TSNELogAnimation applies. The
// zero value applies all of them, as TSNEAnimation does: every frame continues from the previous
// frame's layout (warm start), is registered onto it by Procrustes, and is normalized.
type TSNESteps struct {
	// Independent embeds every snapshot from scratch (PCA initialization, the full schedule with
	// early exaggeration) instead of continuing from the previous frame's layout. TSNEUpdate is
	// then ignored.
	Independent bool
	// NoRegister skips the Procrustes registration (rotation, reflection, translation) of each
	// frame onto the previous one.
	NoRegister bool
	// NoNormalize skips the normalization of each frame to zero mean and unit standard deviation.
	NoNormalize bool
}

// String names the steps applied, e.g. "warm start + Procrustes + normalization".
func (s TSNESteps) String() string {
	parts := []string{"warm start"}
	if s.Independent {
		parts[0] = "independent"
	}
	if !s.NoRegister {
		parts = append(parts, "Procrustes")
	}
	if !s.NoNormalize {
		parts = append(parts, "normalization")
	}
	return strings.Join(parts, " + ")
}

// TSNELogAnimation embeds every snapshot of run (the embedding, or Layer) with t-SNE like
// TSNEAnimation, applying only the pipeline steps that steps selects, so that a notebook can show
// what each step is for. Options: Perplexity, Metric, Seed, TSNEUpdate, Layer, MaxPoints,
// WithProgress, NoThumbnails, DatasetDir. Frames are cached in the run directory like
// TSNEAnimation's. With fewer than 91 points the default perplexity 30 is lowered to (n-1)/3.
func TSNELogAnimation(run *training.Run, steps TSNESteps, opts ...Option) *Animation {
	c := newConfig(opts)
	title := "t-SNE (" + steps.String() + ")"
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	p := newProgress(c, title)
	defer p.finish()
	perplexity := c.perplexity
	if n := d.seq[0].Rows; perplexity == 0 && n-1 < 90 {
		perplexity = max(2, float64(n-1)/3)
	}
	tsne := reduce.TSNEOptions{Perplexity: perplexity, Metric: reduce.Metric(c.metric), Seed: uint64(c.seed)}
	var frames []*reduce.Matrix
	if !steps.Independent {
		key := fmt.Sprintf("tsnelog|%v|%v|%g|%s|%g|%d|%s", steps.NoRegister, steps.NoNormalize, perplexity, c.metric, c.tsneUpdate, c.seed, c.layer)
		frames, err = cachedFrames(d, key, func() ([]*reduce.Matrix, error) {
			return reduce.TSNEFrames(d.seq, &reduce.TSNEAnimOptions{TSNE: tsne, Update: c.tsneUpdate,
				NoRegister: steps.NoRegister, NoNormalize: steps.NoNormalize, Progress: p.report})
		})
	} else {
		// The independent layouts are cached as they come out of t-SNE, so that the variants with
		// and without registration or normalization share them.
		key := fmt.Sprintf("tsneindep|%g|%s|%d|%s", perplexity, c.metric, c.seed, c.layer)
		frames, err = cachedFrames(d, key, func() ([]*reduce.Matrix, error) {
			return independentTSNE(d.seq, tsne, p.report)
		})
		if err == nil {
			frames, err = registerNormalize(frames, steps)
		}
	}
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// independentTSNE embeds every matrix of seq on its own.
func independentTSNE(seq []*reduce.Matrix, opts reduce.TSNEOptions, progress reduce.Progress) ([]*reduce.Matrix, error) {
	frames := make([]*reduce.Matrix, len(seq))
	for t, x := range seq {
		y, err := reduce.TSNE(x, &opts)
		if err != nil {
			return nil, fmt.Errorf("vizlib: t-SNE of snapshot %d: %w", t, err)
		}
		frames[t] = y
		if progress != nil {
			progress(t+1, len(seq), "tsne frames")
		}
	}
	return frames, nil
}

// registerNormalize registers (Procrustes, chained) and normalizes frames as steps says.
func registerNormalize(frames []*reduce.Matrix, steps TSNESteps) ([]*reduce.Matrix, error) {
	var err error
	if !steps.NoRegister {
		if frames, err = reduce.RegisterFrames(frames, nil); err != nil {
			return nil, err
		}
	}
	if !steps.NoNormalize {
		for t, f := range frames {
			frames[t] = reduce.Normalize(f)
		}
	}
	return frames, nil
}

// Displacements returns the T-1 mean displacements of a point between consecutive frames of a
// sequence (T matrices [n, k_t] of the same n points; the first two columns are used):
//
//	D_t = (1/n) Σ_i ||ŷ_i^t − ŷ_i^{t−1}||,  t = 1..T−1,
//
// where ŷ^t is frame t normalized to zero mean and unit standard deviation (reduce.Normalize), so
// that sequences drawn at different scales compare. In a readable animation D_t is small and
// follows the changes of the data; a rotation, reflection or swap of clusters between frames shows
// up as a spike.
func Displacements(frames []*reduce.Matrix) ([]float64, error) {
	if len(frames) < 2 {
		return nil, fmt.Errorf("vizlib: Displacements needs at least 2 frames, got %d", len(frames))
	}
	var prev *reduce.Matrix
	out := make([]float64, 0, len(frames)-1)
	for t, f := range frames {
		if f == nil || f.Cols < 2 || f.Rows < 1 || len(f.Data) != f.Rows*f.Cols {
			return nil, fmt.Errorf("vizlib: Displacements: frame %d is not a valid [n, 2] matrix", t)
		}
		if t > 0 && f.Rows != frames[0].Rows {
			return nil, fmt.Errorf("vizlib: Displacements: frame %d has %d points, frame 0 has %d", t, f.Rows, frames[0].Rows)
		}
		cur := reduce.Normalize(first2(f))
		if prev != nil {
			sum := 0.0
			for i := 0; i < cur.Rows; i++ {
				dx := float64(cur.Data[2*i] - prev.Data[2*i])
				dy := float64(cur.Data[2*i+1] - prev.Data[2*i+1])
				sum += math.Sqrt(dx*dx + dy*dy)
			}
			out = append(out, sum/float64(cur.Rows))
		}
		prev = cur
	}
	return out, nil
}

// first2 returns the first two columns of f ([n, 2]); f itself when it has two.
func first2(f *reduce.Matrix) *reduce.Matrix {
	if f.Cols == 2 {
		return f
	}
	out := reduce.NewMatrix(f.Rows, 2)
	for i := 0; i < f.Rows; i++ {
		out.Data[2*i], out.Data[2*i+1] = f.Data[i*f.Cols], f.Data[i*f.Cols+1]
	}
	return out
}

// FrameDisplacement charts the Displacements of each animation (one series each, named by Titles
// or the animations' titles) over the frames: how far a point moves, on average, from one frame to
// the next, in units of the frame's standard deviation. Options: Titles, LogY, YLim, NoDisplay.
func FrameDisplacement(anims []*Animation, opts ...Option) (string, error) {
	c := newConfig(opts)
	ch, err := frameDisplacement(anims, c)
	return emit(c, ch, err)
}

func frameDisplacement(anims []*Animation, c *config) (*Chart, error) {
	if len(anims) == 0 {
		return nil, errors.New("vizlib: FrameDisplacement needs at least one animation")
	}
	ch := &Chart{Title: "frame-to-frame displacement", XLabel: "frame", YLabel: "mean displacement (std units)",
		LogY: c.logY, LogToggle: true}
	if c.ylim {
		ch.YMin, ch.YMax = c.ymin, c.ymax
	}
	for i, a := range anims {
		name := ""
		if a != nil {
			name = a.Title
		}
		if i < len(c.titles) && c.titles[i] != "" {
			name = c.titles[i]
		}
		if a == nil || a.Err != nil {
			if a == nil {
				return nil, fmt.Errorf("vizlib: animation %d is nil", i)
			}
			return nil, fmt.Errorf("%s: %w", name, a.Err)
		}
		ds, err := Displacements(a.Frames)
		if err != nil {
			return nil, fmt.Errorf("vizlib: %s: %w", name, err)
		}
		s := Series{Name: name}
		for t, v := range ds {
			s.X = append(s.X, float64(t+1))
			s.Y = append(s.Y, v)
		}
		ch.Series = append(ch.Series, s)
	}
	return ch, nil
}
