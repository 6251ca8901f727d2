package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training/datasets"
)

// Config configures Train. The zero value of every field means its stated default, so
// Config{RunsDir: "runs", Model: "mlp", Dataset: "blobs"} is a complete configuration.
type Config struct {
	// RunsDir is the run store directory (created if missing). Required.
	RunsDir string
	// Model is the model name for models.New: "cnn", "vit", "mlp", "colormlp" or "vae". Required
	// (unless resuming).
	Model string
	// ModelOptions configure the model. InputShape and NumClasses are filled from the dataset
	// when zero; EmbedDim 0 means the model's default.
	ModelOptions models.Options
	// Dataset is the dataset name for datasets.Load: "fashion-mnist", "mnist", "cifar10",
	// "colors" or "blobs". Required unless Data is set.
	Dataset string
	// DataDir is the dataset directory; "" means the dataset's default (see datasets.Load).
	DataDir string
	// Data, when not nil, is used instead of loading Dataset (e.g. datasets.Colors with custom
	// options); Dataset is then only the name recorded in the run (default Data.Name).
	Data *datasets.Dataset `json:"-"`

	// Steps is the number of training steps (batches). Default 1000.
	Steps int
	// Batch is the training batch size. Default 64; must not exceed the training split.
	Batch int
	// LR is the peak learning rate of AdamW. Default 1e-3.
	LR float64
	// WarmupSteps is the length of the linear learning-rate warm-up; after it the learning rate
	// follows a cosine from LR down to MinLRFraction*LR at the last step. Default
	// min(100, Steps/20); negative means no warm-up. A curriculum "lr" column replaces this schedule.
	WarmupSteps int
	// MinLRFraction is the final learning rate of the cosine as a fraction of LR. Default 0.
	MinLRFraction float64
	// WeightDecay is AdamW's decoupled weight decay (applied as lr*wd*w). Default 1e-4; negative means 0.
	WeightDecay float64
	// ClipNorm clips the gradients by their global L2 norm. Default 1; negative means no clipping.
	ClipNorm float64
	// SAMRho enables sharpness-aware minimization with neighbourhood radius rho (gradients are
	// taken at w + rho*g/|g|). Default 0 (off). SAM doubles the cost of a step.
	SAMRho float64

	// Snapshots is the exact number of snapshots including snapshot 0 (the untrained model) and
	// the last step, for the linear and geometric schedules. Default 20.
	Snapshots int
	// SnapshotSchedule is ScheduleLinear (default), ScheduleGeometric or ScheduleEvery.
	SnapshotSchedule string
	// Every is K for ScheduleEvery.
	Every int
	// EvalSize is the size of the fixed class-balanced evaluation subset of the test split.
	// Default 1000 (or the test split size when smaller).
	EvalSize int
	// EvalBatch is the batch size of evaluation (fixed shape: the last batch is padded).
	// Default min(EvalSize, 200).
	EvalBatch int
	// Layers are layer taps (model TapNames) recorded at every snapshot as flattened activations.
	Layers []string
	// Seed seeds everything: weight initialization, dropout, batch order and the evaluation subset.
	Seed int64

	// Curriculum is an optional keyframed schedule of phases, actions and properties.
	Curriculum *Curriculum `json:"-"`
	// Regularizers are the default weights of the embedding regularizers (all 0: off).
	Regularizers Regularizers

	// CheckpointEvery saves a checkpoint every that many steps, in addition to the checkpoints
	// saved at every snapshot and at the end. Default 0 (only those).
	CheckpointEvery int
	// LogEvery appends a train-only metrics record (lr, train_loss, train_acc) every that many
	// steps, in addition to the full records at snapshots. Default max(1, Steps/100).
	LogEvery int

	// Resume is the id (or unique prefix) of an interrupted run in RunsDir to continue. The run's
	// recorded configuration is used; of this Config only RunsDir, DataDir, Data, Curriculum
	// (for hooks; nil means the recorded curriculum), Progress and OnProgress apply.
	Resume string `json:"-"`

	// Progress, when not nil, receives a one-line progress bar (rewritten with '\r'); e.g. os.Stderr.
	Progress io.Writer `json:"-"`
	// OnProgress, when not nil, is called after every step and snapshot (see NotebookProgress).
	OnProgress func(Progress) `json:"-"`
}

// savedConfig is the part of Config recorded in run.json (options.config) so that a run can be
// resumed and its model rebuilt (LoadModel).
type savedConfig struct {
	Model            string         `json:"model"`
	ModelOptions     models.Options `json:"model_options"`
	Dataset          string         `json:"dataset"`
	DataDir          string         `json:"data_dir,omitempty"`
	Steps            int            `json:"steps"`
	Batch            int            `json:"batch"`
	LR               float64        `json:"lr"`
	WarmupSteps      int            `json:"warmup_steps"`
	MinLRFraction    float64        `json:"min_lr_fraction"`
	WeightDecay      float64        `json:"weight_decay"`
	ClipNorm         float64        `json:"clip_norm"`
	SAMRho           float64        `json:"sam_rho"`
	Snapshots        int            `json:"snapshots"`
	SnapshotSchedule string         `json:"snapshot_schedule"`
	Every            int            `json:"every,omitempty"`
	EvalSize         int            `json:"eval_size"`
	EvalBatch        int            `json:"eval_batch"`
	Layers           []string       `json:"layers,omitempty"`
	Seed             int64          `json:"seed"`
	Regularizers     Regularizers   `json:"regularizers"`
	CheckpointEvery  int            `json:"checkpoint_every,omitempty"`
	LogEvery         int            `json:"log_every"`
	CurriculumCSV    string         `json:"curriculum_csv,omitempty"`
}

func (c *Config) saved() savedConfig {
	s := savedConfig{
		Model: c.Model, ModelOptions: c.ModelOptions, Dataset: c.Dataset, DataDir: c.DataDir,
		Steps: c.Steps, Batch: c.Batch, LR: c.LR, WarmupSteps: c.WarmupSteps, MinLRFraction: c.MinLRFraction,
		WeightDecay: c.WeightDecay, ClipNorm: c.ClipNorm, SAMRho: c.SAMRho, Snapshots: c.Snapshots,
		SnapshotSchedule: c.SnapshotSchedule, Every: c.Every, EvalSize: c.EvalSize, EvalBatch: c.EvalBatch,
		Layers: c.Layers, Seed: c.Seed, Regularizers: c.Regularizers, CheckpointEvery: c.CheckpointEvery,
		LogEvery: c.LogEvery,
	}
	if c.Curriculum != nil {
		s.CurriculumCSV = c.Curriculum.Source()
	}
	return s
}

func (s savedConfig) config() Config {
	return Config{
		Model: s.Model, ModelOptions: s.ModelOptions, Dataset: s.Dataset, DataDir: s.DataDir,
		Steps: s.Steps, Batch: s.Batch, LR: s.LR, WarmupSteps: s.WarmupSteps, MinLRFraction: s.MinLRFraction,
		WeightDecay: s.WeightDecay, ClipNorm: s.ClipNorm, SAMRho: s.SAMRho, Snapshots: s.Snapshots,
		SnapshotSchedule: s.SnapshotSchedule, Every: s.Every, EvalSize: s.EvalSize, EvalBatch: s.EvalBatch,
		Layers: s.Layers, Seed: s.Seed, Regularizers: s.Regularizers, CheckpointEvery: s.CheckpointEvery,
		LogEvery: s.LogEvery,
	}
}

// toOptions returns the run.json options map: the full config under "config" plus a few
// top-level keys for listings (residual, sam_rho, lr, curriculum).
func (s savedConfig) toOptions() (map[string]any, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	opts := map[string]any{
		"config":   m,
		"residual": s.ModelOptions.Residual,
		"sam_rho":  s.SAMRho,
		"lr":       s.LR,
	}
	if s.CurriculumCSV != "" {
		opts["curriculum"] = true
	}
	return opts, nil
}

// savedConfigFromInfo reads the configuration recorded by Train in run.json.
func savedConfigFromInfo(info RunInfo) (savedConfig, error) {
	var s savedConfig
	raw, ok := info.Options["config"]
	if !ok {
		return s, fmt.Errorf("training: run %s has no recorded training configuration (options.config in %s)", info.ID, RunFile)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("training: run %s: reading options.config: %w", info.ID, err)
	}
	return s, nil
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
