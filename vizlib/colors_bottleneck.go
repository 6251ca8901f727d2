package vizlib

import (
	"errors"
	"fmt"
	"html"
	"math"
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
func CurriculumTable(cur *training.Curriculum, steps int) *Figure {
	if cur == nil || len(cur.Keyframes) == 0 {
		return figure(nil, errors.New("vizlib: CurriculumTable of an empty curriculum"))
	}
	return figure(curriculumTable{cur, steps}, nil)
}

type curriculumTable struct {
	cur   *training.Curriculum
	steps int
}

func (t curriculumTable) html() string {
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

// rgbColors returns the RGB color of each point, [n]: row index[i] of data's test split (RGB
// vectors in [0, 1], scaled to 0..255). The labels ([n]) of the selected rows must match the
// data set's, which catches most mix-ups of data sets.
func rgbColors(data *datasets.Dataset, index, labels []int32) ([][3]uint8, error) {
	test := data.Test
	if test == nil || test.Dim() != 3 {
		shape := []int(nil)
		if test != nil {
			shape = test.Shape
		}
		return nil, fmt.Errorf("vizlib: colors need RGB vectors (3 values per example), data set %q has %v", data.Name, shape)
	}
	if index == nil {
		return nil, errors.New("vizlib: colors need the points' data set indices, and the run records none")
	}
	if len(labels) != len(index) {
		return nil, fmt.Errorf("vizlib: %d labels and %d data set indices", len(labels), len(index))
	}
	to8 := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
	out := make([][3]uint8, len(index))
	for i, j := range index {
		if j < 0 || int(j) >= test.N {
			return nil, fmt.Errorf("vizlib: data set index %d outside the test split of %d colors: pass the data set the run was trained on", j, test.N)
		}
		if test.Labels[j] != labels[i] {
			return nil, fmt.Errorf("vizlib: point %d has label %d, the data set's color %d has label %d: pass the data set the run was trained on", i, labels[i], j, test.Labels[j])
		}
		x := test.X[3*int(j) : 3*int(j)+3]
		out[i] = [3]uint8{to8(x[0]), to8(x[1]), to8(x[2])}
	}
	return out, nil
}

// LatentAnimation animates two raw dimensions of the view's layer (the embedding by default), dx
// (horizontal) and dy (vertical), over the snapshots, with no reduction: the natural view of a
// small bottleneck (colormlp has 2 to 4 units).
func (v *RunView) LatentAnimation(dx, dy int) *Animation {
	title := fmt.Sprintf("z%d vs z%d", dx, dy)
	d, err := v.load(true)
	if err != nil {
		return failed(title, err)
	}
	frames, err := dimFrames(d.seq, dx, dy)
	if err != nil {
		return failed(title, err)
	}
	return d.animation(title, frames)
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

// WithColors returns a copy of the animation whose points are drawn in their own RGB colors, read
// from data, a data set of RGB vectors (the colors data set): point i is row Indices[i] of its test
// split, and its label must match Labels[i] (pass the data set the run was trained on). The class
// legend still toggles classes. nil data means class colors. Errors are carried.
func (a *Animation) WithColors(data *datasets.Dataset) *Animation {
	if a == nil {
		return failed("", errors.New("vizlib: WithColors of a nil animation"))
	}
	b := *a
	if a.err != nil {
		return &b
	}
	if data == nil {
		b.Colors = nil
		return &b
	}
	colors, err := rgbColors(data, a.Indices, a.Labels)
	if err == nil && len(a.Frames) > 0 && len(colors) != a.Frames[0].Rows {
		err = fmt.Errorf("vizlib: %d colors for an animation of %d points", len(colors), a.Frames[0].Rows)
	}
	if err != nil {
		b.err = fmt.Errorf("vizlib: %s: %w", a.Title, err)
		return &b
	}
	b.Colors = colors
	return &b
}

// phaseEnd is the snapshot chosen to show the state of the embedding at the end of a curriculum
// phase: index is the snapshot's index in the run, step its training step.
type phaseEnd struct {
	phase       training.CurriculumPhase
	index, step int
}

// phaseEnds picks, for each phase of cur over the run's steps, the last snapshot taken at or
// before the phase's end (a snapshot at step s has seen the updates of steps 0..s-1, so the
// snapshot at the step where the next phase starts is still the end of this one), or the first
// snapshot after it when there is none inside the phase.
func phaseEnds(info training.RunInfo, cur *training.Curriculum) ([]phaseEnd, error) {
	if cur == nil || len(cur.Keyframes) == 0 {
		return nil, errors.New("vizlib: PhaseEndLatents of an empty curriculum")
	}
	if len(info.Snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has no snapshots yet", info.ID)
	}
	phases := cur.Phases(info.Steps)
	if len(phases) == 0 {
		return nil, fmt.Errorf("vizlib: the curriculum has no phase within the run's %d steps", info.Steps)
	}
	var out []phaseEnd
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
		out = append(out, phaseEnd{phase: ph, index: best, step: info.Snapshots[best].Step})
	}
	return out, nil
}

// PhaseEndOpts are the options of PhaseEndLatents. The zero value draws seed 003's figure: the
// pairs (z0, z1) and (z0, z2) in class colors.
type PhaseEndOpts struct {
	// Pairs are the dimension pairs (dx, dy), one column each; nil means seed 003's (0, 1) and
	// (0, 2), or only (0, 1) for a 2-dimensional layer.
	Pairs [][2]int
	// Colors, when not nil, draws every point in its own RGB color read from this data set of RGB
	// vectors (the colors data set the run was trained on; see Animation.WithColors); nil means
	// class colors.
	Colors *datasets.Dataset
	// Player draws the panels in the interactive player (class legend, hover for the class and
	// index, auto-scaled axes) instead of seed 003's static figure. Default false.
	Player bool
	// Size is the side of each panel's plot area in CSS pixels; 0 means 260 (200 in the player).
	Size int
}

// PhaseEndLatents draws, for each phase of the curriculum cur (rows), the raw dimension pairs of
// the view's layer (columns, PhaseEndOpts.Pairs) at the snapshot that ends the phase (the last
// snapshot at or before the phase's end), in seed 003's form (its PhasePlotter): a dark figure,
// each row labelled "Phase: <name> (End Step: <step>)", columns titled "Dims i vs j", axes with
// ticks and labels "Dim i", dashed zero lines, the dashed unit circle, equal scales on both axes
// (the same range in every panel) and the points in their own RGB colors (PhaseEndOpts.Colors;
// hover a point for its index and color). PhaseEndOpts.Player draws the interactive player instead.
func (v *RunView) PhaseEndLatents(cur *training.Curriculum, opts ...PhaseEndOpts) *Figure {
	o, err := one("PhaseEndLatents", opts)
	if err != nil {
		return figure(nil, err)
	}
	if o.Size < 0 {
		return figure(nil, fmt.Errorf("vizlib: PhaseEndOpts.Size %d must be >= 0", o.Size))
	}
	g, meta, err := v.phaseEndLatents(cur, o)
	if err != nil {
		return figure(nil, err)
	}
	if o.Player {
		return figure(g, nil)
	}
	return figure(&phaseEndFigure{g: g, meta: meta, size: o.Size}, nil)
}

// phaseEndPanel says what a panel of the phase-end grid shows.
type phaseEndPanel struct {
	phase string
	step  int
	dims  [2]int
}

func (v *RunView) phaseEndLatents(cur *training.Curriculum, o PhaseEndOpts) (*scatterGrid, []phaseEndPanel, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, nil, err
	}
	ends, err := phaseEnds(d.info, cur)
	if err != nil {
		return nil, nil, err
	}
	pairs := o.Pairs
	if pairs == nil {
		pairs = [][2]int{{0, 1}, {0, 2}}
		if d.seq[0].Cols == 2 {
			pairs = pairs[:1]
		}
	}
	if len(pairs) == 0 {
		return nil, nil, errors.New("vizlib: PhaseEndOpts.Pairs is empty: pass nil for the default pairs")
	}
	var colors [][3]uint8
	if o.Colors != nil {
		if colors, err = rgbColors(o.Colors, d.index, d.labels); err != nil {
			return nil, nil, fmt.Errorf("vizlib: run %s: %w", d.info.ID, err)
		}
	}
	size := o.Size
	if size == 0 {
		size = 200
	}
	g := &scatterGrid{Title: "latent at the end of each phase · " + d.info.ID, Labels: d.labels, ClassNames: d.classNames(),
		Colors: colors, Indices: d.index, Thumbs: d.thumbnails(), Cols: len(pairs), Size: size}
	var meta []phaseEndPanel
	for _, e := range ends {
		for _, p := range pairs {
			f, err := dimFrames(d.seq[e.index:e.index+1], p[0], p[1])
			if err != nil {
				return nil, nil, err
			}
			g.Panels = append(g.Panels, scatterPanel{Title: fmt.Sprintf("%s · step %d · z%d vs z%d", e.phase.Name, e.step, p[0], p[1]), Points: f[0]})
			meta = append(meta, phaseEndPanel{phase: e.phase.Name, step: e.step, dims: p})
		}
	}
	return g, meta, nil
}

// phaseEndFigure renders a phase-end scatter grid as seed 003's static figure (an inline SVG).
type phaseEndFigure struct {
	g    *scatterGrid
	meta []phaseEndPanel
	size int
}

func (f *phaseEndFigure) html() string {
	g := f.g
	cols := max(1, g.Cols)
	rows := (len(g.Panels) + cols - 1) / cols
	side := float64(f.size)
	if side == 0 {
		side = 260
	}
	// One range for every panel: the unit circle and every point, with a margin.
	lim := 1.1
	for _, p := range g.Panels {
		for _, v := range p.Points.Data {
			if a := math.Abs(float64(v)); !math.IsNaN(a) && !math.IsInf(a, 0) {
				lim = max(lim, a*1.05)
			}
		}
	}
	step := niceStep(2 * lim / 4)
	const left, top, gapX, gapY, rowLabel = 48.0, 30.0, 40.0, 46.0, 130.0
	width := rowLabel + float64(cols)*(left+side+gapX)
	height := top + float64(rows)*(side+gapY) + 10
	var b strings.Builder
	b.WriteString(`<div class="evz-frag embviz-phase-end" style="margin:4px 0;overflow-x:auto">`)
	fmt.Fprintf(&b, `<div style="font:600 13px sans-serif;margin:4px 0">%s</div>`, html.EscapeString(g.Title))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" style="background:#333;font-family:sans-serif">`,
		width, height, width, height)
	for i, p := range g.Panels {
		m := f.meta[i]
		r, c := i/cols, i%cols
		x0 := rowLabel + float64(c)*(left+side+gapX) + left
		y0 := top + float64(r)*(side+gapY)
		sx := func(v float64) float64 { return x0 + (v+lim)/(2*lim)*side }
		sy := func(v float64) float64 { return y0 + (lim-v)/(2*lim)*side }
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#222" stroke="#888"/>`, x0, y0, side, side)
		// Ticks and tick labels.
		for t := math.Ceil(-lim/step) * step; t <= lim+1e-9; t += step {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ccc"/>`, sx(t), y0+side, sx(t), y0+side+4)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#ddd" font-size="10" text-anchor="middle">%s</text>`, sx(t), y0+side+14, tickLabel(t))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ccc"/>`, x0-4, sy(t), x0, sy(t))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#ddd" font-size="10" text-anchor="end">%s</text>`, x0-6, sy(t)+3, tickLabel(t))
		}
		// Zero lines and the unit circle, dashed gray as the seed.
		fmt.Fprintf(&b, `<g stroke="gray" stroke-dasharray="5 4" fill="none"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke-opacity="0.5"/>`+
			`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke-opacity="0.5"/>`+
			`<circle cx="%.1f" cy="%.1f" r="%.1f" stroke-opacity="0.3"/></g>`,
			x0, sy(0), x0+side, sy(0), sx(0), y0, sx(0), y0+side, sx(0), sy(0), side/(2*lim))
		// Points.
		fmt.Fprintf(&b, `<g fill-opacity="0.7">`)
		for j := 0; j < p.Points.Rows; j++ {
			px, py := float64(p.Points.At(j, 0)), float64(p.Points.At(j, 1))
			if math.IsNaN(px) || math.IsNaN(py) {
				continue
			}
			fill, name := "", ""
			if g.Colors != nil {
				c := g.Colors[j]
				fill = fmt.Sprintf("rgb(%d,%d,%d)", c[0], c[1], c[2])
				name = fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
			} else {
				fill = classColorCSS(int(g.Labels[j]))
				if l := int(g.Labels[j]); l >= 0 && l < len(g.ClassNames) {
					name = g.ClassNames[l]
				}
			}
			idx := j
			if g.Indices != nil {
				idx = int(g.Indices[j])
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.2" fill="%s"><title>%d %s (%.3g, %.3g)</title></circle>`,
				sx(px), sy(py), fill, idx, html.EscapeString(name), px, py)
		}
		b.WriteString(`</g>`)
		// Titles and labels.
		if r == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#eee" font-size="13" text-anchor="middle">Dims %d vs %d</text>`, x0+side/2, y0-10, m.dims[0], m.dims[1])
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#ddd" font-size="11" text-anchor="middle">Dim %d</text>`, x0+side/2, y0+side+28, m.dims[0])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#ddd" font-size="11" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">Dim %d</text>`,
			x0-32, y0+side/2, x0-32, y0+side/2, m.dims[1])
		if c == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#eee" font-size="12" text-anchor="middle"><tspan x="%.1f">Phase: %s</tspan><tspan x="%.1f" dy="16">(End Step: %d)</tspan></text>`,
				rowLabel/2, y0+side/2-4, rowLabel/2, html.EscapeString(m.phase), rowLabel/2, m.step)
		}
	}
	b.WriteString(`</svg></div>`)
	return b.String()
}

// niceStep rounds a tick spacing up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func tickLabel(t float64) string {
	if math.Abs(t) < 1e-9 {
		t = 0
	}
	return strconv.FormatFloat(t, 'g', 3, 64)
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
