package vizlib

import (
	"errors"
	"fmt"
	"html"
	"math"
	"reflect"
	"strings"

	"github.com/embviz/embviz/reduce"
)

// PixelsLayer names the raw inputs of a run's evaluation set (training.EvalInputs: the pixels of
// image data sets, [n, H·W·C]) in the layer lists of ClusterView, ClusterSummary and
// LayerTSNEGrid: the baseline that the network's layers should beat.
const PixelsLayer = "pixels"

// ClusterOpts are the options of ClusterView, ClusterSummary, LayerTSNEGrid and LayerEvolution.
// The zero value is seed 002's recipe: every row scaled to unit length (x / (||x|| + 1e-8)),
// k-means (k = number of classes, 10 restarts) and the silhouette of its clusters with Euclidean
// distance on the scaled rows, the ARI between clusters and classes, and t-SNE maps of the scaled
// rows (after PCA to 50 components when they have more), perplexity 30. A field that a view does
// not read must be left zero (the view fails otherwise).
type ClusterOpts struct {
	// Scale is the scaling of the rows before k-means, silhouette and t-SNE: "" or
	// reduce.ScaleUnit (the seed), or reduce.ScaleNone (the rows as recorded).
	Scale reduce.Scaling
	// Metric is the distance of k-means, of the silhouette and of the t-SNE maps on the scaled
	// rows: "" or reduce.Euclidean (the seed), or reduce.Cosine (cosine k-means is spherical
	// k-means).
	Metric reduce.Metric
	// Of is the partition whose silhouette is shown: "" or reduce.OfClusters (the k-means clusters:
	// the seed), or reduce.OfClasses (the true classes).
	Of reduce.SilhouetteOf
	// Seed seeds k-means and the t-SNE maps.
	Seed uint64
	// Snapshot is the snapshot that ClusterView and ClusterSummary read: nil means the last;
	// negative counts from the end (-1 is the last). LayerTSNEGrid and LayerEvolution take their
	// snapshots otherwise and fail when Snapshot is set.
	Snapshot *int
	// PCA is the number of principal components the scaled rows are reduced to before t-SNE when
	// they have more: 0 means 50 (the seed), -1 means no PCA.
	PCA int
	// TSNE configures the t-SNE maps (perplexity, iterations...; reduce lowers a perplexity too
	// high for the number of points, and the figure says so). Its Metric and Seed must be left
	// zero (Metric and Seed above apply). ClusterSummary draws no map and fails when TSNE is set.
	TSNE reduce.TSNEOptions
	// Size is the side of each map in CSS pixels (GIF pixels for LayerEvolution); 0 means 300
	// (ClusterView), 220 (LayerTSNEGrid) or 240 (LayerEvolution). ClusterSummary fails when Size
	// is set.
	Size int
}

// check returns an error for a field that view does not read (maps: it draws t-SNE maps;
// snapshotArg: it takes its snapshots as an argument) or an invalid value.
func (o ClusterOpts) check(view string, maps, snapshotArg bool) error {
	switch {
	case o.TSNE.Metric != "" && o.TSNE.Metric != o.Metric:
		return fmt.Errorf("vizlib: %s: ClusterOpts.TSNE.Metric is %q: set the metric once, in ClusterOpts.Metric (it applies to k-means, the silhouette and the maps)", view, o.TSNE.Metric)
	case o.TSNE.Seed != 0:
		return fmt.Errorf("vizlib: %s: ClusterOpts.TSNE.Seed is %d: set the seed in ClusterOpts.Seed (it seeds k-means and the maps)", view, o.TSNE.Seed)
	case !maps && !reflect.ValueOf(o.TSNE).IsZero():
		return fmt.Errorf("vizlib: %s draws no t-SNE map: leave ClusterOpts.TSNE zero", view)
	case !maps && o.Size != 0:
		return fmt.Errorf("vizlib: %s draws no map: leave ClusterOpts.Size zero", view)
	case !maps && o.PCA != 0:
		return fmt.Errorf("vizlib: %s draws no map: leave ClusterOpts.PCA zero", view)
	case o.PCA < -1:
		return fmt.Errorf("vizlib: %s: ClusterOpts.PCA is %d: use 0 for 50 components, -1 for none, or a positive count", view, o.PCA)
	case snapshotArg && o.Snapshot != nil:
		return fmt.Errorf("vizlib: %s takes its snapshots as an argument: leave ClusterOpts.Snapshot nil", view)
	case o.Size < 0:
		return fmt.Errorf("vizlib: %s: ClusterOpts.Size is %d: use 0 for the default or a positive size", view, o.Size)
	}
	return nil
}

// snapshot resolves Snapshot against the run's snapshots.
func (o ClusterOpts) snapshot(d *runData) (int, error) {
	i := -1
	if o.Snapshot != nil {
		i = *o.Snapshot
	}
	return d.snapshotIndex(i)
}

// scores are the scoring options of the views.
func (o ClusterOpts) scores() *reduce.ScoreOptions {
	return &reduce.ScoreOptions{Scale: o.Scale, Metric: o.Metric, Of: o.Of, Seed: o.Seed}
}

// mapInput returns the rows t-SNE maps: x scaled as Scale, reduced by PCA to o.PCA (0: 50)
// components when it has more.
func (o ClusterOpts) mapInput(x *reduce.Matrix) (*reduce.Matrix, error) {
	if o.Scale != reduce.ScaleNone {
		x = reduce.ScaleRowsUnit(x)
	}
	k := o.PCA
	if k == 0 {
		k = 50
	}
	if k > 0 && x.Cols > k && x.Rows > k {
		y, err := reduce.PCAProject(x, k)
		if err != nil {
			return nil, fmt.Errorf("vizlib: PCA to %d components before t-SNE: %w", k, err)
		}
		return y, nil
	}
	return x, nil
}

// recipe describes the scores in titles, e.g. "unit rows, euclidean, silhouette of the k-means
// clusters".
func (o ClusterOpts) recipe() string {
	scale := "rows scaled to unit length"
	if o.Scale == reduce.ScaleNone {
		scale = "rows as recorded"
	}
	of := "k-means clusters"
	if o.Of == reduce.OfClasses {
		of = "classes"
	}
	return fmt.Sprintf("%s, %s distance, silhouette of the %s", scale, o.metricName(), of)
}

// tsne returns the options of the t-SNE maps: TSNE with Metric and Seed.
func (o ClusterOpts) tsne() reduce.TSNEOptions {
	t := o.TSNE
	t.Metric, t.Seed = o.Metric, o.Seed
	if t.Warn == nil {
		t.Warn = func(string) {} // the figure's note says it, cached or not
	}
	return t
}

// metricName is the metric as shown in titles.
func (o ClusterOpts) metricName() string {
	if o.Metric == "" {
		return string(reduce.Euclidean)
	}
	return string(o.Metric)
}

// tsneLayout returns the t-SNE layout ([n, 2]) of x ([n, d], the rows as read) with the scaling,
// PCA and t-SNE of o, cached by content in the run directory (the same pixels at every snapshot
// share one layout).
func tsneLayout(d *runData, x *reduce.Matrix, o ClusterOpts, what string) (*reduce.Matrix, error) {
	opts := o.tsne()
	key := struct {
		TSNE  reduce.TSNEOptions
		Scale reduce.Scaling
		PCA   int
	}{opts, o.Scale, o.PCA}
	frames, err := cachedFrames(d.dir, "tsne-layout-scaled", key, []*reduce.Matrix{x}, 1, x.Rows, func() ([]*reduce.Matrix, error) {
		x, err := o.mapInput(x)
		if err != nil {
			return nil, err
		}
		y, err := reduce.TSNE(x, &opts)
		if err != nil {
			return nil, fmt.Errorf("vizlib: t-SNE of %s: %w", what, err)
		}
		return []*reduce.Matrix{y}, nil
	})
	if err != nil {
		return nil, err
	}
	return frames[0], nil
}

// perplexityNotes returns the note of a figure whose t-SNE maps of n points reduce ran with a
// lowered perplexity.
func perplexityNotes(perplexity float64, n int) []string {
	if eff, lowered := reduce.CheckPerplexity(perplexity, n); lowered {
		return []string{fmt.Sprintf("t-SNE: perplexity %g is too high for %d points; reduce lowered it to %.4g.", orDefaultF(perplexity, 30), n, eff)}
	}
	return nil
}

// ClusterView shows one representation of the run's evaluation set, layer ([n, d]: PixelsLayer,
// EmbeddingLayer or a recorded layer; "" means the view's layer) at ClusterOpts.Snapshot, as a
// t-SNE map twice, side by side: colored by the true classes and by the k-means clusters (k = the
// number of classes; each cluster takes the color of the class it is matched to and is named after
// it with its purity). The title gives the silhouette of the classes and the ARI between clusters
// and classes (reduce.ScoreClusters). ClusterOpts.Metric applies to k-means, silhouette and t-SNE.
func (v *RunView) ClusterView(layer string, opts ...ClusterOpts) *Figure {
	o, err := one("ClusterView", opts)
	if err == nil {
		err = o.check("ClusterView", true, false)
	}
	if err != nil {
		return figure(nil, err)
	}
	if layer == "" {
		layer = layerName(v.opts.Layer)
	}
	side, n, err := v.clusterView(layer, o)
	if err != nil {
		return figure(nil, err)
	}
	return &Figure{content: side, notes: perplexityNotes(o.TSNE.Perplexity, n)}
}

// sideBySide shows its items next to each other (two columns) under a title; unlike Grid, each
// item mounts on its own (players stay top-level players, with their own legend and hover).
type sideBySide struct {
	title string
	items []specer
}

func (s *sideBySide) html() string {
	var b strings.Builder
	b.WriteString(`<div class="evz-frag embviz-side">`)
	if s.title != "" {
		b.WriteString(`<div style="font:600 13px sans-serif;margin:4px 0">` + html.EscapeString(s.title) + `</div>`)
	}
	b.WriteString(`<div style="display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;max-width:980px;align-items:start">`)
	for i, it := range s.items {
		b.WriteString(`<div>` + render(it, i == 0) + `</div>`)
	}
	b.WriteString(`</div></div>`)
	return b.String()
}

// clusterView returns the two maps and the number of points.
func (v *RunView) clusterView(layer string, o ClusterOpts) (*sideBySide, int, error) {
	d, err := v.load(false)
	if err != nil {
		return nil, 0, err
	}
	t, err := o.snapshot(d)
	if err != nil {
		return nil, 0, err
	}
	x, err := d.layerAt(v.run, layer, t)
	if err != nil {
		return nil, 0, err
	}
	names := d.classNames()
	p := v.progress("clusters of " + layer)
	defer p.finish()
	p.report(0, 2, "k-means and silhouette")
	s, err := reduce.ScoreClusters(x, d.labels, len(names), o.scores())
	if err != nil {
		return nil, 0, fmt.Errorf("vizlib: %s: %w", layer, err)
	}
	p.report(1, 2, "t-SNE")
	y, err := tsneLayout(d, x, o, layer)
	if err != nil {
		return nil, 0, err
	}
	p.report(2, 2, "done")
	clusterNames := make([]string, len(s.Purity))
	for j := range clusterNames {
		name := fmt.Sprint(j)
		if j < len(names) {
			name = names[j]
		}
		if math.IsNaN(s.Purity[j]) {
			clusterNames[j] = "≈ " + name + " (empty)"
		} else {
			clusterNames[j] = fmt.Sprintf("≈ %s (%.0f%%)", name, 100*s.Purity[j])
		}
	}
	size := o.Size
	if size == 0 {
		size = 300
	}
	thumbs := d.thumbnails()
	where := d.captions[t]
	if layer == PixelsLayer {
		where = "input"
	}
	title := fmt.Sprintf("%s (%d features; %s) · %s · silhouette %.3f · ARI %.3f", layer, x.Cols, o.recipe(), where, s.Silhouette, s.ARI)
	byClass := &scatterGrid{Title: layer + " (colored by true class)", Panels: []scatterPanel{{Title: layer + " · classes", Points: y}},
		Labels: d.labels, ClassNames: names, Indices: d.index, Thumbs: thumbs, Size: size}
	byCluster := &scatterGrid{Title: fmt.Sprintf("K-Means Clusters (ARI=%.3f), k = %d: ≈ matched class (purity)", s.ARI, len(names)), Panels: []scatterPanel{{Title: layer + " · clusters", Points: y}},
		Labels: s.Clusters, ClassNames: clusterNames, Indices: d.index, Thumbs: thumbs, Size: size}
	return &sideBySide{title: title, items: []specer{byClass, byCluster}}, x.Rows, nil
}

// ClusterSummary shows a table that compares representations of the run's evaluation set at
// ClusterOpts.Snapshot (seed 002's summary): for each of layers (PixelsLayer, EmbeddingLayer or
// recorded layers, each [n, d]) its number of features d, the silhouette and the ARI between
// k-means clusters and the classes (reduce.ScoreClusters with ClusterOpts: by default the seed's
// recipe). It reads Scale, Metric, Of, Seed and Snapshot.
func (v *RunView) ClusterSummary(layers []string, opts ...ClusterOpts) *Figure {
	o, err := one("ClusterSummary", opts)
	if err == nil {
		err = o.check("ClusterSummary", false, false)
	}
	if err != nil {
		return figure(nil, err)
	}
	return figure(v.clusterSummary(layers, o))
}

func (v *RunView) clusterSummary(layers []string, o ClusterOpts) (*dataTable, error) {
	if len(layers) == 0 {
		return nil, errors.New("vizlib: ClusterSummary needs at least one layer name")
	}
	d, err := v.load(false)
	if err != nil {
		return nil, err
	}
	t, err := o.snapshot(d)
	if err != nil {
		return nil, err
	}
	k := len(d.classNames())
	tb := &dataTable{Title: fmt.Sprintf("clustering quality summary · %s · %d points", d.captions[t], len(d.labels)),
		Headers: []string{"representation", "features", "silhouette", "ARI"},
		Note:    fmt.Sprintf("%s; k-means with k = %d (number of classes); ARI between the clusters and the classes: 1 = the clusters are the classes, 0 = chance", o.recipe(), k)}
	p := v.progress("cluster summary")
	defer p.finish()
	for i, layer := range layers {
		x, err := d.layerAt(v.run, layer, t)
		if err != nil {
			return nil, err
		}
		s, err := reduce.ScoreClusters(x, d.labels, k, o.scores())
		if err != nil {
			return nil, fmt.Errorf("vizlib: %s: %w", layerName(layer), err)
		}
		tb.Rows = append(tb.Rows, []string{layerName(layer), fmt.Sprint(x.Cols), fmt.Sprintf("%.3f", s.Silhouette), fmt.Sprintf("%.3f", s.ARI)})
		p.report(i+1, len(layers), layerName(layer))
	}
	return tb, nil
}

// seedEpochs are the epochs of seed 002's layer × epoch grid: LayerTSNEGrid's rows by default
// (the nearest recorded snapshot of each).
var seedEpochs = []float64{0, 2, 5, 10, 20, 50, 100}

// nearestSnapshots returns, for each epoch, the index of the snapshot whose epoch is nearest
// (without repeats, in order).
func (d *runData) nearestSnapshots(epochs []float64) []int {
	var out []int
	for _, e := range epochs {
		best := 0
		for i, s := range d.info.Snapshots {
			if math.Abs(s.Epoch-e) < math.Abs(d.info.Snapshots[best].Epoch-e) {
				best = i
			}
		}
		if len(out) == 0 || out[len(out)-1] != best {
			out = append(out, best)
		}
	}
	return out
}

// layerCell is one (snapshot, layer) map of LayerTSNEGrid and LayerEvolution.
type layerCell struct {
	y     *reduce.Matrix // [n, 2] t-SNE layout, registered onto the previous snapshot's
	ari   float64
	epoch float64
}

// layerCells computes the t-SNE layouts and ARIs of layers at the snapshots ts: cells[i][j] is
// snapshot ts[i], layer j. The layouts of a layer are registered (Procrustes) onto its previous
// snapshot's so that clusters keep their side where they can.
func (v *RunView) layerCells(d *runData, layers []string, ts []int, o ClusterOpts, title string) ([][]layerCell, error) {
	p := v.progress(title)
	defer p.finish()
	k := len(d.classNames())
	total, done := len(layers)*len(ts), 0
	cells := make([][]layerCell, len(ts))
	for i := range cells {
		cells[i] = make([]layerCell, len(layers))
	}
	for j, layer := range layers {
		name := layerName(layer)
		var prev *reduce.Matrix
		for i, t := range ts {
			x, err := d.layerAt(v.run, layer, t)
			if err != nil {
				return nil, err
			}
			y, err := tsneLayout(d, x, o, fmt.Sprintf("%s at snapshot %d", name, t))
			if err != nil {
				return nil, err
			}
			if prev != nil {
				if y, err = reduce.Procrustes(prev, y, nil); err != nil {
					return nil, fmt.Errorf("vizlib: registering %s at snapshot %d: %w", name, t, err)
				}
			}
			prev = y
			s, err := reduce.ScoreClusters(x, d.labels, k, o.scores())
			if err != nil {
				return nil, fmt.Errorf("vizlib: %s at snapshot %d: %w", name, t, err)
			}
			cells[i][j] = layerCell{y: reduce.Normalize(y), ari: s.ARI, epoch: d.info.Snapshots[t].Epoch}
			done++
			p.report(done, total, name)
		}
	}
	return cells, nil
}

// LayerTSNEGrid draws seed 002's static layer grid of t-SNE maps: one row per snapshot, one
// column per layer (PixelsLayer, EmbeddingLayer or recorded layers), each titled
// "layer @ Epoch e (ARI=…)" with the ARI between k-means clusters and the classes
// (ClusterOpts: by default the seed's recipe) and colored by the true class. snapshots are
// snapshot indices (negative counts from the end); nil means the snapshots nearest to the seed's
// epochs 0, 2, 5, 10, 20, 50, 100 (seedEpochs). Each map is the t-SNE of the layer's rows scaled
// to unit length and reduced by PCA to 50 components when wider (ClusterOpts.PCA), cached in the
// run directory, and registered onto the map above it. ClusterOpts.Snapshot must be nil.
func (v *RunView) LayerTSNEGrid(layers []string, snapshots []int, opts ...ClusterOpts) *Figure {
	o, err := one("LayerTSNEGrid", opts)
	if err == nil {
		err = o.check("LayerTSNEGrid", true, true)
	}
	if err != nil {
		return figure(nil, err)
	}
	g, n, err := v.layerTSNEGrid(layers, snapshots, o)
	if err != nil {
		return figure(nil, err)
	}
	return &Figure{content: g, notes: perplexityNotes(o.TSNE.Perplexity, n)}
}

// snapshotList resolves LayerTSNEGrid's snapshots (nil: the seed's epochs).
func (d *runData) snapshotList(snapshots []int) ([]int, error) {
	if snapshots == nil {
		return d.nearestSnapshots(seedEpochs), nil
	}
	ts := make([]int, len(snapshots))
	for i, si := range snapshots {
		var err error
		if ts[i], err = d.snapshotIndex(si); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// layerTSNEGrid returns the grid and the number of points.
func (v *RunView) layerTSNEGrid(layers []string, snapshots []int, o ClusterOpts) (*scatterGrid, int, error) {
	if len(layers) == 0 || (snapshots != nil && len(snapshots) == 0) {
		return nil, 0, fmt.Errorf("vizlib: LayerTSNEGrid needs layers and snapshots (got %d and %d; nil snapshots mean the seed's epochs)", len(layers), len(snapshots))
	}
	d, err := v.load(false)
	if err != nil {
		return nil, 0, err
	}
	ts, err := d.snapshotList(snapshots)
	if err != nil {
		return nil, 0, err
	}
	cells, err := v.layerCells(d, layers, ts, o, "t-SNE grid")
	if err != nil {
		return nil, 0, err
	}
	g := &scatterGrid{Title: "layers (columns) × epochs (rows), t-SNE colored by true class · " + o.recipe(), Cols: len(layers), Size: o.Size,
		Labels: d.labels, ClassNames: d.classNames(), Indices: d.index, Thumbs: d.thumbnails()}
	for i := range ts {
		for j, layer := range layers {
			c := cells[i][j]
			title := fmt.Sprintf("%s @ Epoch %s (ARI=%.2f)", layerName(layer), epochLabel(c.epoch), c.ari)
			if layer == PixelsLayer {
				title = fmt.Sprintf("%s (ARI=%.2f)", layer, c.ari)
			}
			g.Panels = append(g.Panels, scatterPanel{Title: title, Points: c.y})
		}
	}
	return g, len(d.labels), nil
}

// epochLabel writes an epoch as the seed does: an integer when it is one.
func epochLabel(e float64) string {
	if e == math.Trunc(e) {
		return fmt.Sprint(int(e))
	}
	return fmt.Sprintf("%.2f", e)
}
