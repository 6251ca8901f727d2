package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

// umapDriftSeq returns T snapshots: Fashion-MNIST (PCA 50) points plus a noise that grows with t.
func umapDriftSeq(t *testing.T, n, T int) []*Matrix {
	x, _ := umapFashionPCA(t, n)
	var ss float64
	for _, v := range x.Data {
		ss += float64(v) * float64(v)
	}
	sd := math.Sqrt(ss / float64(len(x.Data)))
	rng := rand.New(rand.NewPCG(9, 9))
	noise := make([]float64, len(x.Data))
	for i := range noise {
		noise[i] = rng.NormFloat64() * sd
	}
	var seq []*Matrix
	for s := 0; s < T; s++ {
		m := x.Clone()
		for i := range m.Data {
			m.Data[i] += float32(0.08 * float64(s) * noise[i])
		}
		seq = append(seq, m)
	}
	return seq
}

// umapMeanStep is the mean over consecutive frame pairs of the mean point displacement.
func umapMeanStep(frames []*Matrix) float64 {
	var s float64
	for f := 1; f < len(frames); f++ {
		d, _ := MeanDistance(frames[f-1], frames[f])
		s += d
	}
	return s / float64(len(frames)-1)
}

func TestUMAPFramesWarmAndAligned(t *testing.T) {
	const n, T = 400, 4
	seq := umapDriftSeq(t, n, T)
	base := UMAPOptions{Seed: 1, Threads: 1}
	// Independent UMAPs, normalized and registered the same way: the baseline for continuity.
	indep := make([]*Matrix, T)
	for f, x := range seq {
		o := base
		o.Seed = int64(f + 10)
		y, err := UMAP(x, &o)
		if err != nil {
			t.Fatal(err)
		}
		indep[f] = Normalize(y)
		if f > 0 {
			indep[f], _ = Procrustes(indep[f-1], indep[f], nil)
		}
	}
	calls := 0
	warm, err := UMAPFrames(seq, &UMAPAnimOptions{UMAP: base, Progress: func(done, total int, stage string) {
		if stage == "umap frames" && total == T {
			calls++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != T {
		t.Errorf("warm progress called %d times for stage umap frames, want %d", calls, T)
	}
	aligned, err := UMAPFrames(seq, &UMAPAnimOptions{UMAP: base, Mode: "aligned"})
	if err != nil {
		t.Fatal(err)
	}
	si, sw, sa := umapMeanStep(indep), umapMeanStep(warm), umapMeanStep(aligned)
	t.Logf("mean frame-to-frame displacement (unit-variance frames): independent %.3f, warm %.3f, aligned %.3f", si, sw, sa)
	for name, fr := range map[string][]*Matrix{"warm": warm, "aligned": aligned} {
		if len(fr) != T {
			t.Fatalf("%s: %d frames, want %d", name, len(fr), T)
		}
		for f, m := range fr {
			if m.Rows != n || m.Cols != 2 || m.Validate() != nil {
				t.Fatalf("%s frame %d: [%d, %d] %v", name, f, m.Rows, m.Cols, m.Validate())
			}
		}
		tw0 := umapTrust(t, seq[0], fr[0], 10)
		twL := umapTrust(t, seq[T-1], fr[T-1], 10)
		ti := umapTrust(t, seq[T-1], indep[T-1], 10)
		t.Logf("%s: trustworthiness@10 first %.4f, last %.4f (independent last %.4f)", name, tw0, twL, ti)
		if twL < ti-0.02 {
			t.Errorf("%s: last frame trustworthiness %.4f more than 0.02 below an independent UMAP's %.4f", name, twL, ti)
		}
	}
	if sw > 0.7*si || sa > 0.7*si {
		t.Errorf("animations should move less than independent UMAPs: warm %.3f, aligned %.3f vs independent %.3f", sw, sa, si)
	}
}

func TestUMAPFramesErrors(t *testing.T) {
	seq := []*Matrix{NewMatrix(30, 3), NewMatrix(31, 3)}
	if _, err := UMAPFrames(seq, nil); err == nil {
		t.Error("snapshots with different rows: no error")
	}
	x := NewMatrix(30, 3)
	if _, err := UMAPFrames([]*Matrix{x}, &UMAPAnimOptions{Mode: "joint"}); err == nil {
		t.Error("unknown mode: no error")
	}
}

// TestUMAPFramesWarmKNN: with NN-descent graphs and WarmKNN, a frame's neighbours start from the
// previous frame's graph (umapFrameNeighbors) and reach the recall of a fresh search on snapshots
// that move little; the animation keeps the trustworthiness of the one with fresh searches within 0.01.
func TestUMAPFramesWarmKNN(t *testing.T) {
	const n, T = 800, 4
	seq := umapDriftSeq(t, n, T)
	base := UMAPOptions{Seed: 1, Threads: 1, KNNMethod: "nndescent"}
	p, err := base.resolve(n)
	if err != nil {
		t.Fatal(err)
	}
	k := p.nNeighbors - 1
	exact, err := KNN(seq[T-1], k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	recall := func(nb *Neighbors) float64 { return knnRecall(exact, nb, k) }
	prev, err := umapFrameNeighbors(seq[T-2], &base, p, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		warm bool
	}{{"from the previous graph", true}, {"fresh", false}} {
		nb, err := umapFrameNeighbors(seq[T-1], &base, p, prev, tc.warm)
		if err != nil {
			t.Fatal(err)
		}
		r := recall(nb)
		t.Logf("%s: recall %.4f", tc.name, r)
		if r < 0.95 {
			t.Errorf("%s: recall %.4f < 0.95", tc.name, r)
		}
	}
	var trust [2]float64
	for i, warm := range []bool{true, false} {
		fr, err := UMAPFrames(seq, &UMAPAnimOptions{UMAP: base, WarmKNN: warm})
		if err != nil {
			t.Fatal(err)
		}
		trust[i] = umapTrust(t, seq[T-1], fr[T-1], 10)
	}
	t.Logf("last-frame trustworthiness@10: warm kNN %.4f, fresh %.4f", trust[0], trust[1])
	if trust[0] < trust[1]-0.01 {
		t.Errorf("warm kNN trustworthiness %.4f more than 0.01 below fresh searches' %.4f", trust[0], trust[1])
	}
}

// TestUMAPAdaptiveFrame: an adaptive warm frame's epochs grow with the fraction of new neighbour
// entries (umapAdaptiveEpochs), a graph that barely changed is used as refined, and one that
// changed a lot is searched again: with NN-descent from the refined graph (recall of the exact
// graph at least 0.95), or as UMAP does (nil) for exact searches and with WarmKNN.
func TestUMAPAdaptiveFrame(t *testing.T) {
	for _, tc := range []struct {
		changed float64
		want    int
	}{{0, umapMinFrameEpochs}, {0.05, umapMinFrameEpochs}, {0.1, 25}, {0.15, 38}, {0.2, 50}, {0.4, umapFullFrameEpochs}, {0.9, umapFullFrameEpochs}} {
		if got := umapAdaptiveEpochs(tc.changed); got != tc.want {
			t.Errorf("umapAdaptiveEpochs(%v) = %d, want %d", tc.changed, got, tc.want)
		}
	}
	const n = 800
	x, _ := umapFashionPCA(t, n)
	rng := rand.New(rand.NewPCG(3, 4))
	other := NewMatrix(n, x.Cols)
	for i := range other.Data {
		other.Data[i] = float32(rng.NormFloat64())
	}
	for _, tc := range []struct {
		name      string
		method    string
		warm      bool
		same      bool // prev is x's own graph
		wantGraph bool
		wantLR    float64
		wantEp    int
	}{
		{"unchanged", "nndescent", false, true, true, umapSmoothLR, umapMinFrameEpochs},
		{"new, nndescent", "nndescent", false, false, true, 1, umapFullFrameEpochs},
		{"new, exact", "exact", false, false, false, 1, umapFullFrameEpochs},
		{"new, WarmKNN", "nndescent", true, false, false, 1, umapFullFrameEpochs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := UMAPOptions{Seed: 1, Threads: 1, KNNMethod: tc.method}
			p, err := u.resolve(n)
			if err != nil {
				t.Fatal(err)
			}
			k := p.nNeighbors - 1
			exact, err := KNN(x, k, Euclidean)
			if err != nil {
				t.Fatal(err)
			}
			prev := exact
			if !tc.same {
				if prev, err = KNN(other, k, Euclidean); err != nil {
					t.Fatal(err)
				}
			}
			knn, ep, lr, err := umapAdaptiveFrame(x, prev, &u, p, tc.warm)
			if err != nil {
				t.Fatal(err)
			}
			if (knn != nil) != tc.wantGraph || ep != tc.wantEp || lr != tc.wantLR {
				t.Fatalf("graph %v, %d epochs, learning rate factor %v; want graph %v, %d, %v", knn != nil, ep, lr, tc.wantGraph, tc.wantEp, tc.wantLR)
			}
			if knn != nil {
				r := knnRecall(exact, knn, k)
				t.Logf("recall %.4f", r)
				if r < 0.95 {
					t.Errorf("recall %.4f < 0.95", r)
				}
			}
		})
	}
}
