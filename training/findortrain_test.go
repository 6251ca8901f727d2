package training

import (
	"context"
	"io"
	"testing"

	"github.com/embviz/embviz/models"
)

func TestFindOrTrain(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{RunsDir: dir, Model: "mlp", Dataset: "blobs", ModelOptions: models.Options{EmbedDim: 8},
		Steps: 20, Batch: 32, Snapshots: 3, EvalSize: 50, Seed: 3}
	if r, err := FindRun(cfg); err != nil || r != nil {
		t.Fatalf("empty dir: %v %v", r, err)
	}
	first, err := FindOrTrain(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	again, err := FindOrTrain(context.Background(), cfg, io.Discard)
	if err != nil || again.ID() != first.ID() {
		t.Fatalf("same config should reuse %s, got %v (%v)", first.ID(), again, err)
	}
	other := cfg
	other.Seed = 4
	if r, err := FindRun(other); err != nil || r != nil {
		t.Fatalf("another seed must not match: %v %v", r, err)
	}
	// OpenOrTrain opens an existing run by id or prefix without training.
	got, err := OpenOrTrain(context.Background(), dir, "run-0001", io.Discard)
	if err != nil || got.ID() != first.ID() {
		t.Fatalf("OpenOrTrain: %v %v", got, err)
	}
}
