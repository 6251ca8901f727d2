package vizlib

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// decoderFunc maps a latent code z ([d]) to an image: the VAE's decoder, or the Decode field of a
// decoding view's options.
type decoderFunc func(z []float32) (image.Image, error)

// vaeDecoder is the decoder of one run, built once.
type vaeDecoder struct {
	once   sync.Once
	decode decoderFunc
	err    error
}

// vaeDecoders holds the decoder of each run (by *training.Run) that a view decoded with: the
// decoder's graph is compiled once per run, not once per view.
var vaeDecoders sync.Map

// decoder returns custom when it is not nil, else the decoder of the view's run (a VAE run:
// training.NewVAEDecoder of its newest checkpoint, built once per run).
func (v *RunView) decoder(custom func(z []float32) (image.Image, error)) (decoderFunc, error) {
	if v.err != nil {
		return nil, v.err
	}
	if custom != nil {
		return custom, nil
	}
	e, _ := vaeDecoders.LoadOrStore(v.run, &vaeDecoder{})
	vd := e.(*vaeDecoder)
	vd.once.Do(func() {
		d, err := training.NewVAEDecoder(v.run)
		if err != nil {
			vd.err = fmt.Errorf("vizlib: the decoding views need a VAE run (or a Decode function in their options): %w", err)
			return
		}
		h, w, c := d.ImageShape[0], d.ImageShape[1], d.ImageShape[2]
		vd.decode = func(z []float32) (image.Image, error) {
			ims, err := d.Decode([][]float32{z})
			if err != nil {
				return nil, err
			}
			return imageFromFloats(ims[0], h, w, c)
		}
	})
	return vd.decode, vd.err
}

// latentCodes returns the run's data and its latent codes (the embedding: the VAE's latent means,
// subset applied) at snapshot t (negative counts from the end), whatever layer the view reads:
// decoders decode latent codes.
func (v *RunView) latentCodes(t int) (*runData, *reduce.Matrix, int, error) {
	d, err := v.load(false)
	if err != nil {
		return nil, nil, 0, err
	}
	if t, err = d.snapshotIndex(t); err != nil {
		return nil, nil, 0, err
	}
	x, err := d.layerAt(v.run, "", t)
	if err != nil {
		return nil, nil, 0, err
	}
	return d, x, t, nil
}

// SampleOpts are the options of DecodedSamples. The zero value decodes 20 codes drawn with seed 0
// by the run's VAE decoder.
type SampleOpts struct {
	// N is the number of samples; 0 means 20.
	N int
	// Seed seeds the codes drawn.
	Seed uint64
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run). Tests and other generative models pass their own.
	Decode func(z []float32) (image.Image, error)
}

// DecodedSamples decodes N latent codes drawn from the prior N(0, I) of the run's d-dimensional
// latent space: what the generative model makes of random codes.
func (v *RunView) DecodedSamples(opts ...SampleOpts) *Figure {
	return figureOf("DecodedSamples", opts, v.decodedSamples)
}

func (v *RunView) decodedSamples(o SampleOpts) (*imageGrid, error) {
	n := o.N
	if n == 0 {
		n = 20
	}
	if n < 0 {
		return nil, fmt.Errorf("vizlib: SampleOpts.N is %d: use 0 for the default 20 or a positive count", o.N)
	}
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, err
	}
	_, x, _, err := v.latentCodes(-1)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xdec0de))
	g := &imageGrid{Title: fmt.Sprintf("%d samples from the prior N(0, I)", n), Cols: min(10, n)}
	for i := 0; i < n; i++ {
		z := make([]float32, x.Cols)
		for j := range z {
			z[j] = float32(rng.NormFloat64())
		}
		im, err := decode(z)
		if err != nil {
			return nil, fmt.Errorf("vizlib: decoding sample %d: %w", i, err)
		}
		g.Images = append(g.Images, im)
	}
	return g, nil
}

// TraversalOpts are the options of LatentTraversal. The zero value sweeps every latent dimension
// over -3, -2, ..., 3 from the origin, as a static grid.
type TraversalOpts struct {
	// Class starts every row from that class's prototype, its mean latent code at the last
	// snapshot (the name, case-insensitive); "" starts from the origin z = 0.
	Class string
	// Dims are the latent dimensions swept, one row each; nil means all of them.
	Dims []int
	// Values are the values each swept dimension takes, one column each; nil means -3, -2, ..., 3.
	Values []float64
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run).
	Decode func(z []float32) (image.Image, error)
}

// LatentTraversal decodes a base code (the origin, or a class's prototype) with each latent
// dimension in turn swept over values: row r varies dimension Dims[r], column c sets it to
// Values[c], the other dimensions keep the base's values. It shows which feature of the images
// each dimension controls (a collapsed dimension changes nothing): the seed's neuron progression.
// LatentExplorer is its live counterpart (sliders decoded in the browser).
func (v *RunView) LatentTraversal(opts ...TraversalOpts) *Figure {
	return figureOf("LatentTraversal", opts, v.latentTraversal)
}

func (v *RunView) latentTraversal(o TraversalOpts) (*imageGrid, error) {
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, err
	}
	base, what, err := v.baseCode(o.Class)
	if err != nil {
		return nil, err
	}
	title := "latent traversals from " + what
	dims := o.Dims
	if dims == nil {
		dims = make([]int, len(base))
		for i := range dims {
			dims[i] = i
		}
	}
	values := o.Values
	if values == nil {
		values = []float64{-3, -2, -1, 0, 1, 2, 3}
	}
	if len(values) == 0 || len(dims) == 0 {
		return nil, errors.New("vizlib: LatentTraversal needs at least one dimension and one value")
	}
	g, err := traversal(decode, base, dims, values)
	if err != nil {
		return nil, err
	}
	g.Title = title
	return g, nil
}

// traversal decodes base ([d]) with each dimension in dims set to each of values: row r varies
// dims[r]; captions (the values) under the last row.
func traversal(decode decoderFunc, base []float32, dims []int, values []float64) (*imageGrid, error) {
	dim := len(base)
	g := &imageGrid{Cols: len(values)}
	for _, d := range dims {
		if d < 0 || d >= dim {
			return nil, fmt.Errorf("vizlib: latent dimension %d outside [0, %d)", d, dim)
		}
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("z%d", d))
		for _, val := range values {
			z := append([]float32(nil), base...)
			z[d] = float32(val)
			im, err := decode(z)
			if err != nil {
				return nil, fmt.Errorf("vizlib: decoding z%d=%.2f: %w", d, val, err)
			}
			g.Images = append(g.Images, im)
		}
	}
	g.Captions = make([]string, len(g.Images))
	for c, val := range values {
		g.Captions[len(g.Images)-len(values)+c] = fmt.Sprintf("%+.1f", val)
	}
	return g, nil
}

// ManifoldOpts are the options of LatentManifold. The zero value decodes a 12 x 12 grid over
// [-2.5, 2.5]² of the two most active latent dimensions, the other dimensions at 0.
type ManifoldOpts struct {
	// Dims are the latent dimensions of the columns and of the rows; nil means the two most active
	// dimensions (the largest variance of the latent codes over the evaluation points at the last
	// snapshot, see LatentActivity), the most active along the columns.
	Dims []int
	// Steps is the number of images along each side; 0 means 12.
	Steps int
	// Extent bounds the grid: each dimension spans [-Extent, Extent]; 0 means 2.5.
	Extent float64
	// Class fixes the other dimensions at that class's prototype (its mean latent code at the
	// last snapshot, as the seed's neuron_values); "" fixes them at 0.
	Class string
	// Sliders adds, where scripts run, one slider per other dimension (starting at the base,
	// over [-3, 3]) that re-decodes the grid in the browser: the decoder's weights travel in the
	// output (float16, about 2 bytes per weight), and the static grid stays as the poster. It
	// needs the run's VAE decoder (not Decode).
	Sliders bool
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run).
	Decode func(z []float32) (image.Image, error)
}

// LatentManifold decodes a Steps x Steps grid over two latent dimensions (columns: Dims[0] from
// -Extent to Extent, rows: Dims[1] from Extent down to -Extent), the other dimensions fixed at a
// base (0, or a class's prototype): the 2-D latent manifold of a VAE, where the classes blend
// into each other. With Sliders the base is live (decoded in the browser).
func (v *RunView) LatentManifold(opts ...ManifoldOpts) *Figure {
	return figureOf("LatentManifold", opts, v.latentManifold)
}

func (v *RunView) latentManifold(o ManifoldOpts) (renderable, error) {
	steps, extent := o.Steps, o.Extent
	if steps == 0 {
		steps = 12
	}
	if extent == 0 {
		extent = 2.5
	}
	if steps < 2 || !(extent > 0) || math.IsInf(extent, 0) {
		return nil, fmt.Errorf("vizlib: LatentManifold needs Steps >= 2 and a positive finite Extent, got %d and %g", o.Steps, o.Extent)
	}
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, err
	}
	_, x, _, err := v.latentCodes(-1)
	if err != nil {
		return nil, err
	}
	base, what, err := v.baseCode(o.Class)
	if err != nil {
		return nil, err
	}
	dim := x.Cols
	dims := o.Dims
	if dims == nil {
		if dim < 2 {
			return nil, fmt.Errorf("vizlib: LatentManifold needs 2 latent dimensions, the run has %d", dim)
		}
		dims = activeDims(x)[:2]
	}
	if len(dims) != 2 {
		return nil, fmt.Errorf("vizlib: ManifoldOpts.Dims has %d dimensions, want 2 (or nil)", len(dims))
	}
	g, err := manifold(decode, base, dims[0], dims[1], steps, extent)
	if err != nil {
		return nil, err
	}
	if what != "the origin" {
		g.Title += ", the other dimensions at " + what
	}
	if !o.Sliders {
		return g, nil
	}
	if o.Decode != nil {
		return nil, errors.New("vizlib: ManifoldOpts.Sliders decodes in the browser with the run's VAE decoder: it cannot use a Decode function")
	}
	bm, err := v.browserDecoder()
	if err != nil {
		return nil, err
	}
	spec := vaeLiveSpec{Kind: "manifold", Model: bm, Dims: []int{dims[0], dims[1]}, Extent: extent, Step: 0.1, SliderExtent: 3, Steps: steps, Scale: 1}
	for d, z := range base {
		spec.Base = append(spec.Base, float64(z))
		spec.DimNames = append(spec.DimNames, fmt.Sprintf("z%d", d))
	}
	title := g.Title
	g.Title = ""
	return &vaeLive{Title: title, Poster: g.html(), Spec: spec}, nil
}

// manifold decodes a steps x steps grid over dimensions dx (columns, from -extent to extent) and
// dy (rows, from extent down to -extent) of the latent space of base ([d]), the other dimensions
// at base's values.
func manifold(decode decoderFunc, base []float32, dx, dy, steps int, extent float64) (*imageGrid, error) {
	dim := len(base)
	if dx < 0 || dx >= dim || dy < 0 || dy >= dim || dx == dy {
		return nil, fmt.Errorf("vizlib: latent manifold dimensions (%d, %d) must differ and lie in [0, %d)", dx, dy, dim)
	}
	g := &imageGrid{Title: fmt.Sprintf("latent manifold z%d x z%d", dx, dy), Cols: steps, Scale: 1}
	for r := 0; r < steps; r++ {
		yv := extent - 2*extent*float64(r)/float64(steps-1)
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("%+.1f", yv))
		for c := 0; c < steps; c++ {
			z := append([]float32(nil), base...)
			z[dx] = float32(-extent + 2*extent*float64(c)/float64(steps-1))
			z[dy] = float32(yv)
			im, err := decode(z)
			if err != nil {
				return nil, fmt.Errorf("vizlib: decoding z%d=%.2f, z%d=%.2f: %w", dx, z[dx], dy, yv, err)
			}
			g.Images = append(g.Images, im)
		}
	}
	return g, nil
}

// activeDims returns the dimensions of x ([n, d]) by decreasing variance over the rows.
func activeDims(x *reduce.Matrix) []int {
	v := columnVariances(x)
	dims := make([]int, x.Cols)
	for j := range dims {
		dims[j] = j
	}
	sort.SliceStable(dims, func(a, b int) bool { return v[dims[a]] > v[dims[b]] })
	return dims
}

// columnVariances returns the variance of each column of x ([n, d]) over its rows.
func columnVariances(x *reduce.Matrix) []float64 {
	mean := make([]float64, x.Cols)
	sq := make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, val := range x.Row(i) {
			mean[j] += float64(val)
			sq[j] += float64(val) * float64(val)
		}
	}
	n := float64(max(1, x.Rows))
	for j := range mean {
		mean[j] /= n
		sq[j] = sq[j]/n - mean[j]*mean[j]
	}
	return sq
}
