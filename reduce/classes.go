package reduce

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ClassMeans returns the mean of the rows of x ([n, d]) of each class 0..k-1 of labels ([n]):
// means [k, d] (accumulated in float64) and counts [k]. A class without points has count 0 and a
// zero row; labels outside [0, k) are skipped.
func ClassMeans(x *Matrix, labels []int32, k int) (means *Matrix, counts []int, err error) {
	if x == nil || len(x.Data) != x.Rows*x.Cols {
		return nil, nil, errors.New("reduce: ClassMeans: x is not a valid matrix")
	}
	if len(labels) != x.Rows || k < 1 {
		return nil, nil, fmt.Errorf("reduce: ClassMeans: %d labels for %d rows, k = %d classes (want one label per row, k >= 1)", len(labels), x.Rows, k)
	}
	d := x.Cols
	sum := make([]float64, k*d)
	counts = make([]int, k)
	for i, l := range labels {
		if l < 0 || int(l) >= k {
			continue
		}
		counts[l]++
		s := sum[int(l)*d : (int(l)+1)*d]
		for j, v := range x.Row(i) {
			s[j] += float64(v)
		}
	}
	means = NewMatrix(k, d)
	for c := 0; c < k; c++ {
		if counts[c] == 0 {
			continue
		}
		for j := 0; j < d; j++ {
			means.Data[c*d+j] = float32(sum[c*d+j] / float64(counts[c]))
		}
	}
	return means, counts, nil
}

// ConfusionMatrix counts [k, k] (row = label, column = prediction) as float64s, row-major, for
// labels and preds ([n] each). Predictions outside [0, k) are not counted; a label outside [0, k)
// is an error.
func ConfusionMatrix(labels, preds []int32, k int) ([]float64, error) {
	if len(labels) != len(preds) {
		return nil, fmt.Errorf("reduce: ConfusionMatrix: %d labels but %d predictions", len(labels), len(preds))
	}
	if k < 1 {
		return nil, fmt.Errorf("reduce: ConfusionMatrix: k = %d classes, want at least 1", k)
	}
	m := make([]float64, k*k)
	for i, l := range labels {
		if l < 0 || int(l) >= k {
			return nil, fmt.Errorf("reduce: ConfusionMatrix: label %d of sample %d is outside [0, %d)", l, i, k)
		}
		if p := preds[i]; p >= 0 && int(p) < k {
			m[int(l)*k+int(p)]++
		}
	}
	return m, nil
}

// ClusterMatch is the result of MatchClusters.
type ClusterMatch struct {
	// Class is [k]: the number cluster c is renumbered to, the class it is matched to where
	// possible (unmatched clusters take the lowest numbers that no cluster took).
	Class []int32
	// Clusters is [n]: Class[clusters[i]], the renumbered cluster of every point.
	Clusters []int32
	// Purity is [max(classes, k)], indexed by renumbered cluster: the fraction of the cluster's
	// points that belong to the class of that number (NaN for a number no non-empty cluster took).
	Purity []float64
}

// MatchClusters renumbers clusters ([n], values in [0, k)) so that each is matched to the class
// (labels [n], values >= 0; classes = max(k, max label + 1)) it shares the most points with, greedily
// by decreasing overlap on the [k, classes] contingency table (ties: lower cluster, then lower
// class first), each class taken at most once; unmatched clusters take the remaining numbers in
// increasing order. Clusters then share the colors and names of the classes they stand for.
func MatchClusters(clusters, labels []int32, k int) (*ClusterMatch, error) {
	if len(clusters) != len(labels) {
		return nil, fmt.Errorf("reduce: MatchClusters: %d clusters but %d labels", len(clusters), len(labels))
	}
	if k < 1 {
		return nil, fmt.Errorf("reduce: MatchClusters: k = %d clusters, want at least 1", k)
	}
	classes := k
	for i, l := range labels {
		if l < 0 {
			return nil, fmt.Errorf("reduce: MatchClusters: label %d of point %d is negative", l, i)
		}
		if c := clusters[i]; c < 0 || int(c) >= k {
			return nil, fmt.Errorf("reduce: MatchClusters: cluster %d of point %d is outside [0, %d)", c, i, k)
		}
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
	pairs := make([]pair, 0, k*classes)
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
	used := make([]bool, classes)
	for _, p := range pairs {
		if to[p.c] < 0 && !used[p.l] {
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
	m := &ClusterMatch{Class: make([]int32, k), Clusters: make([]int32, len(clusters)), Purity: make([]float64, classes)}
	for c, l := range to {
		m.Class[c] = int32(l)
	}
	for i, c := range clusters {
		m.Clusters[i] = m.Class[c]
	}
	for i := range m.Purity {
		m.Purity[i] = math.NaN()
	}
	for c := range count {
		if size[c] > 0 {
			m.Purity[to[c]] = float64(count[c][to[c]]) / float64(size[c])
		}
	}
	return m, nil
}

// ColumnVariances returns the population variance of every column of x ([n, d]) as
// E[x_j²] - E[x_j]² (float64 moments): e.g. the activity of each latent dimension of a VAE, near 0
// for a dimension the model does not use.
func ColumnVariances(x *Matrix) ([]float64, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: ColumnVariances: %w", err)
	}
	n := float64(x.Rows)
	v := make([]float64, x.Cols)
	for j := range v {
		var m, sq float64
		for i := 0; i < x.Rows; i++ {
			e := float64(x.Data[i*x.Cols+j])
			m += e
			sq += e * e
		}
		m /= n
		v[j] = sq/n - m*m
	}
	return v, nil
}

// PriorKL returns, for every latent dimension j, the mean over the n points of the KL divergence
// of the Gaussian posterior N(mu_ij, exp(logvar_ij)) to the prior N(0, 1):
//
//	KL_j = (1/n) Σ_i ½ (mu_ij² + exp(logvar_ij) - 1 - logvar_ij),
//
// for mu and logvar [n, d] (a VAE's latent means and log-variances).
func PriorKL(mu, logvar *Matrix) ([]float64, error) {
	if err := checkPair(mu, logvar, true); err != nil {
		return nil, fmt.Errorf("reduce: PriorKL (mu, logvar): %w", err)
	}
	out := make([]float64, mu.Cols)
	for j := range out {
		var s float64
		for i := 0; i < mu.Rows; i++ {
			m, l := float64(mu.At(i, j)), float64(logvar.At(i, j))
			s += 0.5 * (m*m + math.Exp(l) - 1 - l)
		}
		out[j] = s / float64(mu.Rows)
	}
	return out, nil
}
