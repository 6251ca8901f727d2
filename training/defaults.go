package training

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/embviz/embviz/models"
)

// QuickEnv is the environment variable that selects quick settings (EMBVIZ_QUICK=1): smaller
// default runs and computations, so that the notebooks execute in minutes in tests.
const QuickEnv = "EMBVIZ_QUICK"

// Quick reports whether EMBVIZ_QUICK=1 is set.
func Quick() bool { return os.Getenv(QuickEnv) == "1" }

// DefaultRunsDir is the runs directory notebooks and tools use when none is given: $EMBVIZ_RUNS,
// else <repo>/runs where the repo is $EMBVIZ_ROOT (set in the GoNB kernel by
// kernels-setup/install.sh) or the parent of the working directory when that is the embviz
// repo (a notebook in notebooks/), else ./runs.
func DefaultRunsDir() string {
	if d := os.Getenv("EMBVIZ_RUNS"); d != "" {
		return d
	}
	if root := os.Getenv("EMBVIZ_ROOT"); root != "" {
		return filepath.Join(root, "runs")
	}
	if data, err := os.ReadFile(filepath.Join("..", "go.mod")); err == nil &&
		strings.Contains("\n"+string(data), "\nmodule github.com/embviz/embviz\n") {
		return filepath.Join("..", "runs")
	}
	return "runs"
}

// DefaultConfig is the default run that `make demo` trains and that notebooks train when the
// chosen run does not exist: the CNN (embedding size 32) on Fashion-MNIST, 600 steps of batch 64,
// 20 snapshots of a 1000-image balanced evaluation subset, seed 42. With EMBVIZ_QUICK=1 it is
// smaller (150 steps, 10 snapshots, 300 images) so that tests run in minutes.
func DefaultConfig(runsDir string) Config {
	cfg := Config{
		RunsDir:      runsDir,
		Model:        "cnn",
		ModelOptions: models.Options{EmbedDim: 32},
		Dataset:      "fashion-mnist",
		Steps:        600,
		Batch:        64,
		Snapshots:    20,
		EvalSize:     1000,
		Seed:         42,
	}
	if Quick() {
		cfg.Steps, cfg.Snapshots, cfg.EvalSize = 150, 10, 300
	}
	return cfg
}

// OpenOrTrain opens run id in runsDir. If there is no such run it says so on w and uses the newest
// finished run of the default configuration's model and dataset instead, training one with
// DefaultConfig (progress on w) when there is none. It returns the run and its id.
func OpenOrTrain(ctx context.Context, runsDir, id string, w io.Writer) (*Run, error) {
	if w == nil {
		w = io.Discard
	}
	if _, err := os.Stat(runsDir); err == nil {
		if r, err := OpenRun(runsDir, id); err == nil {
			return r, nil
		} else {
			fmt.Fprintf(w, "%v\n", err)
		}
	}
	cfg := DefaultConfig(runsDir)
	if r, err := FindRun(cfg); err == nil && r != nil {
		fmt.Fprintf(w, "Using %s, the newest finished default run, instead.\n", r.ID())
		return r, nil
	}
	fmt.Fprintf(w, "Training the default run first (%s on %s, %d steps, %d snapshots)...\n",
		cfg.Model, cfg.Dataset, cfg.Steps, cfg.Snapshots)
	cfg.Progress = w
	r, err := Train(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "\nTrained %s.\n", r.ID())
	return r, nil
}

// MustOpenOrTrain is OpenOrTrain that writes to os.Stdout and panics with the error; for notebooks.
func MustOpenOrTrain(runsDir, id string) *Run {
	r, err := OpenOrTrain(context.Background(), runsDir, id, stdout())
	if err != nil {
		panic(err)
	}
	return r
}

// stdout is where the Must* helpers write progress (a variable so tests can silence it).
var stdout = func() io.Writer { return os.Stdout }
