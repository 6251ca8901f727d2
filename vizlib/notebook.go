package vizlib

import (
	"errors"
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/datasets"
	"github.com/janpfeifer/gonb/gonbui"
)

// progressUI shows a progress line in the notebook (updated in place) and forwards reports to the
// view's Progress callback.
type progressUI struct {
	id, title string
	start     time.Time
	last      time.Time
	user      reduce.Progress
	live      bool
	mu        sync.Mutex
}

func (v *RunView) progress(title string) *progressUI {
	p := &progressUI{title: title, start: time.Now(), user: v.opts.Progress, live: gonbui.IsNotebook && !v.opts.Quiet}
	if p.live {
		p.id = "evz-progress-" + gonbui.UniqueID()
		gonbui.UpdateHTML(p.id, p.line(title+": starting"))
	}
	return p
}

func (p *progressUI) line(s string) string {
	return `<div class="evz-progress" style="font-family:monospace;color:#555">` + html.EscapeString(s) + `</div>`
}

// report is a reduce.Progress.
func (p *progressUI) report(done, total int, stage string) {
	if p == nil {
		return
	}
	if p.user != nil {
		p.user(done, total, stage)
	}
	if !p.live {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 250*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	bar := ""
	if total > 0 {
		k := 20 * done / total
		bar = "[" + strings.Repeat("#", k) + strings.Repeat(".", 20-k) + "] "
	}
	gonbui.UpdateHTML(p.id, p.line(fmt.Sprintf("%s: %s%s %d/%d (%.1fs)", p.title, bar, stage, done, total, time.Since(p.start).Seconds())))
}

func (p *progressUI) finish() {
	if p != nil && p.live {
		gonbui.UpdateHTML(p.id, "") // erase the transient line
	}
}

// one returns the options value of a view: the zero value when none is passed, the value when one
// is, and an error when more than one is (nothing is silently ignored).
func one[T any](view string, opts []T) (T, error) {
	var zero T
	switch len(opts) {
	case 0:
		return zero, nil
	case 1:
		return opts[0], nil
	}
	return zero, fmt.Errorf("vizlib: %s takes at most one options value, got %d: merge them into one", view, len(opts))
}

// ChartOpts are the options of line charts. The zero value lets the y range follow the data on a
// linear axis.
type ChartOpts struct {
	// YMin and YMax fix the y range when YMax > YMin (the seed's ylim).
	YMin, YMax float64
	// LogY starts the chart with a log-scaled y axis (a checkbox toggles it).
	LogY bool
}

func (o ChartOpts) apply(ch *lineChart) {
	ch.LogY = o.LogY
	if o.YMax > o.YMin {
		ch.YMin, ch.YMax = o.YMin, o.YMax
	}
}

// TrainingRecords charts the run's logged metrics over steps (epochs with ViewOptions.XEpoch):
// losses in one chart (log toggle), accuracies in another, anything else (learning rate) in a
// third. ChartOpts apply to the loss chart.
func (v *RunView) TrainingRecords(opts ...ChartOpts) *Figure {
	return figureOf("TrainingRecords", opts, v.trainingRecords)
}

func (v *RunView) trainingRecords(o ChartOpts) (*chartGrid, error) {
	if v.err != nil {
		return nil, v.err
	}
	run := v.run
	recs, err := run.Metrics()
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s: %w", run.ID(), err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has no metrics records yet", run.ID())
	}
	keys := map[string]bool{}
	for _, r := range recs {
		for k := range r.Values {
			keys[k] = true
		}
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	xlabel := "step"
	if v.opts.XEpoch {
		xlabel = "epoch"
	}
	series := func(k string) lineSeries {
		s := lineSeries{Name: k}
		for _, r := range recs {
			val, ok := r.Values[k]
			if !ok {
				continue
			}
			x := float64(r.Step)
			if v.opts.XEpoch {
				x = r.Epoch
			}
			s.X, s.Y = append(s.X, x), append(s.Y, val)
		}
		if strings.HasPrefix(k, "eval") {
			s.Dash = true
		}
		return s
	}
	loss := &lineChart{Title: "loss", XLabel: xlabel, YLabel: "loss", LogToggle: true}
	o.apply(loss)
	acc := &lineChart{Title: "accuracy", XLabel: xlabel, YLabel: "accuracy"}
	other := &lineChart{Title: "other", XLabel: xlabel, LogToggle: true}
	for _, k := range names {
		switch {
		case strings.Contains(k, "loss"):
			loss.Series = append(loss.Series, series(k))
		case strings.Contains(k, "acc"):
			acc.Series = append(acc.Series, series(k))
		default:
			other.Series = append(other.Series, series(k))
		}
	}
	g := &chartGrid{Title: "training records · " + run.ID(), Cols: 2}
	for _, ch := range []*lineChart{loss, acc, other} {
		if len(ch.Series) > 0 {
			g.Items = append(g.Items, ch)
		}
	}
	if len(other.Series) == 1 {
		other.Title = other.Series[0].Name
	}
	g.Cols = min(3, len(g.Items))
	if len(g.Items) == 3 {
		for _, it := range g.Items {
			it.(*lineChart).Width = 420
		}
	}
	return g, nil
}

// ConfusionOpts are the options of ConfusionMatrices. The zero value shows counts without numbers
// in the cells.
type ConfusionOpts struct {
	// Annotate writes the values into the cells (the seed's annotate_confusion_matrix).
	Annotate bool
	// Normalize starts row-normalized (per-class recall) instead of counts; a toggle switches.
	Normalize bool
}

// ConfusionMatrices shows the confusion matrix of every snapshot (rows: label, columns:
// prediction, named by the run's class names) with a slider over snapshots and a
// counts/normalized toggle.
func (v *RunView) ConfusionMatrices(opts ...ConfusionOpts) *Figure {
	return figureOf("ConfusionMatrices", opts, v.confusionMatrices)
}

func (v *RunView) confusionMatrices(o ConfusionOpts) (*heatmapChart, error) {
	d, err := v.load(false)
	if err != nil {
		return nil, err
	}
	if err := d.needPredictions("ConfusionMatrices"); err != nil {
		return nil, err
	}
	names := d.classNames()
	h := &heatmapChart{Title: "confusion matrices · " + d.info.ID, RowLabels: names, ColLabels: names, XLabel: "prediction", YLabel: "label",
		Annotate: o.Annotate, Normalize: o.Normalize, NormToggle: true}
	for t, p := range d.preds {
		m, err := reduce.ConfusionMatrix(d.labels, p, len(names))
		if err != nil {
			return nil, err
		}
		h.Frames = append(h.Frames, heatmapFrame{Label: d.captions[t], Values: m})
	}
	return h, nil
}

// SkipsOpts are the options of Drift and CKA: the snapshot distances k and the chart's range.
type SkipsOpts struct {
	// Skips are the distances k between the compared snapshots i and i-k; nil means the seed's
	// 1, 2, 4, 8, 16. Skips not shorter than the run are left out (all of them is an error).
	Skips []int
	// YMin and YMax fix the y range when YMax > YMin (the seed's CKA chart uses 0 and 0.3).
	YMin, YMax float64
	// LogY starts the chart with a log-scaled y axis.
	LogY bool
}

func (o SkipsOpts) skips(d *runData, what string) ([]int, error) {
	want := o.Skips
	if want == nil {
		want = []int{1, 2, 4, 8, 16}
	}
	var out []int
	for _, s := range want {
		if s < 1 {
			return nil, fmt.Errorf("vizlib: %s skip %d: skips must be >= 1", what, s)
		}
		if s < len(d.seq) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has %d snapshots: too few for %s with skips %v", d.info.ID, len(d.seq), what, want)
	}
	return out, nil
}

func (o SkipsOpts) chart(title, ylabel string, d *runData, series map[int][]float64, skips []int) *lineChart {
	ch := &lineChart{Title: title, XLabel: d.xlabel, YLabel: ylabel, LogToggle: true}
	ChartOpts{YMin: o.YMin, YMax: o.YMax, LogY: o.LogY}.apply(ch)
	for _, s := range skips {
		ch.Series = append(ch.Series, lineSeries{Name: fmt.Sprintf("skip %d", s), X: d.xs, Y: series[s]})
	}
	return ch
}

// Drift charts the embedding drift: the mean distance each point moved between snapshot i and
// i-k, mean_j ‖E_i[j] − E_{i−k}[j]‖, for every skip k.
func (v *RunView) Drift(opts ...SkipsOpts) *Figure {
	return figureOf("Drift", opts, v.drift)
}

func (v *RunView) drift(o SkipsOpts) (*lineChart, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	skips, err := o.skips(d, "drift")
	if err != nil {
		return nil, err
	}
	series, err := reduce.Drift(d.seq, skips)
	if err != nil {
		return nil, err
	}
	return o.chart("embedding drift · "+d.info.ID, "mean ‖E_i − E_{i−k}‖", d, series, skips), nil
}

// CKA charts 1 − CKA(E_i, E_{i−k}) (linear CKA) over the snapshots for every skip k: how much the
// geometry of the representation changed.
func (v *RunView) CKA(opts ...SkipsOpts) *Figure {
	return figureOf("CKA", opts, v.cka)
}

func (v *RunView) cka(o SkipsOpts) (*lineChart, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	skips, err := o.skips(d, "CKA")
	if err != nil {
		return nil, err
	}
	p := v.progress("CKA")
	defer p.finish()
	series, err := reduce.CKADistanceSeries(d.seq, skips, &reduce.CKAOptions{Progress: p.report})
	if err != nil {
		return nil, err
	}
	return o.chart("1 − CKA(E_i, E_{i−k}) · "+d.info.ID, "1 − CKA", d, series, skips), nil
}

// EigenOpts are the options of Eigenvalues.
type EigenOpts struct {
	// K is the number of leading eigenvalues charted; 0 means 10 (at most the dimension).
	K int
	// LogY starts the chart with a log-scaled y axis.
	LogY bool
}

// Eigenvalues charts the top-K eigenvalues of each snapshot's covariance over training.
func (v *RunView) Eigenvalues(opts ...EigenOpts) *Figure {
	return figureOf("Eigenvalues", opts, v.eigenvalues)
}

func (v *RunView) eigenvalues(o EigenOpts) (*lineChart, error) {
	k := o.K
	if k == 0 {
		k = 10
	}
	if k < 0 {
		return nil, fmt.Errorf("vizlib: EigenOpts.K is %d: use 0 for the default 10 or a positive count", o.K)
	}
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	k = min(k, d.seq[0].Cols, d.seq[0].Rows)
	p := v.progress("eigenvalues")
	defer p.finish()
	ev, err := reduce.EigenvalueSeries(d.seq, k, p.report)
	if err != nil {
		return nil, err
	}
	ch := &lineChart{Title: fmt.Sprintf("top-%d PCA eigenvalues · %s", k, d.info.ID), XLabel: d.xlabel, YLabel: "eigenvalue", LogToggle: true, LogY: o.LogY}
	for j := 0; j < k; j++ {
		s := lineSeries{Name: fmt.Sprintf("λ%d", j+1), X: d.xs}
		for t := range ev {
			val := math.NaN()
			if j < len(ev[t]) {
				val = ev[t][j]
			}
			s.Y = append(s.Y, val)
		}
		ch.Series = append(ch.Series, s)
	}
	return ch, nil
}

// failed returns an animation that carries err (it renders as an error box).
func failed(title string, err error) *Animation {
	return &Animation{Title: title, err: err}
}

// frames computes (or reads from the run's cache) the animation frames of method with opts,
// whose key covers the view's input snapshots, and wraps them in an animation.
func (v *RunView) frames(title, method string, opts any, compute func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error)) *Animation {
	d, err := v.load(true)
	if err != nil {
		return failed(title, err)
	}
	p := v.progress(title)
	defer p.finish()
	frames, err := cachedFrames(d.dir, method, opts, d.seq, len(d.seq), len(d.labels), func() ([]*reduce.Matrix, error) {
		return compute(d, p.report)
	})
	if err != nil {
		return failed(title, err)
	}
	return d.animation(title, frames)
}

// PCA projects every snapshot to 2-D with PCA (reduce.PCAFrames). The zero options are the
// seed's default, one basis fitted on all snapshots (FitBasis "all"); FitBasis "window" fits a basis
// per frame on the Window (default 16) snapshots around it, "frame" one per frame.
func (v *RunView) PCA(opts ...reduce.PCAAnimOptions) *Animation {
	o, err := one("PCA", opts)
	title := "PCA (" + string(orDefault(o.FitBasis, reduce.FitAll)) + ")"
	if err != nil {
		return failed(title, err)
	}
	return v.frames(title, "pca", o, func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error) {
		o.Progress = p
		return reduce.PCAFrames(d.seq, &o)
	})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TSNE embeds every snapshot with t-SNE, each frame continuing from the previous layout
// (reduce.TSNEFrames: Update is the seed's tsne_update, TSNE holds perplexity, metric, seed...).
// A perplexity too high for the number of points is lowered by reduce (reduce.CheckPerplexity),
// and the animation says so in a note.
func (v *RunView) TSNE(opts ...reduce.TSNEAnimOptions) *Animation {
	o, err := one("TSNE", opts)
	if err != nil {
		return failed("t-SNE", err)
	}
	a := v.frames("t-SNE", "tsne", o, func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error) {
		o.Progress = p
		o.TSNE.Warn = func(string) {} // the note below says it, cached or not
		return reduce.TSNEFrames(d.seq, &o)
	})
	a.perplexityNote(o.TSNE.Perplexity)
	return a
}

// perplexityNote adds a note when reduce lowers perplexity for the animation's number of points.
func (a *Animation) perplexityNote(perplexity float64) {
	if a.err != nil || len(a.Frames) == 0 {
		return
	}
	a.notes = append(a.notes, perplexityNotes(perplexity, a.Frames[0].Rows)...)
}

func orDefaultF(x, def float64) float64 {
	if x == 0 {
		return def
	}
	return x
}

// UMAP embeds every snapshot with UMAP (reduce.UMAPFrames: UMAP holds metric, n_neighbors,
// min_dist, seed; frame t starts from frame t−1's layout).
func (v *RunView) UMAP(opts ...reduce.UMAPAnimOptions) *Animation {
	o, err := one("UMAP", opts)
	if err != nil {
		return failed("UMAP", err)
	}
	return v.frames("UMAP", "umap", o, func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error) {
		o.Progress = p
		return reduce.UMAPFrames(d.seq, &o)
	})
}

// MPHATE embeds all snapshots jointly with M-PHATE (reduce.MPHATE, multislice PHATE).
func (v *RunView) MPHATE(opts ...reduce.MPHATEOptions) *Animation {
	o, err := one("MPHATE", opts)
	if err != nil {
		return failed("M-PHATE", err)
	}
	return v.frames("M-PHATE", "mphate", o, func(d *runData, p reduce.Progress) ([]*reduce.Matrix, error) {
		o.Progress = p
		return reduce.MPHATE(d.seq, &o)
	})
}

// Denoise returns a copy of the animation whose point trajectories are smoothed over time
// (reduce.Denoise; the zero options are the seed's denoise: Gaussian, sigma 1 frame, and for
// animations of a run, frames across a sudden change of the representation, measured by CKA of the
// snapshots, are not averaged together). The original is unchanged; errors are carried.
func (a *Animation) Denoise(opts ...reduce.DenoiseOptions) *Animation {
	if a == nil || a.err != nil {
		return a
	}
	o, err := one("Denoise", opts)
	out := *a
	out.Title = a.Title + " denoised"
	if err == nil {
		if o.Snapshots == nil && len(a.snapshots) == len(a.Frames) {
			o.Snapshots = a.snapshots
		}
		out.Frames, err = reduce.Denoise(a.Frames, &o)
	}
	if err != nil {
		out.err = fmt.Errorf("vizlib: denoising %q: %w", a.Title, err)
	}
	return &out
}

// GridOpts are the options of Grid. The zero value plays the animations in min(3, n) columns of
// 320-pixel panels, each panel with its own axes, no in-between frames.
type GridOpts struct {
	// Titles override the panels' titles, by position ("" keeps a panel's own).
	Titles []string
	// Cols is the number of grid columns; 0 means min(3, panels).
	Cols int
	// Confusion adds a confusion-matrix panel that follows the frame (the run must record
	// predictions), its rows and columns named by the run's class names.
	Confusion bool
	// NoConfusionAnnotate leaves the counts out of the confusion-matrix cells (the seed's
	// annotate_confusion_matrix=False; by default they are written, as the seed's True).
	NoConfusionAnnotate bool
	// Interpolate draws this many in-between frames between consecutive snapshots (the seed's
	// steps per transition minus one).
	Interpolate int
	// SharedAxes gives every panel the same coordinate range.
	SharedAxes bool
	// Size is each panel's side in CSS pixels; 0 means FigSizePerPlot, else 320.
	Size int
	// FigSizePerPlot is the seed's figsize_per_plot (w, h) in inches, at 80 CSS pixels per inch
	// (the seed's (4, 4) is 320 pixels). Panels keep equal axis scales, so they are square: the
	// side is 80 * min(w, h). Zero means Size. Used when Size is 0.
	FigSizePerPlot [2]float64
	// PointSize is the side of a point in CSS pixels; 0 means 2 above 3000 points, else 3.
	PointSize float64
	// GIFDownload adds a download link for an animated GIF of the grid.
	GIFDownload bool
	// Neighbors is the number k of nearest neighbours (in the run's embedding space at each
	// snapshot) that clicking or hovering a point lists and highlights; 0 means 6 for animations
	// of at most 2000 points and none above, negative means none.
	Neighbors int
}

// Grid plays animations of the same points in sync in one grid. Animations that failed are
// reported in an error box (and in Err) and left out; the others still play.
func Grid(opts GridOpts, anims ...*Animation) *Figure {
	p, errs := newPlayer(anims, opts)
	var parts []renderable
	if len(errs) > 0 {
		parts = append(parts, errBox{errors.Join(errs...)})
	}
	if p != nil {
		parts = append(parts, p)
		if opts.GIFDownload {
			if link, err := p.gifLink("embviz-animation", nil); err == nil {
				parts = append(parts, rawHTML(link))
			} else {
				errs = append(errs, err)
				parts = append(parts, errBox{err})
			}
		}
	}
	var notes []string
	for _, a := range anims {
		if a != nil {
			notes = append(notes, a.notes...)
		}
	}
	return &Figure{content: fragments(parts), err: errors.Join(errs...), notes: notes}
}

func newPlayer(anims []*Animation, o GridOpts) (*playerView, []error) {
	p := &playerView{Cols: o.Cols, Confusion: o.Confusion, Interpolate: o.Interpolate, SharedAxes: o.SharedAxes, Size: o.Size, PointSize: o.PointSize}
	p.ConfusionNoAnnotate = o.NoConfusionAnnotate
	if w, h := o.FigSizePerPlot[0], o.FigSizePerPlot[1]; p.Size == 0 && w > 0 && h > 0 {
		p.Size = int(math.Round(80 * math.Min(w, h)))
	}
	var errs []error
	for i, a := range anims {
		title := ""
		if i < len(o.Titles) {
			title = o.Titles[i]
		}
		if a == nil {
			errs = append(errs, fmt.Errorf("vizlib: animation %d is nil", i))
			continue
		}
		if a.err != nil {
			name := a.Title
			if title != "" {
				name = title
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, a.err))
			continue
		}
		b := *a
		if title != "" {
			b.Title = title
		}
		p.Panels = append(p.Panels, &b)
	}
	if len(p.Panels) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errors.New("vizlib: no animations to show"))
		}
		return nil, errs
	}
	if o.Confusion && p.Panels[0].Predictions == nil {
		errs = append(errs, errors.New("vizlib: GridOpts.Confusion needs predictions, and the animations have none (not a classifier run)"))
	}
	p.Neighbors = defaultNeighbors(o.Neighbors, p.Panels)
	if _, err := p.meta(); err != nil {
		return nil, append(errs, err)
	}
	return p, errs
}

// errBox renders an error as content.
type errBox struct{ err error }

func (e errBox) html() string { return errorHTML(e.err) }

// rawHTML is a fragment given as HTML.
type rawHTML string

func (r rawHTML) html() string { return string(r) }

// fragments renders its parts one after the other.
type fragments []renderable

func (f fragments) html() string {
	var b strings.Builder
	for _, r := range f {
		b.WriteString(r.html())
		b.WriteString("\n")
	}
	return b.String()
}

// htmlEscape escapes s for HTML text.
func htmlEscape(s string) string { return html.EscapeString(s) }
func pick(v []int32, subset []int) []int32 {
	if subset == nil {
		return v
	}
	out := make([]int32, len(subset))
	for i, j := range subset {
		out[i] = v[j]
	}
	return out
}

func pickRows(m *reduce.Matrix, subset []int) *reduce.Matrix {
	if subset == nil {
		return m
	}
	out := reduce.NewMatrix(len(subset), m.Cols)
	for i, j := range subset {
		copy(out.Row(i), m.Row(j))
	}
	return out
}

func accuracy(labels, preds []int32) float64 {
	if len(labels) == 0 {
		return math.NaN()
	}
	ok := 0
	for i, l := range labels {
		if preds[i] == l {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// classNames returns the run's class names, or "0".."k-1" from the labels.
func (d *runData) classNames() []string {
	if len(d.info.ClassNames) > 0 {
		return d.info.ClassNames
	}
	k := int32(0)
	for _, l := range d.labels {
		k = max(k, l+1)
	}
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// thumbCache keeps the hover thumbnails of a data set's test split per (dataset, dir).
var thumbCache sync.Map

// thumbnails returns hover images for the run's points when its data set has images, can be
// loaded, and the images stay under 8 MB; otherwise nil.
// lazyThumbs holds a run's hover thumbnails, loaded on first use.
type lazyThumbs struct {
	once sync.Once
	set  *thumbSet
}

// thumbnails returns the run's hover thumbnails (nil when it has none), loading them once per
// view.
func (d *runData) thumbnails() *thumbSet {
	d.thumbs.once.Do(func() { d.thumbs.set = d.loadThumbnails() })
	return d.thumbs.set
}

func (d *runData) loadThumbnails() *thumbSet {
	if d.opts.NoThumbnails || d.index == nil || d.info.Dataset == "" {
		return nil
	}
	key := d.info.Dataset + "\x00" + d.opts.DatasetDir
	var ds *datasets.Dataset
	if v, ok := thumbCache.Load(key); ok {
		ds = v.(*datasets.Dataset)
	} else {
		var err error
		ds, err = datasets.Load(d.info.Dataset, d.opts.DatasetDir)
		if err != nil || ds == nil {
			return nil
		}
		thumbCache.Store(key, ds)
	}
	if len(ds.ImageShape) != 3 || ds.Test == nil {
		return nil
	}
	h, w, ch := ds.ImageShape[0], ds.ImageShape[1], ds.ImageShape[2]
	if len(d.index)*h*w*ch > 8<<20 {
		return nil
	}
	t, err := thumbnailsFromFloats(ds.Test.X, ds.Test.N, h, w, ch, d.index)
	if err != nil {
		return nil
	}
	return t
}

// animation wraps frames with the run's labels, predictions, captions and thumbnails.
func (d *runData) animation(title string, frames []*reduce.Matrix) *Animation {
	return &Animation{Title: title, Frames: frames, Labels: d.labels, Predictions: d.preds, ClassNames: d.classNames(),
		Captions: d.captions, Indices: d.index, Thumbs: d.thumbnails(), snapshots: d.seq, run: d.info.ID}
}
