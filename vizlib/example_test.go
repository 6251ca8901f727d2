package vizlib_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/vizlib"
)

// exampleRun trains (once per test binary) the tiny seeded run the examples look at: an MLP on
// Gaussian blobs, 60 steps, 6 snapshots of 120 evaluation points. Notebooks open their run with
// training.MustOpenOrTrain or training.MustFindOrTrain instead.
var exampleRun = func() func() *training.Run {
	var run *training.Run
	return func() *training.Run {
		if run == nil {
			dir, err := os.MkdirTemp("", "embviz-example-")
			if err != nil {
				panic(err)
			}
			run, err = training.Train(context.Background(), training.Config{RunsDir: dir, Model: "mlp", Dataset: "blobs",
				Steps: 60, Batch: 32, Snapshots: 6, EvalSize: 120, Seed: 1})
			if err != nil {
				panic(err)
			}
		}
		return run
	}
}()

// describe prints what an output is (its kind and size), or its error.
func describe(name string, o vizlib.Output) {
	if err := o.Err(); err != nil {
		fmt.Printf("%s: error: %v\n", name, err)
		return
	}
	h := o.HTML()
	kind := "html"
	for _, k := range []string{`"kind":"grid"`, `"kind":"heatmap"`, `"kind":"chart"`, `"kind":"player"`} {
		if strings.Contains(h, k) {
			kind = strings.TrimPrefix(strings.Trim(k, `"`), `kind":"`)
			break
		}
	}
	fmt.Printf("%s: %s, error box: %v\n", name, kind, strings.Contains(h, `class="evz-error"`))
}

// The main workflow of embedding_visualization.ipynb: one view of the run, one call per cell.
// In a notebook each line ends with .Show() instead of being described.
func ExampleView() {
	v := vizlib.View(exampleRun())
	describe("training records", v.TrainingRecords())
	describe("confusion matrices", v.ConfusionMatrices(vizlib.ConfusionOpts{Annotate: true}))
	describe("drift", v.Drift(vizlib.SkipsOpts{Skips: []int{1, 2, 4, 8, 16}}))
	describe("1 - CKA", v.CKA(vizlib.SkipsOpts{YMin: 0, YMax: 0.3}))
	describe("eigenvalues", v.Eigenvalues(vizlib.EigenOpts{K: 10}))
	// Output:
	// training records: grid, error box: false
	// confusion matrices: heatmap, error box: false
	// drift: chart, error box: false
	// 1 - CKA: chart, error box: false
	// eigenvalues: chart, error box: false
}

// Animations of the embedding space take reduce's options for each method (their zero values are
// the seed's defaults) and play side by side, synced, in a Grid.
func ExampleGrid() {
	v := vizlib.View(exampleRun())
	pcaAll := v.PCA(reduce.PCAAnimOptions{FitBasis: reduce.FitAll})
	pcaWin := v.PCA(reduce.PCAAnimOptions{FitBasis: reduce.FitWindow, Window: 16}).Denoise()
	tsne := v.TSNE(reduce.TSNEAnimOptions{Update: 0.2})
	umap := v.UMAP(reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{Metric: reduce.Cosine, NNeighbors: 20, MinDist: new(0.2)}}).Denoise()
	for _, a := range []*vizlib.Animation{pcaAll, pcaWin, tsne, umap} {
		fmt.Printf("%s: %d frames of %d points, error %v\n", a.Title, len(a.Frames), a.Frames[0].Rows, a.Err())
	}
	g := vizlib.Grid(vizlib.GridOpts{Titles: []string{"PCA on all", "PCA window denoised", "t-SNE", "UMAP"}, Cols: 2, Confusion: true, Interpolate: 3},
		pcaAll, pcaWin, tsne, umap)
	describe("grid", g)
	// Output:
	// PCA (all): 6 frames of 120 points, error <nil>
	// PCA (window) denoised: 6 frames of 120 points, error <nil>
	// t-SNE: 6 frames of 120 points, error <nil>
	// UMAP denoised: 6 frames of 120 points, error <nil>
	// grid: player, error box: false
}

// Errors never panic: a view of a run that cannot be opened shows an error box that says what
// was wrong, and so does every output made from it.
func ExampleOpenView() {
	v := vizlib.OpenView(os.TempDir()+"/embviz-no-such-runs", "run-0001")
	fig := v.Drift()
	fmt.Println(fig.Err() != nil, strings.Contains(fig.HTML(), `class="evz-error"`))
	// Output: true true
}

// A whole report, as `embviz report` writes it: one standalone page.
func ExampleRunView_Report() {
	v := vizlib.ViewOf(exampleRun(), vizlib.ViewOptions{MaxPoints: 100})
	page := v.Report()
	fmt.Println(page.Err(), strings.HasPrefix(page.HTML(), "<!DOCTYPE html>"))
	// Output: <nil> true
}
