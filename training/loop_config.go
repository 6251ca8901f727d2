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

	// Steps is the number of training steps (batches). Default 1000, or with a curriculum the
	// step of its last keyframe (Curriculum.LastStep: the run plays the whole dopesheet, as seed
	// 003). With Epochs set, Steps must be 0 (it is Epochs times the steps of one epoch).
	Steps int `json:"steps"`
	// Epochs, when > 0, sets the length of the run in epochs of the training split (or of the
	// TrainSize subset): Steps = Epochs * ceil(N / batch). Default 0 (Steps counts).
	Epochs int `json:"epochs,omitempty"`
	// TrainSize, when > 0, trains on a fixed class-balanced subset of the training split of this
	// size (datasets.Split.EvalSubset seeded by Seed: TrainSize/k examples of each of the k
	// classes, as seed 002's 5,000-image subset); 0 means the whole split.
	TrainSize int `json:"train_size,omitempty"`
	// Batch is the training batch size. Default 64; FullBatch (-1) means the whole training split
	// (or TrainSize subset) in every step, as seed 002 trains. Must not exceed the training split.
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
	// SnapshotEpochs, when > 0, takes a snapshot every that many epochs (steps 0, k*E, 2k*E, ...
	// and the last step, E the steps of one epoch), as seed 002 records every 2 epochs; it
	// replaces Snapshots, SnapshotSchedule and Every. Requires Epochs.
	SnapshotEpochs int `json:"snapshot_epochs,omitempty"`
	// EpochAccuracy, when set, records at the end of every epoch (and at step 0) the accuracy of
	// the model in inference mode on the whole training split (or TrainSize subset),
	// "train_acc_full", and on the evaluation subset, "eval_acc": seed 002's train and test
	// accuracy curves. Classifiers only; it costs one inference pass over both sets per epoch.
	EpochAccuracy bool `json:"epoch_accuracy,omitempty"`
	// EvalSize is the size of the fixed class-balanced evaluation subset of the test split.
	// Default 1000 (or the test split size when smaller). The test split's size means the whole
	// split, class-balanced or not (seed 003 validates on the whole RGB cube).
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
	if c.Steps == 0 && c.Epochs == 0 {
		c.Steps = 1000
		if last := c.Curriculum.LastStep(); last > 0 {
			c.Steps = last
		}
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.Epochs > 0 {
		return // The rest depends on Steps, known with the data (see fillStepDefaults).
	}
	c.fillStepDefaults()
}

// fillStepDefaults applies the defaults that depend on Steps.
func (c *Config) fillStepDefaults() {
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
		c.Regularizers.SeparationEps = 1e-6
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
	switch {
	case c.Epochs < 0:
		errs = append(errs, fmt.Sprintf("epochs %d must be >= 0", c.Epochs))
	case c.Epochs > 0 && c.Steps != 0:
		errs = append(errs, fmt.Sprintf("set either steps (%d) or epochs (%d), not both", c.Steps, c.Epochs))
	case c.Epochs == 0 && c.Steps < 1:
		errs = append(errs, fmt.Sprintf("steps %d must be >= 1", c.Steps))
	}
	if c.SnapshotEpochs < 0 || (c.SnapshotEpochs > 0 && c.Epochs == 0) {
		errs = append(errs, fmt.Sprintf("snapshot-epochs %d must be >= 0 and needs epochs", c.SnapshotEpochs))
	}
	if c.TrainSize < 0 {
		errs = append(errs, fmt.Sprintf("train size %d must be >= 0", c.TrainSize))
	}
	if c.Batch < 1 && c.Batch != FullBatch {
		errs = append(errs, fmt.Sprintf("batch %d must be >= 1 (or %d: the whole training split)", c.Batch, FullBatch))
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
	if c.Epochs > 0 {
		return nil // The schedule is checked once the data fix the steps of an epoch.
	}
	if _, err := SnapshotSteps(c.SnapshotSchedule, c.Steps, c.Snapshots, c.Every); err != nil {
		return err
	}
	return nil
}

// FullBatch is the Config.Batch that trains on the whole training split (or TrainSize subset)
// in every step.
const FullBatch = -1

// resolveEpochs fixes the batch of FullBatch and, for an epoch-based run, Steps, the step
// defaults and the snapshot schedule, once the training split has n examples.
func (c *Config) resolveEpochs(n int) error {
	if c.Batch == FullBatch {
		c.Batch = n
	}
	if c.Epochs == 0 {
		return nil
	}
	perEpoch := (n + c.Batch - 1) / c.Batch
	c.Steps = c.Epochs * perEpoch
	c.fillStepDefaults()
	if c.SnapshotEpochs > 0 {
		c.SnapshotSchedule, c.Every = ScheduleEvery, c.SnapshotEpochs*perEpoch
	}
	_, err := SnapshotSteps(c.SnapshotSchedule, c.Steps, c.Snapshots, c.Every)
	return err
}
