package training

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSeed003Dopesheet loads a dopesheet written exactly like seed 003's printed table
// (testdata/seed003_dopesheet.csv), scales its steps down 100 times, and trains colormlp on it:
// the run lasts until the last keyframe, the phases (names with spaces and '&') start and end as
// written, and the recorded weights and loss terms follow the table (reg-anchor 0 until 3000, 0.3
// at 8600, 0.1 at 13000, 0.75 at the end; reg-planar 0.2 at the start; lr holding its first
// keyframed value, 0.01, before step 3350). (The example "reg-anchor 0 before 8600" reads
// the table as steps; the dopesheet interpolates between keyframes, so the weight is 0 until its
// first keyframe at 3000, where the anchor action fires, and rises from there to 0.3 at 8600.)
func TestSeed003Dopesheet(t *testing.T) {
	full, err := LoadCurriculum(filepath.Join("testdata", "seed003_dopesheet.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(full.Properties, ","); got != "lr,loss-recon,reg-separate,reg-planar,reg-norm,reg-anchor,data-fraction" {
		t.Fatalf("properties %s", got)
	}
	if v, _ := full.Value(PropLR, 0); v != 0.01 {
		t.Errorf("lr at step 0 = %v, want 0.01 (its first keyframed value holds before it)", v)
	}
	cur, err := ScaleCurriculum(full, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	cur.On(EventPhaseStart, func(ev *Event) error { phases = append(phases, "start:"+ev.Phase); return nil })
	cur.On(EventPhaseEnd, func(ev *Event) error { phases = append(phases, "end:"+ev.Phase); return nil })
	r, err := trainWithWatchdog(t, Config{RunsDir: t.TempDir(), Model: "colormlp", Data: colorsData(t), Batch: 32,
		Snapshots: 5, EvalSize: 90, Seed: 1, LogEvery: 1, Curriculum: cur})
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); info.Steps != 200 {
		t.Errorf("run of %d steps, want 200 (the last keyframe's step)", info.Steps)
	}
	want := []string{"start:Primary & secondary", "end:Primary & secondary", "start:All hues", "end:All hues", "start:Full color space", "end:Full color space"}
	if !slices.Equal(phases, want) {
		t.Errorf("phase events %v, want %v", phases, want)
	}
	recs, err := r.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	anchor := map[int]float64{}
	for _, rec := range recs {
		v, ok := rec.Values[PropAnchor]
		if !ok {
			continue
		}
		step := rec.Step - 1 // the record at step s holds the weights of the step that ended there
		anchor[step] = v
		_, hasTerm := rec.Values["term:"+PropAnchor]
		if (v != 0) != hasTerm {
			t.Errorf("step %d: reg-anchor weight %v but term recorded %v", step, v, hasTerm)
		}
		if w := rec.Values[PropPlanarity]; step == 0 && math.Abs(w-0.2) > 1e-6 {
			t.Errorf("step %d: reg-planar weight %v, want 0.2", step, w)
		}
		if _, ok := rec.Values["term:"+PropLoss]; !ok {
			t.Errorf("step %d: no loss-recon term", step)
		}
	}
	// reg-anchor is keyed 0 at 3000 (30 scaled), 0.3 at 8600, 0.1 at 13000, 0.75 at 20000: 0
	// before 30 (its first keyframed value holds), rising to 0.3 at 86, falling to 0.1 at 130,
	// rising to 0.75 at the end.
	for s := 0; s <= 30; s++ {
		if v, ok := anchor[s]; ok && v != 0 {
			t.Errorf("reg-anchor weight at step %d = %v, want 0 up to 30", s, v)
		}
	}
	last := 0
	for s := range anchor {
		last = max(last, s)
	}
	if !(anchor[40] > 0 && anchor[60] > anchor[40] && math.Abs(anchor[86]-0.3) < 1e-6 &&
		anchor[110] < 0.3 && math.Abs(anchor[130]-0.1) < 1e-6 && anchor[170] > 0.1 && anchor[last] > anchor[170] && last >= 195) {
		t.Errorf("reg-anchor weight 40: %v, 60: %v, 86: %v, 110: %v, 130: %v, 170: %v, %d: %v; want the table's keys",
			anchor[40], anchor[60], anchor[86], anchor[110], anchor[130], anchor[170], last, anchor[last])
	}
}
