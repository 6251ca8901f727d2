package training

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/embviz/embviz/models"
)

// fingerprint is the recorded form (JSON) of the part of a configuration that decides whether
// an existing run was trained with it: everything recorded but what training fills in from the
// data (input shape, class count), the evaluation batch size and the checkpoint and log
// intervals; the evaluation size only when evalSize.
func fingerprint(c Config, evalSize bool) ([]byte, error) {
	c.ModelOptions.InputShape = nil
	c.ModelOptions.NumClasses = 0
	c.EvalBatch = 0
	c.CheckpointEvery = 0
	c.LogEvery = 0
	if !evalSize {
		c.EvalSize = 0
	}
	return c.recorded()
}

// FindRun returns the newest finished run in cfg.RunsDir that was trained with cfg (same model,
// model options, dataset, steps, batch, optimizer settings, snapshots, layers, seed, curriculum),
// or nil if there is none.
func FindRun(cfg Config) (*Run, error) {
	want := cfg
	want.fillDefaults()
	wantFP, err := fingerprint(want, cfg.EvalSize != 0)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	runs, err := ListRuns(cfg.RunsDir)
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.Status != StatusFinished {
			continue
		}
		got, err := configFromInfo(r)
		if err != nil {
			continue
		}
		// EmbedDim 0 means the model's default, which depends on the run's input shape: resolve it
		// on both sides, so that an explicit default and an implicit one match.
		w, wfp := want, wantFP
		if resolveEmbedDim(&w, got.ModelOptions) {
			if wfp, err = fingerprint(w, cfg.EvalSize != 0); err != nil {
				continue
			}
		}
		resolveEmbedDim(&got, got.ModelOptions)
		if fp, err := fingerprint(got, cfg.EvalSize != 0); err == nil && bytes.Equal(fp, wfp) {
			return OpenRun(cfg.RunsDir, r.ID)
		}
	}
	return nil, nil
}

// FindOrTrain returns the newest finished run trained with cfg (see FindRun), training one when
// there is none, with a progress bar on w (nil: no progress). Notebooks call it at the top of
// every cell: GoNB runs each cell as a new program, and only the first one trains.
func FindOrTrain(ctx context.Context, cfg Config, w io.Writer) (*Run, error) {
	if r, err := FindRun(cfg); err == nil && r != nil {
		return r, nil
	}
	if w != nil {
		fmt.Fprintf(w, "Training %s on %s (%d steps)...\n", cfg.Model, cfg.Dataset, cfg.Steps)
		if cfg.Progress == nil {
			cfg.Progress = w
		}
	}
	r, err := Train(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if w != nil {
		fmt.Fprintf(w, "\nTrained %s.\n", r.ID())
	}
	return r, nil
}

// MustFindOrTrain is FindOrTrain with progress on stdout that panics on error; for notebooks.
func MustFindOrTrain(cfg Config) *Run {
	r, err := FindOrTrain(context.Background(), cfg, stdout())
	if err != nil {
		panic(err)
	}
	return r
}

// resolveEmbedDim sets c's EmbedDim, when it is 0 (the model's default), to the default of c's
// model for the input shape and classes of run (a recorded configuration's model options). It
// reports whether it changed c.
func resolveEmbedDim(c *Config, run models.Options) bool {
	if c.ModelOptions.EmbedDim != 0 || len(run.InputShape) == 0 {
		return false
	}
	o := c.ModelOptions
	o.InputShape, o.NumClasses = run.InputShape, run.NumClasses
	m, err := models.New(c.Model, o)
	if err != nil {
		return false
	}
	c.ModelOptions.EmbedDim = m.EmbedDim()
	return true
}
