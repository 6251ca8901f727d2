package vizlib_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/vizlib"
)

func TestDisplacements(t *testing.T) {
	// A square of 4 points, then the same square rotated by 90 degrees and scaled by 10: after
	// normalization every point moved to its neighbour's place.
	a := reduce.MatrixFrom(4, 2, []float32{1, 0, 0, 1, -1, 0, 0, -1})
	b := reduce.MatrixFrom(4, 2, []float32{0, 10, -10, 0, 0, -10, 10, 0})
	c := b.Clone()
	d, err := vizlib.Displacements([]*reduce.Matrix{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	// Normalized, the points are at distance sqrt(2) from the origin... std 1/sqrt(2) per
	// coordinate: radius 1 becomes sqrt(2); neighbours are 2 apart.
	if len(d) != 2 || math.Abs(d[0]-2) > 1e-5 || d[1] != 0 {
		t.Errorf("Displacements = %v, want [2 0]", d)
	}
	// Extra columns are ignored.
	wide := reduce.MatrixFrom(4, 3, []float32{1, 0, 5, 0, 1, 6, -1, 0, 7, 0, -1, 8})
	if d, err := vizlib.Displacements([]*reduce.Matrix{a, wide}); err != nil || d[0] > 1e-6 {
		t.Errorf("third column not ignored: %v %v", d, err)
	}
	if _, err := vizlib.Displacements([]*reduce.Matrix{a}); err == nil {
		t.Error("one frame: no error")
	}
	if _, err := vizlib.Displacements([]*reduce.Matrix{a, reduce.NewMatrix(3, 2)}); err == nil || !strings.Contains(err.Error(), "frame 1") {
		t.Errorf("differing shapes: got %v", err)
	}
}

func TestTSNELogAnimation(t *testing.T) {
	run := blobsRun(t, 100, 5)
	steps := []vizlib.TSNESteps{{}, {NoRegister: true}, {NoNormalize: true}, {Independent: true, NoRegister: true}, {Independent: true}}
	var anims []*vizlib.Animation
	for _, s := range steps {
		a := vizlib.TSNELogAnimation(run, s, vizlib.NoThumbnails())
		if a.Err != nil {
			t.Fatalf("%v: %v", s, a.Err)
		}
		if len(a.Frames) != 5 || a.Frames[0].Rows != 100 || len(a.Captions) != 5 || len(a.Labels) != 100 {
			t.Fatalf("%v: %d frames, %d captions", s, len(a.Frames), len(a.Captions))
		}
		if !strings.Contains(a.Title, s.String()) {
			t.Errorf("title %q does not name the steps %q", a.Title, s)
		}
		anims = append(anims, a)
	}
	std := func(m *reduce.Matrix) float64 {
		var s float64
		for _, v := range reduce.Normalize(m).Data {
			s += float64(v) * float64(v)
		}
		var raw float64
		for _, v := range m.Data {
			raw += float64(v) * float64(v)
		}
		return math.Sqrt(raw / s)
	}
	// Normalized frames have unit std; t-SNE layouts that are not normalized are much larger.
	if s := std(anims[0].Frames[4]); math.Abs(s-1) > 1e-3 {
		t.Errorf("normalized frame has std %v", s)
	}
	if s := std(anims[2].Frames[4]); s < 2 {
		t.Errorf("un-normalized frame has std %v, want a t-SNE scale (> 2)", s)
	}
	// Registration removes the rigid motion between independent layouts, and warm-started frames
	// move less than independent ones even after registration.
	mean := func(a *vizlib.Animation) float64 {
		d, err := vizlib.Displacements(a.Frames)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, v := range d {
			s += v
		}
		return s / float64(len(d))
	}
	full, noReg, indep, indepReg := mean(anims[0]), mean(anims[1]), mean(anims[3]), mean(anims[4])
	// (With a warm start there is little rotation left to remove: registration changes the
	// trajectory only a little, either way.)
	if full > 1.5*noReg || indepReg > indep+1e-6 || full > indepReg {
		t.Errorf("mean displacements: full %.3f, no registration %.3f, independent %.3f, independent registered %.3f", full, noReg, indep, indepReg)
	}
	// The chart has one series per animation, named by Titles.
	h, err := vizlib.FrameDisplacement(anims[:2], vizlib.Titles("registered", "not registered"), vizlib.NoDisplay())
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(h); k["chart"] != 1 || !strings.Contains(h, "not registered") || !strings.Contains(h, "frame-to-frame displacement") {
		t.Errorf("displacement chart: kinds %v", k)
	}
	if _, err := vizlib.FrameDisplacement(nil, vizlib.NoDisplay()); err == nil {
		t.Error("no animations: no error")
	}
	if _, err := vizlib.FrameDisplacement([]*vizlib.Animation{{Title: "x", Err: errTest}}, vizlib.NoDisplay()); err == nil {
		t.Error("failed animation: no error")
	}
	if a := vizlib.TSNELogAnimation(nil, vizlib.TSNESteps{}); a.Err == nil {
		t.Error("nil run: no error")
	}
}

var errTest = &testError{}

type testError struct{}

func (*testError) Error() string { return "test error" }

// Displacements measures motion after normalizing every frame: a layout that only grows has not moved.
func ExampleDisplacements() {
	a := reduce.MatrixFrom(3, 2, []float32{0, 0, 1, 0, 0, 1})
	b := reduce.MatrixFrom(3, 2, []float32{0, 0, 2, 0, 0, 2}) // a, twice as large
	c := reduce.MatrixFrom(3, 2, []float32{0, 0, 0, 2, 2, 0}) // b with two points swapped
	d, _ := vizlib.Displacements([]*reduce.Matrix{a, b, c})
	fmt.Printf("%.3f %.3f\n", d[0], d[1])
	// Output: 0.000 2.000
}
