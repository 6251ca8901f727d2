package reduce

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ProcrustesOptions configures Procrustes. The zero value (or nil) means: translation fitted,
// reflections allowed, no scaling — the usual registration of one 2-D/3-D embedding onto another.
type ProcrustesOptions struct {
	// Scale also fits an isotropic scale s > 0. Default false (s = 1).
	Scale bool
	// NoTranslate disables the translation: x is rotated about the origin. Default false (both
	// matrices are centered and x is moved onto the centroid of ref).
	NoTranslate bool
	// NoReflection restricts R to proper rotations (det R = +1). Default false (reflections allowed).
	NoReflection bool
}

// Procrustes aligns x onto ref (both [n, k]) and returns the aligned copy s (x - mu_x) R + mu_ref,
// [n, k], where R ([k, k], orthogonal) and s minimize the Frobenius norm ||ref - (s (x - mu_x) R + mu_ref)||_F
// (mu are column means, zero with NoTranslate; s = 1 unless Scale).
//
// Solution (orthogonal Procrustes): with M = X0^T Y0 = U S V^T (SVD, X0 and Y0 the centered x and ref),
// R = U D V^T where D = I, or diag(1, ..., 1, det(U V^T)) with NoReflection; s = trace(S D) / ||X0||_F^2.
// Computed in float64. opts may be nil.
func Procrustes(ref, x *Matrix, opts *ProcrustesOptions) (*Matrix, error) {
	if opts == nil {
		opts = &ProcrustesOptions{}
	}
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: Procrustes ref: %w", err)
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: Procrustes x: %w", err)
	}
	if ref.Rows != x.Rows || ref.Cols != x.Cols {
		return nil, fmt.Errorf("reduce: Procrustes: ref is [%d, %d] but x is [%d, %d]; shapes must match", ref.Rows, ref.Cols, x.Rows, x.Cols)
	}
	r, s, mx, mr := procrustesFit(ref, x, opts)
	return applyAffine(x, r, s, mx, mr), nil
}

// procrustesFit returns R ([k, k]), s and the means subtracted from x and added back (zero vectors
// when NoTranslate).
func procrustesFit(ref, x *Matrix, opts *ProcrustesOptions) (*mat.Dense, float64, []float64, []float64) {
	n, k := x.Rows, x.Cols
	mx, mr := make([]float64, k), make([]float64, k)
	if !opts.NoTranslate {
		mx, mr = columnMeans(x), columnMeans(ref)
	}
	m := mat.NewDense(k, k, nil)
	var xx float64
	for i := 0; i < n; i++ {
		clearUpper()
		xr, rr := x.Row(i), ref.Row(i)
		for a := 0; a < k; a++ {
			xa := float64(xr[a]) - mx[a]
			xx += xa * xa
			for b := 0; b < k; b++ {
				m.Set(a, b, m.At(a, b)+xa*(float64(rr[b])-mr[b]))
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDFull) {
		// Cannot happen for a finite k x k matrix; fall back to the identity.
		id := mat.NewDense(k, k, nil)
		for a := 0; a < k; a++ {
			id.Set(a, a, 1)
		}
		return id, 1, mx, mr
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	sv := svd.Values(nil)
	if opts.NoReflection {
		var uv mat.Dense
		uv.Mul(&u, v.T())
		if mat.Det(&uv) < 0 {
			for a := 0; a < k; a++ {
				u.Set(a, k-1, -u.At(a, k-1))
			}
			sv[k-1] = -sv[k-1]
		}
	}
	r := mat.NewDense(k, k, nil)
	r.Mul(&u, v.T())
	s := 1.0
	if opts.Scale && xx > 0 {
		var tr float64
		for _, e := range sv {
			tr += e
		}
		s = tr / xx
	}
	return r, s, mx, mr
}

// applyAffine returns s (x - mx) R + mr as a new matrix.
func applyAffine(x *Matrix, r *mat.Dense, s float64, mx, mr []float64) *Matrix {
	n, k := x.Rows, x.Cols
	out := NewMatrix(n, k)
	cen := make([]float64, k)
	for i := 0; i < n; i++ {
		clearUpper()
		for a, v := range x.Row(i) {
			cen[a] = float64(v) - mx[a]
		}
		for b := 0; b < k; b++ {
			var t float64
			for a := 0; a < k; a++ {
				t += cen[a] * r.At(a, b)
			}
			out.Data[i*k+b] = float32(s*t + mr[b])
		}
	}
	return out
}

// Normalize returns a copy of x ([n, d]) with every column shifted to zero mean and all values
// divided by one common standard deviation sigma = sqrt(sum_ij (x_ij - mu_j)^2 / (n d)), so the
// coordinates have unit variance overall while the shape (aspect ratio) is kept. A constant x
// (sigma = 0) is only centered. x must be a well-formed matrix (it panics on nil).
func Normalize(x *Matrix) *Matrix {
	out := NewMatrix(x.Rows, x.Cols)
	if x.Rows == 0 || x.Cols == 0 {
		return out
	}
	mean := columnMeans(x)
	sigma := math.Sqrt(centeredSumSquares(x, mean) / float64(x.Rows*x.Cols))
	inv := 1.0
	if sigma > 0 && !math.IsNaN(sigma) && !math.IsInf(sigma, 0) {
		inv = 1 / sigma
	}
	for i := 0; i < x.Rows; i++ {
		dst := out.Row(i)
		for j, v := range x.Row(i) {
			dst[j] = float32((float64(v) - mean[j]) * inv)
		}
	}
	return out
}
