package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// simplicialSetEmbedding is umap-learn's simplicial_set_embedding: initial layout, rescaled to
// [0, 10] per coordinate, then OptimizeLayout's SGD.
func simplicialSetEmbedding(x *Matrix, g *Graph, opts *UMAPOptions, p *umapParams) (*Matrix, error) {
	reportProgress(opts.Progress, 0, 1, "umap init")
	emb, err := umapInitLayout(x, g, opts, p)
	if err != nil {
		return nil, err
	}
	if p.init == "given" {
		umapRescaleIsotropic(emb) // keep a warm start's aspect ratio
	} else {
		umapRescale(emb)
	}
	reportProgress(opts.Progress, 1, 1, "umap init")
	s := newUMAPSGD([]*Matrix{emb}, []*Graph{g}, p.nEpochs, p.negRate, p.a, p.b, p.gamma, opts.Seed)
	s.run(p.nEpochs, p.lr, p.threads, func(e int) {
		if opts.Progress != nil && (e%10 == 0 || e == p.nEpochs) {
			opts.Progress(e, p.nEpochs, "umap epochs")
		}
	})
	return emb, nil
}

// umapInitLayout returns the initial [n, nComponents] layout (before rescaling).
func umapInitLayout(x *Matrix, g *Graph, opts *UMAPOptions, p *umapParams) (*Matrix, error) {
	n, dim := g.N, p.nComponents
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x1417))
	switch p.init {
	case "given":
		return opts.InitEmbedding.Clone(), nil
	case "random":
		return umapRandomInit(n, dim, rng), nil
	case "spectral":
		emb, err := SpectralLayout(g, dim, opts.Seed)
		if err == nil {
			umapNoisyScale(emb, rng, 10, 1e-4)
			return emb, nil
		}
		// umap-learn also falls back when the eigensolver fails; PCA keeps the global structure.
		fallthrough
	case "pca":
		if x == nil {
			return umapRandomInit(n, dim, rng), nil
		}
		emb, err := PCAProject(x, min(dim, x.Cols, x.Rows))
		if err == nil && emb.Cols < dim { // fewer features than components: pad with zeros
			pad := NewMatrix(n, dim)
			for i := 0; i < n; i++ {
				copy(pad.Row(i), emb.Row(i))
			}
			emb = pad
		}
		if err != nil {
			return umapRandomInit(n, dim, rng), nil
		}
		umapNoisyScale(emb, rng, 10, 1e-4)
		return emb, nil
	}
	return nil, fmt.Errorf("reduce: UMAP: unknown init %q", p.init)
}

func umapRandomInit(n, dim int, rng *rand.Rand) *Matrix {
	m := NewMatrix(n, dim)
	for i := range m.Data {
		m.Data[i] = float32(rng.Float64()*20 - 10)
	}
	return m
}

// umapNoisyScale scales m so that max |m_ij| = maxCoord and adds N(0, noise^2) noise.
func umapNoisyScale(m *Matrix, rng *rand.Rand, maxCoord, noise float64) {
	var mx float64
	for _, v := range m.Data {
		mx = math.Max(mx, math.Abs(float64(v)))
	}
	s := 1.0
	if mx > 0 {
		s = maxCoord / mx
	}
	for i, v := range m.Data {
		m.Data[i] = float32(float64(v)*s + rng.NormFloat64()*noise)
	}
}

// umapRescale maps each column of m linearly onto [0, 10] (umap-learn does this before the SGD).
func umapRescale(m *Matrix) {
	for c := 0; c < m.Cols; c++ {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := 0; i < m.Rows; i++ {
			v := m.Data[i*m.Cols+c]
			lo, hi = min(lo, v), max(hi, v)
		}
		r := hi - lo
		if r == 0 {
			r = 1
		}
		for i := 0; i < m.Rows; i++ {
			m.Data[i*m.Cols+c] = 10 * (m.Data[i*m.Cols+c] - lo) / r
		}
	}
}

// umapRescaleIsotropic shifts m so that each column's minimum is 0 and scales all columns by one
// factor so that the widest column spans [0, 10].
func umapRescaleIsotropic(m *Matrix) {
	var span float32
	lo := make([]float32, m.Cols)
	for c := 0; c < m.Cols; c++ {
		l, h := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := 0; i < m.Rows; i++ {
			v := m.Data[i*m.Cols+c]
			l, h = min(l, v), max(h, v)
		}
		lo[c] = l
		span = max(span, h-l)
	}
	if span == 0 {
		span = 1
	}
	for i := range m.Data {
		m.Data[i] = 10 * (m.Data[i] - lo[i%m.Cols]) / span
	}
}
