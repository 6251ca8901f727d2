package reduce

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
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
	s, err := ScoreClusters(x, labels, 3, &ScoreOptions{Scale: ScaleNone, Of: OfClasses, Seed: 1})
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
	r, err := ScoreClusters(x, rl, 3, &ScoreOptions{Scale: ScaleNone, Metric: Cosine, Of: OfClasses, Seed: 1})
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
	if _, err := ScoreClusters(x, labels, 3, &ScoreOptions{Scale: "l2"}); err == nil || !strings.Contains(err.Error(), `"unit"`) {
		t.Errorf("unknown Scale: got %v", err)
	}
	if _, err := ScoreClusters(x, labels, 3, &ScoreOptions{Of: "labels"}); err == nil || !strings.Contains(err.Error(), `"classes"`) {
		t.Errorf("unknown Of: got %v", err)
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
// layer. By default (seed 002) the rows are scaled to unit length first, so the points are grouped
// by direction, not by length; ScaleNone scores them as given.
func ExampleScoreClusters() {
	// Two directions, each at three lengths.
	x := MatrixFrom(6, 2, []float32{1, 0.1, 2, 0, 3, 0.3, 0.1, 1, 0, 2, 0.2, 3})
	labels := []int32{1, 1, 1, 0, 0, 0}
	s, _ := ScoreClusters(x, labels, 2, nil)
	fmt.Printf("seed 002: silhouette %.2f, ARI %.2f, clusters %v, purity %v\n", s.Silhouette, s.ARI, s.Clusters, s.Purity)
	r, _ := ScoreClusters(x, labels, 2, &ScoreOptions{Scale: ScaleNone, Of: OfClasses})
	fmt.Printf("raw rows, silhouette of the classes: %.2f, ARI %.2f\n", r.Silhouette, r.ARI)
	// Output:
	// seed 002: silhouette 0.95, ARI 1.00, clusters [1 1 1 0 0 0], purity [1 1]
	// raw rows, silhouette of the classes: 0.50, ARI 1.00
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

// seedActivations are fixed small inputs shaped like seed 002's activations: n rows of d
// non-negative values (post-ReLU) in k classes, each class a direction with rows of varying
// length (so that unit scaling matters) plus noise, and one all-zero row.
func seedActivations(n, d, k int, noise float64) (*Matrix, []int32) {
	rng := rand.New(rand.NewPCG(17, 2))
	dirs := make([][]float64, k)
	for c := range dirs {
		dirs[c] = make([]float64, d)
		for j := range dirs[c] {
			dirs[c][j] = math.Max(0, rng.NormFloat64())
		}
	}
	x := NewMatrix(n, d)
	labels := make([]int32, n)
	for i := 0; i < n; i++ {
		c := i % k
		labels[i] = int32(c)
		if i == n-1 {
			continue // a dead unit pattern: the zero row
		}
		scale := 0.5 + 3*rng.Float64()
		for j := 0; j < d; j++ {
			x.Set(i, j, float32(scale*math.Max(0, dirs[c][j]+noise*rng.NormFloat64())))
		}
	}
	return x, labels
}

// TestScoreClustersSeed002VsSklearn checks that the default scores are seed 002's: on the same
// activations, the silhouette equals scikit-learn's silhouette_score(acts_norm, clusters) and the
// ARI adjusted_rand_score(labels, clusters) for our k-means clusters, and both equal the seed's
// recipe end to end (sklearn's own KMeans(n_init=10)) where the clusters are clear enough that both
// k-means find the same partition. The named options give sklearn's cosine silhouette and the
// silhouette of the classes on the raw rows.
func TestScoreClustersSeed002VsSklearn(t *testing.T) {
	py := testutil.Python(t, "sklearn", "numpy")
	for _, tc := range []struct {
		name     string
		noise    float64
		samePart bool // both k-means find the same partition
		n, d, k  int
	}{
		{"clear", 0.3, true, 240, 40, 4},
		{"overlapping", 1.5, false, 300, 60, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, labels := seedActivations(tc.n, tc.d, tc.k, tc.noise)
			s, err := ScoreClusters(x, labels, tc.k, &ScoreOptions{Seed: 17})
			if err != nil {
				t.Fatal(err)
			}
			cos, err := ScoreClusters(x, labels, tc.k, &ScoreOptions{Seed: 17, Metric: Cosine})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := ScoreClusters(x, labels, tc.k, &ScoreOptions{Seed: 17, Scale: ScaleNone, Of: OfClasses})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			cmd := exec.Command(py, "testdata/seed002.py", anNpy(t, dir, "x", x), anNpyLabels(t, dir, "labels", labels),
				anNpyLabels(t, dir, "ours", s.Clusters), fmt.Sprint(tc.k), "17")
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("seed002.py: %v", err)
			}
			var ref map[string]float64
			if err := json.Unmarshal(out, &ref); err != nil {
				t.Fatalf("seed002.py output %q: %v", out, err)
			}
			// The cosine run clusters on its own; score its clusters as sklearn would.
			cosRef := ref["ours_silhouette_cosine"]
			if !reflect.DeepEqual(cos.Clusters, s.Clusters) {
				cosRef = math.NaN()
			}
			t.Logf("silhouette %.8f (sklearn %.8f), ARI %.8f (sklearn %.8f); seed recipe: silhouette %.8f, ARI %.8f, partition ARI %.4f",
				s.Silhouette, ref["ours_silhouette"], s.ARI, ref["ours_ari"], ref["seed_silhouette"], ref["seed_ari"], ref["partition_ari"])
			checks := []struct {
				name      string
				got, want float64
				tol       float64
			}{
				{"silhouette of the k-means clusters on unit rows", s.Silhouette, ref["ours_silhouette"], 1e-6},
				{"ARI(k-means, classes)", s.ARI, ref["ours_ari"], 1e-12},
				{"silhouette of the classes on raw rows (ScaleNone, OfClasses)", raw.Silhouette, ref["raw_silhouette_classes"], 1e-6},
			}
			if !math.IsNaN(cosRef) {
				checks = append(checks, struct {
					name      string
					got, want float64
					tol       float64
				}{"cosine silhouette (Metric Cosine; sklearn's cosine distances of float32 rows are float32)", cos.Silhouette, cosRef, 3e-4})
			}
			if tc.samePart {
				if ref["partition_ari"] != 1 {
					t.Fatalf("sklearn's k-means found another partition (ARI between them %.4f)", ref["partition_ari"])
				}
				checks = append(checks, []struct {
					name      string
					got, want float64
					tol       float64
				}{
					{"silhouette = the seed's recipe", s.Silhouette, ref["seed_silhouette"], 1e-6},
					{"ARI = the seed's recipe", s.ARI, ref["seed_ari"], 1e-12},
				}...)
			}
			for _, c := range checks {
				if math.Abs(c.got-c.want) > c.tol {
					t.Errorf("%s = %.10f, sklearn %.10f", c.name, c.got, c.want)
				}
			}
		})
	}
}
