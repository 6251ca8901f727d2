package reduce

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMPHATESeededKernelMatchesUnseeded checks that building each snapshot's kernel rows from the
// previous snapshot's neighbours (one scan) gives the multislice kernel of two independent scans
// per snapshot, entry for entry: on a slowly drifting sequence (the seeds' bound holds), one whose
// points are shuffled between snapshots (the seeds are unrelated items: a loose bound, many
// candidates), and one with triplicated points (sigma from the first positive distance: beyond the bound, the exact
// fallback).
func TestMPHATESeededKernelMatchesUnseeded(t *testing.T) {
	drift := func(n, T, d int, shuffleAt int, dup bool) []*Matrix {
		rng := rand.New(rand.NewPCG(3, 4))
		base := NewMatrix(n, d)
		for i := range base.Data {
			base.Data[i] = float32(rng.NormFloat64()) + float32(i/d%5)*2
		}
		seq := make([]*Matrix, T)
		for s := range seq {
			m := NewMatrix(n, d)
			for i := range m.Data {
				base.Data[i] += 0.05 * float32(rng.NormFloat64())
				m.Data[i] = base.Data[i]
			}
			if s == shuffleAt {
				perm := rng.Perm(n)
				for i, p := range perm {
					copy(m.Row(i), base.Row(p))
				}
			}
			if dup {
				for i := 0; i+2 < n; i += 7 { // three copies: with knn 2, sigma is past the copies
					copy(m.Row(i+1), m.Row(i))
					copy(m.Row(i+2), m.Row(i))
				}
			}
			seq[s] = m
		}
		return seq
	}
	cases := []struct {
		name string
		seq  []*Matrix
	}{
		{"drift", drift(600, 6, 12, -1, false)},
		{"shuffled", drift(500, 4, 5, 2, false)},
		{"duplicates", drift(400, 4, 9, -1, true)},
		{"odd sizes", drift(203, 3, 33, 1, false)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, knn := range []int{2, 5} {
				got, err := mphateKernel(c.seq, knn, 5, 3, 0)
				if err != nil {
					t.Fatal(err)
				}
				mphateNoSeeds = true
				want, err := mphateKernel(c.seq, knn, 5, 3, 0)
				mphateNoSeeds = false
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Val) != len(want.Val) {
					t.Fatalf("knn %d: %d entries, want %d", knn, len(got.Val), len(want.Val))
				}
				for i := range got.RowPtr {
					if got.RowPtr[i] != want.RowPtr[i] {
						t.Fatalf("knn %d: row %d starts at %d, want %d", knn, i, got.RowPtr[i], want.RowPtr[i])
					}
				}
				for p := range got.Val {
					if got.Col[p] != want.Col[p] || got.Val[p] != want.Val[p] {
						t.Fatalf("knn %d: entry %d = (%d, %g), want (%d, %g)", knn, p, got.Col[p], got.Val[p], want.Col[p], want.Val[p])
					}
				}
			}
		})
	}
}

// TestMPHATESqDist checks the SIMD squared distance against the portable one bit for bit and
// against a plain float64 sum within rounding, for lengths around the 16-coordinate steps.
func TestMPHATESqDist(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 48, 100, 784} {
		for trial := 0; trial < 50; trial++ {
			a, b := make([]float32, n), make([]float32, n+3)
			for i := range a {
				a[i] = float32(rng.NormFloat64() * 10)
				b[i] = float32(rng.NormFloat64() * 10)
			}
			got, gen := mphateSqDist(a, b), mphateSqDistGeneric(a, b)
			if got != gen {
				t.Fatalf("n %d: mphateSqDist %v, generic %v", n, got, gen)
			}
			var want float64
			for i := range a {
				e := float64(a[i]) - float64(b[i])
				want += e * e
			}
			if math.Abs(got-want) > 1e-12*want {
				t.Fatalf("n %d: %v, plain sum %v", n, got, want)
			}
		}
	}
}

// TestMPHATEPowInt checks the integer power against math.Pow, bit for bit, on the kernel's range.
func TestMPHATEPowInt(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for k := 1; k <= 12; k++ {
		for trial := 0; trial < 2000; trial++ {
			x := rng.Float64() * 3
			if trial == 0 {
				x = 0
			}
			if got, want := mphatePowInt(x, k), math.Pow(x, float64(k)); got != want {
				t.Fatalf("%v^%d = %v, math.Pow %v", x, k, got, want)
			}
		}
	}
	if got, want := mphatePow(0.7, 2.5), math.Pow(0.7, 2.5); got != want {
		t.Fatalf("non-integer decay: %v, want %v", got, want)
	}
}

// TestSelectKth checks the order statistic against sorting, with ties and every k.
func TestSelectKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 2, 15, 16, 17, 50, 200} {
		for _, levels := range []int{3, 1000000} { // many ties, or almost none
			a := make([]float64, n)
			for i := range a {
				a[i] = float64(rng.IntN(levels))
			}
			sorted := slices.Clone(a)
			slices.Sort(sorted)
			for k := range n {
				b := slices.Clone(a)
				if got := selectKth(b, k); got != sorted[k] {
					t.Fatalf("n %d, k %d: %v, want %v", n, k, got, sorted[k])
				}
			}
		}
	}
}

// TestMPHATESeededRowsFallbacks checks that the seeds' bound holds on a slowly drifting snapshot
// (no item is tested against every item: a bound too tight by a rounding, e.g. of the float32
// sigma, sent 10-20% of real items down that O(n) path) and that triplicated points, whose sigma
// lies past the bound, take it.
func TestMPHATESeededRowsFallbacks(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n, d := 800, 16
	prev, cur := NewMatrix(n, d), NewMatrix(n, d)
	for i := range prev.Data {
		prev.Data[i] = float32(rng.NormFloat64())
		cur.Data[i] = prev.Data[i] + 0.02*float32(rng.NormFloat64())
	}
	triplicate := func(m *Matrix) *Matrix {
		out := NewMatrix(n, d)
		copy(out.Data, m.Data)
		for i := 0; i+2 < n; i += 10 {
			copy(out.Row(i+1), out.Row(i))
			copy(out.Row(i+2), out.Row(i))
		}
		return out
	}
	radiusScale := math.Pow(-math.Log(1e-4), 1.0/5)
	for _, c := range []struct {
		name string
		dup  bool
	}{{"drift", false}, {"triplicates", true}} {
		p, x := prev, cur
		if c.dup { // triplicated in both snapshots: the seeds include the copies (distance 0)
			p, x = triplicate(prev), triplicate(cur)
		}
		nb, err := KNN(p, 10, Euclidean)
		if err != nil {
			t.Fatal(err)
		}
		_, _, fallbacks := mphateSeededRows(x, 2, 10, nb.Index, radiusScale, 5, 1e-4, parallelRanges)
		switch {
		case !c.dup && fallbacks != 0:
			t.Errorf("%s: %d of %d items tested against every item, want 0", c.name, fallbacks, n)
		case c.dup && fallbacks < 3*n/10/2:
			t.Errorf("%s: %d items tested against every item, want the ~%d triplicated ones", c.name, fallbacks, 3*n/10)
		}
	}
}
