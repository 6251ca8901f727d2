package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/training"
)

func TestTrainCommand(t *testing.T) {
	runs := t.TempDir()
	var stdout, stderr strings.Builder
	code := runMain([]string{"train", "-runs", runs, "-model", "mlp", "-dataset", "blobs", "-steps", "30",
		"-batch", "32", "-snapshots", "4", "-eval-size", "100", "-layers", "fc1", "-seed", "5"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	id := lines[len(lines)-1]
	if !strings.HasPrefix(id, "run-0001-MLP_blobs_32_") {
		t.Fatalf("last stdout line %q is not the run id", id)
	}
	if !strings.Contains(stderr.String(), "30/30") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	r, err := training.OpenRun(runs, id)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Status != training.StatusFinished || len(info.Snapshots) != 4 || info.Steps != 30 || info.BatchSize != 32 || info.Seed != 5 {
		t.Errorf("run.json: %+v", info)
	}
	if _, err := r.Layer(3, "fc1"); err != nil {
		t.Error(err)
	}
}

func TestTrainCommandErrors(t *testing.T) {
	runs := t.TempDir()
	curr := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(curr, []byte("STEP,PHASE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"-model", "resnet", "-dataset", "blobs"}, 1, "unknown model"},
		{[]string{"-model", "mlp", "-dataset", "imagenet"}, 1, "unknown data set"},
		{[]string{"-model", "cnn", "-dataset", "mnist", "-data-dir", "/nonexistent/mnist"}, 1, "/nonexistent/mnist"},
		{[]string{"-model", "mlp", "-dataset", "blobs", "-batch", "100000"}, 1, "batch 100000 is larger"},
		{[]string{"-model", "mlp"}, 2, "-dataset"},
		{[]string{"-model", "mlp", "-dataset", "blobs", "-steps", "0"}, 2, "-steps"},
		{[]string{"-model", "mlp", "-dataset", "blobs", "-curriculum", curr}, 1, "header"},
		{[]string{"-model", "mlp", "-dataset", "blobs", "-layers", "conv7"}, 1, "conv7"},
		{[]string{"-resume", "run-0042"}, 1, "run-0042"},
		{[]string{"-model", "mlp", "-dataset", "blobs", "extra"}, 2, "unexpected"},
	}
	for _, c := range cases {
		var stdout, stderr strings.Builder
		code := runMain(append([]string{"train", "-runs", runs}, c.args...), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.contains) {
			t.Errorf("train %v: exit %d (want %d), stderr %q (want it to mention %q)", c.args, code, c.code, stderr.String(), c.contains)
		}
		if stdout.Len() != 0 {
			t.Errorf("train %v wrote to stdout: %q", c.args, stdout.String())
		}
	}
	if entries, _ := os.ReadDir(runs); len(entries) != 0 {
		t.Errorf("failed commands left %d entries in the runs directory", len(entries))
	}
}

// TestTrainCNNFashionMNISTAcceptance is the acceptance run of `embviz train` (opt-in: it trains
// for minutes). With EMBVIZ_ACCEPTANCE=1 it runs
//
//	embviz train -runs R -model cnn -dataset fashion-mnist -steps 600 -batch 64 -snapshots 20 -eval-size 1000 -seed 42
//
// and requires it to finish in under 300 s (set EMBVIZ_ACCEPTANCE_MAX_S to change the limit on a
// loaded machine) with final eval accuracy >= 0.80 and 20 loadable snapshots plus metrics.
// EMBVIZ_ACCEPTANCE_RUN=<runs dir>/<run id> only checks an existing run.
func TestTrainCNNFashionMNISTAcceptance(t *testing.T) {
	if existing := os.Getenv("EMBVIZ_ACCEPTANCE_RUN"); existing != "" {
		checkAcceptanceRun(t, filepath.Dir(existing), filepath.Base(existing))
		return
	}
	if os.Getenv("EMBVIZ_ACCEPTANCE") != "1" {
		t.Skip("opt-in: set EMBVIZ_ACCEPTANCE=1 (trains a CNN on Fashion-MNIST for minutes)")
	}
	limit := 300.0
	if s := os.Getenv("EMBVIZ_ACCEPTANCE_MAX_S"); s != "" {
		if _, err := fmt.Sscan(s, &limit); err != nil {
			t.Fatal(err)
		}
	}
	runs := t.TempDir()
	var stdout strings.Builder
	start := time.Now()
	code := runMain([]string{"train", "-runs", runs, "-model", "cnn", "-dataset", "fashion-mnist", "-steps", "600",
		"-batch", "64", "-snapshots", "20", "-eval-size", "1000", "-seed", "42"}, &stdout, os.Stderr)
	elapsed := time.Since(start).Seconds()
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	t.Logf("trained in %.1f s", elapsed)
	if elapsed > limit {
		t.Errorf("took %.1f s, limit %.0f s", elapsed, limit)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	checkAcceptanceRun(t, runs, lines[len(lines)-1])
}

func checkAcceptanceRun(t *testing.T, runs, id string) {
	t.Helper()
	r, err := training.OpenRun(runs, id)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	t.Logf("%s: status %s, final eval acc %.4f, %d snapshots", info.ID, info.Status, info.FinalEvalAcc, len(info.Snapshots))
	if info.Status != training.StatusFinished || info.FinalEvalAcc < 0.80 || len(info.Snapshots) != 20 {
		t.Fatalf("run %+v", info)
	}
	for i := range 20 {
		e, err := r.Embedding(i)
		if err != nil || e.Rows != 1000 || e.Cols != info.EmbedDim {
			t.Fatalf("snapshot %d: %v %+v", i, err, e)
		}
		if p, err := r.Predictions(i); err != nil || len(p) != 1000 {
			t.Fatalf("snapshot %d predictions: %v", i, err)
		}
	}
	recs, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	evals := 0
	for _, rec := range recs {
		if _, ok := rec.Values["eval_acc"]; ok {
			evals++
		}
	}
	if evals != 20 {
		t.Errorf("%d metrics records with eval_acc, want 20", evals)
	}
}
