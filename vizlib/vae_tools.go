package vizlib

import (
	"errors"
	"fmt"
	"image"
	"math"
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

// ReconOpts are the options of Reconstructions. The zero value shows one image of each class.
type ReconOpts struct {
	// PerClass is the number of evaluation images of each class; 0 means 1.
	PerClass int
}

// Reconstructions shows PerClass evaluation images of each class of an autoencoder run on images
// (a VAE), put through its newest checkpoint, in four rows: the inputs, their reconstructions
// (the decoder's pixel means), the inputs binarized at 0.5, and the reconstructions of the
// binarized inputs. The images are read from the run's data set (ViewOptions.DatasetDir).
func (v *RunView) Reconstructions(opts ...ReconOpts) *Figure {
	return figureOf("Reconstructions", opts, v.reconstructions)
}

func (v *RunView) reconstructions(o ReconOpts) (*imageGrid, error) {
	if o.PerClass < 0 {
		return nil, fmt.Errorf("vizlib: ReconOpts.PerClass is %d: use 0 for the default 1 or a positive count", o.PerClass)
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
	bin := make([]float32, len(x))
	for i, val := range x {
		if val > 0.5 {
			bin[i] = 1
		}
	}
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
	recBin, err := p.Predict(bin, len(pick))
	if err != nil {
		return nil, err
	}
	g := &imageGrid{Title: "reconstructions · " + info.ID, Cols: len(pick),
		RowLabels: []string{"input", "reconstruction", "binarized input", "its reconstruction"}}
	for _, rows := range [][]float32{x, rec.Reconstruction.Data, bin, recBin.Reconstruction.Data} {
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
// sees it, the image counterpart of PrototypeActivations' heatmap.
func (v *RunView) DecodedPrototypes(opts ...PrototypeOpts) *Figure {
	return figureOf("DecodedPrototypes", opts, v.decodedPrototypes)
}

func (v *RunView) decodedPrototypes(o PrototypeOpts) (*imageGrid, error) {
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
	}
	g.Cols = len(g.Images)
	return g, nil
}

func classIndex(names []string, class string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(n, class) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("vizlib: no class %q; the classes are %s", class, strings.Join(names, ", "))
}

// LatentActivity charts, for each dimension of the view's layer (the embedding: a VAE's latent
// means), over the snapshots, its activity Var_x(E[z_d|x]), the variance over the evaluation
// points (near 0: the dimension is unused, "collapsed" to the prior), and, when the view reads the
// embedding and the run recorded the "logvar" layer (training.Config.Layers), its mean KL
// divergence to the prior, mean_x ½(μ_d² + σ_d² − 1 − log σ_d²): the information each dimension
// carries.
func (v *RunView) LatentActivity() *Figure {
	return figure(v.latentActivity())
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
	// The map with the path drawn as a dense line of black points (class "path"); the other points
	// keep their class colors.
	const line = 60
	n := layout.Rows
	pts := reduce.NewMatrix(n+line, 2)
	labels := append([]int32(nil), a.Labels...)
	colors := make([][3]uint8, 0, n+line)
	for i := 0; i < n; i++ {
		copy(pts.Row(i), layout.Row(i)[:2])
		c := classColor(int(max(0, a.Labels[i])))
		colors = append(colors, [3]uint8{c.R, c.G, c.B})
	}
	p0, p1 := path.Row(0), path.Row(steps-1)
	for s := 0; s < line; s++ {
		f := float32(s) / (line - 1)
		pts.Set(n+s, 0, p0[0]+(p1[0]-p0[0])*f)
		pts.Set(n+s, 1, p0[1]+(p1[1]-p0[1])*f)
		labels = append(labels, int32(len(a.ClassNames)))
		colors = append(colors, [3]uint8{0, 0, 0})
	}
	title := fmt.Sprintf("%s: %s → %s (%s inverse)", a.Title, a.ClassNames[fi], a.ClassNames[ti], inverse)
	sg := &scatterGrid{Title: title, Panels: []scatterPanel{{Title: a.Title + " · last snapshot", Points: pts}},
		Labels: labels, ClassNames: append(append([]string(nil), a.ClassNames...), "path"), Colors: colors, Size: 300}
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
