package vizlib

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// PixelsLayer names the raw inputs of a run's evaluation set (training.EvalInputs: the pixels of
// image data sets) in the layer lists of ClusterView, ClusterSummary and LayerTSNEGrid: the
// baseline that the network's layers should beat.
const PixelsLayer = "pixels"

// ClusterScores are the cluster-quality scores of one representation x [n, d] of labelled points.
type ClusterScores struct {
	// Dim is d, the number of features.
	Dim int
	// Silhouette is the mean silhouette of the true classes (in [-1, 1]; higher: tighter, better
	// separated classes).
	Silhouette float64
	// ARI is the adjusted Rand index between the k-means clusters and the classes (1: the
	// clusters are the classes; about 0: unrelated).
	ARI float64
	// Clusters is [n]: the k-means cluster of each point, renumbered so that cluster j is matched
	// to class j where possible (greedy matching on the contingency table), so that clusters and
	// classes share colors.
	Clusters []int32
	// Purity is, per cluster, the fraction of its points that belong to its matched class
	// (NaN for an empty cluster).
	Purity []float64
}

// ScoreClusters scores x ([n, d]) against labels ([n], classes 0..k-1): the silhouette of the
// classes and the ARI between k-means with k clusters and the classes, both with metric (Euclidean
// or Cosine; cosine k-means is spherical k-means). k-means runs 4 restarts seeded with seed.
func ScoreClusters(x *reduce.Matrix, labels []int32, k int, metric reduce.Metric, seed uint64) (ClusterScores, error) {
	if x == nil || x.Rows != len(labels) {
		rows := -1
		if x != nil {
			rows = x.Rows
		}
		return ClusterScores{}, fmt.Errorf("vizlib: ScoreClusters: %d rows for %d labels", rows, len(labels))
	}
	s := ClusterScores{Dim: x.Cols}
	sil, err := reduce.Silhouette(x, labels, metric)
	if err != nil {
		return s, fmt.Errorf("vizlib: silhouette: %w", err)
	}
	s.Silhouette = sil
	km, err := reduce.KMeans(x, k, &reduce.KMeansOptions{Restarts: 4, Seed: seed, Metric: metric})
	if err != nil {
		return s, fmt.Errorf("vizlib: k-means: %w", err)
	}
	if s.ARI, err = reduce.AdjustedRandIndex(km.Assignments, labels); err != nil {
		return s, fmt.Errorf("vizlib: ARI: %w", err)
	}
	s.Clusters, s.Purity = matchClusters(km.Assignments, labels, k)
	return s, nil
}

// matchClusters renumbers clusters (0..k-1) so that each is matched to the class (0..k-1 or more)
// it shares the most points with, greedily by decreasing overlap; unmatched clusters take the
// remaining numbers. It returns the renumbered clusters and each cluster's purity with respect
// to its matched class.
func matchClusters(clusters, labels []int32, k int) ([]int32, []float64) {
	classes := k
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	count := make([][]int, k)
	size := make([]int, k)
	for i := range count {
		count[i] = make([]int, classes)
	}
	for i, c := range clusters {
		count[c][labels[i]]++
		size[c]++
	}
	type pair struct{ c, l, n int }
	var pairs []pair
	for c := range count {
		for l, n := range count[c] {
			pairs = append(pairs, pair{c, l, n})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].n > pairs[j].n })
	to := make([]int, k)
	for i := range to {
		to[i] = -1
	}
	used := make([]bool, max(classes, k))
	for _, p := range pairs {
		if to[p.c] < 0 && !used[p.l] && p.l < len(used) {
			to[p.c], used[p.l] = p.l, true
		}
	}
	next := 0
	for c := range to {
		if to[c] < 0 {
			for used[next] {
				next++
			}
			to[c], used[next] = next, true
		}
	}
	out := make([]int32, len(clusters))
	for i, c := range clusters {
		out[i] = int32(to[c])
	}
	purity := make([]float64, max(classes, k))
	for i := range purity {
		purity[i] = math.NaN()
	}
	for c := range count {
		if size[c] > 0 {
			l := to[c]
			n := 0
			if l < classes {
				n = count[c][l]
			}
			purity[l] = float64(n) / float64(size[c])
		}
	}
	return out, purity
}

// layerSnapshot loads the run (labels, subset) and the matrix of layer (PixelsLayer,
// EmbeddingLayer or a recorded layer) at snapshot t, returning also the snapshot's index.
func layerSnapshot(run *training.Run, c *config, layer string) (*runData, *reduce.Matrix, int, error) {
	d, err := loadRun(run, c, false)
	if err != nil {
		return nil, nil, 0, err
	}
	t, err := c.snapshotIndex(len(d.info.Snapshots))
	if err != nil {
		return nil, nil, 0, err
	}
	x, err := layerAt(run, d, c, layer, t)
	return d, x, t, err
}

// layerAt reads layer at snapshot t, with d's subset applied.
func layerAt(run *training.Run, d *runData, c *config, layer string, t int) (*reduce.Matrix, error) {
	var x *reduce.Matrix
	var err error
	switch layer {
	case PixelsLayer:
		x, err = training.EvalInputs(run, c.datasetDir)
	case EmbeddingLayer, "":
		x, err = run.Embedding(t)
	default:
		x, err = run.Layer(t, layer)
	}
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s, %s at snapshot %d: %w", d.info.ID, layer, t, err)
	}
	if d.subset == nil && x.Rows != len(d.labels) {
		return nil, fmt.Errorf("vizlib: run %s: %s has %d rows, the run has %d labels", d.info.ID, layer, x.Rows, len(d.labels))
	}
	return pickRows(x, d.subset), nil
}

// cachedLayout is cachedFrames for a single [n, 2] layout.
func cachedLayout(d *runData, key string, compute func() (*reduce.Matrix, error)) (*reduce.Matrix, error) {
	if d.dir == "" || os.Getenv(NoCacheEnv) == "1" {
		return compute()
	}
	full := fmt.Sprintf("v1|layout|%s|%s|%d|%v|%v|%d", key, d.info.ID, len(d.info.Snapshots), d.info.Finished, d.subset, len(d.labels))
	sum := sha256.Sum256([]byte(full))
	path := filepath.Join(d.dir, CacheDir, hex.EncodeToString(sum[:12])+".npy")
	if frames, ok := readFrames(path, 1, len(d.labels)); ok {
		return frames[0], nil
	}
	y, err := compute()
	if err != nil {
		return nil, err
	}
	writeFrames(path, []*reduce.Matrix{y})
	return y, nil
}

// tsneLayout returns the (cached) t-SNE layout of layer at snapshot t.
func tsneLayout(d *runData, c *config, layer string, t int, x *reduce.Matrix) (*reduce.Matrix, error) {
	perplexity := c.perplexity
	if perplexity == 0 && x.Rows-1 < 90 {
		perplexity = max(2, float64(x.Rows-1)/3)
	}
	snap := t
	if layer == PixelsLayer {
		snap = -1 // the same for every snapshot
	}
	key := fmt.Sprintf("tsne1|%s|%d|%g|%s|%d", layer, snap, perplexity, c.metric, c.seed)
	return cachedLayout(d, key, func() (*reduce.Matrix, error) {
		y, err := reduce.TSNE(x, &reduce.TSNEOptions{Perplexity: perplexity, Metric: reduce.Metric(c.metric), Seed: uint64(c.seed)})
		if err != nil {
			return nil, fmt.Errorf("vizlib: t-SNE of %s at snapshot %d: %w", layer, t, err)
		}
		return y, nil
	})
}

// ClusterView shows one representation of the run's evaluation set (layer: PixelsLayer,
// EmbeddingLayer or a recorded layer, at Snapshot, default the last) as a t-SNE map twice: colored
// by the true classes and by the k-means clusters, two static players side by side (k = number of classes; each cluster takes the
// color of the class it is matched to and is named after it with its purity). The title gives
// the silhouette of the classes and the ARI between clusters and classes. Metric ("cosine" or
// the default Euclidean) applies to k-means, silhouette and t-SNE. Options: Metric, Snapshot,
// Seed, Perplexity, MaxPoints, Size, NoThumbnails, DatasetDir, NoDisplay.
func ClusterView(run *training.Run, layer string, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := clusterView(run, layer, c)
	return emit(c, g, err)
}

// sideBySide shows its items next to each other (two columns) under a title; unlike Grid, each
// item mounts on its own (players stay top-level players, with their own legend and hover).
type sideBySide struct {
	title string
	items []specer
}

func (s *sideBySide) HTML() string {
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

func clusterView(run *training.Run, layer string, c *config) (*sideBySide, error) {
	d, x, t, err := layerSnapshot(run, c, layer)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	p := newProgress(c, "clusters of "+layer)
	defer p.finish()
	p.report(0, 2, "k-means and silhouette")
	s, err := ScoreClusters(x, d.labels, len(names), reduce.Metric(c.metric), uint64(c.seed))
	if err != nil {
		return nil, err
	}
	p.report(1, 2, "t-SNE")
	y, err := tsneLayout(d, c, layer, t, x)
	if err != nil {
		return nil, err
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
	metric := c.metric
	if metric == "" {
		metric = string(reduce.Euclidean)
	}
	size := c.size
	if size == 0 {
		size = 300
	}
	thumbs := d.thumbnails(c)
	where := d.captions[t]
	if layer == PixelsLayer {
		where = "input"
	}
	title := fmt.Sprintf("%s (%d features, %s) · %s · silhouette %.3f · ARI(k-means, classes) %.3f", layer, x.Cols, metric, where, s.Silhouette, s.ARI)
	byClass := &ScatterGrid{Title: "t-SNE colored by class", Panels: []Scatter{{Title: layer + " · classes", Points: y}},
		Labels: d.labels, ClassNames: names, Indices: d.index, Thumbs: thumbs, Size: size}
	byCluster := &ScatterGrid{Title: fmt.Sprintf("colored by k-means cluster (k = %d): ≈ matched class (purity)", len(names)), Panels: []Scatter{{Title: layer + " · clusters", Points: y}},
		Labels: s.Clusters, ClassNames: clusterNames, Indices: d.index, Thumbs: thumbs, Size: size}
	return &sideBySide{title: title, items: []specer{byClass, byCluster}}, nil
}

// ClusterSummary shows a table that compares representations of the run's evaluation set at
// Snapshot (default the last): for each of layers (PixelsLayer, EmbeddingLayer or recorded layers)
// its number of features, and the silhouette of the classes and the ARI between k-means clusters
// and the classes, with Euclidean and with cosine distance. Options: Snapshot, Seed, MaxPoints,
// DatasetDir, NoDisplay.
func ClusterSummary(run *training.Run, layers []string, opts ...Option) (string, error) {
	c := newConfig(opts)
	tb, err := clusterSummary(run, layers, c)
	return emit(c, tb, err)
}

func clusterSummary(run *training.Run, layers []string, c *config) (*Table, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("vizlib: ClusterSummary needs at least one layer name")
	}
	d, err := loadRun(run, c, false)
	if err != nil {
		return nil, err
	}
	t, err := c.snapshotIndex(len(d.info.Snapshots))
	if err != nil {
		return nil, err
	}
	k := len(d.classNames())
	tb := &Table{Title: fmt.Sprintf("cluster quality of each representation · %s · %d points", d.captions[t], len(d.labels)),
		Headers: []string{"representation", "features", "silhouette (euclidean)", "ARI k-means (euclidean)", "silhouette (cosine)", "ARI k-means (cosine)"},
		Note:    "silhouette of the true classes in [-1, 1]; ARI between k-means clusters (k = number of classes) and the classes: 1 = the clusters are the classes, 0 = chance"}
	p := newProgress(c, "cluster summary")
	defer p.finish()
	for i, layer := range layers {
		x, err := layerAt(run, d, c, layer, t)
		if err != nil {
			return nil, err
		}
		row := []string{layer, fmt.Sprint(x.Cols)}
		for _, m := range []reduce.Metric{reduce.Euclidean, reduce.Cosine} {
			s, err := ScoreClusters(x, d.labels, k, m, uint64(c.seed))
			if err != nil {
				return nil, fmt.Errorf("vizlib: %s (%s): %w", layer, m, err)
			}
			row = append(row, fmt.Sprintf("%.3f", s.Silhouette), fmt.Sprintf("%.3f", s.ARI))
		}
		tb.Rows = append(tb.Rows, row)
		p.report(i+1, len(layers), layer)
	}
	return tb, nil
}

// LayerTSNEGrid draws a static grid of t-SNE maps: one row per layer (PixelsLayer, EmbeddingLayer
// or recorded layers), one column per snapshot index in snapshots (negative counts from the end),
// each titled with the layer, epoch and the ARI between k-means clusters and the classes (Metric).
// Every panel is its own t-SNE (cached in the run directory); the panels of a row are registered
// (Procrustes) onto their left neighbour so that clusters keep their side where they can. Options:
// Metric, Perplexity, Seed, MaxPoints, Size, NoThumbnails, DatasetDir, WithProgress, NoDisplay.
func LayerTSNEGrid(run *training.Run, layers []string, snapshots []int, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := layerTSNEGrid(run, layers, snapshots, c)
	return emit(c, g, err)
}

func layerTSNEGrid(run *training.Run, layers []string, snapshots []int, c *config) (*ScatterGrid, error) {
	if len(layers) == 0 || len(snapshots) == 0 {
		return nil, fmt.Errorf("vizlib: LayerTSNEGrid needs layers and snapshots (got %d and %d)", len(layers), len(snapshots))
	}
	d, err := loadRun(run, c, false)
	if err != nil {
		return nil, err
	}
	k := len(d.classNames())
	g := &ScatterGrid{Title: "layers × snapshots (t-SNE)", Cols: len(snapshots), Size: c.size,
		Labels: d.labels, ClassNames: d.classNames(), Indices: d.index, Thumbs: d.thumbnails(c)}
	p := newProgress(c, "t-SNE grid")
	defer p.finish()
	total, done := len(layers)*len(snapshots), 0
	for _, layer := range layers {
		var prev *reduce.Matrix
		for _, si := range snapshots {
			t := si
			if t < 0 {
				t += len(d.info.Snapshots)
			}
			if t < 0 || t >= len(d.info.Snapshots) {
				return nil, fmt.Errorf("vizlib: snapshot %d out of range: the run has %d", si, len(d.info.Snapshots))
			}
			x, err := layerAt(run, d, c, layer, t)
			if err != nil {
				return nil, err
			}
			y, err := tsneLayout(d, c, layer, t, x)
			if err != nil {
				return nil, err
			}
			if prev != nil {
				if r, err := reduce.Procrustes(prev, y, nil); err == nil {
					y = r
				}
			}
			prev = y
			title := fmt.Sprintf("%s · epoch %.2f", layer, d.info.Snapshots[t].Epoch)
			if layer == PixelsLayer {
				title = layer
			}
			if km, err := reduce.KMeans(x, k, &reduce.KMeansOptions{Restarts: 3, Seed: uint64(c.seed), Metric: reduce.Metric(c.metric)}); err == nil {
				if a, err := reduce.AdjustedRandIndex(km.Assignments, d.labels); err == nil {
					title += fmt.Sprintf(" · ARI %.3f", a)
				}
			}
			g.Panels = append(g.Panels, Scatter{Title: title, Points: reduce.Normalize(y)})
			done++
			p.report(done, total, layer)
		}
	}
	return g, nil
}
