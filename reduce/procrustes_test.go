package reduce

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// rotate returns s * x R + t for a 2-D rotation by angle (and optional mirror of the first axis).
func anTransform2D(x *Matrix, angle, s float64, mirror bool, tx, ty float64) *Matrix {
	out := NewMatrix(x.Rows, 2)
	c, sn := math.Cos(angle), math.Sin(angle)
	for i := 0; i < x.Rows; i++ {
		a, b := float64(x.At(i, 0)), float64(x.At(i, 1))
		if mirror {
			a = -a
		}
		out.Set(i, 0, float32(s*(c*a-sn*b)+tx))
		out.Set(i, 1, float32(s*(sn*a+c*b)+ty))
	}
	return out
}

func anMaxDiff(a, b *Matrix) float64 {
	var m float64
	for i := range a.Data {
		m = max(m, math.Abs(float64(a.Data[i])-float64(b.Data[i])))
	}
	return m
}

func TestProcrustesRecoversTransform(t *testing.T) {
	ref := anRandom(200, 2, 4)
	for _, tc := range []struct {
		name   string
		x      *Matrix
		opts   *ProcrustesOptions
		maxErr float64
	}{
		{"rotation+translation (default)", anTransform2D(ref, 1.1, 1, false, 3, -2), nil, 1e-5},
		{"reflection (default allows it)", anTransform2D(ref, 0.4, 1, true, 1, 1), &ProcrustesOptions{}, 1e-5},
		{"scaled", anTransform2D(ref, -2.0, 0.25, false, 0, 5), &ProcrustesOptions{Scale: true}, 1e-5},
		{"no translate, pure rotation", anTransform2D(ref, 2.5, 1, false, 0, 0), &ProcrustesOptions{NoTranslate: true}, 1e-5},
	} {
		got, err := Procrustes(ref, tc.x, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if e := anMaxDiff(ref, got); e > tc.maxErr {
			t.Errorf("%s: max error %.3g after alignment", tc.name, e)
		}
	}
	// A mirrored copy cannot be matched by a proper rotation: the residual stays large and det R = +1.
	mir := anTransform2D(ref, 0.3, 1, true, 0, 0)
	got, err := Procrustes(ref, mir, &ProcrustesOptions{NoReflection: true})
	if err != nil {
		t.Fatal(err)
	}
	if e := anMaxDiff(ref, got); e < 0.1 {
		t.Errorf("NoReflection matched a mirror image (max error %.3g)", e)
	}
	// With NoReflection the optimal rotation still helps: residual no worse than the unaligned one.
	r, _, _, _ := procrustesFit(ref, mir, &ProcrustesOptions{NoReflection: true})
	if det := r.At(0, 0)*r.At(1, 1) - r.At(0, 1)*r.At(1, 0); math.Abs(det-1) > 1e-9 {
		t.Errorf("det R = %v with NoReflection", det)
	}
	// Higher dimension: a random orthogonal 5x5 transform is undone.
	x5 := anRandom(100, 5, 8)
	q, _ := PCA(anRandom(50, 5, 9), 5) // its axes form an orthogonal matrix
	y5 := anTransform(x5, q.Components, 1, 1)
	got, err = Procrustes(x5, y5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := anMaxDiff(x5, got); e > 1e-4 {
		t.Errorf("5-D: max error %.3g", e)
	}
}

func TestProcrustesErrors(t *testing.T) {
	if _, err := Procrustes(anRandom(10, 2, 1), anRandom(10, 3, 1), nil); err == nil || !strings.Contains(err.Error(), "[10, 2] but x is [10, 3]") {
		t.Errorf("shape mismatch: %v", err)
	}
	bad := anRandom(10, 2, 1)
	bad.Data[3] = float32(math.NaN())
	if _, err := Procrustes(anRandom(10, 2, 1), bad, nil); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("NaN: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	x := anRandom(300, 3, 2)
	for i := range x.Data {
		x.Data[i] = x.Data[i]*7 + 4
	}
	y := Normalize(x)
	mean := columnMeans(y)
	var ss float64
	for _, v := range y.Data {
		ss += float64(v) * float64(v)
	}
	for _, m := range mean {
		if math.Abs(m) > 1e-5 {
			t.Fatalf("column means %v", mean)
		}
	}
	if sd := math.Sqrt(ss / float64(len(y.Data))); math.Abs(sd-1) > 1e-5 {
		t.Fatalf("std %v", sd)
	}
	c := Normalize(MatrixFrom(2, 2, []float32{3, 3, 3, 3}))
	for _, v := range c.Data {
		if v != 0 {
			t.Fatalf("constant matrix normalized to %v", c.Data)
		}
	}
}

func ExampleProcrustes() {
	ref := MatrixFrom(3, 2, []float32{0, 0, 1, 0, 0, 1})
	// The same triangle rotated by 90 degrees and shifted.
	x := MatrixFrom(3, 2, []float32{5, 5, 5, 6, 4, 5})
	y, err := Procrustes(ref, x, nil)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		fmt.Printf("%.3f %.3f\n", y.At(i, 0)+0, y.At(i, 1)+0)
	}
	// Output:
	// 0.000 0.000
	// 1.000 0.000
	// 0.000 1.000
}
