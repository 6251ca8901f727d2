package vizlib

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// EmbeddingLayer names the run's embedding in the layer lists of LayerScores and LayerGrid.
const EmbeddingLayer = "embedding"

// CurriculumTimeline charts a curriculum's interpolated properties over [0, steps]: properties
// are grouped by scale (order of magnitude of their largest value), one chart per group, and every
// keyframe is marked with its phase and actions.
func CurriculumTimeline(cur *training.Curriculum, steps int) *Figure {
	return figure(curriculumTimeline(cur, steps))
}

func curriculumTimeline(cur *training.Curriculum, steps int) (*chartGrid, error) {
	if cur == nil || len(cur.Keyframes) == 0 {
		return nil, fmt.Errorf("vizlib: empty curriculum")
	}
	if last := cur.Keyframes[len(cur.Keyframes)-1].Step; steps <= last {
		steps = last + max(1, last/10)
	}
	const samples = 300
	xs := make([]float64, samples+1)
	for i := range xs {
		xs[i] = math.Round(float64(steps) * float64(i) / samples)
	}
	var marks []vline
	for _, kf := range cur.Keyframes {
		var parts []string
		if kf.Phase != "" {
			parts = append(parts, kf.Phase)
		}
		parts = append(parts, kf.Actions...)
		marks = append(marks, vline{X: float64(kf.Step), Label: strings.Join(parts, " ")})
	}
	groups := map[int][]lineSeries{}
	for _, p := range cur.Properties {
		s := lineSeries{Name: p, X: xs}
		peak := 0.0
		for _, x := range xs {
			v, ok := cur.Value(p, int(x))
			if !ok {
				v = math.NaN()
			} else {
				peak = max(peak, math.Abs(v))
			}
			s.Y = append(s.Y, v)
		}
		scale := 0
		if peak > 0 {
			scale = int(math.Floor(math.Log10(peak)))
		}
		groups[scale] = append(groups[scale], s)
	}
	var scales []int
	for k := range groups {
		scales = append(scales, k)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(scales)))
	g := &chartGrid{Title: "curriculum", Cols: 1}
	for _, k := range scales {
		g.Items = append(g.Items, &lineChart{Title: fmt.Sprintf("properties of scale 1e%d", k), XLabel: "step", Series: groups[k], VLines: marks, Width: 720, Height: 220})
	}
	return g, nil
}

// LayerOpts are the options of LayerScores and LayerGrid. The zero value is seed 002's recipe
// (see ClusterOpts): rows scaled to unit length, k-means (k = number of classes, 10 restarts) and
// the silhouette of its clusters with Euclidean distance on them, ARI between clusters and classes.
type LayerOpts struct {
	// Scale, Metric and Of choose the scores as in ClusterOpts: "" is the seed's choice;
	// {Scale: reduce.ScaleNone, Of: reduce.OfClasses} are the silhouette of the true classes on
	// the rows as recorded.
	Scale  reduce.Scaling
	Metric reduce.Metric
	Of     reduce.SilhouetteOf
	// Seed seeds k-means.
	Seed uint64
	// Size is the side of each LayerGrid panel in CSS pixels; 0 means 200. LayerScores draws
	// charts of a fixed size and rejects a Size.
	Size int
}

func (o LayerOpts) cluster() ClusterOpts {
	return ClusterOpts{Scale: o.Scale, Metric: o.Metric, Of: o.Of, Seed: o.Seed}
}

// LayerScores charts seed 002's "cluster cohesion" and "alignment with true labels" over
// training: for each layer (EmbeddingLayer for the embedding), the silhouette and the adjusted
// Rand index between k-means clusters (k = number of classes) and the classes at every snapshot
// (reduce.ScoreClusters with LayerOpts: by default the seed's recipe). Silhouette costs O(n² d)
// per snapshot: use ViewOptions.MaxPoints for large evaluation sets.
func (v *RunView) LayerScores(layers []string, opts ...LayerOpts) *Figure {
	o, err := one("LayerScores", opts)
	if err == nil && o.Size != 0 {
		err = fmt.Errorf("vizlib: LayerScores draws charts: LayerOpts.Size (%d) applies to LayerGrid only", o.Size)
	}
	if err != nil {
		return figure(nil, err)
	}
	return figure(v.layerScores(layers, o))
}

func (v *RunView) layerScores(layers []string, o LayerOpts) (*chartGrid, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("vizlib: LayerScores needs at least one layer name")
	}
	co := o.cluster()
	sil := &lineChart{Title: "Cluster Cohesion Over Training (silhouette)", YLabel: "silhouette score"}
	ari := &lineChart{Title: "Alignment with True Labels Over Training (ARI)", YLabel: "adjusted Rand index"}
	p := v.progress("layer scores")
	defer p.finish()
	for li, layer := range layers {
		d, err := v.Layer(layer).load(true)
		if err != nil {
			return nil, err
		}
		sil.XLabel, ari.XLabel = d.xlabel, d.xlabel
		k := len(d.classNames())
		ss, as := lineSeries{Name: layer, X: d.xs}, lineSeries{Name: layer, X: d.xs}
		for t, x := range d.seq {
			s, err := reduce.ScoreClusters(x, d.labels, k, co.scores())
			if err != nil {
				s.Silhouette, s.ARI = math.NaN(), math.NaN()
			}
			ss.Y, as.Y = append(ss.Y, s.Silhouette), append(as.Y, s.ARI)
			p.report(li*len(d.seq)+t+1, len(layers)*len(d.seq), layer)
		}
		sil.Series, ari.Series = append(sil.Series, ss), append(ari.Series, as)
	}
	return &chartGrid{Title: "per-layer cluster quality · " + co.recipe(), Cols: 2, Items: []renderable{sil, ari}}, nil
}

// LayerGrid draws a static grid of 2-D PCA projections: one row per layer, one column per
// snapshot index in snapshots (negative counts from the end), each titled with the layer, epoch
// and the ARI between k-means clusters and the classes (LayerOpts: by default the seed's recipe).
func (v *RunView) LayerGrid(layers []string, snapshots []int, opts ...LayerOpts) *Figure {
	o, err := one("LayerGrid", opts)
	if err != nil {
		return figure(nil, err)
	}
	return figure(v.layerGrid(layers, snapshots, o))
}

func (v *RunView) layerGrid(layers []string, snapshots []int, o LayerOpts) (*scatterGrid, error) {
	if len(layers) == 0 || len(snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: LayerGrid needs layers and snapshots (got %d and %d)", len(layers), len(snapshots))
	}
	co := o.cluster()
	g := &scatterGrid{Title: "layers × snapshots (PCA)", Cols: len(snapshots), Size: o.Size}
	if g.Size == 0 {
		g.Size = 200
	}
	for _, layer := range layers {
		d, err := v.Layer(layer).load(true)
		if err != nil {
			return nil, err
		}
		g.Labels, g.ClassNames, g.Indices = d.labels, d.classNames(), d.index
		for _, si := range snapshots {
			t, err := d.snapshotIndex(si)
			if err != nil {
				return nil, err
			}
			x := d.seq[t]
			y, err := reduce.PCAProject(x, 2)
			if err != nil {
				return nil, fmt.Errorf("vizlib: PCA of layer %s snapshot %d: %w", layer, t, err)
			}
			title := fmt.Sprintf("%s · epoch %.2f", layer, d.info.Snapshots[t].Epoch)
			if s, err := reduce.ScoreClusters(x, d.labels, len(g.ClassNames), co.scores()); err == nil {
				title += fmt.Sprintf(" · ARI %.3f", s.ARI)
			}
			g.Panels = append(g.Panels, scatterPanel{Title: title, Points: y})
		}
	}
	return g, nil
}

// ComponentsOpts are the options of the single-snapshot PCA views (ExplainedVariance,
// PCALoadings, PairwiseScatter).
type ComponentsOpts struct {
	// K is the number of principal components; 0 means 10 for ExplainedVariance and PCALoadings
	// and 4 for PairwiseScatter (at most 8 there). K is capped at the dimension.
	K int
	// Snapshot is the snapshot shown (ExplainedVariance: the last of the three compared); nil
	// means the last, negative counts from the end.
	Snapshot *int
}

func (o ComponentsOpts) resolve(d *runData, view string, def, most int) (k, t int, err error) {
	k = o.K
	if k == 0 {
		k = def
	}
	if k < 1 || k > most {
		return 0, 0, fmt.Errorf("vizlib: %s needs 1 <= K <= %d, got %d", view, most, o.K)
	}
	t = -1
	if o.Snapshot != nil {
		t = *o.Snapshot
	}
	t, err = d.snapshotIndex(t)
	return k, t, err
}

// ExplainedVariance charts the explained variance ratio of the first K principal components
// (and its cumulative sum, dashed) of the first, middle and selected (default last) snapshots.
func (v *RunView) ExplainedVariance(opts ...ComponentsOpts) *Figure {
	return figureOf("ExplainedVariance", opts, v.explainedVariance)
}

func (v *RunView) explainedVariance(o ComponentsOpts) (*lineChart, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	k, last, err := o.resolve(d, "ExplainedVariance", 10, math.MaxInt)
	if err != nil {
		return nil, err
	}
	picks := []int{0, last / 2, last}
	if last < 2 {
		picks = []int{0, last}
	}
	ch := &lineChart{Title: "explained variance · " + d.info.ID, XLabel: "component", YLabel: "explained variance ratio", LogToggle: true}
	seen := map[int]bool{}
	for i, t := range picks {
		if seen[t] {
			continue
		}
		seen[t] = true
		kk := min(k, d.seq[t].Cols, d.seq[t].Rows)
		m, err := reduce.PCA(d.seq[t], kk)
		if err != nil {
			return nil, fmt.Errorf("vizlib: PCA of snapshot %d: %w", t, err)
		}
		name := fmt.Sprintf("snapshot %d (step %d)", t, d.info.Snapshots[t].Step)
		s, cum := lineSeries{Name: name, Color: classColorCSS(i)}, lineSeries{Name: name + " cumulative", Dash: true, Color: classColorCSS(i)}
		acc := 0.0
		for j, r := range m.ExplainedVarianceRatio {
			acc += r
			s.X, s.Y = append(s.X, float64(j+1)), append(s.Y, r)
			cum.X, cum.Y = append(cum.X, float64(j+1)), append(cum.Y, acc)
		}
		ch.Series = append(ch.Series, s, cum)
	}
	return ch, nil
}

func classColorCSS(i int) string {
	c := classColor(i)
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// PCALoadings shows the loadings (principal axes, [d, K]) of the first K components of the
// selected snapshot (default the last) as a diverging heatmap; values are written in the cells
// when there are at most 400.
func (v *RunView) PCALoadings(opts ...ComponentsOpts) *Figure {
	return figureOf("PCALoadings", opts, v.pcaLoadings)
}

func (v *RunView) pcaLoadings(o ComponentsOpts) (*heatmapChart, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	k, t, err := o.resolve(d, "PCALoadings", 10, math.MaxInt)
	if err != nil {
		return nil, err
	}
	x := d.seq[t]
	k = min(k, x.Cols, x.Rows)
	m, err := reduce.PCA(x, k)
	if err != nil {
		return nil, err
	}
	h := &heatmapChart{Title: fmt.Sprintf("PCA loadings · snapshot %d · %s", t, d.info.ID), XLabel: "component", YLabel: "dimension", Diverging: true, Annotate: x.Cols*k <= 400}
	for j := 0; j < k; j++ {
		h.ColLabels = append(h.ColLabels, fmt.Sprintf("PC%d", j+1))
	}
	vals := make([]float64, x.Cols*k)
	for i := 0; i < x.Cols; i++ {
		h.RowLabels = append(h.RowLabels, fmt.Sprintf("d%d", i))
		for j := 0; j < k; j++ {
			vals[i*k+j] = float64(m.Components.At(j, i))
		}
	}
	h.Frames = []heatmapFrame{{Values: vals}}
	return h, nil
}

// PrototypeActivations shows the mean activation of each class (rows) in each dimension of the
// view's layer (columns), with a slider over snapshots; values are written in the cells when
// there are at most 400.
func (v *RunView) PrototypeActivations() *Figure { return figure(v.prototypeActivations()) }

func (v *RunView) prototypeActivations() (*heatmapChart, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	k, dim := len(names), d.seq[0].Cols
	if dim > 256 {
		return nil, fmt.Errorf("vizlib: %d dimensions are too many for a prototype heatmap (at most 256)", dim)
	}
	h := &heatmapChart{Title: "class prototypes (mean activation) · " + d.info.ID, RowLabels: names, XLabel: "dimension", YLabel: "class", Diverging: true, Annotate: k*dim <= 400}
	for j := 0; j < dim; j++ {
		h.ColLabels = append(h.ColLabels, fmt.Sprint(j))
	}
	for t, x := range d.seq {
		means, _, err := reduce.ClassMeans(x, d.labels, k)
		if err != nil {
			return nil, err
		}
		vals := make([]float64, k*dim)
		for i, m := range means.Data {
			vals[i] = float64(m)
		}
		h.Frames = append(h.Frames, heatmapFrame{Label: d.captions[t], Values: vals})
	}
	return h, nil
}

// PairwiseScatter draws the scatter matrix of the first K principal components (default 4, at
// most 8) of the selected snapshot (default the last) with per-class KDEs on the diagonal.
func (v *RunView) PairwiseScatter(opts ...ComponentsOpts) *Figure {
	return figureOf("PairwiseScatter", opts, v.pairwiseScatter)
}

func (v *RunView) pairwiseScatter(o ComponentsOpts) (*scatterMatrix, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	k, t, err := o.resolve(d, "PairwiseScatter", 4, 8)
	if err != nil {
		return nil, err
	}
	if k < 2 {
		return nil, fmt.Errorf("vizlib: PairwiseScatter needs K >= 2, got %d", k)
	}
	k = min(k, d.seq[t].Cols)
	y, err := reduce.PCAProject(d.seq[t], k)
	if err != nil {
		return nil, err
	}
	s := &scatterMatrix{Title: fmt.Sprintf("PCA components · snapshot %d · %s", t, d.info.ID), X: y, Labels: d.labels, ClassNames: d.classNames(), KDE: true}
	for j := 0; j < k; j++ {
		s.DimNames = append(s.DimNames, fmt.Sprintf("PC%d", j+1))
	}
	return s, nil
}
