package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// TestReportCompare: `embviz report -run A,B` writes the comparison page (one player with both
// runs' panels, the cross-run CKA chart); a run with another evaluation set is refused.
func TestReportCompare(t *testing.T) {
	dir := t.TempDir()
	reportTestRun(t, dir) // run-0001
	reportTestRun(t, dir) // run-0002: the same evaluation set
	out := filepath.Join(dir, "cmp.html")
	var stdout, stderr bytes.Buffer
	if err := runReport([]string{"-runs", dir, "-run", "run-0001,run-0002", "-out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("report -run A,B: %v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"embviz comparison", "cross-run CKA", `"kind":"player"`, `"runs":[`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("comparison page lacks %q", want)
		}
	}
	// run-0003: 30 points, another evaluation set.
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: 4, ClassNames: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int32, 30)
	if err := run.SetEvalSet(labels, labels); err != nil {
		t.Fatal(err)
	}
	m := reduce.NewMatrix(30, 4)
	for i := range m.Data {
		m.Data[i] = float32(i % 7)
	}
	if _, err := run.AppendSnapshot(0, 0, m, labels, nil); err != nil {
		t.Fatal(err)
	}
	run.Finish(1)
	err = runReport([]string{"-runs", dir, "-run", "run-0001,run-0003", "-out", filepath.Join(dir, "x.html")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "different evaluation sets") {
		t.Errorf("runs with different evaluation sets: got %v", err)
	}
}

// TestTrainLive: `embviz train -live FILE.html` leaves the final page of the run.
func TestTrainLive(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: trains a model")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "live.html")
	var stdout, stderr bytes.Buffer
	if err := runTrain([]string{"-dataset", "blobs", "-model", "mlp", "-snapshots", "4", "-steps", "80", "-eval-size", "200", "-runs", dir, "-q", "-live", page}, &stdout, &stderr); err != nil {
		t.Fatalf("train -live: %v\n%s", err, stderr.String())
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"embviz live", "4 snapshots · status finished", `"kind":"player"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("live page lacks %q", want)
		}
	}
}
