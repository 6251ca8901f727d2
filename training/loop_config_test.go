package training

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/embviz/embviz/models"
)

// notRecorded are the Config fields that run.json does not record (tagged `json:"-"`).
var notRecorded = []string{"RunsDir", "Data", "Resume", "Progress", "OnProgress"}

// fullConfig returns a Config whose every recorded field (and every field of its recorded
// structs) is non-zero; TestConfigFieldsRecorded checks that it stays so.
func fullConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		Model: "vit",
		ModelOptions: models.Options{NumClasses: 7, EmbedDim: 5, Residual: true, Norm: "layer", Dropout: 0.1,
			InputShape: []int{8, 8, 1}, Hidden: []int{16, 4}, Latent: 3, UnitNorm: true, KLDWeight: new(0.5),
			PatchSize: 2, Depth: 3, Heads: 2, Pool: "mean", TapGrid: models.TapFull},
		Dataset: "blobs-small", DataDir: "/data/blobs",
		Steps: 12, Epochs: 2, TrainSize: 40, SnapshotEpochs: 1, EpochAccuracy: true, Batch: 8, LR: 2e-3, WarmupSteps: 2, MinLRFraction: 0.1, WeightDecay: 2e-4, ClipNorm: 0.5, SAMRho: 0.05,
		Snapshots: 3, SnapshotSchedule: ScheduleEvery, Every: 4, EvalSize: 16, EvalBatch: 8,
		Layers: []string{"fc1", "fc2"}, Seed: 7,
		Curriculum: parseCurriculum(t, "STEP,PHASE,ACTION,lr\n0,warm,,0.001\n6,cool,anchor,0.0005\n"),
		Regularizers: Regularizers{Separation: 0.01, SeparationDims: []int{0, 1}, SeparationEps: 0.02, Planarity: 0.003,
			UnitNorm: 0.004, Anchor: 0.5, AnchorIndices: []int32{1, 2, 3}},
		CheckpointEvery: 5, LogEvery: 2,
	}
}

func parseCurriculum(t *testing.T, src string) *Curriculum {
	t.Helper()
	c, err := ParseCurriculum(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConfigFieldsRecorded walks Config with reflect: every field is either recorded under a
// JSON name or listed in notRecorded, so a field added without a tag fails here.
func TestConfigFieldsRecorded(t *testing.T) {
	full := reflect.ValueOf(fullConfig(t))
	typ := full.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		skipped := slices.Contains(notRecorded, f.Name)
		switch {
		case !hasTag || name == "":
			t.Errorf("Config.%s has no JSON name: tag it, or tag it `json:\"-\"` and list it in notRecorded", f.Name)
		case name == "-" && !skipped:
			t.Errorf("Config.%s is tagged `json:\"-\"` but not listed in notRecorded", f.Name)
		case name != "-" && skipped:
			t.Errorf("Config.%s is listed in notRecorded but recorded as %q", f.Name, name)
		case name != "-":
			checkNonZero(t, "Config."+f.Name, full.Field(i))
		}
	}
}

// checkNonZero reports v (and, for structs, each of its fields) being zero: fullConfig must set
// every recorded field so that the round trip tests it.
func checkNonZero(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	if v.IsZero() {
		t.Errorf("%s is zero in fullConfig: set it so the round trip covers it", path)
		return
	}
	if v.Kind() == reflect.Struct {
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkNonZero(t, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	}
}

// sameConfig compares two configs, the curricula by their source and keyframes.
func sameConfig(t *testing.T, got, want Config) {
	t.Helper()
	if (got.Curriculum == nil) != (want.Curriculum == nil) {
		t.Fatalf("curriculum %v, want %v", got.Curriculum, want.Curriculum)
	}
	if want.Curriculum != nil {
		if got.Curriculum.Source() != want.Curriculum.Source() || !reflect.DeepEqual(got.Curriculum.Keyframes, want.Curriculum.Keyframes) ||
			!reflect.DeepEqual(got.Curriculum.Properties, want.Curriculum.Properties) {
			t.Errorf("curriculum %+v, want %+v", got.Curriculum, want.Curriculum)
		}
	}
	got.Curriculum, want.Curriculum = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config\n%+v\nwant\n%+v", got, want)
	}
}

// TestConfigRoundTrip records a Config in a run (run.json on disk) and reads it back.
func TestConfigRoundTrip(t *testing.T) {
	want := fullConfig(t)
	in := want
	in.RunsDir, in.Resume, in.Data = t.TempDir(), "run-0009", smallBlobs(t)
	in.Progress, in.OnProgress = os.Stderr, func(Progress) {}
	in.Curriculum.On(EventAction, func(*Event) error { return nil })
	opts, err := in.options()
	if err != nil {
		t.Fatal(err)
	}
	if opts["curriculum"] != true || opts["lr"] != want.LR || opts["sam_rho"] != want.SAMRho || opts["residual"] != true {
		t.Errorf("top-level options %v", opts)
	}
	r, err := CreateRun(in.RunsDir, RunInfo{Dataset: in.Dataset, Model: "ViT", Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(0.5); err != nil {
		t.Fatal(err)
	}
	r, err = OpenRun(in.RunsDir, r.ID())
	if err != nil {
		t.Fatal(err)
	}
	got, err := configFromInfo(r.Info())
	if err != nil {
		t.Fatal(err)
	}
	sameConfig(t, got, want) // the fields not recorded come back zero
	sameFingerprint(t, got, in)
	if len(got.Curriculum.hooks) != 0 {
		t.Error("hooks were recorded")
	}

	// A curriculum built in code (no source) is not recorded, as before.
	in.Curriculum = &Curriculum{Keyframes: []Keyframe{{Step: 0}}}
	if opts, err = in.options(); err != nil {
		t.Fatal(err)
	}
	if got, err = configFromInfo(RunInfo{Options: opts}); err != nil || got.Curriculum != nil || opts["curriculum"] != nil {
		t.Errorf("sourceless curriculum recorded as %v (options %v), err %v", got.Curriculum, opts, err)
	}
	if _, ok := opts["config"].(map[string]any)["curriculum_csv"]; ok {
		t.Errorf("sourceless curriculum recorded as curriculum_csv: %v", opts["config"])
	}
	sameFingerprint(t, got, in) // FindRun finds the run
}

// sameFingerprint checks that FindRun takes a run recorded with config got for one trained
// with config want.
func sameFingerprint(t *testing.T, got, want Config) {
	t.Helper()
	g, err1 := fingerprint(got, true)
	w, err2 := fingerprint(want, true)
	if err1 != nil || err2 != nil || string(g) != string(w) {
		t.Errorf("fingerprint of the recorded config\n%s\ndiffers from\n%s (errors %v, %v)", g, w, err1, err2)
	}
}

// legacyConfig is the configuration recorded in testdata/run_v1.json, a run.json written by
// the code before Config was its own serialized form (with a separate savedConfig).
func legacyConfig(t *testing.T) Config {
	t.Helper()
	return Config{
		Model:        "mlp",
		ModelOptions: models.Options{NumClasses: 4, EmbedDim: 3, Norm: "layer", Dropout: 0.1, InputShape: []int{8}, Hidden: []int{16}},
		Dataset:      "blobs-small", DataDir: "/nonexistent/data",
		Steps: 12, Batch: 8, LR: 2e-3, WarmupSteps: 2, MinLRFraction: 0.1, WeightDecay: 2e-4, ClipNorm: 0.5, SAMRho: 0.05,
		Snapshots: 3, SnapshotSchedule: ScheduleGeometric, EvalSize: 16, EvalBatch: 8, Layers: []string{"fc1"}, Seed: 7,
		Curriculum: parseCurriculum(t, "STEP,PHASE,ACTION,lr\n0,warm,,0.001\n6,cool,,0.0005\n"),
		Regularizers: Regularizers{Separation: 0.01, SeparationDims: []int{0, 1}, SeparationEps: 0.02, Planarity: 0.003,
			UnitNorm: 0.004, Anchor: 0.5, AnchorIndices: []int32{1, 2, 3}},
		CheckpointEvery: 5, LogEvery: 2,
	}
}

// legacyRun copies testdata/run_v1.json into a run directory of a new store, with status
// (e.g. "running": interrupted before its first snapshot) and without snapshots when status is
// not finished.
func legacyRun(t *testing.T, status string) (runsDir, id string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "run_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if status != StatusFinished {
		info["status"] = status
		delete(info, "snapshots")
		delete(info, "finished")
		delete(info, "final_eval_acc")
	}
	if data, err = json.Marshal(info); err != nil {
		t.Fatal(err)
	}
	runsDir, id = t.TempDir(), "run-0001-MLP_blobs-small_3"
	if err := os.MkdirAll(filepath.Join(runsDir, id, "snapshots"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runsDir, id, RunFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return runsDir, id
}

// TestConfigLegacyRunJSON reads a run.json in the format written before Config was serialized
// directly: the same Config comes back, and recording it again gives the same options.
func TestConfigLegacyRunJSON(t *testing.T) {
	runsDir, _ := legacyRun(t, StatusFinished)
	r, err := OpenRun(runsDir, "run-0001")
	if err != nil {
		t.Fatal(err)
	}
	got, err := configFromInfo(r.Info())
	if err != nil {
		t.Fatal(err)
	}
	want := legacyConfig(t)
	sameConfig(t, got, want)
	opts, err := want.options()
	if err != nil {
		t.Fatal(err)
	}
	// The legacy format wrote model_options.KLDWeight = 0 for "the default weight 1"; the field is
	// now recorded as kld_weight (absent: the default), so a legacy 0 keeps its old meaning
	// instead of becoming a zero KL weight. Everything else is recorded as before.
	legacy := r.Info().Options
	mo := legacy["config"].(map[string]any)["model_options"].(map[string]any)
	if w, ok := mo["KLDWeight"]; !ok || w != 0.0 {
		t.Fatalf("fixture: legacy model_options.KLDWeight = %v, want 0", w)
	}
	delete(mo, "KLDWeight")
	if !reflect.DeepEqual(opts, legacy) {
		t.Errorf("options recorded now\n%v\ndiffer from the legacy run.json's\n%v", opts, legacy)
	}
	if got.ModelOptions.KLDWeight != nil {
		t.Errorf("a legacy KLDWeight 0 (the default 1) loaded as %v, want nil", *got.ModelOptions.KLDWeight)
	}
}

// TestResumeLegacyRun resumes a run recorded in the legacy format, interrupted before its first
// snapshot, and finds it again with FindRun.
func TestResumeLegacyRun(t *testing.T) {
	runsDir, id := legacyRun(t, StatusRunning)
	ds := smallBlobs(t)
	r, err := trainWithWatchdog(t, Config{RunsDir: runsDir, Resume: id, Data: ds})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Status != StatusFinished || len(info.Snapshots) != 3 || info.Snapshots[2].Step != 12 {
		t.Fatalf("resumed run %s: status %s, snapshots %+v", info.ID, info.Status, info.Snapshots)
	}
	cfg := legacyConfig(t)
	cfg.RunsDir, cfg.Data = runsDir, ds
	found, err := FindRun(cfg)
	if err != nil || found == nil || found.ID() != r.ID() {
		t.Errorf("FindRun = %v, %v; want %s", found, err, r.ID())
	}
}
