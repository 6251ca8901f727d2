package training

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training/datasets"
)

const testCurriculum = `# a dopesheet
STEP,PHASE,ACTION,lr,separation,reg-planar
0,warm,,0.01,0,
10,,mark,,,5
20,spread,mark;anchor,0.002,1,
30,,,,3,7
`

func TestParseCurriculumInterpolation(t *testing.T) {
	c, err := ParseCurriculum(strings.NewReader(testCurriculum))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Properties, ","); got != "lr,reg-separate,reg-planar" {
		t.Errorf("properties %q", got)
	}
	if len(c.Keyframes) != 4 || strings.Join(c.Keyframes[2].Actions, "|") != "mark|anchor" {
		t.Fatalf("keyframes %+v", c.Keyframes)
	}
	near := func(name string, step int, want float64) {
		t.Helper()
		v, ok := c.Value(name, step)
		if !ok || math.Abs(v-want) > 1e-12 {
			t.Errorf("%s at step %d = %v (ok %v), want %v", name, step, v, ok, want)
		}
	}
	near("lr", 0, 0.01)
	near("lr", 10, 0.01+(0.002-0.01)*0.5) // smoothstep(0.5) = 0.5
	near("lr", 5, 0.01+(0.002-0.01)*(0.25*0.25*(3-2*0.25)))
	near("lr", 20, 0.002)
	near("lr", 100, 0.002) // held after the last keyframe
	near("separation", 25, 1+2*0.5)
	near("reg-planar", 0, 5) // before the first keyframe of a property: its first value
	near("reg-planar", 20, 5+2*0.5)
	if _, ok := c.Value("unknown", 3); ok {
		t.Error("unknown property has a value")
	}
	if got := c.PhaseAt(19); got != "warm" {
		t.Errorf("phase at 19 = %q", got)
	}
	if got := c.PhaseAt(20); got != "spread" {
		t.Errorf("phase at 20 = %q", got)
	}
	// Interpolation is smooth and monotone between keys.
	prev := math.Inf(1)
	for s := 0; s <= 20; s++ {
		v, _ := c.Value("lr", s)
		if v > prev {
			t.Fatalf("lr not monotone at step %d", s)
		}
		prev = v
	}
}

func TestParseCurriculumErrors(t *testing.T) {
	cases := map[string]string{
		"":                                        "empty",
		"STEP,PHASE\n":                            "header",
		"STEP,ACTION,PHASE,lr\n0,,,1\n":           "PHASE",
		"STEP,PHASE,ACTION,lr\n":                  "no keyframes",
		"STEP,PHASE,ACTION,lr\n0,,,1\n0,,,2\n":    "does not increase",
		"STEP,PHASE,ACTION,lr\n-1,,,1\n":          "non-negative",
		"STEP,PHASE,ACTION,lr\n0,,,fast\n":        "not a finite number",
		"STEP,PHASE,ACTION,lr,lr\n0,,,1,1\n":      "twice",
		"STEP,PHASE,ACTION,lr\n0,,,1,2\n":         "cells",
		"STEP,PHASE,ACTION,lr\nten,,,1\n":         "STEP",
		"STEP,PHASE,ACTION,,x\n0,,,1,2\n":         "empty",
		"STEP,PHASE,ACTION,lr\n0,,,1\n5,,,NaN\n":  "finite",
		"STEP,PHASE,ACTION,lr\n0,,,1\n5,,,+Inf\n": "finite",
	}
	for src, want := range cases {
		_, err := ParseCurriculum(strings.NewReader(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCurriculum(%q): error %v, want one mentioning %q", src, err, want)
		}
	}
}

// colorsData is the colors cube (512 colors, 9 classes) with 4 jittered training copies.
func colorsData(t *testing.T) *datasets.Dataset {
	t.Helper()
	ds, err := datasets.Colors(datasets.ColorsOptions{Copies: 4, Jitter: 0.02, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// colorModel returns the model used for the color-curriculum tests: the color bottleneck
// autoencoder when the models package has it, else an MLP classifier with a 3-d embedding.
func colorModel() (string, models.Options) {
	if _, err := models.New("colormlp", models.Options{}); err == nil {
		return "colormlp", models.Options{}
	}
	return "mlp", models.Options{EmbedDim: 3, Hidden: []int{32}}
}

func TestCurriculumEventsOnColors(t *testing.T) {
	c, err := ParseCurriculum(strings.NewReader(testCurriculum))
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	preSteps := 0
	customAt := map[int]float64{}
	record := func(ev *Event) error {
		log = append(log, fmt.Sprintf("%d:%s:%s:%s", ev.Step, ev.Kind, ev.Phase, ev.Action))
		return nil
	}
	c.On(EventPhaseStart, record).On(EventPhaseEnd, record).On(EventAction, record)
	c.On(EventPreStep, func(ev *Event) error {
		if ev.Step != preSteps {
			return fmt.Errorf("pre-step for step %d, expected %d", ev.Step, preSteps)
		}
		preSteps++
		customAt[ev.Step] = ev.Values[PropPlanarity]
		return nil
	})
	name, opts := colorModel()
	dir := t.TempDir()
	r, err := trainWithWatchdog(t, Config{
		RunsDir: dir, Model: name, ModelOptions: opts, Data: colorsData(t), Steps: 40, Batch: 32,
		Snapshots: 5, EvalSize: 90, Seed: 1, Curriculum: c, LogEvery: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0:phase-start:warm:", "10:action:warm:mark",
		"20:phase-end:warm:", "20:phase-start:spread:", "20:action:spread:mark", "20:action:spread:anchor",
		"40:phase-end:spread:",
	}
	if strings.Join(log, " ") != strings.Join(want, " ") {
		t.Errorf("events:\n got %v\nwant %v", log, want)
	}
	if preSteps != 40 {
		t.Errorf("%d pre-step events, want 40", preSteps)
	}
	if math.Abs(customAt[20]-(5+2*0.5)) > 1e-12 {
		t.Errorf("reg-planar at step 20 = %v, want 6", customAt[20])
	}
	// The interpolated lr is what the steps used (recorded per logged step: lr of the step that ended there).
	recs, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, rec := range recs {
		if rec.Step == 0 {
			continue
		}
		want, _ := c.Value("lr", rec.Step-1)
		if got := rec.Values["lr"]; math.Abs(got-want) > 1e-9 {
			t.Errorf("lr at step %d = %v, want %v", rec.Step, got, want)
		}
		checked++
	}
	if checked < 30 {
		t.Errorf("only %d metric records checked", checked)
	}
	// The curriculum is recorded, so a reopened run knows it.
	saved, err := configFromInfo(r.Info())
	if err != nil || saved.Curriculum == nil || saved.Curriculum.Source() != testCurriculum {
		t.Errorf("recorded curriculum %v, err %v", saved.Curriculum, err)
	}
}

func TestCurriculumHookErrorFailsRun(t *testing.T) {
	c, err := ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION\n0,a,\n5,,boom\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.On(EventAction, func(ev *Event) error { return fmt.Errorf("hook refuses %s", ev.Action) })
	dir := t.TempDir()
	r, err := trainWithWatchdog(t, Config{RunsDir: dir, Model: "mlp", Data: smallBlobs(t), Steps: 10, Batch: 8, Snapshots: 2, EvalSize: 8, Curriculum: c})
	if err == nil || !strings.Contains(err.Error(), "hook refuses boom") {
		t.Fatalf("error %v", err)
	}
	if r == nil || r.Info().Status != StatusFailed {
		t.Fatalf("run %v not marked failed", r)
	}
}

// anchorDisplacement trains with a curriculum that fires the anchor action at step 30 and then
// pushes points apart with the separation regularizer; it returns the mean displacement of the
// anchor points' embeddings between the anchor step and the end.
func anchorDisplacement(t *testing.T, anchorWeight float64) float64 {
	t.Helper()
	csv := fmt.Sprintf("STEP,PHASE,ACTION,loss,separation,anchor\n0,fit,,1,0,0\n30,spread,anchor,0,0.5,%g\n", anchorWeight)
	c, err := ParseCurriculum(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	name, opts := colorModel()
	dir := t.TempDir()
	const evalSize = 90
	r, err := trainWithWatchdog(t, Config{
		RunsDir: dir, Model: name, ModelOptions: opts, Data: colorsData(t), Steps: 90, Batch: 32, LR: 1e-2,
		SnapshotSchedule: ScheduleEvery, Every: 30, EvalSize: evalSize, Seed: 2, Curriculum: c,
	})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if len(info.Snapshots) != 4 || info.Snapshots[1].Step != 30 {
		t.Fatalf("snapshots %+v", info.Snapshots)
	}
	at, err := r.Embedding(1)
	if err != nil {
		t.Fatal(err)
	}
	end, err := r.Embedding(3)
	if err != nil {
		t.Fatal(err)
	}
	// Default anchors: 32 points spread over the eval subset, rows j*n/32.
	n := 32
	var sum float64
	for j := range n {
		row := j * evalSize / n
		var d2 float64
		for k := range at.Cols {
			d := float64(at.Row(row)[k] - end.Row(row)[k])
			d2 += d * d
		}
		sum += math.Sqrt(d2)
	}
	return sum / float64(n)
}

func TestAnchorKeepsPoints(t *testing.T) {
	free := anchorDisplacement(t, 0)
	anchored := anchorDisplacement(t, 50)
	t.Logf("mean anchor-point displacement after the anchor action: free %.4f, anchored %.4f", free, anchored)
	if !(free > 0.05) {
		t.Fatalf("control run barely moved (%.4f): the separation phase does not push points, so the test proves nothing", free)
	}
	if !(anchored < 0.3*free) {
		t.Errorf("anchored points moved %.4f, not much less than the free run's %.4f", anchored, free)
	}
}

func TestLoadCurriculumFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.csv")
	if err := os.WriteFile(p, []byte(testCurriculum), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCurriculum(p)
	if err != nil || len(c.Keyframes) != 4 || c.Source() != testCurriculum {
		t.Fatalf("LoadCurriculum: %v %+v", err, c)
	}
	if _, err := LoadCurriculum(filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestColorsCurriculumFile(t *testing.T) {
	c, err := LoadCurriculum(filepath.Join("testdata", "colors_curriculum.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{PropLR, PropLoss, PropDataFraction, PropSeparation, PropPlanarity, PropUnitNorm, PropAnchor} {
		if !c.Has(p) {
			t.Errorf("example curriculum lacks %s", p)
		}
	}
	var phases []string
	c.On(EventPhaseStart, func(ev *Event) error { phases = append(phases, ev.Phase); return nil })
	name, opts := colorModel()
	// Scaled down: the keyframes are at steps 0..600; train 60 steps of it with the steps scaled.
	for i := range c.Keyframes {
		c.Keyframes[i].Step /= 10
	}
	r, err := trainWithWatchdog(t, Config{RunsDir: t.TempDir(), Model: name, ModelOptions: opts, Data: colorsData(t),
		Steps: 60, Batch: 32, Snapshots: 7, EvalSize: 90, Seed: 1, Curriculum: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(phases, ","); got != "fit-easy,fit-all,anchor,spread" {
		t.Errorf("phases %q", got)
	}
	if r.Info().Status != StatusFinished {
		t.Errorf("status %q", r.Info().Status)
	}
}

// An unknown column is an error that names it and lists the known ones; seed 003's columns and
// the earlier names load.
func TestCurriculumColumns(t *testing.T) {
	_, err := ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,lr,reg-sparse\n0,a,,0.1,1\n"))
	if err == nil || !strings.Contains(err.Error(), `"reg-sparse"`) || !strings.Contains(err.Error(), "reg-separate, reg-planar, reg-norm, reg-anchor, data-fraction") {
		t.Errorf("unknown column: got %v", err)
	}
	c, err := ParseCurriculum(strings.NewReader("STEP,PHASE,ACTION,loss,separation,planarity,unit_norm,anchor,data_fraction\n0,a,,1,2,3,4,5,0.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Properties, ","); got != "loss-recon,reg-separate,reg-planar,reg-norm,reg-anchor,data-fraction" {
		t.Errorf("earlier names read as %s", got)
	}
	if v, ok := c.Value("unit_norm", 0); !ok || v != 4 {
		t.Errorf("Value by an earlier name: %v %v", v, ok)
	}
}
