package vizlib_test

import (
	"image"
	"math"
	"reflect"
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
	h, err := vizlib.CurriculumTable(cur, 300, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`embviz-curriculum`, "<th", "STEP", "planarity", "<b>flat</b>", "anchor", "0.001", "·", ">200</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("table lacks %q:\n%s", want, h)
		}
	}
	if strings.Count(h, "<tr") != 4 {
		t.Errorf("want header + 3 rows, got %d rows", strings.Count(h, "<tr"))
	}
	if _, err := vizlib.CurriculumTable(nil, 0, vizlib.NoDisplay()); err == nil {
		t.Error("nil curriculum accepted")
	}
}

func TestEvalColorsAndLatentViews(t *testing.T) {
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
	colors, err := vizlib.EvalColors(run, data)
	if err != nil {
		t.Fatal(err)
	}
	// Hue 0 is pure red, hue 60 (index 2 of 12) pure yellow, hue 120 green, hue 240 blue.
	want := [][3]uint8{{255, 0, 0}, {255, 255, 0}, {0, 255, 0}, {0, 0, 255}}
	if !reflect.DeepEqual(colors, want) {
		t.Errorf("EvalColors = %v, want %v", colors, want)
	}
	// The wrong data set is caught by the labels.
	cube, err := datasets.Colors(datasets.ColorsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vizlib.EvalColors(run, cube); err == nil {
		t.Error("EvalColors accepted the wrong data set")
	}

	// LatentAnimation: raw dimensions, no reduction.
	a := vizlib.LatentAnimation(run, 2, 0)
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	if len(a.Frames) != 5 || a.Frames[1].At(3, 0) != 10+9+2 || a.Frames[1].At(3, 1) != 10+9 {
		t.Errorf("LatentAnimation frame 1 row 3 = %v", a.Frames[1].Row(3))
	}
	c := a.WithColors(colors)
	if c.Err != nil || !reflect.DeepEqual(c.Colors, want) || a.Colors != nil {
		t.Errorf("WithColors: err %v, colors %v (original %v)", c.Err, c.Colors, a.Colors)
	}
	if !strings.Contains(c.HTML(), `"colors":`) {
		t.Error("the player carries no colors")
	}
	if a.WithColors(colors[:2]).Err == nil {
		t.Error("WithColors accepted 2 colors for 4 points")
	}
	if vizlib.LatentAnimation(run, 1, 3).Err == nil || vizlib.LatentAnimation(run, 1, 1).Err == nil {
		t.Error("bad dimensions accepted")
	}

	// Phase ends: phases [0,15) and [15,40); snapshots at 0,10,20,30,40.
	cur, err := training.ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,lr\n0,one,,0.1\n15,two,,0.01\n"))
	if err != nil {
		t.Fatal(err)
	}
	ends, err := vizlib.PhaseEndSnapshots(run, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(ends) != 2 || ends[0].Index != 1 || ends[0].Step != 10 || ends[1].Index != 4 || ends[1].Phase.Name != "two" {
		t.Errorf("PhaseEndSnapshots = %+v", ends)
	}
	h, err := vizlib.PhaseEndLatents(run, cur, colors, [][2]int{{0, 1}, {1, 2}}, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"player"`, "one · step 10 · z0 vs z1", "two · step 40 · z1 vs z2", `"colors":`} {
		if !strings.Contains(h, want) {
			t.Errorf("PhaseEndLatents lacks %q", want)
		}
	}
	if _, err := vizlib.PhaseEndLatents(run, cur, colors[:1], [][2]int{{0, 1}}, vizlib.NoDisplay()); err == nil {
		t.Error("PhaseEndLatents accepted 1 color for 4 points")
	}
}

func TestLayoutPath(t *testing.T) {
	// Latent codes on a plane of R^3: z = (y1, y2, y1 + 2 y2 + 1); the layout is y itself.
	n := 40
	layout := reduce.NewMatrix(n, 2)
	latent := reduce.NewMatrix(n, 3)
	labels := make([]int32, n)
	for i := 0; i < n; i++ {
		labels[i] = int32(i % 2)
		y1 := float32(labels[i])*4 + float32(math.Cos(float64(i)))
		y2 := float32(math.Sin(float64(3 * i)))
		layout.Set(i, 0, y1)
		layout.Set(i, 1, y2)
		latent.Set(i, 0, y1)
		latent.Set(i, 1, y2)
		latent.Set(i, 2, y1+2*y2+1)
	}
	path, codes, err := vizlib.LayoutPath(layout, latent, labels, 0, 1, 5, vizlib.InverseLinear, 0)
	if err != nil {
		t.Fatal(err)
	}
	if path.Rows != 5 || codes.Rows != 5 || codes.Cols != 3 {
		t.Fatalf("shapes: path %dx%d, codes %dx%d", path.Rows, path.Cols, codes.Rows, codes.Cols)
	}
	// The linear inverse recovers the plane exactly; the path runs between the class centroids.
	for s := 0; s < 5; s++ {
		y1, y2 := float64(path.At(s, 0)), float64(path.At(s, 1))
		for j, want := range []float64{y1, y2, y1 + 2*y2 + 1} {
			if math.Abs(float64(codes.At(s, j))-want) > 1e-3 {
				t.Errorf("step %d dim %d: %v, want %v", s, j, codes.At(s, j), want)
			}
		}
	}
	var c0 float64
	for i := 0; i < n; i += 2 {
		c0 += float64(layout.At(i, 0))
	}
	if c0 /= float64(n / 2); math.Abs(float64(path.At(0, 0))-c0) > 1e-5 {
		t.Errorf("path starts at %v, want the centroid %v", path.At(0, 0), c0)
	}
	// KNN with k = 1 at a point of the layout returns that point's code.
	single := reduce.NewMatrix(2, 2)
	copy(single.Row(0), layout.Row(0))
	copy(single.Row(1), layout.Row(1))
	lat2 := reduce.MatrixFrom(2, 3, append(append([]float32(nil), latent.Row(0)...), latent.Row(1)...))
	_, knn, err := vizlib.LayoutPath(single, lat2, []int32{0, 1}, 0, 1, 2, vizlib.InverseKNN, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(knn.Row(0), latent.Row(0)) || !reflect.DeepEqual(knn.Row(1), latent.Row(1)) {
		t.Errorf("knn path ends %v, %v; want %v, %v", knn.Row(0), knn.Row(1), latent.Row(0), latent.Row(1))
	}
	// Errors.
	if _, _, err := vizlib.LayoutPath(layout, latent, labels, 0, 5, 5, vizlib.InverseLinear, 0); err == nil {
		t.Error("missing class accepted")
	}
	if _, _, err := vizlib.LayoutPath(layout, latent, labels, 0, 1, 5, "magic", 0); err == nil {
		t.Error("unknown inverse accepted")
	}
	if _, _, err := vizlib.LayoutPath(layout, latent, labels, 0, 1, 1, vizlib.InverseKNN, 0); err == nil {
		t.Error("1 step accepted")
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

	g, err := vizlib.VAESamples(fakeDecoder, 3, 7, 1)
	if err != nil || len(g.Images) != 7 {
		t.Fatalf("VAESamples: %v, %d images", err, len(g.Images))
	}
	if !strings.Contains(g.HTML(), `class="evz-images"`) {
		t.Error("samples are not an image grid")
	}

	h, err := vizlib.DecodedPrototypes(run, fakeDecoder, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(h, "<img") != 2 || !strings.Contains(h, "<figcaption>b</figcaption>") {
		t.Errorf("DecodedPrototypes: %d images", strings.Count(h, "<img"))
	}
	h, err = vizlib.ClassTraversal(run, fakeDecoder, "B", []float64{-1, 0, 1}, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(h, "<img") != 9 || !strings.Contains(h, "b prototype") {
		t.Errorf("ClassTraversal: %d images", strings.Count(h, "<img"))
	}
	if _, err := vizlib.ClassTraversal(run, fakeDecoder, "zebra", nil, vizlib.NoDisplay()); err == nil || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("unknown class: %v", err)
	}

	h, err = vizlib.LatentActivity(run, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(h, `"kind":"chart"`) != 2 || !strings.Contains(h, "KL") {
		t.Errorf("LatentActivity: %d charts", strings.Count(h, `"kind":"chart"`))
	}
	dims, err := vizlib.ActiveDims(run, 2)
	if err != nil || !reflect.DeepEqual(dims, []int{0, 1}) {
		t.Errorf("ActiveDims = %v, %v; want [0 1]", dims, err)
	}

	h, err = vizlib.LatentScatterMatrix(run, vizlib.NoDisplay())
	if err != nil || !strings.Contains(h, `"kind":"scattermatrix"`) || !strings.Contains(h, `"z2"`) {
		t.Errorf("LatentScatterMatrix: %v", err)
	}

	pca := vizlib.PCAAnimation(run)
	h, err = vizlib.DecodeAlongPath(pca, fakeDecoder, "a", "b", 4, vizlib.InverseLinear, vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h, `"kind":"player"`) || strings.Count(h, "<img") < 4 || !strings.Contains(h, "path") {
		t.Errorf("DecodeAlongPath output incomplete")
	}
	if _, err := vizlib.DecodeAlongPath(&vizlib.Animation{}, fakeDecoder, "a", "b", 4, vizlib.InverseKNN, vizlib.NoDisplay()); err == nil {
		t.Error("an animation without a run accepted")
	}
}
