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

// ClusterOpts are the options of ClusterView, ClusterSummary and LayerTSNEGrid. The zero value is
// the seed's default: Euclidean distance, seed 0, the last snapshot, reduce's t-SNE defaults. A
// field that a view does not read must be left zero (the view fails otherwise).
type ClusterOpts struct {
	// Metric is the distance of k-means, of the silhouette and of the t-SNE maps: "" or
	// reduce.Euclidean, or reduce.Cosine (cosine k-means is spherical k-means). ClusterSummary
	// shows both metrics when Metric is "", only Metric otherwise.
	Metric reduce.Metric
	// Seed seeds k-means and the t-SNE maps.
	Seed uint64
	// Snapshot is the snapshot that ClusterView and ClusterSummary read: nil means the last;
	// negative counts from the end (-1 is the last). LayerTSNEGrid takes its snapshots as an
	// argument and fails when Snapshot is set.
	Snapshot *int
	// TSNE configures the t-SNE maps of ClusterView and LayerTSNEGrid (perplexity, iterations...;
	// reduce lowers a perplexity too high for the number of points, and the figure says so). Its
	// Metric and Seed must be left zero (Metric and Seed above apply). ClusterSummary draws no map
	// and fails when TSNE is set.
	TSNE reduce.TSNEOptions
	// Size is the side of each map in CSS pixels; 0 means 300 (ClusterView) or 220
	// (LayerTSNEGrid). ClusterSummary fails when Size is set.
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

// scores are the k-means options of the views.
func (o ClusterOpts) scores(metric reduce.Metric) *reduce.ScoreOptions {
	return &reduce.ScoreOptions{Metric: metric, Seed: o.Seed}
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

// tsneLayout returns the t-SNE layout ([n, 2]) of x ([n, d]) with opts, cached by content in the
// run directory (the same pixels at every snapshot share one layout).
func tsneLayout(d *runData, x *reduce.Matrix, opts reduce.TSNEOptions, what string) (*reduce.Matrix, error) {
	frames, err := cachedFrames(d.dir, "tsne-layout", opts, []*reduce.Matrix{x}, 1, x.Rows, func() ([]*reduce.Matrix, error) {
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
	s, err := reduce.ScoreClusters(x, d.labels, len(names), o.scores(o.Metric))
	if err != nil {
		return nil, 0, fmt.Errorf("vizlib: %s: %w", layer, err)
	}
	p.report(1, 2, "t-SNE")
	y, err := tsneLayout(d, x, o.tsne(), layer)
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
	title := fmt.Sprintf("%s (%d features, %s) · %s · silhouette %.3f · ARI(k-means, classes) %.3f", layer, x.Cols, o.metricName(), where, s.Silhouette, s.ARI)
	byClass := &scatterGrid{Title: "t-SNE colored by class", Panels: []scatterPanel{{Title: layer + " · classes", Points: y}},
		Labels: d.labels, ClassNames: names, Indices: d.index, Thumbs: thumbs, Size: size}
	byCluster := &scatterGrid{Title: fmt.Sprintf("colored by k-means cluster (k = %d): ≈ matched class (purity)", len(names)), Panels: []scatterPanel{{Title: layer + " · clusters", Points: y}},
		Labels: s.Clusters, ClassNames: clusterNames, Indices: d.index, Thumbs: thumbs, Size: size}
	return &sideBySide{title: title, items: []specer{byClass, byCluster}}, x.Rows, nil
}

// ClusterSummary shows a table that compares representations of the run's evaluation set at
// ClusterOpts.Snapshot: for each of layers (PixelsLayer, EmbeddingLayer or recorded layers, each
// [n, d]) its number of features d, the silhouette of the classes and the ARI between k-means
// clusters and the classes (reduce.ScoreClusters), with Euclidean and with cosine distance (only
// ClusterOpts.Metric when set). It reads Metric, Seed and Snapshot.
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
	metrics := []reduce.Metric{reduce.Euclidean, reduce.Cosine}
	if o.Metric != "" {
		metrics = []reduce.Metric{o.Metric}
	}
	k := len(d.classNames())
	tb := &dataTable{Title: fmt.Sprintf("cluster quality of each representation · %s · %d points", d.captions[t], len(d.labels)),
		Headers: []string{"representation", "features"},
		Note:    "silhouette of the true classes in [-1, 1]; ARI between k-means clusters (k = number of classes) and the classes: 1 = the clusters are the classes, 0 = chance"}
	for _, m := range metrics {
		tb.Headers = append(tb.Headers, fmt.Sprintf("silhouette (%s)", m), fmt.Sprintf("ARI k-means (%s)", m))
	}
	p := v.progress("cluster summary")
	defer p.finish()
	for i, layer := range layers {
		x, err := d.layerAt(v.run, layer, t)
		if err != nil {
			return nil, err
		}
		row := []string{layerName(layer), fmt.Sprint(x.Cols)}
		for _, m := range metrics {
			s, err := reduce.ScoreClusters(x, d.labels, k, o.scores(m))
			if err != nil {
				return nil, fmt.Errorf("vizlib: %s (%s): %w", layerName(layer), m, err)
			}
			row = append(row, fmt.Sprintf("%.3f", s.Silhouette), fmt.Sprintf("%.3f", s.ARI))
		}
		tb.Rows = append(tb.Rows, row)
		p.report(i+1, len(layers), layerName(layer))
	}
	return tb, nil
}

// LayerTSNEGrid draws a static grid of t-SNE maps: one row per layer (PixelsLayer, EmbeddingLayer
// or recorded layers), one column per snapshot index in snapshots (negative counts from the end),
// each titled with the layer, epoch and the ARI between k-means clusters and the classes
// (ClusterOpts.Metric). Every panel is its own t-SNE (cached in the run directory); the panels of
// a row are registered (Procrustes) onto their left neighbour so that clusters keep their side
// where they can. ClusterOpts.Snapshot must be nil.
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

// layerTSNEGrid returns the grid and the number of points.
func (v *RunView) layerTSNEGrid(layers []string, snapshots []int, o ClusterOpts) (*scatterGrid, int, error) {
	if len(layers) == 0 || len(snapshots) == 0 {
		return nil, 0, fmt.Errorf("vizlib: LayerTSNEGrid needs layers and snapshots (got %d and %d)", len(layers), len(snapshots))
	}
	d, err := v.load(false)
	if err != nil {
		return nil, 0, err
	}
	ts := make([]int, len(snapshots))
	for i, si := range snapshots {
		if ts[i], err = d.snapshotIndex(si); err != nil {
			return nil, 0, err
		}
	}
	names := d.classNames()
	g := &scatterGrid{Title: "layers × snapshots (t-SNE)", Cols: len(snapshots), Size: o.Size,
		Labels: d.labels, ClassNames: names, Indices: d.index, Thumbs: d.thumbnails()}
	p := v.progress("t-SNE grid")
	defer p.finish()
	tsne := o.tsne()
	total, done := len(layers)*len(snapshots), 0
	for _, layer := range layers {
		name := layerName(layer)
		var prev *reduce.Matrix
		for _, t := range ts {
			x, err := d.layerAt(v.run, layer, t)
			if err != nil {
				return nil, 0, err
			}
			y, err := tsneLayout(d, x, tsne, fmt.Sprintf("%s at snapshot %d", name, t))
			if err != nil {
				return nil, 0, err
			}
			if prev != nil {
				if y, err = reduce.Procrustes(prev, y, nil); err != nil {
					return nil, 0, fmt.Errorf("vizlib: registering %s at snapshot %d: %w", name, t, err)
				}
			}
			prev = y
			km, err := reduce.KMeans(x, len(names), &reduce.KMeansOptions{Restarts: 3, Seed: o.Seed, Metric: o.Metric})
			if err != nil {
				return nil, 0, fmt.Errorf("vizlib: k-means of %s at snapshot %d: %w", name, t, err)
			}
			ari, err := reduce.AdjustedRandIndex(km.Assignments, d.labels)
			if err != nil {
				return nil, 0, err
			}
			title := fmt.Sprintf("%s · epoch %.2f · ARI %.3f", name, d.info.Snapshots[t].Epoch, ari)
			if layer == PixelsLayer {
				title = fmt.Sprintf("%s · ARI %.3f", name, ari)
			}
			g.Panels = append(g.Panels, scatterPanel{Title: title, Points: reduce.Normalize(y)})
			done++
			p.report(done, total, name)
		}
	}
	return g, len(d.labels), nil
}
