package reduce

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PCAModel is a fitted principal component analysis of an [n, d] matrix.
//
// With the column means mu and the centered data Xc = X - 1 mu^T, the sample covariance is
// C = Xc^T Xc / (n-1) with eigen-decomposition C = V diag(lambda) V^T, lambda_1 >= lambda_2 >= ... .
// The model keeps the first k eigenpairs. As in scikit-learn, the sign of each axis is chosen so
// that the projection with the largest absolute value is positive.
type PCAModel struct {
	// Mean is [d]: the column means mu of the fitted data.
	Mean []float64
	// Components is [k, d]: row c is the unit principal axis v_c, largest variance first.
	Components *Matrix
	// Eigenvalues is [k]: lambda_c, the variance along v_c, i.e. the eigenvalues of the sample
	// covariance with the n-1 denominator (scikit-learn's explained_variance_), largest first.
	Eigenvalues []float64
	// ExplainedVarianceRatio is [k]: lambda_c / TotalVariance.
	ExplainedVarianceRatio []float64
	// TotalVariance is trace(C) = sum of all min(n, d) eigenvalues.
	TotalVariance float64
}

// PCA fits a principal component analysis with k components to x ([n, d], rows are samples).
//
// It forms the covariance Xc^T Xc ([d, d]) when d <= n, else the Gram matrix Xc Xc^T ([n, n]),
// accumulated in float64, and takes its symmetric eigen-decomposition (gonum mat.SymEigen).
// Requires n >= 2 and 1 <= k <= min(n, d).
func PCA(x *Matrix, k int) (*PCAModel, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: PCA: %w", err)
	}
	n, d := x.Rows, x.Cols
	if n < 2 {
		return nil, fmt.Errorf("reduce: PCA: need at least 2 rows for a sample covariance, have %d", n)
	}
	if k < 1 || k > min(n, d) {
		return nil, fmt.Errorf("reduce: PCA: k = %d components, must be in 1..min(n, d) = min(%d, %d)", k, n, d)
	}
	mean := columnMeans(x)
	values, vectors, ok := pcaEigen(x, mean, k, true)
	if !ok {
		return nil, fmt.Errorf("reduce: PCA: eigen-decomposition of the [%d, %d] data did not converge", n, d)
	}
	var total float64
	for _, v := range values {
		total += v
	}
	m := &PCAModel{Mean: mean, Components: NewMatrix(k, d), Eigenvalues: values[:k:k], TotalVariance: total}
	m.ExplainedVarianceRatio = make([]float64, k)
	for c := 0; c < k; c++ {
		if total > 0 {
			m.ExplainedVarianceRatio[c] = values[c] / total
		}
		// Sign: the sample with the largest |projection| projects positively (sklearn's svd_flip).
		axis := vectors[c*d : (c+1)*d]
		best, bestAbs := 0.0, -1.0
		for i := 0; i < n; i++ {
			clearUpper()
			row := x.Row(i)
			var s float64
			for j, v := range row {
				s += (float64(v) - mean[j]) * axis[j]
			}
			if a := math.Abs(s); a > bestAbs {
				best, bestAbs = s, a
			}
		}
		sign := 1.0
		if best < 0 {
			sign = -1
		}
		for j, v := range axis {
			m.Components.Data[c*d+j] = float32(sign * v)
		}
	}
	return m, nil
}

// Transform projects x ([n, d], d as fitted) onto the components: y = (x - mu) V_k^T, [n, k].
func (p *PCAModel) Transform(x *Matrix) (*Matrix, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: PCA transform: %w", err)
	}
	d := len(p.Mean)
	if x.Cols != d {
		return nil, fmt.Errorf("reduce: PCA transform: x has %d columns, the model was fitted on %d", x.Cols, d)
	}
	k := p.Components.Rows
	out := NewMatrix(x.Rows, k)
	parallelFor(x.Rows, 64, func(i0, i1 int) {
		cen := make([]float64, d)
		for i := i0; i < i1; i++ {
			clearUpper()
			for j, v := range x.Row(i) {
				cen[j] = float64(v) - p.Mean[j]
			}
			for c := 0; c < k; c++ {
				axis := p.Components.Row(c)
				var s float64
				for j, v := range cen {
					s += v * float64(axis[j])
				}
				out.Data[i*k+c] = float32(s)
			}
		}
	})
	return out, nil
}

// PCAProject fits PCA with k components to x ([n, d]) and returns the projections [n, k].
func PCAProject(x *Matrix, k int) (*Matrix, error) {
	m, err := PCA(x, k)
	if err != nil {
		return nil, err
	}
	return m.Transform(x)
}

// PCAEigenvalues returns the k largest eigenvalues of the sample covariance (n-1 denominator) of x
// ([n, d]), largest first, without computing the axes. Requires n >= 2 and 1 <= k <= min(n, d).
func PCAEigenvalues(x *Matrix, k int) ([]float64, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("reduce: PCA eigenvalues: %w", err)
	}
	n, d := x.Rows, x.Cols
	if n < 2 {
		return nil, fmt.Errorf("reduce: PCA eigenvalues: need at least 2 rows for a sample covariance, have %d", n)
	}
	if k < 1 || k > min(n, d) {
		return nil, fmt.Errorf("reduce: PCA eigenvalues: k = %d, must be in 1..min(n, d) = min(%d, %d)", k, n, d)
	}
	values, _, ok := pcaEigen(x, columnMeans(x), k, false)
	if !ok {
		return nil, fmt.Errorf("reduce: PCA eigenvalues: eigen-decomposition of the [%d, %d] data did not converge", n, d)
	}
	return values[:k:k], nil
}

// EigenvalueSeries returns, for every snapshot of seq (each [n, d_t], same n), the k largest
// eigenvalues of its sample covariance, largest first: out[t] is [k]. progress (may be nil) is
// called after each snapshot with stage "eigenvalues".
func EigenvalueSeries(seq []*Matrix, k int, progress Progress) ([][]float64, error) {
	if err := ValidateSequence(seq, false); err != nil {
		return nil, err
	}
	out := make([][]float64, len(seq))
	for t, x := range seq {
		v, err := PCAEigenvalues(x, k)
		if err != nil {
			return nil, fmt.Errorf("snapshot %d: %w", t, err)
		}
		out[t] = v
		reportProgress(progress, t+1, len(seq), "eigenvalues")
	}
	return out, nil
}

// columnMeans returns the [d] column means of x in float64.
func columnMeans(x *Matrix) []float64 {
	d := x.Cols
	mean := make([]float64, d)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(x.Rows)
	}
	return mean
}

// centeredSumSquares returns sum_ij (x_ij - mean_j)^2 over x ([n, d]), accumulated in float64.
func centeredSumSquares(x *Matrix, mean []float64) float64 {
	var ss float64
	for i := 0; i < x.Rows; i++ {
		clearUpper()
		for j, v := range x.Row(i) {
			e := float64(v) - mean[j]
			ss += e * e
		}
	}
	return ss
}

// pcaEigen returns all min(n, d) eigenvalues of the sample covariance of x (descending, clamped at 0)
// and, if vectors, the first k unit axes as a [k, d] float64 row-major slice.
func pcaEigen(x *Matrix, mean []float64, k int, vectors bool) ([]float64, []float64, bool) {
	n, d := x.Rows, x.Cols
	useGram := d > n
	var sym *mat.SymDense
	if useGram {
		sym = gramCentered(x, mean)
	} else {
		sym = covarianceCentered(x, mean)
	}
	all, vecs, ok := symTopEigen(sym, k, vectors)
	if !ok {
		return nil, nil, false
	}
	m := len(all)
	values := make([]float64, m)
	scale := 1 / float64(n-1)
	for i := range values {
		values[i] = max(0, all[i]*scale)
	}
	if !vectors {
		return values, nil, true
	}
	axes := make([]float64, k*d)
	for c := 0; c < k; c++ {
		axis := axes[c*d : (c+1)*d]
		if !useGram {
			copy(axis, vecs[c*d:(c+1)*d])
			continue
		}
		// v = Xc^T u / ||Xc^T u|| (= Xc^T u / sqrt(mu)).
		mu := all[c]
		if mu > 1e-12*math.Max(all[0], 1e-300) {
			for i := 0; i < n; i++ {
				clearUpper()
				u := vecs[c*n+i]
				for j, v := range x.Row(i) {
					axis[j] += u * (float64(v) - mean[j])
				}
			}
			normalizeOrthogonal(axis, axes[:c*d], d)
		} else {
			completeBasis(axis, axes[:c*d], d)
		}
	}
	return values, axes, true
}

// normalizeOrthogonal removes from v its components along the previous unit axes (prev, [c, d])
// and scales it to unit length; if nothing is left it completes the basis instead.
func normalizeOrthogonal(v, prev []float64, d int) {
	for p := 0; p+d <= len(prev); p += d {
		subtractProjection(v, prev[p:p+d])
	}
	var s float64
	for _, e := range v {
		s += e * e
	}
	if s < 1e-24 {
		completeBasis(v, prev, d)
		return
	}
	inv := 1 / math.Sqrt(s)
	for j := range v {
		v[j] *= inv
	}
}

// completeBasis sets v to a unit vector orthogonal to the previous unit axes, from the standard basis.
func completeBasis(v, prev []float64, d int) {
	for e := 0; e < d; e++ {
		clear(v)
		v[e] = 1
		for p := 0; p+d <= len(prev); p += d {
			subtractProjection(v, prev[p:p+d])
		}
		var s float64
		for _, x := range v {
			s += x * x
		}
		if s > 1e-6 {
			inv := 1 / math.Sqrt(s)
			for j := range v {
				v[j] *= inv
			}
			return
		}
	}
}

// centeredChunk fills dst ([rows, d] float64) with rows i0..i0+rows-1 of x minus mean.
func centeredChunk(x *Matrix, mean []float64, i0, rows int, dst []float64) {
	d := x.Cols
	for r := 0; r < rows; r++ {
		src := x.Row(i0 + r)
		out := dst[r*d : (r+1)*d]
		for j, v := range src {
			out[j] = float64(v) - mean[j]
		}
	}
}

// covarianceCentered returns Xc^T Xc ([d, d], not divided by n-1), accumulated in float64 over row
// chunks with gonum's (parallel, blocked) matrix product.
func covarianceCentered(x *Matrix, mean []float64) *mat.SymDense {
	n, d := x.Rows, x.Cols
	const chunk = 256 // separate products, with VZEROUPPER between them (see clearUpper)
	acc := mat.NewDense(d, d, nil)
	buf := make([]float64, min(chunk, n)*d)
	var prod mat.Dense
	for i0 := 0; i0 < n; i0 += chunk {
		rows := min(chunk, n-i0)
		centeredChunk(x, mean, i0, rows, buf)
		c := mat.NewDense(rows, d, buf[:rows*d])
		prod.Reset()
		clearUpper()
		prod.Mul(c.T(), c)
		acc.Add(acc, &prod)
	}
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, 0.5*(acc.At(i, j)+acc.At(j, i)))
		}
	}
	return sym
}

// gramCentered returns Xc Xc^T ([n, n]) in float64.
func gramCentered(x *Matrix, mean []float64) *mat.SymDense {
	n, d := x.Rows, x.Cols
	buf := make([]float64, n*d)
	centeredChunk(x, mean, 0, n, buf)
	c := mat.NewDense(n, d, buf)
	var g mat.Dense
	clearUpper()
	g.Mul(c, c.T())
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		clearUpper()
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(g.At(i, j)+g.At(j, i)))
		}
	}
	return sym
}
