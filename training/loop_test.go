package training

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training/datasets"
)

// stepWatchdog is the longest a test lets one training step (or snapshot) take before failing
// instead of hanging (see PLATFORM.md on Go-backend deadlocks).
const stepWatchdog = 60 * time.Second

// trainWithWatchdog runs Train in a goroutine and fails the test if no progress is reported for
// stepWatchdog.
func trainWithWatchdog(t *testing.T, cfg Config) (*Run, error) {
	t.Helper()
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	user := cfg.OnProgress
	cfg.OnProgress = func(p Progress) {
		last.Store(time.Now().UnixNano())
		if user != nil {
			user(p)
		}
	}
	type result struct {
		r   *Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Train(context.Background(), cfg)
		done <- result{r, err}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case res := <-done:
			return res.r, res.err
		case <-tick.C:
			if since := time.Since(time.Unix(0, last.Load())); since > stepWatchdog {
				t.Fatalf("watchdog: no training progress for %s (model %s): the backend probably hangs", since.Round(time.Second), cfg.Model)
			}
		}
	}
}

// smallBlobs is a tiny 4-class, 8-dim blobs data set.
func smallBlobs(t *testing.T) *datasets.Dataset {
	t.Helper()
	ds, err := datasets.Blobs(datasets.BlobsOptions{Classes: 4, Dim: 8, PerClass: 100, TestPerClass: 25, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// trainLosses returns the train_loss values of a run's metrics in step order.
func trainLosses(t *testing.T, r *Run) (steps []int, losses []float64) {
	t.Helper()
	recs, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if v, ok := rec.Values["train_loss"]; ok {
			steps = append(steps, rec.Step)
			losses = append(losses, v)
		}
	}
	return
}

func TestTrainMLPBlobs(t *testing.T) {
	dir := t.TempDir()
	var reports int
	r, err := trainWithWatchdog(t, Config{
		RunsDir: dir, Model: "mlp", Data: smallBlobs(t), Steps: 60, Batch: 16, LR: 3e-3,
		Snapshots: 5, EvalSize: 40, Layers: []string{"fc1"}, Seed: 7,
		OnProgress: func(Progress) { reports++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Status != StatusFinished {
		t.Fatalf("status %q, want finished", info.Status)
	}
	// The directory name (the id) is fixed at creation; the display id appends the final accuracy.
	if info.ID != "run-0001-MLP_blobs_32" || !strings.HasPrefix(info.DisplayID(), "run-0001-MLP_blobs_32_") {
		t.Errorf("run id %q, display id %q", info.ID, info.DisplayID())
	}
	// Reopen from disk.
	r2, err := OpenRun(dir, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	info = r2.Info()
	if len(info.Snapshots) != 5 {
		t.Fatalf("%d snapshots, want 5", len(info.Snapshots))
	}
	wantSteps := []int{0, 15, 30, 45, 60}
	for i, sn := range info.Snapshots {
		if sn.Step != wantSteps[i] || sn.Index != i {
			t.Errorf("snapshot %d: step %d index %d, want step %d", i, sn.Step, sn.Index, wantSteps[i])
		}
		e, err := r2.Embedding(i)
		if err != nil {
			t.Fatal(err)
		}
		if e.Rows != 40 || e.Cols != 32 {
			t.Errorf("snapshot %d embedding %dx%d, want 40x32", i, e.Rows, e.Cols)
		}
		l, err := r2.Layer(i, "fc1")
		if err != nil || l.Rows != 40 || l.Cols != 64 {
			t.Errorf("snapshot %d layer fc1: %v %+v", i, err, l)
		}
		p, err := r2.Predictions(i)
		if err != nil || len(p) != 40 {
			t.Errorf("snapshot %d predictions: %v len %d", i, err, len(p))
		}
	}
	labels, err := r2.Labels()
	if err != nil || len(labels) != 40 {
		t.Fatalf("labels: %v %d", err, len(labels))
	}
	if info.FinalEvalAcc < 0.9 {
		t.Errorf("final eval acc %.3f on well separated blobs, want >= 0.9", info.FinalEvalAcc)
	}
	recs, err := r2.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	evalRecs := 0
	for _, rec := range recs {
		if _, ok := rec.Values["eval_acc"]; ok {
			evalRecs++
			if _, ok := rec.Values["eval_loss"]; !ok {
				t.Errorf("record at step %d has eval_acc but no eval_loss", rec.Step)
			}
		}
	}
	if evalRecs != 5 {
		t.Errorf("%d records with eval metrics, want 5 (one per snapshot)", evalRecs)
	}
	_, losses := trainLosses(t, r2)
	if len(losses) < 10 || !(losses[len(losses)-1] < 0.5*losses[0]) {
		t.Errorf("train loss did not decrease enough: %v", losses)
	}
	if reports < 60 {
		t.Errorf("%d progress reports, want >= 60", reports)
	}
	// The checkpoint reloads into a model.
	m, store, err := LoadModel(r2)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "MLP" || store.NumVariables() == 0 {
		t.Errorf("LoadModel: %s with %d variables", m.Name(), store.NumVariables())
	}
}

func TestTrainBadConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown model", Config{RunsDir: dir, Model: "resnet", Dataset: "blobs"}, "unknown model"},
		{"unknown dataset", Config{RunsDir: dir, Model: "mlp", Dataset: "imagenet"}, "unknown data set"},
		{"missing dir", Config{RunsDir: dir, Model: "cnn", Dataset: "mnist", DataDir: "/nonexistent/mnist"}, "/nonexistent/mnist"},
		{"batch too large", Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), Batch: 401}, "batch 401"},
		{"eval too large", Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), EvalSize: 101}, "eval size 101"},
		{"bad layer", Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), Layers: []string{"conv9"}}, "conv9"},
		{"too many snapshots", Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), Steps: 5, Snapshots: 10}, "snapshots"},
		{"bad schedule", Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), SnapshotSchedule: "log"}, "unknown snapshot schedule"},
		{"no runs dir", Config{Model: "mlp", Dataset: "blobs"}, "RunsDir"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Train(context.Background(), c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("bad configurations created %d entries in the runs directory", len(entries))
	}
}

func TestCosineLR(t *testing.T) {
	if got := CosineLR(0, 100, 10, 1, 0); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("first warm-up step: %g, want 0.1", got)
	}
	if got := CosineLR(10, 100, 10, 1, 0); math.Abs(got-1) > 1e-12 {
		t.Errorf("end of warm-up: %g, want 1", got)
	}
	if got := CosineLR(99, 100, 10, 1, 0.1); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("last step: %g, want 0.1", got)
	}
	prev := 2.0
	for s := 10; s < 100; s++ {
		v := CosineLR(s, 100, 10, 1, 0)
		if v > prev {
			t.Fatalf("cosine increases at step %d", s)
		}
		prev = v
	}
}

// patternImages is a learnable synthetic image set: each of 4 classes lights a different
// quadrant of a 28x28x1 image (plus uniform noise), so every model can fit it in a few dozen
// steps.
func patternImages(nTrain, nTest int) *datasets.Dataset {
	rng := rand.New(rand.NewPCG(5, 6))
	split := func(n int) *datasets.Split {
		s := &datasets.Split{N: n, Shape: []int{28, 28, 1}, X: make([]float32, n*784), Labels: make([]int32, n)}
		for i := range n {
			c := i % 4
			s.Labels[i] = int32(c)
			r0, c0 := (c/2)*14, (c%2)*14
			for y := range 28 {
				for x := range 28 {
					v := 0.3 * rng.Float32()
					if y >= r0 && y < r0+14 && x >= c0 && x < c0+14 {
						v += 0.6
					}
					s.X[i*784+y*28+x] = v
				}
			}
		}
		return s
	}
	return &datasets.Dataset{Name: "patterns", ClassNames: []string{"tl", "tr", "bl", "br"},
		Train: split(nTrain), Test: split(nTest), ImageShape: []int{28, 28, 1}}
}

// TestEachModelTrains trains every registered model for a few dozen steps on small data and
// checks that its loss decreases and that its snapshots have the right contents (predictions -1
// and no eval_acc for autoencoders). Models not yet implemented in the models package are
// skipped with their error.
func TestEachModelTrains(t *testing.T) {
	images := patternImages(256, 40)
	small := []int{8, 16} // Conv channels: keeps the image models fast on 2 cores.
	for _, c := range []struct {
		model string
		data  *datasets.Dataset
		opts  models.Options
		steps int
		lr    float64
		ratio float64 // last/first moving-average loss must be below this
	}{
		{"mlp", smallBlobs(t), models.Options{}, 40, 3e-3, 0.8},
		{"colormlp", colorsData(t), models.Options{}, 60, 1e-2, 0.8},
		{"cnn", images, models.Options{Hidden: small}, 30, 3e-3, 0.8},
		{"cnn", images, models.Options{Hidden: small, Residual: true}, 30, 3e-3, 0.8},
		{"vit", images, models.Options{Depth: 1, EmbedDim: 32, Heads: 2, PatchSize: 7}, 30, 2e-3, 0.8},
		// The VAE's loss is a per-image BCE sum (~550 nats here) with a high floor from the noise.
		{"vae", images, models.Options{Hidden: small}, 30, 3e-3, 0.9},
	} {
		name := c.model
		if c.opts.Residual {
			name += "-residual"
		}
		t.Run(name, func(t *testing.T) {
			if _, err := models.New(c.model, models.Options{}); err != nil {
				t.Skipf("model not available: %v", err)
			}
			dir := t.TempDir()
			r, err := trainWithWatchdog(t, Config{
				RunsDir: dir, Model: c.model, ModelOptions: c.opts, Data: c.data, Steps: c.steps, Batch: 16,
				LR: c.lr, Snapshots: 3, EvalSize: 40, Seed: 3, LogEvery: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, losses := trainLosses(t, r)
			if len(losses) < c.steps/2 {
				t.Fatalf("only %d train losses recorded", len(losses))
			}
			first, last := losses[0], losses[len(losses)-1]
			t.Logf("%s: train loss (moving average) %.4f -> %.4f", c.model, first, last)
			if !(last < c.ratio*first) {
				t.Errorf("loss did not decrease: %.4f -> %.4f", first, last)
			}
			info := r.Info()
			if len(info.Snapshots) != 3 {
				t.Fatalf("%d snapshots", len(info.Snapshots))
			}
			p, err := r.Predictions(2)
			if err != nil {
				t.Fatal(err)
			}
			recs, _ := r.Metrics()
			lastRec := recs[len(recs)-1]
			_, hasAcc := lastRec.Values["eval_acc"]
			if _, ok := lastRec.Values["eval_loss"]; !ok {
				t.Errorf("no eval_loss in the last metrics record %+v", lastRec)
			}
			autoencoder := c.model == "colormlp" || c.model == "vae"
			if autoencoder {
				if hasAcc || p[0] != -1 {
					t.Errorf("autoencoder: eval_acc present %v, prediction %d (want absent, -1)", hasAcc, p[0])
				}
			} else if !hasAcc {
				t.Errorf("classifier without eval_acc")
			}
		})
	}
}

func TestSAMAndDeterminism(t *testing.T) {
	run := func(seed int64, rho float64) *Run {
		t.Helper()
		r, err := trainWithWatchdog(t, Config{RunsDir: t.TempDir(), Model: "mlp", Data: smallBlobs(t), Steps: 30,
			Batch: 16, LR: 3e-3, Snapshots: 2, EvalSize: 40, Seed: seed, SAMRho: rho, LogEvery: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	final := func(r *Run) []float32 {
		e, err := r.Embedding(1)
		if err != nil {
			t.Fatal(err)
		}
		return e.Data
	}
	maxDiff := func(a, b []float32) float64 {
		var m float64
		for i := range a {
			m = max(m, math.Abs(float64(a[i]-b[i])))
		}
		return m
	}
	a, b, c, sam := run(1, 0), run(1, 0), run(2, 0), run(1, 0.05)
	if d := maxDiff(final(a), final(b)); d > 1e-5 {
		t.Errorf("same seed, different final embeddings (max diff %g)", d)
	}
	if d := maxDiff(final(a), final(c)); d < 1e-3 {
		t.Errorf("different seeds, same final embeddings (max diff %g)", d)
	}
	if d := maxDiff(final(a), final(sam)); d < 1e-4 {
		t.Errorf("SAM did not change training (max diff %g)", d)
	}
	_, losses := trainLosses(t, sam)
	if !(losses[len(losses)-1] < 0.8*losses[0]) {
		t.Errorf("SAM: loss did not decrease: %v", losses)
	}
	if got := sam.Info().Options["sam_rho"]; got != 0.05 {
		t.Errorf("run.json options sam_rho = %v", got)
	}
}

func TestBatchIndices(t *testing.T) {
	s := &session{cfg: Config{Batch: 10, Seed: 3}, train: &datasets.Split{N: 50}, perms: map[int][]int{}}
	seen := make([]int, 50)
	for step := range 5 { // One epoch: every example exactly once.
		for _, i := range s.batchIndices(step, 1) {
			seen[i]++
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("example %d seen %d times in one epoch", i, n)
		}
	}
	first := slices.Clone(s.batchIndices(7, 1))
	s2 := &session{cfg: Config{Batch: 10, Seed: 3}, train: &datasets.Split{N: 50}, perms: map[int][]int{}}
	if !slices.Equal(first, s2.batchIndices(7, 1)) {
		t.Error("batch of a step depends on history, not only on (seed, step)")
	}
	for step := range 20 {
		for _, i := range s.batchIndices(step, 0.3) {
			if i >= 15 {
				t.Fatalf("data fraction 0.3 of 50 drew example %d", i)
			}
		}
	}
}
