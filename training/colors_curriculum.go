package training

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/embviz/embviz/training/datasets"
)

// ScaleCurriculum returns a copy of c whose keyframe steps are multiplied by factor and rounded
// to the nearest integer (STEP k -> round(k*factor)); phases, actions and property values are
// unchanged, and so are the hooks and the phase data registered on c. Use it to run a curriculum written for a long
// run in fewer steps (quick mode, EMBVIZ_QUICK=1), keeping the proportions of its phases.
//
// The copy's Source is the scaled CSV (c's leading comment lines, a comment saying how it was
// scaled, the header and one line per keyframe), so that runs trained with it are recorded and
// found again (FindRun) by their scaled curriculum. factor must be positive and finite, and two
// keyframes must not round to the same step.
func ScaleCurriculum(c *Curriculum, factor float64) (*Curriculum, error) {
	if c == nil || len(c.Keyframes) == 0 {
		return nil, fmt.Errorf("training: ScaleCurriculum of an empty curriculum")
	}
	if !(factor > 0) || math.IsInf(factor, 0) {
		return nil, fmt.Errorf("training: ScaleCurriculum factor %v must be positive and finite", factor)
	}
	out := &Curriculum{Properties: slices.Clone(c.Properties)}
	for i, kf := range c.Keyframes {
		step := int(math.Round(float64(kf.Step) * factor))
		if i > 0 && step <= out.Keyframes[i-1].Step {
			return nil, fmt.Errorf("training: ScaleCurriculum by %v: keyframes at steps %d and %d both land on step %d",
				factor, c.Keyframes[i-1].Step, kf.Step, step)
		}
		out.Keyframes = append(out.Keyframes, Keyframe{Step: step, Phase: kf.Phase,
			Actions: slices.Clone(kf.Actions), Values: maps.Clone(kf.Values)})
	}
	if c.hooks != nil {
		out.hooks = map[EventKind][]Hook{}
		for k, hs := range c.hooks {
			out.hooks[k] = slices.Clone(hs)
		}
	}
	if c.phaseData != nil {
		out.phaseData = maps.Clone(c.phaseData)
	}
	var b strings.Builder
	for _, line := range strings.Split(c.source, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			break
		}
		b.WriteString(strings.TrimRight(line, "\r") + "\n")
	}
	fmt.Fprintf(&b, "# steps scaled by %s\n", strconv.FormatFloat(factor, 'g', -1, 64))
	b.WriteString(out.csv())
	out.source = b.String()
	return out, nil
}

// csv renders the keyframes as CSV: the header STEP,PHASE,ACTION,<properties> and one line per
// keyframe (empty cells where a keyframe has no value).
func (c *Curriculum) csv() string {
	var b strings.Builder
	b.WriteString(strings.Join(append([]string{"STEP", "PHASE", "ACTION"}, c.Properties...), ","))
	b.WriteByte('\n')
	quote := func(s string) string {
		if strings.ContainsAny(s, ",\"\n") {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	for _, kf := range c.Keyframes {
		cells := []string{strconv.Itoa(kf.Step), quote(kf.Phase), quote(strings.Join(kf.Actions, ";"))}
		for _, p := range c.Properties {
			v, ok := kf.Values[p]
			if !ok {
				cells = append(cells, "")
				continue
			}
			cells = append(cells, strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteString(strings.Join(cells, ","))
		b.WriteByte('\n')
	}
	return b.String()
}

// LastStep returns the step of the curriculum's last keyframe (0 for an empty curriculum): the
// natural length of a run that plays the whole curriculum.
func (c *Curriculum) LastStep() int {
	if c == nil || len(c.Keyframes) == 0 {
		return 0
	}
	return c.Keyframes[len(c.Keyframes)-1].Step
}

// CurriculumPhase is one phase of a curriculum over a run: it is in effect for the training
// steps Start <= step < End.
type CurriculumPhase struct {
	Name       string
	Start, End int
}

// Phases returns the phases of the curriculum over a run of steps training steps, in order:
// each starts at its keyframe and ends where the next phase starts, the last one at steps.
// Phases starting at or after steps are left out.
func (c *Curriculum) Phases(steps int) []CurriculumPhase {
	if c == nil {
		return nil
	}
	var out []CurriculumPhase
	for _, kf := range c.Keyframes {
		if kf.Phase == "" || kf.Step >= steps {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].End = kf.Step
		}
		out = append(out, CurriculumPhase{Name: kf.Phase, Start: kf.Step, End: steps})
	}
	return out
}

// QuickScale returns factor in quick mode (EMBVIZ_QUICK=1) and 1 otherwise: the step factor for
// ScaleCurriculum that lets a notebook play its curriculum faster in tests, e.g.
//
//	cur, err := training.ScaleCurriculum(full, training.QuickScale(0.25))
func QuickScale(factor float64) float64 {
	if Quick() {
		return factor
	}
	return 1
}

// Seed 003's phase names, as its dopesheet writes them.
const (
	PhasePrimaries = "Primary & secondary"
	PhaseAllHues   = "All hues"
	PhaseFullColor = "Full color space"
)

// ColorCurriculumData returns seed 003's data for its dopesheet: the run's data set and the data
// of its three phases (pass them to Curriculum.SetPhaseData). The data set, named
// "colors-seed003", trains on the HSV cube of 36 hues (every 10°) x 10 saturations x 10 values
// (linspace(0, 1, 10); 3,600 colors) and tests on the 10x10x10 RGB cube (1,000 colors, the seed's
// validation set: use EvalSize 1000 to evaluate all of it).
//
//   - PhasePrimaries trains on the 6 pure primary and secondary hues (0°, 60°, ..., 300°), all six
//     in every batch, and validates on them.
//   - PhaseAllHues and PhaseFullColor draw batches from the HSV cube with probability ∝ the cube's
//     bias (datasets.HSVCubeBias) times the vibrancy s·v read through data-fraction (see
//     PropDataFraction): at 0 only the 36 pure hues, at 1 the whole cube. They validate on the RGB
//     cube.
func ColorCurriculumData() (*datasets.Dataset, map[string]PhaseData) {
	must := func(ds *datasets.Dataset, err error) *datasets.Dataset {
		if err != nil {
			panic(err) // fixed options: cannot fail
		}
		return ds
	}
	prim := must(datasets.Colors(datasets.ColorsOptions{Kind: datasets.ColorsHueRing, Steps: 6}))
	lin := datasets.Linspace(0, 1, 10)
	hsv := must(datasets.Colors(datasets.ColorsOptions{Kind: datasets.ColorsHueRing, Steps: 36, Saturations: lin, Values: lin}))
	rgb := must(datasets.Colors(datasets.ColorsOptions{Steps: 10}))
	data := &datasets.Dataset{Name: "colors-seed003", ClassNames: rgb.ClassNames, Train: hsv.Train, Test: rgb.Test}
	cube := PhaseData{Train: hsv.Train, Focus: datasets.Vibrancy(hsv.Train), Bias: datasets.HSVCubeBias(hsv.Train, 36, 10), Validation: rgb.Test}
	return data, map[string]PhaseData{
		PhasePrimaries: {Train: prim.Train, Batch: FullBatch, Validation: prim.Test},
		PhaseAllHues:   cube,
		PhaseFullColor: cube,
	}
}
