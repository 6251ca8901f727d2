package vizlib

import (
	"errors"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
	"github.com/janpfeifer/gonb/gonbui"
)

// emit shows (unless NoDisplay) and returns the fragment of r, or an error box for err.
func emit(c *config, r Renderable, err error) (string, error) {
	var h string
	if err != nil {
		h = errorHTML(err)
	} else {
		h = r.HTML()
	}
	if !c.noDisplay {
		display(h)
	}
	return h, err
}

// progressUI shows a progress line in the notebook (updated in place) and forwards reports to the
// user's callback.
type progressUI struct {
	id, title string
	start     time.Time
	last      time.Time
	user      reduce.Progress
	live      bool
	mu        sync.Mutex
}

func newProgress(c *config, title string) *progressUI {
	p := &progressUI{title: title, start: time.Now(), user: c.progress, live: gonbui.IsNotebook && !c.noDisplay}
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

// runData is what the API functions read from a run.
type runData struct {
	info     training.RunInfo
	labels   []int32 // [n] (subset applied)
	index    []int32 // [n] dataset indices (subset applied), may be nil
	seq      []*reduce.Matrix
	preds    [][]int32
	xs       []float64 // step or epoch per snapshot
	xlabel   string
	captions []string
	subset   []int  // selected rows of the evaluation set; nil means all
	dir      string // the run directory (for the frames cache)
}

// loadRun reads labels, snapshots (embeddings or c.layer) and predictions of run.
func loadRun(run *training.Run, c *config, needSeq bool) (*runData, error) {
	if run == nil {
		return nil, errors.New("vizlib: nil run (open one with training.OpenRun)")
	}
	d := &runData{info: run.Info(), xlabel: "step", dir: run.Dir()}
	if c.xEpoch {
		d.xlabel = "epoch"
	}
	if len(d.info.Snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has no snapshots yet", d.info.ID)
	}
	labels, err := run.Labels()
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s: %w", d.info.ID, err)
	}
	index, err := run.EvalIndex()
	if err != nil {
		index = nil // optional: only for hover
	}
	n := len(labels)
	if c.maxPoints > 0 && c.maxPoints < n {
		rng := rand.New(rand.NewPCG(uint64(c.seed), 0x5eed))
		perm := rng.Perm(n)[:c.maxPoints]
		sort.Ints(perm)
		d.subset = perm
	}
	d.labels = pick(labels, d.subset)
	if len(index) == n {
		d.index = pick(index, d.subset)
	}
	for t, s := range d.info.Snapshots {
		x := float64(s.Step)
		if c.xEpoch {
			x = s.Epoch
		}
		d.xs = append(d.xs, x)
		p, err := run.Predictions(t)
		if err != nil || len(p) != n || noClasses(p) {
			p = nil
		} else {
			p = pick(p, d.subset)
		}
		d.preds = append(d.preds, p)
		cap := fmt.Sprintf("snapshot %d/%d · step %d · epoch %.2f", t+1, len(d.info.Snapshots), s.Step, s.Epoch)
		if p != nil {
			cap += fmt.Sprintf(" · eval acc %.4f", accuracy(d.labels, p))
		}
		d.captions = append(d.captions, cap)
		if needSeq {
			var m *reduce.Matrix
			if c.layer != "" {
				m, err = run.Layer(t, c.layer)
			} else {
				m, err = run.Embedding(t)
			}
			if err != nil {
				return nil, fmt.Errorf("vizlib: run %s snapshot %d: %w", d.info.ID, t, err)
			}
			if m.Rows != n {
				return nil, fmt.Errorf("vizlib: run %s snapshot %d has %d rows, the run has %d labels", d.info.ID, t, m.Rows, n)
			}
			d.seq = append(d.seq, pickRows(m, d.subset))
		}
	}
	for _, p := range d.preds {
		if p == nil {
			d.preds = nil
			break
		}
	}
	return d, nil
}

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
func (d *runData) thumbnails(c *config) *Thumbnails {
	if c.noThumbs || d.index == nil || d.info.Dataset == "" {
		return nil
	}
	key := d.info.Dataset + "\x00" + c.datasetDir
	var ds *datasets.Dataset
	if v, ok := thumbCache.Load(key); ok {
		ds = v.(*datasets.Dataset)
	} else {
		var err error
		ds, err = datasets.Load(d.info.Dataset, c.datasetDir)
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
	t, err := ThumbnailsFromFloats(ds.Test.X, ds.Test.N, h, w, ch, d.index)
	if err != nil {
		return nil
	}
	return t
}

// animation wraps frames with the run's labels, predictions, captions and thumbnails.
func (d *runData) animation(c *config, title string, frames []*reduce.Matrix) *Animation {
	return &Animation{Title: title, Frames: frames, Labels: d.labels, Predictions: d.preds, ClassNames: d.classNames(),
		Captions: d.captions, Indices: d.index, Thumbs: d.thumbnails(c), snapshots: d.seq}
}

// TrainingRecords charts the run's logged metrics over steps (or epochs with XEpoch): losses in
// one chart (log toggle), accuracies in another, anything else (learning rate) in a third. It
// shows them in a notebook and returns the HTML fragment.
func TrainingRecords(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := trainingRecords(run, c)
	return emit(c, g, err)
}

func trainingRecords(run *training.Run, c *config) (*Grid, error) {
	if run == nil {
		return nil, errors.New("vizlib: nil run")
	}
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
	if c.xEpoch {
		xlabel = "epoch"
	}
	series := func(k string) Series {
		s := Series{Name: k}
		for _, r := range recs {
			v, ok := r.Values[k]
			if !ok {
				continue
			}
			x := float64(r.Step)
			if c.xEpoch {
				x = r.Epoch
			}
			s.X, s.Y = append(s.X, x), append(s.Y, v)
		}
		if strings.HasPrefix(k, "eval") {
			s.Dash = true
		}
		return s
	}
	loss := &Chart{Title: "loss", XLabel: xlabel, YLabel: "loss", LogToggle: true, LogY: c.logY}
	acc := &Chart{Title: "accuracy", XLabel: xlabel, YLabel: "accuracy"}
	other := &Chart{Title: "other", XLabel: xlabel, LogToggle: true}
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
	if c.ylim {
		loss.YMin, loss.YMax = c.ymin, c.ymax
	}
	g := &Grid{Title: "training records · " + run.ID(), Cols: 2}
	for _, ch := range []*Chart{loss, acc, other} {
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
			it.(*Chart).Width = 420
		}
	}
	return g, nil
}

// ConfusionMatrices shows the confusion matrix of every snapshot (rows: label, columns:
// prediction) with a slider over snapshots and a counts/normalized toggle. Annotate writes the
// values; Normalize starts normalized.
func ConfusionMatrices(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	h, err := confusionMatrices(run, c)
	return emit(c, h, err)
}

func confusionMatrices(run *training.Run, c *config) (*Heatmap, error) {
	d, err := loadRun(run, c, false)
	if err != nil {
		return nil, err
	}
	if d.preds == nil {
		return nil, fmt.Errorf("vizlib: run %s has no predictions in its snapshots", d.info.ID)
	}
	names := d.classNames()
	h := &Heatmap{Title: "confusion matrices · " + d.info.ID, RowLabels: names, ColLabels: names, XLabel: "prediction", YLabel: "label",
		Annotate: c.annotate, Normalize: c.normalize, NormToggle: true}
	for t, p := range d.preds {
		m, err := ConfusionMatrix(d.labels, p, len(names))
		if err != nil {
			return nil, err
		}
		h.Frames = append(h.Frames, HeatmapFrame{Label: d.captions[t], Values: m})
	}
	return h, nil
}

// validSkips keeps the skips smaller than the number of snapshots.
func validSkips(skips []int, t int) []int {
	var out []int
	for _, s := range skips {
		if s >= 1 && s < t {
			out = append(out, s)
		}
	}
	return out
}

func skipChart(title, ylabel string, d *runData, series map[int][]float64, skips []int, c *config) *Chart {
	ch := &Chart{Title: title, XLabel: d.xlabel, YLabel: ylabel, LogToggle: true, LogY: c.logY}
	for _, s := range skips {
		ch.Series = append(ch.Series, Series{Name: fmt.Sprintf("skip %d", s), X: d.xs, Y: series[s]})
	}
	if c.ylim {
		ch.YMin, ch.YMax = c.ymin, c.ymax
	}
	return ch
}

// EmbeddingDrift charts the mean distance each point moved between snapshot i and i-k, for the
// skips k (Skips; default 1, 2, 4, 8, 16, those shorter than the run).
func EmbeddingDrift(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	ch, err := embeddingDrift(run, c)
	return emit(c, ch, err)
}

func embeddingDrift(run *training.Run, c *config) (*Chart, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	skips := validSkips(c.skips, len(d.seq))
	if len(skips) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has %d snapshots: too few for drift with skips %v", d.info.ID, len(d.seq), c.skips)
	}
	series, err := reduce.Drift(d.seq, skips)
	if err != nil {
		return nil, err
	}
	return skipChart("embedding drift · "+d.info.ID, "mean ‖E_i − E_{i−k}‖", d, series, skips, c), nil
}

// CKASimilarity charts 1 - CKA(E_i, E_{i-k}) (linear CKA) over snapshots for the skips k.
// YLim(0.3) fixes the y range to [0, 0.3].
func CKASimilarity(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	ch, err := ckaSimilarity(run, c)
	return emit(c, ch, err)
}

func ckaSimilarity(run *training.Run, c *config) (*Chart, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	skips := validSkips(c.skips, len(d.seq))
	if len(skips) == 0 {
		return nil, fmt.Errorf("vizlib: run %s has %d snapshots: too few for CKA with skips %v", d.info.ID, len(d.seq), c.skips)
	}
	p := newProgress(c, "CKA")
	defer p.finish()
	series, err := reduce.CKADistanceSeries(d.seq, skips, &reduce.CKAOptions{Progress: p.report})
	if err != nil {
		return nil, err
	}
	return skipChart("1 − CKA(E_i, E_{i−k}) · "+d.info.ID, "1 − CKA", d, series, skips, c), nil
}

// Eigenvalues charts the top-k eigenvalues of each snapshot's covariance over training.
func Eigenvalues(run *training.Run, k int, opts ...Option) (string, error) {
	c := newConfig(opts)
	ch, err := eigenvalues(run, k, c)
	return emit(c, ch, err)
}

func eigenvalues(run *training.Run, k int, c *config) (*Chart, error) {
	if k <= 0 {
		return nil, fmt.Errorf("vizlib: Eigenvalues needs k >= 1, got %d", k)
	}
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	k = min(k, d.seq[0].Cols, d.seq[0].Rows)
	p := newProgress(c, "eigenvalues")
	defer p.finish()
	ev, err := reduce.EigenvalueSeries(d.seq, k, p.report)
	if err != nil {
		return nil, err
	}
	ch := &Chart{Title: fmt.Sprintf("top-%d PCA eigenvalues · %s", k, d.info.ID), XLabel: d.xlabel, YLabel: "eigenvalue", LogToggle: true, LogY: c.logY}
	for j := 0; j < k; j++ {
		s := Series{Name: fmt.Sprintf("λ%d", j+1), X: d.xs}
		for t := range ev {
			v := math.NaN()
			if j < len(ev[t]) {
				v = ev[t][j]
			}
			s.Y = append(s.Y, v)
		}
		ch.Series = append(ch.Series, s)
	}
	if c.ylim {
		ch.YMin, ch.YMax = c.ymin, c.ymax
	}
	return ch, nil
}

// failed returns an animation that carries err (it renders as an error box).
func failed(title string, err error) *Animation {
	return &Animation{Title: title, Err: err}
}

// PCAAnimation projects every snapshot to 2-D with PCA: FitBasis("all") one basis for all
// snapshots (default), "window" a basis per frame from Window snapshots around it, "frame" a
// basis per frame. The animation is not shown: pass it to ShowAnimations (or call Show).
func PCAAnimation(run *training.Run, opts ...Option) *Animation {
	c := newConfig(opts)
	title := "PCA (" + c.fitBasis + ")"
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	p := newProgress(c, title)
	defer p.finish()
	frames, err := cachedFrames(d, fmt.Sprintf("pca|%s|%d|%s", c.fitBasis, c.window, c.layer), func() ([]*reduce.Matrix, error) {
		return pcaFrames(d.seq, c.fitBasis, c.window, p.report)
	})
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// TSNEAnimation embeds every snapshot with t-SNE, each frame continuing from the previous layout
// (TSNEUpdate smooths, Perplexity, Metric, Seed). With fewer than 91 points the default
// perplexity 30 is lowered to (n-1)/3.
func TSNEAnimation(run *training.Run, opts ...Option) *Animation {
	c := newConfig(opts)
	title := "t-SNE"
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	p := newProgress(c, title)
	defer p.finish()
	perplexity := c.perplexity
	if n := d.seq[0].Rows; perplexity == 0 && n-1 < 90 {
		perplexity = max(2, float64(n-1)/3) // the default 30 needs n-1 >= 90 points
	}
	frames, err := cachedFrames(d, fmt.Sprintf("tsne|%g|%s|%g|%d|%s", perplexity, c.metric, c.tsneUpdate, c.seed, c.layer), func() ([]*reduce.Matrix, error) {
		return reduce.TSNEFrames(d.seq, &reduce.TSNEAnimOptions{
			TSNE:     reduce.TSNEOptions{Perplexity: perplexity, Metric: reduce.Metric(c.metric), Seed: uint64(c.seed)},
			Update:   c.tsneUpdate,
			Progress: p.report,
		})
	})
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// UMAPAnimation embeds every snapshot with UMAP (Neighbors, MinDist, Metric, Seed), each frame
// starting from the previous layout.
func UMAPAnimation(run *training.Run, opts ...Option) *Animation {
	c := newConfig(opts)
	title := "UMAP"
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	p := newProgress(c, title)
	defer p.finish()
	minDist := "default"
	if c.minDist != nil {
		minDist = fmt.Sprint(*c.minDist)
	}
	frames, err := cachedFrames(d, fmt.Sprintf("umap|%d|%s|%s|%d|%s", c.neighbors, minDist, c.metric, c.seed, c.layer), func() ([]*reduce.Matrix, error) {
		return umapFrames(d.seq, &reduce.UMAPOptions{NNeighbors: c.neighbors, MinDist: c.minDist, Metric: reduce.Metric(c.metric), Seed: c.seed}, p.report)
	})
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// MPHATEAnimation embeds all snapshots jointly with M-PHATE (multislice PHATE).
func MPHATEAnimation(run *training.Run, opts ...Option) *Animation {
	c := newConfig(opts)
	title := "M-PHATE"
	d, err := loadRun(run, c, true)
	if err != nil {
		return failed(title, err)
	}
	p := newProgress(c, title)
	defer p.finish()
	frames, err := cachedFrames(d, fmt.Sprintf("mphate|%d|%s", c.seed, c.layer), func() ([]*reduce.Matrix, error) {
		return mphateFrames(d.seq, c, p.report)
	})
	if err != nil {
		return failed(title, err)
	}
	return d.animation(c, title, frames)
}

// Denoise returns a copy of the animation whose point trajectories are smoothed over time
// (reduce.Denoise: Gaussian over ±3 frames; for animations made from a run, frames across a sudden
// change of the representation, measured by CKA, are not averaged together). The original is
// unchanged. Errors are carried in Err.
func (a *Animation) Denoise() *Animation {
	if a == nil || a.Err != nil {
		return a
	}
	frames, err := denoiseFrames(a.Frames, a.snapshots)
	out := *a
	out.Title = a.Title + " denoised"
	if err != nil {
		out.Err = fmt.Errorf("vizlib: denoising %q: %w", a.Title, err)
		return &out
	}
	out.Frames = frames
	return &out
}

// ShowAnimations plays the animations in sync in one grid (Titles, Cols, WithConfusionMatrix,
// Interpolate, SharedAxes, Size, GIFDownload). Animations that failed are reported in an error
// box and left out; the others still play.
func ShowAnimations(anims []*Animation, opts ...Option) (string, error) {
	c := newConfig(opts)
	p, errs := player(anims, c)
	var parts []string
	if len(errs) > 0 {
		parts = append(parts, errorHTML(errors.Join(errs...)))
	}
	if p != nil {
		parts = append(parts, p.HTML())
		if c.gifLink {
			if link, err := p.GIFLink("embviz-animation", nil); err == nil {
				parts = append(parts, link)
			} else {
				errs = append(errs, err)
			}
		}
	}
	h := strings.Join(parts, "\n")
	if !c.noDisplay {
		display(h)
	}
	return h, errors.Join(errs...)
}

func player(anims []*Animation, c *config) (*Player, []error) {
	p := &Player{Cols: c.cols, Confusion: c.confusion, Interpolate: c.interp, SharedAxes: c.sharedAxes, Size: c.size, PointSize: c.pointSize}
	var errs []error
	for i, a := range anims {
		title := ""
		if i < len(c.titles) {
			title = c.titles[i]
		}
		if a == nil {
			errs = append(errs, fmt.Errorf("vizlib: animation %d is nil", i))
			continue
		}
		if a.Err != nil {
			name := a.Title
			if title != "" {
				name = title
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, a.Err))
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
	if _, err := p.spec(); err != nil {
		return nil, append(errs, err)
	}
	return p, errs
}
