package vizlib_test

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
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
	wantErr(t, "FramePlace with Independent", v.TSNELog(vizlib.TSNESteps{Independent: true}, reduce.TSNEAnimOptions{FramePlace: 0.5}), "FramePlace")
	wantErr(t, "FrameBudget with Independent", v.TSNELog(vizlib.TSNESteps{Independent: true}, reduce.TSNEAnimOptions{FrameBudget: 100}), "FrameBudget")
	wantErr(t, "ExactKNN with Independent", v.TSNELog(vizlib.TSNESteps{Independent: true}, reduce.TSNEAnimOptions{ExactKNN: true, FrameTheta: 0.3}), "FrameTheta, ExactKNN")
	// CommonScale applies to the independent frames too: one σ for both axes.
	if a := v.TSNELog(vizlib.TSNESteps{Independent: true}, reduce.TSNEAnimOptions{CommonScale: true}); a.Err() != nil {
		t.Error(a.Err())
	} else if s := std(a.Frames[4]); math.Abs(s-1) > 1e-3 || equalFrames(a.Frames, anims[4].Frames) {
		t.Errorf("CommonScale independent frames: std %v, same as per-axis %v", s, equalFrames(a.Frames, anims[4].Frames))
	}
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

// TestTSNELogIndependentSeedOrder checks the independent pipeline against seed 001's code: each
// layout normalized per axis (numpy's mean and std over points), then rotated onto the previous
// registered frame by scipy's orthogonal_procrustes (rotation or reflection, no scaling).
func TestTSNELogIndependentSeedOrder(t *testing.T) {
	v := vizlib.ViewOf(blobsRun(t, 80, 4), vizlib.ViewOptions{NoThumbnails: true})
	raw := v.TSNELog(vizlib.TSNESteps{Independent: true, NoRegister: true, NoNormalize: true})
	got := v.TSNELog(vizlib.TSNESteps{Independent: true})
	if raw.Err() != nil || got.Err() != nil {
		t.Fatal(raw.Err(), got.Err())
	}
	var prev [][2]float64
	for f, m := range raw.Frames {
		// embeddings_2d = (embeddings_2d - m) / s
		var mean, sd [2]float64
		for i := 0; i < m.Rows; i++ {
			for j := 0; j < 2; j++ {
				mean[j] += float64(m.Data[2*i+j]) / float64(m.Rows)
			}
		}
		for i := 0; i < m.Rows; i++ {
			for j := 0; j < 2; j++ {
				d := float64(m.Data[2*i+j]) - mean[j]
				sd[j] += d * d / float64(m.Rows)
			}
		}
		cur := make([][2]float64, m.Rows)
		for i := range cur {
			for j := 0; j < 2; j++ {
				cur[i][j] = (float64(m.Data[2*i+j]) - mean[j]) / math.Sqrt(sd[j])
			}
		}
		if prev != nil { // R, _ = orthogonal_procrustes(embeddings_2d, previous); embeddings_2d @ R
			var m11, m12, m21, m22 float64 // M = curᵀ prev
			for i := range cur {
				m11 += cur[i][0] * prev[i][0]
				m12 += cur[i][0] * prev[i][1]
				m21 += cur[i][1] * prev[i][0]
				m22 += cur[i][1] * prev[i][1]
			}
			// The best rotation [[c, -s], [s, c]] and reflection [[c, s], [s, -c]] maximizing tr(Rᵀ M).
			rot, ref := math.Hypot(m11+m22, m21-m12), math.Hypot(m11-m22, m12+m21)
			var r [2][2]float64
			if rot >= ref {
				th := math.Atan2(m21-m12, m11+m22)
				r = [2][2]float64{{math.Cos(th), -math.Sin(th)}, {math.Sin(th), math.Cos(th)}}
			} else {
				th := math.Atan2(m12+m21, m11-m22)
				r = [2][2]float64{{math.Cos(th), math.Sin(th)}, {math.Sin(th), -math.Cos(th)}}
			}
			for i := range cur {
				x, y := cur[i][0], cur[i][1]
				cur[i] = [2]float64{x*r[0][0] + y*r[1][0], x*r[0][1] + y*r[1][1]}
			}
		}
		for i := range cur {
			for j := 0; j < 2; j++ {
				if d := math.Abs(float64(got.Frames[f].Data[2*i+j]) - cur[i][j]); d > 1e-4 {
					t.Fatalf("frame %d point %d axis %d: %v, seed's pipeline gives %v", f, i, j, got.Frames[f].Data[2*i+j], cur[i][j])
				}
			}
		}
		prev = cur
	}
}

// TestWriteFramePNGs checks the per-step images next to the player: one decodable PNG per
// snapshot, each different, and stale frames of a longer earlier animation removed.
func TestWriteFramePNGs(t *testing.T) {
	a := vizlib.ViewOf(blobsRun(t, 60, 4), vizlib.ViewOptions{NoThumbnails: true}).PCA()
	dir := t.TempDir()
	stale := filepath.Join(dir, "frame-007.png")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths, err := a.WriteFramePNGs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 || filepath.Base(paths[3]) != "frame-003.png" {
		t.Fatalf("paths %v", paths)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale frame-007.png kept (err %v)", err)
	}
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if img.Bounds().Dx() < 100 || img.Bounds().Dy() < 100 {
			t.Errorf("%s: %v, want a poster-sized image", p, img.Bounds())
		}
		seen[string(b)] = true
	}
	if len(seen) != len(paths) {
		t.Errorf("%d distinct images for %d frames", len(seen), len(paths))
	}
	if _, err := vizlib.View(nil).PCA().WriteFramePNGs(dir); err == nil || !strings.Contains(err.Error(), "nil run") {
		t.Errorf("failed animation: err %v", err)
	}
}
