package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// umapBlobs returns n points in d dims around c well-separated Gaussian centers, and the labels.
func umapBlobs(n, d, c int, seed uint64) (*Matrix, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	centers := make([]float64, c*d)
	for i := range centers {
		centers[i] = rng.NormFloat64() * 10
	}
	x := NewMatrix(n, d)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		labels[i] = i % c
		for j := 0; j < d; j++ {
			x.Data[i*d+j] = float32(centers[labels[i]*d+j] + rng.NormFloat64())
		}
	}
	return x, labels
}

func TestUMAPErrors(t *testing.T) {
	x, _ := umapBlobs(40, 3, 2, 1)
	nan := x.Clone()
	nan.Data[7] = float32(math.Inf(1))
	for _, c := range []struct {
		name string
		x    *Matrix
		opts *UMAPOptions
		want string
	}{
		{"nil", nil, nil, "nil matrix"},
		{"inf", nan, nil, "non-finite value +Inf at row 2, column 1"},
		{"wrong data length", &Matrix{Rows: 4, Cols: 3, Data: make([]float32, 10)}, nil, "has 10 values, want 12"},
		{"too few points", x, &UMAPOptions{NNeighbors: 40}, "40 points are too few for n_neighbors = 40: need at least n_neighbors+1 = 41"},
		{"min_dist > spread", x, &UMAPOptions{MinDist: Float(2), Spread: 1.5}, "min_dist must be less than or equal to spread (min_dist = 2, spread = 1.5)"},
		{"negative min_dist", x, &UMAPOptions{MinDist: Float(-0.1)}, "min_dist = -0.1"},
		{"metric", x, &UMAPOptions{Metric: "manhattan"}, "unknown metric"},
		{"init", x, &UMAPOptions{Init: "tsne"}, "unknown init"},
		{"init shape", x, &UMAPOptions{InitEmbedding: NewMatrix(40, 3)}, "InitEmbedding is [40, 3], want [40, 2]"},
		{"knn shape", x, &UMAPOptions{KNN: &Neighbors{N: 39, K: 14}}, "precomputed KNN has 39 points, the data has 40"},
		{"knn too small", x, &UMAPOptions{KNN: &Neighbors{N: 40, K: 5}}, "K = 5 neighbours, n_neighbors = 15 needs at least 14"},
		{"n_neighbors", x, &UMAPOptions{NNeighbors: 1}, "n_neighbors = 1"},
	} {
		_, err := UMAP(c.x, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "reduce: ") {
			t.Errorf("%s: error %v, want one starting with \"reduce: \" containing %q", c.name, err, c.want)
		}
	}
}

func TestUMAPDeterministicAndSeparates(t *testing.T) {
	x, labels := umapBlobs(300, 8, 3, 2)
	var stages []string
	lastEpoch := 0
	opts := &UMAPOptions{Seed: 7, Threads: 1, NEpochs: 200, MinDist: Float(0), Progress: func(done, total int, stage string) {
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
		if stage == "umap epochs" {
			lastEpoch = done
		}
	}}
	a, err := UMAP(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stages, ","); got != "umap knn,umap graph,umap init,umap epochs" || lastEpoch != 200 {
		t.Errorf("progress stages %q, last epoch %d; want umap knn,umap graph,umap init,umap epochs up to 200", got, lastEpoch)
	}
	opts.Progress = nil
	b, err := UMAP(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("Seed 7, Threads 1: runs differ at %d: %v vs %v", i, a.Data[i], b.Data[i])
		}
	}
	if a.Rows != 300 || a.Cols != 2 {
		t.Fatalf("embedding [%d, %d], want [300, 2]", a.Rows, a.Cols)
	}
	s := mphateSilhouette(a, labels)
	if s < 0.8 {
		t.Errorf("three well-separated blobs: silhouette %.3f < 0.8", s)
	}
	// Every init, cosine metric, 3 components and a precomputed graph run and give finite layouts.
	knn, err := KNN(x, 9, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*UMAPOptions{
		{Init: "pca", NEpochs: 50}, {Init: "random", NEpochs: 50}, {Metric: Cosine, NEpochs: 50},
		{NComponents: 3, NEpochs: 50}, {NNeighbors: 10, KNN: knn, NEpochs: 50}, {KNNMethod: "nndescent", NEpochs: 50},
	} {
		y, err := UMAP(x, o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if err := y.Validate(); err != nil || y.Cols != max(o.NComponents, 2) {
			t.Errorf("%+v: %v, %d columns", o, err, y.Cols)
		}
	}
}

// umapGraph returns the exact Euclidean k-NN graph of x and its fuzzy simplicial set.
func umapGraph(t *testing.T, x *Matrix, k int) (*Neighbors, *Graph) {
	t.Helper()
	knn, err := KNN(x, k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FuzzySimplicialSet(knn)
	if err != nil {
		t.Fatal(err)
	}
	return knn, g
}

func TestFuzzySimplicialSet(t *testing.T) {
	x, _ := umapBlobs(200, 5, 4, 3)
	knn, g := umapGraph(t, x, 14)
	at := func(i, j int) float32 {
		for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
			if int(g.Col[p]) == j {
				return g.Val[p]
			}
		}
		return 0
	}
	for i := 0; i < g.N; i++ {
		var mx float32
		for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
			j := int(g.Col[p])
			w := g.Val[p]
			if j == i || w <= 0 || w > 1 {
				t.Fatalf("edge (%d, %d) weight %v: want no self loops and weights in (0, 1]", i, j, w)
			}
			if p > g.RowPtr[i] && g.Col[p-1] >= g.Col[p] {
				t.Fatalf("row %d columns not sorted", i)
			}
			if math.Abs(float64(at(j, i)-w)) > 1e-6 {
				t.Fatalf("asymmetric: w(%d,%d)=%v, w(%d,%d)=%v", i, j, w, j, i, at(j, i))
			}
			mx = max(mx, w)
		}
		// The nearest neighbour has membership 1 (local connectivity 1).
		if mx != 1 {
			t.Fatalf("point %d: max membership %v, want 1", i, mx)
		}
	}
	// Membership sums: each point's directed memberships sum to log2(15) (the bandwidth target).
	i := 17
	idx, dist := knn.Row(i)
	rho := float64(dist[0])
	lo, hi := 1e-6, 1e3
	for it := 0; it < 200; it++ { // sigma by bisection, independently of the implementation
		mid := (lo + hi) / 2
		var s float64
		for _, d := range dist {
			s += math.Exp(-math.Max(0, float64(d)-rho) / mid)
		}
		if s > math.Log2(15) {
			hi = mid
		} else {
			lo = mid
		}
	}
	sigma := (lo + hi) / 2
	far := int(idx[13])
	p := math.Exp(-(float64(dist[13]) - rho) / sigma)
	// w = p + q - p q with q the reverse membership, so w >= p.
	if w := float64(at(i, far)); w < p-1e-4 {
		t.Errorf("w(%d, %d) = %v below its directed membership %v", i, far, w, p)
	}
}

func TestNNDescentRecall(t *testing.T) {
	x, _ := umapFashionPCA(t, 3000)
	start := time.Now()
	exact, err := KNN(x, 14, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	te := time.Since(start)
	for _, metric := range []Metric{Euclidean, Cosine} {
		if metric == Cosine {
			if exact, err = KNN(x, 14, Cosine); err != nil {
				t.Fatal(err)
			}
		}
		start = time.Now()
		approx, err := NNDescent(x, 14, &NNDescentOptions{Seed: 1, Metric: metric})
		if err != nil {
			t.Fatal(err)
		}
		ta := time.Since(start)
		hits := 0
		for i := 0; i < x.Rows; i++ {
			set := map[int32]bool{}
			for _, j := range exact.Index[i*14 : (i+1)*14] {
				set[j] = true
			}
			for q, j := range approx.Index[i*14 : (i+1)*14] {
				if set[j] {
					hits++
				}
				if q > 0 && approx.Dist[i*14+q] < approx.Dist[i*14+q-1] {
					t.Fatalf("row %d not sorted by distance", i)
				}
				if int(j) == i {
					t.Fatalf("row %d contains itself", i)
				}
			}
			// Distances are true distances under the metric.
			j := int(approx.Index[i*14])
			want := exactDistance(x, i, j, metric)
			if math.Abs(float64(approx.Dist[i*14])-want) > 1e-3*math.Max(1, want) {
				t.Fatalf("%s distance (%d, %d) = %v, want %v", metric, i, j, approx.Dist[i*14], want)
			}
		}
		recall := float64(hits) / float64(x.Rows*14)
		t.Logf("%s: NN-descent recall@14 = %.4f in %v (exact KNN %v)", metric, recall, ta.Round(time.Millisecond), te.Round(time.Millisecond))
		if recall < 0.95 {
			t.Errorf("%s: NN-descent recall %.4f < 0.95", metric, recall)
		}
	}
	if _, err := NNDescent(x, 3000, nil); err == nil || !strings.Contains(err.Error(), "k = 3000") {
		t.Errorf("k too large: %v", err)
	}
}

// TestNNDescentInit: NN-descent started from the graph of a slightly moved copy of the data (as
// between consecutive snapshots) reaches the recall of a cold start in 2 iterations, skipping the
// random projection trees; a graph of the wrong size is rejected.
func TestNNDescentInit(t *testing.T) {
	x, _ := umapFashionPCA(t, 3000)
	const k = 14
	moved := x.Clone()
	r := rand.New(rand.NewPCG(5, 5))
	for i := range moved.Data {
		moved.Data[i] += float32(0.4 * r.NormFloat64())
	}
	prev, err := KNN(x, k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := KNN(moved, k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	recall := func(nb *Neighbors) float64 { return knnRecall(exact, nb, k) }
	for _, tc := range []struct {
		name    string
		opts    NNDescentOptions
		minRec  float64
		maxIter int // iterations run at most
	}{
		{"cold", NNDescentOptions{Seed: 1}, 0.95, 100},
		{"from the previous graph", NNDescentOptions{Seed: 1, Init: prev, MaxIter: 2}, 0.95, 2},
		{"from the previous graph, one iteration", NNDescentOptions{Seed: 1, Init: prev, MaxIter: 1}, 0.8, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iters := 0
			o := tc.opts
			o.Progress = func(done, total int, stage string) { iters = done }
			nb, err := NNDescent(moved, k, &o)
			if err != nil {
				t.Fatal(err)
			}
			rec := recall(nb)
			t.Logf("recall %.4f after %d iterations", rec, iters)
			if rec < tc.minRec || iters > tc.maxIter {
				t.Errorf("recall %.4f after %d iterations, want >= %.2f after at most %d", rec, iters, tc.minRec, tc.maxIter)
			}
		})
	}
	bad := &Neighbors{N: 10, K: k, Index: make([]int32, 10*k), Dist: make([]float32, 10*k)}
	if _, err := NNDescent(moved, k, &NNDescentOptions{Init: bad}); err == nil || !strings.Contains(err.Error(), "Init") {
		t.Errorf("Init of 10 points for %d: %v", moved.Rows, err)
	}
}

func TestSpectralLayoutLanczosMatchesDense(t *testing.T) {
	// A graph of 600 vertices: Lanczos path; check the eigen-equation residual ||A v - lambda v||.
	x, _ := umapBlobs(600, 4, 3, 4)
	knn, _ := KNN(x, 10, Euclidean)
	g, _ := FuzzySimplicialSet(knn)
	n := g.N
	deg := make([]float64, n)
	for i := 0; i < n; i++ {
		for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
			deg[i] += float64(g.Val[p])
		}
	}
	emb, err := SpectralLayout(g, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < 2; c++ {
		v := make([]float64, n)
		var nrm float64
		for i := range v {
			v[i] = float64(emb.Data[i*2+c])
			nrm += v[i] * v[i]
		}
		av := make([]float64, n)
		var lam float64
		for i := 0; i < n; i++ {
			for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
				j := g.Col[p]
				av[i] += float64(g.Val[p]) / math.Sqrt(deg[i]*deg[j]) * v[j]
			}
			lam += av[i] * v[i]
		}
		lam /= nrm
		var res float64
		for i := range v {
			res += (av[i] - lam*v[i]) * (av[i] - lam*v[i])
		}
		res = math.Sqrt(res / nrm)
		if res > 1e-3 || lam < 0.9 {
			t.Errorf("eigenvector %d: eigenvalue %.4f, residual %.2g (want a top eigenvector, residual < 1e-3)", c, lam, res)
		}
	}
}

func ExampleUMAP() {
	x, _ := umapBlobs(200, 5, 2, 1) // [200, 5]
	y, err := UMAP(x, &UMAPOptions{NNeighbors: 10, MinDist: Float(0.2), Seed: 1, Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("embedding [%d, %d]\n", y.Rows, y.Cols)
	_, err = UMAP(x, &UMAPOptions{MinDist: Float(2)})
	fmt.Println(err)
	// Output:
	// embedding [200, 2]
	// reduce: UMAP: min_dist must be less than or equal to spread (min_dist = 2, spread = 1)
}

func ExampleMPHATE() {
	seq, _ := mphateSeparating(60, 6, 4, 1) // 4 snapshots [60, 6]
	frames, err := MPHATE(seq, &MPHATEOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames [%d, %d]\n", len(frames), frames[0].Rows, frames[0].Cols)
	// Output: 4 frames [60, 2]
}

func TestUMAPDegenerateInputs(t *testing.T) {
	// Identical rows, the minimum number of points, and a dataset with two exact duplicates groups:
	// finite layouts, no panic.
	same := NewMatrix(30, 4)
	for i := range same.Data {
		same.Data[i] = 1
	}
	small, _ := umapBlobs(16, 3, 2, 5)
	dup, _ := umapBlobs(60, 3, 2, 6)
	for i := 30; i < 60; i++ {
		copy(dup.Row(i), dup.Row(i%2))
	}
	for name, x := range map[string]*Matrix{"identical": same, "n = n_neighbors+1": small, "duplicates": dup} {
		for _, m := range []Metric{Euclidean, Cosine} {
			y, err := UMAP(x, &UMAPOptions{Metric: m, NEpochs: 30})
			if err != nil {
				t.Errorf("%s, %s: %v", name, m, err)
				continue
			}
			if err := y.Validate(); err != nil {
				t.Errorf("%s, %s: %v", name, m, err)
			}
		}
	}
	// M-PHATE: a single snapshot, and constant snapshots.
	for name, seq := range map[string][]*Matrix{"T=1": {dup}, "constant": {same, same, same}} {
		for _, mode := range []string{"samples", "units"} {
			fr, err := MPHATE(seq, &MPHATEOptions{Mode: mode, KNN: 2})
			if err != nil {
				t.Errorf("MPHATE %s %s: %v", name, mode, err)
				continue
			}
			for _, f := range fr {
				if err := f.Validate(); err != nil {
					t.Errorf("MPHATE %s %s: %v", name, mode, err)
				}
			}
		}
	}
}

func TestOptimizeLayoutStaged(t *testing.T) {
	// The staged API: kNN -> FuzzySimplicialSet -> SpectralLayout -> OptimizeLayout.
	x, labels := umapBlobs(240, 6, 3, 8)
	_, g := umapGraph(t, x, 14)
	emb := NewMatrix(240, 2)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range emb.Data {
		emb.Data[i] = float32(rng.Float64() * 10)
	}
	before := mphateSilhouette(emb, labels)
	a, b := FitAB(1, 0.1)
	if err := OptimizeLayout(emb, g, &LayoutOptions{A: a, B: b, NEpochs: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	after := mphateSilhouette(emb, labels)
	if err := emb.Validate(); err != nil || after < 0.7 || after < before+0.5 {
		t.Errorf("OptimizeLayout from a random layout: silhouette %.3f -> %.3f (%v), want >= 0.7", before, after, err)
	}
	if err := OptimizeLayout(NewMatrix(10, 2), g, nil); err == nil || !strings.Contains(err.Error(), "graph has 240 vertices, embedding has 10 rows") {
		t.Errorf("mismatched graph: %v", err)
	}
}

// knnRecall is the share of exact's k neighbours of each point ([n, k] lists) that nb lists too.
func knnRecall(exact, nb *Neighbors, k int) float64 {
	hits := 0
	for i := 0; i < nb.N; i++ {
		set := map[int32]bool{}
		for _, j := range exact.Index[i*k : (i+1)*k] {
			set[j] = true
		}
		for _, j := range nb.Index[i*k : (i+1)*k] {
			if set[j] {
				hits++
			}
		}
	}
	return float64(hits) / float64(nb.N*k)
}
