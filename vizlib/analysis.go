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

// Snapshot selects the snapshot of single-snapshot views (ExplainedVariance, PCALoadings,
// PairwiseScatter); negative counts from the end. Default -1 (the last).
func Snapshot(i int) Option { return func(c *config) { c.snapshot, c.snapshotSet = i, true } }

func (c *config) snapshotIndex(t int) (int, error) {
	i := -1
	if c.snapshotSet {
		i = c.snapshot
	}
	if i < 0 {
		i += t
	}
	if i < 0 || i >= t {
		return 0, fmt.Errorf("vizlib: snapshot %d out of range: the run has %d", c.snapshot, t)
	}
	return i, nil
}

// loadRunSnapshot loads the run's snapshot sequence and returns the index of the snapshot that
// single-snapshot views show (Snapshot, default the last).
func loadRunSnapshot(run *training.Run, c *config) (*runData, int, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, 0, err
	}
	t, err := c.snapshotIndex(len(d.seq))
	if err != nil {
		return nil, 0, err
	}
	return d, t, nil
}

// loadLayer loads the run with the snapshots of layer (EmbeddingLayer or "" for the embedding).
func loadLayer(run *training.Run, c *config, layer string) (*runData, error) {
	cc := *c
	cc.layer = layer
	if layer == EmbeddingLayer {
		cc.layer = ""
	}
	return loadRun(run, &cc, true)
}

// CurriculumTimeline charts a curriculum's interpolated properties over [0, steps]: properties
// are grouped by scale (order of magnitude of their largest value), one chart per group, and every
// keyframe is marked with its phase and actions.
func CurriculumTimeline(cur *training.Curriculum, steps int, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := curriculumTimeline(cur, steps)
	return emit(c, g, err)
}

func curriculumTimeline(cur *training.Curriculum, steps int) (*Grid, error) {
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
	var marks []VLine
	for _, kf := range cur.Keyframes {
		var parts []string
		if kf.Phase != "" {
			parts = append(parts, kf.Phase)
		}
		parts = append(parts, kf.Actions...)
		marks = append(marks, VLine{X: float64(kf.Step), Label: strings.Join(parts, " ")})
	}
	groups := map[int][]Series{}
	for _, p := range cur.Properties {
		s := Series{Name: p, X: xs}
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
	g := &Grid{Title: "curriculum", Cols: 1}
	for _, k := range scales {
		g.Items = append(g.Items, &Chart{Title: fmt.Sprintf("properties of scale 1e%d", k), XLabel: "step", Series: groups[k], VLines: marks, Width: 720, Height: 220})
	}
	return g, nil
}

// LayerScores charts, for each layer (EmbeddingLayer for the embedding), the silhouette of the
// true classes and the adjusted Rand index between k-means clusters (k = number of classes) and
// the classes over the snapshots. Silhouette costs O(n^2 d) per snapshot: use MaxPoints for large
// evaluation sets.
func LayerScores(run *training.Run, layers []string, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := layerScores(run, layers, c)
	return emit(c, g, err)
}

func layerScores(run *training.Run, layers []string, c *config) (*Grid, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("vizlib: LayerScores needs at least one layer name")
	}
	sil := &Chart{Title: "silhouette of the classes", YLabel: "silhouette"}
	ari := &Chart{Title: "ARI(k-means, classes)", YLabel: "ARI"}
	p := newProgress(c, "layer scores")
	defer p.finish()
	for li, layer := range layers {
		d, err := loadLayer(run, c, layer)
		if err != nil {
			return nil, err
		}
		sil.XLabel, ari.XLabel = d.xlabel, d.xlabel
		k := len(d.classNames())
		ss, as := Series{Name: layer, X: d.xs}, Series{Name: layer, X: d.xs}
		for t, x := range d.seq {
			s, err := reduce.Silhouette(x, d.labels, reduce.Euclidean)
			if err != nil {
				s = math.NaN()
			}
			ss.Y = append(ss.Y, s)
			a := math.NaN()
			if km, err := reduce.KMeans(x, k, &reduce.KMeansOptions{Restarts: 3, Seed: uint64(c.seed)}); err == nil {
				if v, err := reduce.AdjustedRandIndex(km.Assignments, d.labels); err == nil {
					a = v
				}
			}
			as.Y = append(as.Y, a)
			p.report(li*len(d.seq)+t+1, len(layers)*len(d.seq), layer)
		}
		sil.Series, ari.Series = append(sil.Series, ss), append(ari.Series, as)
	}
	return &Grid{Title: "per-layer cluster quality", Cols: 2, Items: []Renderable{sil, ari}}, nil
}

// LayerGrid draws a static grid of 2-D PCA projections: one row per layer, one column per
// snapshot index in snapshots (negative counts from the end), each titled with the layer, epoch
// and the ARI between k-means clusters and the classes.
func LayerGrid(run *training.Run, layers []string, snapshots []int, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := layerGrid(run, layers, snapshots, c)
	return emit(c, g, err)
}

func layerGrid(run *training.Run, layers []string, snapshots []int, c *config) (*ScatterGrid, error) {
	if len(layers) == 0 || len(snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: LayerGrid needs layers and snapshots (got %d and %d)", len(layers), len(snapshots))
	}
	g := &ScatterGrid{Title: "layers × snapshots (PCA)", Cols: len(snapshots), Size: c.size}
	for _, layer := range layers {
		d, err := loadLayer(run, c, layer)
		if err != nil {
			return nil, err
		}
		g.Labels, g.ClassNames, g.Indices = d.labels, d.classNames(), d.index
		for _, si := range snapshots {
			t := si
			if t < 0 {
				t += len(d.seq)
			}
			if t < 0 || t >= len(d.seq) {
				return nil, fmt.Errorf("vizlib: snapshot %d out of range: the run has %d", si, len(d.seq))
			}
			x := d.seq[t]
			y, err := reduce.PCAProject(x, 2)
			if err != nil {
				return nil, fmt.Errorf("vizlib: PCA of layer %s snapshot %d: %w", layer, t, err)
			}
			title := fmt.Sprintf("%s · epoch %.2f", layer, d.info.Snapshots[t].Epoch)
			if km, err := reduce.KMeans(x, len(g.ClassNames), &reduce.KMeansOptions{Restarts: 3, Seed: uint64(c.seed)}); err == nil {
				if a, err := reduce.AdjustedRandIndex(km.Assignments, d.labels); err == nil {
					title += fmt.Sprintf(" · ARI %.3f", a)
				}
			}
			g.Panels = append(g.Panels, Scatter{Title: title, Points: y})
		}
	}
	return g, nil
}

// ExplainedVariance charts the explained variance ratio of the first k principal components
// (and its cumulative sum, dashed) of the first, middle and selected (Snapshot, default last)
// snapshots.
func ExplainedVariance(run *training.Run, k int, opts ...Option) (string, error) {
	c := newConfig(opts)
	ch, err := explainedVariance(run, k, c)
	return emit(c, ch, err)
}

func explainedVariance(run *training.Run, k int, c *config) (*Chart, error) {
	if k < 1 {
		return nil, fmt.Errorf("vizlib: ExplainedVariance needs k >= 1, got %d", k)
	}
	d, last, err := loadRunSnapshot(run, c)
	if err != nil {
		return nil, err
	}
	picks := []int{0, last / 2, last}
	if last < 2 {
		picks = []int{0, last}
	}
	ch := &Chart{Title: "explained variance · " + d.info.ID, XLabel: "component", YLabel: "explained variance ratio", LogToggle: true}
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
		s, cum := Series{Name: name, Color: classColorCSS(i)}, Series{Name: name + " cumulative", Dash: true, Color: classColorCSS(i)}
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

// PCALoadings shows the loadings (principal axes, [d, k]) of the first k components of the
// selected snapshot (Snapshot, default last) as a diverging heatmap.
func PCALoadings(run *training.Run, k int, opts ...Option) (string, error) {
	c := newConfig(opts)
	h, err := pcaLoadings(run, k, c)
	return emit(c, h, err)
}

func pcaLoadings(run *training.Run, k int, c *config) (*Heatmap, error) {
	if k < 1 {
		return nil, fmt.Errorf("vizlib: PCALoadings needs k >= 1, got %d", k)
	}
	d, t, err := loadRunSnapshot(run, c)
	if err != nil {
		return nil, err
	}
	x := d.seq[t]
	k = min(k, x.Cols, x.Rows)
	m, err := reduce.PCA(x, k)
	if err != nil {
		return nil, err
	}
	h := &Heatmap{Title: fmt.Sprintf("PCA loadings · snapshot %d · %s", t, d.info.ID), XLabel: "component", YLabel: "dimension", Diverging: true, Annotate: c.annotate || x.Cols*k <= 400}
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
	h.Frames = []HeatmapFrame{{Values: vals}}
	return h, nil
}

// PrototypeActivations shows the mean activation of each class (rows) in each embedding
// dimension (columns), with a slider over snapshots (Layer selects another recorded layer).
func PrototypeActivations(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	h, err := prototypeActivations(run, c)
	return emit(c, h, err)
}

func prototypeActivations(run *training.Run, c *config) (*Heatmap, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	k, dim := len(names), d.seq[0].Cols
	if dim > 256 {
		return nil, fmt.Errorf("vizlib: %d dimensions are too many for a prototype heatmap (at most 256)", dim)
	}
	h := &Heatmap{Title: "class prototypes (mean activation) · " + d.info.ID, RowLabels: names, XLabel: "dimension", YLabel: "class", Diverging: true, Annotate: c.annotate}
	for j := 0; j < dim; j++ {
		h.ColLabels = append(h.ColLabels, fmt.Sprint(j))
	}
	for t, x := range d.seq {
		sum := make([]float64, k*dim)
		cnt := make([]float64, k)
		for i, l := range d.labels {
			if int(l) >= k {
				continue
			}
			cnt[l]++
			for j, v := range x.Row(i) {
				sum[int(l)*dim+j] += float64(v)
			}
		}
		for r := 0; r < k; r++ {
			for j := 0; j < dim; j++ {
				if cnt[r] > 0 {
					sum[r*dim+j] /= cnt[r]
				}
			}
		}
		h.Frames = append(h.Frames, HeatmapFrame{Label: d.captions[t], Values: sum})
	}
	return h, nil
}

// PairwiseScatter draws the scatter matrix of the first k principal components (k <= 8) of the
// selected snapshot (Snapshot, default last) with per-class KDEs on the diagonal.
func PairwiseScatter(run *training.Run, k int, opts ...Option) (string, error) {
	c := newConfig(opts)
	s, err := pairwiseScatter(run, k, c)
	return emit(c, s, err)
}

func pairwiseScatter(run *training.Run, k int, c *config) (*ScatterMatrix, error) {
	if k < 2 || k > 8 {
		return nil, fmt.Errorf("vizlib: PairwiseScatter needs 2 <= k <= 8, got %d", k)
	}
	d, t, err := loadRunSnapshot(run, c)
	if err != nil {
		return nil, err
	}
	k = min(k, d.seq[t].Cols)
	y, err := reduce.PCAProject(d.seq[t], k)
	if err != nil {
		return nil, err
	}
	s := &ScatterMatrix{Title: fmt.Sprintf("PCA components · snapshot %d · %s", t, d.info.ID), X: y, Labels: d.labels, ClassNames: d.classNames(), KDE: true}
	for j := 0; j < k; j++ {
		s.DimNames = append(s.DimNames, fmt.Sprintf("PC%d", j+1))
	}
	return s, nil
}
