package vizlib

import (
	"errors"
	"fmt"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// CurriculumTable shows a curriculum's keyframes (its "dopesheet") as an HTML table: one row per
// keyframe with its step, the phase it starts, its actions and the property values it sets; an
// empty property cell (shown as ·) is interpolated between the keyframes around it. steps, when
// positive, adds a last column with the length of each phase over a run of that many steps.
func CurriculumTable(cur *training.Curriculum, steps int, opts ...Option) (string, error) {
	c := newConfig(opts)
	if cur == nil || len(cur.Keyframes) == 0 {
		return emit(c, nil, errors.New("vizlib: empty curriculum"))
	}
	return emit(c, curriculumTable{cur, steps}, nil)
}

type curriculumTable struct {
	cur   *training.Curriculum
	steps int
}

func (t curriculumTable) HTML() string {
	const td = `<td style="padding:2px 10px;border-bottom:1px solid #ddd">`
	const th = `<th style="padding:2px 10px;text-align:left;border-bottom:1px solid #888">`
	var b strings.Builder
	b.WriteString(`<div class="evz-frag embviz-curriculum" style="font:12px monospace;margin:4px 0">`)
	b.WriteString(`<div style="font:600 13px sans-serif;margin:4px 0">curriculum (dopesheet)</div>`)
	b.WriteString(`<table style="border-collapse:collapse">`)
	b.WriteString(`<tr>` + th + `STEP</th>` + th + `PHASE</th>` + th + `ACTION</th>`)
	for _, p := range t.cur.Properties {
		b.WriteString(th + html.EscapeString(p) + `</th>`)
	}
	if t.steps > 0 {
		b.WriteString(th + `phase length</th>`)
	}
	b.WriteString(`</tr>`)
	lengths := map[int]int{}
	for _, ph := range t.cur.Phases(max(t.steps, 1)) {
		lengths[ph.Start] = ph.End - ph.Start
	}
	for i, kf := range t.cur.Keyframes {
		bg := ""
		if kf.Phase != "" {
			bg = fmt.Sprintf(` style="background:%s"`, phaseTint(i))
		}
		fmt.Fprintf(&b, `<tr%s>%s%d</td>%s<b>%s</b></td>%s%s</td>`, bg, td, kf.Step, td,
			html.EscapeString(kf.Phase), td, html.EscapeString(strings.Join(kf.Actions, "; ")))
		for _, p := range t.cur.Properties {
			if v, ok := kf.Values[p]; ok {
				b.WriteString(td + strconv.FormatFloat(v, 'g', 4, 64) + `</td>`)
			} else {
				b.WriteString(td + `<span style="color:#aaa">·</span></td>`)
			}
		}
		if t.steps > 0 {
			l := ""
			if n, ok := lengths[kf.Step]; ok && kf.Phase != "" {
				l = strconv.Itoa(n)
			}
			b.WriteString(td + l + `</td>`)
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</table></div>`)
	return b.String()
}

// phaseTint is a light background for the i-th keyframe row that starts a phase.
func phaseTint(i int) string {
	tints := []string{"#eef5ff", "#eefaf0", "#fff6e8", "#f7eefc", "#fdeeee", "#eefbfb"}
	return tints[i%len(tints)]
}

// EvalColors returns the RGB color of each point of a run's evaluation subset, [n_eval], for runs
// on RGB vector data (the colors data set): row EvalIndex()[i] of data's test split, scaled from
// [0, 1] to 0..255. data nil means datasets.Load of the run's data set with its default options,
// which is right only when the run was trained on those; pass the data set given to
// training.Config.Data otherwise. The labels of the selected rows must match the run's labels,
// which catches most mix-ups of data sets.
func EvalColors(run *training.Run, data *datasets.Dataset) ([][3]uint8, error) {
	if run == nil {
		return nil, errors.New("vizlib: EvalColors of a nil run")
	}
	if data == nil {
		var err error
		if data, err = datasets.Load(run.Info().Dataset, ""); err != nil {
			return nil, fmt.Errorf("vizlib: EvalColors: %w", err)
		}
	}
	test := data.Test
	if test == nil || test.Dim() != 3 {
		return nil, fmt.Errorf("vizlib: EvalColors needs RGB vectors (3 values per example), data set %q has %v", data.Name, test.Shape)
	}
	index, err := run.EvalIndex()
	if err != nil {
		return nil, fmt.Errorf("vizlib: EvalColors: %w", err)
	}
	labels, err := run.Labels()
	if err != nil {
		return nil, fmt.Errorf("vizlib: EvalColors: %w", err)
	}
	if len(labels) != len(index) {
		return nil, fmt.Errorf("vizlib: run %s has %d labels and %d evaluation indices", run.ID(), len(labels), len(index))
	}
	to8 := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
	out := make([][3]uint8, len(index))
	for i, j := range index {
		if j < 0 || int(j) >= test.N {
			return nil, fmt.Errorf("vizlib: run %s evaluation index %d outside the test split of %d colors: pass the data set the run was trained on", run.ID(), j, test.N)
		}
		if test.Labels[j] != labels[i] {
			return nil, fmt.Errorf("vizlib: run %s point %d has label %d, the data set's color %d has label %d: pass the data set the run was trained on", run.ID(), i, labels[i], j, test.Labels[j])
		}
		x := test.X[3*int(j) : 3*int(j)+3]
		out[i] = [3]uint8{to8(x[0]), to8(x[1]), to8(x[2])}
	}
	return out, nil
}

// LatentAnimation animates two raw embedding dimensions, dx (horizontal) and dy (vertical), of
// every snapshot, with no reduction: the natural view of a small bottleneck (colormlp has 2 to 4
// units). Layer animates a recorded layer instead; MaxPoints subsamples. The animation is not
// shown: call Show, or pass it to ShowAnimations.
func LatentAnimation(run *training.Run, dx, dy int, opts ...Option) *Animation {
	c := newConfig(opts)
	title := fmt.Sprintf("z%d vs z%d", dx, dy)
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	frames, err := dimFrames(d.seq, dx, dy)
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// dimFrames takes columns dx and dy of every matrix of seq: T matrices [n, 2].
func dimFrames(seq []*reduce.Matrix, dx, dy int) ([]*reduce.Matrix, error) {
	var frames []*reduce.Matrix
	for t, x := range seq {
		if dx < 0 || dy < 0 || dx >= x.Cols || dy >= x.Cols || dx == dy {
			return nil, fmt.Errorf("vizlib: dimensions (%d, %d) must differ and lie in [0, %d) (snapshot %d)", dx, dy, x.Cols, t)
		}
		f := reduce.NewMatrix(x.Rows, 2)
		for i := 0; i < x.Rows; i++ {
			r := x.Row(i)
			f.Set(i, 0, r[dx])
			f.Set(i, 1, r[dy])
		}
		frames = append(frames, f)
	}
	return frames, nil
}

// WithColors returns a copy of the animation whose points are drawn in the given RGB colors
// ([n], e.g. from EvalColors) instead of their class colors; the class legend still toggles
// classes. The number of colors must equal the number of points (so not with MaxPoints).
func (a *Animation) WithColors(colors [][3]uint8) *Animation {
	b := *a
	if a.Err != nil {
		return &b
	}
	n := 0
	if len(a.Frames) > 0 {
		n = a.Frames[0].Rows
	}
	if len(colors) != n {
		b.Err = fmt.Errorf("vizlib: %d colors for an animation of %d points", len(colors), n)
		return &b
	}
	b.Colors = slices.Clone(colors)
	return &b
}

// PhaseEndSnapshot is the snapshot chosen to show the state of the embedding at the end of a
// curriculum phase.
type PhaseEndSnapshot struct {
	Phase training.CurriculumPhase
	// Index is the snapshot's index in the run; Step its training step.
	Index, Step int
}

// PhaseEndSnapshots picks, for each phase of cur over the run's steps, the last snapshot taken at
// or before the phase's end (a snapshot at step s has seen the updates of steps 0..s-1, so the
// snapshot at the step where the next phase starts is still the end of this one), or the first
// snapshot after it when there is none inside the phase.
func PhaseEndSnapshots(run *training.Run, cur *training.Curriculum) ([]PhaseEndSnapshot, error) {
	if run == nil {
		return nil, errors.New("vizlib: PhaseEndSnapshots of a nil run")
	}
	info := run.Info()
	if len(info.Snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has no snapshots yet", info.ID)
	}
	phases := cur.Phases(info.Steps)
	if len(phases) == 0 {
		return nil, fmt.Errorf("vizlib: the curriculum has no phase within the run's %d steps", info.Steps)
	}
	var out []PhaseEndSnapshot
	for _, ph := range phases {
		best := -1
		for i, s := range info.Snapshots {
			if s.Step > ph.Start && s.Step <= ph.End {
				best = i
			}
		}
		if best < 0 { // no snapshot inside the phase: the first one after its start
			for i, s := range info.Snapshots {
				if s.Step >= ph.Start {
					best = i
					break
				}
			}
		}
		if best < 0 {
			best = len(info.Snapshots) - 1
		}
		out = append(out, PhaseEndSnapshot{Phase: ph, Index: best, Step: info.Snapshots[best].Step})
	}
	return out, nil
}

// PhaseEndLatents draws, for each phase of the curriculum cur (rows), the raw embedding
// dimensions pairs[j] = (dx, dy) (columns) of the snapshot at the end of the phase (see
// PhaseEndSnapshots), every point in its color from colors ([n_eval], e.g. EvalColors; nil means
// class colors). Each panel's title names the phase, the snapshot's step and the dimensions.
func PhaseEndLatents(run *training.Run, cur *training.Curriculum, colors [][3]uint8, pairs [][2]int, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := phaseEndLatents(run, cur, colors, pairs, c)
	return emit(c, g, err)
}

func phaseEndLatents(run *training.Run, cur *training.Curriculum, colors [][3]uint8, pairs [][2]int, c *config) (*ScatterGrid, error) {
	if len(pairs) == 0 {
		return nil, errors.New("vizlib: PhaseEndLatents needs at least one dimension pair")
	}
	ends, err := PhaseEndSnapshots(run, cur)
	if err != nil {
		return nil, err
	}
	cc := *c
	cc.maxPoints = 0 // colors are per evaluation point
	d, err := loadRun(run, &cc, true)
	if err != nil {
		return nil, err
	}
	if colors != nil && len(colors) != len(d.labels) {
		return nil, fmt.Errorf("vizlib: %d colors for the %d evaluation points of run %s", len(colors), len(d.labels), d.info.ID)
	}
	g := &ScatterGrid{Title: "latent at the end of each phase · " + d.info.ID, Labels: d.labels, ClassNames: d.classNames(),
		Colors: colors, Indices: d.index, Cols: len(pairs), Size: 200}
	for _, e := range ends {
		for _, p := range pairs {
			f, err := dimFrames(d.seq[e.Index:e.Index+1], p[0], p[1])
			if err != nil {
				return nil, err
			}
			g.Panels = append(g.Panels, Scatter{Title: fmt.Sprintf("%s · step %d · z%d vs z%d", e.Phase.Name, e.Step, p[0], p[1]), Points: f[0]})
		}
	}
	return g, nil
}

// noClasses reports whether predictions carry no classes: autoencoder runs (colormlp, vae) record
// -1 for every point, which must not be shown as wrong predictions or a 0 accuracy.
func noClasses(p []int32) bool {
	for _, v := range p {
		if v >= 0 {
			return false
		}
	}
	return len(p) > 0
}
