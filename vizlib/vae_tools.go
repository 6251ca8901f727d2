package vizlib

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// VAEDecoder returns the Decoder of a VAE run (training.NewVAEDecoder: the decoder of its newest
// checkpoint, compiled once) for LatentExplorer, LatentTraversal, LatentManifold, VAESamples,
// DecodedPrototypes and DecodeAlongPath.
func VAEDecoder(run *training.Run) (Decoder, error) {
	d, err := training.NewVAEDecoder(run)
	if err != nil {
		return nil, err
	}
	h, w, c := d.ImageShape[0], d.ImageShape[1], d.ImageShape[2]
	return func(z []float32) (image.Image, error) {
		ims, err := d.Decode([][]float32{z})
		if err != nil {
			return nil, err
		}
		return ImageFromFloats(ims[0], h, w, c)
	}, nil
}

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

// VAEReconstructions shows perClass evaluation images of each class of a VAE (or any
// autoencoder on images) run, decoded with its newest checkpoint, in four rows: the inputs, their
// reconstructions (the decoder's pixel means), the inputs binarized at 0.5, and the
// reconstructions of the binarized inputs. DatasetDir selects the data set's directory.
func VAEReconstructions(run *training.Run, perClassN int, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := vaeReconstructions(run, perClassN, c)
	return emit(c, g, err)
}

func vaeReconstructions(run *training.Run, perClassN int, c *config) (*ImageGrid, error) {
	if run == nil {
		return nil, errors.New("vizlib: nil run")
	}
	info := run.Info()
	ds, err := datasets.Load(info.Dataset, c.datasetDir)
	if err != nil {
		return nil, fmt.Errorf("vizlib: run %s: %w", info.ID, err)
	}
	if len(ds.ImageShape) != 3 {
		return nil, fmt.Errorf("vizlib: run %s: data set %s has no images", info.ID, info.Dataset)
	}
	h, w, ch := ds.ImageShape[0], ds.ImageShape[1], ds.ImageShape[2]
	labels, err := run.Labels()
	if err != nil {
		return nil, err
	}
	index, err := run.EvalIndex()
	if err != nil {
		return nil, err
	}
	pick := perClass(labels, len(ds.ClassNames), max(1, perClassN))
	sz := h * w * ch
	x := make([]float32, 0, len(pick)*sz)
	for _, i := range pick {
		j := int(index[i])
		x = append(x, ds.Test.X[j*sz:(j+1)*sz]...)
	}
	bin := make([]float32, len(x))
	for i, v := range x {
		if v > 0.5 {
			bin[i] = 1
		}
	}
	p, err := training.NewPredictor(run)
	if err != nil {
		return nil, err
	}
	rec, err := p.Predict(x, len(pick))
	if err != nil {
		return nil, err
	}
	recBin, err := p.Predict(bin, len(pick))
	if err != nil {
		return nil, err
	}
	if rec.Reconstruction == nil {
		return nil, fmt.Errorf("vizlib: run %s is not an autoencoder: it has no reconstruction", info.ID)
	}
	g := &ImageGrid{Title: "reconstructions · " + info.ID, Cols: len(pick),
		RowLabels: []string{"input", "reconstruction", "binarized input", "its reconstruction"}}
	for _, rows := range [][]float32{x, rec.Reconstruction.Data, bin, recBin.Reconstruction.Data} {
		ims, err := ImagesFromFloats(rows, len(pick), h, w, ch)
		if err != nil {
			return nil, err
		}
		g.Images = append(g.Images, ims...)
	}
	for _, i := range pick {
		g.Captions = append(g.Captions, ds.ClassNames[labels[i]])
	}
	caps := make([]string, len(g.Images))
	copy(caps[len(caps)-len(pick):], g.Captions)
	g.Captions = caps
	return g, nil
}

// VAESamples decodes n latent vectors drawn from the prior N(0, I) of a dim-dimensional latent
// space (seeded by seed): what the generative model makes of random codes.
func VAESamples(decode Decoder, dim, n int, seed uint64) (*ImageGrid, error) {
	if dim < 1 || n < 1 {
		return nil, fmt.Errorf("vizlib: VAESamples needs dim >= 1 and n >= 1, got %d and %d", dim, n)
	}
	rng := rand.New(rand.NewPCG(seed, 0xdec0de))
	g := &ImageGrid{Title: fmt.Sprintf("%d samples from the prior N(0, I)", n), Cols: min(10, n)}
	for i := 0; i < n; i++ {
		z := make([]float32, dim)
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

// classMeans returns the mean of x's rows of each class [k, d] and the classes that have points.
func classMeans(x *reduce.Matrix, labels []int32, k int) (*reduce.Matrix, []int) {
	means := reduce.NewMatrix(k, x.Cols)
	counts := make([]int, k)
	for i, l := range labels {
		if l < 0 || int(l) >= k {
			continue
		}
		counts[l]++
		for j, v := range x.Row(i) {
			means.Row(int(l))[j] += v
		}
	}
	var present []int
	for l := 0; l < k; l++ {
		if counts[l] == 0 {
			continue
		}
		present = append(present, l)
		for j := range means.Row(l) {
			means.Row(l)[j] /= float32(counts[l])
		}
	}
	return means, present
}

// DecodedPrototypes decodes each class's prototype, the mean latent code (embedding) of its
// evaluation points at the selected snapshot (Snapshot, default the last), one image per class:
// the image counterpart of PrototypeActivations' heatmap.
func DecodedPrototypes(run *training.Run, decode Decoder, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := decodedPrototypes(run, decode, c)
	return emit(c, g, err)
}

func decodedPrototypes(run *training.Run, decode Decoder, c *config) (*ImageGrid, error) {
	d, t, err := loadRunSnapshot(run, c)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	means, present := classMeans(d.seq[t], d.labels, len(names))
	g := &ImageGrid{Title: fmt.Sprintf("decoded class prototypes (mean latent code) · snapshot %d", t), Cols: len(present)}
	for _, l := range present {
		im, err := decode(means.Row(l))
		if err != nil {
			return nil, fmt.Errorf("vizlib: decoding the prototype of %s: %w", names[l], err)
		}
		g.Images = append(g.Images, im)
		g.Captions = append(g.Captions, names[l])
	}
	return g, nil
}

// ClassTraversal decodes, for each latent dimension (rows), the prototype of class (its mean
// latent code at the last snapshot) with that dimension set to each of values (columns): which
// feature of a class's typical image each dimension controls.
func ClassTraversal(run *training.Run, decode Decoder, class string, values []float64, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := classTraversal(run, decode, class, values, c)
	return emit(c, g, err)
}

func classTraversal(run *training.Run, decode Decoder, class string, values []float64, c *config) (*ImageGrid, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	names := d.classNames()
	k, err := classIndex(names, class)
	if err != nil {
		return nil, err
	}
	x := d.seq[len(d.seq)-1]
	means, _ := classMeans(x, d.labels, len(names))
	dims := make([]int, x.Cols)
	for i := range dims {
		dims[i] = i
	}
	g, err := LatentTraversal(decode, x.Cols, means.Row(k), dims, values)
	if err != nil {
		return nil, err
	}
	g.Title = fmt.Sprintf("latent traversals around the %s prototype", names[k])
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

// LatentActivity charts, for each latent dimension, over the snapshots: its activity
// Var_x(E[z_d|x]) (the variance over evaluation points of the embedding, i.e. the latent mean;
// a dimension with activity near 0 is unused, "collapsed" to the prior) and, when the run
// recorded the "logvar" layer (Config.Layers), its mean KL divergence to the prior
// mean_x 1/2 (μ_d² + σ_d² - 1 - log σ_d²): the information each dimension carries.
func LatentActivity(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	g, err := latentActivity(run, c)
	return emit(c, g, err)
}

func latentActivity(run *training.Run, c *config) (*Grid, error) {
	d, err := loadRun(run, c, true)
	if err != nil {
		return nil, err
	}
	dim := d.seq[0].Cols
	act := &Chart{Title: "activity Var_x(μ_d) per latent dimension", XLabel: d.xlabel, YLabel: "variance", LogToggle: true}
	kl := &Chart{Title: "mean KL(q(z_d|x) ‖ N(0,1)) per latent dimension", XLabel: d.xlabel, YLabel: "nats", LogToggle: true}
	hasKL := false
	for _, l := range run.Info().Layers {
		hasKL = hasKL || l == "logvar"
	}
	for j := 0; j < dim; j++ {
		as := Series{Name: fmt.Sprintf("z%d", j), X: d.xs}
		ks := Series{Name: fmt.Sprintf("z%d", j), X: d.xs}
		for t, x := range d.seq {
			var mean, sq float64
			for i := 0; i < x.Rows; i++ {
				v := float64(x.At(i, j))
				mean += v
				sq += v * v
			}
			n := float64(x.Rows)
			mean /= n
			as.Y = append(as.Y, sq/n-mean*mean)
			if hasKL {
				lv, err := run.Layer(t, "logvar")
				if err != nil {
					return nil, err
				}
				lv = pickRows(lv, d.subset)
				var s float64
				for i := 0; i < x.Rows; i++ {
					mu, l := float64(x.At(i, j)), float64(lv.At(i, j))
					s += 0.5 * (mu*mu + math.Exp(l) - 1 - l)
				}
				ks.Y = append(ks.Y, s/n)
			}
		}
		act.Series = append(act.Series, as)
		kl.Series = append(kl.Series, ks)
	}
	g := &Grid{Title: "latent dimensions · " + d.info.ID, Cols: 2, Items: []Renderable{act}}
	if hasKL {
		g.Items = append(g.Items, kl)
	}
	return g, nil
}

// LatentScatterMatrix draws the scatter matrix of the raw embedding dimensions (at most 8: the
// VAE's latent means) of the selected snapshot (Snapshot, default the last), with per-class KDEs
// on the diagonal. PairwiseScatter does the same for principal components.
func LatentScatterMatrix(run *training.Run, opts ...Option) (string, error) {
	c := newConfig(opts)
	s, err := latentScatterMatrix(run, c)
	return emit(c, s, err)
}

func latentScatterMatrix(run *training.Run, c *config) (*ScatterMatrix, error) {
	d, t, err := loadRunSnapshot(run, c)
	if err != nil {
		return nil, err
	}
	x := d.seq[t]
	if x.Cols < 2 || x.Cols > 8 {
		return nil, fmt.Errorf("vizlib: LatentScatterMatrix needs 2 to 8 dimensions, the embedding has %d (use PairwiseScatter)", x.Cols)
	}
	s := &ScatterMatrix{Title: fmt.Sprintf("latent dimensions · snapshot %d · %s", t, d.info.ID), X: x, Labels: d.labels, ClassNames: d.classNames(), KDE: true}
	for j := 0; j < x.Cols; j++ {
		s.DimNames = append(s.DimNames, fmt.Sprintf("z%d", j))
	}
	return s, nil
}

// Inverse maps of LayoutPath from a 2-D layout back to the latent space.
const (
	// InverseLinear fits the affine map z ≈ W·y + b from layout points y to latent codes z by
	// least squares over all points. For a PCA layout (y = Vᵀ(z - mean)) it is exactly inverse
	// PCA, z = mean + V·y: the point of the principal plane.
	InverseLinear = "linear"
	// InverseKNN maps y to the inverse-distance-weighted mean of the latent codes of its K nearest
	// layout points (weights 1/(distance + 1e-9)): for t-SNE and UMAP, which have no inverse.
	InverseKNN = "knn"
)

// LayoutPath samples steps >= 2 points evenly on the segment from the centroid of class from to
// the centroid of class to in a 2-D layout (layout [n, 2], e.g. a PCA, t-SNE or UMAP frame of the
// latent codes latent [n, d], row i of both the same point, labels [n]) and maps each back to the
// latent space with inverse (InverseLinear or InverseKNN with k neighbours; k <= 0 means 10).
// It returns the path in the layout, [steps, 2], and in the latent space, [steps, d], ready to
// decode.
func LayoutPath(layout, latent *reduce.Matrix, labels []int32, from, to int32, steps int, inverse string, k int) (path, codes *reduce.Matrix, err error) {
	n := len(labels)
	if layout == nil || latent == nil || layout.Rows != n || latent.Rows != n || layout.Cols < 2 {
		return nil, nil, fmt.Errorf("vizlib: LayoutPath needs a layout [n, 2] and latent codes [n, d] for the n = %d labels", n)
	}
	if steps < 2 {
		return nil, nil, fmt.Errorf("vizlib: LayoutPath needs at least 2 steps, got %d", steps)
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
		return nil, nil, fmt.Errorf("vizlib: LayoutPath needs two different classes with points: class %d has %d, class %d has %d", from, na, to, nb)
	}
	path = reduce.NewMatrix(steps, 2)
	for s := 0; s < steps; s++ {
		f := float64(s) / float64(steps-1)
		for j := 0; j < 2; j++ {
			a, b := ca[j]/float64(na), cb[j]/float64(nb)
			path.Set(s, j, float32(a+(b-a)*f))
		}
	}
	switch inverse {
	case InverseLinear:
		codes, err = inverseLinear(layout, latent, path)
	case InverseKNN:
		if k <= 0 {
			k = 10
		}
		codes = inverseKNN(layout, latent, path, min(k, n))
	default:
		err = fmt.Errorf("vizlib: LayoutPath inverse %q: want %q or %q", inverse, InverseLinear, InverseKNN)
	}
	if err != nil {
		return nil, nil, err
	}
	return path, codes, nil
}

// inverseLinear fits z = W·[y1, y2, 1] by least squares and applies it to the queries.
func inverseLinear(layout, latent, queries *reduce.Matrix) (*reduce.Matrix, error) {
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
		return nil, errors.New("vizlib: LayoutPath: the layout is degenerate (its points lie on a line)")
	}
	out := reduce.NewMatrix(queries.Rows, latent.Cols)
	for q := 0; q < queries.Rows; q++ {
		a := [3]float64{float64(queries.At(q, 0)), float64(queries.At(q, 1)), 1}
		for j := range atz {
			var v float64
			for r := 0; r < 3; r++ {
				var w float64 // W[j][r] = Σ_s inv[r][s] atz[j][s]
				for s := 0; s < 3; s++ {
					w += inv[r][s] * atz[j][s]
				}
				v += w * a[r]
			}
			out.Set(q, j, float32(v))
		}
	}
	return out, nil
}

// invert3 inverts a symmetric 3x3 matrix by cofactors.
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

// inverseKNN maps each query to the inverse-distance-weighted mean of the latent codes of its k
// nearest layout points.
func inverseKNN(layout, latent, queries *reduce.Matrix, k int) *reduce.Matrix {
	out := reduce.NewMatrix(queries.Rows, latent.Cols)
	type nd struct {
		i int
		d float64
	}
	all := make([]nd, layout.Rows)
	for q := 0; q < queries.Rows; q++ {
		qx, qy := float64(queries.At(q, 0)), float64(queries.At(q, 1))
		for i := range all {
			dx, dy := float64(layout.At(i, 0))-qx, float64(layout.At(i, 1))-qy
			all[i] = nd{i, math.Sqrt(dx*dx + dy*dy)}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].d < all[b].d })
		var wsum float64
		row := make([]float64, latent.Cols)
		for _, p := range all[:k] {
			w := 1 / (p.d + 1e-9)
			wsum += w
			for j, z := range latent.Row(p.i) {
				row[j] += w * float64(z)
			}
		}
		for j := range row {
			out.Set(q, j, float32(row[j]/wsum))
		}
	}
	return out
}

// DecodeAlongPath walks a straight line between two classes in the last frame of a 2-D
// animation of latent codes (PCAAnimation, TSNEAnimation or UMAPAnimation of a VAE run, made
// without MaxPoints) and decodes it: it picks the centroids of classes from and to in the frame,
// samples steps points on the segment between them, maps them back to the latent space with
// inverse (InverseLinear for PCA, InverseKNN for t-SNE and UMAP; see LayoutPath) and shows the
// frame with the path drawn as a black line (the extra class "path"; the other points keep their
// class colors), and the decoded images along it.
func DecodeAlongPath(a *Animation, decode Decoder, from, to string, steps int, inverse string, opts ...Option) (string, error) {
	c := newConfig(opts)
	sg, ig, err := decodeAlongPath(a, decode, from, to, steps, inverse)
	if err != nil {
		return emit(c, nil, err)
	}
	h1, _ := emit(c, sg, nil)
	h2, _ := emit(c, ig, nil)
	return h1 + h2, nil
}

func decodeAlongPath(a *Animation, decode Decoder, from, to string, steps int, inverse string) (*ScatterGrid, *ImageGrid, error) {
	if a == nil {
		return nil, nil, errors.New("vizlib: DecodeAlongPath of a nil animation")
	}
	if a.Err != nil {
		return nil, nil, a.Err
	}
	if len(a.Frames) == 0 || len(a.snapshots) != len(a.Frames) {
		return nil, nil, errors.New("vizlib: DecodeAlongPath needs an animation made from a run (PCAAnimation, TSNEAnimation, UMAPAnimation)")
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
	path, codes, err := LayoutPath(layout, latent, a.Labels, int32(fi), int32(ti), steps, inverse, 10)
	if err != nil {
		return nil, nil, err
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
	sg := &ScatterGrid{Title: title, Panels: []Scatter{{Title: a.Title + " · last snapshot", Points: pts}},
		Labels: labels, ClassNames: append(append([]string(nil), a.ClassNames...), "path"), Colors: colors, Size: 300}
	ig := &ImageGrid{Title: "decoded along the path · " + title, Cols: steps}
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

// ActiveDims returns the k embedding dimensions with the largest activity (variance over the
// evaluation points, see LatentActivity) at the last snapshot, most active first: e.g. the two
// dimensions worth a LatentManifold.
func ActiveDims(run *training.Run, k int) ([]int, error) {
	if run == nil || run.NumSnapshots() == 0 {
		return nil, errors.New("vizlib: ActiveDims needs a run with snapshots")
	}
	x, err := run.Embedding(run.NumSnapshots() - 1)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > x.Cols {
		return nil, fmt.Errorf("vizlib: ActiveDims k = %d outside [1, %d]", k, x.Cols)
	}
	v := make([]float64, x.Cols)
	for j := range v {
		var m, sq float64
		for i := 0; i < x.Rows; i++ {
			m += float64(x.At(i, j))
			sq += float64(x.At(i, j)) * float64(x.At(i, j))
		}
		m /= float64(x.Rows)
		v[j] = sq/float64(x.Rows) - m*m
	}
	dims := make([]int, x.Cols)
	for j := range dims {
		dims[j] = j
	}
	sort.SliceStable(dims, func(a, b int) bool { return v[dims[a]] > v[dims[b]] })
	return dims[:k], nil
}
