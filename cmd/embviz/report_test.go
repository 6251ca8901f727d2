package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: 4, ClassNames: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 60
	labels, index := make([]int32, n), make([]int32, n)
	for i := range labels {
		labels[i], index[i] = int32(i%3), int32(i)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for s := 0; s < 4; s++ {
		m := reduce.NewMatrix(n, 4)
		for i := range m.Data {
			m.Data[i] = float32(rng.NormFloat64())
		}
		for i := 0; i < n; i++ {
			m.Set(i, int(labels[i]), m.At(i, int(labels[i]))+float32(s))
		}
		if _, err := run.AppendSnapshot(s*5, float64(s), m, labels, nil); err != nil {
			t.Fatal(err)
		}
		if err := run.AppendMetrics(training.MetricRecord{Step: s * 5, Epoch: float64(s), Values: map[string]float64{"train_loss": 1 / float64(s+1)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(1); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	err = runReport([]string{"-runs", dir, "-run", "run-0001", "-out", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	data, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	for _, want := range []string{"<!DOCTYPE html>", "Training records", "Confusion matrices", `"kind":"player"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(stderr.String(), "[9/9]") || !strings.Contains(stdout.String(), "wrote ") {
		t.Errorf("progress/summary missing: stdout %q stderr %q", stdout.String(), stderr.String())
	}
	if err := runReport([]string{"-runs", dir}, &stdout, &stderr); !errors.Is(err, errUsage) {
		t.Errorf("missing -run: %v, want a usage error", err)
	}
	if err := runReport([]string{"-runs", dir, "-run", "run-0099"}, &stdout, &stderr); err == nil {
		t.Errorf("unknown run accepted")
	}
}

// TestReportBlobsMLP is the acceptance path: train blobs with an MLP for 10 snapshots,
// then write its report.
func TestReportBlobsMLP(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := runTrain([]string{"-dataset", "blobs", "-model", "mlp", "-snapshots", "10", "-steps", "300", "-runs", dir, "-q"}, &stdout, &stderr); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	out := filepath.Join(dir, "blobs.html")
	if err := runReport([]string{"-runs", dir, "-run", "run-0001", "-out", out, "-max-points", "300"}, &stdout, &stderr); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte(`"kind":"player"`)); n != 1 {
		t.Errorf("report has %d players, want 1", n)
	}
	if bytes.Contains(data, []byte("evz-error\">")) {
		t.Errorf("report shows an error box")
	}
}
