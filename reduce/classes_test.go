package reduce

import (
	"math"
	"testing"
)

func TestClassMeans(t *testing.T) {
	x := MatrixFrom(5, 2, []float32{1, 2, 3, 4, 10, 10, -1, 0, 7, 7})
	means, counts, err := ClassMeans(x, []int32{0, 0, 2, 2, 5}, 3) // label 5 is skipped
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 3, 0, 0, 4.5, 5}
	for i, v := range want {
		if means.Data[i] != v {
			t.Fatalf("means %v, want %v", means.Data, want)
		}
	}
	if counts[0] != 2 || counts[1] != 0 || counts[2] != 2 {
		t.Errorf("counts %v, want [2 0 2]", counts)
	}
	if _, _, err := ClassMeans(x, []int32{0}, 3); err == nil {
		t.Error("label count mismatch: no error")
	}
}

func TestConfusionMatrix(t *testing.T) {
	m, err := ConfusionMatrix([]int32{0, 0, 1, 2, 2, 2}, []int32{0, 1, 1, 2, 0, 7}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 1, 0, 0, 1, 0, 1, 0, 1} // prediction 7 is not counted
	for i, v := range want {
		if m[i] != v {
			t.Fatalf("confusion %v, want %v", m, want)
		}
	}
	if _, err := ConfusionMatrix([]int32{3}, []int32{0}, 3); err == nil {
		t.Error("label 3 of 3 classes: no error")
	}
	if _, err := ConfusionMatrix([]int32{0, 1}, []int32{0}, 3); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestMatchClustersTable(t *testing.T) {
	for _, c := range []struct {
		name             string
		clusters, labels []int32
		k                int
		class            []int32
		purity           []float64
	}{
		{"permuted", []int32{2, 2, 2, 0, 0, 1, 1, 1}, []int32{0, 0, 1, 1, 1, 2, 2, 2}, 3,
			[]int32{1, 2, 0}, []float64{2.0 / 3, 1, 1}},
		{"empty cluster", []int32{0, 0, 1, 1}, []int32{1, 1, 0, 0}, 3,
			[]int32{1, 0, 2}, []float64{1, 1, math.NaN()}},
		{"more classes than clusters", []int32{0, 0, 1, 1}, []int32{3, 3, 0, 1}, 2,
			[]int32{3, 0}, []float64{0.5, math.NaN(), math.NaN(), 1}},
	} {
		m, err := MatchClusters(c.clusters, c.labels, c.k)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, v := range c.class {
			if m.Class[i] != v {
				t.Errorf("%s: classes %v, want %v", c.name, m.Class, c.class)
				break
			}
		}
		for i, cl := range c.clusters {
			if m.Clusters[i] != m.Class[cl] {
				t.Errorf("%s: point %d renumbered %d, want %d", c.name, i, m.Clusters[i], m.Class[cl])
			}
		}
		if len(m.Purity) != len(c.purity) {
			t.Fatalf("%s: purity %v, want %v", c.name, m.Purity, c.purity)
		}
		for i, v := range c.purity {
			if !(m.Purity[i] == v || math.IsNaN(v) && math.IsNaN(m.Purity[i])) {
				t.Errorf("%s: purity %v, want %v", c.name, m.Purity, c.purity)
				break
			}
		}
	}
	if _, err := MatchClusters([]int32{0, 3}, []int32{0, 1}, 3); err == nil {
		t.Error("cluster 3 of k = 3: no error")
	}
	if _, err := MatchClusters([]int32{0, 1}, []int32{0, -1}, 3); err == nil {
		t.Error("negative label: no error")
	}
}

func TestColumnVariancesAndPriorKL(t *testing.T) {
	x := MatrixFrom(4, 2, []float32{1, 5, 3, 5, 5, 5, 7, 5})
	v, err := ColumnVariances(x)
	if err != nil || v[0] != 5 || v[1] != 0 {
		t.Errorf("ColumnVariances %v (%v), want [5 0]", v, err)
	}
	mu := MatrixFrom(2, 2, []float32{0, 1, 0, -1})
	lv := MatrixFrom(2, 2, []float32{0, 0, 0, 0})
	kl, err := PriorKL(mu, lv)
	if err != nil || kl[0] != 0 || kl[1] != 0.5 {
		t.Errorf("PriorKL %v (%v), want [0 0.5]", kl, err)
	}
}
