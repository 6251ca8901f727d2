package reduce

import (
	"math"
	"testing"
)

// TestUMAPSeedReproducible: UMAP with a seed gives the same layout, bit for bit, every time and
// whatever the number of threads (the SGD is chunked deterministically; see UMAPOptions.Seed).
// Both the exact kNN (small n) and NN-descent paths, 2-D and 3-D layouts.
func TestUMAPSeedReproducible(t *testing.T) {
	x, _ := gaussianBlobs(700, 12, 5, 6, 1, 3, 0)
	for _, tc := range []struct {
		name   string
		method string
		dim    int
	}{{"exact-2d", "exact", 2}, {"nndescent-2d", "nndescent", 2}, {"exact-3d", "exact", 3}} {
		t.Run(tc.name, func(t *testing.T) {
			var first *Matrix
			for i, threads := range []int{0, 0, 1, 3} {
				y, err := UMAP(x, &UMAPOptions{Seed: 0, KNNMethod: tc.method, NComponents: tc.dim, NEpochs: 60, Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = y
					continue
				}
				var maxDiff float64
				for j := range y.Data {
					maxDiff = max(maxDiff, math.Abs(float64(y.Data[j]-first.Data[j])))
				}
				if maxDiff != 0 {
					t.Errorf("run %d (threads %d) differs from the first by up to %g", i, threads, maxDiff)
				}
			}
		})
	}
}
