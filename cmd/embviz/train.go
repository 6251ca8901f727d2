package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/embviz/embviz/backend"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

func init() {
	register("train", "train a model, recording snapshots into the runs directory", runTrain)
}

// runTrain implements `embviz train`: it parses the flags into a training.Config and calls
// training.Train. Progress goes to stderr; the last line on stdout is the run's display id
// (run-0011-MLP_blobs_32_0.9776: its directory name, fixed at creation, plus the final accuracy).
func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	runsDir := fs.String("runs", defaultRunsDir(), "runs directory")
	modelName := fs.String("model", "", "model: "+strings.Join(models.Names(), "|"))
	dataset := fs.String("dataset", "", "dataset: "+strings.Join(datasets.Names(), "|"))
	dataDir := fs.String("data-dir", "", "dataset directory (default: the dataset's default, e.g. /usr/share/datasets/fashion-mnist)")
	residual := fs.Bool("residual", false, "residual CNN variant (cnn)")
	embedDim := fs.Int("embed-dim", 0, "embedding size (0: the model's default)")
	steps := fs.Int("steps", 0, "training steps (0: 1000, or with -curriculum the step of its last keyframe)")
	epochs := fs.Int("epochs", 0, "train this many epochs instead of -steps (of the -train-size subset when set)")
	trainSize := fs.Int("train-size", 0, "train on a fixed class-balanced subset of the training split of this size (0: all of it)")
	batch := fs.Int("batch", 64, "batch size (-1: full batch, the whole training split or subset in every step)")
	lr := fs.Float64("lr", 1e-3, "peak learning rate (AdamW, warm-up then cosine)")
	warmup := fs.Int("warmup", 0, "warm-up steps (0: min(100, steps/20); -1: none)")
	wd := fs.Float64("weight-decay", 1e-4, "AdamW decoupled weight decay")
	clip := fs.Float64("clip", 1, "clip gradients by global norm (-1: off)")
	samRho := fs.Float64("sam-rho", 0, "sharpness-aware minimization radius (0: off)")
	snapshots := fs.Int("snapshots", 20, "number of snapshots including snapshot 0 (untrained) and the last step")
	schedule := fs.String("schedule", training.ScheduleLinear, "snapshot schedule: linear|geometric|every")
	every := fs.Int("every", 0, "snapshot every N steps (with -schedule every)")
	snapEpochs := fs.Int("snapshot-epochs", 0, "with -epochs: snapshot every N epochs (replaces -snapshots/-schedule)")
	epochAcc := fs.Bool("epoch-accuracy", false, "record train (whole training set) and eval accuracy after every epoch (classifiers)")
	tapGrid := fs.Int("tap-grid", 0, "cnn conv layer taps: 0 or 1 average over the image (one value per channel), N pool to an NxN grid, -1 the full activation maps")
	evalSize := fs.Int("eval-size", 1000, "size of the fixed, class-balanced evaluation subset of the test split")
	layers := fs.String("layers", "", "comma-separated layer taps to record at each snapshot (e.g. conv1,conv2)")
	seed := fs.Int64("seed", 0, "seed for weights, dropout, batch order and the evaluation subset")
	curriculum := fs.String("curriculum", "", "curriculum CSV file (STEP,PHASE,ACTION,properties...)")
	ckptEvery := fs.Int("checkpoint-every", 0, "also checkpoint every N steps (checkpoints are always saved at snapshots and at the end)")
	resume := fs.String("resume", "", "continue the interrupted run with this id (its recorded settings are used)")
	quiet := fs.Bool("q", false, "no progress bar")
	live := fs.String("live", "", "write this HTML page of the run's charts and animation, rewritten as snapshots land (it reloads itself; live.go)")
	preset := fs.String("preset", "", "train a preset run matrix instead of one run: "+strings.Join(training.PresetNames(), "|")+" (train_preset.go)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *preset != "" {
		return runTrainPreset(fs, *preset, stdout, stderr)
	}
	if *resume != "" {
		if err := resumeFlagConflicts(fs); err != nil {
			return err
		}
	}
	cfg := training.Config{
		RunsDir: *runsDir, DataDir: *dataDir, Resume: *resume,
	}
	if *resume == "" {
		if *modelName == "" || *dataset == "" {
			return fmt.Errorf("%w: -model and -dataset are required (models: %s; datasets: %s)", errUsage,
				strings.Join(models.Names(), ", "), strings.Join(datasets.Names(), ", "))
		}
		var layerList []string
		for _, l := range strings.Split(*layers, ",") {
			if l = strings.TrimSpace(l); l != "" {
				layerList = append(layerList, l)
			}
		}
		cfg.Model, cfg.Dataset = *modelName, *dataset
		cfg.ModelOptions = models.Options{Residual: *residual, EmbedDim: *embedDim, TapGrid: *tapGrid}
		cfg.Epochs, cfg.TrainSize, cfg.SnapshotEpochs, cfg.EpochAccuracy = *epochs, *trainSize, *snapEpochs, *epochAcc
		cfg.Steps, cfg.Batch, cfg.LR, cfg.WarmupSteps = *steps, *batch, *lr, *warmup
		cfg.WeightDecay, cfg.ClipNorm, cfg.SAMRho = *wd, *clip, *samRho
		if cfg.WeightDecay == 0 {
			cfg.WeightDecay = -1 // Explicit 0 means off (Config's 0 means default).
		}
		if cfg.ClipNorm == 0 {
			cfg.ClipNorm = -1
		}
		cfg.Snapshots, cfg.SnapshotSchedule, cfg.Every = *snapshots, *schedule, *every
		cfg.EvalSize, cfg.Layers, cfg.Seed, cfg.CheckpointEvery = *evalSize, layerList, *seed, *ckptEvery
		if *evalSize < 1 {
			return fmt.Errorf("%w: -eval-size must be >= 1, got %d", errUsage, *evalSize)
		}
		if *snapshots < 2 {
			return fmt.Errorf("%w: -snapshots must be >= 2 (snapshot 0, the untrained model, and the last step both count), got %d", errUsage, *snapshots)
		}
		stepsSet := false
		fs.Visit(func(f *flag.Flag) { stepsSet = stepsSet || f.Name == "steps" })
		if stepsSet && *steps < 1 {
			return fmt.Errorf("%w: -steps must be >= 1, got %d", errUsage, *steps)
		}
		if *steps < 0 || *epochs < 0 || *trainSize < 0 || *snapEpochs < 0 || (*batch < 1 && *batch != training.FullBatch) {
			return fmt.Errorf("%w: -steps, -epochs, -train-size and -snapshot-epochs must be >= 0 and -batch >= 1 or -1", errUsage)
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"lr", *lr}, {"weight-decay", *wd}, {"clip", *clip}, {"sam-rho", *samRho}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return fmt.Errorf("%w: -%s must be a finite number, got %g", errUsage, f.name, f.v)
			}
		}
		if *lr <= 0 {
			return fmt.Errorf("%w: -lr must be > 0, got %g", errUsage, *lr)
		}
		if *steps > 0 && *warmup >= *steps {
			return fmt.Errorf("%w: -warmup %d must be less than -steps %d (or -1 for no warm-up)", errUsage, *warmup, *steps)
		}
		if *curriculum != "" {
			c, err := training.LoadCurriculum(*curriculum)
			if err != nil {
				return err
			}
			cfg.Curriculum = c
		}
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if w := backend.SpeedWarning(); w != "" {
		fmt.Fprintln(stderr, w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var waitLive func() error
	if *live != "" {
		waitLive = startLive(&cfg, *live)
	}
	r, err := training.Train(ctx, cfg)
	if waitLive != nil {
		if lerr := waitLive(); lerr != nil {
			fmt.Fprintf(stderr, "live page %s: %v\n", *live, lerr)
		}
	}
	if err != nil {
		if r != nil {
			fmt.Fprintf(stderr, "run %s: %s (resume with: embviz train -runs %s -resume %s)\n", termSafe(r.ID()), termSafe(r.Info().Status), termSafe(*runsDir), termSafe(r.ID()))
		}
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted: %w", err)
		}
		return err
	}
	info := r.Info()
	if info.FinalEvalAcc > 0 {
		fmt.Fprintf(stderr, "final eval accuracy %.4f, %d snapshots in %s\n", info.FinalEvalAcc, len(info.Snapshots), termSafe(r.Dir()))
	} else {
		fmt.Fprintf(stderr, "%d snapshots in %s\n", len(info.Snapshots), termSafe(r.Dir()))
	}
	fmt.Fprintln(stdout, termSafe(r.DisplayID()))
	return nil
}

// resumeAllowed are the train flags that may accompany -resume: a resumed run keeps every
// recorded setting, so any other flag would be ignored.
var resumeAllowed = []string{"resume", "runs", "data-dir", "q"}

// resumeFlagConflicts returns a usage error naming the flags given with -resume that a resumed
// run would ignore.
func resumeFlagConflicts(fs *flag.FlagSet) error {
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(resumeAllowed, f.Name) {
			bad = append(bad, "-"+f.Name)
		}
	})
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s cannot be combined with -resume: a resumed run continues with the settings it was created with (only -runs, -data-dir and -q may be given); train a new run to change them", errUsage, strings.Join(bad, ", "))
}
