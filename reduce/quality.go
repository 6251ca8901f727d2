package reduce

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// QualityOptions configures Trustworthiness and KNNPreservation. The zero value (or nil) means
// Euclidean distances in both spaces.
type QualityOptions struct {
	// Metric is the distance in the high-dimensional space ("" means Euclidean). The low-dimensional
	// embedding always uses Euclidean distance (as scikit-learn's trustworthiness).
	Metric Metric
	// Progress, if not nil, is called as blocks of rows are done (stage "trustworthiness"),
	// one call at a time.
	Progress Progress
}

// Trustworthiness measures how far the k nearest neighbours in the embedding low ([n, c]) are
// from being neighbours in the original data high ([n, d]) (Venna & Kaski 2001):
//
//	T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_i} (r(i, j) - k),
//
// where U_i are the k nearest neighbours of i in low that are not among its k nearest in high, and
// r(i, j) is the rank (1 = nearest) of j among the other points by distance from i in high. Equal
// to scikit-learn's sklearn.manifold.trustworthiness(high, low, n_neighbors=k). High-dimensional
// distances are float64; O(n^2 d) time. Requires 1 <= k < n/2.
func Trustworthiness(high, low *Matrix, k int, opts *QualityOptions) (float64, error) {
	if opts == nil {
		opts = &QualityOptions{}
	}
	if err := checkPair(high, low, false); err != nil {
		return 0, err
	}
	metric, err := opts.Metric.resolve()
	if err != nil {
		return 0, err
	}
	n := high.Rows
	if k < 1 || float64(k) >= float64(n)/2 {
		return 0, fmt.Errorf("reduce: trustworthiness: k = %d neighbours, must be in 1..n/2 (n = %d)", k, n)
	}
	lowNb, err := KNN(low, k, Euclidean)
	if err != nil {
		return 0, err
	}
	pd := newPairwise(high, metric)
	const block = 128
	blocks := (n + block - 1) / block
	partial := make([]float64, blocks)
	var mu sync.Mutex
	done := 0
	parallelFor(blocks, 1, func(b0, b1 int) {
		var dist mat.Dense
		for b := b0; b < b1; b++ {
			i0, i1 := b*block, min(n, (b+1)*block)
			pd.rows(i0, i1, &dist)
			var sum float64
			for i := i0; i < i1; i++ {
				clearUpper()
				row := dist.RawRowView(i - i0)
				row[i] = math.Inf(1) // exclude the point itself
				ids, _ := lowNb.Row(i)
				for _, j := range ids {
					// rank of j = 1 + #{l : d_il < d_ij, or d_il == d_ij and l < j}
					dj := row[j]
					rank := 1
					clearUpper()
					for l, v := range row {
						if v < dj || (v == dj && l < int(j)) {
							rank++
						}
					}
					if rank > k {
						sum += float64(rank - k)
					}
				}
			}
			partial[b] = sum
			mu.Lock()
			done++
			reportProgress(opts.Progress, done, blocks, "trustworthiness")
			mu.Unlock()
		}
	})
	var t float64
	for _, v := range partial {
		t += v
	}
	fn, fk := float64(n), float64(k)
	return 1 - t*2/(fn*fk*(2*fn-3*fk-1)), nil
}

// KNNPreservation returns the mean fraction of shared k nearest neighbours between two embeddings
// of the same n samples, a ([n, d1]) and b ([n, d2]):
//
//	P(k) = (1/n) sum_i |N_k^a(i) ∩ N_k^b(i)| / k,
//
// with exact neighbour sets from KNN under opts.Metric for a ("" means Euclidean) and Euclidean
// for b. 1 means every neighbourhood is preserved. Requires 1 <= k <= n-1.
func KNNPreservation(a, b *Matrix, k int, opts *QualityOptions) (float64, error) {
	if opts == nil {
		opts = &QualityOptions{}
	}
	if err := checkPair(a, b, false); err != nil {
		return 0, err
	}
	na, err := KNN(a, k, opts.Metric)
	if err != nil {
		return 0, err
	}
	nb, err := KNN(b, k, Euclidean)
	if err != nil {
		return 0, err
	}
	return neighborOverlap(na, nb), nil
}

// neighborOverlap is the mean fraction of shared neighbours of two graphs with the same N and K.
func neighborOverlap(na, nb *Neighbors) float64 {
	k := na.K
	set := make(map[int32]struct{}, k)
	var total int
	for i := 0; i < na.N; i++ {
		clear(set)
		ia, _ := na.Row(i)
		ib, _ := nb.Row(i)
		for _, j := range ia {
			set[j] = struct{}{}
		}
		for _, j := range ib {
			if _, ok := set[j]; ok {
				total++
			}
		}
	}
	return float64(total) / float64(na.N*k)
}
