package vizlib

import (
	"errors"
	"fmt"
	"strings"

	"github.com/embviz/embviz/reduce"
)

// TSNESteps selects the steps of the t-SNE animation pipeline that TSNELog applies. The zero value
// applies all of them, as RunView.TSNE does: every frame continues from the previous frame's
// layout (warm start), is registered onto it by Procrustes, and is normalized.
type TSNESteps struct {
	// Independent embeds every snapshot from scratch (PCA initialization, the full schedule with
	// early exaggeration) instead of continuing from the previous frame's layout. TSNELog then
	// fails if the options set any of the warm-started frames' fields (Update, FrameIters, ...: they
	// are not read); CommonScale applies.
	Independent bool
	// NoRegister skips the Procrustes registration (rotation, reflection, translation) of each
	// frame onto the previous one.
	NoRegister bool
	// NoNormalize skips the normalization of each axis of each frame to zero mean and unit
	// standard deviation (done before registration, as the seed does).
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

// TSNELog embeds every snapshot of the view's layer ([n, d] each) with t-SNE like RunView.TSNE,
// applying only the pipeline steps that steps selects, so that a notebook can show what each step
// is for. opts are RunView.TSNE's (reduce.TSNEFrames; the zero value is the seed's default) except
// that registration and normalization are chosen by steps: opts must leave NoRegister and
// NoNormalize false. Frames are cached in the run directory by content; the full pipeline
// (TSNESteps{}) shares RunView.TSNE's cache, and the independent layouts are cached before
// registration and normalization, so the variants share them. A perplexity too high for the
// number of points is lowered by reduce, and the animation says so in a note.
func (v *RunView) TSNELog(steps TSNESteps, opts ...reduce.TSNEAnimOptions) *Animation {
	title := "t-SNE (" + steps.String() + ")"
	o, err := one("TSNELog", opts)
	if err == nil {
		err = checkLogOptions(steps, o)
	}
	if err != nil {
		return failed(title, err)
	}
	user := o.Progress
	if o.TSNE.Warn == nil {
		o.TSNE.Warn = func(string) {} // the note below says it, cached or not
	}
	var a *Animation
	if steps.Independent {
		a = v.independentTSNE(title, o.TSNE, steps, o.CommonScale, user)
	} else {
		o.NoRegister, o.NoNormalize = steps.NoRegister, steps.NoNormalize
		a = v.frames(title, "tsne", o, func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error) {
			o.Progress = bothProgress(user, p)
			return reduce.TSNEFrames(d.seq, &o)
		})
	}
	a.perplexityNote(o.TSNE.Perplexity)
	return a
}

// checkLogOptions returns an error for the fields of opts that TSNELog with steps does not read.
func checkLogOptions(steps TSNESteps, o reduce.TSNEAnimOptions) error {
	if o.NoRegister || o.NoNormalize {
		return errors.New("vizlib: TSNELog: choose registration and normalization with TSNESteps (NoRegister, NoNormalize): leave them false in the t-SNE options")
	}
	if !steps.Independent {
		return nil
	}
	// The fields of the warm-started frames: an independent embedding reads only TSNE (and
	// CommonScale, applied by independentTSNE).
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Update", o.Update != 0}, {"FrameIters", o.FrameIters != 0}, {"FrameBudget", o.FrameBudget != 0},
		{"FramePlace", o.FramePlace != 0}, {"FrameLearningRate", o.FrameLearningRate != 0},
		{"FrameTheta", o.FrameTheta != 0}, {"FrameExaggeration", o.FrameExaggeration != 0}, {"ExactKNN", o.ExactKNN},
	} {
		if f.set {
			set = append(set, f.name)
		}
	}
	if len(set) > 0 {
		return fmt.Errorf("vizlib: TSNELog: TSNESteps.Independent embeds every snapshot from scratch: leave %s unset (the warm-started frames' options are not read; set the embedding's options in TSNE)", strings.Join(set, ", "))
	}
	return nil
}

// bothProgress calls a (if not nil), then b.
func bothProgress(a, b reduce.Progress) reduce.Progress {
	if a == nil {
		return b
	}
	return func(done, total int, stage string) {
		a(done, total, stage)
		b(done, total, stage)
	}
}

// independentTSNE embeds every snapshot on its own with opts (cached by content as the raw
// layouts), then normalizes each axis of each frame and registers it onto the previous frame, in
// the seed's order, as steps says (with commonScale: registers, then one σ for both axes). progress, if not nil, is
// called after each frame.
func (v *RunView) independentTSNE(title string, opts reduce.TSNEOptions, steps TSNESteps, commonScale bool, progress reduce.Progress) *Animation {
	d, err := v.load(true)
	if err != nil {
		return failed(title, err)
	}
	p := v.progress(title)
	defer p.finish()
	report := bothProgress(progress, p.report)
	frames, err := cachedFrames(d.dir, "tsne-independent", opts, d.seq, len(d.seq), len(d.labels), func() ([]*reduce.Matrix, error) {
		out := make([]*reduce.Matrix, len(d.seq))
		for t, x := range d.seq {
			y, err := reduce.TSNE(x, &opts)
			if err != nil {
				return nil, fmt.Errorf("vizlib: t-SNE of snapshot %d: %w", t, err)
			}
			out[t] = y
			report(t+1, len(d.seq), "tsne frames")
		}
		return out, nil
	})
	if err != nil {
		return failed(title, err)
	}
	if commonScale { // as reduce.TSNEAnimOptions.CommonScale: register, then one σ for both axes
		if !steps.NoRegister {
			if frames, err = reduce.RegisterFrames(frames, nil); err != nil {
				return failed(title, err)
			}
		}
		if !steps.NoNormalize {
			for t, f := range frames {
				frames[t] = reduce.Normalize(f)
			}
		}
		return d.animation(title, frames)
	}
	// The seed's order: normalize each axis of each layout, then register it onto the previous
	// (normalized, registered) frame, so the registered frames keep unit spread.
	if !steps.NoNormalize {
		frames = reduce.StandardizeFrames(frames)
	}
	if !steps.NoRegister {
		if frames, err = reduce.RegisterFrames(frames, nil); err != nil {
			return failed(title, err)
		}
	}
	return d.animation(title, frames)
}

// FrameDisplacement charts reduce.Displacements of each animation's frames (one series each, named
// by titles in order, "" or a missing title keeping the animation's own): how far a point moves, on
// average, from one frame to the next, in units of the frame's standard deviation. An animation
// that failed is reported in an error box (and in Err) and left out; the others are still charted.
func FrameDisplacement(titles []string, anims ...*Animation) *Figure {
	if len(anims) == 0 {
		return figure(nil, errors.New("vizlib: FrameDisplacement needs at least one animation"))
	}
	if len(titles) > len(anims) {
		return figure(nil, fmt.Errorf("vizlib: FrameDisplacement: %d titles for %d animations", len(titles), len(anims)))
	}
	ch := &lineChart{Title: "frame-to-frame displacement", XLabel: "frame", YLabel: "mean displacement (std units)", LogToggle: true}
	var errs []error
	for i, a := range anims {
		name := fmt.Sprintf("animation %d", i)
		if a != nil && a.Title != "" {
			name = a.Title
		}
		if i < len(titles) && titles[i] != "" {
			name = titles[i]
		}
		if err := a.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		ds, err := reduce.Displacements(a.Frames)
		if err != nil {
			errs = append(errs, fmt.Errorf("vizlib: %s: %w", name, err))
			continue
		}
		s := lineSeries{Name: name}
		for t, d := range ds {
			s.X = append(s.X, float64(t+1))
			s.Y = append(s.Y, d)
		}
		ch.Series = append(ch.Series, s)
	}
	err := errors.Join(errs...)
	if len(ch.Series) == 0 {
		return figure(nil, err)
	}
	if err != nil {
		return &Figure{content: fragments{errBox{err}, ch}, err: err}
	}
	return figure(ch, nil)
}
