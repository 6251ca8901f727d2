package reduce

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestClusterFashionMNISTvsSklearn(t *testing.T) {
	x, labels := anFashion(t, 1000)
	res, err := KMeans(x, 10, &KMeansOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	silE, err := Silhouette(x, res.Assignments, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	silC, err := Silhouette(x, res.Assignments, Cosine)
	if err != nil {
		t.Fatal(err)
	}
	silL, err := Silhouette(x, labels, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	ari, err := AdjustedRandIndex(labels, res.Assignments)
	if err != nil {
		t.Fatal(err)
	}
	// Hand-made labelings with arbitrary values (negative, gaps) for the ARI as well.
	ha := []int32{0, 0, 1, 1, 2, 2, 2, 5, 5, -1}
	hb := []int32{1, 1, 0, 0, 3, 3, 2, 2, 2, 2}
	hari, _ := AdjustedRandIndex(ha, hb)
	dir := t.TempDir()
	xp, ap, lp := anNpy(t, dir, "x", x), anNpyLabels(t, dir, "a", res.Assignments), anNpyLabels(t, dir, "l", labels)
	hap, hbp := anNpyLabels(t, dir, "ha", ha), anNpyLabels(t, dir, "hb", hb)
	var ref struct{ Results []map[string]float64 }
	anReference(t, map[string]any{"op": "batch", "ops": []map[string]any{
		{"op": "kmeans", "x": xp, "k": 10, "seed": 0},
		{"op": "silhouette", "x": xp, "labels": ap, "metric": "euclidean"},
		{"op": "silhouette", "x": xp, "labels": ap, "metric": "cosine"},
		{"op": "silhouette", "x": xp, "labels": lp, "metric": "euclidean"},
		{"op": "ari", "a": lp, "b": ap},
		{"op": "ari", "a": hap, "b": hbp},
	}}, &ref)
	r := ref.Results
	t.Logf("inertia %.6g (sklearn %.6g, %+.3f%%), silhouette %.6f (%+.1e), cosine %.6f (%+.1e), of labels %.6f (%+.1e), ARI %.10f (%+.1e)",
		res.Inertia, r[0]["inertia"], 100*(res.Inertia/r[0]["inertia"]-1), silE, silE-r[1]["silhouette"], silC, silC-r[2]["silhouette"],
		silL, silL-r[3]["silhouette"], ari, ari-r[4]["ari"])
	if rel := math.Abs(res.Inertia/r[0]["inertia"] - 1); rel > 0.02 {
		t.Errorf("inertia %.6g vs sklearn %.6g: %.2f%% apart", res.Inertia, r[0]["inertia"], 100*rel)
	}
	for _, c := range []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{"silhouette euclidean", silE, r[1]["silhouette"], 1e-4},
		{"silhouette cosine", silC, r[2]["silhouette"], 1e-4},
		{"silhouette of labels", silL, r[3]["silhouette"], 1e-4},
		{"ARI", ari, r[4]["ari"], 1e-9},
		{"ARI of hand-made labelings", hari, r[5]["ari"], 1e-12},
	} {
		if math.Abs(c.got-c.want) > c.tol {
			t.Errorf("%s = %.10f, sklearn %.10f", c.name, c.got, c.want)
		}
	}
}

func TestKMeansBlobs(t *testing.T) {
	x, labels := anBlobs(600, 5, 4, 0.5, 3)
	res, err := KMeans(x, 4, &KMeansOptions{Seed: 7, Restarts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ari, _ := AdjustedRandIndex(labels, res.Assignments); ari != 1 {
		t.Fatalf("well separated blobs: ARI %v, want 1", ari)
	}
	again, _ := KMeans(x, 4, &KMeansOptions{Seed: 7, Restarts: 3})
	if again.Inertia != res.Inertia {
		t.Fatalf("same seed, different inertia %v vs %v", again.Inertia, res.Inertia)
	}
	if res.Centers.Rows != 4 || res.Centers.Cols != 5 || len(res.Assignments) != 600 {
		t.Fatalf("shapes: centers [%d, %d], %d assignments", res.Centers.Rows, res.Centers.Cols, len(res.Assignments))
	}
	// k = n: every point its own cluster, inertia 0.
	small := anRandom(5, 2, 1)
	one, err := KMeans(small, 5, nil)
	if err != nil || one.Inertia > 1e-9 {
		t.Fatalf("k = n: %v, inertia %v", err, one.Inertia)
	}
	// Duplicate points (fewer distinct points than k) still give k non-empty clusters.
	dup := NewMatrix(10, 2)
	for i := 5; i < 10; i++ {
		dup.Set(i, 0, 1)
	}
	res, err = KMeans(dup, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inertia > 1e-9 {
		t.Fatalf("inertia %v for two distinct points and k=3", res.Inertia)
	}
	calls := 0
	if _, err := KMeans(x, 2, &KMeansOptions{Restarts: 4, Metric: Cosine, Progress: func(d, tot int, s string) { calls++ }}); err != nil || calls != 4 {
		t.Fatalf("cosine k-means: %v, %d progress calls", err, calls)
	}
}

func TestClusterErrors(t *testing.T) {
	x := anRandom(10, 2, 1)
	if _, err := KMeans(x, 11, nil); err == nil || !strings.Contains(err.Error(), "k = 11") {
		t.Errorf("k > n: %v", err)
	}
	if _, err := Silhouette(x, make([]int32, 10), Euclidean); err == nil || !strings.Contains(err.Error(), "1 distinct labels") {
		t.Errorf("one cluster: %v", err)
	}
	if _, err := Silhouette(x, make([]int32, 9), Euclidean); err == nil || !strings.Contains(err.Error(), "9 labels for 10 rows") {
		t.Errorf("label count: %v", err)
	}
	if _, err := AdjustedRandIndex([]int32{1, 2}, []int32{1}); err == nil {
		t.Error("ARI length mismatch accepted")
	}
}

func TestAdjustedRandIndexProperties(t *testing.T) {
	a := []int32{0, 0, 1, 1, 2, 2, 2, 5, 5, -1}
	if v, _ := AdjustedRandIndex(a, a); v != 1 {
		t.Fatalf("ARI(a, a) = %v", v)
	}
	// Every point in its own cluster against one cluster: ARI 0.
	one := make([]int32, 10)
	each := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if v, _ := AdjustedRandIndex(one, each); v != 0 {
		t.Fatalf("ARI(one, singletons) = %v", v)
	}
}

func ExampleKMeans() {
	// Two obvious groups on a line.
	x := MatrixFrom(6, 1, []float32{0, 0.1, 0.2, 10, 10.1, 10.2})
	res, err := KMeans(x, 2, &KMeansOptions{Seed: 1})
	if err != nil {
		panic(err)
	}
	sil, _ := Silhouette(x, res.Assignments, Euclidean)
	fmt.Printf("same cluster: %v %v, inertia %.3f, silhouette %.3f\n",
		res.Assignments[0] == res.Assignments[2], res.Assignments[3] == res.Assignments[5], res.Inertia, sil)
	// Output: same cluster: true true, inertia 0.040, silhouette 0.987
}

func ExampleAdjustedRandIndex() {
	truth := []int32{0, 0, 0, 1, 1, 1}
	pred := []int32{5, 5, 5, 7, 7, 7} // same partition, other names
	ari, _ := AdjustedRandIndex(truth, pred)
	fmt.Println(ari)
	// Output: 1
}

// TestSilhouetteMatchesDefinition checks the blocked computation against the definition, computed
// pair by pair in float64, with more rows than one column chunk.
func TestSilhouetteMatchesDefinition(t *testing.T) {
	x, _ := anBlobs(700, 6, 3, 4, 2)
	labels := make([]int32, 700)
	for i := range labels {
		labels[i] = int32(i*7%5) - 2 // 5 clusters, negative ids
	}
	labels[3] = 99 // a singleton cluster: s = 0
	for _, metric := range []Metric{Euclidean, Cosine} {
		got, err := SilhouetteSamples(x, labels, metric)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 3, 511, 512, 699} {
			sums := map[int32]float64{}
			counts := map[int32]int{}
			for j := 0; j < 700; j++ {
				counts[labels[j]]++
				if j != i {
					sums[labels[j]] += exactDistance(x, i, j, metric)
				}
			}
			want := 0.0
			if counts[labels[i]] > 1 {
				a := sums[labels[i]] / float64(counts[labels[i]]-1)
				b := math.Inf(1)
				for c, s := range sums {
					if c != labels[i] {
						b = math.Min(b, s/float64(counts[c]))
					}
				}
				want = (b - a) / math.Max(a, b)
			}
			if math.Abs(got[i]-want) > 1e-9 {
				t.Errorf("%s: s[%d] = %v, definition %v", metric, i, got[i], want)
			}
		}
	}
}
