package reduce

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// bruteKNN is the float64 reference: all distances, sorted by (distance, index).
func bruteKNN(x *Matrix, k int, metric Metric) ([]int32, []float64) {
	n := x.Rows
	idx := make([]int32, n*k)
	dist := make([]float64, n*k)
	type pair struct {
		j int
		d float64
	}
	ps := make([]pair, 0, n)
	for i := 0; i < n; i++ {
		ps = ps[:0]
		for j := 0; j < n; j++ {
			if j != i {
				ps = append(ps, pair{j, exactDistance(x, i, j, metric)})
			}
		}
		sort.Slice(ps, func(a, b int) bool {
			if ps[a].d != ps[b].d {
				return ps[a].d < ps[b].d
			}
			return ps[a].j < ps[b].j
		})
		for c := 0; c < k; c++ {
			idx[i*k+c] = int32(ps[c].j)
			dist[i*k+c] = ps[c].d
		}
	}
	return idx, dist
}

func TestKNNMatchesBruteForce(t *testing.T) {
	for _, tc := range []struct {
		n, d, k int
		metric  Metric
	}{
		{700, 37, 10, Euclidean},
		{700, 37, 10, Cosine},
		{129, 3, 15, Euclidean}, // n not a multiple of the panel or query block
		{20, 1, 19, ""},         // k = n-1, one dimension
		{300, 64, 1, Cosine},
	} {
		t.Run(fmt.Sprintf("n%d_d%d_k%d_%s", tc.n, tc.d, tc.k, tc.metric), func(t *testing.T) {
			x := anRandom(tc.n, tc.d, uint64(tc.n*tc.d))
			nb, err := KNN(x, tc.k, tc.metric)
			if err != nil {
				t.Fatal(err)
			}
			if nb.N != tc.n || nb.K != tc.k || len(nb.Index) != tc.n*tc.k || len(nb.Dist) != tc.n*tc.k {
				t.Fatalf("shape N=%d K=%d len=%d,%d", nb.N, nb.K, len(nb.Index), len(nb.Dist))
			}
			metric, _ := tc.metric.resolve()
			wantIdx, wantDist := bruteKNN(x, tc.k, metric)
			mismatch := 0
			for p := range wantIdx {
				if nb.Index[p] != wantIdx[p] {
					mismatch++
				}
				if math.Abs(float64(nb.Dist[p])-wantDist[p]) > 1e-5*(1+wantDist[p]) {
					t.Fatalf("dist[%d] = %v, want %v", p, nb.Dist[p], wantDist[p])
				}
			}
			if mismatch > 0 {
				t.Fatalf("%d of %d neighbour indices differ from brute force", mismatch, len(wantIdx))
			}
			for i := 0; i < tc.n; i++ {
				ids, ds := nb.Row(i)
				for c := range ids {
					if int(ids[c]) == i {
						t.Fatalf("point %d is its own neighbour", i)
					}
					if c > 0 && ds[c] < ds[c-1] {
						t.Fatalf("row %d not sorted: %v", i, ds)
					}
				}
			}
		})
	}
}

func TestKNNDuplicatesAndZeroRows(t *testing.T) {
	// Rows 0 and 1 are identical: each is the other's nearest neighbour at distance 0.
	x := anRandom(50, 5, 3)
	copy(x.Row(1), x.Row(0))
	nb, err := KNN(x, 3, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	if nb.Index[0] != 1 || nb.Dist[0] != 0 || nb.Index[3] != 0 || nb.Dist[3] != 0 {
		t.Fatalf("duplicates: row0 %v %v, row1 %v %v", nb.Index[0:3], nb.Dist[0:3], nb.Index[3:6], nb.Dist[3:6])
	}
	// A zero row under cosine is at distance 1 from everything.
	clear(x.Row(7))
	nb, err = KNN(x, 4, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	_, ds := nb.Row(7)
	for _, d := range ds {
		if d != 1 {
			t.Fatalf("zero row cosine distances %v, want all 1", ds)
		}
	}
}

func TestKNNErrors(t *testing.T) {
	x := anRandom(10, 3, 1)
	nan := x.Clone()
	nan.Data[4] = float32(math.NaN())
	for _, tc := range []struct {
		x      *Matrix
		k      int
		metric Metric
		want   string
	}{
		{x, 10, Euclidean, "k = 10"},
		{x, 0, Euclidean, "k = 0"},
		{x, 3, "manhattan", "unknown metric"},
		{nan, 3, Euclidean, "non-finite"},
		{nil, 3, Euclidean, "nil matrix"},
		{&Matrix{Rows: 3, Cols: 2, Data: make([]float32, 5)}, 1, Euclidean, "has 5 values"},
	} {
		_, err := KNN(tc.x, tc.k, tc.metric)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "reduce: ") {
			t.Errorf("KNN(k=%d, %q): err = %v, want one containing %q", tc.k, tc.metric, err, tc.want)
		}
	}
}

func TestKNNFashionMNIST(t *testing.T) {
	x, _ := anFashion(t, 1000)
	nb, err := KNN(x, 15, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	wantIdx, wantDist := bruteKNN(x, 15, Euclidean)
	mismatch := 0
	for p := range wantIdx {
		if nb.Index[p] != wantIdx[p] && math.Abs(float64(nb.Dist[p])-wantDist[p]) > 1e-6*wantDist[p] {
			mismatch++
		}
	}
	if mismatch > 0 {
		t.Fatalf("%d of %d neighbours differ from brute force (beyond ties)", mismatch, len(wantIdx))
	}
}

func BenchmarkKNN(b *testing.B) {
	for _, d := range []int{50, 784} {
		x := anRandom(5000, d, 1)
		b.Run(fmt.Sprintf("n5000_d%d_k15", d), func(b *testing.B) {
			for b.Loop() {
				if _, err := KNN(x, 15, Euclidean); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleKNN() {
	x := MatrixFrom(4, 2, []float32{0, 0, 1, 0, 0, 2, 5, 5})
	nb, err := KNN(x, 2, Euclidean)
	if err != nil {
		panic(err)
	}
	for i := 0; i < nb.N; i++ {
		idx, dist := nb.Row(i)
		fmt.Println(i, idx, dist)
	}
	// Output:
	// 0 [1 2] [1 2]
	// 1 [0 2] [1 2.236068]
	// 2 [0 1] [2 2.236068]
	// 3 [2 1] [5.8309517 6.4031243]
}
