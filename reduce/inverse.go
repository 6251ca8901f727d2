package reduce

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// InverseMethod selects how FitInverse maps 2-D layout points back to the latent space.
type InverseMethod string

const (
	// InverseLinear fits the affine map z ≈ W·y + b from layout points y to latent codes z by
	// least squares over all points. For a PCA layout (y = Vᵀ(z - mean)) it is exactly inverse
	// PCA, z = mean + V·y: the point of the principal plane.
	InverseLinear InverseMethod = "linear"
	// InverseKNN maps y to the inverse-distance-weighted mean of the latent codes of its K nearest
	// layout points (weights 1/(distance + 1e-9)): for t-SNE and UMAP, which have no inverse.
	InverseKNN InverseMethod = "knn"
)

// ErrDegenerateLayout is returned (wrapped) by FitInverse with InverseLinear when the layout
// points lie on a line, so that no affine map from the plane is determined.
var ErrDegenerateLayout = errors.New("reduce: the layout is degenerate (its points lie on a line)")

// InverseOptions configures FitInverse. The zero value (or nil) means InverseLinear.
type InverseOptions struct {
	// Method is InverseLinear ("" means it) or InverseKNN.
	Method InverseMethod
	// K is the number of neighbours of InverseKNN; 0 (or negative) means 10. It is capped at n.
	K int
}

// InverseMap maps points of a 2-D layout back to the latent space it was computed from. Make it
// with FitInverse.
type InverseMap struct {
	method InverseMethod
	k      int
	w      [][3]float64 // InverseLinear: z_j = w[j]·(y1, y2, 1)
	layout *Matrix      // InverseKNN: [n, 2+]
	latent *Matrix      // InverseKNN: [n, d]
	d      int
}

// FitInverse fits an inverse map from layout ([n, 2] or wider: the first two columns are used,
// e.g. a PCA, t-SNE or UMAP layout) to latent ([n, d], the codes the layout was computed from, row
// i of both the same point). opts may be nil (InverseLinear).
//
// InverseLinear solves the normal equations (AᵀA) W = AᵀZ with A = [y1, y2, 1] ([n, 3]) by the
// cofactor inverse of the 3x3 AᵀA; it fails with ErrDegenerateLayout when
// |det AᵀA| < 1e-12 |a11 a22 a33|. InverseKNN keeps the layout and the codes (no copy: do not
// modify them while the map is in use).
func FitInverse(layout, latent *Matrix, opts *InverseOptions) (*InverseMap, error) {
	var o InverseOptions
	if opts != nil {
		o = *opts
	}
	if layout == nil || latent == nil {
		return nil, errors.New("reduce: FitInverse: nil layout or latent codes")
	}
	if err := layout.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: FitInverse: layout: %w", err)
	}
	if err := latent.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: FitInverse: latent codes: %w", err)
	}
	if layout.Cols < 2 || layout.Rows != latent.Rows {
		return nil, fmt.Errorf("reduce: FitInverse: layout is [%d, %d] and latent codes [%d, %d]; want [n, 2] and [n, d]",
			layout.Rows, layout.Cols, latent.Rows, latent.Cols)
	}
	m := &InverseMap{method: o.Method, d: latent.Cols}
	switch o.Method {
	case "", InverseLinear:
		m.method = InverseLinear
		var err error
		if m.w, err = fitAffine2(layout, latent); err != nil {
			return nil, err
		}
	case InverseKNN:
		m.k = o.K
		if m.k <= 0 {
			m.k = 10
		}
		m.k = min(m.k, layout.Rows)
		m.layout, m.latent = layout, latent
	default:
		return nil, fmt.Errorf("reduce: FitInverse: unknown method %q (want %q or %q)", o.Method, InverseLinear, InverseKNN)
	}
	return m, nil
}

// Map returns the latent codes [m, d] of points ([m, 2] or wider: the first two columns are used).
func (m *InverseMap) Map(points *Matrix) (*Matrix, error) {
	if points == nil || points.Cols < 2 || len(points.Data) != points.Rows*points.Cols {
		return nil, errors.New("reduce: InverseMap: points must be a [m, 2] matrix")
	}
	out := NewMatrix(points.Rows, m.d)
	if m.method == InverseKNN {
		m.mapKNN(points, out)
		return out, nil
	}
	for q := 0; q < points.Rows; q++ {
		a := [3]float64{float64(points.At(q, 0)), float64(points.At(q, 1)), 1}
		for j, w := range m.w {
			var v float64
			for r := 0; r < 3; r++ {
				v += w[r] * a[r]
			}
			out.Set(q, j, float32(v))
		}
	}
	return out, nil
}

// fitAffine2 returns W ([d][3]) minimizing ||A Wᵀ - Z||, A = [y1, y2, 1].
func fitAffine2(layout, latent *Matrix) ([][3]float64, error) {
	var ata [3][3]float64
	atz := make([][3]float64, latent.Cols)
	for i := 0; i < layout.Rows; i++ {
		a := [3]float64{float64(layout.At(i, 0)), float64(layout.At(i, 1)), 1}
		for r := 0; r < 3; r++ {
			for s := 0; s < 3; s++ {
				ata[r][s] += a[r] * a[s]
			}
		}
		for j, z := range latent.Row(i) {
			for r := 0; r < 3; r++ {
				atz[j][r] += a[r] * float64(z)
			}
		}
	}
	inv, ok := invert3(ata)
	if !ok {
		return nil, fmt.Errorf("reduce: FitInverse: %w (%d points)", ErrDegenerateLayout, layout.Rows)
	}
	w := make([][3]float64, len(atz))
	for j := range atz {
		for r := 0; r < 3; r++ { // W[j][r] = Σ_s inv[r][s] atz[j][s]
			for s := 0; s < 3; s++ {
				w[j][r] += inv[r][s] * atz[j][s]
			}
		}
	}
	return w, nil
}

// invert3 inverts a symmetric 3x3 matrix by cofactors; false when it is (near) singular.
func invert3(m [3][3]float64) ([3][3]float64, bool) {
	var c [3][3]float64
	for r := 0; r < 3; r++ {
		for s := 0; s < 3; s++ {
			r1, r2 := (r+1)%3, (r+2)%3
			s1, s2 := (s+1)%3, (s+2)%3
			c[s][r] = m[r1][s1]*m[r2][s2] - m[r1][s2]*m[r2][s1]
		}
	}
	det := m[0][0]*c[0][0] + m[0][1]*c[1][0] + m[0][2]*c[2][0]
	scale := math.Abs(m[0][0]*m[1][1]*m[2][2]) + 1e-300
	if math.Abs(det) < 1e-12*scale {
		return c, false
	}
	for r := range c {
		for s := range c[r] {
			c[r][s] /= det
		}
	}
	return c, true
}

// mapKNN sets out's rows to the inverse-distance-weighted means of the codes of the k nearest
// layout points of each query (Euclidean distance in the plane, computed in float64).
func (m *InverseMap) mapKNN(queries, out *Matrix) {
	type nd struct {
		i int
		d float64
	}
	all := make([]nd, m.layout.Rows)
	row := make([]float64, m.d)
	for q := 0; q < queries.Rows; q++ {
		qx, qy := float64(queries.At(q, 0)), float64(queries.At(q, 1))
		for i := range all {
			dx, dy := float64(m.layout.At(i, 0))-qx, float64(m.layout.At(i, 1))-qy
			all[i] = nd{i, math.Sqrt(dx*dx + dy*dy)}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
		clear(row)
		var wsum float64
		for _, p := range all[:m.k] {
			w := 1 / (p.d + 1e-9)
			wsum += w
			for j, z := range m.latent.Row(p.i) {
				row[j] += w * float64(z)
			}
		}
		for j := range row {
			out.Set(q, j, float32(row[j]/wsum))
		}
	}
}

// ClassPath returns steps >= 2 points [steps, 2] evenly spaced on the segment from the centroid of
// class from to the centroid of class to in a layout ([n, 2] or wider: the first two columns are
// used; labels [n]): point s is a + (b - a) s/(steps-1), a and b the centroids (float64 means).
// The classes must differ and both have points.
func ClassPath(layout *Matrix, labels []int32, from, to int32, steps int) (*Matrix, error) {
	n := len(labels)
	if layout == nil || layout.Rows != n || layout.Cols < 2 {
		return nil, fmt.Errorf("reduce: ClassPath needs a layout [n, 2] for the n = %d labels", n)
	}
	if steps < 2 {
		return nil, fmt.Errorf("reduce: ClassPath needs at least 2 steps, got %d", steps)
	}
	var ca, cb [2]float64
	var na, nb int
	for i, l := range labels {
		switch l {
		case from:
			ca[0] += float64(layout.At(i, 0))
			ca[1] += float64(layout.At(i, 1))
			na++
		case to:
			cb[0] += float64(layout.At(i, 0))
			cb[1] += float64(layout.At(i, 1))
			nb++
		}
	}
	if na == 0 || nb == 0 || from == to {
		return nil, fmt.Errorf("reduce: ClassPath needs two different classes with points: class %d has %d, class %d has %d", from, na, to, nb)
	}
	path := NewMatrix(steps, 2)
	for s := 0; s < steps; s++ {
		f := float64(s) / float64(steps-1)
		for j := 0; j < 2; j++ {
			a, b := ca[j]/float64(na), cb[j]/float64(nb)
			path.Set(s, j, float32(a+(b-a)*f))
		}
	}
	return path, nil
}
