package vizlib_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
	"github.com/embviz/embviz/vizlib"
)

// blobsRun writes a finished run on the blobs data set: n evaluation points (the first n of the
// test split, 10 classes) whose embedding [n, 8] and layer "fc1" [n, 12] separate the classes more
// at every one of snaps snapshots.
func blobsRun(t testing.TB, n, snaps int) *training.Run {
	t.Helper()
	ds, err := datasets.Load("blobs", "")
	if err != nil {
		t.Fatal(err)
	}
	index := make([]int32, n)
	for i := range index {
		index[i] = int32((i * 7) % ds.Test.N)
	}
	labels := ds.Test.GatherLabels(index, nil)
	run, err := training.CreateRun(t.TempDir(), training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: 8,
		ClassNames: ds.ClassNames, Steps: 10 * snaps, BatchSize: 32, Layers: []string{"fc1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, n*12)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	for s := 0; s < snaps; s++ {
		a := 6 * float32(s) / float32(max(1, snaps-1))
		emb, fc1 := reduce.NewMatrix(n, 8), reduce.NewMatrix(n, 12)
		preds := make([]int32, n)
		for i := 0; i < n; i++ {
			l := int(labels[i])
			for j := 0; j < 12; j++ {
				v := noise[i*12+j]
				if j == l {
					v += a
				}
				fc1.Set(i, j, v)
				if j < 8 {
					w := noise[i*12+j]
					if j == l%8 {
						w += a
					}
					if j == (l+3)%8 && l >= 8 {
						w += a
					}
					emb.Set(i, j, w)
				}
			}
			preds[i] = labels[i]
		}
		if _, err := run.AppendSnapshot(10*s, float64(s), emb, preds, map[string]*reduce.Matrix{"fc1": fc1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0.9); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestScoreClusters(t *testing.T) {
	// Three well separated classes, labels shuffled with respect to the cluster order.
	n := 60
	x := reduce.NewMatrix(n, 2)
	labels := make([]int32, n)
	rng := rand.New(rand.NewPCG(3, 4))
	centers := [][2]float32{{0, 0}, {10, 0}, {0, 10}}
	for i := 0; i < n; i++ {
		l := i % 3
		labels[i] = int32(l)
		x.Set(i, 0, centers[l][0]+float32(rng.NormFloat64())*0.3)
		x.Set(i, 1, centers[l][1]+float32(rng.NormFloat64())*0.3)
	}
	s, err := vizlib.ScoreClusters(x, labels, 3, reduce.Euclidean, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dim != 2 || s.Silhouette < 0.8 || s.ARI != 1 {
		t.Errorf("separated classes: dim %d silhouette %.3f ARI %.3f; want 2, > 0.8, 1", s.Dim, s.Silhouette, s.ARI)
	}
	// Matched clusters equal the classes and are pure.
	for i, c := range s.Clusters {
		if c != labels[i] {
			t.Fatalf("cluster of point %d is %d, its class %d: clusters not matched to classes", i, c, labels[i])
		}
	}
	for j, p := range s.Purity {
		if p != 1 {
			t.Errorf("purity of cluster %d = %v, want 1", j, p)
		}
	}
	// Random labels: ARI about 0, silhouette negative or about 0.
	rl := make([]int32, n)
	for i := range rl {
		rl[i] = int32(rng.IntN(3))
	}
	r, err := vizlib.ScoreClusters(x, rl, 3, reduce.Cosine, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.ARI) > 0.15 || r.Silhouette > 0.1 {
		t.Errorf("random labels: silhouette %.3f ARI %.3f; want about 0", r.Silhouette, r.ARI)
	}
	if _, err := vizlib.ScoreClusters(x, labels[:5], 3, reduce.Euclidean, 1); err == nil {
		t.Error("wrong number of labels: no error")
	}
}

var kindRE = regexp.MustCompile(`"kind":"([a-z]+)"`)

func kinds(h string) map[string]int {
	k := map[string]int{}
	for _, m := range kindRE.FindAllStringSubmatch(h, -1) {
		k[m[1]]++
	}
	return k
}

func TestClusterViewAndSummary(t *testing.T) {
	run := blobsRun(t, 120, 4)
	for _, layer := range []string{vizlib.PixelsLayer, "fc1", vizlib.EmbeddingLayer} {
		h, err := vizlib.ClusterView(run, layer, vizlib.Metric("cosine"), vizlib.NoDisplay())
		if err != nil {
			t.Fatalf("ClusterView(%s): %v", layer, err)
		}
		if k := kinds(h); k["grid"] != 0 || k["player"] != 2 {
			t.Errorf("ClusterView(%s): kinds %v, want 2 static players", layer, k)
		}
		if !strings.Contains(h, "silhouette") || !strings.Contains(h, "≈ ") {
			t.Errorf("ClusterView(%s): no scores or cluster names", layer)
		}
	}
	if _, err := vizlib.ClusterView(run, "fc1", vizlib.Snapshot(0), vizlib.NoDisplay()); err != nil {
		t.Fatal(err)
	}
	if _, err := vizlib.ClusterView(run, "nope", vizlib.NoDisplay()); err == nil {
		t.Error("unknown layer: no error")
	}

	h, err := vizlib.ClusterSummary(run, []string{vizlib.PixelsLayer, "fc1", vizlib.EmbeddingLayer}, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, `class="embviz-table"`) || strings.Count(h, "<tr>") != 3 {
		t.Fatalf("summary: want a table with 3 rows:\n%s", h)
	}
	// At the last snapshot fc1 separates the 10 blob classes perfectly on one axis each: its ARI
	// (the 4th cell of its row) is high. The blobs' raw inputs are well separated too.
	row := regexp.MustCompile(`<td[^>]*>fc1</td><td[^>]*>12</td><td[^>]*>([-0-9.]+)</td><td[^>]*>([-0-9.]+)</td>`).FindStringSubmatch(h)
	if row == nil {
		t.Fatalf("no fc1 row with 12 features:\n%s", h)
	}
	if ari, err := strconv.ParseFloat(row[2], 64); err != nil || ari < 0.8 {
		t.Errorf("fc1 ARI = %s, want > 0.8", row[2])
	}
	if _, err := vizlib.ClusterSummary(run, nil, vizlib.NoDisplay()); err == nil {
		t.Error("no layers: no error")
	}
}

func TestLayerTSNEGrid(t *testing.T) {
	run := blobsRun(t, 100, 4)
	var reports int
	h, err := vizlib.LayerTSNEGrid(run, []string{"fc1", vizlib.EmbeddingLayer}, []int{0, 2, -1}, vizlib.NoDisplay(),
		vizlib.WithProgress(func(done, total int, stage string) { reports++ }))
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(h); k["player"] != 1 {
		t.Errorf("kinds %v, want one static player", k)
	}
	for _, want := range []string{"layers × snapshots (t-SNE)", "fc1 · epoch 0.00 · ARI", "embedding · epoch 3.00 · ARI"} {
		if !strings.Contains(h, want) {
			t.Errorf("no %q in the grid", want)
		}
	}
	if reports != 6 {
		t.Errorf("%d progress reports, want 6", reports)
	}
	if _, err := vizlib.LayerTSNEGrid(run, []string{"fc1"}, []int{9}, vizlib.NoDisplay()); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("snapshot out of range: got %v", err)
	}
	if _, err := vizlib.LayerTSNEGrid(run, nil, []int{0}, vizlib.NoDisplay()); err == nil {
		t.Error("no layers: no error")
	}
}

// Score how well k-means recovers two labelled groups, as ClusterSummary does for every layer.
func ExampleScoreClusters() {
	x := reduce.MatrixFrom(6, 2, []float32{0, 0, 0, 1, 1, 0, 9, 9, 9, 10, 10, 9})
	labels := []int32{1, 1, 1, 0, 0, 0}
	s, _ := vizlib.ScoreClusters(x, labels, 2, reduce.Euclidean, 0)
	fmt.Printf("silhouette %.2f, ARI %.2f, clusters %v, purity %v\n", s.Silhouette, s.ARI, s.Clusters, s.Purity)
	// Output: silhouette 0.91, ARI 1.00, clusters [1 1 1 0 0 0], purity [1 1]
}
