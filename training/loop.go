package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/datasets"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Store paths of the loop's own (non-trainable) variables, saved in checkpoints.
const (
	anchorTargetVar = "/embviz/anchor_target" // [anchors, embedDim] float32
	anchorOnVar     = "/embviz/anchor_on"     // scalar float32, 1 once the anchor action fired
)

// Indices of the per-step weight vector fed to the training graph.
const (
	wTask = iota
	wSeparation
	wPlanarity
	wUnitNorm
	wAnchor
	numWeights
)

// Train trains a model as configured and records it in the run store: run.json, the evaluation
// subset (labels.npy, eval_index.npy), snapshots of the evaluation subset (embedding,
// predictions and the requested layer taps) at the scheduled steps, metrics.jsonl and GoMLX
// checkpoints. It returns the finished run (see Run.Finish; its directory name, the run id, is
// fixed when the run is created). The process holds the run's lock (LockFile) while it trains.
//
// Bad configurations (unknown model or dataset, missing data directory, batch larger than the
// training split, unknown layer names, ...) return an error before the run is created. Errors
// during training mark the run failed (Run.Fail) and are returned with the run. When ctx is
// cancelled the weights are checkpointed, the run is marked failed ("interrupted") and ctx's
// error is returned; Config.Resume can continue it, as it can a run whose process died
// (StatusInterrupted). Resuming a run that another process is still training is refused with an
// error wrapping ErrRunLive.
//
// Snapshot semantics: snapshot 0 is the untrained model; with the linear and geometric
// schedules exactly Config.Snapshots snapshots are taken, the last at step Steps. For
// classifiers, predictions are the argmax classes and eval_acc their accuracy on the subset. For
// autoencoders (colormlp, vae) predictions are all -1 (no class output), eval_acc is absent from
// metrics.jsonl, eval_loss is the mean per-example reconstruction binary cross-entropy (summed
// over the example's values, as models.ReconstructionBCE; the VAE's KL term excluded), and the
// final eval accuracy in run.json and the run id is 0.
//
// metrics.jsonl gets one record per snapshot (step, epoch, lr, train_loss and train_acc as
// bias-corrected exponential moving averages over recent batches with decay 0.95, eval_loss,
// eval_acc; snapshot 0 has no train values) and, every Config.LogEvery steps, a train-only
// record (step, epoch, lr, train_loss, train_acc). lr is the learning rate of the step that
// ended at that record's step.
//
// Layer taps are stored flattened per example ([eval size, prod(activation shape)]); taps of
// early convolutional layers are large (e.g. 28*28*32 values per example), so request them with
// a moderate eval size.
func Train(ctx context.Context, cfg Config) (*Run, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	err = s.run(ctx)
	return s.r, err
}

// session is one call of Train.
type session struct {
	cfg      Config
	given    Config              // cfg before resolveEpochs: what run.json records
	terms    [numWeights]float32 // the last step's unweighted loss terms (wTask...)
	backend  compute.Backend
	ds       *datasets.Dataset
	train    *datasets.Split
	test     *datasets.Split
	model    models.Model
	store    *model.Store
	schedule []int

	evalIdx    []int32
	evalX      []float32
	evalLabels []int32

	useRegs, useAnchor bool
	anchorX            []float32 // [numAnchors, dim]
	numAnchors         int

	trainExec, evalExec *model.Exec
	isAE                bool // set when the eval graph is built (Logits == nil)
	optim               optimizer.Interface

	r       *Run
	resumed bool
	// fromCheckpoint: resumed from a checkpoint (whose keyframe events at startStep already fired).
	fromCheckpoint bool
	startStep      int
	lastSnap       int // step of the last recorded snapshot, -1 if none
	lastMetric     int // largest step already in metrics.jsonl (resume), -1 if none

	ema                  emaPair
	perms                map[int][]int
	xBuf                 []float32
	idxBuf               []int32
	lblBuf               []int32
	samplers             map[*datasets.Split]*sampler // per training split (curriculum_data.go)
	started              time.Time
	lastEvalLoss, evalAc float64
	bar                  *textBar
}

// newSession validates everything and prepares data, model and store; the run is created (or
// reopened) last, after every check passed.
func newSession(cfg Config) (*session, error) {
	var resumeRun *Run
	if cfg.Resume != "" {
		if cfg.RunsDir == "" {
			return nil, errors.New("training: resuming needs RunsDir (-runs)")
		}
		r, err := OpenRun(cfg.RunsDir, cfg.Resume)
		if err != nil {
			return nil, err
		}
		info := r.Info()
		switch info.Status {
		case StatusFinished:
			return nil, fmt.Errorf("training: run %s is already finished; nothing to resume", info.DisplayID())
		case StatusRunning: // OpenRun reports a run whose writer died as interrupted
			return nil, liveError(r.Dir(), info.ID)
		}
		rc, err := configFromInfo(info)
		if err != nil {
			return nil, err
		}
		rc.RunsDir, rc.Resume = cfg.RunsDir, info.ID
		rc.Progress, rc.OnProgress, rc.Data = cfg.Progress, cfg.OnProgress, cfg.Data
		if cfg.DataDir != "" {
			rc.DataDir = cfg.DataDir
		}
		if cfg.Curriculum != nil {
			rc.Curriculum = cfg.Curriculum // the caller's, with its hooks
		}
		cfg = rc
		resumeRun = r
	}
	cfg.fillDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, lastSnap: -1, lastMetric: -1, perms: map[int][]int{}}

	// Model name first (cheap), then the data.
	if _, err := models.New(cfg.Model, models.Options{}); err != nil && strings.Contains(err.Error(), "unknown model") {
		return nil, fmt.Errorf("training: %w", err)
	}
	ds := cfg.Data
	if ds == nil {
		var err error
		ds, err = datasets.Load(cfg.Dataset, cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("training: %w", err)
		}
	}
	if ds.Train == nil || ds.Test == nil || ds.Train.N == 0 || ds.Test.N == 0 {
		return nil, fmt.Errorf("training: dataset %s has an empty train or test split", cfg.Dataset)
	}
	s.ds, s.train, s.test = ds, ds.Train, ds.Test
	if cfg.Model == "mlp" && len(s.train.Shape) != 1 {
		return nil, fmt.Errorf("training: model mlp takes feature vectors, but %s has inputs of shape %v (images); use -model cnn for images, or mlp on a vector dataset (blobs)", cfg.Dataset, s.train.Shape)
	}
	if cfg.TrainSize > 0 {
		if cfg.TrainSize > s.train.N {
			return nil, fmt.Errorf("training: train size %d is larger than the training split of %s (%d examples)", cfg.TrainSize, cfg.Dataset, s.train.N)
		}
		idx, err := s.train.EvalSubset(cfg.TrainSize, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("training: train subset: %w", err)
		}
		s.train = &datasets.Split{N: len(idx), Shape: s.train.Shape, X: s.train.Gather(idx, nil), Labels: s.train.GatherLabels(idx, nil)}
	}
	// The recorded configuration keeps FullBatch and an epoch count as given (FindRun compares
	// it with the caller's); the session runs with them resolved.
	s.given = s.cfg
	if err := s.cfg.resolveEpochs(s.train.N); err != nil {
		return nil, err
	}
	cfg = s.cfg
	s.schedule, _ = SnapshotSteps(cfg.SnapshotSchedule, cfg.Steps, cfg.Snapshots, cfg.Every)
	if cfg.Batch > s.train.N {
		return nil, fmt.Errorf("training: batch %d is larger than the training split of %s (%d examples)", cfg.Batch, cfg.Dataset, s.train.N)
	}
	if cfg.EvalSize == 0 {
		s.cfg.EvalSize = min(1000, s.test.N)
	}
	if s.cfg.EvalSize > s.test.N {
		return nil, fmt.Errorf("training: eval size %d is larger than the test split of %s (%d examples)", s.cfg.EvalSize, cfg.Dataset, s.test.N)
	}
	if s.cfg.EvalBatch == 0 {
		s.cfg.EvalBatch = min(s.cfg.EvalSize, 200)
	}
	cfg = s.cfg

	// Model with input shape and classes from the data.
	if cfg.ModelOptions.InputShape == nil && cfg.Model != "colormlp" {
		s.cfg.ModelOptions.InputShape = slices.Clone(s.train.Shape)
	}
	if cfg.ModelOptions.NumClasses == 0 && cfg.Model != "colormlp" && cfg.Model != "vae" {
		s.cfg.ModelOptions.NumClasses = ds.NumClasses()
	}
	m, err := models.New(cfg.Model, s.cfg.ModelOptions)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	s.model = m
	cfg = s.cfg
	for _, l := range cfg.Layers {
		if !slices.Contains(m.TapNames(), l) {
			return nil, fmt.Errorf("training: model %s has no layer %q; known layers: %s", m.Name(), l, strings.Join(m.TapNames(), ", "))
		}
	}
	if err := cfg.Regularizers.check(m.EmbedDim()); err != nil {
		return nil, err
	}
	cur := cfg.Curriculum
	s.useAnchor = cfg.Regularizers.Anchor != 0 || cur.Has(PropAnchor) || cur.HasAction(ActionAnchor)
	s.useRegs = cfg.Regularizers.any() || cur.Has(PropSeparation) || cur.Has(PropPlanarity) || cur.Has(PropUnitNorm) || s.useAnchor
	if cfg.EpochAccuracy && (cfg.Model == "colormlp" || cfg.Model == "vae") {
		return nil, fmt.Errorf("training: EpochAccuracy (-epoch-accuracy) needs a classifier; %s has no classes", cfg.Model)
	}
	if s.useRegs && cfg.Batch < 2 {
		return nil, errors.New("training: the embedding regularizers need a batch of at least 2")
	}
	for _, kf := range cur.keyframes() {
		if v, ok := kf.Values[PropDataFraction]; ok && (v < 0 || v > 1) {
			return nil, fmt.Errorf("training: curriculum %s %g at step %d must be in [0, 1]", PropDataFraction, v, kf.Step)
		}
		if v, ok := kf.Values[PropLR]; ok && v < 0 {
			return nil, fmt.Errorf("training: curriculum %s %g at step %d must be >= 0", PropLR, v, kf.Step)
		}
	}
	if err := cur.checkPhaseData(s.train.Shape); err != nil {
		return nil, err
	}

	// Evaluation subset.
	if cfg.EvalSize == s.test.N { // the whole test split (what a class-balanced subset of that size is, when one exists)
		s.evalIdx = make([]int32, s.test.N)
		for i := range s.evalIdx {
			s.evalIdx[i] = int32(i)
		}
	} else if s.evalIdx, err = s.test.EvalSubset(cfg.EvalSize, cfg.Seed); err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	s.evalX = s.test.Gather(s.evalIdx, nil)
	s.evalLabels = s.test.GatherLabels(s.evalIdx, nil)

	// Anchor points.
	if s.useAnchor {
		if idx := cfg.Regularizers.AnchorIndices; idx != nil {
			for _, i := range idx {
				if i < 0 || int(i) >= s.train.N {
					return nil, fmt.Errorf("training: anchor index %d out of range [0, %d) of the training split", i, s.train.N)
				}
			}
			if len(idx) == 0 {
				return nil, errors.New("training: AnchorIndices is empty; use nil for the default anchors")
			}
			s.anchorX = s.train.Gather(idx, nil)
			s.numAnchors = len(idx)
		} else if first := cur.firstPhaseTrain(); first != nil { // seed 003: the first phase's colors
			s.anchorX, s.numAnchors = anchorRows(first)
		} else {
			n := min(32, len(s.evalIdx))
			d := s.test.Dim()
			s.anchorX = make([]float32, 0, n*d)
			for j := 0; j < n; j++ {
				pos := j * len(s.evalIdx) / n
				s.anchorX = append(s.anchorX, s.evalX[pos*d:(pos+1)*d]...)
			}
			s.numAnchors = n
		}
	}

	s.backend, err = ebackend.New()
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}

	// The run: reopened or created, after every check passed.
	if resumeRun != nil {
		r, err := ResumeRun(cfg.RunsDir, resumeRun.ID())
		if err != nil {
			return nil, err
		}
		s.r, s.resumed = r, true
		for _, sn := range r.Info().Snapshots {
			s.lastSnap = max(s.lastSnap, sn.Step)
		}
		if recs, err := r.Metrics(); err == nil {
			for _, rec := range recs {
				s.lastMetric = max(s.lastMetric, rec.Step)
			}
		}
	} else {
		rec := cfg
		rec.Steps, rec.Batch, rec.LR, rec.WarmupSteps = s.given.Steps, s.given.Batch, s.given.LR, s.given.WarmupSteps
		rec.WeightDecay, rec.ClipNorm, rec.Snapshots = s.given.WeightDecay, s.given.ClipNorm, s.given.Snapshots
		rec.SnapshotSchedule, rec.Every, rec.LogEvery, rec.Regularizers = s.given.SnapshotSchedule, s.given.Every, s.given.LogEvery, s.given.Regularizers
		opts, err := rec.options()
		if err != nil {
			return nil, fmt.Errorf("training: recording the configuration: %w", err)
		}
		r, err := CreateRun(cfg.RunsDir, RunInfo{
			Dataset: cfg.Dataset, ClassNames: ds.ClassNames, Model: m.Name(), EmbedDim: m.EmbedDim(),
			Seed: cfg.Seed, Options: opts, Steps: cfg.Steps, BatchSize: cfg.Batch, EvalSize: cfg.EvalSize,
			Layers: cfg.Layers,
		})
		if err != nil {
			return nil, err
		}
		s.r = r
		if err := r.SetEvalSet(s.evalLabels, s.evalIdx); err != nil {
			return nil, s.fail(err)
		}
	}
	return s, nil
}

// keyframes returns c's keyframes (nil for a nil curriculum).
func (c *Curriculum) keyframes() []Keyframe {
	if c == nil {
		return nil
	}
	return c.Keyframes
}

// fail marks the run failed (best effort) and returns err.
func (s *session) fail(err error) error {
	if s.r != nil {
		if ferr := s.r.Fail(err); ferr != nil {
			return fmt.Errorf("%w (and marking the run failed: %v)", err, ferr)
		}
	}
	return err
}

// seedFor derives the store seed; GoMLX treats seed 0 as "random", so it is remapped.
func seedFor(seed int64) int64 {
	if seed == 0 {
		return 0x5eed
	}
	return seed
}

// setupStore creates the store, seeds it, loads the checkpoint when resuming and builds the
// executors.
func (s *session) setupStore() error {
	s.store = model.NewStore()
	s.store.RootScope().SetParam(model.ParamInitialSeed, seedFor(s.cfg.Seed))
	if err := s.store.SetRNGStateFromSeed(seedFor(s.cfg.Seed)); err != nil {
		return err
	}
	if s.resumed {
		ok, err := loadCheckpoint(s.store, s.r.CheckpointDir())
		if err != nil {
			return err
		}
		switch {
		case ok:
			s.startStep = int(optimizer.GetGlobalStep(s.store))
			s.fromCheckpoint = true
		case s.lastSnap <= 0:
			// Interrupted before its first checkpoint (saved with snapshot 1): start over from
			// the seeded initialization, which is what it had.
		default:
			return fmt.Errorf("training: run %s has no checkpoint to resume from (in %s)", s.r.ID(), s.r.CheckpointDir())
		}
		if s.startStep > s.cfg.Steps {
			return fmt.Errorf("training: checkpoint of run %s is at step %d, beyond its %d steps", s.r.ID(), s.startStep, s.cfg.Steps)
		}
	}
	if s.useAnchor {
		d := s.model.EmbedDim()
		tv := s.store.VariableWithValue(anchorTargetVar, tensors.FromShape(shapes.Make(dtypes.Float32, s.numAnchors, d)))
		tv.SetTrainable(false)
		if got := tv.Shape(); got.Rank() != 2 || got.Dimensions[0] != s.numAnchors || got.Dimensions[1] != d {
			return fmt.Errorf("training: checkpointed anchor targets have shape %s, want [%d, %d]", got, s.numAnchors, d)
		}
		s.store.VariableWithValue(anchorOnVar, float32(0)).SetTrainable(false)
	}
	s.optim = optimizer.Adam().LearningRate(s.cfg.LR).WeightDecay(s.cfg.WeightDecay).Done()
	var err error
	s.evalExec, err = model.NewExec(s.backend, s.store, s.evalGraph)
	if err != nil {
		return err
	}
	s.trainExec, err = model.NewExec(s.backend, s.store, s.trainGraph)
	return err
}

// run is the training loop.
func (s *session) run(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.fail(fmt.Errorf("training: panic: %v\n%s", r, debug.Stack()))
		}
	}()
	if err := s.setupStore(); err != nil {
		return s.fail(err)
	}
	ckpt, err := newCheckpointer(s.store, s.r.CheckpointDir())
	if err != nil {
		return s.fail(err)
	}
	defer ckpt.close()
	if s.cfg.Progress != nil {
		s.bar = newTextBar(s.cfg.Progress)
		defer s.bar.finish() // End the progress line, also before an error is printed.
	}
	s.started = time.Now()
	s.lastEvalLoss, s.evalAc = math.NaN(), math.NaN()
	cur := s.cfg.Curriculum
	nextSnap := 0
	for nextSnap < len(s.schedule) && s.schedule[nextSnap] <= s.lastSnap {
		nextSnap++
	}
	var lastLR float64
	// pendingLog holds the training record of step pendingLogStep when the epoch-accuracy record
	// of that step will carry it (one record per step in metrics.jsonl).
	var pendingLog map[string]float64
	pendingLogStep := -1
	for step := s.startStep; ; step++ {
		final := step == s.cfg.Steps
		// 1. Keyframe events (not re-fired for the step a resumed run starts at: they fired
		// before the checkpoint it was saved from).
		if !(s.fromCheckpoint && step == s.startStep) {
			for _, ev := range cur.events(step, final) {
				if err := s.handleEvent(&ev); err != nil {
					return s.fail(err)
				}
			}
		}
		// Interrupted: checkpoint (after this step's events, which a resume does not re-fire).
		if err := ctx.Err(); err != nil {
			if cerr := ckpt.save(step); cerr != nil {
				return s.fail(fmt.Errorf("training: interrupted at step %d and checkpointing failed: %w", step, cerr))
			}
			return s.fail(fmt.Errorf("training: interrupted at step %d: %w", step, err))
		}
		// 2. Checkpoint and snapshot.
		snapNow := nextSnap < len(s.schedule) && s.schedule[nextSnap] == step
		if snapNow || final || (s.cfg.CheckpointEvery > 0 && step > s.startStep && step%s.cfg.CheckpointEvery == 0) {
			if step > 0 || s.fromCheckpoint {
				if err := ckpt.save(step); err != nil {
					return s.fail(err)
				}
			}
		}
		var epochAcc map[string]float64
		if pendingLogStep != step {
			pendingLog = nil
		}
		if s.cfg.EpochAccuracy && step%s.stepsPerEpoch() == 0 && step > s.lastMetric {
			if epochAcc, err = s.epochAccuracy(); err != nil {
				return s.fail(fmt.Errorf("training: epoch accuracy at step %d: %w", step, err))
			}
			if !snapNow {
				epochAcc["lr"] = lastLR
				for k, v := range pendingLog { // this step's training record: one record per step
					if _, ok := epochAcc[k]; !ok {
						epochAcc[k] = v
					}
				}
				if err := s.r.AppendMetrics(MetricRecord{Step: step, Epoch: s.epoch(step), Values: epochAcc}); err != nil {
					return s.fail(err)
				}
			}
		}
		if snapNow {
			if err := s.snapshot(step, lastLR, epochAcc); err != nil {
				return s.fail(err)
			}
			nextSnap++
			s.report(step, lastLR, cur.PhaseAt(step), true)
		}
		if final {
			break
		}
		// 3. Pre-step hooks and the step.
		values := cur.Values(step)
		pre := Event{Kind: EventPreStep, Step: step, Phase: cur.PhaseAt(step), Values: values, infer: s.infer}
		if err := cur.fire(&pre); err != nil {
			return s.fail(err)
		}
		lr := s.learningRate(step, pre.Values)
		loss, acc, err := s.trainStep(step, lr, pre.Values)
		if err != nil {
			return s.fail(fmt.Errorf("training: step %d: %w", step+1, err))
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return s.fail(fmt.Errorf("training: loss is %g at step %d (lr %g); try a lower -lr or clipping", loss, step+1, lr))
		}
		lastLR = lr
		s.ema.add(loss, acc)
		done := step + 1
		if done%s.cfg.LogEvery == 0 && done > s.lastMetric && !slices.Contains(s.schedule, done) {
			vals := s.trainValues(lr)
			s.addTerms(vals, pre.Values)
			if s.cfg.EpochAccuracy && done%s.stepsPerEpoch() == 0 {
				// The epoch's accuracy record at this step (next iteration) carries these values.
				pendingLog, pendingLogStep = vals, done
			} else if err := s.r.AppendMetrics(MetricRecord{Step: done, Epoch: s.epoch(done), Values: vals}); err != nil {
				return s.fail(err)
			}
		}
		s.report(done, lr, pre.Phase, false)
	}
	acc := s.evalAc
	if s.isAE || math.IsNaN(acc) {
		acc = 0
	}
	if err := s.r.Finish(acc); err != nil {
		return err
	}
	return nil
}

// termNames are the curriculum properties that weight the loss terms, by index (wTask...).
var termNames = [numWeights]string{PropLoss, PropSeparation, PropPlanarity, PropUnitNorm, PropAnchor}

// addTerms adds to vals, for a run with a curriculum, the step's curriculum values (the weights,
// lr and data-fraction, under their column names) and each loss term that the step weighted
// (non-zero weight), unweighted, as "term:<column>": seed 003's progress metrics.
func (s *session) addTerms(vals, values map[string]float64) {
	if s.cfg.Curriculum == nil {
		return
	}
	w := s.weights(values)
	for i, name := range termNames {
		vals[name] = float64(w[i])
		if w[i] != 0 && (i == wTask || s.useRegs || (i == wAnchor && s.useAnchor)) {
			vals["term:"+name] = float64(s.terms[i])
		}
	}
	if v, ok := values[PropDataFraction]; ok {
		vals[PropDataFraction] = v
	}
}

// trainValues are the train-side metric values: lr and the moving averages.
func (s *session) trainValues(lr float64) map[string]float64 {
	v := map[string]float64{"lr": lr}
	if s.ema.n > 0 {
		v["train_loss"] = s.ema.loss()
		if !s.isAE {
			v["train_acc"] = s.ema.acc()
		}
	}
	return v
}

// epoch converts a step count to epochs of the training split.
func (s *session) epoch(step int) float64 {
	return float64(step) * float64(s.cfg.Batch) / float64(s.train.N)
}

// learningRate is the curriculum's lr if it has one, else linear warm-up then cosine decay.
func (s *session) learningRate(step int, values map[string]float64) float64 {
	if v, ok := values[PropLR]; ok {
		return v
	}
	return CosineLR(step, s.cfg.Steps, s.cfg.WarmupSteps, s.cfg.LR, s.cfg.MinLRFraction)
}

// CosineLR is the learning rate for step (0-based) of steps: a linear warm-up from peak/warmup
// to peak over the first warmup steps, then a cosine from peak down to minFraction*peak at the
// last step.
func CosineLR(step, steps, warmup int, peak, minFraction float64) float64 {
	if step < warmup {
		return peak * float64(step+1) / float64(warmup)
	}
	span := steps - warmup
	if span <= 1 {
		return peak
	}
	p := float64(step-warmup) / float64(span-1)
	p = min(max(p, 0), 1)
	low := peak * minFraction
	return low + (peak-low)*0.5*(1+math.Cos(math.Pi*p))
}

// handleEvent runs the built-in behaviour of an event, then its hooks.
func (s *session) handleEvent(ev *Event) error {
	if err := s.prepareEvent(ev); err != nil {
		return err
	}
	if ev.Kind == EventAction && ev.Action == ActionAnchor {
		if err := s.recordAnchors(); err != nil {
			return fmt.Errorf("training: anchor action at step %d: %w", ev.Step, err)
		}
	}
	return s.cfg.Curriculum.fire(ev)
}

// recordAnchors stores the current embedding of the anchor points as the anchor targets.
func (s *session) recordAnchors() error {
	if !s.useAnchor {
		return nil
	}
	fw, err := s.forward(s.anchorX, s.numAnchors)
	if err != nil {
		return err
	}
	d := s.model.EmbedDim()
	if err := s.store.GetVariable(anchorTargetVar).SetValue(tensors.FromFlatDataAndDimensions(fw.embedding, s.numAnchors, d)); err != nil {
		return err
	}
	return s.store.GetVariable(anchorOnVar).SetValue(tensors.FromValue(float32(1)))
}

// batchIndices returns the training examples of step: epoch-wise permutations of the split
// (seeded by Config.Seed and the epoch) when the data fraction is 1, else uniform draws (seeded
// by the step) from the first ceil(fraction*N) examples. Either way a function of (seed, step),
// so a resumed run sees the same batches.
func (s *session) batchIndices(step int, fraction float64) []int32 {
	b, n := s.cfg.Batch, s.train.N
	s.idxBuf = slices.Grow(s.idxBuf[:0], b)[:b]
	if fraction >= 1 {
		for j := range b {
			p := step*b + j
			e, pos := p/n, p%n
			perm, ok := s.perms[e]
			if !ok {
				for k := range s.perms { // Keep at most the previous epoch.
					if k < e-1 {
						delete(s.perms, k)
					}
				}
				perm = rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(e))).Perm(n)
				s.perms[e] = perm
			}
			s.idxBuf[j] = int32(perm[pos])
		}
		return s.idxBuf
	}
	m := max(1, int(math.Ceil(fraction*float64(n))))
	r := rand.New(rand.NewPCG(uint64(s.cfg.Seed)^0x9e3779b97f4a7c15, uint64(step)))
	for j := range b {
		s.idxBuf[j] = int32(r.IntN(m))
	}
	return s.idxBuf
}

// weights returns the per-step loss weights from the curriculum values and the defaults.
func (s *session) weights(values map[string]float64) []float32 {
	get := func(name string, def float64) float32 {
		if v, ok := values[name]; ok {
			return float32(v)
		}
		return float32(def)
	}
	r := s.cfg.Regularizers
	w := make([]float32, numWeights)
	w[wTask] = get(PropLoss, 1)
	w[wSeparation] = get(PropSeparation, r.Separation)
	w[wPlanarity] = get(PropPlanarity, r.Planarity)
	w[wUnitNorm] = get(PropUnitNorm, r.UnitNorm)
	w[wAnchor] = get(PropAnchor, r.Anchor)
	return w
}

// trainStep runs one optimizer step; it returns the batch loss and accuracy (0 for autoencoders).
func (s *session) trainStep(step int, lr float64, values map[string]float64) (loss, acc float64, err error) {
	split, idx := s.batch(step, values) // curriculum_data.go: phase data, data-fraction
	s.xBuf = split.Gather(idx, s.xBuf)
	s.lblBuf = split.GatherLabels(idx, s.lblBuf)
	dims := append([]int{len(idx)}, s.train.Shape...)
	args := []any{
		tensors.FromFlatDataAndDimensions(s.xBuf, dims...),
		tensors.FromFlatDataAndDimensions(s.lblBuf, len(idx)),
		tensors.FromValue(float32(lr)),
		tensors.FromFlatDataAndDimensions(s.weights(values), numWeights),
	}
	if s.useAnchor {
		args = append(args, tensors.FromFlatDataAndDimensions(s.anchorX, append([]int{s.numAnchors}, s.train.Shape...)...))
	}
	var outs []*tensors.Tensor
	var execErr error
	if err := exceptions.TryCatch[error](func() { outs, execErr = s.trainExec.Exec(args...) }); err != nil {
		return 0, 0, err
	}
	if execErr != nil {
		return 0, 0, execErr
	}
	defer finalizeAll(outs)
	loss = float64(outs[0].Value().(float32))
	acc = float64(outs[1].Value().(float32))
	tensors.MustConstFlatData(outs[2], func(flat []float32) { copy(s.terms[:], flat) })
	return loss, acc, nil
}

func finalizeAll(ts []*tensors.Tensor) {
	for _, t := range ts {
		_ = t.FinalizeAll()
	}
}

// taskLoss returns the scalar task loss and batch accuracy (0 for autoencoders) of out.
func taskLoss(model models.Model, out models.Output, x, labels *Node) (loss, acc *Node) {
	g := x.Graph()
	if out.Logits != nil {
		loss = models.CrossEntropy(out.Logits, labels)
		pred := ArgMax(out.Logits, -1, dtypes.Int32)
		acc = ReduceAllMean(ConvertDType(Equal(pred, labels), dtypes.Float32))
		return loss, acc
	}
	if out.Reconstruction == nil {
		exceptions.Panicf("training: model returned neither logits nor a reconstruction")
	}
	if m, ok := model.(interface {
		ReconstructionLoss(recon, target *Node) *Node
	}); ok {
		loss = m.ReconstructionLoss(out.Reconstruction, x) // colormlp: seed 003's MSE
	} else {
		loss = models.ReconstructionBCE(out.Reconstruction, x)
	}
	return loss, ScalarZero(g, dtypes.Float32)
}

// trainGraph builds one training step. Inputs: x [batch, shape...] float32, labels [batch]
// int32, lr scalar float32, weights [numWeights] float32, and anchorX [anchors, shape...] when
// anchors are used. Outputs: total loss and batch accuracy (scalars).
func (s *session) trainGraph(scope *model.Scope, in []*Node) []*Node {
	x, labels, lr, w := in[0], in[1], in[2], in[3]
	g := x.Graph()
	store := scope.Store()
	weight := func(i int) *Node { return Squeeze(Slice(w, AxisElem(i))) }
	var terms [numWeights]*Node // unweighted loss terms, recorded in metrics.jsonl
	lossFn := func(sc *model.Scope) (total, acc *Node) {
		out := s.model.Build(sc, x, true, nil)
		task, acc := taskLoss(s.model, out, x, labels)
		terms[wTask] = task
		total = Mul(weight(wTask), task)
		if out.ExtraLoss != nil {
			total = Add(total, out.ExtraLoss)
		}
		add := func(i int, term *Node) {
			terms[i] = term
			total = Add(total, Mul(weight(i), term))
		}
		if s.useRegs {
			z := out.Embedding
			add(wSeparation, SeparationLoss(z, s.cfg.Regularizers.SeparationDims, s.cfg.Regularizers.SeparationEps))
			add(wPlanarity, PlanarityLoss(z))
			add(wUnitNorm, UnitNormLoss(z))
		}
		if s.useAnchor {
			anchorOut := s.model.Build(store.RootScope(), in[4], true, nil)
			target := store.GetVariable(anchorTargetVar).NodeValue(g)
			on := store.GetVariable(anchorOnVar).NodeValue(g)
			add(wAnchor, Mul(on, AnchorLoss(anchorOut.Embedding, target)))
		}
		return total, acc
	}
	total, acc := lossFn(scope)
	termVec := make([]*Node, numWeights)
	for i, t := range terms {
		if t == nil {
			t = ScalarZero(g, dtypes.Float32)
		}
		termVec[i] = Reshape(StopGradient(ConvertDType(t, dtypes.Float32)), 1)
	}
	termsOut := Concatenate(termVec, 0)

	var vars []*model.Variable
	var nodes []*Node
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
			nodes = append(nodes, v.NodeValue(g))
		}
	}
	grads := Gradient(total, nodes...)
	if s.cfg.SAMRho > 0 {
		// Sharpness-aware minimization: gradients at w + rho*g/|g|, applied at w.
		scale := DivScalar(Reciprocal(AddScalar(globalNorm(grads), 1e-12)), 1/s.cfg.SAMRho)
		perturbed := make([]*Node, len(vars))
		for i, v := range vars {
			perturbed[i] = Add(nodes[i], Mul(StopGradient(grads[i]), StopGradient(scale)))
			v.SetNodeValue(perturbed[i])
		}
		total2, _ := lossFn(store.RootScope())
		grads = Gradient(total2, perturbed...)
		for i, v := range vars {
			v.SetNodeValue(nodes[i])
		}
	}
	if s.cfg.ClipNorm > 0 {
		norm := globalNorm(grads)
		factor := Min(OnesLike(norm), Div(Scalar(g, dtypes.Float32, s.cfg.ClipNorm), AddScalar(norm, 1e-12)))
		for i := range grads {
			grads[i] = Mul(grads[i], factor)
		}
	}
	optimizer.LearningRateVarWithValue(scope, dtypes.Float32, s.cfg.LR).SetNodeValue(lr)
	updater, ok := s.optim.(interface {
		UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
	})
	if !ok {
		exceptions.Panicf("training: optimizer %T cannot take precomputed gradients", s.optim)
	}
	updater.UpdateGraphWithGradients(scope, grads, dtypes.Float32)
	return []*Node{total, acc, termsOut}
}

// globalNorm is sqrt(Σ_i |g_i|²) over all gradient tensors.
func globalNorm(grads []*Node) *Node {
	var sum *Node
	for _, gr := range grads {
		sq := ReduceAllSum(Square(gr))
		if sum == nil {
			sum = sq
		} else {
			sum = Add(sum, sq)
		}
	}
	return Sqrt(sum)
}

// evalGraph runs the model in inference mode on x [evalBatch, shape...] and returns the
// embedding [evalBatch, d], the logits [evalBatch, classes] or the flattened reconstruction
// [evalBatch, features], then the requested taps [evalBatch, ...] in Config.Layers order, then
// KeepAlive's scalar.
func (s *session) evalGraph(scope *model.Scope, x *Node) []*Node {
	out := s.model.Build(scope, x, false, s.cfg.Layers)
	s.isAE = out.Logits == nil
	res := []*Node{out.Embedding}
	if out.Logits != nil {
		res = append(res, out.Logits)
	} else {
		res = append(res, Reshape(out.Reconstruction, x.Shape().Dimensions[0], -1))
	}
	for _, l := range s.cfg.Layers {
		t, ok := out.Taps[l]
		if !ok {
			exceptions.Panicf("training: model %s did not return the requested layer tap %q", s.model.Name(), l)
		}
		res = append(res, Reshape(t, x.Shape().Dimensions[0], -1))
	}
	return append(res, KeepAlive(x.Graph())) // Ignored: keeps variables the outputs skip in use.
}

// forwardResult holds the outputs of forward for n examples.
type forwardResult struct {
	embedding []float32   // [n, embedDim]
	output    []float32   // [n, outCols]: logits or flattened reconstruction
	outCols   int         //
	taps      [][]float32 // per Config.Layers: [n, tapCols[i]]
	tapCols   []int
}

// forward runs the eval graph over n examples x ([n, dim] row-major) in fixed batches of
// EvalBatch (the last padded by repeating the first row).
func (s *session) forward(x []float32, n int) (*forwardResult, error) {
	eb := s.cfg.EvalBatch
	d := s.train.Dim()
	res := &forwardResult{taps: make([][]float32, len(s.cfg.Layers)), tapCols: make([]int, len(s.cfg.Layers))}
	buf := make([]float32, eb*d)
	dims := append([]int{eb}, s.train.Shape...)
	for start := 0; start < n; start += eb {
		cnt := min(eb, n-start)
		copy(buf, x[start*d:(start+cnt)*d])
		for j := cnt; j < eb; j++ {
			copy(buf[j*d:(j+1)*d], x[:d])
		}
		var outs []*tensors.Tensor
		var err error
		if e := exceptions.TryCatch[error](func() {
			outs, err = s.evalExec.Exec(tensors.FromFlatDataAndDimensions(buf, dims...))
		}); e != nil {
			return nil, e
		}
		if err != nil {
			return nil, err
		}
		take := func(t *tensors.Tensor, dst *[]float32) int {
			cols := t.Shape().Dimensions[1]
			tensors.MustConstFlatData(t, func(flat []float32) {
				*dst = append(*dst, flat[:cnt*cols]...)
			})
			return cols
		}
		take(outs[0], &res.embedding)
		res.outCols = take(outs[1], &res.output)
		for i := range s.cfg.Layers {
			res.tapCols[i] = take(outs[2+i], &res.taps[i])
		}
		finalizeAll(outs)
	}
	return res, nil
}

// stepsPerEpoch is the number of steps of one epoch of the training split, ceil(N / batch).
func (s *session) stepsPerEpoch() int { return (s.train.N + s.cfg.Batch - 1) / s.cfg.Batch }

// epochAccuracy returns the accuracy in inference mode on the whole training split
// ("train_acc_full") and on the evaluation subset ("eval_acc") (Config.EpochAccuracy).
func (s *session) epochAccuracy() (map[string]float64, error) {
	acc := func(x []float32, labels []int32) (float64, error) {
		fw, err := s.forward(x, len(labels))
		if err != nil {
			return 0, err
		}
		correct := 0
		for i, l := range labels {
			row := fw.output[i*fw.outCols : (i+1)*fw.outCols]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			if int32(best) == l {
				correct++
			}
		}
		return float64(correct) / float64(len(labels)), nil
	}
	tr, err := acc(s.train.X, s.train.Labels)
	if err != nil {
		return nil, err
	}
	ev, err := acc(s.evalX, s.evalLabels)
	if err != nil {
		return nil, err
	}
	return map[string]float64{"train_acc_full": tr, "eval_acc": ev}, nil
}

// snapshot evaluates the eval subset and records snapshot, metrics and progress at step; extra
// values (nil: none) join its metrics record.
func (s *session) snapshot(step int, lr float64, extra map[string]float64) error {
	n := len(s.evalIdx)
	fw, err := s.forward(s.evalX, n)
	if err != nil {
		return fmt.Errorf("training: evaluating at step %d: %w", step, err)
	}
	d := s.model.EmbedDim()
	preds := make([]int32, n)
	var lossSum float64
	correct := 0
	for i := range n {
		row := fw.output[i*fw.outCols : (i+1)*fw.outCols]
		if s.isAE {
			preds[i] = -1
			target := s.evalX[i*s.train.Dim() : (i+1)*s.train.Dim()]
			if _, mse := s.model.(interface {
				ReconstructionLoss(recon, target *Node) *Node
			}); mse {
				var se float64
				for j, r := range row {
					se += (float64(r) - float64(target[j])) * (float64(r) - float64(target[j]))
				}
				lossSum += se / float64(len(row))
				continue
			}
			lossSum += reconstructionBCE(row, target)
			continue
		}
		best, mx := 0, float64(row[0])
		for j, v := range row {
			if float64(v) > mx {
				best, mx = j, float64(v)
			}
		}
		var se float64
		for _, v := range row {
			se += math.Exp(float64(v) - mx)
		}
		lossSum += math.Log(se) + mx - float64(row[s.evalLabels[i]])
		preds[i] = int32(best)
		if int32(best) == s.evalLabels[i] {
			correct++
		}
	}
	layers := map[string]*reduce.Matrix{}
	for i, l := range s.cfg.Layers {
		layers[l] = reduce.MatrixFrom(n, fw.tapCols[i], fw.taps[i])
	}
	if len(layers) == 0 {
		layers = nil
	}
	if _, err := s.r.AppendSnapshot(step, s.epoch(step), reduce.MatrixFrom(n, d, fw.embedding), preds, layers); err != nil {
		return err
	}

	s.lastSnap = step
	s.lastEvalLoss = lossSum / float64(n)
	values := s.trainValues(lr)
	if step == 0 {
		values = map[string]float64{"lr": s.learningRate(0, s.cfg.Curriculum.Values(0))}
	}
	for k, v := range extra {
		values[k] = v
	}
	values["eval_loss"] = s.lastEvalLoss
	if !s.isAE {
		s.evalAc = float64(correct) / float64(n)
		values["eval_acc"] = s.evalAc
	}
	if step <= s.lastMetric { // recorded by a process that died before this snapshot: keep steps increasing
		return nil
	}
	return s.r.AppendMetrics(MetricRecord{Step: step, Epoch: s.epoch(step), Values: values})
}

// reconstructionBCE is Σ_j -(t_j log p_j + (1-t_j) log(1-p_j)) with p clipped to [1e-7, 1-1e-7],
// the per-example value of models.ReconstructionBCE.
func reconstructionBCE(recon, target []float32) float64 {
	const eps = 1e-7
	var sum float64
	for j, r := range recon {
		p := min(max(float64(r), eps), 1-eps)
		t := float64(target[j])
		sum -= t*math.Log(p) + (1-t)*math.Log(1-p)
	}
	return sum
}

// emaPair is a bias-corrected exponential moving average of the train loss and accuracy.
type emaPair struct {
	l, a, w float64
	n       int
}

const emaDecay = 0.95

func (e *emaPair) add(loss, acc float64) {
	e.l = emaDecay*e.l + (1-emaDecay)*loss
	e.a = emaDecay*e.a + (1-emaDecay)*acc
	e.w = emaDecay*e.w + (1 - emaDecay)
	e.n++
}
func (e *emaPair) loss() float64 { return e.l / e.w }
func (e *emaPair) acc() float64  { return e.a / e.w }

// report sends progress to the bar and the callback.
func (s *session) report(step int, lr float64, phase string, snap bool) {
	if s.bar == nil && s.cfg.OnProgress == nil {
		return
	}
	p := Progress{
		Step: step, Steps: s.cfg.Steps, Epoch: s.epoch(step), LR: lr,
		TrainLoss: math.NaN(), TrainAcc: math.NaN(), EvalLoss: s.lastEvalLoss, EvalAcc: s.evalAc,
		Snapshots: s.r.NumSnapshots(), TotalSnapshots: len(s.schedule), Phase: phase,
		Elapsed: time.Since(s.started), StartStep: s.startStep, Snapshot: snap, RunID: s.r.ID(),
	}
	if s.ema.n > 0 {
		p.TrainLoss = s.ema.loss()
		if !s.isAE {
			p.TrainAcc = s.ema.acc()
		}
	}
	if s.isAE {
		p.EvalAcc = math.NaN()
	}
	if s.bar != nil {
		s.bar.update(p)
	}
	if s.cfg.OnProgress != nil {
		s.cfg.OnProgress(p)
	}
}
