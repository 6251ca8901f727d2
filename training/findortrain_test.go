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

// TestFindRunResolvesDefaultEmbedDim checks that EmbedDim 0 (the model's default) and the default
// written out find the same run, and another size does not: `embviz train` records 0 where
// training.DefaultConfig says 32.
func TestFindRunResolvesDefaultEmbedDim(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{RunsDir: dir, Model: "mlp", Dataset: "blobs", Steps: 10, Batch: 32, Snapshots: 2, EvalSize: 40, Seed: 5}
	run, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	def := run.Info().EmbedDim
	explicit := cfg
	explicit.ModelOptions.EmbedDim = def
	if r, err := FindRun(explicit); err != nil || r == nil || r.ID() != run.ID() {
		t.Fatalf("EmbedDim %d (the default) should find %s trained with 0: %v %v", def, run.ID(), r, err)
	}
	if r, err := FindRun(cfg); err != nil || r == nil || r.ID() != run.ID() {
		t.Fatalf("the same config should find %s: %v %v", run.ID(), r, err)
	}
	other := cfg
	other.ModelOptions.EmbedDim = def / 2
	if r, err := FindRun(other); err != nil || r != nil {
		t.Fatalf("EmbedDim %d must not match a run of size %d: %v %v", def/2, def, r, err)
	}
	// And the other way round: a run trained with the default written out is found by 0.
	dir2 := t.TempDir()
	explicit.RunsDir = dir2
	run2, err := Train(context.Background(), explicit)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RunsDir = dir2
	if r, err := FindRun(cfg); err != nil || r == nil || r.ID() != run2.ID() {
		t.Fatalf("EmbedDim 0 should find %s trained with %d: %v %v", run2.ID(), def, r, err)
	}
}
