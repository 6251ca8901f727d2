package vizlib

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// syntheticRun writes a small run: n points in 4 classes whose d-dim embeddings separate over
// `snaps` snapshots, with predictions and metrics.
func syntheticRun(t testing.TB, dir string, n, d, snaps int) *training.Run {
	return syntheticRunOf(t, dir, "blobs", n, d, snaps)
}

func syntheticRunOf(t testing.TB, dir, dataset string, n, d, snaps int) *training.Run {
	t.Helper()
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: dataset, Model: "MLP", EmbedDim: d,
		ClassNames: []string{"a", "b", "c", "d"}, Steps: snaps * 10, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	labels := make([]int32, n)
	index := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % 4)
		index[i] = int32(3 * i)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	noise := make([]float32, n*d)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	for s := 0; s < snaps; s++ {
		a := float32(s) / float32(snaps-1)
		m := reduce.NewMatrix(n, d)
		preds := make([]int32, n)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				v := noise[i*d+j]
				if j == int(labels[i]) {
					v += 4 * a
				}
				m.Set(i, j, v)
			}
			preds[i] = labels[i]
			if rng.Float32() > 0.3+0.65*a {
				preds[i] = int32(rng.IntN(4))
			}
		}
		fc1 := reduce.NewMatrix(n, d+2)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				fc1.Set(i, j, 0.5*m.At(i, j))
			}
			fc1.Set(i, d, float32(i%7))
		}
		if _, err := run.AppendSnapshot(s*10, float64(s)/2, m, preds, map[string]*reduce.Matrix{"fc1": fc1}); err != nil {
			t.Fatal(err)
		}
		if err := run.AppendMetrics(training.MetricRecord{Step: s * 10, Epoch: float64(s) / 2, Values: map[string]float64{
			"train_loss": 2 / (1 + float64(s)), "eval_loss": 2.2 / (1 + float64(s)), "train_acc": 0.3 + 0.07*float64(s), "eval_acc": 0.28 + 0.07*float64(s), "lr": 0.01,
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0.9); err != nil {
		t.Fatal(err)
	}
	r, err := training.OpenRun(dir, run.ID())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// html2 returns an output's HTML and error, as the old API did.
func html2(o Output) (string, error) { return o.HTML(), o.Err() }

var dataRe = regexp.MustCompile(`<script type="application/json" id="([^"]+)-data">(.*?)</script>`)

// specOf extracts the (first) JSON spec of a fragment.
func specOf(t *testing.T, h string) map[string]any {
	t.Helper()
	m := dataRe.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no data script in fragment: %.300s", h)
	}
	if !strings.Contains(h, `id="`+m[1]+`"`) {
		t.Errorf("mount point %s missing", m[1])
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func checkFragment(t *testing.T, name, h string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if strings.Contains(h, "evz-error") && !strings.Contains(h, "window.embviz") {
		t.Fatalf("%s: error box: %s", name, h)
	}
	if !strings.Contains(h, "window.embviz") || !strings.Contains(h, "<style>") {
		t.Errorf("%s: fragment does not carry the library", name)
	}
	for _, bad := range []string{"http://", "https://", "cdn."} { // "cdn." and ":": never inside base64 data
		if i := strings.Index(strings.ReplaceAll(h, "http://www.w3.org/2000/svg", ""), bad); i >= 0 {
			t.Errorf("%s: fragment references %q: %.80s", name, bad, h[i:])
		}
	}
}

func TestNotebookAPI(t *testing.T) {
	run := syntheticRun(t, t.TempDir(), 100, 6, 6)
	v := View(run)

	h, err := html2(v.TrainingRecords())
	checkFragment(t, "TrainingRecords", h, err)
	s := specOf(t, h)
	if s["kind"] != "grid" || len(s["items"].([]any)) != 3 {
		t.Errorf("TrainingRecords: want a grid of 3 charts (loss, accuracy, lr), got %v items", s["items"])
	}
	loss := s["items"].([]any)[0].(map[string]any)
	if names := fmt.Sprintf("%v %v", loss["series"].([]any)[0].(map[string]any)["name"], loss["series"].([]any)[1].(map[string]any)["name"]); names != "eval_loss train_loss" {
		t.Errorf("loss chart series %s", names)
	}

	h, err = html2(v.ConfusionMatrices(ConfusionOpts{Annotate: true}))
	checkFragment(t, "ConfusionMatrices", h, err)
	s = specOf(t, h)
	frames := s["frames"].([]any)
	if len(frames) != 6 || s["annotate"] != true {
		t.Errorf("ConfusionMatrices: %d frames (want 6), annotate %v", len(frames), s["annotate"])
	}
	var total float64
	for _, v := range frames[5].(map[string]any)["values"].([]any) {
		total += v.(float64)
	}
	if total != 100 {
		t.Errorf("last confusion matrix counts %v points, want 100", total)
	}

	h, err = html2(v.Drift())
	checkFragment(t, "Drift", h, err)
	s = specOf(t, h)
	if n := len(s["series"].([]any)); n != 3 { // skips 1, 2, 4 fit in 6 snapshots
		t.Errorf("Drift: %d series, want 3", n)
	}

	h, err = html2(v.CKA(SkipsOpts{YMax: 0.3}))
	checkFragment(t, "CKA", h, err)
	s = specOf(t, h)
	if s["ymax"] != 0.3 || s["ymin"] != 0.0 {
		t.Errorf("CKA YMax 0.3: ymin %v ymax %v", s["ymin"], s["ymax"])
	}
	y := s["series"].([]any)[0].(map[string]any)["y"].([]any)
	if y[0] != nil {
		t.Errorf("1-CKA at snapshot 0 with skip 1 should be undefined (null), got %v", y[0])
	}
	for i, v := range y[1:] {
		if f := v.(float64); f < 0 || f > 1 {
			t.Errorf("1-CKA[%d] = %v outside [0, 1]", i+1, f)
		}
	}

	h, err = html2(v.Eigenvalues(EigenOpts{K: 4}))
	checkFragment(t, "Eigenvalues", h, err)
	s = specOf(t, h)
	if n := len(s["series"].([]any)); n != 4 {
		t.Errorf("Eigenvalues: %d series, want 4", n)
	}

	pca := v.PCA(reduce.PCAAnimOptions{FitBasis: reduce.FitAll})
	pcaW := v.PCA(reduce.PCAAnimOptions{FitBasis: reduce.FitWindow, Window: 3}).Denoise()
	tsne := v.TSNE(reduce.TSNEAnimOptions{Update: 0.5, TSNE: reduce.TSNEOptions{Perplexity: 10}})
	umap := v.UMAP(reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{Metric: reduce.Cosine, NNeighbors: 10, MinDist: new(0.2)}})
	for _, a := range []*Animation{pca, pcaW, tsne, umap} {
		if a.Err() != nil {
			t.Fatalf("%s: %v", a.Title, a.Err())
		}
		if len(a.Frames) != 6 || a.Frames[0].Rows != 100 || len(a.Captions) != 6 || len(a.Predictions) != 6 {
			t.Errorf("%s: %d frames of %d points, %d captions, %d predictions", a.Title, len(a.Frames), a.Frames[0].Rows, len(a.Captions), len(a.Predictions))
		}
	}
	if pcaW.Title != "PCA (window) denoised" {
		t.Errorf("denoised title %q", pcaW.Title)
	}
	h, err = html2(Grid(GridOpts{Titles: []string{"PCA all", "PCA window", "t-SNE", "UMAP"}, Cols: 2, Confusion: true, Interpolate: 3}, pca, pcaW, tsne, umap))
	checkFragment(t, "Grid", h, err)
	s = specOf(t, h)
	if s["interp"] != 3.0 || s["cols"] != 2.0 || s["confusion"] != true || len(s["panels"].([]any)) != 4 {
		t.Errorf("Grid spec: interp %v cols %v confusion %v panels %d", s["interp"], s["cols"], s["confusion"], len(s["panels"].([]any)))
	}
	if got := s["panels"].([]any)[2].(map[string]any)["title"]; got != "t-SNE" {
		t.Errorf("panel 2 title %v", got)
	}
	if !strings.Contains(h, "evz-poster") {
		t.Errorf("player has no poster image for script-less viewers")
	}

	mph := v.MPHATE()
	if mph.Err() != nil || len(mph.Frames) != 6 {
		t.Errorf("M-PHATE: %v", mph.Err())
	}
	// A failed animation is reported while the others still play.
	h, err = html2(Grid(GridOpts{}, pca, v.PCA(reduce.PCAAnimOptions{FitBasis: "bogus"})))
	if err == nil || !strings.Contains(h, "evz-error") || !strings.Contains(h, `"kind":"player"`) {
		t.Errorf("Grid with a failed animation: err %v, error box %v, player %v", err, strings.Contains(h, "evz-error"), strings.Contains(h, `"kind":"player"`))
	}
}

func TestNotebookErrors(t *testing.T) {
	h, err := html2(View(nil).TrainingRecords())
	if err == nil || !strings.Contains(h, "evz-error") {
		t.Errorf("TrainingRecords of a nil run: err %v, html %.100s", err, h)
	}
	if a := View(nil).PCA(); a.Err() == nil || !strings.Contains(a.HTML(), "evz-error") {
		t.Errorf("PCA of a nil run should carry an error")
	}
	if a := View(nil).PCA().Denoise(); a.Err() == nil {
		t.Errorf("Denoise should pass the error along")
	}
	if f := OpenView(t.TempDir(), "run-0042").CKA(); f.Err() == nil || !strings.Contains(f.HTML(), "evz-error") {
		t.Errorf("OpenView of a missing run should carry the error: %v", f.Err())
	}
	run := syntheticRun(t, t.TempDir(), 40, 3, 3)
	v := View(run)
	if a := v.PCA(reduce.PCAAnimOptions{FitBasis: "bogus"}); a.Err() == nil || !strings.Contains(a.Err().Error(), "bogus") {
		t.Errorf("unknown basis: %v", a.Err())
	}
	if err := v.Eigenvalues(EigenOpts{K: -1}).Err(); err == nil {
		t.Errorf("Eigenvalues K=-1 should fail")
	}
	if err := v.Drift(SkipsOpts{Skips: []int{0}}).Err(); err == nil {
		t.Errorf("skip 0 should fail")
	}
	// Two options values are rejected, not one silently dropped.
	if err := v.ConfusionMatrices(ConfusionOpts{}, ConfusionOpts{Annotate: true}).Err(); err == nil || !strings.Contains(err.Error(), "at most one") {
		t.Errorf("two options values: %v", err)
	}
	if err := Grid(GridOpts{}).Err(); err == nil {
		t.Errorf("Grid of nothing should fail")
	}
	if err := ViewOf(run, ViewOptions{MaxPoints: -3}).PCA().Err(); err == nil {
		t.Errorf("negative MaxPoints should fail")
	}
}

func TestPCAFramesBases(t *testing.T) {
	seq := syntheticAnimation(50, 5, 3, 1).Frames
	// Lift to 3-D with a constant third column so PCA recovers the plane.
	var lifted []*reduce.Matrix
	for _, m := range seq {
		l := reduce.NewMatrix(m.Rows, 3)
		for i := 0; i < m.Rows; i++ {
			l.Set(i, 0, m.At(i, 0))
			l.Set(i, 1, m.At(i, 1))
			l.Set(i, 2, 1)
		}
		lifted = append(lifted, l)
	}
	for _, basis := range []string{"all", "window", "frame"} {
		fr, err := reduce.PCAFrames(lifted, &reduce.PCAAnimOptions{FitBasis: basis, Window: 3, Camera: reduce.CameraFixed} /* the bases themselves: no camera zoom */)
		if err != nil {
			t.Fatal(basis, err)
		}
		// The projection keeps pairwise distances of the plane (rotation/reflection only).
		for _, tt := range []int{0, 4} {
			d0 := math.Hypot(float64(lifted[tt].At(0, 0)-lifted[tt].At(1, 0)), float64(lifted[tt].At(0, 1)-lifted[tt].At(1, 1)))
			d1 := math.Hypot(float64(fr[tt].At(0, 0)-fr[tt].At(1, 0)), float64(fr[tt].At(0, 1)-fr[tt].At(1, 1)))
			if math.Abs(d0-d1) > 1e-3*max(1, d0) {
				t.Errorf("%s frame %d: distance %v became %v", basis, tt, d0, d1)
			}
		}
	}
}

func TestReportPage(t *testing.T) {
	run := syntheticRun(t, t.TempDir(), 150, 6, 5)
	var stages []string
	v := ViewOf(run, ViewOptions{MaxPoints: 100, Progress: func(done, total int, stage string) { stages = append(stages, stage) }})
	page := v.Report(ReportOpts{MPHATE: &reduce.MPHATEOptions{}})
	if err := page.Err(); err != nil {
		t.Fatal(err)
	}
	h := page.HTML()
	if !strings.HasPrefix(h, "<!DOCTYPE html>") || strings.Count(h, libJS) != 1 {
		t.Errorf("page should be a document carrying the library once")
	}
	for _, want := range []string{"Training records", "Confusion matrices", "Embedding drift", "CKA distance", "PCA eigenvalues", "Animations", `"kind":"player"`} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if len(stages) < 9 || !strings.HasPrefix(stages[len(stages)-1], "m-phate") {
		t.Errorf("progress reported %d stages: %v", len(stages), stages)
	}
}

func TestAnalysisViews(t *testing.T) {
	run := syntheticRun(t, t.TempDir(), 80, 5, 4)
	v := View(run)
	h, err := html2(v.LayerScores([]string{EmbeddingLayer, "fc1"}))
	checkFragment(t, "LayerScores", h, err)
	s := specOf(t, h)
	sil := s["items"].([]any)[0].(map[string]any)["series"].([]any)
	if len(sil) != 2 {
		t.Fatalf("LayerScores: %d silhouette series, want 2", len(sil))
	}
	ys := sil[0].(map[string]any)["y"].([]any)
	if first, last := ys[0].(float64), ys[len(ys)-1].(float64); !(last > first+0.1) {
		t.Errorf("silhouette of the separating embedding should grow: %v -> %v", first, last)
	}
	h, err = html2(v.LayerGrid([]string{EmbeddingLayer, "fc1"}, []int{0, -1}))
	checkFragment(t, "LayerGrid", h, err)
	s = specOf(t, h)
	panels := s["panels"].([]any)
	if len(panels) != 4 || !strings.Contains(panels[3].(map[string]any)["title"].(string), "fc1 · epoch 1.50 · ARI") {
		t.Errorf("LayerGrid panels: %v", len(panels))
	}
	h, err = html2(v.ExplainedVariance(ComponentsOpts{K: 3}))
	checkFragment(t, "ExplainedVariance", h, err)
	s = specOf(t, h)
	cum := s["series"].([]any)[1].(map[string]any)["y"].([]any)
	for i := 1; i < len(cum); i++ {
		if cum[i].(float64) < cum[i-1].(float64) || cum[i].(float64) > 1+1e-9 {
			t.Errorf("cumulative explained variance not increasing in [0,1]: %v", cum)
		}
	}
	h, err = html2(v.PCALoadings(ComponentsOpts{K: 2, Snapshot: new(1)}))
	checkFragment(t, "PCALoadings", h, err)
	if s = specOf(t, h); len(s["rows"].([]any)) != 5 || len(s["cols"].([]any)) != 2 {
		t.Errorf("loadings %v x %v", s["rows"], s["cols"])
	}
	if err := v.PCALoadings(ComponentsOpts{K: 2, Snapshot: new(9)}).Err(); err == nil {
		t.Errorf("snapshot out of range accepted")
	}
	h, err = html2(v.Layer("fc1").PrototypeActivations())
	checkFragment(t, "PrototypeActivations", h, err)
	if s = specOf(t, h); len(s["frames"].([]any)) != 4 || len(s["cols"].([]any)) != 7 {
		t.Errorf("prototypes: %d frames, %d cols", len(s["frames"].([]any)), len(s["cols"].([]any)))
	}
	h, err = html2(v.PairwiseScatter(ComponentsOpts{K: 3}))
	checkFragment(t, "PairwiseScatter", h, err)
	if s = specOf(t, h); s["d"] != 3.0 || s["diag"] != "kde" {
		t.Errorf("pairwise: %v %v", s["d"], s["diag"])
	}
	cur, err := training.ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,lr,separation\n0,warmup,,0.001,0\n100,spread,anchor,0.0005,2\n300,,,0.0001,\n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err = html2(CurriculumTimeline(cur, 400))
	checkFragment(t, "CurriculumTimeline", h, err)
	s = specOf(t, h)
	items := s["items"].([]any)
	if len(items) != 2 { // lr (1e-3) and separation (1e0) have different scales
		t.Fatalf("timeline: %d groups, want 2", len(items))
	}
	vl := items[0].(map[string]any)["vlines"].([]any)
	if len(vl) != 3 || vl[1].(map[string]any)["label"] != "spread anchor" {
		t.Errorf("keyframes: %v", vl)
	}
}

// TestThumbnails checks that hover images come from the run's dataset (Fashion-MNIST test split,
// indexed by eval_index.npy).
func TestThumbnails(t *testing.T) {
	if _, err := os.Stat(datasets.DefaultFashionMNISTDir); err != nil {
		testutil.Missing(t, "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	run := syntheticRunOf(t, t.TempDir(), "fashion-mnist", 40, 4, 2)
	a := ViewOf(run, ViewOptions{MaxPoints: 30}).PCA()
	if a.Err() != nil {
		t.Fatal(a.Err())
	}
	if a.Thumbs == nil || a.Thumbs.W != 28 || a.Thumbs.C != 1 || len(a.Thumbs.Pixels) != 30*28*28 {
		t.Fatalf("thumbnails: %+v", a.Thumbs)
	}
	ds, err := datasets.Load("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	// Point 0 of the subset is dataset image a.Indices[0].
	img := ds.Test.Example(int(a.Indices[0]))
	for j := 0; j < 28*28; j += 37 {
		if want := uint8(math.Round(float64(img[j]) * 255)); a.Thumbs.Pixels[j] != want {
			t.Fatalf("pixel %d: %d, want %d", j, a.Thumbs.Pixels[j], want)
		}
	}
	if b := ViewOf(run, ViewOptions{NoThumbnails: true}).PCA(); b.Thumbs != nil {
		t.Errorf("NoThumbnails ignored")
	}
}
