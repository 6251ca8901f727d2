package training

import (
	"context"
	"strings"
	"testing"

	"github.com/embviz/embviz/models"
)

// TestTrainEpochsSubsetFullBatch trains as seed 002 does, scaled down: a class-balanced subset of
// the training split, full batch, a number of epochs, a snapshot every 2 epochs and the train and
// test accuracy after every epoch.
func TestTrainEpochsSubsetFullBatch(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), TrainSize: 200, Batch: FullBatch,
		Epochs: 6, SnapshotEpochs: 2, EpochAccuracy: true, LR: 1e-2, WarmupSteps: -1, MinLRFraction: 1,
		EvalSize: 40, Layers: []string{"fc1"}, Seed: 17}
	r, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Steps != 6 || info.BatchSize != 200 {
		t.Errorf("steps %d batch %d, want 6 full-batch steps of 200", info.Steps, info.BatchSize)
	}
	var snaps []int
	for _, s := range info.Snapshots {
		snaps = append(snaps, s.Step)
		if s.Epoch != float64(s.Step) {
			t.Errorf("snapshot at step %d has epoch %v: one step is one epoch", s.Step, s.Epoch)
		}
	}
	if len(snaps) != 4 || snaps[0] != 0 || snaps[1] != 2 || snaps[2] != 4 || snaps[3] != 6 {
		t.Errorf("snapshots at steps %v, want [0 2 4 6]", snaps)
	}
	recs, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	epochs := map[int]bool{}
	for i, rec := range recs {
		if i > 0 && rec.Step <= recs[i-1].Step {
			t.Errorf("metrics record %d at step %d after step %d: want one record per step, increasing", i, rec.Step, recs[i-1].Step)
		}
		if _, ok := rec.Values["train_acc_full"]; ok {
			if _, ok := rec.Values["eval_acc"]; !ok {
				t.Errorf("step %d: train_acc_full without eval_acc", rec.Step)
			}
			epochs[rec.Step] = true
		}
	}
	for e := 0; e <= 6; e++ {
		if !epochs[e] {
			t.Errorf("no train/test accuracy record at epoch %d (records at %v)", e, epochs)
		}
	}
	// The recorded configuration keeps the epochs and FullBatch; FindRun finds the run again.
	got, err := configFromInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != 0 || got.Batch != FullBatch || got.Epochs != 6 || got.TrainSize != 200 || got.SnapshotEpochs != 2 {
		t.Errorf("recorded steps %d batch %d epochs %d train size %d snapshot epochs %d", got.Steps, got.Batch, got.Epochs, got.TrainSize, got.SnapshotEpochs)
	}
	if f, err := FindRun(cfg); err != nil || f == nil || f.ID() != r.ID() {
		t.Errorf("FindRun: %v, %v", f, err)
	}
}

func TestEpochConfigErrors(t *testing.T) {
	base := Config{RunsDir: t.TempDir(), Model: "mlp", Data: smallBlobs(t)}
	for _, tc := range []struct {
		mod  func(c *Config)
		want string
	}{
		{func(c *Config) { c.Epochs, c.Steps = 3, 10 }, "not both"},
		{func(c *Config) { c.SnapshotEpochs = 2 }, "needs epochs"},
		{func(c *Config) { c.Batch = -2 }, "whole training split"},
		{func(c *Config) { c.TrainSize = 100000 }, "larger than the training split"},
		{func(c *Config) { c.Model, c.EpochAccuracy = "colormlp", true }, "classifier"},
	} {
		c := base
		tc.mod(&c)
		if _, err := Train(context.Background(), c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error with %q, got %v", tc.want, err)
		}
	}
}

// TestCNNFullTaps records the full activation maps of the conv layers (models.TapFull).
func TestCNNFullTaps(t *testing.T) {
	m, err := models.New("cnn", models.Options{InputShape: []int{8, 8, 1}, Hidden: []int{2, 3}, TapGrid: models.TapFull})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*models.CNN).Config().TapGrid; got != models.TapFull {
		t.Errorf("TapGrid %d, want %d", got, models.TapFull)
	}
}
