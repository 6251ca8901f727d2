package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// tsneDriftSequence returns T snapshots of n points in d dimensions: k clusters whose centres
// drift a little from snapshot to snapshot while the clusters tighten (as embeddings do during
// training), every point keeping its identity.
func tsneDriftSequence(T, n, d, k int, seed uint64) []*Matrix {
	r := rand.New(rand.NewPCG(seed, 9))
	centres := make([]float64, k*d)
	vel := make([]float64, k*d)
	for i := range centres {
		centres[i] = 4 * r.NormFloat64()
		vel[i] = 0.3 * r.NormFloat64()
	}
	noise := make([]float64, n*d)
	for i := range noise {
		noise[i] = r.NormFloat64()
	}
	seq := make([]*Matrix, T)
	for t := 0; t < T; t++ {
		m := NewMatrix(n, d)
		spread := 2.0 * math.Pow(0.85, float64(t))
		for i := range noise { // points also wander inside their cluster
			noise[i] = 0.95*noise[i] + 0.31*r.NormFloat64()
		}
		for i := 0; i < n; i++ {
			c := i % k
			for j := 0; j < d; j++ {
				m.Data[i*d+j] = float32(centres[c*d+j] + float64(t)*vel[c*d+j] + spread*noise[i*d+j])
			}
		}
		seq[t] = m
	}
	return seq
}

// tsneTrust is trustworthiness@k (Venna & Kaski; sklearn.manifold.trustworthiness), exact, O(n^2 log n).
func tsneTrust(high, low *Matrix, k int) float64 {
	n := high.Rows
	sq := func(m *Matrix, i, j int) float64 {
		var s float64
		a, b := m.Row(i), m.Row(j)
		for c := range a {
			d := float64(a[c]) - float64(b[c])
			s += d * d
		}
		return s
	}
	rank := make([]int, n)
	idx := make([]int, n)
	dist := make([]float64, n)
	var penalty float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			idx[j] = j
			dist[j] = sq(high, i, j)
		}
		dist[i] = -1
		sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
		for r, j := range idx {
			rank[j] = r // rank 0 is i itself
		}
		for j := 0; j < n; j++ {
			idx[j] = j
			dist[j] = sq(low, i, j)
		}
		dist[i] = -1
		sort.SliceStable(idx, func(a, b int) bool { return dist[idx[a]] < dist[idx[b]] })
		for _, j := range idx[1 : k+1] {
			if rank[j] > k {
				penalty += float64(rank[j] - k)
			}
		}
	}
	return 1 - 2/(float64(n)*float64(k)*(2*float64(n)-3*float64(k)-1))*penalty
}

// tsneMeanShift is the mean distance between the positions of the same point in two [n, 2] frames.
func tsneMeanShift(a, b *Matrix) float64 {
	var s float64
	for i := 0; i < a.Rows; i++ {
		dx, dy := float64(a.At(i, 0)-b.At(i, 0)), float64(a.At(i, 1)-b.At(i, 1))
		s += math.Sqrt(dx*dx + dy*dy)
	}
	return s / float64(a.Rows)
}

func TestTSNEFrames(t *testing.T) {
	const T, n = 5, 600
	seq := tsneDriftSequence(T, n, 10, 6, 1)
	var progress []int
	frames, err := TSNEFrames(seq, &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 20, Iters: 500},
		Progress: func(done, total int, stage string) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != T || len(progress) != T || progress[T-1] != T {
		t.Fatalf("%d frames, progress %v", len(frames), progress)
	}
	for f, y := range frames {
		if y.Rows != n || y.Cols != 2 {
			t.Fatalf("frame %d is [%d, %d]", f, y.Rows, y.Cols)
		}
		var mx, my, ss float64
		for i := 0; i < n; i++ {
			mx += float64(y.At(i, 0))
			my += float64(y.At(i, 1))
			ss += float64(y.At(i, 0))*float64(y.At(i, 0)) + float64(y.At(i, 1))*float64(y.At(i, 1))
		}
		if math.Abs(mx/n) > 1e-4 || math.Abs(my/n) > 1e-4 || math.Abs(math.Sqrt(ss/(2*n))-1) > 1e-4 {
			t.Errorf("frame %d not normalized: mean (%g, %g), std %g", f, mx/n, my/n, math.Sqrt(ss/(2*n)))
		}
	}
	// Coherence: consecutive frames are close, far closer than independent t-SNE runs of the
	// same snapshots (which differ by rotations, reflections and cluster placement).
	for f := 1; f < T; f++ {
		shift := tsneMeanShift(frames[f-1], frames[f])
		t.Logf("frame %d: mean shift %.3f", f, shift)
		if shift > 0.35 {
			t.Errorf("frames %d and %d are far apart: mean shift %.3f (unit-std layouts), want < 0.35", f-1, f, shift)
		}
	}
	a, err := TSNE(seq[T-2], &TSNEOptions{Perplexity: 20, Iters: 500, Init: "random", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := TSNE(seq[T-1], &TSNEOptions{Perplexity: 20, Iters: 500, Init: "random", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	indep := tsneMeanShift(Normalize(a), Normalize(b))
	t.Logf("independent runs: mean shift %.3f", indep)
	if last := tsneMeanShift(frames[T-2], frames[T-1]); last > indep/3 {
		t.Errorf("animation frames shift %.3f, not much below independent runs' %.3f", last, indep)
	}
	// Quality: each frame is as trustworthy as a full t-SNE of its snapshot (within 0.01).
	full := tsneTrust(seq[T-1], b, 10)
	t.Logf("full t-SNE of the last snapshot: trustworthiness@10 %.4f", full)
	for f := 0; f < T; f++ {
		tr := tsneTrust(seq[f], frames[f], 10)
		t.Logf("frame %d trustworthiness@10 %.4f", f, tr)
		if f == T-1 && tr < full-0.01 {
			t.Errorf("last frame trustworthiness %.4f, a full t-SNE of that snapshot %.4f", tr, full)
		}
		if tr < 0.95 {
			t.Errorf("frame %d trustworthiness %.4f < 0.95", f, tr)
		}
	}
	// Update < 1 smooths: smaller moves between frames.
	smooth, err := TSNEFrames(seq[:3], &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 20, Iters: 500}, Update: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	s1, s0 := tsneMeanShift(smooth[1], smooth[2]), tsneMeanShift(frames[1], frames[2])
	t.Logf("Update 0.3: shift %.3f (Update 1: %.3f)", s1, s0)
	if s1 >= s0 {
		t.Errorf("Update 0.3 did not reduce the frame-to-frame shift: %.3f vs %.3f", s1, s0)
	}
}

func TestTSNEFramesBadInput(t *testing.T) {
	seq := tsneDriftSequence(3, 100, 4, 3, 2)
	short := []*Matrix{seq[0], NewMatrix(99, 4)}
	bad := seq[1].Clone()
	bad.Data[3] = float32(math.Inf(1))
	for _, c := range []struct {
		seq  []*Matrix
		opts *TSNEAnimOptions
		want string
	}{
		{nil, nil, "empty snapshot sequence"},
		{short, nil, "snapshot 1 has 99 rows"},
		{[]*Matrix{seq[0], bad}, nil, "non-finite"},
		{seq, &TSNEAnimOptions{Update: 1.5, TSNE: TSNEOptions{Perplexity: 5}}, "Update 1.5"},
		{seq, &TSNEAnimOptions{FrameStop: math.Inf(1), TSNE: TSNEOptions{Perplexity: 5}}, "FrameStop +Inf must be finite"},
		{seq, &TSNEAnimOptions{FrameStop: math.NaN(), TSNE: TSNEOptions{Perplexity: 5}}, "FrameStop NaN"},
		{[]*Matrix{NewMatrix(1, 4), NewMatrix(1, 4)}, nil, "need at least 2 points, have 1"},
	} {
		_, err := TSNEFrames(c.seq, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "reduce: ") {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

func ExampleTSNEFrames() {
	// Three snapshots of the same 150 points (5 clusters tightening over time).
	seq := tsneDriftSequence(3, 150, 8, 5, 3)
	frames, err := TSNEFrames(seq, &TSNEAnimOptions{
		TSNE:       TSNEOptions{Perplexity: 10, Seed: 1},
		FrameIters: 100, // iterations per frame after the first (a full t-SNE)
		Update:     0.5, // each frame moves half-way to its newly optimized layout
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d frames of [%d, %d]\n", len(frames), frames[0].Rows, frames[0].Cols)
	fmt.Println("consecutive frames close:", tsneMeanShift(frames[0], frames[1]) < 0.3 && tsneMeanShift(frames[1], frames[2]) < 0.3)
	// Output:
	// 3 frames of [150, 2]
	// consecutive frames close: true
}

// tsneAxisStats returns the per-column means and standard deviations of an [n, 2] frame.
func tsneAxisStats(y *Matrix) (mean, std [2]float64) {
	n := float64(y.Rows)
	for i := 0; i < y.Rows; i++ {
		for c := 0; c < 2; c++ {
			mean[c] += float64(y.At(i, c)) / n
		}
	}
	for i := 0; i < y.Rows; i++ {
		for c := 0; c < 2; c++ {
			d := float64(y.At(i, c)) - mean[c]
			std[c] += d * d / n
		}
	}
	std[0], std[1] = math.Sqrt(std[0]), math.Sqrt(std[1])
	return mean, std
}

// TestTSNEFramesNormalizeThenRegister checks the default order of the t-SNE logger notebook (seed
// 001): each axis normalized to mean 0 / std 1, then the frame registered onto the previous
// returned frame; and that CommonScale keeps one scale for both axes.
func TestTSNEFramesNormalizeThenRegister(t *testing.T) {
	const T, n = 4, 400
	seq := tsneDriftSequence(T, n, 10, 5, 4)
	base := TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 15, Iters: 300}, FrameIters: 30}
	def, err := TSNEFrames(seq, &base)
	if err != nil {
		t.Fatal(err)
	}
	o := base
	o.NoRegister = true
	raw, err := TSNEFrames(seq, &o)
	if err != nil {
		t.Fatal(err)
	}
	for f, y := range raw {
		mean, std := tsneAxisStats(y)
		if math.Abs(mean[0]) > 1e-4 || math.Abs(mean[1]) > 1e-4 || math.Abs(std[0]-1) > 1e-4 || math.Abs(std[1]-1) > 1e-4 {
			t.Errorf("NoRegister frame %d: axis means %v, stds %v; want 0 and 1 per axis", f, mean, std)
		}
	}
	// Registration comes after normalization: frame t is the normalized layout rotated onto the
	// previous returned frame (registration does not change the optimizer's layout).
	for f := 1; f < T; f++ {
		want, err := Procrustes(def[f-1], raw[f], nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := tsneMeanShift(want, def[f]); d > 1e-4 {
			t.Errorf("frame %d differs from its normalized layout registered onto frame %d by %g", f, f-1, d)
		}
	}
	if d := tsneMeanShift(raw[0], def[0]); d > 1e-6 {
		t.Errorf("frame 0 is registered onto nothing, yet differs by %g", d)
	}
	// CommonScale: one standard deviation for both axes (the layout's aspect ratio is kept).
	o = base
	o.CommonScale, o.NoRegister = true, true
	common, err := TSNEFrames(seq, &o)
	if err != nil {
		t.Fatal(err)
	}
	for f, y := range common {
		_, std := tsneAxisStats(y)
		_, rawStd := tsneAxisStats(raw[f])
		if math.Abs(std[0]*std[0]+std[1]*std[1]-2) > 1e-3 {
			t.Errorf("CommonScale frame %d: axis stds %v, want a mean variance of 1", f, std)
		}
		// Same layout up to the per-axis scaling: rescaling the common-scale frame per axis gives
		// the per-axis frame.
		var d float64
		for i := 0; i < n; i++ {
			dx := float64(common[f].At(i, 0))/std[0] - float64(raw[f].At(i, 0))/rawStd[0]
			dy := float64(common[f].At(i, 1))/std[1] - float64(raw[f].At(i, 1))/rawStd[1]
			d += math.Hypot(dx, dy) / n
		}
		if f == 0 && d > 1e-4 {
			t.Errorf("frame 0: CommonScale and per-axis frames are not the same layout (mean difference %g)", d)
		}
		t.Logf("frame %d: CommonScale axis stds %.3f, %.3f", f, std[0], std[1])
	}
}

// TestTSNEFramesOptions checks the frame options' validation and that the settings before 2026-12
// (exact kNN every frame, 200 iterations, common scale) still run.
func TestTSNEFramesOptions(t *testing.T) {
	seq := tsneDriftSequence(3, 300, 6, 4, 5)
	for _, c := range []struct {
		opts TSNEAnimOptions
		want string
	}{
		{TSNEAnimOptions{FrameIters: -1}, "FrameIters -1"},
		{TSNEAnimOptions{FrameLearningRate: -2}, "FrameLearningRate -2"},
		{TSNEAnimOptions{FrameTheta: math.NaN()}, "FrameTheta NaN"},
		{TSNEAnimOptions{FrameExaggeration: -1}, "FrameExaggeration -1"},
		{TSNEAnimOptions{FramePlace: 1.5}, "FramePlace 1.5"},
		{TSNEAnimOptions{FramePlace: math.NaN()}, "FramePlace NaN"},
	} {
		if _, err := TSNEFrames(seq, &c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.opts, err, c.want)
		}
	}
	old, err := TSNEFrames(seq, &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 15, Method: TSNEBarnesHut},
		FrameIters: 200, ExactKNN: true, CommonScale: true, FrameLearningRate: 300.0 / 4, FrameTheta: 0.5, FrameBudget: -1, FramePlace: -1})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := TSNEFrames(seq, &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 15, Method: TSNEBarnesHut}})
	if err != nil {
		t.Fatal(err)
	}
	for f := range seq {
		to, tc := tsneTrust(seq[f], old[f], 10), tsneTrust(seq[f], cur[f], 10)
		t.Logf("frame %d trustworthiness@10: before-2026-12 settings %.4f, defaults %.4f", f, to, tc)
		if tc < to-0.02 {
			t.Errorf("frame %d: defaults' trustworthiness %.4f, far below the earlier settings' %.4f", f, tc, to)
		}
	}
}

// TestRefineKNN checks the kNN graph refined from a nearby snapshot's against the exact one.
func TestRefineKNN(t *testing.T) {
	seq := tsneDriftSequence(2, 600, 8, 5, 6)
	const k = 30
	for _, metric := range []Metric{Euclidean, Cosine} {
		prev, err := KNN(seq[0], k, metric)
		if err != nil {
			t.Fatal(err)
		}
		exact, err := KNN(seq[1], k, metric)
		if err != nil {
			t.Fatal(err)
		}
		got, changed := refineKNN(seq[1], prev, k, metric)
		recall := neighborOverlap(exact, got)
		t.Logf("%s: recall %.4f, %.3f of the entries changed", metric, recall, changed)
		if recall < 0.85 { // a fifth of the neighbourhoods changed: a far larger step than between snapshots
			t.Errorf("%s: recall %.4f of the refined graph, want >= 0.85", metric, recall)
		}
		if got.N != 600 || got.K != k || !(changed > 0 && changed < 1) {
			t.Fatalf("%s: graph [%d, %d], changed %g", metric, got.N, got.K, changed)
		}
		for i := 0; i < got.N; i++ {
			idx, dist := got.Row(i)
			for c := range idx {
				if int(idx[c]) == i || (c > 0 && dist[c] < dist[c-1]) {
					t.Fatalf("%s: row %d not sorted or holds itself: %v %v", metric, i, idx, dist)
				}
				if want := exactDistance(seq[1], i, int(idx[c]), metric); math.Abs(float64(dist[c])-want) > 1e-4*(1+want) {
					t.Fatalf("%s: row %d distance %g, want %g", metric, i, dist[c], want)
				}
			}
		}
	}
	// Refining a graph on its own snapshot changes nothing.
	prev, err := KNN(seq[0], k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	same, changed := refineKNN(seq[0], prev, k, Euclidean)
	if changed != 0 || neighborOverlap(prev, same) != 1 {
		t.Errorf("refining the exact graph of the same data changed %.4f of it", changed)
	}
}

// TestPlaceNewNeighbors: a point moves towards the P-weighted mean of its new neighbours by
// FramePlace times their share of its affinity mass; a point whose neighbours did not change stays.
func TestPlaceNewNeighbors(t *testing.T) {
	// 4 points on a line; rows list (column, value), sorted.
	aff := func(rows [][][2]float64) *Affinities {
		a := &Affinities{N: len(rows), RowPtr: []int32{0}}
		for _, r := range rows {
			for _, e := range r {
				a.Col = append(a.Col, int32(e[0]))
				a.Val = append(a.Val, e[1])
			}
			a.RowPtr = append(a.RowPtr, int32(len(a.Col)))
		}
		return a
	}
	y := []float64{0, 0, 1, 0, 2, 0, 10, 4}
	p := aff([][][2]float64{{{1, 0.1}}, {{0, 0.1}}, {{3, 0.1}}, {{2, 0.1}}})
	q := aff([][][2]float64{
		{{1, 0.1}},           // 0: unchanged
		{{0, 0.1}, {3, 0.1}}, // 1: half its mass on a new neighbour, 3 at (10, 4)
		{{0, 0.1}, {1, 0.3}}, // 2: only new neighbours, mean of 0 and 1 weighted 1:3 = (0.75, 0)
		{{0, 0.1}, {2, 0.1}}, // 3: half on 0
	})
	for _, c := range []struct {
		place float64
		want  []float64
	}{
		{1, []float64{0, 0, 1 + 0.5*9, 0.5 * 4, 0.75, 0, 10 - 0.5*10, 4 - 0.5*4}},
		{0.5, []float64{0, 0, 1 + 0.25*9, 0.25 * 4, 2 - 0.5*1.25, 0, 10 - 0.25*10, 4 - 0.25*4}},
	} {
		got := placeNewNeighbors(y, p, q, c.place)
		for k := range got {
			if math.Abs(got[k]-c.want[k]) > 1e-12 {
				t.Errorf("place %v: got %v, want %v", c.place, got, c.want)
				break
			}
		}
	}
	if y[2] != 1 {
		t.Errorf("placeNewNeighbors changed its input")
	}
}

// TestTSNEFramesBudget: with snapshots whose neighbourhoods all change, the tv rule asks for many
// iterations a frame; FrameBudget caps each frame after the first at FrameBudget/(T-1) (the
// settling test off; with it, the frames that settle stop early and still call back once).
func TestTSNEFramesBudget(t *testing.T) {
	const T, n = 4, 200
	r := rand.New(rand.NewPCG(3, 4))
	seq := make([]*Matrix, T)
	for f := range seq { // unrelated snapshots: P moves almost entirely
		seq[f] = NewMatrix(n, 5)
		for i := range seq[f].Data {
			seq[f].Data[i] = float32(r.NormFloat64())
		}
	}
	for _, c := range []struct {
		budget       int
		most, atMost int // iterations of the longest frame after the first: at least most, at most atMost
	}{
		{30, 10, 10},     // 30/3 = 10 = FrameIters
		{60, 20, 20},     // 60/3
		{-1, 100, 200},   // the tv rule alone: 10 * tv/0.06 with tv near 1
		{0, 100, 200},    // default 4 * Iters = 400: 133 a frame
		{3000, 100, 200}, // the tv rule's own cap, 200
	} {
		var last []int // iterations of each frame: the callback's last iteration count
		opts := &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 10, Iters: 100, EarlyIters: 50, Method: TSNEBarnesHut,
			CallbackEvery: 1000, Callback: func(iter int, _ float64, _ *Matrix) bool {
				last = append(last, iter)
				return false
			}}, FrameIters: 10, FrameBudget: c.budget, FrameStop: -1}
		if _, err := TSNEFrames(seq, opts); err != nil {
			t.Fatal(err)
		}
		if len(last) != T+1 { // frame 0 calls back after each of its two phases
			t.Fatalf("budget %d: %d callbacks %v, want %d", c.budget, len(last), last, T+1)
		}
		most := slices.Max(last[2:])
		if most < c.most || most > c.atMost {
			t.Errorf("budget %d: frames ran %v iterations, want the longest in [%d, %d]", c.budget, last[2:], c.most, c.atMost)
		}
	}
	var last []int
	opts := &TSNEAnimOptions{TSNE: TSNEOptions{Perplexity: 10, Iters: 100, EarlyIters: 50, Method: TSNEBarnesHut,
		CallbackEvery: 1000, Callback: func(iter int, _ float64, _ *Matrix) bool {
			last = append(last, iter)
			return false
		}}, FrameIters: 10, FrameBudget: -1, FrameStop: 1}
	if _, err := TSNEFrames(seq, opts); err != nil {
		t.Fatal(err)
	}
	if len(last) != T+1 || slices.Max(last[2:]) != 10 {
		t.Errorf("a settling test that always passes: callbacks %v, want %d with frames of 10 iterations (FrameIters)", last, T+1)
	}
}

// TestTSNEFrameStop checks the settling test of TSNEAnimOptions.FrameStop on optimizeFrom: off,
// every requested iteration runs; with a threshold above every step it stops at the minimum
// (rounded up to a window); with a tiny one it runs them all; and on a converged layout with a
// threshold between it stops at a window boundary after the minimum and before the request.
func TestTSNEFrameStop(t *testing.T) {
	x, _ := tsneBlobs(300, 6, 4, 1, 5)
	aff, err := TSNEAffinities(x, &TSNEOptions{Perplexity: 10})
	if err != nil {
		t.Fatal(err)
	}
	base, err := NewTSNEEmbedding(aff, x, &TSNEOptions{Perplexity: 10, Seed: 3, Iters: 400})
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name             string
		min              int
		step             float64
		request          int
		wantMin, wantMax int
	}{
		{"off", 20, 0, 200, 200, 200},
		{"above every step", 25, 10, 200, 30, 30},
		{"tiny", 20, 1e-12, 200, 200, 200},
		{"converged", 20, 0.01, 200, 20, 190},
	} {
		e, err := NewTSNEEmbedding(aff, x, &TSNEOptions{Perplexity: 10, InitLayout: base.Embedding(), KeepInitScale: true})
		if err != nil {
			t.Fatal(err)
		}
		e.stopMin, e.stopStep = c.min, c.step
		if err := e.optimizeFrom(c.request, 1, 0.8, 0, true); err != nil {
			t.Fatal(err)
		}
		got := e.Iter()
		if got < c.wantMin || got > c.wantMax || (got < c.request && got%tsneStopWindow != 0) {
			t.Errorf("%s: ran %d iterations, want %d..%d (a multiple of %d when stopped early)", c.name, got, c.wantMin, c.wantMax, tsneStopWindow)
		}
	}
}
