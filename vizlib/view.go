package vizlib

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// ViewOptions selects what a RunView reads from its run. The zero value reads every evaluation
// point's embedding and puts the training step on the x axes.
type ViewOptions struct {
	// Layer is the recorded layer the views read instead of the embedding; "" (or EmbeddingLayer)
	// means the embedding.
	Layer string
	// MaxPoints subsamples the evaluation points to at most this many (seeded by Seed, the same
	// subset at every snapshot) before anything is computed; 0 means all points.
	MaxPoints int
	// Seed seeds the subsample of MaxPoints. It does not seed the reducers: their options carry
	// their own seeds.
	Seed int64
	// XEpoch puts the epoch instead of the training step on the x axes of charts.
	XEpoch bool
	// DatasetDir is the directory the run's data set is read from for hover thumbnails and the
	// PixelsLayer; "" means the data set's default location.
	DatasetDir string
	// NoThumbnails leaves the sample images out of hover tooltips.
	NoThumbnails bool
	// Progress, if not nil, receives progress reports of long computations (in a notebook the
	// progress is also shown inline, updated in place).
	Progress reduce.Progress
	// Quiet hides the inline progress line in notebooks.
	Quiet bool
}

// RunView is the notebook's handle on one run: it loads the run's labels, predictions and
// snapshots once (lazily, per layer), applies the subsample of ViewOptions, caches reductions on
// disk by content (see the package doc) and draws every view of the workflow as a method. Every
// method returns a value that shows itself (Show) and renders to HTML (HTML) and that carries its
// error, so a notebook cell is one call and needs no error handling. A RunView is not safe for
// concurrent use.
type RunView struct {
	run  *training.Run
	opts ViewOptions
	err  error
	data map[string]*runData // by layer
}

// View returns the view of run with the default ViewOptions. A nil run gives a view whose every
// output is an error box.
func View(run *training.Run) *RunView { return ViewOf(run, ViewOptions{}) }

// ViewOf returns the view of run with opts.
func ViewOf(run *training.Run, opts ViewOptions) *RunView {
	v := &RunView{run: run, opts: opts, data: map[string]*runData{}}
	switch {
	case run == nil:
		v.err = errors.New("vizlib: nil run (open one with training.OpenRun or training.MustOpenOrTrain)")
	case opts.MaxPoints < 0:
		v.err = fmt.Errorf("vizlib: ViewOptions.MaxPoints is %d: use 0 for all points or a positive count", opts.MaxPoints)
	}
	if opts.Layer == EmbeddingLayer {
		v.opts.Layer = ""
	}
	return v
}

// OpenView opens the run id in runsDir (training.OpenRun: the number, directory name or display
// id) and returns its view; an unknown or ambiguous id makes every output of the view an error box
// that lists the candidates.
func OpenView(runsDir, id string) *RunView {
	run, err := training.OpenRun(runsDir, id)
	v := View(run)
	if err != nil {
		v.err = err
	}
	return v
}

// Layer returns a view of the same run that reads the recorded layer name (EmbeddingLayer for the
// embedding) with the same options; it shares the loaded labels and predictions.
func (v *RunView) Layer(name string) *RunView {
	o := v.opts
	o.Layer = name
	w := ViewOf(v.run, o)
	if v.err != nil {
		w.err = v.err
	}
	w.data = v.data
	return w
}

// Run returns the view's run (nil if it could not be opened).
func (v *RunView) Run() *training.Run { return v.run }

// runData is what the views read from a run: labels, predictions, captions and (for the views
// that need them) the snapshots of one layer, all with the subsample applied.
type runData struct {
	info     training.RunInfo
	labels   []int32 // [n] (subset applied)
	index    []int32 // [n] dataset indices (subset applied), may be nil
	seq      []*reduce.Matrix
	layer    string         // the layer seq holds ("" = embedding)
	preds    [][]int32      // [T][n], nil when the run records no predictions
	xs       []float64      // step or epoch per snapshot
	xlabel   string         // "step" or "epoch"
	captions []string       // one line per snapshot
	subset   []int          // selected rows of the evaluation set; nil means all
	dir      string         // the run directory (for the cache)
	opts     ViewOptions    // the view's options
	thumbs   *lazyThumbs    // shared by the copies load makes: loaded at most once
	inputs   *reduce.Matrix // the PixelsLayer, loaded once
	layers   map[string][]*reduce.Matrix
}

// load returns the run's data, with the snapshots of the view's layer when needSeq.
func (v *RunView) load(needSeq bool) (*runData, error) {
	if v.err != nil {
		return nil, v.err
	}
	d := v.data[""]
	if d == nil {
		var err error
		if d, err = loadRunData(v.run, v.opts); err != nil {
			v.err = err
			return nil, err
		}
		v.data[""] = d
	}
	if !needSeq {
		return d, nil
	}
	seq, err := d.layerSeq(v.run, v.opts.Layer)
	if err != nil {
		return nil, err
	}
	out := *d
	out.seq, out.layer = seq, v.opts.Layer
	return &out, nil
}

// loadRunData reads labels, evaluation indices, predictions and captions of run.
func loadRunData(run *training.Run, o ViewOptions) (*runData, error) {
	d := &runData{info: run.Info(), xlabel: "step", dir: run.Dir(), opts: o, layers: map[string][]*reduce.Matrix{}, thumbs: &lazyThumbs{}}
	if o.XEpoch {
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
	if o.MaxPoints > 0 && o.MaxPoints < n {
		rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x5eed))
		perm := rng.Perm(n)[:o.MaxPoints]
		sort.Ints(perm)
		d.subset = perm
	}
	d.labels = pick(labels, d.subset)
	if len(index) == n {
		d.index = pick(index, d.subset)
	}
	for t, s := range d.info.Snapshots {
		x := float64(s.Step)
		if o.XEpoch {
			x = s.Epoch
		}
		d.xs = append(d.xs, x)
		p, err := run.Predictions(t)
		if err != nil && !errors.Is(err, training.ErrNoPredictions) {
			return nil, err // a truncated or corrupt predictions.npy: the error names it
		}
		if err != nil || len(p) != n || noClasses(p) {
			p = nil
		} else {
			p = pick(p, d.subset)
		}
		d.preds = append(d.preds, p)
		caption := fmt.Sprintf("snapshot %d/%d · step %d · epoch %.2f", t+1, len(d.info.Snapshots), s.Step, s.Epoch)
		if p != nil {
			caption += fmt.Sprintf(" · eval acc %.4f", accuracy(d.labels, p))
		}
		d.captions = append(d.captions, caption)
	}
	for _, p := range d.preds {
		if p == nil {
			d.preds = nil
			break
		}
	}
	return d, nil
}

// layerSeq returns the T snapshots of layer ("" = embedding), subset applied, loading them once.
func (d *runData) layerSeq(run *training.Run, layer string) ([]*reduce.Matrix, error) {
	if seq, ok := d.layers[layer]; ok {
		return seq, nil
	}
	n := len(d.labels)
	if d.subset != nil {
		n = -1
	}
	var seq []*reduce.Matrix
	for t := range d.info.Snapshots {
		m, err := d.layerAt(run, layer, t)
		if err != nil {
			return nil, err
		}
		if n >= 0 && m.Rows != n {
			return nil, fmt.Errorf("vizlib: run %s snapshot %d has %d rows, the run has %d labels", d.info.ID, t, m.Rows, n)
		}
		seq = append(seq, m)
	}
	d.layers[layer] = seq
	return seq, nil
}

// layerAt reads layer (PixelsLayer, EmbeddingLayer or "", or a recorded layer) at snapshot t, with
// the subset applied.
func (d *runData) layerAt(run *training.Run, layer string, t int) (*reduce.Matrix, error) {
	if seq, ok := d.layers[layer]; ok && t < len(seq) {
		return seq[t], nil
	}
	var x *reduce.Matrix
	var err error
	switch layer {
	case PixelsLayer:
		if d.inputs == nil {
			d.inputs, err = training.EvalInputs(run, d.opts.DatasetDir)
		}
		x = d.inputs
	case EmbeddingLayer, "":
		x, err = run.Embedding(t)
	default:
		x, err = run.Layer(t, layer)
	}
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s, %s at snapshot %d: %w", d.info.ID, layerName(layer), t, err)
	}
	if d.subset == nil && x.Rows != len(d.labels) {
		return nil, fmt.Errorf("vizlib: run %s: %s has %d rows, the run has %d labels", d.info.ID, layerName(layer), x.Rows, len(d.labels))
	}
	if d.subset != nil && x.Rows <= d.subset[len(d.subset)-1] {
		return nil, fmt.Errorf("vizlib: run %s: %s has %d rows, fewer than the run's evaluation set", d.info.ID, layerName(layer), x.Rows)
	}
	return pickRows(x, d.subset), nil
}

func layerName(layer string) string {
	if layer == "" {
		return EmbeddingLayer
	}
	return layer
}

// snapshotIndex resolves a snapshot index of single-snapshot views: negative counts from the end
// (-1 is the last).
func (d *runData) snapshotIndex(i int) (int, error) {
	t := len(d.info.Snapshots)
	j := i
	if j < 0 {
		j += t
	}
	if j < 0 || j >= t {
		return 0, fmt.Errorf("vizlib: snapshot %d out of range: run %s has %d snapshots (use 0..%d, or -1 for the last)", i, d.info.ID, t, t-1)
	}
	return j, nil
}

// needPredictions returns an error when the run records no predictions (e.g. an autoencoder).
func (d *runData) needPredictions(view string) error {
	if d.preds == nil {
		return fmt.Errorf("vizlib: %s needs predictions, and run %s (model %s) records none in its snapshots: it is not a classifier run", view, d.info.ID, d.info.Model)
	}
	return nil
}
