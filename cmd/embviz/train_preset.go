package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/embviz/embviz/training"
)

// presetFlags are the train flags that apply with -preset; -steps, -snapshots, -eval-size and
// -batch, when given, override every run of the preset (e.g. a short try-out).
var presetFlags = map[string]bool{"preset": true, "runs": true, "data-dir": true, "q": true,
	"steps": true, "snapshots": true, "eval-size": true, "batch": true}

// runTrainPreset implements `embviz train -preset NAME`: it trains the preset's runs
// (training.TrainPreset) with the data sets found under -data-dir (training.PresetDataDir; without
// it, $EMBVIZ_MNIST_DIR, $EMBVIZ_CIFAR10_DIR, ...), skipping runs already trained, and prints the
// runs' display ids on stdout, one per line.
func runTrainPreset(fs *flag.FlagSet, name string, stdout, stderr io.Writer) error {
	var bad []string
	override := map[string]int{}
	fs.Visit(func(f *flag.Flag) {
		if !presetFlags[f.Name] {
			bad = append(bad, "-"+f.Name)
			return
		}
		switch f.Name {
		case "steps", "snapshots", "eval-size", "batch":
			v, _ := strconv.Atoi(f.Value.String())
			override[f.Name] = v
		}
	})
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%w: -preset trains the preset's own models and settings; %s cannot be combined with it (allowed: -runs, -data-dir, -steps, -snapshots, -eval-size, -batch, -q)", errUsage, strings.Join(bad, ", "))
	}
	for k, v := range override {
		if v < 1 {
			return fmt.Errorf("%w: -%s must be >= 1, got %d", errUsage, k, v)
		}
	}
	if _, err := training.Preset(name); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	get := func(n string) string { return fs.Lookup(n).Value.String() }
	opts := training.PresetOptions{RunsDir: get("runs"), DataDir: get("data-dir")}
	if get("q") != "true" {
		opts.Progress = stderr
	}
	if len(override) > 0 {
		opts.Override = func(c *training.Config) {
			if v, ok := override["steps"]; ok {
				c.Steps, c.Epochs = v, 0
			}
			if v, ok := override["snapshots"]; ok {
				c.Snapshots = v
			}
			if v, ok := override["eval-size"]; ok {
				c.EvalSize = v
			}
			if v, ok := override["batch"]; ok {
				c.Batch = v
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runs, err := training.TrainPreset(ctx, name, opts)
	for _, r := range runs {
		fmt.Fprintln(stdout, r.Info().DisplayID())
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: %w (run the same command again to continue the preset)", err)
	}
	return err
}
