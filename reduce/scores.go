package reduce

import (
	"fmt"
	"math"
)

// Scaling is how ScoreClusters scales the rows of x before it clusters and scores them.
type Scaling string

const (
	// ScaleUnit divides every row by its length plus 1e-8, x_i / (||x_i|| + 1e-8), as seed 002
	// does before k-means and the silhouette ("normalize to unit length, for cosine similarity").
	ScaleUnit Scaling = "unit"
	// ScaleNone scores x as given.
	ScaleNone Scaling = "none"
)

// SilhouetteOf names the partition whose silhouette ScoreClusters reports.
type SilhouetteOf string

const (
	// OfClusters is the silhouette of the k-means clusters (seed 002's
	// silhouette_score(acts_norm, clusters)): how well the clusters k-means found are separated.
	OfClusters SilhouetteOf = "clusters"
	// OfClasses is the silhouette of the true classes: how well the classes are separated.
	OfClasses SilhouetteOf = "classes"
)

// ScoreOptions configures ScoreClusters. The zero value (or nil) is seed 002's recipe: rows
// scaled to unit length (ScaleUnit), k-means with Euclidean distance on them (so, on unit
// vectors, cosine k-means as scikit-learn's KMeans(n_clusters=k, n_init=10) on the normalized
// rows), the silhouette of those k-means clusters with Euclidean distance on the normalized rows
// (scikit-learn's silhouette_score(acts_norm, clusters)), and the ARI between clusters and
// classes. The quantities embviz computed before (the silhouette of the true classes on x as
// given) are {Scale: ScaleNone, Of: OfClasses}.
type ScoreOptions struct {
	// Scale is the scaling of the rows: "" or ScaleUnit (the seed), or ScaleNone.
	Scale Scaling
	// Metric is the distance of k-means and of the silhouette on the scaled rows: "" or Euclidean
	// (the seed), or Cosine (1 - cos: spherical k-means and cosine silhouette).
	Metric Metric
	// Of is the partition whose silhouette is reported: "" or OfClusters (the seed), or OfClasses.
	Of SilhouetteOf
	// Seed seeds k-means (KMeansOptions.Seed).
	Seed uint64
	// Restarts is the number of k-means restarts; 0 means 10 (scikit-learn's n_init=10, the seed).
	Restarts int
}

// ClusterScores are the cluster-quality scores of one representation x [n, d] of labelled points.
type ClusterScores struct {
	// Dim is d, the number of features.
	Dim int
	// Silhouette is the mean silhouette (in [-1, 1]; higher: tighter, better separated groups) of
	// the partition ScoreOptions.Of names: by default the k-means clusters.
	Silhouette float64
	// ARI is the adjusted Rand index between the k-means clusters and the classes (1: the
	// clusters are the classes; about 0: unrelated).
	ARI float64
	// Clusters is [n]: the k-means cluster of each point, renumbered so that cluster j is matched
	// to class j where possible (greedy matching on the contingency table, by decreasing overlap),
	// so that clusters and classes can share colors.
	Clusters []int32
	// Purity is [max(k, classes)]: per (renumbered) cluster, the fraction of its points that belong
	// to its matched class (NaN for a number no cluster took, or an empty cluster).
	Purity []float64
}

// ScaleRowsUnit returns x ([n, d]) with every row divided by its length plus 1e-8,
// x_i / (||x_i|| + 1e-8) (norms accumulated in float64), as seed 002 normalizes activations; a
// zero row stays zero.
func ScaleRowsUnit(x *Matrix) *Matrix { return scaleRows(x, 1e-8) }

// ScoreClusters scores x ([n, d]) against labels ([n], classes 0..k-1, or more): k-means with k
// clusters (KMeans) on the rows of x scaled as opts.Scale, the silhouette (Silhouette) of the
// clusters or of the classes (opts.Of) and the adjusted Rand index between the clusters and the
// classes (AdjustedRandIndex), both with opts.Metric on the scaled rows, and the k-means clusters
// matched to the classes. The zero options are seed 002's recipe (see ScoreOptions).
func ScoreClusters(x *Matrix, labels []int32, k int, opts *ScoreOptions) (ClusterScores, error) {
	var o ScoreOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Restarts < 0:
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: Restarts is %d: use 0 for the default 10 or a positive count", o.Restarts)
	case o.Scale != "" && o.Scale != ScaleUnit && o.Scale != ScaleNone:
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: unknown Scale %q: use %q (default) or %q", o.Scale, ScaleUnit, ScaleNone)
	case o.Of != "" && o.Of != OfClusters && o.Of != OfClasses:
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: unknown Of %q: use %q (default) or %q", o.Of, OfClusters, OfClasses)
	}
	if o.Restarts == 0 {
		o.Restarts = 10
	}
	if x == nil || x.Rows != len(labels) {
		rows := -1
		if x != nil {
			rows = x.Rows
		}
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: %d rows for %d labels", rows, len(labels))
	}
	for i, l := range labels {
		if l < 0 {
			return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: label %d of point %d is negative: classes are 0..k-1", l, i)
		}
	}
	if err := x.Validate(); err != nil {
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	s := ClusterScores{Dim: x.Cols}
	if o.Scale != ScaleNone {
		x = ScaleRowsUnit(x)
	}
	km, err := KMeans(x, k, &KMeansOptions{Restarts: o.Restarts, Seed: o.Seed, Metric: o.Metric})
	if err != nil {
		return s, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	of := km.Assignments
	if o.Of == OfClasses {
		of = labels
	}
	if s.Silhouette, err = Silhouette(x, of, o.Metric); err != nil {
		return s, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	if s.ARI, err = AdjustedRandIndex(km.Assignments, labels); err != nil {
		return s, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	m, err := MatchClusters(km.Assignments, labels, k)
	if err != nil {
		return s, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	s.Clusters, s.Purity = m.Clusters, m.Purity
	return s, nil
}

// Displacements returns the T-1 mean displacements of a point between consecutive frames of a
// sequence (T matrices [n, k_t], k_t >= 2, of the same n points; the first two columns are used):
//
//	D_t = (1/n) Σ_i ||ŷ_i^t − ŷ_i^{t−1}||,  t = 1..T−1,
//
// where ŷ^t is frame t normalized to zero mean and unit standard deviation (Normalize), so that
// sequences drawn at different scales compare. In a readable animation D_t is small and follows
// the changes of the data; a rotation, reflection or swap of clusters between frames shows up as a
// spike.
func Displacements(frames []*Matrix) ([]float64, error) {
	if len(frames) < 2 {
		return nil, fmt.Errorf("reduce: Displacements needs at least 2 frames, got %d", len(frames))
	}
	var prev *Matrix
	out := make([]float64, 0, len(frames)-1)
	for t, f := range frames {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("reduce: Displacements: frame %d: %w", t, err)
		}
		if f.Cols < 2 {
			return nil, fmt.Errorf("reduce: Displacements: frame %d has %d column, need 2", t, f.Cols)
		}
		if t > 0 && f.Rows != frames[0].Rows {
			return nil, fmt.Errorf("reduce: Displacements: frame %d has %d points, frame 0 has %d", t, f.Rows, frames[0].Rows)
		}
		cur := Normalize(first2(f))
		if prev != nil {
			sum := 0.0
			for i := 0; i < cur.Rows; i++ {
				dx := float64(cur.Data[2*i] - prev.Data[2*i])
				dy := float64(cur.Data[2*i+1] - prev.Data[2*i+1])
				sum += math.Sqrt(dx*dx + dy*dy)
			}
			out = append(out, sum/float64(cur.Rows))
		}
		prev = cur
	}
	return out, nil
}

// first2 returns the first two columns of f ([n, 2]); f itself when it has two.
func first2(f *Matrix) *Matrix {
	if f.Cols == 2 {
		return f
	}
	out := NewMatrix(f.Rows, 2)
	for i := 0; i < f.Rows; i++ {
		out.Data[2*i], out.Data[2*i+1] = f.Data[i*f.Cols], f.Data[i*f.Cols+1]
	}
	return out
}
