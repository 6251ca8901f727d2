package vizlib_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/gif"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
	"github.com/embviz/embviz/vizlib"
)

// blobsRun writes a finished run on the blobs data set: n evaluation points (the first n of the
// test split, 10 classes) whose embedding [n, 8] and layer "fc1" [n, 12] separate the classes more
// at every one of snaps snapshots.
func blobsRun(t testing.TB, n, snaps int) *training.Run {
	t.Helper()
	ds, err := datasets.Load("blobs", "")
	if err != nil {
		t.Fatal(err)
	}
	index := make([]int32, n)
	for i := range index {
		index[i] = int32((i * 7) % ds.Test.N)
	}
	labels := ds.Test.GatherLabels(index, nil)
	run, err := training.CreateRun(t.TempDir(), training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: 8,
		ClassNames: ds.ClassNames, Steps: 10 * snaps, BatchSize: 32, Layers: []string{"fc1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, n*12)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64())
	}
	for s := 0; s < snaps; s++ {
		a := 6 * float32(s) / float32(max(1, snaps-1))
		emb, fc1 := reduce.NewMatrix(n, 8), reduce.NewMatrix(n, 12)
		preds := make([]int32, n)
		for i := 0; i < n; i++ {
			l := int(labels[i])
			for j := 0; j < 12; j++ {
				v := noise[i*12+j]
				if j == l {
					v += a
				}
				fc1.Set(i, j, v)
				if j < 8 {
					w := noise[i*12+j]
					if j == l%8 {
						w += a
					}
					if j == (l+3)%8 && l >= 8 {
						w += a
					}
					emb.Set(i, j, w)
				}
			}
			preds[i] = labels[i]
		}
		if _, err := run.AppendSnapshot(10*s, float64(s), emb, preds, map[string]*reduce.Matrix{"fc1": fc1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0.9); err != nil {
		t.Fatal(err)
	}
	return run
}

var kindRE = regexp.MustCompile(`"kind":"([a-z]+)"`)

func kinds(h string) map[string]int {
	k := map[string]int{}
	for _, m := range kindRE.FindAllStringSubmatch(h, -1) {
		k[m[1]]++
	}
	return k
}

// html returns the fragment of o, failing the test if o carries an error.
func html(t testing.TB, name string, o vizlib.Output) string {
	t.Helper()
	if err := o.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o.HTML()
}

// wantErr fails the test unless o carries an error that contains want.
func wantErr(t testing.TB, name string, o vizlib.Output, want string) {
	t.Helper()
	err := o.Err()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one containing %q", name, err, want)
		return
	}
	if h := o.HTML(); !strings.Contains(h, "evz-error") {
		t.Errorf("%s: the error is not shown as an error box", name)
	}
}

func TestClusterViewAndSummary(t *testing.T) {
	run := blobsRun(t, 120, 4)
	v := vizlib.View(run)
	for _, layer := range []string{vizlib.PixelsLayer, "fc1", vizlib.EmbeddingLayer} {
		h := html(t, "ClusterView "+layer, v.ClusterView(layer, vizlib.ClusterOpts{Metric: reduce.Cosine}))
		if k := kinds(h); k["grid"] != 0 || k["player"] != 2 {
			t.Errorf("ClusterView(%s): kinds %v, want 2 static players", layer, k)
		}
		if !strings.Contains(h, "silhouette") || !strings.Contains(h, "≈ ") || !strings.Contains(h, "cosine") {
			t.Errorf("ClusterView(%s): no scores, metric or cluster names", layer)
		}
		if strings.Contains(h, "lowered") {
			t.Errorf("ClusterView(%s): perplexity note with 120 points", layer)
		}
	}
	first := 0
	h := html(t, "ClusterView at snapshot 0", v.ClusterView("fc1", vizlib.ClusterOpts{Snapshot: &first}))
	if !strings.Contains(h, "snapshot 1/4") || !strings.Contains(h, "euclidean") {
		t.Errorf("ClusterView at snapshot 0: not the first snapshot's caption, or not Euclidean")
	}
	// "" is the view's layer.
	if h := html(t, "ClusterView of the view's layer", v.Layer("fc1").ClusterView("")); !strings.Contains(h, "fc1 (12 features") {
		t.Errorf("ClusterView(\"\") of the fc1 view does not show fc1")
	}
	wantErr(t, "unknown layer", v.ClusterView("nope"), "nope")
	wantErr(t, "snapshot out of range", v.ClusterView("fc1", vizlib.ClusterOpts{Snapshot: new(7)}), "out of range")
	wantErr(t, "two options", v.ClusterView("fc1", vizlib.ClusterOpts{}, vizlib.ClusterOpts{}), "at most one")
	wantErr(t, "t-SNE seed", v.ClusterView("fc1", vizlib.ClusterOpts{TSNE: reduce.TSNEOptions{Seed: 3}}), "ClusterOpts.Seed")
	wantErr(t, "t-SNE metric", v.ClusterView("fc1", vizlib.ClusterOpts{TSNE: reduce.TSNEOptions{Metric: reduce.Cosine}}), "ClusterOpts.Metric")
	wantErr(t, "nil run", vizlib.View(nil).ClusterView("fc1"), "nil run")

	layers := []string{vizlib.PixelsLayer, "fc1", vizlib.EmbeddingLayer}
	h = html(t, "ClusterSummary", v.ClusterSummary(layers))
	if !strings.Contains(h, `class="embviz-table"`) || strings.Count(h, "<tr>") != 3 {
		t.Fatalf("summary: want a table with 3 rows:\n%s", h)
	}
	// At the last snapshot fc1 separates the 10 blob classes perfectly on one axis each: its ARI
	// (the 4th cell of its row) is high. The blobs' raw inputs are well separated too.
	row := regexp.MustCompile(`<td[^>]*>fc1</td><td[^>]*>12</td><td[^>]*>([-0-9.]+)</td><td[^>]*>([-0-9.]+)</td>`).FindStringSubmatch(h)
	if row == nil {
		t.Fatalf("no fc1 row with 12 features and 2 scores:\n%s", h)
	}
	if ari, err := strconv.ParseFloat(row[2], 64); err != nil || ari < 0.8 {
		t.Errorf("fc1 ARI = %s, want > 0.8", row[2])
	}
	// The cells are reduce.ScoreClusters of the layer at the last snapshot with its default
	// options: seed 002's silhouette of the k-means clusters on unit rows, and the ARI.
	fc1, err := run.Layer(3, "fc1")
	if err != nil {
		t.Fatal(err)
	}
	labels, err := run.Labels()
	if err != nil {
		t.Fatal(err)
	}
	s, err := reduce.ScoreClusters(fc1, labels, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%.3f", s.Silhouette); row[1] != want {
		t.Errorf("fc1 silhouette %s, reduce.ScoreClusters says %s", row[1], want)
	}
	if want := fmt.Sprintf("%.3f", s.ARI); row[2] != want {
		t.Errorf("fc1 ARI %s, reduce.ScoreClusters says %s", row[2], want)
	}
	if !strings.Contains(h, "rows scaled to unit length, euclidean distance, silhouette of the k-means clusters") {
		t.Errorf("ClusterSummary does not say it shows the seed's quantities:\n%s", h)
	}
	// The old quantities as named options: the silhouette of the classes on the rows as recorded.
	h = html(t, "ClusterSummary of the classes", v.ClusterSummary(layers, vizlib.ClusterOpts{Scale: reduce.ScaleNone, Of: reduce.OfClasses, Metric: reduce.Cosine, Snapshot: &first}))
	if !strings.Contains(h, "rows as recorded, cosine distance, silhouette of the classes") || !strings.Contains(h, "snapshot 1/4") {
		t.Errorf("ClusterSummary with ScaleNone, OfClasses, cosine at snapshot 0: wrong recipe or snapshot:\n%s", h)
	}
	wantErr(t, "no layers", v.ClusterSummary(nil), "at least one layer")
	wantErr(t, "summary size", v.ClusterSummary(layers, vizlib.ClusterOpts{Size: 200}), "Size")
	wantErr(t, "summary t-SNE", v.ClusterSummary(layers, vizlib.ClusterOpts{TSNE: reduce.TSNEOptions{Perplexity: 10}}), "TSNE")
}

// A perplexity too high for the points is lowered by reduce, and the figure says so.
func TestClusterViewPerplexityNote(t *testing.T) {
	run := blobsRun(t, 40, 2)
	h := html(t, "ClusterView", vizlib.View(run).ClusterView("fc1"))
	if !strings.Contains(h, "perplexity 30 is too high for 40 points") {
		t.Errorf("no perplexity note for 40 points")
	}
	h = html(t, "ClusterView", vizlib.View(run).ClusterView("fc1", vizlib.ClusterOpts{TSNE: reduce.TSNEOptions{Perplexity: 5}}))
	if strings.Contains(h, "too high") {
		t.Errorf("perplexity note for perplexity 5 and 40 points")
	}
}

func TestLayerTSNEGrid(t *testing.T) {
	run := blobsRun(t, 100, 4)
	var reports int
	v := vizlib.ViewOf(run, vizlib.ViewOptions{Progress: func(done, total int, stage string) { reports++ }})
	h := html(t, "LayerTSNEGrid", v.LayerTSNEGrid([]string{"fc1", vizlib.EmbeddingLayer}, []int{0, 2, -1}))
	if k := kinds(h); k["player"] != 1 {
		t.Errorf("kinds %v, want one static player", k)
	}
	// The seed's orientation and titles: rows are epochs, columns layers.
	for _, want := range []string{"layers (columns) × epochs (rows)", "fc1 @ Epoch 0 (ARI=", "embedding @ Epoch 3 (ARI=", `"cols":2`} {
		if !strings.Contains(h, want) {
			t.Errorf("no %q in the grid", want)
		}
	}
	if reports != 6 {
		t.Errorf("%d progress reports, want 6", reports)
	}
	wantErr(t, "snapshot out of range", v.LayerTSNEGrid([]string{"fc1"}, []int{9}), "out of range")
	wantErr(t, "no layers", v.LayerTSNEGrid(nil, []int{0}), "needs layers")
	wantErr(t, "Snapshot set", v.LayerTSNEGrid([]string{"fc1"}, []int{0}, vizlib.ClusterOpts{Snapshot: new(0)}), "Snapshot")
	// nil snapshots: the snapshots nearest to the seed's epochs 0, 2, 5, ... (here 0, 2, 3).
	h = html(t, "LayerTSNEGrid at the seed's epochs", v.LayerTSNEGrid([]string{"fc1"}, nil))
	for _, want := range []string{"fc1 @ Epoch 0 (", "fc1 @ Epoch 2 (", "fc1 @ Epoch 3 ("} {
		if !strings.Contains(h, want) {
			t.Errorf("seed epochs: no %q", want)
		}
	}
}

// LayerEvolution is the seed's GIF: its frames carry the layer, the epoch and the ARI.
func TestLayerEvolutionGIF(t *testing.T) {
	run := blobsRun(t, 100, 4)
	v := vizlib.View(run)
	h := html(t, "LayerEvolution", v.LayerEvolution([]string{"fc1", vizlib.EmbeddingLayer}, nil, vizlib.ClusterOpts{Size: 120}))
	m := regexp.MustCompile(`src="data:image/gif;base64,([^"]+)"`).FindStringSubmatch(h)
	if m == nil || !strings.Contains(h, `download="latent_evolution.gif"`) {
		t.Fatalf("no inline GIF with a download link:\n%.300s", h)
	}
	data, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 4 || g.Image[0].Bounds().Dx() < 240 {
		t.Errorf("%d frames of %v, want 4 (one per snapshot) two panels wide", len(g.Image), g.Image[0].Bounds())
	}
	// The title line is drawn: dark pixels in the top rows of every frame.
	for f, img := range g.Image {
		dark := 0
		for y := 0; y < 16; y++ {
			for x := 0; x < img.Bounds().Dx(); x++ {
				if r, _, _, _ := img.At(x, y).RGBA(); r < 0x4000 {
					dark++
				}
			}
		}
		if dark < 50 {
			t.Errorf("frame %d: %d dark pixels in the title line, want a title", f, dark)
		}
	}
	wantErr(t, "no layers", v.LayerEvolution(nil, nil), "needs layers")
}

// The cluster views of a run: two maps of one layer, a grid of maps, a table of scores. In a
// notebook each line ends with .Show() instead of being described.
func ExampleRunView_ClusterView() {
	v := vizlib.View(exampleRun())
	show := func(name string, f *vizlib.Figure) {
		h := f.HTML()
		fmt.Printf("%s: %d players, table %v, error %v\n", name, strings.Count(h, `"kind":"player"`), strings.Contains(h, "embviz-table"), f.Err())
	}
	show("pixels", v.ClusterView(vizlib.PixelsLayer, vizlib.ClusterOpts{Metric: reduce.Cosine}))
	show("embedding", v.ClusterView(vizlib.EmbeddingLayer))
	show("grid", v.LayerTSNEGrid([]string{vizlib.PixelsLayer, vizlib.EmbeddingLayer}, []int{0, -1}, vizlib.ClusterOpts{Size: 200}))
	show("summary", v.ClusterSummary([]string{vizlib.PixelsLayer, vizlib.EmbeddingLayer}))
	show("two options", v.ClusterSummary([]string{vizlib.PixelsLayer}, vizlib.ClusterOpts{}, vizlib.ClusterOpts{}))
	// Output:
	// pixels: 2 players, table false, error <nil>
	// embedding: 2 players, table false, error <nil>
	// grid: 1 players, table false, error <nil>
	// summary: 0 players, table true, error <nil>
	// two options: 0 players, table false, error vizlib: ClusterSummary takes at most one options value, got 2: merge them into one
}
