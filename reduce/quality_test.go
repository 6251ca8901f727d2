package reduce

import (
	"math"
	"strings"
	"testing"
)

func TestTrustworthinessVsSklearn(t *testing.T) {
	x, _ := anFashion(t, 1000)
	low, err := PCAProject(MatrixFrom(1000, 784, x.Data), 2)
	if err != nil {
		t.Fatal(err)
	}
	syn := anRandom(500, 20, 3)
	synLow := MatrixFrom(500, 2, append([]float32(nil), syn.Data[:1000]...)) // not a projection of syn: poor
	for i := 0; i < 500; i++ {
		synLow.Set(i, 0, syn.At(i, 0)+0.3*syn.At(i, 5))
		synLow.Set(i, 1, syn.At(i, 1))
	}
	dir := t.TempDir()
	xp, lp, sp, slp := anNpy(t, dir, "x", x), anNpy(t, dir, "low", low), anNpy(t, dir, "s", syn), anNpy(t, dir, "sl", synLow)
	var ref struct{ Results []map[string]float64 }
	anReference(t, map[string]any{"op": "batch", "ops": []map[string]any{
		{"op": "trustworthiness", "high": xp, "low": lp, "k": 10},
		{"op": "trustworthiness", "high": xp, "low": lp, "k": 5, "metric": "cosine"},
		{"op": "trustworthiness", "high": sp, "low": slp, "k": 7},
	}}, &ref)
	for c, tc := range []struct {
		high, low *Matrix
		k         int
		metric    Metric
	}{{x, low, 10, Euclidean}, {x, low, 5, Cosine}, {syn, synLow, 7, ""}} {
		got, err := Trustworthiness(tc.high, tc.low, tc.k, &QualityOptions{Metric: tc.metric})
		if err != nil {
			t.Fatal(err)
		}
		want := ref.Results[c]["t"]
		t.Logf("trustworthiness k=%d %s: %.10f, sklearn %.10f (%+.1e)", tc.k, tc.metric, got, want, got-want)
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("case %d: trustworthiness %.10f, sklearn %.10f", c, got, want)
		}
	}
}

func TestKNNPreservation(t *testing.T) {
	x := anRandom(300, 6, 1)
	if p, err := KNNPreservation(x, x, 10, nil); err != nil || p != 1 {
		t.Fatalf("identical embeddings: %v, %v", p, err)
	}
	// Preservation after a rotation is still 1; after replacing by noise it is about k/(n-1).
	r, _ := Procrustes(x, anRandom(300, 6, 2), nil)
	p, err := KNNPreservation(x, r, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p > 0.1 {
		t.Fatalf("unrelated embeddings share %.3f of their neighbours", p)
	}
	tw, err := Trustworthiness(x, x, 10, nil)
	if err != nil || math.Abs(tw-1) > 1e-12 {
		t.Fatalf("trustworthiness of identity: %v, %v", tw, err)
	}
	if _, err := Trustworthiness(x, x, 150, nil); err == nil || !strings.Contains(err.Error(), "k = 150") {
		t.Fatalf("k >= n/2: %v", err)
	}
	if _, err := KNNPreservation(x, anRandom(299, 2, 1), 5, nil); err == nil {
		t.Fatal("row mismatch accepted")
	}
}
