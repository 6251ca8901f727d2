package training

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/embviz/embviz/training/datasets"
)

// focusWeights follows seed 003's update_sampler_weights: levels(vibrancy, in_low, out_low) with
// in_low = interp(f, [0, 0.5], [0.99, 0]) and out_low = interp(f, [0.5, 1], [0, 1]).
func TestFocusWeights(t *testing.T) {
	focus := []float64{0, 0.25, 0.5, 0.98, 0.995, 1}
	cases := []struct {
		f    float64
		want []float64
	}{
		{0, []float64{0, 0, 0, 0, 0.5, 1}},
		{0.25, []float64{0, 0, (0.5 - 0.495) / 0.505, (0.98 - 0.495) / 0.505, (0.995 - 0.495) / 0.505, 1}},
		{0.5, focus},
		{0.75, []float64{0.5, 0.625, 0.75, 0.99, 0.9975, 1}},
		{1, []float64{1, 1, 1, 1, 1, 1}},
	}
	for _, c := range cases {
		got := focusWeights(focus, c.f, nil)
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("fraction %v: weights %v, want %v", c.f, got, c.want)
				break
			}
		}
	}
}

// The seed's data: 6 primaries and secondaries, the 3,600-color HSV cube with its bias (vibrant 1,
// white 1/36, black 1/360) and the 1,000-color RGB cube.
func TestColorCurriculumData(t *testing.T) {
	data, phases := ColorCurriculumData()
	if data.Train.N != 3600 || data.Test.N != 1000 || phases[PhasePrimaries].Train.N != 6 {
		t.Fatalf("sizes: train %d, test %d, primaries %d", data.Train.N, data.Test.N, phases[PhasePrimaries].Train.N)
	}
	cube := phases[PhaseAllHues]
	pure, seen := 0, map[string]float64{}
	for i := range cube.Train.N {
		x := cube.Train.X[3*i : 3*i+3]
		if cube.Focus[i] > 0.99 {
			pure++
		}
		switch {
		case x[0] == 0 && x[1] == 0 && x[2] == 0:
			seen["black"] = cube.Bias[i]
		case x[0] == 1 && x[1] == 1 && x[2] == 1:
			seen["white"] = cube.Bias[i]
		case cube.Focus[i] > 0.99:
			seen["vibrant"] = cube.Bias[i]
		}
	}
	if pure != 36 {
		t.Errorf("%d colors of vibrancy > 0.99, want the 36 pure hues", pure)
	}
	for k, want := range map[string]float64{"black": 1.0 / 360, "white": 1.0 / 36, "vibrant": 1} {
		if math.Abs(seen[k]-want) > 1e-6 {
			t.Errorf("bias of %s = %v, want %v", k, seen[k], want)
		}
	}
}

// TestSeed003PhaseData trains colormlp on seed 003's dopesheet (scaled 1/100) with the seed's
// per-phase data: the first phase's batches are its 6 colors, "All hues" at data-fraction 0 draws
// only pure hues, the full color space at data-fraction 1 draws dark and pale colors too; the
// anchors are the first phase's colors; events carry the step, the phase and the model, and
// phase ends the phase's validation data and its latents.
func TestSeed003PhaseData(t *testing.T) {
	full, err := LoadCurriculum(filepath.Join("testdata", "seed003_dopesheet.csv"))
	if err != nil {
		t.Fatal(err)
	}
	data, phases := ColorCurriculumData()
	cur, err := ScaleCurriculum(full.SetPhaseData(phases), 0.01)
	if err != nil {
		t.Fatal(err)
	}
	type end struct {
		phase   string
		step, n int
		latents [2]int
	}
	var ends []end
	inferred := 0
	cur.On(EventPhaseEnd, func(ev *Event) error {
		ends = append(ends, end{ev.Phase, ev.Step, ev.Validation.N, [2]int{ev.Result.Latents.Rows, ev.Result.Latents.Cols}})
		return nil
	})
	cur.On(EventPreStep, func(ev *Event) error {
		if ev.Step%50 == 0 {
			res, err := ev.Infer([]float32{1, 0, 0, 0, 1, 0})
			if err != nil {
				return err
			}
			if res.Latents.Rows != 2 || res.Latents.Cols != 4 || res.Outputs.Cols != 3 {
				t.Errorf("Infer: latents %dx%d, outputs %dx%d", res.Latents.Rows, res.Latents.Cols, res.Outputs.Rows, res.Outputs.Cols)
			}
			inferred++
		}
		return nil
	})
	cfg := Config{RunsDir: t.TempDir(), Model: "colormlp", Data: data, Batch: 256, Snapshots: 3, EvalSize: 1000,
		Seed: 1, Curriculum: cur}
	r, err := trainWithWatchdog(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []end{{PhasePrimaries, 30, 6, [2]int{6, 4}}, {PhaseAllHues, 100, 1000, [2]int{1000, 4}}, {PhaseFullColor, 200, 1000, [2]int{1000, 4}}}
	if len(ends) != len(want) {
		t.Fatalf("phase ends %v, want %v", ends, want)
	}
	for i := range want {
		if ends[i] != want[i] {
			t.Errorf("phase end %d: %+v, want %+v", i, ends[i], want[i])
		}
	}
	if inferred != 4 {
		t.Errorf("Infer ran at %d pre-steps, want 4", inferred)
	}
	if r.Info().Dataset != "colors-seed003" {
		t.Errorf("dataset %q", r.Info().Dataset)
	}

	// The batches, from a session over the same configuration.
	cfg.RunsDir = t.TempDir()
	s, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.numAnchors != 6 {
		t.Errorf("%d anchors, want the 6 colors of the first phase", s.numAnchors)
	}
	vib := func(sp *datasets.Split, idx []int32) (lo float64) {
		lo = 1
		for _, v := range datasets.Vibrancy(&datasets.Split{N: len(idx), Shape: []int{3}, X: sp.Gather(idx, nil)}) {
			lo = min(lo, v)
		}
		return lo
	}
	for _, step := range []int{0, 29} {
		sp, idx := s.batch(step, cur.Values(step))
		if sp != phases[PhasePrimaries].Train || len(idx) != 6 || idx[0] != 0 || idx[5] != 5 {
			t.Errorf("step %d: batch %v, want the 6 primaries and secondaries in order", step, idx)
		}
	}
	sp, idx := s.batch(40, cur.Values(40)) // All hues, data-fraction 0
	if sp != data.Train || len(idx) != 256 || vib(sp, idx) < 0.99 {
		t.Errorf("step 40: %d examples of least vibrancy %v, want 256 pure hues", len(idx), vib(sp, idx))
	}
	sp, idx = s.batch(150, cur.Values(150)) // Full color space, data-fraction 1
	if lo := vib(sp, idx); lo > 0.3 {
		t.Errorf("step 150: least vibrancy %v, want dull colors too", lo)
	}
	a, _ := s.batch(150, cur.Values(150))
	first := append([]int32(nil), idx...)
	_, again := s.batch(150, cur.Values(150))
	if a != sp || !equalInts(first, again) {
		t.Error("the batch of a step is not a function of (seed, step)")
	}

	// Unknown phase names and wrong shapes are refused.
	bad := cur
	bad, _ = ScaleCurriculum(full, 0.01)
	bad.SetPhaseData(map[string]PhaseData{"Primary and secondary": phases[PhasePrimaries]})
	cfg.Curriculum, cfg.RunsDir = bad, t.TempDir()
	if _, err := Train(t.Context(), cfg); err == nil {
		t.Error("phase data of an unknown phase accepted")
	}
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
