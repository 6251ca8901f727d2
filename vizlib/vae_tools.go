package vizlib

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// perClass returns up to perClass positions i of labels of each class, in class order then
// position order: a small class-balanced selection to show.
func perClass(labels []int32, classes, perClass int) []int {
	var out []int
	for k := 0; k < classes; k++ {
		n := 0
		for i, l := range labels {
			if int(l) == k && n < perClass {
				out = append(out, i)
				n++
			}
		}
	}
	return out
}

// ReconOpts are the options of Reconstructions. The zero value shows one image of each class in
// the seed's four rows, binarized at 0.5.
type ReconOpts struct {
	// PerClass is the number of evaluation images of each class; 0 means 1.
	PerClass int
	// Threshold binarizes the images (pixel > Threshold is 1); 0 means the seed's 0.5.
	Threshold float64
	// BinarizedInput adds a fifth row: the reconstructions of the binarized inputs (how much the
	// codes depend on gray levels the encoder was trained on).
	BinarizedInput bool
}

// Reconstructions shows PerClass evaluation images of each class of an autoencoder run on images
// (a VAE), put through its newest checkpoint, in the seed's four rows: the inputs, the inputs
// binarized at the threshold, their reconstructions (the decoder's pixel means) and the
// reconstructions binarized. The images are read from the run's data set (ViewOptions.DatasetDir).
func (v *RunView) Reconstructions(opts ...ReconOpts) *Figure {
	return figureOf("Reconstructions", opts, v.reconstructions)
}

func (v *RunView) reconstructions(o ReconOpts) (*imageGrid, error) {
	if o.PerClass < 0 {
		return nil, fmt.Errorf("vizlib: ReconOpts.PerClass is %d: use 0 for the default 1 or a positive count", o.PerClass)
	}
	threshold := orDefaultF(o.Threshold, 0.5)
	if !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("vizlib: ReconOpts.Threshold is %g: use 0 for the default 0.5 or a value in (0, 1)", o.Threshold)
	}
	d, err := v.load(false)
	if err != nil {
		return nil, err
	}
	info := d.info
	if d.index == nil {
		return nil, fmt.Errorf("vizlib: run %s records no evaluation indices: its images cannot be found", info.ID)
	}
	ds, err := datasets.Load(info.Dataset, v.opts.DatasetDir)
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s: %w", info.ID, err)
	}
	if len(ds.ImageShape) != 3 || ds.Test == nil {
		return nil, fmt.Errorf("vizlib: run %s: data set %s has no test images", info.ID, info.Dataset)
	}
	h, w, ch := ds.ImageShape[0], ds.ImageShape[1], ds.ImageShape[2]
	names := d.classNames()
	pick := perClass(d.labels, len(names), max(1, o.PerClass))
	sz := h * w * ch
	x := make([]float32, 0, len(pick)*sz)
	for _, i := range pick {
		j := int(d.index[i])
		if j < 0 || j >= ds.Test.N {
			return nil, fmt.Errorf("vizlib: run %s: evaluation index %d outside the %d test images of %s", info.ID, j, ds.Test.N, info.Dataset)
		}
		x = append(x, ds.Test.X[j*sz:(j+1)*sz]...)
	}
	binarize := func(x []float32) []float32 {
		b := make([]float32, len(x))
		for i, val := range x {
			if float64(val) > threshold {
				b[i] = 1
			}
		}
		return b
	}
	bin := binarize(x)
	p, err := training.NewPredictor(v.run)
	if err != nil {
		return nil, err
	}
	rec, err := p.Predict(x, len(pick))
	if err != nil {
		return nil, err
	}
	if rec.Reconstruction == nil {
		return nil, fmt.Errorf("vizlib: run %s is not an autoencoder: it has no reconstruction", info.ID)
	}
	bt := fmt.Sprintf(" (> %g)", threshold)
	g := &imageGrid{Title: "reconstructions · " + info.ID, Cols: len(pick),
		RowLabels: []string{"original", "binarized original" + bt, "reconstructed", "binarized reconstructed" + bt}}
	rows := [][]float32{x, bin, rec.Reconstruction.Data, binarize(rec.Reconstruction.Data)}
	if o.BinarizedInput {
		recBin, err := p.Predict(bin, len(pick))
		if err != nil {
			return nil, err
		}
		rows = append(rows, recBin.Reconstruction.Data)
		g.RowLabels = append(g.RowLabels, "reconstructed from the binarized original")
	}
	for _, rows := range rows {
		ims, err := imagesFromFloats(rows, len(pick), h, w, ch)
		if err != nil {
			return nil, err
		}
		g.Images = append(g.Images, ims...)
	}
	// Class names under the last row.
	g.Captions = make([]string, len(g.Images))
	for c, i := range pick {
		g.Captions[len(g.Images)-len(pick)+c] = names[d.labels[i]]
	}
	return g, nil
}

// PrototypeOpts are the options of DecodedPrototypes. The zero value decodes the prototypes of
// the last snapshot with the run's VAE decoder.
type PrototypeOpts struct {
	// Snapshot is the snapshot whose codes are averaged; nil means the last, negative counts from
	// the end.
	Snapshot *int
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run).
	Decode func(z []float32) (image.Image, error)
}

// DecodedPrototypes decodes each class's prototype, the mean latent code of its evaluation points
// at the selected snapshot, one image per class: the "average" image of each class as the model
// sees it, the image counterpart of PrototypeActivations' heatmap. A table under the images gives
// the prototypes' values (the seed's neuron_values, to start a traversal, the explorer or a
// manifold from: TraversalOpts.Class, ExplorerOpts.Class, ManifoldOpts.Class).
func (v *RunView) DecodedPrototypes(opts ...PrototypeOpts) *Figure {
	return figureOf("DecodedPrototypes", opts, v.decodedPrototypes)
}

func (v *RunView) decodedPrototypes(o PrototypeOpts) (fragments, error) {
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, err
	}
	t := -1
	if o.Snapshot != nil {
		t = *o.Snapshot
	}
	d, x, t, err := v.latentCodes(t)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	means, counts, err := reduce.ClassMeans(x, d.labels, len(names))
	if err != nil {
		return nil, err
	}
	g := &imageGrid{Title: fmt.Sprintf("decoded class prototypes (mean latent code) · snapshot %d", t)}
	tab := &dataTable{Title: "prototype values (mean latent code per class)", Headers: []string{"class"},
		Note: "the values the images above decode; n is the number of evaluation points averaged"}
	for j := 0; j < means.Cols; j++ {
		tab.Headers = append(tab.Headers, fmt.Sprintf("z%d", j))
	}
	tab.Headers = append(tab.Headers, "n")
	for l, n := range counts {
		if n == 0 {
			continue
		}
		im, err := decode(means.Row(l))
		if err != nil {
			return nil, fmt.Errorf("vizlib: decoding the prototype of %s: %w", names[l], err)
		}
		g.Images = append(g.Images, im)
		g.Captions = append(g.Captions, names[l])
		row := []string{names[l]}
		for _, val := range means.Row(l) {
			row = append(row, fmt.Sprintf("%.6f", val))
		}
		tab.Rows = append(tab.Rows, append(row, fmt.Sprint(n)))
	}
	g.Cols = len(g.Images)
	return fragments{g, tab}, nil
}

// latentSummary describes each latent dimension (each dimension of the view's layer: a VAE's
// latent means) over the evaluation points at the last snapshot, as pandas' DataFrame.describe()
// does in the seed: count, mean, standard deviation (n − 1 in the denominator), minimum,
// quartiles (linear interpolation between order statistics) and maximum; the activation bounds
// of each dimension, to choose slider and manifold ranges.
func (v *RunView) latentSummary() (*dataTable, error) {
	d, err := v.load(false)
	if err != nil {
		return nil, err
	}
	t := len(d.info.Snapshots) - 1
	x, err := d.layerAt(v.run, v.opts.Layer, t)
	if err != nil {
		return nil, err
	}
	stats := describe(x)
	tab := &dataTable{Title: fmt.Sprintf("latent activations (%s) · snapshot %d · %s", layerName(v.opts.Layer), t, d.info.ID), Headers: []string{""},
		Note: "per dimension over the evaluation points, as DataFrame.describe(): std with n − 1, quartiles interpolated linearly"}
	for j := 0; j < x.Cols; j++ {
		tab.Headers = append(tab.Headers, fmt.Sprintf("z%d", j))
	}
	for i, name := range []string{"count", "mean", "std", "min", "25%", "50%", "75%", "max"} {
		row := []string{name}
		for j := range stats {
			if i == 0 {
				row = append(row, fmt.Sprintf("%.0f", stats[j][i]))
			} else {
				row = append(row, fmt.Sprintf("%.6f", stats[j][i]))
			}
		}
		tab.Rows = append(tab.Rows, row)
	}
	return tab, nil
}

// describe returns, for each column of x ([n, d]), count, mean, sample std, min, 25%, 50%, 75%,
// max (pandas' describe: quantiles by linear interpolation, std with n − 1; NaN where undefined).
func describe(x *reduce.Matrix) [][8]float64 {
	out := make([][8]float64, x.Cols)
	col := make([]float64, x.Rows)
	for j := range out {
		var sum float64
		for i := range col {
			col[i] = float64(x.At(i, j))
			sum += col[i]
		}
		n := float64(len(col))
		mean := sum / n
		var ss float64
		for _, val := range col {
			ss += (val - mean) * (val - mean)
		}
		std := math.NaN()
		if len(col) > 1 {
			std = math.Sqrt(ss / (n - 1))
		}
		sort.Float64s(col)
		q := func(p float64) float64 {
			if len(col) == 0 {
				return math.NaN()
			}
			h := p * (n - 1)
			lo := int(math.Floor(h))
			if lo+1 >= len(col) {
				return col[len(col)-1]
			}
			return col[lo] + (h-float64(lo))*(col[lo+1]-col[lo])
		}
		out[j] = [8]float64{n, mean, std, q(0), q(0.25), q(0.5), q(0.75), q(1)}
	}
	return out
}

func classIndex(names []string, class string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(n, class) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("vizlib: no class %q; the classes are %s", class, strings.Join(names, ", "))
}

// LatentActivity describes the latent activations at the last snapshot in a table (see
// latentSummary: the seed's DataFrame.describe()), then charts, for each dimension of the view's
// layer (the embedding: a VAE's latent means), over the snapshots, its activity Var_x(E[z_d|x]), the variance over the evaluation
// points (near 0: the dimension is unused, "collapsed" to the prior), and, when the view reads the
// embedding and the run recorded the "logvar" layer (training.Config.Layers), its mean KL
// divergence to the prior, mean_x ½(μ_d² + σ_d² − 1 − log σ_d²): the information each dimension
// carries.
func (v *RunView) LatentActivity() *Figure {
	tab, err := v.latentSummary()
	if err != nil {
		return figure(nil, err)
	}
	g, err := v.latentActivity()
	if err != nil {
		return figure(nil, err)
	}
	return figure(fragments{tab, g}, nil)
}

func (v *RunView) latentActivity() (*chartGrid, error) {
	d, err := v.load(true)
	if err != nil {
		return nil, err
	}
	var logvar []*reduce.Matrix
	if d.layer == "" {
		for _, l := range d.info.Layers {
			if l == "logvar" {
				if logvar, err = d.layerSeq(v.run, "logvar"); err != nil {
					return nil, err
				}
			}
		}
	}
	dim := d.seq[0].Cols
	act := &lineChart{Title: "activity Var_x(μ_d) per latent dimension", XLabel: d.xlabel, YLabel: "variance", LogToggle: true}
	kl := &lineChart{Title: "mean KL(q(z_d|x) ‖ N(0,1)) per latent dimension", XLabel: d.xlabel, YLabel: "nats", LogToggle: true}
	vars := make([][]float64, len(d.seq))
	for t, x := range d.seq {
		if x.Cols != dim {
			return nil, fmt.Errorf("vizlib: run %s: snapshot %d has %d dimensions, snapshot 0 has %d", d.info.ID, t, x.Cols, dim)
		}
		vars[t] = columnVariances(x)
		if logvar != nil && (logvar[t].Cols != dim || logvar[t].Rows != x.Rows) {
			return nil, fmt.Errorf("vizlib: run %s: logvar at snapshot %d is [%d, %d], the embedding [%d, %d]", d.info.ID, t, logvar[t].Rows, logvar[t].Cols, x.Rows, dim)
		}
	}
	for j := 0; j < dim; j++ {
		as := lineSeries{Name: fmt.Sprintf("z%d", j), X: d.xs}
		ks := lineSeries{Name: fmt.Sprintf("z%d", j), X: d.xs}
		for t, x := range d.seq {
			as.Y = append(as.Y, vars[t][j])
			if logvar != nil {
				var s float64
				for i := 0; i < x.Rows; i++ {
					mu, l := float64(x.At(i, j)), float64(logvar[t].At(i, j))
					s += 0.5 * (mu*mu + math.Exp(l) - 1 - l)
				}
				ks.Y = append(ks.Y, s/float64(max(1, x.Rows)))
			}
		}
		act.Series = append(act.Series, as)
		kl.Series = append(kl.Series, ks)
	}
	g := &chartGrid{Title: "latent dimensions · " + d.info.ID, Cols: 2, Items: []renderable{act}}
	if logvar != nil {
		g.Items = append(g.Items, kl)
	}
	return g, nil
}

// LatentScatterMatrix draws the scatter matrix of the raw dimensions (2 to 8: a VAE's latent
// means) of the view's layer at the last snapshot, colored by class, with per-class densities on
// the diagonal. PairwiseScatter does the same for principal components.
func (v *RunView) LatentScatterMatrix() *Figure {
	return figure(v.latentScatterMatrix())
}

func (v *RunView) latentScatterMatrix() (*scatterMatrix, error) {
	d, err := v.load(false)
	if err != nil {
		return nil, err
	}
	t := len(d.info.Snapshots) - 1
	x, err := d.layerAt(v.run, v.opts.Layer, t)
	if err != nil {
		return nil, err
	}
	if x.Cols < 2 || x.Cols > 8 {
		return nil, fmt.Errorf("vizlib: LatentScatterMatrix needs 2 to 8 dimensions, %s has %d (use PairwiseScatter)", layerName(v.opts.Layer), x.Cols)
	}
	s := &scatterMatrix{Title: fmt.Sprintf("latent dimensions · snapshot %d · %s", t, d.info.ID), X: x, Labels: d.labels, ClassNames: d.classNames(), KDE: true}
	for j := 0; j < x.Cols; j++ {
		s.DimNames = append(s.DimNames, fmt.Sprintf("z%d", j))
	}
	return s, nil
}

// PathOpts are the options of DecodeAlongPath. The zero value decodes 8 points mapped back with
// reduce's default inverse (linear) by the run's VAE decoder.
type PathOpts struct {
	// Steps is the number of points decoded along the path, both ends included; 0 means 8.
	Steps int
	// Inverse maps the points of the path in the 2-D layout back to the latent space
	// (reduce.FitInverse): reduce.InverseLinear (the default) fits the affine map from layout to
	// codes by least squares, which for a PCA layout is exactly inverse PCA (z = mean + V·y, the
	// point of the principal plane); reduce.InverseKNN takes the inverse-distance-weighted mean
	// code of the K nearest layout points, for t-SNE and UMAP, which have no inverse.
	Inverse reduce.InverseOptions
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run).
	Decode func(z []float32) (image.Image, error)
}

// DecodeAlongPath walks a straight line between two classes in the last frame of a 2-D animation
// of the view's latent codes (its PCA, TSNE or UMAP, without MaxPoints or with the same view): it
// samples Steps points on the segment between the centroids of classes from and to in the frame,
// maps them back to the latent space (PathOpts.Inverse) and shows the frame with the path drawn
// as a black line (the extra class "path"; the other points keep their class colors), and the
// images decoded along it.
func (v *RunView) DecodeAlongPath(a *Animation, from, to string, opts ...PathOpts) *Figure {
	o, err := one("DecodeAlongPath", opts)
	if err != nil {
		return figure(nil, err)
	}
	sg, ig, err := v.decodeAlongPath(a, from, to, o)
	if err != nil {
		return figure(nil, err)
	}
	return figure(fragments{sg, ig}, nil)
}

func (v *RunView) decodeAlongPath(a *Animation, from, to string, o PathOpts) (*scatterGrid, *imageGrid, error) {
	if a == nil {
		return nil, nil, errors.New("vizlib: DecodeAlongPath of a nil animation")
	}
	if a.err != nil {
		return nil, nil, a.err
	}
	if len(a.Frames) == 0 || len(a.snapshots) != len(a.Frames) {
		return nil, nil, errors.New("vizlib: DecodeAlongPath needs an animation of a run view (its PCA, TSNE or UMAP)")
	}
	steps := o.Steps
	if steps == 0 {
		steps = 8
	}
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, nil, err
	}
	last := len(a.Frames) - 1
	layout, latent := a.Frames[last], a.snapshots[last]
	fi, err := classIndex(a.ClassNames, from)
	if err != nil {
		return nil, nil, err
	}
	ti, err := classIndex(a.ClassNames, to)
	if err != nil {
		return nil, nil, err
	}
	path, err := reduce.ClassPath(layout, a.Labels, int32(fi), int32(ti), steps)
	if err != nil {
		return nil, nil, fmt.Errorf("vizlib: DecodeAlongPath: %w", err)
	}
	inv, err := reduce.FitInverse(layout, latent, &o.Inverse)
	if err != nil {
		return nil, nil, fmt.Errorf("vizlib: DecodeAlongPath: %w", err)
	}
	codes, err := inv.Map(path)
	if err != nil {
		return nil, nil, fmt.Errorf("vizlib: DecodeAlongPath: %w", err)
	}
	inverse := o.Inverse.Method
	if inverse == "" {
		inverse = reduce.InverseLinear
	}
	title := fmt.Sprintf("%s: %s → %s (%s inverse)", a.Title, a.ClassNames[fi], a.ClassNames[ti], inverse)
	sg := planeScatter(title, a.Title+" · last snapshot", layout, a.Labels, a.ClassNames, path, true)
	ig := &imageGrid{Title: "decoded along the path · " + title, Cols: steps}
	for s := 0; s < steps; s++ {
		im, err := decode(codes.Row(s))
		if err != nil {
			return nil, nil, err
		}
		ig.Images = append(ig.Images, im)
		ig.Captions = append(ig.Captions, fmt.Sprintf("t=%.2f", float64(s)/float64(steps-1)))
	}
	return sg, ig, nil
}

// planeScatter draws the points of plane ([n, 2+]: the first two columns) colored by class, with
// the sampled positions (samples [m, 2+]) as red points (class "sampled") and, with line, the
// segment from the first to the last sample as a dense line of black points (class "line").
func planeScatter(title, panel string, plane *reduce.Matrix, labels []int32, classNames []string, samples *reduce.Matrix, line bool) *scatterGrid {
	const lineN = 60
	n, m := plane.Rows, samples.Rows
	extra := m
	if line {
		extra += lineN
	}
	pts := reduce.NewMatrix(n+extra, 2)
	lab := append(make([]int32, 0, n+extra), labels...)
	colors := make([][3]uint8, 0, n+extra)
	for i := 0; i < n; i++ {
		copy(pts.Row(i), plane.Row(i)[:2])
		c := classColor(int(max(0, labels[i])))
		colors = append(colors, [3]uint8{c.R, c.G, c.B})
	}
	k := int32(len(classNames))
	names := append(append([]string(nil), classNames...), "sampled")
	row := n
	if line {
		names = append(names, "line")
		p0, p1 := samples.Row(0), samples.Row(m-1)
		for s := 0; s < lineN; s++ {
			f := float32(s) / (lineN - 1)
			pts.Set(row, 0, p0[0]+(p1[0]-p0[0])*f)
			pts.Set(row, 1, p0[1]+(p1[1]-p0[1])*f)
			lab = append(lab, k+1)
			colors = append(colors, [3]uint8{0, 0, 0})
			row++
		}
	}
	for s := 0; s < m; s++ { // after the line: drawn on top
		copy(pts.Row(row), samples.Row(s)[:2])
		lab = append(lab, k)
		colors = append(colors, [3]uint8{230, 0, 0})
		row++
	}
	return &scatterGrid{Title: title, Panels: []scatterPanel{{Title: panel, Points: pts}}, Labels: lab, ClassNames: names, Colors: colors, Size: 320}
}

// PlaneOpts are the options of SamplePlane. The zero value is the seed's line sampling: 10
// points from (-1, -2) to (2, 1) in the standardized plane of the two most active latent
// dimensions, the other dimensions at their mean; in a layout (an animation's last frame), 10
// points on the diagonal of its points' mean ± std, mapped back to codes by nearest neighbour.
type PlaneOpts struct {
	// Dims are the two latent dimensions of the plane (the seed's neuron1 and neuron2) when
	// SamplePlane gets no animation; nil means the two most active (largest variance).
	Dims []int
	// Line is the segment sampled, {start, end}, in the plane's coordinates (the scatter's axes:
	// a neuron plane is standardized to mean 0 and std 1 per dimension, as the seed's
	// StandardScaler; a layout keeps its own coordinates); nil means the defaults above.
	Line [][2]float64
	// Steps is the number of points on the line, both ends included; 0 means 10 (the seed's
	// n_line_samples).
	Steps int
	// Points are custom points (the seed's sampling_points), sampled instead of the line.
	Points [][2]float64
	// Class fixes the dimensions outside a neuron plane at that class's prototype (its mean code
	// at the last snapshot); "" at their mean over the evaluation points (the seed's 0 in
	// standardized units).
	Class string
	// Inverse maps layout points back to latent codes (reduce.FitInverse); nil means the seed's
	// nearest neighbour (reduce.InverseKNN with K 1: the code of the closest point of the layout).
	// Interpolated: &reduce.InverseOptions{Method: reduce.InverseKNN, K: 10} (the
	// distance-weighted mean of the 10 nearest codes) or reduce.InverseLinear (the affine map
	// fitted to all points: exact for a PCA layout).
	Inverse *reduce.InverseOptions
	// Decode decodes a latent code [d] into an image; nil means the decoder of the run's newest
	// checkpoint (a VAE run).
	Decode func(z []float32) (image.Image, error)
}

// SamplePlane samples points in a plane of the latent space, decodes them and draws them on the
// plane's scatter (red points, the line in black), as the seed's sample_and_visualize_latent_space.
// With a nil animation the plane is two latent dimensions (PlaneOpts.Dims), standardized, the
// other dimensions fixed (PlaneOpts.Class); with an animation of the view (its PCA, TSNE or UMAP)
// the plane is its last frame, and each point becomes a latent code by PlaneOpts.Inverse.
func (v *RunView) SamplePlane(a *Animation, opts ...PlaneOpts) *Figure {
	o, err := one("SamplePlane", opts)
	if err != nil {
		return figure(nil, err)
	}
	ig, sg, err := v.samplePlane(a, o)
	if err != nil {
		return figure(nil, err)
	}
	return figure(fragments{ig, sg}, nil)
}

func (v *RunView) samplePlane(a *Animation, o PlaneOpts) (*imageGrid, *scatterGrid, error) {
	steps := o.Steps
	if steps == 0 {
		steps = 10
	}
	if steps < 2 && o.Points == nil {
		return nil, nil, fmt.Errorf("vizlib: PlaneOpts.Steps is %d: use 0 for the default 10 or at least 2", o.Steps)
	}
	if o.Line != nil && len(o.Line) != 2 {
		return nil, nil, fmt.Errorf("vizlib: PlaneOpts.Line has %d points, want 2 (start, end) or nil", len(o.Line))
	}
	if o.Points != nil && len(o.Points) == 0 {
		return nil, nil, errors.New("vizlib: PlaneOpts.Points is empty: give at least one point, or nil to sample the line")
	}
	decode, err := v.decoder(o.Decode)
	if err != nil {
		return nil, nil, err
	}
	var (
		plane, codes *reduce.Matrix // the scatter's points [n, 2] and their codes [n, d]
		labels       []int32
		classNames   []string
		title, panel string
		defLine      [2][2]float64
	)
	var toCodes func(pts *reduce.Matrix) (*reduce.Matrix, error)
	if a != nil {
		if o.Dims != nil || o.Class != "" {
			return nil, nil, errors.New("vizlib: PlaneOpts.Dims and Class choose a plane of latent dimensions: pass a nil animation with them")
		}
		if a.err != nil {
			return nil, nil, a.err
		}
		if len(a.Frames) == 0 || len(a.snapshots) != len(a.Frames) {
			return nil, nil, errors.New("vizlib: SamplePlane needs an animation of a run view (its PCA, TSNE or UMAP)")
		}
		last := len(a.Frames) - 1
		plane, codes, labels, classNames = a.Frames[last], a.snapshots[last], a.Labels, a.ClassNames
		inv := reduce.InverseOptions{Method: reduce.InverseKNN, K: 1}
		what := "nearest-neighbour"
		if o.Inverse != nil {
			inv = *o.Inverse
			switch {
			case inv.Method == reduce.InverseKNN && inv.K == 1:
			case inv.Method == reduce.InverseKNN:
				what = fmt.Sprintf("%d-nearest-neighbour interpolated", cmp.Or(max(inv.K, 0), 10))
			default:
				what = string(cmp.Or(inv.Method, reduce.InverseLinear))
			}
		}
		m, err := reduce.FitInverse(plane, codes, &inv)
		if err != nil {
			return nil, nil, fmt.Errorf("vizlib: SamplePlane: %w", err)
		}
		toCodes = m.Map
		title = fmt.Sprintf("%s · sampled (%s inverse)", a.Title, what)
		panel = a.Title + " · last snapshot"
		mean, std := columnMeanStd(plane)
		defLine = [2][2]float64{{mean[0] - std[0], mean[1] - std[1]}, {mean[0] + std[0], mean[1] + std[1]}}
	} else {
		if o.Inverse != nil {
			return nil, nil, errors.New("vizlib: PlaneOpts.Inverse maps a layout back to codes: it needs an animation (a neuron plane maps back exactly)")
		}
		d, x, _, err := v.latentCodes(-1)
		if err != nil {
			return nil, nil, err
		}
		dims := o.Dims
		if dims == nil {
			if x.Cols < 2 {
				return nil, nil, fmt.Errorf("vizlib: SamplePlane needs 2 latent dimensions, the run has %d", x.Cols)
			}
			dims = activeDims(x)[:2]
		}
		if len(dims) != 2 || dims[0] == dims[1] || min(dims[0], dims[1]) < 0 || max(dims[0], dims[1]) >= x.Cols {
			return nil, nil, fmt.Errorf("vizlib: PlaneOpts.Dims is %v: want two different dimensions in [0, %d) (or nil)", o.Dims, x.Cols)
		}
		mean, std := columnMeanStd(x)
		base := make([]float32, x.Cols)
		for j := range base {
			base[j] = float32(mean[j])
		}
		what := "their mean"
		if o.Class != "" {
			if base, what, err = v.baseCode(o.Class); err != nil {
				return nil, nil, err
			}
		}
		dx, dy := dims[0], dims[1]
		for _, j := range dims {
			if !(std[j] > 0) {
				return nil, nil, fmt.Errorf("vizlib: latent dimension %d is constant over the evaluation points: it cannot be standardized", j)
			}
		}
		plane = reduce.NewMatrix(x.Rows, 2)
		for i := 0; i < x.Rows; i++ {
			plane.Set(i, 0, float32((float64(x.At(i, dx))-mean[dx])/std[dx]))
			plane.Set(i, 1, float32((float64(x.At(i, dy))-mean[dy])/std[dy]))
		}
		labels, classNames = d.labels, d.classNames()
		toCodes = func(pts *reduce.Matrix) (*reduce.Matrix, error) {
			out := reduce.NewMatrix(pts.Rows, len(base))
			for i := 0; i < pts.Rows; i++ {
				copy(out.Row(i), base)
				out.Set(i, dx, float32(mean[dx]+std[dx]*float64(pts.At(i, 0))))
				out.Set(i, dy, float32(mean[dy]+std[dy]*float64(pts.At(i, 1))))
			}
			return out, nil
		}
		title = fmt.Sprintf("latent plane z%d × z%d (standardized), the other dimensions at %s · %s", dx, dy, what, d.info.ID)
		panel = fmt.Sprintf("z%d → , z%d ↑ (standardized)", dx, dy)
		defLine = [2][2]float64{{-1, -2}, {2, 1}}
	}
	// The sampled positions.
	var pts *reduce.Matrix
	line := o.Points == nil
	if line {
		l := defLine
		if o.Line != nil {
			l = [2][2]float64{o.Line[0], o.Line[1]}
		}
		pts = reduce.NewMatrix(steps, 2)
		for s := 0; s < steps; s++ {
			f := float64(s) / float64(steps-1)
			pts.Set(s, 0, float32(l[0][0]+(l[1][0]-l[0][0])*f))
			pts.Set(s, 1, float32(l[0][1]+(l[1][1]-l[0][1])*f))
		}
	} else {
		pts = reduce.NewMatrix(len(o.Points), 2)
		for s, p := range o.Points {
			pts.Set(s, 0, float32(p[0]))
			pts.Set(s, 1, float32(p[1]))
		}
	}
	for _, val := range pts.Data {
		if math.IsNaN(float64(val)) || math.IsInf(float64(val), 0) {
			return nil, nil, errors.New("vizlib: PlaneOpts: the sampled points must be finite")
		}
	}
	z, err := toCodes(pts)
	if err != nil {
		return nil, nil, fmt.Errorf("vizlib: SamplePlane: %w", err)
	}
	ig := &imageGrid{Title: "decoded at the sampled points · " + title, Cols: min(5, pts.Rows)}
	for s := 0; s < pts.Rows; s++ {
		im, err := decode(z.Row(s))
		if err != nil {
			return nil, nil, fmt.Errorf("vizlib: decoding sampled point %d: %w", s, err)
		}
		ig.Images = append(ig.Images, im)
		ig.Captions = append(ig.Captions, fmt.Sprintf("(%.2f, %.2f)", pts.At(s, 0), pts.At(s, 1)))
	}
	return ig, planeScatter(title, panel, plane, labels, classNames, pts, line), nil
}

// columnMeanStd returns the mean and the population standard deviation (as sklearn's
// StandardScaler) of each column of x ([n, d]).
func columnMeanStd(x *reduce.Matrix) (mean, std []float64) {
	v := columnVariances(x)
	mean = make([]float64, x.Cols)
	for i := 0; i < x.Rows; i++ {
		for j, val := range x.Row(i) {
			mean[j] += float64(val)
		}
	}
	std = make([]float64, x.Cols)
	for j := range mean {
		mean[j] /= float64(max(1, x.Rows))
		std[j] = math.Sqrt(max(0, v[j]))
	}
	return mean, std
}
