//go:build goexperiment.simd && amd64

package reduce

import (
	"math"
	"slices"
	"testing"
)

// TestKNNPairTileSameResults runs KNN, KMeans and assign with the AVX-512 pair tile and with it
// turned off (each pair then goes through two calls of the AVX2 knnTile, the code before the pair
// tile) and requires identical results: the same neighbour indices and distances, the same labels,
// centres and inertia, bit for bit. Sizes cover an odd number of panels, odd chunks (d = 100 gives
// 5 panels per chunk before rounding), query blocks that do not fill 4 rows, duplicates and ties.
func TestKNNPairTileSameResults(t *testing.T) {
	if !knnUseAVX512 {
		t.Skip("no AVX-512: knnTilePair is two calls of knnTile")
	}
	run := func(on bool, f func()) {
		old := knnUseAVX512
		knnUseAVX512 = on
		defer func() { knnUseAVX512 = old }()
		f()
	}
	dup := anRandom(403, 33, 5)
	for i := 200; i < 403; i++ { // exact duplicates and a grid of ties
		copy(dup.Row(i), dup.Row(i-200))
	}
	for _, tc := range []struct {
		name   string
		x      *Matrix
		k      int
		metric Metric
	}{
		{"n1000_d32", anRandom(1000, 32, 1), 15, Euclidean},
		{"n517_d100", anRandom(517, 100, 2), 10, Euclidean},
		{"n255_d7_cos", anRandom(255, 7, 3), 5, Cosine},
		{"n403_d33_dup", dup, 12, Euclidean},
		{"n49_d1", anRandom(49, 1, 4), 30, Euclidean},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b *Neighbors
			run(true, func() { a, _ = KNN(tc.x, tc.k, tc.metric) })
			run(false, func() { b, _ = KNN(tc.x, tc.k, tc.metric) })
			if !slices.Equal(a.Index, b.Index) || !sameBits(a.Dist, b.Dist) {
				t.Fatalf("KNN differs with the AVX-512 tile")
			}
			for _, k := range []int{1, 7, 16, 33, 63} { // 1, 2, 3 and 4 panels of centres
				if k > tc.x.Rows {
					continue
				}
				opts := &KMeansOptions{Restarts: 2, Seed: uint64(k), Metric: tc.metric}
				var ka, kb *KMeansResult
				run(true, func() { ka, _ = KMeans(tc.x, k, opts) })
				run(false, func() { kb, _ = KMeans(tc.x, k, opts) })
				if !slices.Equal(ka.Assignments, kb.Assignments) || !sameBits(ka.Centers.Data, kb.Centers.Data) || ka.Inertia != kb.Inertia || ka.Iterations != kb.Iterations {
					t.Fatalf("KMeans k=%d differs with the AVX-512 tile (inertia %v vs %v)", k, ka.Inertia, kb.Inertia)
				}
			}
			// assign itself, with its squared distances, on centres that are data rows (ties at 0).
			n, d := tc.x.Rows, tc.x.Cols
			for _, k := range []int{17, 32, 48} {
				k = min(k, n)
				centers := slices.Clone(tc.x.Data[:k*d])
				sq := rowSqNorms(tc.x.Data, n, d)
				la, lb := make([]int32, n), make([]int32, n)
				da, db := make([]float32, n), make([]float32, n)
				run(true, func() { assign(tc.x, sq, centers, k, la, da) })
				run(false, func() { assign(tc.x, sq, centers, k, lb, db) })
				if !slices.Equal(la, lb) || !sameBits(da, db) {
					t.Fatalf("assign k=%d differs with the AVX-512 tile", k)
				}
			}
		})
	}
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) })
}
