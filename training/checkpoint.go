package training

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/embviz/embviz/models"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// keepCheckpoints is how many checkpoints a run directory keeps (the newest ones).
const keepCheckpoints = 2

// stagingSuffix names the directory next to <run>/checkpoint where GoMLX writes a checkpoint
// before it is moved in; GoMLX writes its files in place, so a kill during a save could
// otherwise leave a truncated "latest" checkpoint.
const stagingSuffix = ".staging"

// checkpointer saves GoMLX checkpoints of a store into a run's checkpoint directory so that a
// kill at any moment leaves the directory loadable: each checkpoint is written to a staging
// directory and then moved in, data file first and the JSON file (which is what GoMLX lists)
// last.
type checkpointer struct {
	dir, staging string
	handler      *checkpoint.Handler
}

// newCheckpointer prepares saving store into dir (created if missing). Nothing is loaded.
func newCheckpointer(store *model.Store, dir string) (*checkpointer, error) {
	staging := dir + stagingSuffix
	if err := os.RemoveAll(staging); err != nil { // Leftovers of a killed save.
		return nil, fmt.Errorf("training: clearing %s: %w", staging, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("training: creating checkpoint directory: %w", err)
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return nil, fmt.Errorf("training: creating checkpoint staging directory: %w", err)
	}
	h, err := checkpoint.Build(store).Dir(staging).Keep(1).Done()
	if err != nil {
		return nil, fmt.Errorf("training: checkpoint handler: %w", err)
	}
	return &checkpointer{dir: dir, staging: staging, handler: h}, nil
}

// save writes a checkpoint of the store at the given global step and moves it into the
// checkpoint directory as checkpoint-n<step>-<UTC time>.{bin,json} (names that sort by step,
// then time, also across resumed processes), keeping the newest keepCheckpoints.
func (c *checkpointer) save(step int) error {
	if err := c.handler.Save(); err != nil {
		return fmt.Errorf("training: saving checkpoint: %w", err)
	}
	entries, err := os.ReadDir(c.staging)
	if err != nil {
		return fmt.Errorf("training: saving checkpoint: %w", err)
	}
	base := fmt.Sprintf("checkpoint-n%010d-%s", step, time.Now().UTC().Format("20060102T150405.000000000"))
	var jsons []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, checkpoint.JsonNameSuffix):
			jsons = append(jsons, name)
		case strings.HasSuffix(name, checkpoint.BinDataSuffix):
			if err := os.Rename(filepath.Join(c.staging, name), filepath.Join(c.dir, base+checkpoint.BinDataSuffix)); err != nil {
				return fmt.Errorf("training: moving checkpoint file: %w", err)
			}
		}
	}
	if len(jsons) != 1 {
		return fmt.Errorf("training: saving checkpoint: expected one new checkpoint in %s, found %d", c.staging, len(jsons))
	}
	// Commit: GoMLX lists checkpoints by their JSON file.
	if err := os.Rename(filepath.Join(c.staging, jsons[0]), filepath.Join(c.dir, base+checkpoint.JsonNameSuffix)); err != nil {
		return fmt.Errorf("training: moving checkpoint file: %w", err)
	}
	return pruneCheckpoints(c.dir, keepCheckpoints)
}

// close removes the (then empty) staging directory; a killed process leaves it, and the next
// newCheckpointer clears it.
func (c *checkpointer) close() {
	_ = os.RemoveAll(c.staging)
}

// pruneCheckpoints removes all but the newest keep checkpoints (by GoMLX's sortable names).
func pruneCheckpoints(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var bases []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "checkpoint-") && strings.HasSuffix(name, checkpoint.JsonNameSuffix) {
			bases = append(bases, strings.TrimSuffix(name, checkpoint.JsonNameSuffix))
		}
	}
	sort.Strings(bases)
	if len(bases) <= keep {
		return nil
	}
	for _, b := range bases[:len(bases)-keep] {
		// JSON first, so a checkpoint is never listed without its data.
		_ = os.Remove(filepath.Join(dir, b+checkpoint.JsonNameSuffix))
		_ = os.Remove(filepath.Join(dir, b+checkpoint.BinDataSuffix))
	}
	return nil
}

// loadCheckpoint loads the newest checkpoint in dir into store (immediately, creating the
// variables). ok is false when dir holds no checkpoint.
func loadCheckpoint(store *model.Store, dir string) (ok bool, err error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	h, err := checkpoint.Build(store).Dir(dir).Immediate().Done()
	if err != nil {
		newest := "the newest checkpoint-*.json and .bin"
		if names, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*"+checkpoint.JsonNameSuffix)); len(names) > 0 {
			sort.Strings(names)
			b := strings.TrimSuffix(filepath.Base(names[len(names)-1]), checkpoint.JsonNameSuffix)
			newest = b + checkpoint.JsonNameSuffix + " and " + b + checkpoint.BinDataSuffix
		}
		return false, fmt.Errorf("training: the checkpoint in %s is truncated or corrupt (%v); delete %s there to fall back to the previous checkpoint, or train the run again", dir, err, newest)
	}
	has, err := h.HasCheckpoints()
	if err != nil {
		return false, fmt.Errorf("training: listing checkpoints in %s: %w", dir, err)
	}
	return has, nil
}

// LoadModel rebuilds the model of a run trained by Train and loads its newest checkpoint (the
// final weights for a finished run), for notebooks: e.g. to decode VAE latents or to embed new
// inputs with
//
//	m, store, err := training.LoadModel(run)
//	exec, err := model.NewExec(backend.Must(), store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
//		return []*graph.Node{m.Build(scope, x, false, nil).Embedding, training.KeepAlive(x.Graph())}
//	})
//
// (KeepAlive works around a Go-backend failure on graphs that leave some variables unused.) The
// returned store holds the trained weights (plus optimizer state); building a graph with
// m.Build(store.RootScope(), ...) reuses them. NewPredictor wraps this for the common case.
func LoadModel(run *Run) (models.Model, *model.Store, error) {
	if run == nil {
		return nil, nil, errors.New("training: LoadModel of a nil run")
	}
	cfg, err := configFromInfo(run.Info())
	if err != nil {
		return nil, nil, err
	}
	m, err := models.New(cfg.Model, cfg.ModelOptions)
	if err != nil {
		return nil, nil, fmt.Errorf("training: run %s: %w", run.ID(), err)
	}
	store := model.NewStore()
	ok, err := loadCheckpoint(store, run.CheckpointDir())
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("training: run %s has no checkpoint in %s", run.ID(), run.CheckpointDir())
	}
	return m, store, nil
}
