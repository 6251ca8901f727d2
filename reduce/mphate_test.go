package reduce

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// mphateSeparating returns T snapshots of n points in d dims in 3 classes whose class means move
// apart over time (scale 0 at t=0 up to 4 at the last snapshot), plus the labels.
func mphateSeparating(n, d, T int, seed uint64) ([]*Matrix, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	centers := make([][]float64, 3)
	for c := range centers {
		centers[c] = make([]float64, d)
		for j := range centers[c] {
			centers[c][j] = rng.NormFloat64()
		}
	}
	labels := make([]int, n)
	base := make([]float64, n*d)
	for i := range labels {
		labels[i] = i % 3
		for j := 0; j < d; j++ {
			base[i*d+j] = rng.NormFloat64()
		}
	}
	var seq []*Matrix
	for t := 0; t < T; t++ {
		s := 4 * float64(t) / float64(T-1)
		m := NewMatrix(n, d)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				m.Data[i*d+j] = float32(base[i*d+j] + s*centers[labels[i]][j] + 0.05*rng.NormFloat64())
			}
		}
		seq = append(seq, m)
	}
	return seq, labels
}

// mphateSilhouette is the mean silhouette of the rows of y grouped by labels (Euclidean).
func mphateSilhouette(y *Matrix, labels []int) float64 {
	n := y.Rows
	var total float64
	for i := 0; i < n; i++ {
		sum := map[int]float64{}
		cnt := map[int]int{}
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			sum[labels[j]] += math.Sqrt(float64(sqDist32(y.Row(i), y.Row(j))))
			cnt[labels[j]]++
		}
		a := sum[labels[i]] / float64(cnt[labels[i]])
		b := math.Inf(1)
		for l, s := range sum {
			if l != labels[i] {
				b = math.Min(b, s/float64(cnt[l]))
			}
		}
		total += (b - a) / math.Max(a, b)
	}
	return total / float64(n)
}

func TestMPHATESamples(t *testing.T) {
	seq, labels := mphateSeparating(120, 10, 6, 1)
	var stages []string
	r, err := MPHATEFit(seq, &MPHATEOptions{Seed: 3, Progress: func(done, total int, stage string) {
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Frames) != 6 {
		t.Fatalf("%d frames, want 6", len(r.Frames))
	}
	for i, f := range r.Frames {
		if f.Rows != 120 || f.Cols != 2 {
			t.Fatalf("frame %d is [%d, %d], want [120, 2]", i, f.Rows, f.Cols)
		}
		if err := f.Validate(); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if r.Landmarks != 0 {
		t.Errorf("720 vertices used %d landmarks, want the exact path", r.Landmarks)
	}
	if r.T < 1 || r.T > 60 {
		t.Errorf("automatic t = %d, outside [1, 60]", r.T)
	}
	first, last := mphateSilhouette(r.Frames[0], labels), mphateSilhouette(r.Frames[5], labels)
	t.Logf("auto t = %d; silhouette by class: first frame %.3f, last frame %.3f; stages %v", r.T, first, last, stages)
	if last < 0.5 || last < first+0.2 {
		t.Errorf("classes that separate over time: last-frame silhouette %.3f (first %.3f), want >= 0.5 and well above the first", last, first)
	}
	if strings.Join(stages, ",") != "mphate kernel,mphate diffusion,mphate mds" {
		t.Errorf("progress stages %v", stages)
	}
	// Determinism.
	r2, err := MPHATEFit(seq, &MPHATEOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for f := range r.Frames {
		for i, v := range r.Frames[f].Data {
			if r2.Frames[f].Data[i] != v {
				t.Fatalf("same seed, different output at frame %d value %d: %v vs %v", f, i, v, r2.Frames[f].Data[i])
			}
		}
	}
}

// mphateDistCorr is the Pearson correlation between the pairwise distances of a and b (same rows).
func mphateDistCorr(a, b []*Matrix) float64 {
	var xs, ys []float64
	for f := range a {
		n := a[f].Rows
		for i := 0; i < n; i += 3 {
			for j := i + 1; j < n; j += 3 {
				xs = append(xs, math.Sqrt(float64(sqDist32(a[f].Row(i), a[f].Row(j)))))
				ys = append(ys, math.Sqrt(float64(sqDist32(b[f].Row(i), b[f].Row(j)))))
			}
		}
	}
	return pearson(xs, ys)
}

// pearson is the Pearson correlation of xs and ys (same length).
func pearson(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var sxy, sxx, syy float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
		syy += (ys[i] - my) * (ys[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestMPHATELandmarksAgreeWithExact(t *testing.T) {
	seq, labels := mphateSeparating(150, 8, 5, 2)
	exact, err := MPHATEFit(seq, &MPHATEOptions{Seed: 1, Landmarks: -1, T: 10})
	if err != nil {
		t.Fatal(err)
	}
	lm, err := MPHATEFit(seq, &MPHATEOptions{Seed: 1, Landmarks: 200, T: 10})
	if err != nil {
		t.Fatal(err)
	}
	if exact.Landmarks != 0 || lm.Landmarks < 150 || lm.Landmarks > 200 {
		t.Fatalf("landmarks used: exact %d, landmark run %d (want 0 and about 200)", exact.Landmarks, lm.Landmarks)
	}
	c := mphateDistCorr(exact.Frames, lm.Frames)
	se, sl := mphateSilhouette(exact.Frames[4], labels), mphateSilhouette(lm.Frames[4], labels)
	t.Logf("pairwise-distance correlation exact vs 200 landmarks: %.3f; last-frame silhouette exact %.3f, landmarks %.3f", c, se, sl)
	if c < 0.8 {
		t.Errorf("landmark embedding disagrees with the exact one: distance correlation %.3f < 0.8", c)
	}
	if sl < se-0.15 {
		t.Errorf("landmark silhouette %.3f much below exact %.3f", sl, se)
	}
}

// mphateUnitsSeq returns T snapshots [nTrace, nUnits] of units in 3 groups (unit u in group u%3);
// each group responds to its own input pattern more and more sharply over training.
func mphateUnitsSeq(nTrace, nUnits, T int) []*Matrix {
	rng := rand.New(rand.NewPCG(5, 5))
	pattern := make([][]float64, 3)
	for g := range pattern {
		pattern[g] = make([]float64, nTrace)
		for r := range pattern[g] {
			pattern[g][r] = rng.NormFloat64()
		}
	}
	noise := make([]float64, nTrace*nUnits)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	var seq []*Matrix
	for s := 0; s < T; s++ {
		w := float64(s) / float64(T-1) * 3
		m := NewMatrix(nTrace, nUnits)
		for r := 0; r < nTrace; r++ {
			for u := 0; u < nUnits; u++ {
				m.Data[r*nUnits+u] = float32(w*pattern[u%3][r] + noise[r*nUnits+u])
			}
		}
		seq = append(seq, m)
	}
	return seq
}

func TestMPHATEUnits(t *testing.T) {
	const nTrace, nUnits, T = 40, 60, 5
	seq := mphateUnitsSeq(nTrace, nUnits, T)
	frames, err := MPHATE(seq, &MPHATEOptions{Mode: "units", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != T || frames[0].Rows != nUnits || frames[0].Cols != 2 {
		t.Fatalf("got %d frames of [%d, %d], want %d of [%d, 2]", len(frames), frames[0].Rows, frames[0].Cols, T, nUnits)
	}
	labels := make([]int, nUnits)
	for u := range labels {
		labels[u] = u % 3
	}
	s := mphateSilhouette(frames[T-1], labels)
	t.Logf("units mode: last-frame silhouette by unit group %.3f", s)
	if s < 0.5 {
		t.Errorf("unit groups should separate in the last frame: silhouette %.3f < 0.5", s)
	}
}

func TestMPHATEErrors(t *testing.T) {
	seq, _ := mphateSeparating(20, 4, 3, 1)
	nan := seq[1].Clone()
	nan.Data[5] = float32(math.NaN())
	short := NewMatrix(19, 4)
	for _, c := range []struct {
		name string
		seq  []*Matrix
		opts *MPHATEOptions
		want string
	}{
		{"empty", nil, nil, "empty snapshot sequence"},
		{"nan", []*Matrix{seq[0], nan}, nil, "non-finite"},
		{"rows", []*Matrix{seq[0], short}, nil, "19 rows"},
		{"knn", seq, &MPHATEOptions{KNN: 20}, "knn = 20"},
		{"mode", seq, &MPHATEOptions{Mode: "layers"}, "unknown mode"},
		{"gamma", seq, &MPHATEOptions{Gamma: Float(2)}, "gamma = 2"},
	} {
		_, err := MPHATE(c.seq, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "reduce: ") && !strings.Contains(err.Error(), ": reduce: ") {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

func TestFindKnee(t *testing.T) {
	// Steep line then flat line: the knee is at the corner.
	y := make([]float64, 50)
	for i := range y {
		if i < 10 {
			y[i] = 10 - float64(i)
		} else {
			y[i] = 1 - 0.01*float64(i-10)
		}
	}
	if k := findKnee(y); k < 8 || k > 12 {
		t.Errorf("findKnee = %d, want about 10", k)
	}
}

func TestMPHATEUnitsAutoLandmarks(t *testing.T) {
	// 300 units x 4 snapshots = 1200 vertices > 1000: automatic landmarks (1000 spectral clusters).
	const nTrace, nUnits, T = 64, 300, 4
	seq := mphateUnitsSeq(nTrace, nUnits, T)
	r, err := MPHATEFit(seq, &MPHATEOptions{Mode: "units", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.Landmarks < 900 || r.Landmarks > 1000 {
		t.Errorf("automatic landmarks: %d, want about 1000", r.Landmarks)
	}
	labels := make([]int, nUnits)
	for u := range labels {
		labels[u] = u % 3
	}
	s := mphateSilhouette(r.Frames[T-1], labels)
	t.Logf("units, %d landmarks, t = %d: last-frame silhouette %.3f", r.Landmarks, r.T, s)
	if len(r.Frames) != T || r.Frames[0].Rows != nUnits || s < 0.5 {
		t.Errorf("%d frames of %d rows, silhouette %.3f: want %d frames of %d rows, silhouette >= 0.5", len(r.Frames), r.Frames[0].Rows, s, T, nUnits)
	}
}

// TestMPHATELowDimNotALine: a 3-D embedding (a color bottleneck) keeps two dimensions: per-item
// z-scoring of 3 features would put every point on a circle, so "" normalizes the slice instead.
func TestMPHATELowDimNotALine(t *testing.T) {
	seq, _ := mphateSeparating(90, 3, 6, 4)
	r, err := MPHATEFit(seq, &MPHATEOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Normalize != MPHATENormSlice {
		t.Errorf("3 features: normalization %q, want %q", r.Normalize, MPHATENormSlice)
	}
	f := r.Frames[len(r.Frames)-1]
	var sxx, syy, sxy, mx, my float64
	for i := 0; i < f.Rows; i++ {
		mx += float64(f.At(i, 0)) / float64(f.Rows)
		my += float64(f.At(i, 1)) / float64(f.Rows)
	}
	for i := 0; i < f.Rows; i++ {
		x, y := float64(f.At(i, 0))-mx, float64(f.At(i, 1))-my
		sxx, syy, sxy = sxx+x*x, syy+y*y, sxy+x*y
	}
	tr, det := sxx+syy, sxx*syy-sxy*sxy
	l2 := tr/2 - math.Sqrt(math.Max(0, tr*tr/4-det))
	l1 := tr - l2
	t.Logf("last frame: variance ratio of the two axes %.3f", l2/l1)
	if l2/l1 < 0.02 {
		t.Errorf("last frame collapsed to a line: variance ratio %.4f", l2/l1)
	}
	r2, err := MPHATEFit(seq, &MPHATEOptions{Seed: 1, Normalize: MPHATENormItems})
	if err != nil || r2.Normalize != MPHATENormItems {
		t.Errorf("explicit items normalization: %v, %q", err, r2.Normalize)
	}
}
