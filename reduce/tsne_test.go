package reduce

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestCheckPerplexity checks the lowering rule: (n-1)/3 (at least 2, never raised) when
// 3*perplexity > n-1, the perplexity itself otherwise.
func TestCheckPerplexity(t *testing.T) {
	for _, c := range []struct {
		perplexity float64
		n          int
		want       float64
		lowered    bool
	}{
		{0, 50, 49.0 / 3, true},
		{0, 91, 30, false},
		{0, 90, 89.0 / 3, true},
		{30, 1000, 30, false},
		{10, 50, 10, false},
		{40, 100, 33, true},
		{30, 4, 2, true},
		{1.5, 3, 1.5, false}, // too high, but below the floor 2: kept
		{-1, 50, -1, false},
	} {
		got, lowered := CheckPerplexity(c.perplexity, c.n)
		if got != c.want || lowered != c.lowered {
			t.Errorf("CheckPerplexity(%v, %d) = %v, %v; want %v, %v", c.perplexity, c.n, got, lowered, c.want, c.lowered)
		}
		if again, l2 := CheckPerplexity(got, c.n); c.perplexity > 0 && (again != got || l2) {
			t.Errorf("CheckPerplexity(%v, %d) is not idempotent: %v then %v", c.perplexity, c.n, got, again)
		}
	}
}

// TestTSNELowersPerplexity checks that t-SNE of 50 points with the default perplexity lowers it to
// 49/3, warns exactly once (TSNE, and TSNEFrames over 5 frames), and gives a finite embedding; and
// that a perplexity that fits is used unchanged, without a warning.
func TestTSNELowersPerplexity(t *testing.T) {
	x, _ := tsneBlobs(50, 5, 3, 1, 4)
	var warnings []string
	opts := &TSNEOptions{Iters: 200, Seed: 1, Warn: func(msg string) { warnings = append(warnings, msg) }}
	y, err := TSNE(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if y.Rows != 50 || y.Cols != 2 || y.Validate() != nil {
		t.Fatalf("embedding [%d, %d], valid: %v", y.Rows, y.Cols, y.Validate())
	}
	want := "reduce: perplexity 30 is too high for 50 points (needs n-1 >= 3*perplexity); using 16.33"
	if len(warnings) != 1 || warnings[0] != want {
		t.Fatalf("TSNE warnings %q, want exactly [%q]", warnings, want)
	}
	aff, err := TSNEAffinities(x, opts)
	if err != nil || aff.Perplexity != 49.0/3 {
		t.Fatalf("affinities perplexity %v (%v), want 49/3", aff.Perplexity, err)
	}
	// The same run with the lowered perplexity given explicitly: identical, no warning.
	warnings = nil
	explicit := *opts
	explicit.Perplexity = 49.0 / 3
	y2, err := TSNE(x, &explicit)
	if err != nil {
		t.Fatal(err)
	}
	for i := range y.Data {
		if y.Data[i] != y2.Data[i] {
			t.Fatalf("lowered default and explicit 49/3 differ at %d: %v vs %v", i, y.Data[i], y2.Data[i])
		}
	}
	if len(warnings) != 0 {
		t.Errorf("a perplexity that fits warned: %q", warnings)
	}
	// A perplexity that fits is not changed.
	aff, err = TSNEAffinities(x, &TSNEOptions{Perplexity: 10, Warn: opts.Warn})
	if err != nil || aff.Perplexity != 10 || len(warnings) != 0 {
		t.Errorf("perplexity 10 for 50 points: got %v (%v), warnings %q", aff.Perplexity, err, warnings)
	}
	// Tiny inputs run with perplexity 2.
	for _, n := range []int{2, 4, 7} {
		tiny, _ := tsneBlobs(n, 3, 1, 1, 5)
		yt, err := TSNE(tiny, &TSNEOptions{Iters: 50, Warn: func(string) {}})
		if err != nil || yt.Validate() != nil {
			t.Errorf("t-SNE of %d points: %v", n, err)
		}
	}
	// TSNEFrames: one warning for the whole sequence.
	seq := tsneDriftSequence(5, 50, 4, 3, 2)
	frames, err := TSNEFrames(seq, &TSNEAnimOptions{TSNE: *opts, FrameIters: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 5 || len(warnings) != 1 || warnings[0] != want {
		t.Errorf("TSNEFrames: %d frames, warnings %q; want 5 frames and exactly [%q]", len(frames), warnings, want)
	}
}

func TestTSNEBadInput(t *testing.T) {
	x, _ := tsneBlobs(100, 5, 3, 1, 1)
	nan := x.Clone()
	nan.Data[7] = float32(math.NaN())
	cases := []struct {
		name string
		x    *Matrix
		opts *TSNEOptions
		want string
	}{
		{"nil", nil, nil, "nil matrix"},
		{"nan", nan, nil, "non-finite"},
		{"one point", NewMatrix(1, 2), nil, "needs at least 2 points, have 1"},
		{"method", x, &TSNEOptions{Perplexity: 5, Method: "fast"}, "unknown t-SNE method"},
		{"init", x, &TSNEOptions{Perplexity: 5, Init: "spectral"}, "unknown t-SNE init"},
		{"layout shape", x, &TSNEOptions{Perplexity: 5, InitLayout: NewMatrix(99, 2)}, "init layout is [99, 2], want [100, 2]"},
		{"metric", x, &TSNEOptions{Perplexity: 5, Metric: "manhattan"}, "unknown metric"},
		{"perplexity", x, &TSNEOptions{Perplexity: -1}, "perplexity -1 must be positive"},
		{"lr", x, &TSNEOptions{Perplexity: 5, LearningRate: math.Inf(1)}, "learning rate"},
	}
	for _, c := range cases {
		_, err := TSNE(c.x, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "reduce: ") {
			t.Errorf("%s: got error %v, want one starting with \"reduce: \" containing %q", c.name, err, c.want)
		}
	}
	// Optimize argument checks.
	aff, err := TSNEAffinities(x, &TSNEOptions{Perplexity: 5})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := NewTSNEEmbedding(aff, nil, &TSNEOptions{Init: "random"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emb.Optimize(10, 0, 0.5); err == nil {
		t.Error("Optimize with exaggeration 0: no error")
	}
	if err := emb.Optimize(10, 1, 1.5); err == nil {
		t.Error("Optimize with momentum 1.5: no error")
	}
	if _, err := NewTSNEEmbedding(aff, nil, nil); err == nil || !strings.Contains(err.Error(), "needs the data matrix") {
		t.Errorf("pca init without data: %v", err)
	}
}

// TestTSNEAffinities checks the calibrated perplexity of each row, symmetry and normalization, for
// the sparse (kNN) and the exact construction, and that both agree where P is large.
func TestTSNEAffinities(t *testing.T) {
	x, _ := tsneBlobs(300, 10, 4, 2, 2)
	const perp = 20.0
	for _, method := range []TSNEMethod{TSNEBarnesHut, TSNEExact} {
		aff, err := TSNEAffinities(x, &TSNEOptions{Perplexity: perp, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		get := func(i, j int) float64 {
			for k := aff.RowPtr[i]; k < aff.RowPtr[i+1]; k++ {
				if int(aff.Col[k]) == j {
					return aff.Val[k]
				}
			}
			return 0
		}
		for i := 0; i < aff.N; i++ {
			for k := aff.RowPtr[i]; k < aff.RowPtr[i+1]; k++ {
				j := int(aff.Col[k])
				if j == i {
					t.Fatalf("%s: diagonal entry at %d", method, i)
				}
				if k > aff.RowPtr[i] && aff.Col[k-1] >= aff.Col[k] {
					t.Fatalf("%s: row %d columns not ascending", method, i)
				}
				if d := math.Abs(aff.Val[k] - get(j, i)); d > 1e-15 {
					t.Fatalf("%s: P[%d,%d] = %g but P[%d,%d] = %g", method, i, j, aff.Val[k], j, i, get(j, i))
				}
				sum += aff.Val[k]
			}
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: sum P = %v, want 1", method, sum)
		}
		if method == TSNEExact && aff.NNZ() != 300*299 {
			t.Errorf("exact: nnz %d, want %d", aff.NNZ(), 300*299)
		}
	}
	// Each calibrated conditional row has entropy log(perplexity).
	d := make([]float64, 60)
	p := make([]float64, 60)
	for i := range d {
		d[i] = 1e4 + float64(i*i)*37 // large offset: checks the shift that avoids underflow
	}
	calibrateRow(d, perp, p)
	var h, s float64
	for _, v := range p {
		s += v
		if v > 0 {
			h -= v * math.Log(v)
		}
	}
	if math.Abs(s-1) > 1e-12 || math.Abs(h-math.Log(perp)) > 1e-4 {
		t.Errorf("calibrated row: sum %v entropy %v, want 1 and %v", s, h, math.Log(perp))
	}
}

// TestTSNEGradientBH compares the Barnes-Hut gradient with the exact one on the same layout.
func TestTSNEGradientBH(t *testing.T) {
	x, _ := tsneBlobs(400, 8, 5, 1, 3)
	aff, err := TSNEAffinities(x, &TSNEOptions{Perplexity: 10, Method: TSNEBarnesHut})
	if err != nil {
		t.Fatal(err)
	}
	bh, err := NewTSNEEmbedding(aff, x, &TSNEOptions{Perplexity: 10, Method: TSNEBarnesHut, Theta: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if err := bh.Optimize(150, 12, 0.5); err != nil { // a spread-out, clustered layout
		t.Fatal(err)
	}
	ex, _ := NewTSNEEmbedding(aff, x, &TSNEOptions{Perplexity: 10, Method: TSNEExact})
	copy(ex.y, bh.y)
	klEx := ex.gradient(1, true)
	// theta 0.3 and 0.5 use the grouped traversal, 0.8 the per-point one.
	for _, c := range []struct{ theta, tol, klTol float64 }{{0.3, 0.01, 1e-3}, {0.5, 0.02, 1e-3}, {0.8, 0.05, 5e-3}} {
		bh.r.theta = c.theta
		klBH := bh.gradient(1, true)
		var num, den float64
		for k := range bh.grad {
			num += (bh.grad[k] - ex.grad[k]) * (bh.grad[k] - ex.grad[k])
			den += ex.grad[k] * ex.grad[k]
		}
		rel := math.Sqrt(num / den)
		t.Logf("theta %.1f: relative gradient error %.3g, KL bh %.5f exact %.5f", c.theta, rel, klBH, klEx)
		if rel > c.tol || math.Abs(klBH-klEx) > c.klTol {
			t.Errorf("theta %.1f: Barnes-Hut gradient relative error %.3g (want < %g), KL %v vs %v", c.theta, rel, c.tol, klBH, klEx)
		}
	}
	// Duplicate points must not break the tree (no NaN, finite forces).
	dup := NewMatrix(200, 3)
	for i := range dup.Data {
		dup.Data[i] = float32((i / 3) % 50)
	}
	y, err := TSNE(dup, &TSNEOptions{Perplexity: 5, Method: TSNEBarnesHut, Iters: 100, EarlyIters: 50})
	if err != nil {
		t.Fatalf("duplicates: %v", err)
	}
	if err := y.Validate(); err != nil {
		t.Fatalf("duplicates: %v", err)
	}
}

// TestTSNEStaged checks that Optimize continues (iteration count, KL goes down), that the callback
// sees every CallbackEvery-th iteration and can stop the run, and that runs are reproducible.
func TestTSNEStaged(t *testing.T) {
	x, _ := tsneBlobs(300, 6, 3, 1, 4)
	var seen []int
	var kls []float64
	opts := &TSNEOptions{Perplexity: 15, Init: "random", Seed: 7, CallbackEvery: 25,
		Callback: func(iter int, kl float64, y *Matrix) bool {
			if y.Rows != 300 || y.Cols != 2 {
				t.Fatalf("callback layout [%d, %d]", y.Rows, y.Cols)
			}
			seen = append(seen, iter)
			kls = append(kls, kl)
			return false
		}}
	aff, err := TSNEAffinities(x, opts)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := NewTSNEEmbedding(aff, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := emb.Optimize(100, 12, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := emb.Optimize(150, 1, 0.8); err != nil {
		t.Fatal(err)
	}
	if emb.Iter() != 250 || fmt.Sprint(seen) != "[25 50 75 100 125 150 175 200 225 250]" {
		t.Errorf("iter %d, callbacks at %v", emb.Iter(), seen)
	}
	if kls[len(kls)-1] >= kls[4] || emb.KL() > kls[len(kls)-1]+1e-3 {
		t.Errorf("KL did not decrease in the main phase: %v, now %v", kls, emb.KL())
	}
	// Reproducible with the same seed.
	y1, _ := TSNE(x, &TSNEOptions{Perplexity: 15, Init: "random", Seed: 7, Iters: 120, EarlyIters: 60})
	y2, _ := TSNE(x, &TSNEOptions{Perplexity: 15, Init: "random", Seed: 7, Iters: 120, EarlyIters: 60})
	for k := range y1.Data {
		if y1.Data[k] != y2.Data[k] {
			t.Fatalf("two runs with the same seed differ at %d: %v vs %v", k, y1.Data[k], y2.Data[k])
		}
	}
	// Stopping.
	stop := &TSNEOptions{Perplexity: 15, CallbackEvery: 10, Callback: func(iter int, _ float64, _ *Matrix) bool { return iter >= 30 }}
	if _, err := TSNE(x, stop); !errors.Is(err, ErrTSNEStopped) {
		t.Errorf("callback stop: got %v, want ErrTSNEStopped", err)
	}
}

// TestTSNEVsSklearn compares trustworthiness@10 with scikit-learn's t-SNE on the same data: Fashion-
// MNIST test images (PCA to 50) with Barnes-Hut, Gaussian blobs with Barnes-Hut, and a small set
// with the exact method. Ours may be at most 0.01 below sklearn's.
func TestTSNEVsSklearn(t *testing.T) {
	blobs, _ := tsneBlobs(800, 20, 10, 3, 5)
	cases := []struct {
		name   string
		x      func(t *testing.T) *Matrix // called with the subtest's t (a skip must not hit the parent)
		method TSNEMethod
		skl    string
	}{
		{"fashion-1000-bh", func(t *testing.T) *Matrix { return tsneFashion50(t, 1000) }, TSNEBarnesHut, "barnes_hut"},
		{"blobs-800-bh", func(*testing.T) *Matrix { return blobs }, TSNEBarnesHut, "barnes_hut"},
		{"fashion-300-exact", func(t *testing.T) *Matrix { return tsneFashion50(t, 300) }, TSNEExact, "exact"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := c.x(t)
			t0 := time.Now()
			y, err := TSNE(x, &TSNEOptions{Method: c.method})
			if err != nil {
				t.Fatal(err)
			}
			ours := time.Since(t0)
			r := tsneReference(t, x, y, c.skl, 30)
			t.Logf("trustworthiness@10: ours %.4f (%v), sklearn %.4f (%.1fs)", r.OursTrust, ours.Round(time.Millisecond), r.SklearnTrust, r.SklearnSeconds)
			if r.OursTrust < r.SklearnTrust-0.01 {
				t.Errorf("trustworthiness %.4f is more than 0.01 below sklearn's %.4f", r.OursTrust, r.SklearnTrust)
			}
		})
	}
}

func TestTSNEExp(t *testing.T) {
	for x := -60.0; x <= 0; x += 0.0137 {
		if got, want := tsneExp(x), math.Exp(x); math.Abs(got-want) > 1e-15*want {
			t.Fatalf("tsneExp(%v) = %v, want %v", x, got, want)
		}
	}
}

func ExampleTSNE() {
	// Three well-separated Gaussian blobs in 10-D, 50 points each.
	x, labels := tsneBlobs(150, 10, 3, 0.5, 1)
	y, err := TSNE(x, &TSNEOptions{Perplexity: 10, Seed: 1})
	if err != nil {
		panic(err)
	}
	// Every point's nearest neighbour in the layout belongs to its own blob.
	same := 0
	for i := 0; i < y.Rows; i++ {
		best, bj := math.Inf(1), -1
		for j := 0; j < y.Rows; j++ {
			dx, dy := float64(y.At(i, 0)-y.At(j, 0)), float64(y.At(i, 1)-y.At(j, 1))
			if d := dx*dx + dy*dy; j != i && d < best {
				best, bj = d, j
			}
		}
		if labels[bj] == labels[i] {
			same++
		}
	}
	fmt.Printf("layout [%d, %d], nearest neighbour in the same blob: %d of %d\n", y.Rows, y.Cols, same, y.Rows)
	// Output: layout [150, 2], nearest neighbour in the same blob: 150 of 150
}

// TestTSNEAttrRowKernel compares the attractive row kernel (AVX2 where available) with the scalar
// one, for row lengths around the vector width and its padding.
func TestTSNEAttrRowKernel(t *testing.T) {
	const n = 64
	rng := rand.New(rand.NewPCG(7, 1))
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = 10 * rng.NormFloat64()
	}
	for _, m := range []int{0, 1, 3, 7, 8, 9, 12, 13, 31, 63} {
		cols := make([]int32, m)
		vals := make([]float32, m)
		for k := range cols {
			cols[k] = int32(rng.IntN(n))
			vals[k] = float32(rng.Float64())
		}
		dx, dy := make([]float64, m), make([]float64, m)
		px, py := y[0], y[1]
		fx, fy := tsneAttrRow(px, py, y, cols, vals, dx, dy)
		gx, gy := tsneAttrRowGeneric(px, py, y, cols, vals, dx, dy)
		if math.Abs(fx-gx) > 1e-12*(1+math.Abs(gx)) || math.Abs(fy-gy) > 1e-12*(1+math.Abs(gy)) {
			t.Errorf("m=%d: kernel (%v, %v), scalar (%v, %v)", m, fx, fy, gx, gy)
		}
	}
}

// TestTSNEQuadTree checks the Morton-ordered tree on random, clustered and duplicated points: the
// order is a permutation, the groups partition the points, every node's count and center of mass
// match its points, and at a tiny angle the grouped and per-point repulsive sums equal the exact
// ones (duplicates excluded as documented).
func TestTSNEQuadTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	const n = 700
	for _, c := range []struct {
		name string
		gen  func(i int) (float64, float64)
	}{
		{"uniform", func(int) (float64, float64) { return 50 * rng.Float64(), 50 * rng.Float64() }},
		{"clusters", func(i int) (float64, float64) {
			return float64(i%5)*20 + 0.3*rng.NormFloat64(), float64(i%3)*15 + 0.3*rng.NormFloat64()
		}},
		{"duplicates", func(i int) (float64, float64) { return float64((i / 4) % 40), float64((i / 4) % 7) }},
		{"tiny extent", func(int) (float64, float64) { return 1 + 1e-9*rng.Float64(), 2 + 1e-9*rng.Float64() }},
	} {
		y := make([]float64, 2*n)
		for i := 0; i < n; i++ {
			y[2*i], y[2*i+1] = c.gen(i)
		}
		var tr quadTree
		tr.build(y)
		tr.build(y) // rebuilding reuses the buffers and gives the same tree
		seen := make([]int, n)
		for _, i := range tr.order {
			seen[i]++
		}
		inGroup := make([]int, n)
		for _, g := range tr.groups {
			nd := tr.flat[g]
			for _, i := range tr.order[nd.start : nd.start+int32(nd.count)] {
				inGroup[i]++
			}
		}
		for i := range seen {
			if seen[i] != 1 || inGroup[i] != 1 {
				t.Fatalf("%s: point %d appears %d times in the order, in %d groups", c.name, i, seen[i], inGroup[i])
			}
		}
		for k, nd := range tr.flat {
			if int(nd.next) <= k || int(nd.next) > len(tr.flat) || nd.count < 1 {
				t.Fatalf("%s: node %d: next %d, count %v", c.name, k, nd.next, nd.count)
			}
			var sx, sy float64
			for _, i := range tr.order[nd.start : nd.start+int32(nd.count)] {
				sx += y[2*i]
				sy += y[2*i+1]
			}
			if cx, cy := sx/float64(nd.count), sy/float64(nd.count); math.Abs(cx-float64(nd.comX)) > 1e-5*(1+math.Abs(cx)) || math.Abs(cy-float64(nd.comY)) > 1e-5*(1+math.Abs(cy)) {
				t.Fatalf("%s: node %d: center of mass (%v, %v), its points' (%v, %v)", c.name, k, nd.comX, nd.comY, cx, cy)
			}
		}
		// Exact sums over the float32-rounded positions, skipping coincident points.
		rep := make([]float64, 2*n)
		var zg float64
		var l qtList
		for _, g := range tr.groups {
			zg += tr.groupRepulse(g, y, 1e-8, &l, rep)
		}
		var zx, zp float64
		for i := 0; i < n; i++ {
			xi, yi := float64(float32(y[2*i])), float64(float32(y[2*i+1]))
			var fx, fy, z float64
			dups := 0
			for j := 0; j < n; j++ {
				dx, dy := xi-float64(float32(y[2*j])), yi-float64(float32(y[2*j+1]))
				if dx == 0 && dy == 0 {
					dups++
					continue
				}
				w := 1 / (1 + dx*dx + dy*dy)
				z += w
				fx += w * w * dx
				fy += w * w * dy
			}
			zx += z + float64(dups-1) // the grouped sums count coincident points with w = 1
			px, py, pz := tr.repulse(y[2*i], y[2*i+1], 1e-8)
			zp += pz
			if c.name != "tiny extent" {
				// repulse takes the unrounded position: float32 rounding apart, the same sums.
				tol := 1e-4 * (math.Hypot(fx, fy) + 1e-6)
				if math.Abs(pz-z) > 1e-5*z || math.Abs(px-fx) > tol || math.Abs(py-fy) > tol {
					t.Fatalf("%s: point %d: per-point (%v, %v, %v), exact (%v, %v, %v)", c.name, i, px, py, pz, fx, fy, z)
				}
				if tol := 1e-6 * (math.Hypot(fx, fy) + 1e-6); math.Abs(rep[2*i]-fx) > tol || math.Abs(rep[2*i+1]-fy) > tol {
					t.Fatalf("%s: point %d: grouped (%v, %v), exact (%v, %v)", c.name, i, rep[2*i], rep[2*i+1], fx, fy)
				}
			}
		}
		if math.Abs(zg-zx) > 1e-6*zx {
			t.Errorf("%s: grouped z %v, exact %v", c.name, zg, zx)
		}
	}
}
