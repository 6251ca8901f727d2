package training_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// TestEvalInputsPredictAll trains a small MLP on blobs, gathers its evaluation inputs, recomputes
// the embeddings with PredictAll in uneven batches and checks they equal the last snapshot.
func TestEvalInputsPredictAll(t *testing.T) {
	runsDir := t.TempDir()
	run, err := training.Train(context.Background(), training.Config{RunsDir: runsDir, Model: "mlp", Dataset: "blobs",
		Steps: 30, Batch: 32, Snapshots: 3, EvalSize: 50, Layers: []string{"fc1"}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	x, err := training.EvalInputs(run, "")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := datasets.Load("blobs", "")
	if err != nil {
		t.Fatal(err)
	}
	index, err := run.EvalIndex()
	if err != nil {
		t.Fatal(err)
	}
	if x.Rows != 50 || x.Cols != ds.Test.Dim() {
		t.Fatalf("EvalInputs is [%d, %d], want [50, %d]", x.Rows, x.Cols, ds.Test.Dim())
	}
	for i, j := range index {
		if !slices.Equal(x.Row(i), ds.Test.Example(int(j))) {
			t.Fatalf("row %d is not test example %d", i, j)
		}
	}
	p, err := training.NewPredictor(run, "fc1")
	if err != nil {
		t.Fatal(err)
	}
	all, err := p.PredictAll(x, 16) // 16, 16, 16 and a padded last batch of 2
	if err != nil {
		t.Fatal(err)
	}
	if all.Embedding.Rows != 50 || all.Logits.Rows != 50 || all.Layers["fc1"].Rows != 50 {
		t.Fatalf("PredictAll returned %d embeddings, %d logits, %d fc1 rows; want 50", all.Embedding.Rows, all.Logits.Rows, all.Layers["fc1"].Rows)
	}
	last, err := run.Embedding(run.NumSnapshots() - 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := training.DiffEmbeddings(all.Embedding, last)
	if err != nil {
		t.Fatal(err)
	}
	if d.Relative > 1e-4 || d.MaxAbs > 1e-3 {
		t.Errorf("recomputed embeddings differ from the last snapshot: %v", d)
	}
	one, err := p.Predict(x.Data, x.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := training.DiffEmbeddings(all.Logits, one.Logits); d.MaxAbs > 1e-4 {
		t.Errorf("batched and single-batch logits differ: %v", d)
	}
}

func TestEvalInputsErrors(t *testing.T) {
	if _, err := training.EvalInputs(nil, ""); err == nil {
		t.Error("nil run: no error")
	}
	run, err := training.CreateRun(t.TempDir(), training.RunInfo{Model: "MLP", Dataset: "blobs", EmbedDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.EvalInputs(run, ""); err == nil {
		t.Error("run without eval_index.npy: no error")
	}
	if err := run.SetEvalSet([]int32{0, 1}, []int32{0, 100000}); err != nil {
		t.Fatal(err)
	}
	if _, err := training.EvalInputs(run, ""); err == nil || !strings.Contains(err.Error(), "100000") {
		t.Errorf("index outside the test split: got %v", err)
	}
}

func TestDiffEmbeddings(t *testing.T) {
	a := reduce.MatrixFrom(2, 2, []float32{1, 2, 3, 4})
	b := reduce.MatrixFrom(2, 2, []float32{1, 2, 3, 5})
	d, err := training.DiffEmbeddings(b, a)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 2 || d.Cols != 2 || d.MaxAbs != 1 || d.MeanAbs != 0.25 || math.Abs(d.Relative-1/math.Sqrt(30)) > 1e-12 {
		t.Errorf("DiffEmbeddings = %+v", d)
	}
	if !strings.Contains(d.String(), "max |Δ| 1") {
		t.Errorf("String() = %q", d.String())
	}
	if d, _ := training.DiffEmbeddings(a, a); d.MaxAbs != 0 || d.Relative != 0 {
		t.Errorf("a vs a: %+v", d)
	}
	if _, err := training.DiffEmbeddings(a, reduce.NewMatrix(2, 3)); err == nil || !strings.Contains(err.Error(), "[2, 3]") {
		t.Errorf("shape mismatch: got %v", err)
	}
	if _, err := training.DiffEmbeddings(nil, a); err == nil {
		t.Error("nil: no error")
	}
}
