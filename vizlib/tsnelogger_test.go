package vizlib_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/vizlib"
)

func TestTSNELog(t *testing.T) {
	run := blobsRun(t, 100, 5)
	var reports int
	v := vizlib.ViewOf(run, vizlib.ViewOptions{NoThumbnails: true, Progress: func(done, total int, stage string) { reports++ }})
	steps := []vizlib.TSNESteps{{}, {NoRegister: true}, {NoNormalize: true}, {Independent: true, NoRegister: true}, {Independent: true}}
	var anims []*vizlib.Animation
	computed := make([]bool, len(steps))
	for i, s := range steps {
		before := reports
		a := v.TSNELog(s)
		if err := a.Err(); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		computed[i] = reports > before
		if len(a.Frames) != 5 || a.Frames[0].Rows != 100 || len(a.Captions) != 5 || len(a.Labels) != 100 {
			t.Fatalf("%v: %d frames, %d captions", s, len(a.Frames), len(a.Captions))
		}
		if !strings.Contains(a.Title, s.String()) {
			t.Errorf("title %q does not name the steps %q", a.Title, s)
		}
		anims = append(anims, a)
	}
	// The independent layouts are cached before registration: the second independent variant
	// reads them. The full pipeline is RunView.TSNE's, from its cache.
	if !computed[3] || computed[4] {
		t.Errorf("independent variants computed: %v, want the first only", computed[3:])
	}
	before := reports
	if a := v.TSNE(); a.Err() != nil || reports != before || !equalFrames(a.Frames, anims[0].Frames) {
		t.Errorf("RunView.TSNE does not share TSNELog(TSNESteps{})'s cache (err %v, %d reports)", a.Err(), reports-before)
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
		d, err := reduce.Displacements(a.Frames)
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

	// Options TSNELog does not read with these steps are errors.
	wantErr(t, "NoRegister in the options", v.TSNELog(vizlib.TSNESteps{}, reduce.TSNEAnimOptions{NoRegister: true}), "TSNESteps")
	wantErr(t, "Update with Independent", v.TSNELog(vizlib.TSNESteps{Independent: true}, reduce.TSNEAnimOptions{Update: 0.5}), "Update")
	wantErr(t, "two options", v.TSNELog(vizlib.TSNESteps{}, reduce.TSNEAnimOptions{}, reduce.TSNEAnimOptions{}), "at most one")
	failed := vizlib.View(nil).TSNELog(vizlib.TSNESteps{})
	wantErr(t, "nil run", failed, "nil run")

	// The chart has one series per animation, named by titles.
	h := html(t, "FrameDisplacement", vizlib.FrameDisplacement([]string{"registered", "not registered"}, anims[:2]...))
	if k := kinds(h); k["chart"] != 1 || !strings.Contains(h, "not registered") || !strings.Contains(h, "frame-to-frame displacement") {
		t.Errorf("displacement chart: kinds %v", k)
	}
	wantErr(t, "no animations", vizlib.FrameDisplacement(nil), "at least one")
	wantErr(t, "too many titles", vizlib.FrameDisplacement([]string{"a", "b"}, anims[0]), "2 titles for 1")
	wantErr(t, "failed animation", vizlib.FrameDisplacement(nil, failed), "nil run")
	// A failed animation next to good ones: an error box and the chart of the others.
	f := vizlib.FrameDisplacement([]string{"", "broken"}, anims[0], failed)
	if f.Err() == nil || !strings.Contains(f.Err().Error(), "broken") {
		t.Errorf("mixed: error %v, want one naming the failed animation", f.Err())
	}
	if h := f.HTML(); !strings.Contains(h, "evz-error") || kinds(h)["chart"] != 1 || !strings.Contains(h, anims[0].Title) {
		t.Errorf("mixed: want an error box and a chart with the good animation's series")
	}
}

func equalFrames(a, b []*reduce.Matrix) bool {
	if len(a) != len(b) {
		return false
	}
	for t := range a {
		if a[t].Rows != b[t].Rows || a[t].Cols != b[t].Cols {
			return false
		}
		for i, v := range a[t].Data {
			if b[t].Data[i] != v {
				return false
			}
		}
	}
	return true
}

// The steps of the t-SNE pipeline that TSNELog applies, as its animations' titles name them.
func ExampleTSNESteps() {
	for _, s := range []vizlib.TSNESteps{{}, {NoRegister: true}, {Independent: true}, {Independent: true, NoRegister: true, NoNormalize: true}} {
		fmt.Println(s)
	}
	// Output:
	// warm start + Procrustes + normalization
	// warm start + normalization
	// independent + Procrustes + normalization
	// independent
}
