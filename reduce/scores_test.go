package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestScoreClusters(t *testing.T) {
	// Three well separated classes, labels shuffled with respect to the cluster order.
	n := 60
	x := NewMatrix(n, 2)
	labels := make([]int32, n)
	rng := rand.New(rand.NewPCG(3, 4))
	centers := [][2]float32{{0, 0}, {10, 0}, {0, 10}}
	for i := 0; i < n; i++ {
		l := i % 3
		labels[i] = int32(l)
		x.Set(i, 0, centers[l][0]+float32(rng.NormFloat64())*0.3)
		x.Set(i, 1, centers[l][1]+float32(rng.NormFloat64())*0.3)
	}
	s, err := ScoreClusters(x, labels, 3, &ScoreOptions{Seed: 1})
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
	// nil options are the zero options.
	z, err := ScoreClusters(x, labels, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if z0, _ := ScoreClusters(x, labels, 3, &ScoreOptions{}); z.ARI != z0.ARI || z.Silhouette != z0.Silhouette {
		t.Errorf("nil options %+v differ from zero options %+v", z, z0)
	}
	// Random labels: ARI about 0, silhouette negative or about 0.
	rl := make([]int32, n)
	for i := range rl {
		rl[i] = int32(rng.IntN(3))
	}
	r, err := ScoreClusters(x, rl, 3, &ScoreOptions{Metric: Cosine, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.ARI) > 0.15 || r.Silhouette > 0.1 {
		t.Errorf("random labels: silhouette %.3f ARI %.3f; want about 0", r.Silhouette, r.ARI)
	}
	if _, err := ScoreClusters(x, labels[:5], 3, nil); err == nil {
		t.Error("wrong number of labels: no error")
	}
	neg := append([]int32(nil), labels...)
	neg[7] = -1
	if _, err := ScoreClusters(x, neg, 3, nil); err == nil || !strings.Contains(err.Error(), "point 7") {
		t.Errorf("negative label: got %v", err)
	}
	if _, err := ScoreClusters(x, labels, 3, &ScoreOptions{Restarts: -1}); err == nil {
		t.Error("negative Restarts: no error")
	}
}

func TestMatchClusters(t *testing.T) {
	// Cluster 0 is mostly class 2, cluster 1 all class 0, cluster 2 mostly class 3; class 1 has
	// no cluster.
	clusters := []int32{0, 0, 0, 1, 1, 2, 2, 2, 0}
	labels := []int32{2, 2, 2, 0, 0, 2, 3, 3, 1}
	m, err := MatchClusters(clusters, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	out, purity := m.Clusters, m.Purity
	// Greedy by overlap: (c0, l2, 3) first, then (c1, l0, 2) and (c2, l3, 2); none left over.
	want := []int32{2, 2, 2, 0, 0, 3, 3, 3, 2}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("matched clusters %v, want %v", out, want)
	}
	if len(purity) != 4 || purity[0] != 1 || !math.IsNaN(purity[1]) || purity[2] != 0.75 || math.Abs(purity[3]-2.0/3) > 1e-12 {
		t.Errorf("purity %v, want [1 NaN 0.75 0.667]", purity)
	}
	// More clusters than classes: the clusters left over take the free numbers in order.
	m, err = MatchClusters([]int32{0, 1, 2}, []int32{1, 1, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	out, purity = m.Clusters, m.Purity
	if !reflect.DeepEqual(out, []int32{1, 0, 2}) || purity[1] != 1 || purity[0] != 0 || purity[2] != 0 {
		t.Errorf("more clusters than classes: %v %v", out, purity)
	}
}

func TestDisplacements(t *testing.T) {
	// A square of 4 points, then the same square rotated by 90 degrees and scaled by 10: after
	// normalization every point moved to its neighbour's place.
	a := MatrixFrom(4, 2, []float32{1, 0, 0, 1, -1, 0, 0, -1})
	b := MatrixFrom(4, 2, []float32{0, 10, -10, 0, 0, -10, 10, 0})
	c := b.Clone()
	d, err := Displacements([]*Matrix{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	// Normalized (std 1/sqrt(2) per coordinate), radius 1 becomes sqrt(2): neighbours are 2 apart.
	if len(d) != 2 || math.Abs(d[0]-2) > 1e-5 || d[1] != 0 {
		t.Errorf("Displacements = %v, want [2 0]", d)
	}
	// Extra columns are ignored.
	wide := MatrixFrom(4, 3, []float32{1, 0, 5, 0, 1, 6, -1, 0, 7, 0, -1, 8})
	if d, err := Displacements([]*Matrix{a, wide}); err != nil || d[0] > 1e-6 {
		t.Errorf("third column not ignored: %v %v", d, err)
	}
	if _, err := Displacements([]*Matrix{a}); err == nil {
		t.Error("one frame: no error")
	}
	if _, err := Displacements([]*Matrix{a, NewMatrix(3, 2)}); err == nil || !strings.Contains(err.Error(), "frame 1") {
		t.Errorf("differing shapes: got %v", err)
	}
	if _, err := Displacements([]*Matrix{a, NewMatrix(4, 1)}); err == nil || !strings.Contains(err.Error(), "frame 1") {
		t.Errorf("one column: got %v", err)
	}
	nan := a.Clone()
	nan.Data[3] = float32(math.NaN())
	if _, err := Displacements([]*Matrix{a, nan}); err == nil || !strings.Contains(err.Error(), "frame 1") {
		t.Errorf("NaN: got %v", err)
	}
	if _, err := Displacements([]*Matrix{a, nil}); err == nil {
		t.Error("nil frame: no error")
	}
}

// Score how well k-means recovers two labelled groups, as vizlib's ClusterSummary does for every
// layer.
func ExampleScoreClusters() {
	x := MatrixFrom(6, 2, []float32{0, 0, 0, 1, 1, 0, 9, 9, 9, 10, 10, 9})
	labels := []int32{1, 1, 1, 0, 0, 0}
	s, _ := ScoreClusters(x, labels, 2, nil)
	fmt.Printf("silhouette %.2f, ARI %.2f, clusters %v, purity %v\n", s.Silhouette, s.ARI, s.Clusters, s.Purity)
	// Output: silhouette 0.91, ARI 1.00, clusters [1 1 1 0 0 0], purity [1 1]
}

// Displacements measures motion after normalizing every frame: a layout that only grows has not
// moved.
func ExampleDisplacements() {
	a := MatrixFrom(3, 2, []float32{0, 0, 1, 0, 0, 1})
	b := MatrixFrom(3, 2, []float32{0, 0, 2, 0, 0, 2}) // a, twice as large
	c := MatrixFrom(3, 2, []float32{0, 0, 0, 2, 2, 0}) // b with two points swapped
	d, _ := Displacements([]*Matrix{a, b, c})
	fmt.Printf("%.3f %.3f\n", d[0], d[1])
	// Output: 0.000 2.000
}
