package reduce

import (
	"errors"
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// lstsqInverse solves the least-squares affine map [y1, y2, 1] W = Z with gonum (QR) and applies it
// to the queries: the reference for InverseLinear.
func lstsqInverse(layout, latent, queries *Matrix) *Matrix {
	n := layout.Rows
	a := mat.NewDense(n, 3, nil)
	z := mat.NewDense(n, latent.Cols, nil)
	for i := 0; i < n; i++ {
		a.SetRow(i, []float64{float64(layout.At(i, 0)), float64(layout.At(i, 1)), 1})
		for j, v := range latent.Row(i) {
			z.Set(i, j, float64(v))
		}
	}
	var w mat.Dense
	if err := w.Solve(a, z); err != nil {
		panic(err)
	}
	out := NewMatrix(queries.Rows, latent.Cols)
	for q := 0; q < queries.Rows; q++ {
		for j := 0; j < latent.Cols; j++ {
			v := w.At(0, j)*float64(queries.At(q, 0)) + w.At(1, j)*float64(queries.At(q, 1)) + w.At(2, j)
			out.Set(q, j, float32(v))
		}
	}
	return out
}

// vizlibInverseKNN is a copy of the vizlib LayoutPath helper that InverseKNN replaces
// (vizlib/vae_tools.go, December 2026), kept to check that the numbers match exactly.
func vizlibInverseKNN(layout, latent, queries *Matrix, k int) *Matrix {
	out := NewMatrix(queries.Rows, latent.Cols)
	type nd struct {
		i int
		d float64
	}
	all := make([]nd, layout.Rows)
	for q := 0; q < queries.Rows; q++ {
		qx, qy := float64(queries.At(q, 0)), float64(queries.At(q, 1))
		for i := range all {
			dx, dy := float64(layout.At(i, 0))-qx, float64(layout.At(i, 1))-qy
			all[i] = nd{i, math.Sqrt(dx*dx + dy*dy)}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
		var wsum float64
		row := make([]float64, latent.Cols)
		for _, p := range all[:k] {
			w := 1 / (p.d + 1e-9)
			wsum += w
			for j, z := range latent.Row(p.i) {
				row[j] += w * float64(z)
			}
		}
		for j := range row {
			out.Set(q, j, float32(row[j]/wsum))
		}
	}
	return out
}

func TestFitInverseMatchesVizlib(t *testing.T) {
	latent, labels := gaussianBlobs(300, 6, 4, 3, 1, 11, 1)
	pca, err := PCA(latent, 2)
	if err != nil {
		t.Fatal(err)
	}
	layout, _ := pca.Transform(latent)
	path, err := ClassPath(layout, labels, 0, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if path.Rows != 7 || path.Cols != 2 {
		t.Fatalf("path [%d, %d], want [7, 2]", path.Rows, path.Cols)
	}
	for _, c := range []struct {
		opts *InverseOptions
		want *Matrix
	}{
		{nil, lstsqInverse(layout, latent, path)},
		{&InverseOptions{Method: InverseKNN}, vizlibInverseKNN(layout, latent, path, 10)},
		{&InverseOptions{Method: InverseKNN, K: 3}, vizlibInverseKNN(layout, latent, path, 3)},
		{&InverseOptions{Method: InverseKNN, K: 1000}, vizlibInverseKNN(layout, latent, path, 300)},
	} {
		inv, err := FitInverse(layout, latent, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inv.Map(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != 7 || got.Cols != 6 {
			t.Fatalf("%+v: codes [%d, %d], want [7, 6]", c.opts, got.Rows, got.Cols)
		}
		tol := 0.0 // InverseKNN: the same numbers as vizlib's
		if c.opts == nil {
			tol = 1e-4 // normal equations vs QR
		}
		for i := range got.Data {
			if math.Abs(float64(got.Data[i]-c.want.Data[i])) > tol {
				t.Fatalf("%+v: code %d = %v, vizlib's %v", c.opts, i, got.Data[i], c.want.Data[i])
			}
		}
	}
	// For a PCA layout the linear inverse is inverse PCA: mean + V y.
	inv, _ := FitInverse(layout, latent, nil)
	codes, _ := inv.Map(path)
	for s := 0; s < path.Rows; s++ {
		for j := 0; j < 6; j++ {
			want := pca.Mean[j]
			for c := 0; c < 2; c++ {
				want += float64(pca.Components.At(c, j)) * float64(path.At(s, c))
			}
			if math.Abs(float64(codes.At(s, j))-want) > 1e-3 {
				t.Errorf("step %d dim %d: %v, inverse PCA %v", s, j, codes.At(s, j), want)
			}
		}
	}
	// The path runs between the class centroids.
	for j := 0; j < 2; j++ {
		var a float64
		var na int
		for i, l := range labels {
			if l == 0 {
				a += float64(layout.At(i, j))
				na++
			}
		}
		if got := float64(path.At(0, j)); math.Abs(got-a/float64(na)) > 1e-5 {
			t.Errorf("path start %v, centroid of class 0 %v", got, a/float64(na))
		}
	}
}

func TestFitInverseErrors(t *testing.T) {
	line := NewMatrix(10, 2)
	latent := NewMatrix(10, 3)
	for i := 0; i < 10; i++ {
		line.Set(i, 0, float32(i))
		line.Set(i, 1, float32(2*i))
	}
	if _, err := FitInverse(line, latent, nil); !errors.Is(err, ErrDegenerateLayout) {
		t.Errorf("collinear layout: %v, want ErrDegenerateLayout", err)
	}
	if _, err := FitInverse(line, NewMatrix(9, 3), nil); err == nil {
		t.Error("row mismatch: no error")
	}
	if _, err := FitInverse(line, latent, &InverseOptions{Method: "spline"}); err == nil {
		t.Error("unknown method: no error")
	}
	labels := []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	for _, c := range []struct {
		from, to int32
		steps    int
	}{{0, 0, 5}, {0, 2, 5}, {0, 1, 1}} {
		if _, err := ClassPath(line, labels, c.from, c.to, c.steps); err == nil {
			t.Errorf("ClassPath(%d, %d, %d steps): no error", c.from, c.to, c.steps)
		}
	}
}
