package training

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/training/datasets"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Environment of the child process of TestKillAndResume.
const (
	envChildRunsDir = "EMBVIZ_TEST_TRAIN_CHILD_RUNS"
)

// killConfig is the run the child trains (and the parent resumes): slowed down by a sleep per
// step so that the parent can SIGKILL it in the middle.
func killConfig(t testing.TB, runsDir string) Config {
	ds, err := datasets.Blobs(datasets.BlobsOptions{Classes: 4, Dim: 8, PerClass: 100, TestPerClass: 25, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		RunsDir: runsDir, Model: "mlp", Data: ds, Steps: 400, Batch: 16, Snapshots: 20, EvalSize: 40,
		Layers: []string{"fc1"}, Seed: 11, CheckpointEvery: 7,
	}
}

// TestKillAndResumeChild is the child process of TestKillAndResume; it does nothing unless
// started by it.
func TestKillAndResumeChild(t *testing.T) {
	runsDir := os.Getenv(envChildRunsDir)
	if runsDir == "" {
		t.Skip("child process of TestKillAndResume only")
	}
	cfg := killConfig(t, runsDir)
	cfg.OnProgress = func(Progress) { time.Sleep(15 * time.Millisecond) }
	_, err := Train(context.Background(), cfg)
	t.Fatalf("child was not killed; Train returned %v", err)
}

func TestKillAndResume(t *testing.T) {
	runsDir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillAndResumeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChildRunsDir+"="+runsDir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until some snapshots are recorded, then SIGKILL.
	deadline := time.Now().Add(2 * stepWatchdog)
	var id string
	for {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("child recorded no snapshots in time; output:\n%s", out.String())
		}
		runs, _ := ListRuns(runsDir)
		if len(runs) == 1 && len(runs[0].Snapshots) >= 6 {
			id = runs[0].ID
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// While the child trains, the run is listed as running and cannot be resumed: the resume
	// fails, naming the process that holds the run, and leaves the run alone.
	if runs, _ := ListRuns(runsDir); runs[0].Status != StatusRunning {
		t.Errorf("live run listed as %q, want running", runs[0].Status)
	}
	_, err := Train(context.Background(), Config{RunsDir: runsDir, Resume: id, Data: killConfig(t, runsDir).Data})
	wantMsg := fmt.Sprintf("run %s is still being trained by process %d", id, cmd.Process.Pid)
	if !errors.Is(err, ErrRunLive) || !strings.Contains(err.Error(), wantMsg) || !strings.Contains(err.Error(), "wait for it to finish") {
		t.Errorf("resuming a live run: %v; want an error wrapping ErrRunLive containing %q", err, wantMsg)
	}
	if _, err := ResumeRun(runsDir, id); !errors.Is(err, ErrRunLive) {
		t.Errorf("ResumeRun of a live run: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The killed run is readable: interrupted (run.json still says running, nobody holds the
	// lock), every listed snapshot complete.
	if runs, _ := ListRuns(runsDir); runs[0].Status != StatusInterrupted {
		t.Errorf("killed run listed as %q, want interrupted", runs[0].Status)
	}
	r, err := OpenRun(runsDir, id)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Status != StatusInterrupted {
		t.Fatalf("killed run has status %q, want interrupted", info.Status)
	}
	if len(info.Snapshots) >= 20 {
		t.Fatalf("child finished all %d snapshots before the kill; the test did not interrupt it", len(info.Snapshots))
	}
	t.Logf("killed after %d snapshots (last at step %d)", len(info.Snapshots), info.Snapshots[len(info.Snapshots)-1].Step)
	checkSnapshots(t, r, len(info.Snapshots))
	entries, err := os.ReadDir(r.CheckpointDir())
	if err != nil || len(entries) == 0 {
		t.Fatalf("no checkpoint in the killed run: %v", err)
	}

	// Resume finishes it.
	cfg := Config{RunsDir: runsDir, Resume: id, Data: killConfig(t, runsDir).Data}
	r2, err := trainWithWatchdog(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	info2 := r2.Info()
	if info2.Status != StatusFinished || len(info2.Snapshots) != 20 {
		t.Fatalf("resumed run: status %q with %d snapshots, want finished with 20", info2.Status, len(info2.Snapshots))
	}
	want, _ := SnapshotSteps(ScheduleLinear, 400, 20, 0)
	for i, sn := range info2.Snapshots {
		if sn.Step != want[i] || sn.Index != i {
			t.Errorf("snapshot %d at step %d (index %d), want step %d", i, sn.Step, sn.Index, want[i])
		}
	}
	reopened, err := OpenRun(runsDir, info2.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkSnapshots(t, reopened, 20)
	if info2.FinalEvalAcc < 0.9 {
		t.Errorf("resumed run's final eval accuracy %.3f, want >= 0.9", info2.FinalEvalAcc)
	}
	// Metrics steps are strictly increasing across the resume (no duplicated records).
	recs, err := reopened.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Step <= recs[i-1].Step {
			t.Errorf("metrics record %d at step %d follows step %d", i, recs[i].Step, recs[i-1].Step)
		}
	}
	// The name never changed, and no staging directory is left behind.
	if reopened.ID() != id || reopened.Dir() != filepath.Join(runsDir, id) {
		t.Errorf("resumed run is %s in %s, created as %s", reopened.ID(), reopened.Dir(), id)
	}
	// A finished run cannot be resumed.
	if _, err := Train(context.Background(), Config{RunsDir: runsDir, Resume: info2.ID, Data: cfg.Data}); err == nil || !strings.Contains(err.Error(), "finished") {
		t.Errorf("resuming a finished run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(reopened.Dir(), CheckpointDir+stagingSuffix)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("checkpoint staging directory left behind: %v", err)
	}
}

func isSnapshotStep(steps []int, s int) bool {
	for _, v := range steps {
		if v == s {
			return true
		}
	}
	return false
}

// checkSnapshots loads every snapshot of r and checks their shapes.
func checkSnapshots(t *testing.T, r *Run, n int) {
	t.Helper()
	if r.NumSnapshots() != n {
		t.Fatalf("%d snapshots, want %d", r.NumSnapshots(), n)
	}
	for i := range n {
		e, err := r.Embedding(i)
		if err != nil {
			t.Fatalf("snapshot %d embedding: %v", i, err)
		}
		if e.Rows != 40 || e.Cols != 32 {
			t.Errorf("snapshot %d embedding is %dx%d", i, e.Rows, e.Cols)
		}
		if p, err := r.Predictions(i); err != nil || len(p) != 40 {
			t.Errorf("snapshot %d predictions: %v (%d)", i, err, len(p))
		}
		if l, err := r.Layer(i, "fc1"); err != nil || l.Rows != 40 {
			t.Errorf("snapshot %d layer fc1: %v", i, err)
		}
	}
}

func TestCancelThenResume(t *testing.T) {
	runsDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := Config{RunsDir: runsDir, Model: "mlp", Data: smallBlobs(t), Steps: 40, Batch: 16, Snapshots: 5, EvalSize: 40, Seed: 4,
		OnProgress: func(p Progress) {
			if p.Step == 17 {
				cancel()
			}
		}}
	r, err := Train(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	info := r.Info()
	if info.Status != StatusFailed || !strings.Contains(info.Error, "interrupted at step") {
		t.Fatalf("cancelled run: status %q error %q", info.Status, info.Error)
	}
	if len(info.Snapshots) != 2 { // Steps 0 and 10.
		t.Fatalf("%d snapshots before the cancel, want 2", len(info.Snapshots))
	}
	startStep := -1
	r2, err := trainWithWatchdog(t, Config{RunsDir: runsDir, Resume: info.ID, Data: cfg.Data,
		OnProgress: func(p Progress) { startStep = p.StartStep }})
	if err != nil {
		t.Fatal(err)
	}
	info2 := r2.Info()
	if info2.Status != StatusFinished || len(info2.Snapshots) != 5 || info2.Snapshots[2].Step != 20 {
		t.Fatalf("resumed: status %q, snapshots %+v", info2.Status, info2.Snapshots)
	}
	// Training went on from the cancel point's checkpoint (17 steps done), not from scratch.
	if startStep != 17 {
		t.Errorf("resumed from step %d, want 17", startStep)
	}
	recs, _ := r2.Metrics()
	if recs[len(recs)-1].Step != 40 {
		t.Errorf("last metrics record at step %d", recs[len(recs)-1].Step)
	}
	// Batches, optimizer state and RNG come back from the checkpoint: the result equals an
	// uninterrupted run's.
	cfg.RunsDir, cfg.OnProgress = t.TempDir(), nil
	r3, err := trainWithWatchdog(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r2.Embedding(4)
	b, _ := r3.Embedding(4)
	var maxDiff float64
	for i := range a.Data {
		maxDiff = max(maxDiff, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	if maxDiff > 1e-4 {
		t.Errorf("resumed run's final embedding differs from an uninterrupted run's by up to %g", maxDiff)
	}
}

func TestResumeBeforeFirstCheckpoint(t *testing.T) {
	runsDir := t.TempDir()
	c, err := ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION\n0,only,\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.On(EventPreStep, func(ev *Event) error {
		if ev.Step == 3 {
			return errors.New("simulated crash")
		}
		return nil
	})
	cfg := Config{RunsDir: runsDir, Model: "mlp", Data: smallBlobs(t), Steps: 20, Batch: 16, Snapshots: 3, EvalSize: 40, Seed: 4, Curriculum: c}
	r, err := Train(context.Background(), cfg)
	if err == nil || r == nil || r.Info().Status != StatusFailed || r.NumSnapshots() != 1 {
		t.Fatalf("crashed run: err %v, run %+v", err, r)
	}
	// No checkpoint yet (the first one comes with snapshot 1): resume starts over from the seed.
	r2, err := trainWithWatchdog(t, Config{RunsDir: runsDir, Resume: r.ID(), Data: cfg.Data})
	if err != nil {
		t.Fatal(err)
	}
	if info := r2.Info(); info.Status != StatusFinished || len(info.Snapshots) != 3 {
		t.Fatalf("resumed: %+v", info)
	}
	// Same seed, uninterrupted: the same final embedding.
	cfg.Curriculum, cfg.RunsDir = nil, t.TempDir()
	r3, err := trainWithWatchdog(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r2.Embedding(2)
	b, _ := r3.Embedding(2)
	for i := range a.Data {
		if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-5 {
			t.Fatalf("resumed-from-scratch run differs from an uninterrupted one at %d: %g vs %g", i, a.Data[i], b.Data[i])
		}
	}
}

func TestLoadModelReproducesFinalSnapshot(t *testing.T) {
	ds := smallBlobs(t)
	r, err := trainWithWatchdog(t, Config{RunsDir: t.TempDir(), Model: "mlp", Data: ds, Steps: 20, Batch: 16, Snapshots: 2, EvalSize: 40, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := r.EvalIndex()
	if err != nil {
		t.Fatal(err)
	}
	x := ds.Test.Gather(idx, nil)
	// By hand, as a notebook would with LoadModel: only the embedding (+ KeepAlive).
	m, store, err := LoadModel(r)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := model.NewExec(ebackend.Must(), store, func(scope *model.Scope, x *Node) []*Node {
		return []*Node{m.Build(scope, x, false, nil).Embedding, KeepAlive(x.Graph())}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, len(idx), ds.Test.Dim()))
	if err != nil {
		t.Fatal(err)
	}
	// With the Predictor.
	pr, err := NewPredictor(r, "fc1")
	if err != nil {
		t.Fatal(err)
	}
	pred, err := pr.Predict(x, len(idx))
	if err != nil {
		t.Fatal(err)
	}
	if pred.Logits == nil || pred.Logits.Cols != 4 || pred.Reconstruction != nil || pred.Layers["fc1"].Cols != 64 {
		t.Errorf("prediction shapes: logits %+v, layers %v", pred.Logits, pred.Layers)
	}
	preds, _ := r.Predictions(1)
	for i := range preds {
		row := pred.Logits.Row(i)
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if int32(best) != preds[i] {
			t.Fatalf("Predictor's class %d for example %d, the final snapshot has %d", best, i, preds[i])
		}
	}
	if _, err := pr.Predict(x[:5], 1); err == nil {
		t.Error("Predict with a wrong input size: no error")
	}
	if _, err := NewPredictor(r, "conv1"); err == nil {
		t.Error("NewPredictor with an unknown layer: no error")
	}
	want, err := r.Embedding(1)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](outs[0])
	for i := range want.Data {
		if math.Abs(float64(pred.Embedding.Data[i]-want.Data[i])) > 1e-4 {
			t.Fatalf("Predictor's embedding differs from the final snapshot at %d", i)
		}
		if math.Abs(float64(got[i]-want.Data[i])) > 1e-4 {
			t.Fatalf("reloaded model's embedding differs from the final snapshot at %d: %g vs %g", i, got[i], want.Data[i])
		}
	}
}
