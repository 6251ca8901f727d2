package reduce

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// symTopEigen returns all eigenvalues of the symmetric [m, m] matrix a, descending, and, if vectors,
// the unit eigenvectors of the k largest as a [k, m] row-major slice.
//
// Small problems (m <= 96) or many vectors (k > m/3) use gonum's full decomposition (mat.EigenSym).
// Otherwise a is reduced to tridiagonal form T = Q^T A Q (LAPACK dsytrd), all eigenvalues come from
// dsterf, and only the k wanted eigenvectors are computed: inverse iteration on T (three solves of
// (T - lambda I) z = b with partial pivoting, Gram-Schmidt against vectors of eigenvalues closer
// than 1e-3 ||T||, as LAPACK's dstein) and back-transformation y = Q z with the Householder
// reflectors. That is O(m^3) flops for the reduction but no O(m^3) eigenvector accumulation.
func symTopEigen(a *mat.SymDense, k int, vectors bool) ([]float64, []float64, bool) {
	m := a.SymmetricDim()
	clearUpper()
	if !vectors || m <= 96 || 3*k > m {
		var eig mat.EigenSym
		if !eig.Factorize(a, vectors) {
			return nil, nil, false
		}
		raw := eig.Values(nil)
		values := make([]float64, m)
		for i := range values {
			values[i] = raw[m-1-i]
		}
		if !vectors {
			return values, nil, true
		}
		var ev mat.Dense
		eig.VectorsTo(&ev)
		out := make([]float64, k*m)
		for c := 0; c < k; c++ {
			for j := 0; j < m; j++ {
				out[c*m+j] = ev.At(j, m-1-c)
			}
		}
		return values, out, true
	}
	var impl gonum.Implementation
	buf := make([]float64, m*m)
	for i := 0; i < m; i++ {
		for j := 0; j <= i; j++ {
			buf[i*m+j] = a.At(i, j)
		}
	}
	d, e, tau := make([]float64, m), make([]float64, m-1), make([]float64, m-1)
	work := make([]float64, 1)
	impl.Dsytrd(blas.Lower, m, buf, m, d, e, tau, work, -1)
	work = make([]float64, int(work[0]))
	impl.Dsytrd(blas.Lower, m, buf, m, d, e, tau, work, len(work))
	vals := append([]float64(nil), d...)
	if !impl.Dsterf(m, vals, append([]float64(nil), e...)) {
		return nil, nil, false
	}
	values := make([]float64, m)
	for i := range values {
		values[i] = vals[m-1-i]
	}
	var tnorm float64
	for i := 0; i < m; i++ {
		r := math.Abs(d[i])
		if i > 0 {
			r += math.Abs(e[i-1])
		}
		if i < m-1 {
			r += math.Abs(e[i])
		}
		tnorm = max(tnorm, r)
	}
	if tnorm == 0 {
		tnorm = 1
	}
	const eps = 0x1p-52
	zs := make([]float64, k*m) // eigenvectors of T
	rng := rand.New(rand.NewPCG(1, 2))
	dl, dd, du := make([]float64, m-1), make([]float64, m), make([]float64, m-1)
	for c := 0; c < k; c++ {
		clearUpper()
		lambda := values[c]
		z := zs[c*m : (c+1)*m]
		for j := range z {
			z[j] = 2*rng.Float64() - 1
		}
		shift := lambda
		for iter := 0; iter < 3; iter++ {
			for try := 0; ; try++ {
				copy(dl, e)
				copy(du, e)
				for j := range dd {
					dd[j] = d[j] - shift
				}
				b := append([]float64(nil), z...)
				if impl.Dgtsv(m, 1, dl, dd, du, b, 1) {
					copy(z, b)
					break
				}
				if try > 8 {
					return nil, nil, false
				}
				shift += eps * tnorm * float64(int(1)<<(2*try+1))
			}
			// Orthogonalize against vectors of nearby eigenvalues.
			for p := c - 1; p >= 0 && values[p]-lambda < 1e-3*tnorm; p-- {
				subtractProjection(z, zs[p*m:(p+1)*m])
			}
			var s float64
			for _, v := range z {
				s += v * v
			}
			if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
				// Rescale the overflowing/vanished solution and retry from a fresh start.
				for j := range z {
					z[j] = 2*rng.Float64() - 1
				}
				continue
			}
			inv := 1 / math.Sqrt(s)
			for j := range z {
				z[j] *= inv
			}
		}
	}
	// Back-transform: y = Q z, Q = H_0 H_1 ... H_{m-2}, H_i = I - tau_i v v^T with v[i+1] = 1 and
	// v[i+2:] stored in column i of buf below the subdiagonal.
	out := zs
	for c := 0; c < k; c++ {
		y := out[c*m : (c+1)*m]
		for i := m - 2; i >= 0; i-- {
			if tau[i] == 0 {
				continue
			}
			s := y[i+1]
			for r := i + 2; r < m; r++ {
				s += buf[r*m+i] * y[r]
			}
			s *= tau[i]
			y[i+1] -= s
			for r := i + 2; r < m; r++ {
				y[r] -= s * buf[r*m+i]
			}
		}
	}
	return values, out, true
}
