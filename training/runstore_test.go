package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/embviz/embviz/reduce"
)

func testInfo() RunInfo {
	return RunInfo{Dataset: "blobs", ClassNames: []string{"a", "b"}, Model: "MLP", EmbedDim: 3, Seed: 7, Steps: 10, BatchSize: 4}
}

func matrix(rows, cols int, base float32) *reduce.Matrix {
	m := reduce.NewMatrix(rows, cols)
	for i := range m.Data {
		m.Data[i] = base + float32(i)
	}
	return m
}

func TestRunRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r, err := CreateRun(dir, testInfo())
	if err != nil {
		t.Fatal(err)
	}
	if r.ID() != "run-0001-MLP_blobs_3" {
		t.Fatalf("id %q, want run-0001-MLP_blobs_3", r.ID())
	}
	created := r.Dir()
	if err := r.SetEvalSet([]int32{0, 1, 0, 1}, []int32{10, 11, 12, 13}); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		layers := map[string]*reduce.Matrix{"fc1": matrix(4, 2, float32(100*s))}
		if _, err := r.AppendSnapshot(s*5, float64(s)/2, matrix(4, 3, float32(s)), []int32{0, 1, 1, int32(s % 2)}, layers); err != nil {
			t.Fatal(err)
		}
		if err := r.AppendMetrics(MetricRecord{Step: s * 5, Epoch: float64(s) / 2, Values: map[string]float64{"train_loss": 1 / float64(s+1), "eval_acc": 0.5}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Finish(0.87654); err != nil {
		t.Fatal(err)
	}
	// The name is fixed from creation to finish; the display id adds the accuracy.
	if r.Dir() != created || r.ID() != "run-0001-MLP_blobs_3" || r.DisplayID() != "run-0001-MLP_blobs_3_0.8765" {
		t.Fatalf("finished run: dir %s (created as %s), id %s, display id %s", r.Dir(), created, r.ID(), r.DisplayID())
	}
	want := "run-0001-MLP_blobs_3"
	got, err := OpenRun(dir, "run-0001-MLP_blobs_3_0.8765")
	if err != nil {
		t.Fatal(err)
	}
	info := got.Info()
	if info.Status != StatusFinished || info.FinalEvalAcc != 0.87654 || len(info.Snapshots) != 3 || info.EvalSize != 4 || info.Layers[0] != "fc1" {
		t.Fatalf("info after reopen: %+v", info)
	}
	e, err := got.Embedding(2)
	if err != nil || e.Rows != 4 || e.Cols != 3 || e.At(1, 0) != 5 {
		t.Fatalf("embedding 2: %+v %v", e, err)
	}
	p, err := got.Predictions(2)
	if err != nil || p[3] != 0 {
		t.Fatalf("predictions: %v %v", p, err)
	}
	l, err := got.Layer(1, "fc1")
	if err != nil || l.At(0, 0) != 100 {
		t.Fatalf("layer: %+v %v", l, err)
	}
	if _, err := got.Layer(1, "conv9"); err == nil || !strings.Contains(err.Error(), "fc1") {
		t.Fatalf("unknown layer error should list recorded layers, got %v", err)
	}
	labels, _ := got.Labels()
	idx, _ := got.EvalIndex()
	if labels[1] != 1 || idx[3] != 13 {
		t.Fatalf("eval set: %v %v", labels, idx)
	}
	ms, err := got.Metrics()
	if err != nil || len(ms) != 3 || ms[2].Step != 10 || ms[1].Values["train_loss"] != 0.5 {
		t.Fatalf("metrics: %+v %v", ms, err)
	}
	all, err := got.Embeddings()
	if err != nil || len(all) != 3 {
		t.Fatalf("embeddings: %v", err)
	}
	// Prefix and number lookup and the run number of the next run.
	for _, id := range []string{"run-0001", "run-1", "run-0001-", "run-0001-MLP", want, "run-0001-MLP_blobs_3_0.8765"} {
		if r2, err := OpenRun(dir, id); err != nil || r2.ID() != want {
			t.Fatalf("open %q: %v", id, err)
		}
	}
	r3, err := CreateRun(dir, testInfo())
	if err != nil || !strings.HasPrefix(r3.ID(), "run-0002-") {
		t.Fatalf("second run: %v %v", r3, err)
	}
}

func TestOpenRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, model := range []string{"CNN", "MLP"} {
		info := testInfo()
		info.Model = model
		r, err := CreateRun(dir, info)
		if err != nil {
			t.Fatal(err)
		}
		r.Finish(0.5)
	}
	_, err := OpenRun(dir, "run-0002-MLP_blobz_3_0.5000")
	if err == nil {
		t.Fatal("unknown id should fail")
	}
	msg := err.Error()
	i1, i2 := strings.Index(msg, "run-0002-MLP_blobs_3"), strings.Index(msg, "run-0001-CNN_blobs_3")
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Fatalf("error should list available runs, closest first: %s", msg)
	}
	if _, err := OpenRun(dir, "run-000"); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if _, err := OpenRun(filepath.Join(dir, "nope"), "x"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing runs dir: %v", err)
	}
	empty := t.TempDir()
	if _, err := OpenRun(empty, "x"); err == nil || !strings.Contains(err.Error(), "none") {
		t.Fatalf("empty runs dir: %v", err)
	}
}

func TestBadRunJSON(t *testing.T) {
	dir := t.TempDir()
	r, err := CreateRun(dir, testInfo())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"not json":       "{\"id\": ",
		"unknown status": `{"id":"x","status":"exploded"}`,
		"bad snapshot":   `{"id":"x","status":"running","snapshots":[{"index":3,"dir":"snapshots/000000"}]}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(filepath.Join(r.Dir(), RunFile), []byte(content), 0o644)
			_, err := OpenRun(dir, r.ID())
			if err == nil || !strings.Contains(err.Error(), "run.json") {
				t.Fatalf("want error naming run.json, got %v", err)
			}
			runs, err := ListRuns(dir)
			if err != nil || len(runs) != 1 || runs[0].Status != "corrupt" {
				t.Fatalf("ListRuns should report the corrupt run: %+v %v", runs, err)
			}
		})
	}
}

// TestCrashMidWrite simulates a writer killed while writing a snapshot: a temporary snapshot
// directory with a half-written file, an unlisted snapshot directory, and a partial metrics line.
func TestCrashMidWrite(t *testing.T) {
	dir := t.TempDir()
	r, err := CreateRun(dir, testInfo())
	if err != nil {
		t.Fatal(err)
	}
	r.AppendSnapshot(0, 0, matrix(4, 3, 0), []int32{0, 0, 0, 0}, nil)
	r.AppendMetrics(MetricRecord{Step: 0, Values: map[string]float64{"eval_acc": 0.1}})
	// The crash: debris of snapshot 1.
	tmp := filepath.Join(r.Dir(), SnapshotsDir, ".000001.tmp-123")
	os.MkdirAll(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, EmbeddingFile), []byte("\x93NUMPY\x01\x00\x10"), 0o644)
	os.MkdirAll(filepath.Join(r.Dir(), SnapshotsDir, "000001"), 0o755)
	f, _ := os.OpenFile(filepath.Join(r.Dir(), MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step": 5, "eval_a`)
	f.Close()

	got, err := OpenRun(dir, r.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Info().Status != StatusRunning || got.NumSnapshots() != 1 {
		t.Fatalf("while the writer holds the lock: %+v", got.Info())
	}
	if _, err := ResumeRun(dir, "run-0001"); !errors.Is(err, ErrRunLive) {
		t.Fatalf("resuming a run whose writer lives: %v", err)
	}
	r.Close() // the writer dies
	if got, err = OpenRun(dir, r.ID()); err != nil || got.Info().Status != StatusInterrupted || got.NumSnapshots() != 1 {
		t.Fatalf("after crash: %+v %v", got.Info(), err)
	}
	if _, err := got.Embedding(0); err != nil {
		t.Fatal(err)
	}
	ms, err := got.Metrics()
	if err != nil || len(ms) != 1 {
		t.Fatalf("metrics with a partial last line: %v %v", ms, err)
	}
	// Resuming continues where the listed snapshots end, replacing the debris.
	res, err := ResumeRun(dir, "run-0001")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := res.AppendSnapshot(5, 1, matrix(4, 3, 9), nil, nil); err != nil || s.Index != 1 {
		t.Fatalf("append after resume: %+v %v", s, err)
	}
	// The partial metrics line was dropped, so appending keeps the file parseable.
	if err := res.AppendMetrics(MetricRecord{Step: 5, Values: map[string]float64{"eval_acc": 0.2}}); err != nil {
		t.Fatal(err)
	}
	if ms, err := res.Metrics(); err != nil || len(ms) != 2 || ms[1].Step != 5 {
		t.Fatalf("metrics after resume: %v %v", ms, err)
	}
	if err := res.Fail(errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	failed, err := OpenRun(dir, "run-0001")
	if err != nil || failed.Info().Status != StatusFailed || failed.Info().Error != "boom" || failed.NumSnapshots() != 2 {
		t.Fatalf("failed run: %+v %v", failed.Info(), err)
	}
}

// TestConcurrentReader reads a run while a writer appends snapshots and metrics, then finishes
// : every snapshot the reader sees listed must load completely.
func TestConcurrentReader(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateRun(dir, testInfo())
	if err != nil {
		t.Fatal(err)
	}
	const total = 40
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for s := 0; s < total; s++ {
			if _, err := w.AppendSnapshot(s, 0, matrix(50, 8, float32(s)), make([]int32, 50), nil); err != nil {
				errs <- err
				return
			}
			w.AppendMetrics(MetricRecord{Step: s, Values: map[string]float64{"train_loss": 1}})
		}
		if err := w.Finish(0.9); err != nil {
			errs <- err
		}
	}()
	reader, err := OpenRun(dir, "run-0001")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for seen < total {
		if err := reader.Reload(); err != nil {
			errs <- fmt.Errorf("reload: %w", err)
			break
		}
		n := reader.NumSnapshots()
		for i := seen; i < n; i++ {
			m, err := reader.Embedding(i)
			if err != nil {
				errs <- fmt.Errorf("snapshot %d: %w", i, err)
				break
			}
			if m.At(0, 0) != float32(i) || m.Rows != 50 {
				errs <- fmt.Errorf("snapshot %d has wrong content", i)
			}
		}
		seen = n
		if _, err := reader.Metrics(); err != nil {
			errs <- err
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reader.Reload()
	if reader.Info().Status != StatusFinished {
		t.Fatalf("reader sees status %q after finish", reader.Info().Status)
	}
}

func TestAppendSnapshotValidates(t *testing.T) {
	r, _ := CreateRun(t.TempDir(), testInfo())
	bad := matrix(2, 2, 0)
	bad.Data[1] = float32(nanF())
	if _, err := r.AppendSnapshot(0, 0, bad, nil, nil); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Fatalf("NaN embedding: %v", err)
	}
	if _, err := r.AppendSnapshot(0, 0, matrix(2, 2, 0), []int32{1}, nil); err == nil {
		t.Fatal("prediction count mismatch should fail")
	}
	if _, err := r.AppendSnapshot(0, 0, matrix(2, 2, 0), nil, map[string]*reduce.Matrix{"../x": matrix(2, 1, 0)}); err == nil {
		t.Fatal("bad layer name should fail")
	}
	if r.NumSnapshots() != 0 {
		t.Fatal("failed appends must not be listed")
	}
}

func nanF() float64 { z := 0.0; return z / z }
