package reduce

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestCKAvsNumpy(t *testing.T) {
	fm, _ := anFashion(t, 600)
	// Real data: raw Fashion-MNIST pixels vs a 20-D random feature map tanh(x W) of them.
	w := anRandom(784, 20, 5)
	proj := NewMatrix(fm.Rows, 20)
	for i := 0; i < fm.Rows; i++ {
		for k := 0; k < 20; k++ {
			var s float64
			for j := 0; j < 784; j++ {
				s += float64(fm.At(i, j)) * float64(w.At(j, k))
			}
			proj.Set(i, k, float32(math.Tanh(s/10)))
		}
	}
	synthA := anRandom(400, 10, 1)
	synthB := anRandom(400, 7, 2)
	for i := 0; i < 400; i++ { // b partly a linear function of a
		for j := 0; j < 7; j++ {
			synthB.Data[i*7+j] += 0.8*synthA.Data[i*10+j] - 0.3*synthA.Data[i*10+j+3]
		}
	}
	cases := []struct {
		name string
		a, b *Matrix
	}{{"fashion", fm, proj}, {"synthetic", synthA, synthB}}
	dir := t.TempDir()
	var ops []map[string]any
	for i, tc := range cases {
		ops = append(ops, map[string]any{"op": "cka", "a": anNpy(t, dir, fmt.Sprint("a", i), tc.a), "b": anNpy(t, dir, fmt.Sprint("b", i), tc.b), "sigma": 0.8})
	}
	var refs struct {
		Results []struct {
			Linear     float64 `json:"linear"`
			LinearGram float64 `json:"linear_gram"`
			Debiased   float64 `json:"debiased"`
			RBF        float64 `json:"rbf"`
		}
	}
	anReference(t, map[string]any{"op": "batch", "ops": ops}, &refs)
	for i, tc := range cases {
		ref := refs.Results[i]
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(ref.Linear-ref.LinearGram) > 1e-9 {
				t.Fatalf("reference disagrees with itself: %v vs %v", ref.Linear, ref.LinearGram)
			}
			lin, err := LinearCKA(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			deb, err := DebiasedCKA(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			rbf, err := RBFCKA(tc.a, tc.b, 0.8)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("linear %.8f (numpy %+.1e), debiased %.8f (%+.1e), rbf %.8f (%+.1e)", lin, lin-ref.Linear, deb, deb-ref.Debiased, rbf, rbf-ref.RBF)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"linear", lin, ref.Linear}, {"debiased", deb, ref.Debiased}, {"rbf", rbf, ref.RBF}} {
				if math.Abs(c.got-c.want) > 1e-5 {
					t.Errorf("%s CKA = %.8f, numpy %.8f", c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestCKAInvariances(t *testing.T) {
	a := anRandom(300, 5, 3)
	// Isotropic scaling + translation + orthogonal transform of the features keeps linear CKA at 1.
	q, _ := PCA(anRandom(40, 5, 4), 5)
	c := anTransform(a, q.Components, 4, -1)
	for _, kind := range []CKAKind{LinearKind, DebiasedKind, RBFKind} {
		v, err := CKA(a, c, &CKAOptions{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(v-1) > 1e-5 {
			t.Errorf("%s CKA of a rotated, scaled copy = %v, want 1", kind, v)
		}
	}
	// Independent noise gives a small linear CKA.
	v, _ := LinearCKA(a, anRandom(300, 5, 99))
	if v > 0.1 {
		t.Errorf("CKA of independent data = %v", v)
	}
	d, _ := DebiasedCKA(a, anRandom(300, 5, 99))
	if math.Abs(d) > 0.03 {
		t.Errorf("debiased CKA of independent data = %v, want about 0", d)
	}
}

func TestCKAErrors(t *testing.T) {
	a := anRandom(10, 3, 1)
	if _, err := LinearCKA(a, anRandom(11, 3, 1)); err == nil || !strings.Contains(err.Error(), "10 and 11 rows") {
		t.Errorf("rows mismatch: %v", err)
	}
	if _, err := LinearCKA(a, NewMatrix(10, 3)); err == nil || !strings.Contains(err.Error(), "zero variance") {
		t.Errorf("constant: %v", err)
	}
	if _, err := DebiasedCKA(anRandom(3, 2, 1), anRandom(3, 2, 2)); err == nil {
		t.Error("debiased CKA on 3 samples accepted")
	}
	if _, err := RBFCKA(a, a, -1); err == nil {
		t.Error("negative sigma accepted")
	}
	if _, err := CKA(a, a, &CKAOptions{Kind: "poly"}); err == nil {
		t.Error("unknown kind accepted")
	}
}

func TestDriftAndCKASeries(t *testing.T) {
	// Snapshots that move by a constant step each time: drift with skip s is s * step.
	base := anRandom(50, 4, 1)
	dir := anRandom(50, 4, 2)
	T := 10
	seq := make([]*Matrix, T)
	for i := range seq {
		m := base.Clone()
		for r := 0; r < 50; r++ {
			// unit-length step per row along a random direction
			var s float64
			for j := 0; j < 4; j++ {
				s += float64(dir.At(r, j) * dir.At(r, j))
			}
			for j := 0; j < 4; j++ {
				m.Set(r, j, m.At(r, j)+float32(float64(i)*0.5*float64(dir.At(r, j))/math.Sqrt(s)))
			}
		}
		seq[i] = m
	}
	drift, err := Drift(seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) != 5 {
		t.Fatalf("skips %v", drift)
	}
	for _, s := range DefaultSkips {
		for i, v := range drift[s] {
			if i < s {
				if !math.IsNaN(v) {
					t.Fatalf("drift[%d][%d] = %v, want NaN", s, i, v)
				}
				continue
			}
			if math.Abs(v-0.5*float64(s)) > 1e-5 {
				t.Fatalf("drift[%d][%d] = %v, want %v", s, i, v, 0.5*float64(s))
			}
		}
	}
	calls := 0
	series, err := CKADistanceSeries(seq, []int{1, 3}, &CKAOptions{Progress: func(done, total int, stage string) {
		calls++
		if total != 9+7 || stage != "cka" {
			t.Fatalf("progress %d/%d %s", done, total, stage)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 16 {
		t.Fatalf("%d progress calls", calls)
	}
	for _, s := range []int{1, 3} {
		for i := s; i < T; i++ {
			want, _ := LinearCKA(seq[i], seq[i-s])
			if math.Abs(series[s][i]-(1-want)) > 1e-12 {
				t.Fatalf("series[%d][%d] = %v, want %v", s, i, series[s][i], 1-want)
			}
		}
		if !math.IsNaN(series[s][0]) {
			t.Fatal("series[s][0] not NaN")
		}
	}
	// Farther snapshots are less similar.
	if !(series[3][9] > series[1][9]) {
		t.Errorf("1-CKA at skip 3 (%v) not above skip 1 (%v)", series[3][9], series[1][9])
	}
	deb, err := CKADistanceSeries(seq, []int{2}, &CKAOptions{Kind: DebiasedKind})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DebiasedCKA(seq[5], seq[3])
	if math.Abs(deb[2][5]-(1-want)) > 1e-12 {
		t.Fatalf("debiased series %v vs %v", deb[2][5], 1-want)
	}
	if _, err := Drift(seq, []int{0}); err == nil {
		t.Fatal("skip 0 accepted")
	}
	if _, err := Drift([]*Matrix{seq[0], anRandom(50, 3, 1)}, nil); err == nil {
		t.Fatal("column mismatch accepted")
	}
}

func BenchmarkCKA(b *testing.B) {
	x := anRandom(5000, 64, 1)
	y := anRandom(5000, 32, 2)
	b.Run("linear_n5000", func(b *testing.B) {
		for b.Loop() {
			LinearCKA(x, y)
		}
	})
	b.Run("debiased_n5000", func(b *testing.B) {
		for b.Loop() {
			DebiasedCKA(x, y)
		}
	})
	b.Run("rbf_n5000", func(b *testing.B) {
		for b.Loop() {
			RBFCKA(x, y, 1)
		}
	})
}

func ExampleLinearCKA() {
	a := MatrixFrom(4, 2, []float32{0, 0, 1, 0, 0, 1, 1, 1})
	// b is a rotated, scaled and shifted copy of a: CKA is 1.
	b := MatrixFrom(4, 2, []float32{5, 5, 5, 7, 3, 5, 3, 7})
	v, _ := LinearCKA(a, b)
	fmt.Printf("%.4f\n", v)
	// Output: 1.0000
}
