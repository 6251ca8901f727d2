package reduce

import (
	"fmt"
	"math"
)

// ScoreOptions configures ScoreClusters. The zero value (or nil) means Euclidean distance, seed 0
// and 4 k-means restarts.
type ScoreOptions struct {
	// Metric is the distance of the silhouette and of k-means: "" or Euclidean, or Cosine (cosine
	// silhouette and spherical k-means).
	Metric Metric
	// Seed seeds k-means (KMeansOptions.Seed).
	Seed uint64
	// Restarts is the number of k-means restarts; 0 means 4.
	Restarts int
}

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
	// to class j where possible (greedy matching on the contingency table, by decreasing overlap),
	// so that clusters and classes can share colors.
	Clusters []int32
	// Purity is [max(k, classes)]: per (renumbered) cluster, the fraction of its points that belong
	// to its matched class (NaN for a number no cluster took, or an empty cluster).
	Purity []float64
}

// ScoreClusters scores x ([n, d]) against labels ([n], classes 0..k-1, or more): the silhouette
// of the classes (Silhouette) and the adjusted Rand index between k-means with k clusters and the
// classes (KMeans, AdjustedRandIndex), both with opts.Metric (cosine k-means is spherical
// k-means), and the k-means clusters matched to the classes.
func ScoreClusters(x *Matrix, labels []int32, k int, opts *ScoreOptions) (ClusterScores, error) {
	var o ScoreOptions
	if opts != nil {
		o = *opts
	}
	if o.Restarts < 0 {
		return ClusterScores{}, fmt.Errorf("reduce: ScoreClusters: Restarts is %d: use 0 for the default 4 or a positive count", o.Restarts)
	}
	if o.Restarts == 0 {
		o.Restarts = 4
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
	s := ClusterScores{Dim: x.Cols}
	sil, err := Silhouette(x, labels, o.Metric)
	if err != nil {
		return s, fmt.Errorf("reduce: ScoreClusters: %w", err)
	}
	s.Silhouette = sil
	km, err := KMeans(x, k, &KMeansOptions{Restarts: o.Restarts, Seed: o.Seed, Metric: o.Metric})
	if err != nil {
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
