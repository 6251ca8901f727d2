package reduce

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type pcaRef struct {
	Eigenvalues, Ratio, Components, Projection []float64
}

func comparePCAWithSklearn(t *testing.T, name string, x *Matrix, k int, ref pcaRef) {
	t.Helper()
	m, err := PCA(x, k)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for c := 0; c < k; c++ {
		rel := math.Abs(m.Eigenvalues[c]-ref.Eigenvalues[c]) / ref.Eigenvalues[c]
		worst = max(worst, rel)
		if rel > 1e-4 {
			t.Errorf("%s: eigenvalue %d = %.8g, sklearn %.8g (relative error %.2g)", name, c, m.Eigenvalues[c], ref.Eigenvalues[c], rel)
		}
		if rel := math.Abs(m.ExplainedVarianceRatio[c]-ref.Ratio[c]) / ref.Ratio[c]; rel > 1e-4 {
			t.Errorf("%s: ratio %d = %.8g, sklearn %.8g", name, c, m.ExplainedVarianceRatio[c], ref.Ratio[c])
		}
	}
	t.Logf("%s: top eigenvalue %.6g (sklearn %.6g), worst relative eigenvalue error %.2g", name, m.Eigenvalues[0], ref.Eigenvalues[0], worst)
	// Axes and projections, where the eigenvalue is well separated from its neighbours (else the axis
	// is not determined).
	y, err := m.Transform(x)
	if err != nil {
		t.Fatal(err)
	}
	d := x.Cols
	for c := 0; c < k; c++ {
		gap := math.Inf(1)
		if c > 0 {
			gap = min(gap, ref.Eigenvalues[c-1]-ref.Eigenvalues[c])
		}
		if c+1 < k {
			gap = min(gap, ref.Eigenvalues[c]-ref.Eigenvalues[c+1])
		}
		if gap < 1e-2*ref.Eigenvalues[c] {
			continue
		}
		var maxAxis, maxProj, scale float64
		for j := 0; j < d; j++ {
			maxAxis = max(maxAxis, math.Abs(float64(m.Components.At(c, j))-ref.Components[c*d+j]))
		}
		for i := 0; i < x.Rows; i++ {
			maxProj = max(maxProj, math.Abs(float64(y.At(i, c))-ref.Projection[i*k+c]))
			scale = max(scale, math.Abs(ref.Projection[i*k+c]))
		}
		if maxAxis > 1e-3 || maxProj > 1e-3*scale {
			t.Errorf("%s: component %d: max axis difference %.3g, max projection difference %.3g (scale %.3g)", name, c, maxAxis, maxProj, scale)
		}
	}
}

// TestPCAvsSklearn compares with sklearn.decomposition.PCA(svd_solver="full") on Fashion-MNIST
// (covariance path d <= n and Gram path d > n) and on synthetic data with unequal variances.
func TestPCAvsSklearn(t *testing.T) {
	fm, _ := anFashion(t, 1000)
	gram := MatrixFrom(300, 784, fm.Data[:300*784])
	syn := anRandom(500, 12, 5)
	for i := 0; i < syn.Rows; i++ {
		for j := 0; j < syn.Cols; j++ {
			syn.Data[i*syn.Cols+j] *= float32(1 + 2*j)
		}
	}
	cases := []struct {
		name string
		x    *Matrix
		k    int
	}{{"fashion-mnist 1000x784", fm, 10}, {"fashion-mnist 300x784 (Gram)", gram, 10}, {"synthetic 500x12", syn, 12}}
	dir := t.TempDir()
	var ops []map[string]any
	for i, c := range cases {
		ops = append(ops, map[string]any{"op": "pca", "x": anNpy(t, dir, fmt.Sprint("x", i), c.x), "k": c.k})
	}
	var ref struct{ Results []pcaRef }
	anReference(t, map[string]any{"op": "batch", "ops": ops}, &ref)
	for i, c := range cases {
		comparePCAWithSklearn(t, c.name, c.x, c.k, ref.Results[i])
	}
}

func TestPCAProperties(t *testing.T) {
	x := anRandom(200, 6, 9)
	m, err := PCA(x, 6)
	if err != nil {
		t.Fatal(err)
	}
	// Eigenvalues sum to the total variance; ratios to 1; axes orthonormal.
	var sum, ratio float64
	for c := range m.Eigenvalues {
		sum += m.Eigenvalues[c]
		ratio += m.ExplainedVarianceRatio[c]
		if c > 0 && m.Eigenvalues[c] > m.Eigenvalues[c-1] {
			t.Fatalf("eigenvalues not descending: %v", m.Eigenvalues)
		}
	}
	if math.Abs(sum-m.TotalVariance) > 1e-9*sum || math.Abs(ratio-1) > 1e-9 {
		t.Fatalf("sum %v vs total %v, ratios sum %v", sum, m.TotalVariance, ratio)
	}
	for a := 0; a < 6; a++ {
		for b := 0; b < 6; b++ {
			var dot float64
			for j := 0; j < 6; j++ {
				dot += float64(m.Components.At(a, j)) * float64(m.Components.At(b, j))
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(dot-want) > 1e-5 {
				t.Fatalf("axes %d, %d: dot %v", a, b, dot)
			}
		}
	}
	// Gram path with rank deficiency: n = 3 points in 5 dims have rank 2; k = 3 still gives 3 unit axes.
	y := anRandom(3, 5, 1)
	m, err = PCA(y, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m.Eigenvalues[2] > 1e-9 {
		t.Fatalf("third eigenvalue of 3 points = %v, want 0", m.Eigenvalues[2])
	}
	for c := 0; c < 3; c++ {
		var s float64
		for _, v := range m.Components.Row(c) {
			s += float64(v) * float64(v)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Fatalf("axis %d norm^2 = %v", c, s)
		}
	}
}

func TestPCAErrors(t *testing.T) {
	x := anRandom(10, 4, 1)
	for _, tc := range []struct {
		x    *Matrix
		k    int
		want string
	}{
		{x, 5, "k = 5"},
		{x, 0, "k = 0"},
		{anRandom(1, 4, 1), 1, "at least 2 rows"},
		{&Matrix{Rows: 2, Cols: 2, Data: []float32{1, float32(math.Inf(1)), 0, 0}}, 1, "non-finite"},
	} {
		if _, err := PCA(tc.x, tc.k); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("PCA(k=%d): err = %v, want %q", tc.k, err, tc.want)
		}
	}
	m, _ := PCA(x, 2)
	if _, err := m.Transform(anRandom(3, 5, 1)); err == nil || !strings.Contains(err.Error(), "5 columns") {
		t.Errorf("Transform with wrong columns: %v", err)
	}
}

func TestEigenvalueSeries(t *testing.T) {
	seq := []*Matrix{anRandom(100, 8, 1), anRandom(100, 8, 2), anRandom(100, 8, 3)}
	calls := 0
	s, err := EigenvalueSeries(seq, 3, func(done, total int, stage string) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || len(s[0]) != 3 || calls != 3 {
		t.Fatalf("series shape %d x %d, progress calls %d", len(s), len(s[0]), calls)
	}
	for ti, x := range seq {
		m, _ := PCA(x, 3)
		for c := range 3 {
			if math.Abs(s[ti][c]-m.Eigenvalues[c]) > 1e-9*m.Eigenvalues[c] {
				t.Fatalf("snapshot %d eigenvalue %d: %v vs PCA %v", ti, c, s[ti][c], m.Eigenvalues[c])
			}
		}
	}
	if _, err := EigenvalueSeries([]*Matrix{anRandom(10, 3, 1), anRandom(11, 3, 1)}, 2, nil); err == nil {
		t.Fatal("mismatched rows accepted")
	}
}

func ExamplePCA() {
	// Four points on a line y = 2x, plus a little noise off the line.
	x := MatrixFrom(4, 2, []float32{0, 0.1, 1, 1.9, 2, 4.1, 3, 5.9})
	m, err := PCA(x, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("eigenvalues %.3f, ratio %.4f\n", m.Eigenvalues, m.ExplainedVarianceRatio)
	// Output: eigenvalues [8.078 0.002], ratio [0.9997 0.0003]
}

func TestSymTopEigenMatchesFullDecomposition(t *testing.T) {
	for _, tc := range []struct {
		name string
		m, k int
		spec func(i int) float64 // eigenvalue i of the test matrix
	}{
		{"distinct", 200, 20, func(i int) float64 { return 100 / float64(i+1) }},
		{"clusters", 150, 30, func(i int) float64 { return float64(5 - i/10) }}, // blocks of 10 equal eigenvalues
		{"rank deficient", 120, 25, func(i int) float64 { return max(0, float64(10-i)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A = U diag(spec) U^T with a random orthogonal U.
			q, _ := PCA(anRandom(tc.m+5, tc.m, uint64(tc.m)), tc.m)
			a := mat.NewSymDense(tc.m, nil)
			for i := 0; i < tc.m; i++ {
				for j := i; j < tc.m; j++ {
					var s float64
					for c := 0; c < tc.m; c++ {
						s += float64(q.Components.At(c, i)) * tc.spec(c) * float64(q.Components.At(c, j))
					}
					a.SetSym(i, j, s)
				}
			}
			values, vecs, ok := symTopEigen(a, tc.k, true)
			if !ok {
				t.Fatal("no convergence")
			}
			for c := 0; c < tc.k; c++ {
				if math.Abs(values[c]-tc.spec(c)) > 1e-4*(1+tc.spec(0)) {
					t.Fatalf("eigenvalue %d = %v, want %v", c, values[c], tc.spec(c))
				}
				// Residual ||A v - lambda v|| and orthonormality.
				v := mat.NewVecDense(tc.m, vecs[c*tc.m:(c+1)*tc.m])
				var av mat.VecDense
				av.MulVec(a, v)
				av.AddScaledVec(&av, -values[c], v)
				if r := mat.Norm(&av, 2); r > 1e-4*tc.spec(0) {
					t.Fatalf("vector %d residual %v", c, r)
				}
				for p := 0; p <= c; p++ {
					w := mat.NewVecDense(tc.m, vecs[p*tc.m:(p+1)*tc.m])
					want := 0.0
					if p == c {
						want = 1
					}
					if dot := mat.Dot(v, w); math.Abs(dot-want) > 1e-6 {
						t.Fatalf("vectors %d, %d: dot %v", c, p, dot)
					}
				}
			}
		})
	}
}
