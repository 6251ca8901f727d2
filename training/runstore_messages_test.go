package training

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/training/npy"
)

// TestTruncatedCheckpointMessage: a run whose newest checkpoint was truncated gives an error
// that names the file in the run directory (which exists) and what to do.
func TestTruncatedCheckpointMessage(t *testing.T) {
	ds := smallBlobs(t)
	r, err := trainWithWatchdog(t, Config{RunsDir: t.TempDir(), Model: "mlp", Data: ds, Steps: 10, Batch: 16, Snapshots: 2, EvalSize: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(r.CheckpointDir())
	var bin string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".bin") {
			bin = filepath.Join(r.CheckpointDir(), e.Name())
		}
	}
	if bin == "" {
		t.Fatal("no checkpoint data file")
	}
	if err := os.Truncate(bin, 10); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadModel(r)
	if err == nil {
		t.Fatal("loading a truncated checkpoint succeeded")
	}
	t.Logf("error: %v", err)
	msg := err.Error()
	if !strings.Contains(msg, r.CheckpointDir()) || !strings.Contains(msg, "truncated or corrupt") {
		t.Errorf("error %q should name %s and say the checkpoint is truncated or corrupt", msg, r.CheckpointDir())
	}
	if strings.Contains(msg, stagingSuffix) {
		t.Errorf("error names the staging directory, which no longer exists: %v", err)
	}
}

// TestPredictionsChecked: a truncated predictions.npy and predictions outside [0, classes) are
// errors naming the file; a snapshot without predictions wraps ErrNoPredictions.
func TestPredictionsChecked(t *testing.T) {
	dir := t.TempDir()
	r, err := CreateRun(dir, testInfo()) // 2 classes
	if err != nil {
		t.Fatal(err)
	}
	r.SetEvalSet([]int32{0, 1, 0, 1}, []int32{0, 1, 2, 3})
	r.AppendSnapshot(0, 0, matrix(4, 3, 0), []int32{0, 1, 1, 0}, nil)
	r.AppendSnapshot(1, 0, matrix(4, 3, 0), []int32{0, 1, 7, 0}, nil)
	r.AppendSnapshot(2, 0, matrix(4, 3, 0), nil, nil)
	r.AppendSnapshot(3, 0, matrix(4, 3, 0), []int32{0, 1, 1, 0}, nil)
	path := filepath.Join(r.Dir(), SnapshotsDir, "000000", PredictionFile)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-6], 0o644)
	path3 := filepath.Join(r.Dir(), SnapshotsDir, "000003", PredictionFile)
	npy.WriteFile(path3, npy.Int32([]int32{0, 1}, 2))

	if _, err := r.Predictions(0); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "short read") {
		t.Errorf("truncated predictions: %v", err)
	}
	if _, err := r.Predictions(1); err == nil || !strings.Contains(err.Error(), "prediction 7 at position 2 is outside [0, 2)") {
		t.Errorf("prediction out of range: %v", err)
	}
	if _, err := r.Predictions(2); !errors.Is(err, ErrNoPredictions) {
		t.Errorf("no predictions: %v", err)
	}
	if _, err := r.Predictions(3); err == nil || !strings.Contains(err.Error(), path3+" has 2 predictions, want 4") {
		t.Errorf("short predictions: %v", err)
	}
}

// TestMetricsLongLine: metrics.jsonl lines have no length limit (a 17 MB line was
// "bufio.Scanner: token too long").
func TestMetricsLongLine(t *testing.T) {
	long := `{"step": 3, "note": "` + strings.Repeat("x", 17<<20) + `", "train_loss": 0.5}`
	recs, err := ParseMetrics("m.jsonl", []byte(`{"step": 1, "lr": 0.1}`+"\n"+long+"\n"))
	if err != nil || len(recs) != 2 || recs[1].Step != 3 || recs[1].Values["train_loss"] != 0.5 {
		t.Fatalf("long line: %d records, %v", len(recs), err)
	}
	if _, err := ParseMetrics("m.jsonl", []byte("{\"step\": 1}\n{bad\n{\"step\": 2}\n")); err == nil || err.Error() != "training: m.jsonl line 2 is corrupt: invalid character 'b' looking for beginning of object key string" {
		t.Errorf("corrupt line: %v", err)
	}
}

// TestTrainConfigMessages: configurations that used to fail with poor messages.
func TestTrainConfigMessages(t *testing.T) {
	ds := smallBlobs(t)
	images := patternImages(40, 20)
	nan := nanF()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"NaN lr", Config{Model: "mlp", Data: ds, LR: nan}, "learning rate (-lr) must be a finite number, got NaN"},
		{"Inf clip", Config{Model: "mlp", Data: ds, ClipNorm: math.Inf(1)}, "gradient clip norm (-clip) must be a finite number, got +Inf"},
		{"NaN weight decay", Config{Model: "mlp", Data: ds, WeightDecay: nan}, "weight decay (-weight-decay) must be a finite number, got NaN"},
		{"mlp on images", Config{Model: "mlp", Data: images, Steps: 2, Snapshots: 2}, "model mlp takes feature vectors, but " + images.Name + " has inputs of shape [28 28 1] (images); use -model cnn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.RunsDir = t.TempDir()
			_, err := Train(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
