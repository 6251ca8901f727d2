package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// SpectralLayout returns the [N, dim] spectral embedding of the symmetric graph g: the eigenvectors
// of the normalized Laplacian L = I - D^(-1/2) W D^(-1/2) with the 2nd .. (dim+1)th smallest
// eigenvalues (the first, D^(1/2) 1, is constant information and dropped), as umap-learn's
// spectral_layout. Computed as the largest eigenvectors of A = D^(-1/2) W D^(-1/2) with
// D^(1/2) 1 deflated: dense symmetric eigendecomposition for N <= 400, otherwise Lanczos with full
// reorthogonalization and explicit restarts (tolerance 1e-4 on the Ritz residuals, like umap-learn's
// eigsh). Isolated vertices (degree 0) get coordinate 0. Returns an error if the eigensolver fails
// to converge (callers fall back to another init).
func SpectralLayout(g *Graph, dim int, seed int64) (*Matrix, error) {
	n := g.N
	if dim < 1 || dim+1 >= n {
		return nil, fmt.Errorf("reduce: SpectralLayout: dim = %d needs at least dim+2 = %d vertices, have %d", dim, dim+2, n)
	}
	deg := make([]float64, n)
	for i := 0; i < n; i++ {
		for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
			deg[i] += float64(g.Val[p])
		}
	}
	isq := make([]float64, n)
	v0 := make([]float64, n)
	var nrm float64
	for i, d := range deg {
		if d > 0 {
			isq[i] = 1 / math.Sqrt(d)
			v0[i] = math.Sqrt(d)
			nrm += d
		}
	}
	nrm = math.Sqrt(nrm)
	for i := range v0 {
		v0[i] /= nrm
	}
	matvec := func(dst, src []float64) {
		for i := 0; i < n; i++ {
			var s float64
			for p := g.RowPtr[i]; p < g.RowPtr[i+1]; p++ {
				j := g.Col[p]
				s += float64(g.Val[p]) * isq[j] * src[j]
			}
			dst[i] = s * isq[i]
		}
	}
	var vecs [][]float64
	if n <= 400 {
		a := mat.NewSymDense(n, nil)
		col := make([]float64, n)
		e := make([]float64, n)
		for j := 0; j < n; j++ {
			for i := range e {
				e[i] = 0
			}
			e[j] = 1
			matvec(col, e)
			for i := 0; i <= j; i++ {
				a.SetSym(i, j, (col[i]+a.At(i, j))/2)
			}
		}
		// Deflate the trivial vector: A - 2 v0 v0ᵀ pushes its eigenvalue (1) to -1.
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				a.SetSym(i, j, a.At(i, j)-2*v0[i]*v0[j])
			}
		}
		var es mat.EigenSym
		if !es.Factorize(a, true) {
			return nil, fmt.Errorf("reduce: SpectralLayout: dense eigendecomposition of %d vertices failed", n)
		}
		var ev mat.Dense
		es.VectorsTo(&ev)
		for c := n - 1; c >= n-dim; c-- { // ascending eigenvalues: take the largest
			v := make([]float64, n)
			mat.Col(v, c, &ev)
			vecs = append(vecs, v)
		}
	} else {
		var err error
		_, vecs, err = lanczosLargest(n, matvec, dim, [][]float64{v0}, seed)
		if err != nil {
			return nil, err
		}
	}
	out := NewMatrix(n, dim)
	for c, v := range vecs {
		for i := 0; i < n; i++ {
			out.Data[i*dim+c] = float32(v[i])
		}
	}
	return out, nil
}

// lanczosLargest returns the k largest eigenpairs of the symmetric operator matvec (n×n), in the
// complement of the orthonormal vectors in deflate. Lanczos with full reorthogonalization, basis
// size m = min(n-len(deflate), max(4k+20, 60)), up to 8 explicit restarts from the sum of the wanted
// Ritz vectors; converged when every residual |beta_m s_mi| <= 1e-4.
func lanczosLargest(n int, matvec func(dst, src []float64), k int, deflate [][]float64, seed int64) ([]float64, [][]float64, error) {
	m := min(n-len(deflate), max(4*k+20, 60))
	if m < k {
		return nil, nil, fmt.Errorf("reduce: Lanczos: %d wanted eigenvectors exceed the space dimension %d", k, m)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	start := make([]float64, n)
	for i := range start {
		start[i] = rng.Float64() - 0.5
	}
	orth := func(w []float64, basis [][]float64) {
		for pass := 0; pass < 2; pass++ {
			for _, b := range basis {
				subtractProjection(w, b)
			}
		}
	}
	norm := func(w []float64) float64 {
		var s float64
		for _, x := range w {
			s += x * x
		}
		return math.Sqrt(s)
	}
	var vals []float64
	var vecs [][]float64
	for restart := 0; restart < 8; restart++ {
		orth(start, deflate)
		nv := norm(start)
		if nv == 0 {
			return nil, nil, fmt.Errorf("reduce: Lanczos: start vector vanished")
		}
		V := make([][]float64, 0, m)
		v := make([]float64, n)
		for i := range v {
			v[i] = start[i] / nv
		}
		V = append(V, v)
		alpha := make([]float64, 0, m)
		beta := make([]float64, 0, m)
		w := make([]float64, n)
		lastBeta := 0.0
		for j := 0; j < m; j++ {
			matvec(w, V[j])
			var a float64
			for i, x := range V[j] {
				a += x * w[i]
			}
			alpha = append(alpha, a)
			orth(w, deflate)
			orth(w, V)
			b := norm(w)
			lastBeta = b
			if j == m-1 || b < 1e-12 {
				break
			}
			beta = append(beta, b)
			nv := make([]float64, n)
			for i := range w {
				nv[i] = w[i] / b
			}
			V = append(V, nv)
		}
		sz := len(alpha)
		if sz < k {
			return nil, nil, fmt.Errorf("reduce: Lanczos: Krylov space broke down at dimension %d < %d", sz, k)
		}
		t := mat.NewSymDense(sz, nil)
		for i := 0; i < sz; i++ {
			t.SetSym(i, i, alpha[i])
			if i+1 < sz {
				t.SetSym(i, i+1, beta[i])
			}
		}
		var es mat.EigenSym
		if !es.Factorize(t, true) {
			return nil, nil, fmt.Errorf("reduce: Lanczos: tridiagonal eigendecomposition failed")
		}
		ev := es.Values(nil)
		var s mat.Dense
		es.VectorsTo(&s)
		vals = vals[:0]
		vecs = vecs[:0]
		converged := true
		for c := sz - 1; c >= sz-k; c-- {
			vals = append(vals, ev[c])
			if math.Abs(lastBeta*s.At(sz-1, c)) > 1e-4 {
				converged = false
			}
			y := make([]float64, n)
			for r := 0; r < sz; r++ {
				coef := s.At(r, c)
				for i, x := range V[r] {
					y[i] += coef * x
				}
			}
			vecs = append(vecs, y)
		}
		if converged || sz < m {
			return vals, vecs, nil
		}
		for i := range start {
			start[i] = 0
			for _, y := range vecs {
				start[i] += y[i]
			}
		}
	}
	// Not fully converged: the Ritz vectors are still a good layout; accept them.
	return vals, vecs, nil
}
