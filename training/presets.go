package training

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/embviz/embviz/models"
)

// PresetRun is one run of a preset: what the seed's comment calls it and its configuration
// (RunsDir, DataDir and Progress are filled in by TrainPreset).
type PresetRun struct {
	Label  string
	Config Config
}

// PresetSeed000 is the run matrix of seed 000 (embedding_visualization): CNNs (embedding 32) on
// MNIST; residual and plain CNNs (embedding 128) on CIFAR-10, with and without SAM, under seeds
// 42 and 11, in the seed's order (its run-0016 ... run-0023); and a ViT (embedding 256) on
// CIFAR-10. Every run records 40 snapshots (M-PHATE's interslice_knn 25 needs more than 25) of
// a 1000-image evaluation subset.
const PresetSeed000 = "seed000"

// presetSAMRho is the SAM radius of the preset's SAM runs (Foret et al.'s default).
const presetSAMRho = 0.05

// presets are the named run matrices.
var presets = map[string]func() []PresetRun{
	PresetSeed000: func() []PresetRun {
		base := func(model, dataset string, embed int, steps, batch int, seed int64) Config {
			return Config{
				Model: model, Dataset: dataset, ModelOptions: models.Options{EmbedDim: embed},
				Steps: steps, Batch: batch, Snapshots: 40, EvalSize: 1000, Seed: seed,
			}
		}
		var runs []PresetRun
		for _, seed := range []int64{42, 11} {
			for _, sam := range []bool{true, false} {
				c := base("cnn", "mnist", 32, 3000, 64, seed)
				label := fmt.Sprintf("CNN on MNIST, seed %d", seed)
				if sam {
					c.SAMRho = presetSAMRho
					label += ", SAM"
				}
				runs = append(runs, PresetRun{label, c})
			}
		}
		for _, seed := range []int64{42, 11} {
			for _, sam := range []bool{true, false} {
				for _, residual := range []bool{true, false} {
					c := base("cnn", "cifar10", 128, 15000, 128, seed)
					c.ModelOptions.Residual = residual
					label := "Residual"
					if !residual {
						label = "No residual"
					}
					label += fmt.Sprintf(" CNN on CIFAR-10, seed %d", seed)
					if sam {
						c.SAMRho = presetSAMRho
						label += ", SAM"
					}
					runs = append(runs, PresetRun{label, c})
				}
			}
		}
		runs = append(runs, PresetRun{"ViT on CIFAR-10, seed 42", base("vit", "cifar10", 256, 20000, 128, 42)})
		return runs
	},
}

// PresetNames returns the names of the presets, sorted.
func PresetNames() []string {
	var names []string
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the runs of the preset called name (see PresetNames).
func Preset(name string) ([]PresetRun, error) {
	p, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("training: unknown preset %q (presets: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return p(), nil
}

// PresetOptions configures TrainPreset.
type PresetOptions struct {
	// RunsDir is the runs directory; "" means DefaultRunsDir().
	RunsDir string
	// DataDir is the directory that holds the preset's data sets (see PresetDataDir); "" means
	// each data set's environment variable ($EMBVIZ_MNIST_DIR, $EMBVIZ_CIFAR10_DIR, ...).
	DataDir string
	// Override, if not nil, changes each run's configuration before it is looked up or trained
	// (e.g. fewer steps for a try-out); it must not change Model or Dataset.
	Override func(*Config)
	// Progress, if not nil, receives one line per run and each run's progress bar.
	Progress io.Writer
}

// PresetDataDir returns the directory of dataset under root: the first existing directory of
// root/<dataset> and the dataset's usual directory names (mnist, MNIST; cifar10, CIFAR10,
// cifar-10-batches-py, cifar-10-batches-bin; fashion-mnist), else root itself (a directory that
// holds the data set's files directly). root "" gives "" (the data set's environment variable).
func PresetDataDir(root, dataset string) string {
	if root == "" {
		return ""
	}
	names := map[string][]string{
		"mnist":         {"mnist", "MNIST"},
		"cifar10":       {"cifar10", "CIFAR10", "cifar-10", "cifar-10-batches-py", "cifar-10-batches-bin"},
		"fashion-mnist": {"fashion-mnist", "FashionMNIST"},
	}[dataset]
	if len(names) == 0 {
		names = []string{dataset}
	}
	for _, n := range names {
		if st, err := os.Stat(filepath.Join(root, n)); err == nil && st.IsDir() {
			return filepath.Join(root, n)
		}
	}
	return root
}

// TrainPreset trains the runs of the preset called name one after the other, skipping those
// already trained with the same configuration (FindRun), so running it again continues the
// matrix. It returns the runs in the preset's order. On error it returns the runs finished so far.
func TrainPreset(ctx context.Context, name string, opts PresetOptions) ([]*Run, error) {
	runs, err := Preset(name)
	if err != nil {
		return nil, err
	}
	runsDir := opts.RunsDir
	if runsDir == "" {
		runsDir = DefaultRunsDir()
	}
	w := opts.Progress
	if w == nil {
		w = io.Discard
	}
	var out []*Run
	for i, pr := range runs {
		cfg := pr.Config
		cfg.RunsDir = runsDir
		cfg.DataDir = PresetDataDir(opts.DataDir, cfg.Dataset)
		if opts.Override != nil {
			model, dataset := cfg.Model, cfg.Dataset
			opts.Override(&cfg)
			if cfg.Model != model || cfg.Dataset != dataset {
				return out, fmt.Errorf("training: preset %s: Override changed run %d's model or dataset", name, i+1)
			}
		}
		if r, err := FindRun(cfg); err == nil && r != nil {
			fmt.Fprintf(w, "[%d/%d] %s: already trained as %s\n", i+1, len(runs), pr.Label, r.Info().DisplayID())
			out = append(out, r)
			continue
		}
		fmt.Fprintf(w, "[%d/%d] %s: training...\n", i+1, len(runs), pr.Label)
		if opts.Progress != nil {
			cfg.Progress = opts.Progress
		}
		r, err := Train(ctx, cfg)
		if err != nil {
			return out, fmt.Errorf("training: preset %s, run %d (%s): %w", name, i+1, pr.Label, err)
		}
		fmt.Fprintf(w, "\n[%d/%d] %s: %s\n", i+1, len(runs), pr.Label, r.Info().DisplayID())
		out = append(out, r)
	}
	return out, nil
}
