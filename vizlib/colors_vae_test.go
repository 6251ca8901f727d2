package vizlib_test

import (
	"errors"
	"fmt"
	"image"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
	"github.com/embviz/embviz/vizlib"
)

// latentRun writes a run of n points in 2 classes ("a", "b") with d-dim embeddings at the given
// steps: class a around -1, class b around +1 in dimension 0, growing apart over the snapshots;
// dimension 1 is noise, others 0. With logvar it also records a "logvar" layer of zeros.
func latentRun(t *testing.T, dir string, n, d int, steps []int, logvar bool) *training.Run {
	t.Helper()
	info := training.RunInfo{Dataset: "synthetic", Model: "VAE", EmbedDim: d, ClassNames: []string{"a", "b"}, Steps: steps[len(steps)-1], BatchSize: 8}
	if logvar {
		info.Layers = []string{"logvar"}
	}
	run, err := training.CreateRun(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int32, n)
	index := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % 2)
		index[i] = int32(i)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	for s, step := range steps {
		e := reduce.NewMatrix(n, d)
		for i := 0; i < n; i++ {
			e.Set(i, 0, float32(2*labels[i]-1)*float32(s+1))
			e.Set(i, 1, float32(math.Sin(float64(i))))
		}
		var layers map[string]*reduce.Matrix
		if logvar {
			layers = map[string]*reduce.Matrix{"logvar": reduce.NewMatrix(n, d)}
		}
		if _, err := run.AppendSnapshot(step, float64(step), e, nil, layers); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	return run
}

func TestCurriculumTable(t *testing.T) {
	cur, err := training.ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,lr,planarity\n0,fit,,0.01,0\n100,flat,anchor,,1\n300,,,0.001,\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := vizlib.CurriculumTable(cur, 300)
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	h := f.HTML()
	for _, want := range []string{`embviz-curriculum`, "<th", "STEP", "reg-planar", "<b>flat</b>", "anchor", "0.001", "·", ">200</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q:\n%s", want, h)
		}
	}
	if strings.Count(h, "<tr") != 4 {
		t.Errorf("want header + 3 rows, got %d rows", strings.Count(h, "<tr"))
	}
	if f := vizlib.CurriculumTable(nil, 0); f.Err() == nil || !strings.Contains(f.HTML(), "empty curriculum") {
		t.Errorf("nil curriculum: err %v", f.Err())
	}
}

func TestColorViews(t *testing.T) {
	dir := t.TempDir()
	data, err := datasets.Colors(datasets.ColorsOptions{Kind: datasets.ColorsHueRing, Steps: 12})
	if err != nil {
		t.Fatal(err)
	}
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: "colors", Model: "ColorMLP", EmbedDim: 3, ClassNames: data.ClassNames, Steps: 40})
	if err != nil {
		t.Fatal(err)
	}
	index := []int32{0, 2, 4, 8}
	labels := make([]int32, len(index))
	for i, j := range index {
		labels[i] = data.Test.Labels[j]
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	for s, step := range []int{0, 10, 20, 30, 40} {
		e := reduce.NewMatrix(len(index), 3)
		for i := range index {
			for j := 0; j < 3; j++ {
				e.Set(i, j, float32(s*10+i*3+j))
			}
		}
		if _, err := run.AppendSnapshot(step, 0, e, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	v := vizlib.View(run)

	// LatentAnimation: raw dimensions, no reduction.
	a := v.LatentAnimation(2, 0)
	if a.Err() != nil {
		t.Fatal(a.Err())
	}
	if len(a.Frames) != 5 || a.Frames[1].At(3, 0) != 10+9+2 || a.Frames[1].At(3, 1) != 10+9 {
		t.Errorf("LatentAnimation frame 1 row 3 = %v", a.Frames[1].Row(3))
	}
	if v.LatentAnimation(1, 3).Err() == nil || v.LatentAnimation(1, 1).Err() == nil {
		t.Error("bad dimensions accepted")
	}

	// WithColors reads each point's color from the data set: hue 0 is pure red, hue 60 (index 2
	// of 12) pure yellow, hue 120 green, hue 240 blue.
	want := [][3]uint8{{255, 0, 0}, {255, 255, 0}, {0, 255, 0}, {0, 0, 255}}
	c := a.WithColors(data)
	if c.Err() != nil || !reflect.DeepEqual(c.Colors, want) || a.Colors != nil {
		t.Errorf("WithColors: err %v, colors %v (original %v)", c.Err(), c.Colors, a.Colors)
	}
	if !strings.Contains(c.HTML(), `"colors":`) {
		t.Error("the player carries no colors")
	}
	if c.WithColors(nil).Colors != nil || c.WithColors(nil).Err() != nil {
		t.Error("WithColors(nil) does not restore the class colors")
	}
	// The wrong data set is caught by the labels, and the error is carried.
	cube, err := datasets.Colors(datasets.ColorsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bad := a.WithColors(cube); bad.Err() == nil || !strings.Contains(bad.HTML(), "trained on") {
		t.Errorf("WithColors accepted the wrong data set: %v", bad.Err())
	}
	// The colors follow a subsample (MaxPoints).
	sub := vizlib.ViewOf(run, vizlib.ViewOptions{MaxPoints: 2, Seed: 3}).LatentAnimation(0, 1).WithColors(data)
	if sub.Err() != nil || len(sub.Colors) != 2 {
		t.Fatalf("subsampled WithColors: err %v, %d colors", sub.Err(), len(sub.Colors))
	}
	for i, j := range sub.Indices {
		k := slices.Index(index, j)
		if k < 0 || sub.Colors[i] != want[k] {
			t.Errorf("subsampled point %d (color %d) has color %v", i, j, sub.Colors[i])
		}
	}

	// Phase ends: phases [0,15) and [15,40); snapshots at 0,10,20,30,40: the ends are the
	// snapshots at steps 10 and 40.
	cur, err := training.ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,lr\n0,one,,0.1\n15,two,,0.01\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := v.PhaseEndLatents(cur, vizlib.PhaseEndOpts{Pairs: [][2]int{{0, 1}, {1, 2}}, Colors: data, Player: true})
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	h := f.HTML()
	for _, want := range []string{`"kind":"player"`, "one · step 10 · z0 vs z1", "two · step 40 · z1 vs z2", `"colors":`} {
		if !strings.Contains(h, want) {
			t.Errorf("PhaseEndLatents (player) lacks %q", want)
		}
	}
	// Seed 003's figure by default: rows "Phase: <name> (End Step: <step>)", columns "Dims 0 vs 1"
	// and "Dims 0 vs 2", axis labels, dashed zero lines and unit circle, points in their RGB colors.
	h = v.PhaseEndLatents(cur, vizlib.PhaseEndOpts{Colors: data}).HTML()
	r0, g0, b0 := want[0][0], want[0][1], want[0][2]
	for _, w := range []string{"<svg", "Phase: one", "(End Step: 10)", "Phase: two", "(End Step: 40)", "Dims 0 vs 1", "Dims 0 vs 2",
		">Dim 0<", ">Dim 2<", `stroke-dasharray="5 4"`, "<circle cx=", fmt.Sprintf(`fill="rgb(%d,%d,%d)"`, r0, g0, b0)} {
		if !strings.Contains(h, w) {
			t.Errorf("PhaseEndLatents lacks %q", w)
		}
	}
	if strings.Contains(h, "Dims 1 vs 2") || strings.Contains(h, `"kind":"player"`) {
		t.Error("PhaseEndLatents' default is not the seed's (0,1), (0,2) static figure")
	}
	if v.PhaseEndLatents(cur, vizlib.PhaseEndOpts{Size: -1}).Err() == nil {
		t.Error("PhaseEndLatents accepted a negative size")
	}
	if v.PhaseEndLatents(cur, vizlib.PhaseEndOpts{Colors: cube}).Err() == nil {
		t.Error("PhaseEndLatents accepted the wrong data set")
	}
	if v.PhaseEndLatents(nil).Err() == nil {
		t.Error("PhaseEndLatents accepted a nil curriculum")
	}
	if v.PhaseEndLatents(cur, vizlib.PhaseEndOpts{}, vizlib.PhaseEndOpts{}).Err() == nil {
		t.Error("PhaseEndLatents accepted two options values")
	}
}

// fakeDecoder draws z[0] as the gray level of a 4x4 image.
func fakeDecoder(z []float32) (image.Image, error) {
	im := image.NewGray(image.Rect(0, 0, 4, 4))
	v := uint8(max(0, min(255, 128+40*z[0])))
	for i := range im.Pix {
		im.Pix[i] = v
	}
	return im, nil
}

func TestVAEViews(t *testing.T) {
	dir := t.TempDir()
	run := latentRun(t, dir, 20, 3, []int{0, 5, 10}, true)
	v := vizlib.View(run)
	// imgs counts the decoded images (not the players' posters).
	imgs := func(f *vizlib.Figure) int {
		h := f.HTML()
		return strings.Count(h, "<img") - strings.Count(h, `<img class="evz-poster"`)
	}

	f := v.DecodedSamples(vizlib.SampleOpts{N: 7, Seed: 1, Decode: fakeDecoder})
	if f.Err() != nil || imgs(f) != 7 || !strings.Contains(f.HTML(), `class="evz-images"`) || !strings.Contains(f.HTML(), "samples from the prior") {
		t.Errorf("DecodedSamples: %v, %d images", f.Err(), imgs(f))
	}
	// Without a Decode function the run's VAE decoder is used: this run has none, and the
	// figure says so instead of panicking.
	if f := v.DecodedSamples(); f.Err() == nil || !strings.Contains(f.HTML(), "VAE") {
		t.Errorf("DecodedSamples of a run without a decoder: %v", f.Err())
	}

	f = v.DecodedPrototypes(vizlib.PrototypeOpts{Decode: fakeDecoder})
	if f.Err() != nil || imgs(f) != 2 || !strings.Contains(f.HTML(), "<figcaption>b</figcaption>") || !strings.Contains(f.HTML(), "snapshot 2") {
		t.Errorf("DecodedPrototypes: %v, %d images", f.Err(), imgs(f))
	}
	if f := v.DecodedPrototypes(vizlib.PrototypeOpts{Snapshot: new(0), Decode: fakeDecoder}); !strings.Contains(f.HTML(), "snapshot 0") {
		t.Errorf("DecodedPrototypes of snapshot 0: %v", f.Err())
	}
	if v.DecodedPrototypes(vizlib.PrototypeOpts{Snapshot: new(3), Decode: fakeDecoder}).Err() == nil {
		t.Error("snapshot 3 of 3 accepted")
	}

	f = v.LatentTraversal(vizlib.TraversalOpts{Class: "B", Values: []float64{-1, 0, 1}, Decode: fakeDecoder})
	if f.Err() != nil || imgs(f) != 9 || !strings.Contains(f.HTML(), "b prototype") {
		t.Errorf("class traversal: %v, %d images", f.Err(), imgs(f))
	}
	if f := v.LatentTraversal(vizlib.TraversalOpts{Class: "zebra", Decode: fakeDecoder}); f.Err() == nil || !strings.Contains(f.Err().Error(), "a, b") {
		t.Errorf("unknown class: %v", f.Err())
	}
	// The default traversal: every dimension over -3..3 from the origin.
	f = v.LatentTraversal(vizlib.TraversalOpts{Decode: fakeDecoder})
	if f.Err() != nil || imgs(f) != 3*7 || !strings.Contains(f.HTML(), "latent traversal") || !strings.Contains(f.HTML(), "+3.0") {
		t.Errorf("traversal: %v, %d images", f.Err(), imgs(f))
	}
	if v.LatentTraversal(vizlib.TraversalOpts{Dims: []int{3}, Decode: fakeDecoder}).Err() == nil {
		t.Error("traversal of dimension 3 of 3 accepted")
	}
	// A failing decoder makes an error box, not a panic.
	boom := func([]float32) (image.Image, error) { return nil, errors.New("boom") }
	if f := v.LatentTraversal(vizlib.TraversalOpts{Decode: boom}); f.Err() == nil || !strings.Contains(f.HTML(), "boom") {
		t.Errorf("decoder error: %v", f.Err())
	}

	// The manifold's default dimensions are the two most active: z0 (the classes), then z1.
	f = v.LatentManifold(vizlib.ManifoldOpts{Steps: 3, Decode: fakeDecoder})
	if f.Err() != nil || imgs(f) != 9 || !strings.Contains(f.HTML(), "latent manifold z0 x z1") {
		t.Errorf("LatentManifold: %v, %d images", f.Err(), imgs(f))
	}
	if f := v.LatentManifold(vizlib.ManifoldOpts{Dims: []int{2, 1}, Decode: fakeDecoder}); f.Err() != nil || imgs(f) != 144 || !strings.Contains(f.HTML(), "z2 x z1") {
		t.Errorf("LatentManifold z2 x z1: %v, %d images", f.Err(), imgs(f))
	}
	// The other dimensions at a class prototype (the seed's neuron_values): class b's z0 is +3 at the last snapshot.
	var seen []float32
	record := func(z []float32) (image.Image, error) { seen = append(seen, z[0]); return fakeDecoder(z) }
	if f := v.LatentManifold(vizlib.ManifoldOpts{Dims: []int{1, 2}, Steps: 2, Class: "b", Decode: record}); f.Err() != nil || !strings.Contains(f.HTML(), "the b prototype") || len(seen) != 4 || seen[0] != 3 || seen[3] != 3 {
		t.Errorf("LatentManifold around the b prototype: %v, z0 decoded %v", f.Err(), seen)
	}
	if f := v.LatentManifold(vizlib.ManifoldOpts{Sliders: true, Decode: fakeDecoder}); f.Err() == nil {
		t.Errorf("LatentManifold with Sliders and a Decode function: no error")
	}
	if v.LatentManifold(vizlib.ManifoldOpts{Dims: []int{1, 1}, Decode: fakeDecoder}).Err() == nil {
		t.Error("manifold of one dimension twice accepted")
	}

	f = v.LatentActivity()
	if h := f.HTML(); f.Err() != nil || strings.Count(h, `"kind":"chart"`) != 2 || !strings.Contains(h, "KL") {
		t.Errorf("LatentActivity: %v, %d charts", f.Err(), strings.Count(h, `"kind":"chart"`))
	}
	f = v.LatentScatterMatrix()
	if h := f.HTML(); f.Err() != nil || !strings.Contains(h, `"kind":"scattermatrix"`) || !strings.Contains(h, `"z2"`) {
		t.Errorf("LatentScatterMatrix: %v", f.Err())
	}

	pca := v.PCA()
	f = v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Steps: 4, Inverse: reduce.InverseOptions{Method: reduce.InverseLinear}, Decode: fakeDecoder})
	if h := f.HTML(); f.Err() != nil || !strings.Contains(h, `"kind":"player"`) || imgs(f) != 4 || !strings.Contains(h, "path") || !strings.Contains(h, "linear inverse") {
		t.Errorf("DecodeAlongPath: %v, %d images", f.Err(), imgs(f))
	}
	if f := v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Decode: fakeDecoder}); f.Err() != nil || imgs(f) != 8 || !strings.Contains(f.HTML(), "linear inverse") {
		t.Errorf("DecodeAlongPath with the default options: %v, %d images", f.Err(), imgs(f))
	}
	if f := v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Inverse: reduce.InverseOptions{Method: reduce.InverseKNN}, Decode: fakeDecoder}); f.Err() != nil || !strings.Contains(f.HTML(), "knn inverse") {
		t.Errorf("DecodeAlongPath with the knn inverse: %v", f.Err())
	}
	for name, bad := range map[string]*vizlib.Figure{
		"an animation without a run": v.DecodeAlongPath(&vizlib.Animation{}, "a", "b", vizlib.PathOpts{Decode: fakeDecoder}),
		"an unknown inverse":         v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Inverse: reduce.InverseOptions{Method: "magic"}, Decode: fakeDecoder}),
		"1 step":                     v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Steps: 1, Decode: fakeDecoder}),
		"an unknown class":           v.DecodeAlongPath(pca, "a", "zebra", vizlib.PathOpts{Decode: fakeDecoder}),
		"the same class twice":       v.DecodeAlongPath(pca, "a", "A", vizlib.PathOpts{Decode: fakeDecoder}),
	} {
		if bad.Err() == nil {
			t.Errorf("DecodeAlongPath accepted %s", name)
		}
	}
}

// TestDecodeAlongPathInverses checks the codes decoded along a path: latent codes on a plane of
// R^3, z = (y1, y2, y1 + 2 y2 + 1), whose PCA layout the linear inverse maps back exactly, and
// the 1-nearest-neighbour inverse, which returns codes of the run's points.
func TestDecodeAlongPathInverses(t *testing.T) {
	n := 40
	run, latent := planeRun(t, n)
	v := vizlib.View(run)
	var codes [][]float32
	record := func(z []float32) (image.Image, error) {
		codes = append(codes, slices.Clone(z))
		return fakeDecoder(z)
	}
	pca := v.PCA()
	if f := v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Steps: 5, Inverse: reduce.InverseOptions{Method: reduce.InverseLinear}, Decode: record}); f.Err() != nil {
		t.Fatal(f.Err())
	}
	if len(codes) != 5 {
		t.Fatalf("%d codes decoded, want 5", len(codes))
	}
	// The linear inverse recovers the plane exactly; the path runs between the class means.
	for s, z := range codes {
		if d := math.Abs(float64(z[2] - z[0] - 2*z[1] - 1)); d > 1e-3 {
			t.Errorf("step %d: code %v is %g off the plane", s, z, d)
		}
	}
	var mean0 [3]float64
	for i := 0; i < n; i += 2 {
		for j := range mean0 {
			mean0[j] += float64(latent.At(i, j)) / float64(n/2)
		}
	}
	for j := range mean0 {
		if math.Abs(float64(codes[0][j])-mean0[j]) > 1e-3 {
			t.Errorf("the path starts at %v, want the mean code of class a %v", codes[0], mean0)
		}
	}
	// The knn inverse with one neighbour decodes codes of the run's points.
	codes = nil
	if f := v.DecodeAlongPath(pca, "a", "b", vizlib.PathOpts{Steps: 5, Inverse: reduce.InverseOptions{Method: reduce.InverseKNN, K: 1}, Decode: record}); f.Err() != nil {
		t.Fatal(f.Err())
	}
	for s, z := range codes {
		found := false
		for i := 0; i < n && !found; i++ {
			found = slices.Equal(z, latent.Row(i))
		}
		if !found {
			t.Errorf("knn step %d: code %v is not a point's code", s, z)
		}
	}
}

// planeRun writes a VAE-like run with two snapshots of the same n latent codes, on a plane of R^3:
// z = (y1, y2, y1 + 2 y2 + 1), classes a (y1 near 0) and b (y1 near 4).
func planeRun(t *testing.T, n int) (*training.Run, *reduce.Matrix) {
	t.Helper()
	info := training.RunInfo{Dataset: "synthetic", Model: "VAE", EmbedDim: 3, ClassNames: []string{"a", "b"}, Steps: 10, BatchSize: 8}
	run, err := training.CreateRun(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int32, n)
	index := make([]int32, n)
	latent := reduce.NewMatrix(n, 3)
	for i := range labels {
		labels[i], index[i] = int32(i%2), int32(i)
		y1 := float32(labels[i])*4 + float32(math.Cos(float64(i)))
		y2 := float32(math.Sin(float64(3 * i)))
		copy(latent.Row(i), []float32{y1, y2, y1 + 2*y2 + 1})
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	for _, step := range []int{0, 10} {
		if _, err := run.AppendSnapshot(step, 0, latent, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	return run, latent
}

// TestSamplePlane checks the seed's sampling in a plane: on a line and at custom points, in the
// standardized plane of two latent dimensions (the others at their mean or a prototype) and in a
// layout (nearest-neighbour inverse by default, interpolated as an option), with the sampled
// positions drawn on the scatter.
func TestSamplePlane(t *testing.T) {
	n := 40
	run, latent := planeRun(t, n)
	v := vizlib.View(run)
	var codes [][]float32
	record := func(z []float32) (image.Image, error) {
		codes = append(codes, slices.Clone(z))
		return fakeDecoder(z)
	}
	var mean, std [3]float64
	for i := 0; i < n; i++ {
		for j := range mean {
			mean[j] += float64(latent.At(i, j)) / float64(n)
		}
	}
	for i := 0; i < n; i++ {
		for j := range std {
			std[j] += math.Pow(float64(latent.At(i, j))-mean[j], 2) / float64(n)
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j])
	}
	// The seed's line (-1, -2) -> (2, 1), 10 points, in the plane z0 x z1; z2 at its mean.
	f := v.SamplePlane(nil, vizlib.PlaneOpts{Dims: []int{0, 1}, Decode: record})
	h := f.HTML()
	if f.Err() != nil || len(codes) != 10 || !strings.Contains(h, `"sampled","line"`) || !strings.Contains(h, "(-1.00, -2.00)") || !strings.Contains(h, "(2.00, 1.00)") {
		t.Fatalf("SamplePlane of z0 x z1: %v, %d codes", f.Err(), len(codes))
	}
	for s, want := range [][3]float64{{mean[0] - std[0], mean[1] - 2*std[1], mean[2]}, {mean[0] + 2*std[0], mean[1] + std[1], mean[2]}} {
		z := codes[9*s]
		for j := range want {
			if math.Abs(float64(z[j])-want[j]) > 1e-4 {
				t.Errorf("sample %d is %v, want %v (the standardized point mapped back, z2 at its mean)", 9*s, z, want)
			}
		}
	}
	// Custom points with the other dimension at class b's prototype.
	codes = nil
	f = v.SamplePlane(nil, vizlib.PlaneOpts{Dims: []int{0, 1}, Points: [][2]float64{{0, 0}, {1, 1}, {2, -1}}, Class: "b", Decode: record})
	if h := f.HTML(); f.Err() != nil || len(codes) != 3 || strings.Contains(h, `"sampled","line"`) || !strings.Contains(h, `"sampled"`) || !strings.Contains(h, "b prototype") {
		t.Fatalf("SamplePlane at custom points: %v, %d codes", f.Err(), len(codes))
	}
	var protoB float64
	for i := 1; i < n; i += 2 {
		protoB += float64(latent.At(i, 2)) / float64(n/2)
	}
	if math.Abs(float64(codes[0][2])-protoB) > 1e-4 || math.Abs(float64(codes[0][0])-mean[0]) > 1e-4 {
		t.Errorf("custom point (0, 0) around the b prototype decodes %v, want (%g, ·, %g)", codes[0], mean[0], protoB)
	}
	// In a layout: by default the nearest neighbour's code (the seed), every code a point's.
	pca := v.PCA()
	codes = nil
	f = v.SamplePlane(pca, vizlib.PlaneOpts{Steps: 6, Decode: record})
	if f.Err() != nil || len(codes) != 6 || !strings.Contains(f.HTML(), "nearest-neighbour inverse") {
		t.Fatalf("SamplePlane of a PCA layout: %v, %d codes", f.Err(), len(codes))
	}
	isPoint := func(z []float32) bool {
		for i := 0; i < n; i++ {
			if slices.Equal(z, latent.Row(i)) {
				return true
			}
		}
		return false
	}
	for s, z := range codes {
		if !isPoint(z) {
			t.Errorf("nearest-neighbour sample %d: code %v is not a point's code", s, z)
		}
	}
	// Interpolated: the linear inverse of a PCA layout lands on the codes' plane, between points.
	codes = nil
	f = v.SamplePlane(pca, vizlib.PlaneOpts{Points: [][2]float64{{0.3, 0.1}, {-1, 0.5}}, Inverse: &reduce.InverseOptions{Method: reduce.InverseLinear}, Decode: record})
	if f.Err() != nil || len(codes) != 2 || !strings.Contains(f.HTML(), "linear inverse") {
		t.Fatalf("SamplePlane with the linear inverse: %v", f.Err())
	}
	for _, z := range codes {
		if d := math.Abs(float64(z[2] - z[0] - 2*z[1] - 1)); d > 1e-3 || isPoint(z) {
			t.Errorf("linear inverse code %v: %g off the plane, or a point's code", z, d)
		}
	}
	if f := v.SamplePlane(pca, vizlib.PlaneOpts{Inverse: &reduce.InverseOptions{Method: reduce.InverseKNN, K: 5}, Decode: fakeDecoder}); f.Err() != nil || !strings.Contains(f.HTML(), "5-nearest-neighbour interpolated") {
		t.Errorf("SamplePlane with the 5-nn inverse: %v", f.Err())
	}
	for name, o := range map[string]vizlib.PlaneOpts{
		"one dimension twice":         {Dims: []int{1, 1}},
		"a dimension out of range":    {Dims: []int{0, 3}},
		"a line of 3 points":          {Line: [][2]float64{{0, 0}, {1, 1}, {2, 2}}},
		"1 step":                      {Steps: 1},
		"no points":                   {Points: [][2]float64{}},
		"an inverse without a layout": {Inverse: &reduce.InverseOptions{}},
		"an unknown class":            {Class: "zebra"},
	} {
		o.Decode = fakeDecoder
		if v.SamplePlane(nil, o).Err() == nil {
			t.Errorf("SamplePlane accepted %s", name)
		}
	}
	if v.SamplePlane(pca, vizlib.PlaneOpts{Dims: []int{0, 1}, Decode: fakeDecoder}).Err() == nil {
		t.Errorf("SamplePlane accepted Dims with a layout")
	}
}

// TestLatentSummary checks LatentActivity's describe() table against values computed by hand (pandas'
// definitions: std with n − 1, linearly interpolated quartiles).
func TestLatentSummary(t *testing.T) {
	info := training.RunInfo{Dataset: "synthetic", Model: "VAE", EmbedDim: 2, ClassNames: []string{"a", "b"}, Steps: 1, BatchSize: 8}
	run, err := training.CreateRun(t.TempDir(), info)
	if err != nil {
		t.Fatal(err)
	}
	x := reduce.NewMatrix(5, 2)
	for i, val := range []float32{1, 2, 3, 4, 10} {
		x.Set(i, 0, val)
		x.Set(i, 1, -val)
	}
	if err := run.SetEvalSet([]int32{0, 1, 0, 1, 0}, []int32{0, 1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := run.AppendSnapshot(1, 0, x, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	f := vizlib.View(run).LatentActivity()
	h := f.HTML()
	// pandas: Series([1, 2, 3, 4, 10]).describe(): mean 4, std 3.535534, 25% 2, 50% 3, 75% 4.
	for _, want := range []string{">count<", ">5<", ">4.000000<", ">3.535534<", ">1.000000<", ">2.000000<", ">3.000000<", ">10.000000<", ">-4.000000<", ">-2.000000<", ">25%<", ">z1<"} {
		if !strings.Contains(h, want) {
			t.Errorf("LatentSummary lacks %q: %v", want, f.Err())
		}
	}
	pr := vizlib.View(run).DecodedPrototypes(vizlib.PrototypeOpts{Decode: fakeDecoder})
	// Class a: rows 0, 2, 4 -> z0 mean 14/3.
	if h := pr.HTML(); pr.Err() != nil || !strings.Contains(h, "prototype values") || !strings.Contains(h, ">4.666667<") || !strings.Contains(h, ">-3.000000<") {
		t.Errorf("DecodedPrototypes has no table of values: %v", pr.Err())
	}
}
