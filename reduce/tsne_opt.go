package reduce

import (
	"fmt"
	"math"
	"runtime"
)

// TSNEEmbedding is a t-SNE layout being optimized: the affinities it fits, the current [n, 2]
// positions and the iteration count. Optimize continues from where the previous call stopped,
// so phases (early exaggeration, the main phase, a few more iterations on a new frame) chain.
// It is not safe for concurrent use.
type TSNEEmbedding struct {
	aff  *Affinities
	opts TSNEOptions
	r    tsneResolved
	n    int

	y, update, gains, grad []float64 // [n, 2] row-major
	rep                    []float64 // [n, 2] repulsive sums of the current iteration
	zPart                  []float64 // per-block partial sums of Z
	klPart                 []float64 // per-block partial sums of P log w
	pLogP                  float64   // sum P log P (constant), computed with the first KL
	pLogPDone              bool
	iter                   int
	tree                   quadTree
	lists                  []*qtList // per-worker interaction lists
	attr                   []float64 // [n, 2] attractive sums sum_j P_ij w_ij (y_i - y_j)
	// stopMin and stopStep, when stopStep > 0, end optimizeFrom early once the layout has settled
	// (see TSNEAnimOptions.FrameStop): after at least stopMin iterations, at the end of a window of
	// tsneStopWindow iterations whose mean relative step is below stopStep.
	stopMin  int
	stopStep float64
	val32    []float32 // aff.Val in float32: the attractive pass streams P every iteration
}

// list returns worker w's reusable interaction list, allocating lists 0..w as needed (call it
// for the largest w before starting the workers).
func (e *TSNEEmbedding) list(w int) *qtList {
	for len(e.lists) <= w {
		e.lists = append(e.lists, &qtList{})
	}
	return e.lists[w]
}

// NewTSNEEmbedding prepares the initial layout for the affinities aff: opts.InitLayout if given,
// else PCA of x (Init "pca", the default; x is the [n, d] data aff was computed from) or a random
// Gaussian layout (Init "random", x may be nil). The layout is centered and rescaled so that its
// first column has std 1e-4 (openTSNE's and scikit-learn's choice: small initial distances make
// all w_ij ~ 1, so the early iterations are driven by P) unless opts.KeepInitScale.
func NewTSNEEmbedding(aff *Affinities, x *Matrix, opts *TSNEOptions) (*TSNEEmbedding, error) {
	if aff == nil || aff.N < 2 || len(aff.RowPtr) != aff.N+1 || len(aff.Col) != len(aff.Val) || int(aff.RowPtr[aff.N]) != len(aff.Col) {
		return nil, fmt.Errorf("reduce: t-SNE: malformed affinities")
	}
	return newTSNEEmbedding(aff, x, opts)
}

func newTSNEEmbedding(aff *Affinities, x *Matrix, opts *TSNEOptions) (*TSNEEmbedding, error) {
	n := aff.N
	o, r, err := resolveTSNE(opts, n)
	if err != nil {
		return nil, err
	}
	e := &TSNEEmbedding{aff: aff, opts: o, r: r, n: n}
	var y []float64
	switch {
	case o.InitLayout != nil:
		if err := o.InitLayout.Validate(); err != nil {
			return nil, fmt.Errorf("reduce: t-SNE init layout: %w", err)
		}
		if o.InitLayout.Rows != n || o.InitLayout.Cols != 2 {
			return nil, fmt.Errorf("reduce: t-SNE init layout is [%d, %d], want [%d, 2] (the number of points of the affinities)", o.InitLayout.Rows, o.InitLayout.Cols, n)
		}
		y = make([]float64, 2*n)
		for t, v := range o.InitLayout.Data {
			y[t] = float64(v)
		}
	case o.Init == "random":
		y = randomLayout(n, o.Seed)
	default: // pca
		if x == nil {
			return nil, fmt.Errorf("reduce: t-SNE init \"pca\" needs the data matrix (x is nil); use Init \"random\" or an InitLayout")
		}
		if x.Rows != n {
			return nil, fmt.Errorf("reduce: t-SNE data has %d points, the affinities %d", x.Rows, n)
		}
		y, err = pcaLayout(x, o.Seed)
		if err != nil {
			return nil, err
		}
	}
	centerLayout(y)
	if o.InitLayout == nil || !o.KeepInitScale {
		var s float64
		for i := 0; i < n; i++ {
			s += y[2*i] * y[2*i]
		}
		std := math.Sqrt(s / float64(n))
		if std == 0 { // degenerate (constant data): fall back to random
			y = randomLayout(n, o.Seed)
			centerLayout(y)
			s = 0
			for i := 0; i < n; i++ {
				s += y[2*i] * y[2*i]
			}
			std = math.Sqrt(s / float64(n))
		}
		for t := range y {
			y[t] *= 1e-4 / std
		}
	}
	e.y = y
	e.update = make([]float64, 2*n)
	e.gains = make([]float64, 2*n)
	e.grad = make([]float64, 2*n)
	e.rep = make([]float64, 2*n)
	e.attr = make([]float64, 2*n)
	e.val32 = make([]float32, len(aff.Val))
	for k, v := range aff.Val {
		e.val32[k] = float32(v)
	}
	return e, nil
}

// pcaLayout returns the projection of x on its first two principal components ([n, 2]; a zero
// second column when x has one column).
func pcaLayout(x *Matrix, seed uint64) ([]float64, error) {
	k := min(2, x.Cols)
	m, err := PCA(x, k)
	if err != nil {
		return nil, fmt.Errorf("reduce: t-SNE pca init: %w", err)
	}
	z, err := m.Transform(x)
	if err != nil {
		return nil, fmt.Errorf("reduce: t-SNE pca init: %w", err)
	}
	y := make([]float64, 2*x.Rows)
	for i := 0; i < x.Rows; i++ {
		for c := 0; c < k; c++ {
			y[2*i+c] = float64(z.At(i, c))
		}
	}
	_ = seed
	return y, nil
}

func centerLayout(y []float64) {
	n := len(y) / 2
	var mx, my float64
	for i := 0; i < n; i++ {
		mx += y[2*i]
		my += y[2*i+1]
	}
	mx /= float64(n)
	my /= float64(n)
	for i := 0; i < n; i++ {
		y[2*i] -= mx
		y[2*i+1] -= my
	}
}

// Iter returns the number of iterations run so far.
func (e *TSNEEmbedding) Iter() int { return e.iter }

// Affinities returns the affinities the embedding fits.
func (e *TSNEEmbedding) Affinities() *Affinities { return e.aff }

// Embedding returns a copy of the current layout as an [n, 2] matrix.
func (e *TSNEEmbedding) Embedding() *Matrix {
	m := NewMatrix(e.n, 2)
	for t, v := range e.y {
		m.Data[t] = float32(v)
	}
	return m
}

// Run runs the default schedule of the embedding's options: EarlyIters iterations with the early
// exaggeration and momentum 0.5, then the rest of Iters with exaggeration 1 and momentum 0.8.
func (e *TSNEEmbedding) Run() error {
	total := e.r.iters
	if e.r.earlyIters > 0 {
		if err := e.optimize(e.r.earlyIters, e.r.exaggeration, 0.5, total); err != nil {
			return err
		}
	}
	if rest := e.r.iters - e.r.earlyIters; rest > 0 {
		return e.optimize(rest, 1, 0.8, total)
	}
	return nil
}

// Optimize runs iters more iterations of gradient descent with momentum and per-coordinate gains
// (delta-bar-delta, as scikit-learn and openTSNE: gain += 0.2 where the gradient changes sign
// against the update, else gain *= 0.8, gains >= 0.01) on
//
//	dC/dy_i = 4 ( exaggeration * sum_j P_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z ),
//
// update = momentum * update - lr * gains * grad, y += update, then y is re-centered. Updates and
// gains are reset at the start of each call. The learning rate is opts.LearningRate, or
// max(n / exaggeration / 4, 50). Returns ErrTSNEStopped if the callback asked to stop.
func (e *TSNEEmbedding) Optimize(iters int, exaggeration, momentum float64) error {
	if iters < 0 {
		return fmt.Errorf("reduce: t-SNE Optimize: iterations %d must not be negative", iters)
	}
	if !(exaggeration > 0) || math.IsInf(exaggeration, 0) {
		return fmt.Errorf("reduce: t-SNE Optimize: exaggeration %v must be positive", exaggeration)
	}
	if !(momentum >= 0 && momentum < 1) {
		return fmt.Errorf("reduce: t-SNE Optimize: momentum %v must be in [0, 1)", momentum)
	}
	return e.optimize(iters, exaggeration, momentum, 0)
}

// optimize runs iters iterations; progressTotal > 0 reports progress against that total.
func (e *TSNEEmbedding) optimize(iters int, exaggeration, momentum float64, progressTotal int) error {
	return e.optimizeFrom(iters, exaggeration, momentum, progressTotal, true)
}

// optimizeFrom is optimize that, with fresh false, keeps the updates and gains where the previous
// call (or TSNEFrames, from the previous frame) left them.
func (e *TSNEEmbedding) optimizeFrom(iters int, exaggeration, momentum float64, progressTotal int, fresh bool) error {
	lr := e.r.lr
	if lr == 0 {
		lr = max(float64(e.n)/exaggeration/4, 50)
	}
	if fresh {
		for t := range e.update {
			e.update[t] = 0
			e.gains[t] = 1
		}
	}
	start := e.iter
	var win float64 // sum of the relative steps of the current window
	for it := 0; it < iters; it++ {
		wantKL := e.opts.Callback != nil && ((e.iter+1)%e.r.cbEvery == 0 || it == iters-1)
		kl := e.gradient(exaggeration, wantKL)
		clearUpper()
		y, upd, gains, grad := e.y, e.update, e.gains, e.grad
		for t := range y {
			g := grad[t]
			if (g > 0) != (upd[t] > 0) {
				gains[t] += 0.2
			} else {
				gains[t] *= 0.8
			}
			if gains[t] < 0.01 {
				gains[t] = 0.01
			}
			upd[t] = momentum*upd[t] - lr*gains[t]*g
			y[t] += upd[t]
		}
		centerLayout(y)
		if e.stopStep > 0 {
			var su, sy float64
			for t := range y {
				su += upd[t] * upd[t]
				sy += y[t] * y[t]
			}
			if sy > 0 {
				win += math.Sqrt(su / sy)
			}
			if (it+1)%tsneStopWindow == 0 {
				if it+1 >= e.stopMin && win < e.stopStep*tsneStopWindow && it+1 < iters {
					iters = it + 1 // settled: this is the last iteration
					if e.opts.Callback != nil && !wantKL {
						wantKL = true
						kl = e.KL() // the callback sees the last iteration's KL, as without the stop
					}
				}
				win = 0
			}
		}
		e.iter++
		if progressTotal > 0 && e.opts.Progress != nil && (e.iter%10 == 0 || e.iter == progressTotal) {
			e.opts.Progress(e.iter, progressTotal, "tsne")
		} else if progressTotal == 0 && e.opts.Progress != nil && ((e.iter-start)%10 == 0 || it == iters-1) {
			e.opts.Progress(e.iter-start, iters, "tsne")
		}
		if wantKL {
			if e.opts.Callback(e.iter, kl, e.Embedding()) {
				return ErrTSNEStopped
			}
		}
	}
	for _, v := range e.y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("reduce: t-SNE diverged after %d iterations (non-finite positions); lower the learning rate (%g)", e.iter, lr)
		}
	}
	return nil
}

// KL returns KL(P || Q) at the current layout (un-exaggerated P).
func (e *TSNEEmbedding) KL() float64 {
	return e.gradient(1, true)
}

const tsneBlock = 128 // points per unit of parallel work

// gradient fills e.grad at the current layout; with wantKL it returns KL(P || Q).
func (e *TSNEEmbedding) gradient(exaggeration float64, wantKL bool) float64 {
	n := e.n
	y := e.y
	nblocks := (n + tsneBlock - 1) / tsneBlock
	if len(e.zPart) < nblocks {
		e.zPart = make([]float64, nblocks)
		e.klPart = make([]float64, nblocks)
	}
	exact := e.r.method == TSNEExact
	// The quadtree is built (serially) while the workers compute the attractive forces.
	built := func() {}
	if !exact {
		built = background(func() { e.tree.build(y) })
	}
	// Attractive forces sum_j P_ij w_ij (y_i - y_j), row by row of P (each pair is computed from
	// both ends, which costs twice the arithmetic of the upper triangle but writes only row i's
	// sums: no per-worker buffers to clear and add up, and a SIMD kernel over the row).
	aff := e.aff
	nw := runtime.GOMAXPROCS(0)
	e.list(nw - 1) // allocate every worker's buffers before they start
	parallelBlocks(nblocks, nw, func(w, b int) {
		l := e.lists[w]
		var pLogW float64
		for i := b * tsneBlock; i < min((b+1)*tsneBlock, n); i++ {
			lo, hi := aff.RowPtr[i], aff.RowPtr[i+1]
			cols, vals := aff.Col[lo:hi], e.val32[lo:hi]
			xi, yi := y[2*i], y[2*i+1]
			l.x, l.y = growF64(l.x, len(cols)), growF64(l.y, len(cols))
			e.attr[2*i], e.attr[2*i+1] = tsneAttrRow(xi, yi, y, cols, vals, l.x, l.y)
			if wantKL {
				for k, j := range cols {
					dx, dy := xi-y[2*j], yi-y[2*j+1]
					pLogW -= aff.Val[int(lo)+k] * math.Log1p(dx*dx+dy*dy)
				}
			}
		}
		e.klPart[b] = pLogW
	})
	built()
	theta2 := e.r.theta * e.r.theta
	// Repulsive sums (and Z) per point.
	if !exact && e.r.theta <= 0.7 {
		// Grouped Barnes-Hut: blocks of tree groups, one interaction list per group.
		groups := e.tree.groups
		per := max(1, len(groups)/(8*runtime.GOMAXPROCS(0)))
		nb := (len(groups) + per - 1) / per
		if len(e.zPart) < nb {
			e.zPart = make([]float64, nb)
		}
		nblocksRep := nb
		e.list(runtime.GOMAXPROCS(0) - 1) // allocate every worker's list before they start
		parallelBlocks(nb, 0, func(w, b int) {
			l := e.list(w)
			var z float64
			for _, g := range groups[b*per : min((b+1)*per, len(groups))] {
				z += e.tree.groupRepulse(g, y, theta2, l, e.rep)
			}
			e.zPart[b] = z
		})
		for b := nblocksRep; b < len(e.zPart); b++ {
			e.zPart[b] = 0
		}
	} else {
		parallelBlocks(nblocks, 0, func(_, b int) {
			i0, i1 := b*tsneBlock, min((b+1)*tsneBlock, n)
			var z float64
			for k := i0; k < i1; k++ {
				i := k
				if !exact {
					i = int(e.tree.order[k])
				}
				xi, yi := y[2*i], y[2*i+1]
				var fx, fy, zi float64
				if exact {
					for j := 0; j < n; j++ {
						dx, dy := xi-y[2*j], yi-y[2*j+1]
						w := 1 / (1 + dx*dx + dy*dy)
						zi += w
						w *= w
						fx += w * dx
						fy += w * dy
					}
					zi-- // j == i contributed w = 1 and no force
				} else {
					fx, fy, zi = e.tree.repulse(xi, yi, theta2)
				}
				e.rep[2*i], e.rep[2*i+1] = fx, fy
				z += zi
			}
			e.zPart[b] = z
		})
		for b := nblocks; b < len(e.zPart); b++ {
			e.zPart[b] = 0
		}
	}
	var z float64
	for _, v := range e.zPart {
		z += v
	}
	if z <= 0 {
		z = math.SmallestNonzeroFloat64
	}
	invZ := 1 / z
	for t := range e.grad {
		e.grad[t] = 4 * (exaggeration*e.attr[t] - e.rep[t]*invZ)
	}
	if !wantKL {
		return 0
	}
	if !e.pLogPDone {
		clearUpper()
		for _, p := range e.aff.Val {
			if p > 0 {
				e.pLogP += p * math.Log(p)
			}
		}
		e.pLogPDone = true
	}
	// KL = sum P log(P / (w / Z)) = sum P log P - sum P log w + log Z  (sum P = 1).
	var pLogW float64
	for _, v := range e.klPart[:nblocks] {
		pLogW += v
	}
	return e.pLogP - pLogW + math.Log(z)
}
