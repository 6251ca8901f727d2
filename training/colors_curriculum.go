package training

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ScaleCurriculum returns a copy of c whose keyframe steps are multiplied by factor and rounded
// to the nearest integer (STEP k -> round(k*factor)); phases, actions and property values are
// unchanged, and so are the hooks registered on c. Use it to run a curriculum written for a long
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
