package training

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLegacyNamesKeepOpening: run directories renamed by older versions (accuracy, "_running" or
// "_failed" suffix) open by their name, number and seed-style id; a legacy run left running
// without a lock is interrupted; new runs continue the numbering and are never renamed.
func TestLegacyNamesKeepOpening(t *testing.T) {
	dir := t.TempDir()
	write := func(name, status string, acc float64) {
		info := testInfo()
		info.ID, info.Status, info.FinalEvalAcc, info.Snapshots = name, status, acc, []SnapshotInfo{}
		data, _ := json.Marshal(info)
		os.MkdirAll(filepath.Join(dir, name, SnapshotsDir), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name, RunFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("run-0003-CNN_mnist_32_0.9776", StatusFinished, 0.9776)
	write("run-0004-MLP_blobs_3_running", StatusRunning, 0)
	write("run-0005-MLP_blobs_3_failed", StatusFailed, 0)
	for id, want := range map[string]string{
		"run-0003-CNN_mnist_32_0.9776":  "run-0003-CNN_mnist_32_0.9776",
		"run-0003":                      "run-0003-CNN_mnist_32_0.9776",
		"run-3":                         "run-0003-CNN_mnist_32_0.9776",
		"run-0003-CNN_mnist_32_running": "run-0003-CNN_mnist_32_0.9776", // a name it had while training
		"run-0004-MLP_blobs_3_running":  "run-0004-MLP_blobs_3_running",
		"run-0004-MLP_blobs_3_0.9000":   "run-0004-MLP_blobs_3_running",
		"run-0005":                      "run-0005-MLP_blobs_3_failed",
	} {
		r, err := OpenRun(dir, id)
		if err != nil || r.ID() != want {
			t.Errorf("OpenRun(%q) = %v, %v; want %s", id, r, err, want)
			continue
		}
		if r.DisplayID() != want {
			t.Errorf("display id of %s is %s", want, r.DisplayID())
		}
	}
	runs, err := ListRuns(dir)
	if err != nil || len(runs) != 3 || runs[1].Status != StatusInterrupted || runs[0].Status != StatusFinished || runs[2].Status != StatusFailed {
		t.Fatalf("ListRuns: %+v %v", runs, err)
	}
	// Resuming the legacy interrupted run keeps its name.
	res, err := ResumeRun(dir, "run-0004")
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Finish(0.5); err != nil || res.ID() != "run-0004-MLP_blobs_3_running" {
		t.Fatalf("finish legacy run: %v (id %s)", err, res.ID())
	}
	if _, err := os.Stat(filepath.Join(dir, "run-0004-MLP_blobs_3_running")); err != nil {
		t.Fatal(err)
	}
	next, err := CreateRun(dir, testInfo())
	if err != nil || next.ID() != "run-0006-MLP_blobs_3" {
		t.Fatalf("next run: %v %v", next, err)
	}
}

// TestRunWriterIsExclusive: a run has one writer. Readers cannot write; a second ResumeRun of a
// run being written fails with ErrRunLive; Finish releases the lock; a finished run is not
// resumed.
func TestRunWriterIsExclusive(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateRun(dir, testInfo())
	if err != nil {
		t.Fatal(err)
	}
	reader, err := OpenRun(dir, w.ID())
	if err != nil {
		t.Fatal(err)
	}
	if reader.Info().Status != StatusRunning {
		t.Errorf("a reader sees %q while the writer holds the lock", reader.Info().Status)
	}
	if err := reader.AppendMetrics(MetricRecord{Step: 1}); err == nil || !strings.Contains(err.Error(), "open for reading only") {
		t.Errorf("a reader appended metrics: %v", err)
	}
	if _, err := reader.AppendSnapshot(0, 0, matrix(2, 2, 0), nil, nil); err == nil {
		t.Error("a reader appended a snapshot")
	}
	if _, err := ResumeRun(dir, w.ID()); !errors.Is(err, ErrRunLive) || !strings.Contains(err.Error(), "still being trained by process") {
		t.Errorf("second writer: %v", err)
	}
	if err := w.Finish(0.25); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendMetrics(MetricRecord{Step: 2}); err == nil {
		t.Error("a finished run's handle still writes")
	}
	if _, err := ResumeRun(dir, w.ID()); err == nil || !strings.Contains(err.Error(), "run-0001-MLP_blobs_3_0.2500 is already finished") {
		t.Errorf("resuming a finished run: %v", err)
	}
	if err := reader.Reload(); err != nil || reader.Info().Status != StatusFinished || reader.DisplayID() != "run-0001-MLP_blobs_3_0.2500" {
		t.Errorf("reader after finish: %+v %v", reader.Info(), err)
	}
}
