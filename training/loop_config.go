package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training/datasets"
)

// Config configures Train. The zero value of every field means its stated default, so
// Config{RunsDir: "runs", Model: "mlp", Dataset: "blobs"} is a complete configuration.
//
// Config is also the form in which Train records a run's configuration (run.json
// options.config, the JSON names below), so that the run can be resumed and its model rebuilt
// (LoadModel). The fields tagged `json:"-"` (RunsDir, Data, Resume, Progress, OnProgress) are
// not recorded; the Curriculum is recorded as its CSV source (see Curriculum.MarshalJSON).
type Config struct {
	// RunsDir is the run store directory (created if missing). Required.
	RunsDir string `json:"-"`
	// Model is the model name for models.New: "cnn", "vit", "mlp", "colormlp" or "vae". Required
	// (unless resuming).
	Model string `json:"model"`
	// ModelOptions configure the model. InputShape and NumClasses are filled from the dataset
	// when zero; EmbedDim 0 means the model's default.
	ModelOptions models.Options `json:"model_options"`
	// Dataset is the dataset name for datasets.Load: "fashion-mnist", "mnist", "cifar10",
	// "colors" or "blobs". Required unless Data is set.
	Dataset string `json:"dataset"`
	// DataDir is the dataset directory; "" means the dataset's default (see datasets.Load).
	DataDir string `json:"data_dir,omitempty"`
	// Data, when not nil, is used instead of loading Dataset (e.g. datasets.Colors with custom
	// options); Dataset is then only the name recorded in the run (default Data.Name).
	Data *datasets.Dataset `json:"-"`

	// Steps is the number of training steps (batches). Default 1000.
	Steps int `json:"steps"`
	// Batch is the training batch size. Default 64; must not exceed the training split.
	Batch int `json:"batch"`
	// LR is the peak learning rate of AdamW. Default 1e-3.
	LR float64 `json:"lr"`
	// WarmupSteps is the length of the linear learning-rate warm-up; after it the learning rate
	// follows a cosine from LR down to MinLRFraction*LR at the last step. Default
	// min(100, Steps/20); negative means no warm-up. A curriculum "lr" column replaces this schedule.
	WarmupSteps int `json:"warmup_steps"`
	// MinLRFraction is the final learning rate of the cosine as a fraction of LR. Default 0.
	MinLRFraction float64 `json:"min_lr_fraction"`
	// WeightDecay is AdamW's decoupled weight decay (applied as lr*wd*w). Default 1e-4; negative means 0.
	WeightDecay float64 `json:"weight_decay"`
	// ClipNorm clips the gradients by their global L2 norm. Default 1; negative means no clipping.
	ClipNorm float64 `json:"clip_norm"`
	// SAMRho enables sharpness-aware minimization with neighbourhood radius rho (gradients are
	// taken at w + rho*g/|g|). Default 0 (off). SAM doubles the cost of a step.
	SAMRho float64 `json:"sam_rho"`

	// Snapshots is the exact number of snapshots including snapshot 0 (the untrained model) and
	// the last step, for the linear and geometric schedules. Default 20.
	Snapshots int `json:"snapshots"`
	// SnapshotSchedule is ScheduleLinear (default), ScheduleGeometric or ScheduleEvery.
	SnapshotSchedule string `json:"snapshot_schedule"`
	// Every is K for ScheduleEvery.
	Every int `json:"every,omitempty"`
	// EvalSize is the size of the fixed class-balanced evaluation subset of the test split.
	// Default 1000 (or the test split size when smaller).
	EvalSize int `json:"eval_size"`
	// EvalBatch is the batch size of evaluation (fixed shape: the last batch is padded).
	// Default min(EvalSize, 200).
	EvalBatch int `json:"eval_batch"`
	// Layers are layer taps (model TapNames) recorded at every snapshot as flattened activations.
	Layers []string `json:"layers,omitempty"`
	// Seed seeds everything: weight initialization, dropout, batch order and the evaluation subset.
	Seed int64 `json:"seed"`

	// Curriculum is an optional keyframed schedule of phases, actions and properties. It is
	// recorded as its CSV source; hooks are not recorded.
	Curriculum *Curriculum `json:"curriculum_csv,omitempty"`
	// Regularizers are the default weights of the embedding regularizers (all 0: off).
	Regularizers Regularizers `json:"regularizers"`

	// CheckpointEvery saves a checkpoint every that many steps, in addition to the checkpoints
	// saved at every snapshot and at the end. Default 0 (only those).
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// LogEvery appends a train-only metrics record (lr, train_loss, train_acc) every that many
	// steps, in addition to the full records at snapshots. Default max(1, Steps/100).
	LogEvery int `json:"log_every"`

	// Resume is the id (or unique prefix) of an interrupted run in RunsDir to continue. The run's
	// recorded configuration is used; of this Config only RunsDir, DataDir, Data, Curriculum
	// (for hooks; nil means the recorded curriculum), Progress and OnProgress apply.
	Resume string `json:"-"`

	// Progress, when not nil, receives a one-line progress bar (rewritten with '\r'); e.g. os.Stderr.
	Progress io.Writer `json:"-"`
	// OnProgress, when not nil, is called after every step and snapshot (see NotebookProgress).
	OnProgress func(Progress) `json:"-"`
}

// recorded returns the JSON of c as recorded in run.json. A curriculum built in code (no CSV
// source) cannot be recorded and is left out, as if nil.
func (c Config) recorded() ([]byte, error) {
	if c.Curriculum != nil && c.Curriculum.Source() == "" {
		c.Curriculum = nil
	}
	return json.Marshal(&c)
}

// options returns the run.json options map: the recorded config under "config" plus a few
// top-level keys for listings (residual, sam_rho, lr, curriculum).
func (c *Config) options() (map[string]any, error) {
	data, err := c.recorded()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	opts := map[string]any{
		"config":   m,
		"residual": c.ModelOptions.Residual,
		"sam_rho":  c.SAMRho,
		"lr":       c.LR,
	}
	if c.Curriculum != nil && c.Curriculum.Source() != "" {
		opts["curriculum"] = true
	}
	return opts, nil
}

// configFromInfo reads the configuration recorded by Train in run.json (options.config); the
// fields that are not recorded are zero.
func configFromInfo(info RunInfo) (Config, error) {
	var c Config
	raw, ok := info.Options["config"]
	if !ok {
		return c, fmt.Errorf("training: run %s has no recorded training configuration (options.config in %s)", info.ID, RunFile)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("training: run %s: reading options.config: %w", info.ID, err)
	}
	return c, nil
}

// fillDefaults applies the documented defaults; it does not validate.
func (c *Config) fillDefaults() {
	c.Model = strings.ToLower(strings.TrimSpace(c.Model))
	if c.Dataset == "" && c.Data != nil {
		c.Dataset = c.Data.Name
	}
	if c.Steps == 0 {
		c.Steps = 1000
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.WarmupSteps == 0 {
		c.WarmupSteps = min(100, c.Steps/20)
	}
	if c.WarmupSteps < 0 {
		c.WarmupSteps = 0
	}
	if c.WeightDecay == 0 {
		c.WeightDecay = 1e-4
	}
	if c.WeightDecay < 0 {
		c.WeightDecay = 0
	}
	if c.ClipNorm == 0 {
		c.ClipNorm = 1
	}
	if c.ClipNorm < 0 {
		c.ClipNorm = 0
	}
	if c.SnapshotSchedule == "" {
		c.SnapshotSchedule = ScheduleLinear
	}
	if c.Snapshots == 0 {
		c.Snapshots = 20
	}
	if c.LogEvery == 0 {
		c.LogEvery = max(1, c.Steps/100)
	}
	if c.Regularizers.SeparationEps == 0 {
		c.Regularizers.SeparationEps = 0.01
	}
}

// validate checks the numbers that do not need the dataset or the model.
func (c *Config) validate() error {
	var errs []string
	if c.RunsDir == "" {
		errs = append(errs, "RunsDir (-runs) is required")
	}
	if c.Model == "" {
		errs = append(errs, "a model (-model) is required; known: "+strings.Join(models.Names(), ", "))
	}
	if c.Dataset == "" && c.Data == nil {
		errs = append(errs, "a dataset (-dataset) is required; known: "+strings.Join(datasets.Names(), ", "))
	}
	if c.Steps < 1 {
		errs = append(errs, fmt.Sprintf("steps %d must be >= 1", c.Steps))
	}
	if c.Batch < 1 {
		errs = append(errs, fmt.Sprintf("batch %d must be >= 1", c.Batch))
	}
	if c.LR < 0 {
		errs = append(errs, fmt.Sprintf("learning rate %g must be > 0", c.LR))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"learning rate (-lr)", c.LR}, {"weight decay (-weight-decay)", c.WeightDecay}, {"gradient clip norm (-clip)", c.ClipNorm}, {"SAM rho (-sam-rho)", c.SAMRho}, {"min LR fraction", c.MinLRFraction}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			errs = append(errs, fmt.Sprintf("%s must be a finite number, got %g", f.name, f.v))
		}
	}
	if c.SAMRho < 0 {
		errs = append(errs, fmt.Sprintf("SAM rho %g must be >= 0", c.SAMRho))
	}
	if c.MinLRFraction < 0 || c.MinLRFraction > 1 {
		errs = append(errs, fmt.Sprintf("min LR fraction %g must be in [0, 1]", c.MinLRFraction))
	}
	if c.EvalSize < 0 || c.EvalBatch < 0 {
		errs = append(errs, fmt.Sprintf("eval size %d and eval batch %d must be >= 0", c.EvalSize, c.EvalBatch))
	}
	if c.CheckpointEvery < 0 || c.LogEvery < 0 {
		errs = append(errs, fmt.Sprintf("checkpoint-every %d and log-every %d must be >= 0", c.CheckpointEvery, c.LogEvery))
	}
	if len(errs) > 0 {
		return errors.New("training: " + strings.Join(errs, "; "))
	}
	if _, err := SnapshotSteps(c.SnapshotSchedule, c.Steps, c.Snapshots, c.Every); err != nil {
		return err
	}
	return nil
}
