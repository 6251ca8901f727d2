package main

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/npy"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	reportTestRun(t, dir)
	out := filepath.Join(dir, "r.html")
	var stdout, stderr bytes.Buffer
	err := runReport([]string{"-runs", dir, "-run", "run-0001", "-out", out}, &stdout, &stderr)
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
	if !strings.Contains(stderr.String(), "7/7 tsne and umap") || !strings.Contains(stderr.String(), "100%") || !strings.Contains(stdout.String(), "wrote ") {
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

// reportTestRun writes run-0001 in dir: 60 blobs points in 3 classes, 4 snapshots whose classes
// separate, with predictions and a loss record per snapshot.
func reportTestRun(t testing.TB, dir string) {
	reportSyntheticRun(t, dir, 60, 4, 4, 3)
}

// reportSyntheticRun writes a finished run of T snapshots of n evaluation points with dim-dimensional
// embeddings in k classes: per-point noise that wanders from snapshot to snapshot plus a class
// signal that grows with the snapshot (as in training).
func reportSyntheticRun(t testing.TB, dir string, n, T, dim, k int) {
	t.Helper()
	names := make([]string, k)
	for c := range names {
		names[c] = string(rune('a' + c))
	}
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: dim, ClassNames: names})
	if err != nil {
		t.Fatal(err)
	}
	labels, index := make([]int32, n), make([]int32, n)
	for i := range labels {
		labels[i], index[i] = int32(i%k), int32(i)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float64, n*dim)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	for s := 0; s < T; s++ {
		m := reduce.NewMatrix(n, dim)
		for i := range m.Data {
			if s > 0 { // each point wanders (a stationary random walk), keeping its identity
				noise[i] = 0.95*noise[i] + 0.31*rng.NormFloat64()
			}
			m.Data[i] = float32(noise[i])
		}
		for i := 0; i < n; i++ {
			c := int(labels[i]) % dim
			m.Set(i, c, m.At(i, c)+float32(s)*4/float32(T))
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
}

var dataScript = regexp.MustCompile(`<script type="application/json" id="[^"]+-data">(.*?)</script>`)

// reportData returns the data of every section of a report page, in order.
func reportData(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range dataScript.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	if len(out) < 6 {
		t.Fatalf("report %s has %d data sections, want >= 6", path, len(out))
	}
	return out
}

// TestReportAfterSnapshotReplaced runs `embviz report` twice with a snapshot file replaced in
// between: the second report must show the new data in every section (the same data as a report
// computed with the cache off), not cached animations next to fresh charts.
func TestReportAfterSnapshotReplaced(t *testing.T) {
	t.Setenv("EMBVIZ_NO_CACHE", "")
	dir := t.TempDir()
	reportTestRun(t, dir)
	report := func(name string) []string {
		out := filepath.Join(dir, name)
		var stdout, stderr bytes.Buffer
		if err := runReport([]string{"-runs", dir, "-run", "run-0001", "-out", out}, &stdout, &stderr); err != nil {
			t.Fatalf("report: %v\n%s", err, stderr.String())
		}
		return reportData(t, out)
	}
	before := report("before.html")
	if again := report("again.html"); strings.Join(again, "\n") != strings.Join(before, "\n") {
		t.Fatalf("the same run reported twice differs")
	}
	run, err := training.OpenRun(dir, "run-0001")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(run.Dir(), run.Info().Snapshots[2].Dir, training.EmbeddingFile)
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.F32 {
		a.F32[i] = 3 * a.F32[len(a.F32)-1-i]
	}
	if err := npy.WriteFile(path, a); err != nil {
		t.Fatal(err)
	}
	after := report("after.html")
	t.Setenv("EMBVIZ_NO_CACHE", "1")
	fresh := report("fresh.html")
	if len(after) != len(before) || len(fresh) != len(after) {
		t.Fatalf("sections: %d before, %d after, %d fresh", len(before), len(after), len(fresh))
	}
	// Sections in order: training records, confusion matrices (the predictions did not change),
	// drift, CKA, eigenvalues, the player (PCA, t-SNE, UMAP frames).
	for i := range after {
		if after[i] != fresh[i] {
			t.Errorf("section %d of the second report differs from a fresh computation: stale cache", i)
		}
	}
	for _, i := range []int{2, 3, 4, 5} {
		if after[i] == before[i] {
			t.Errorf("section %d did not change after the snapshot was replaced", i)
		}
	}
}

// BenchmarkReport10k times `embviz report` on two runs of 10,000 evaluation points and 50
// snapshots; the target is 60 s on 2 cores. Run with
// go test ./cmd/embviz -run XXX -bench Report10k -benchtime 1x.
//
//   - cnn: a real training run, the CNN on Fashion-MNIST (32-dimensional embeddings, 1,000 steps),
//     trained once (about 90 s on 2 cores; the dataset comes with make setup) into
//     $EMBVIZ_BENCH_REAL_RUNS when that is set (and kept there for later timings), else into a
//     temporary directory.
//   - walk: a synthetic stress case (64-dimensional embeddings, 10 classes, each point a noisy
//     stationary random walk, so that about 40% of every point's neighbours change from snapshot to
//     snapshot, ten times what a training run shows), kept in $EMBVIZ_BENCH_RUNS when set.
func BenchmarkReport10k(b *testing.B) {
	b.Run("cnn", func(b *testing.B) {
		dir := benchRunsDir(b, "EMBVIZ_BENCH_REAL_RUNS")
		if _, err := training.OpenRun(dir, "run-0001"); err != nil {
			args := []string{"-runs", dir, "-model", "cnn", "-dataset", "fashion-mnist", "-eval-size", "10000",
				"-snapshots", "50", "-steps", "1000", "-q"}
			if err := runTrain(args, io.Discard, os.Stderr); err != nil {
				b.Fatalf("training the benchmark run: %v", err)
			}
		}
		benchReport(b, dir)
	})
	b.Run("walk", func(b *testing.B) {
		dir := benchRunsDir(b, "EMBVIZ_BENCH_RUNS")
		if _, err := training.OpenRun(dir, "run-0001"); err != nil { // a run there is kept
			reportSyntheticRun(b, dir, 10000, 50, 64, 10)
		}
		benchReport(b, dir)
	})
}

// benchRunsDir returns $env, or a temporary directory when it is not set.
func benchRunsDir(b *testing.B, env string) string {
	if dir := os.Getenv(env); dir != "" {
		return dir
	}
	return b.TempDir()
}

// benchReport times `embviz report` on run-0001 of dir, with vizlib's cache off.
func benchReport(b *testing.B, dir string) {
	b.Setenv("EMBVIZ_NO_CACHE", "1") // vizlib: time the reductions, not the cache
	for i := 0; i < b.N; i++ {
		var stdout bytes.Buffer
		if err := runReport([]string{"-runs", dir, "-run", "run-0001", "-out", filepath.Join(b.TempDir(), "r.html")}, &stdout, os.Stderr); err != nil {
			b.Fatal(err)
		}
		b.Log(stdout.String())
	}
}
