package training

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/embviz/embviz/training/datasets"
)

// Curriculum properties: the columns of seed 003's dopesheet. A curriculum may have any of them
// (and no other: an unknown column is an error). Empty cells are not keyframes; before a
// property's first keyframe its first keyframed value holds.
const (
	// PropLR is the learning rate. When a curriculum has an "lr" column, its interpolated value
	// replaces the cosine schedule entirely (warm-up included); otherwise the schedule is used.
	PropLR = "lr"
	// PropLoss is the weight of the task loss (the reconstruction of the color model, the seed's
	// loss-recon; the cross-entropy of classifiers). Default 1.
	PropLoss = "loss-recon"
	// PropSeparation is the weight of the separation regularizer (see Regularizers). Default
	// Regularizers.Separation.
	PropSeparation = "reg-separate"
	// PropPlanarity is the weight of the planarity regularizer. Default Regularizers.Planarity.
	PropPlanarity = "reg-planar"
	// PropUnitNorm is the weight of the unit-norm ("unitary") regularizer. Default
	// Regularizers.UnitNorm.
	PropUnitNorm = "reg-norm"
	// PropAnchor is the weight of the anchor regularizer. Default Regularizers.Anchor. It has an
	// effect only after the ActionAnchor action fired.
	PropAnchor = "reg-anchor"
	// PropDataFraction in [0, 1] widens the data as seed 003 does: every training example has a
	// focus in [0, 1] (PhaseData.Focus; for RGB colors by default their vibrancy s·v, see
	// datasets.Vibrancy), and batches are drawn with replacement with probability proportional to
	// bias·levels(focus), where the levels filter maps focus to
	// outLow + (1−outLow)·clip((focus−inLow)/(1−inLow), 0, 1), inLow falling from 0.99 at
	// fraction 0 to 0 at 0.5 and outLow rising from 0 at 0.5 to 1 at 1. So 0 draws only the
	// examples of focus >= 0.99 (seed 003's "All hues": the pure hues of the HSV cube), 0.5 draws
	// in proportion to the focus and 1 draws all examples alike (times PhaseData.Bias). Data with
	// no focus (not RGB colors, no PhaseData.Focus nor Bias) draw uniformly from their first
	// max(1, ceil(fraction·N)) examples. Without the column batches are epoch-wise permutations
	// of the split (or, for PhaseData, draws weighted by Bias).
	PropDataFraction = "data-fraction"
)

// Properties returns the property columns a curriculum may have, in seed 003's order.
func Properties() []string {
	return []string{PropLR, PropLoss, PropSeparation, PropPlanarity, PropUnitNorm, PropAnchor, PropDataFraction}
}

// propAliases are the column names of embviz's earlier curricula, read as seed 003's names.
var propAliases = map[string]string{
	"loss": PropLoss, "separation": PropSeparation, "planarity": PropPlanarity, "unit_norm": PropUnitNorm,
	"anchor": PropAnchor, "data_fraction": PropDataFraction,
}

// ActionAnchor is the built-in action that records the current embedding of the anchor points
// (Regularizers.AnchorIndices) as the targets of the anchor regularizer and switches it on.
// Other action names are only passed to hooks.
const ActionAnchor = "anchor"

// EventKind says when a curriculum event fires.
type EventKind int

// Event kinds, in the order they fire at one step: the previous phase ends, the new phase starts,
// the actions of the keyframe fire, then pre-step (fired before every training step).
const (
	EventPhaseEnd EventKind = iota
	EventPhaseStart
	EventAction
	EventPreStep
)

func (k EventKind) String() string {
	switch k {
	case EventPhaseStart:
		return "phase-start"
	case EventAction:
		return "action"
	case EventPreStep:
		return "pre-step"
	case EventPhaseEnd:
		return "phase-end"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is what a hook receives.
type Event struct {
	Kind EventKind
	// Step is the global step: the number of training steps done so far (the event fires before
	// the update that makes it Step+1).
	Step int
	// Phase is the phase that starts or ends (phase events), or the current phase ("" before the
	// first one).
	Phase string
	// Action is the action name for EventAction; "" otherwise.
	Action string
	// Values are the interpolated property values at Step. Pre-step hooks may change them: the
	// changed values are used for this step only.
	Values map[string]float64
	// Validation is set for EventPhaseEnd: the phase's validation data (PhaseData.Validation,
	// else the run's evaluation subset), [n, dim]; Result is the model's inference on it
	// (seed 003's PhaseEndEvent.validation_data and inference_result). Every event fired by
	// Train can also run the model on other examples (Infer).
	Validation *datasets.Split
	Result     *Inference
	infer      func(x []float32) (*Inference, error)
}

// Hook is called for curriculum events; an error stops training (the run is marked failed).
type Hook func(ev *Event) error

// Keyframe is one row of a curriculum: at Step, Phase (if not "") starts, Actions fire and the
// properties in Values take these values exactly.
type Keyframe struct {
	Step    int
	Phase   string
	Actions []string
	Values  map[string]float64
}

// Curriculum is a keyframed schedule (a "dopesheet") of phases, actions and property values over
// training steps. Property values between keyframes are interpolated smoothly (smoothstep:
// v = a + (b-a)·t²(3-2t), t the fraction of the way from one keyframe of that property to the
// next, so the value eases out of and into each key); before a property's first keyframe its
// first value holds, after its last keyframe its last value holds.
type Curriculum struct {
	// Keyframes sorted by strictly increasing Step.
	Keyframes []Keyframe
	// Properties are the property column names, lower case, in file order.
	Properties []string
	hooks      map[EventKind][]Hook
	phaseData  map[string]PhaseData
	// source is the CSV text it was parsed from (recorded in run.json so -resume can re-read it).
	source string
}

// LoadCurriculum reads a curriculum CSV file; see ParseCurriculum for the format.
func LoadCurriculum(path string) (*Curriculum, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("training: curriculum: %w", err)
	}
	c, err := ParseCurriculum(strings.NewReader(string(data)))
	if err != nil {
		return nil, fmt.Errorf("training: curriculum %s: %w", path, err)
	}
	return c, nil
}

// ParseCurriculum reads a curriculum from CSV, seed 003's dopesheet format. The header is STEP,
// PHASE, ACTION (case insensitive, in this order) followed by property columns: lr, loss-recon,
// reg-separate, reg-planar, reg-norm, reg-anchor, data-fraction (Properties; lower-cased; the
// earlier names loss, separation, planarity, unit_norm, anchor, data_fraction are read as these).
// An unknown column is an error that names it and lists the known ones. Each row is a keyframe: STEP is a
// non-negative integer, strictly increasing from row to row; PHASE, if not empty, starts a phase
// at that step; ACTION holds zero or more action names separated by ';'; a property cell is a
// number or empty (empty: interpolated). Lines starting with '#' are comments.
//
//	STEP,PHASE,ACTION,lr,reg-separate
//	0,Primary & secondary,,0.01,0
//	200,All hues,anchor,,1
//	600,,,0.001,
func ParseCurriculum(r io.Reader) (*Curriculum, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(src) { // run.json records the source as a JSON string, which must be UTF-8
		bad := 0
		for bad < len(src) {
			r, size := utf8.DecodeRune(src[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		return nil, fmt.Errorf("curriculum is not UTF-8 text (invalid byte 0x%02x at offset %d); save the CSV as UTF-8", src[bad], bad)
	}
	cr := csv.NewReader(strings.NewReader(string(src)))
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading CSV: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("empty curriculum: want a header STEP,PHASE,ACTION[,property...]")
	}
	header := rows[0]
	want := []string{"STEP", "PHASE", "ACTION"}
	if len(header) < 3 {
		return nil, fmt.Errorf("header %q: want STEP,PHASE,ACTION followed by property columns", strings.Join(header, ","))
	}
	for i, w := range want {
		if !strings.EqualFold(strings.TrimSpace(header[i]), w) {
			return nil, fmt.Errorf("header column %d is %q, want %s (header must start STEP,PHASE,ACTION)", i+1, header[i], w)
		}
	}
	c := &Curriculum{source: string(src)}
	for i, h := range header[3:] {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			return nil, fmt.Errorf("header column %d is empty: every property column needs a name", i+4)
		}
		if a, ok := propAliases[name]; ok {
			name = a
		}
		if !slices.Contains(Properties(), name) {
			return nil, fmt.Errorf("header column %d: unknown property %q; known properties: %s", i+4, strings.TrimSpace(h), strings.Join(Properties(), ", "))
		}
		if slices.Contains(c.Properties, name) {
			return nil, fmt.Errorf("header: property %q appears twice", name)
		}
		c.Properties = append(c.Properties, name)
	}
	for li, row := range rows[1:] {
		line := li + 2
		if len(row) > len(header) {
			return nil, fmt.Errorf("line %d has %d cells, the header only %d", line, len(row), len(header))
		}
		cell := func(i int) string {
			if i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		step, err := strconv.Atoi(cell(0))
		if err != nil || step < 0 {
			return nil, fmt.Errorf("line %d: STEP %q is not a non-negative integer", line, cell(0))
		}
		if n := len(c.Keyframes); n > 0 && step <= c.Keyframes[n-1].Step {
			return nil, fmt.Errorf("line %d: STEP %d does not increase (previous keyframe is at step %d)", line, step, c.Keyframes[n-1].Step)
		}
		kf := Keyframe{Step: step, Phase: cell(1), Values: map[string]float64{}}
		for _, a := range strings.Split(cell(2), ";") {
			if a = strings.TrimSpace(a); a != "" {
				kf.Actions = append(kf.Actions, a)
			}
		}
		for pi, name := range c.Properties {
			s := cell(3 + pi)
			if s == "" {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("line %d: property %s: %q is not a finite number", line, name, s)
			}
			kf.Values[name] = v
		}
		c.Keyframes = append(c.Keyframes, kf)
	}
	if len(c.Keyframes) == 0 {
		return nil, errors.New("curriculum has a header but no keyframes")
	}
	return c, nil
}

// Source returns the CSV text the curriculum was parsed from ("" if built in code). Train
// records it in run.json for -resume; changes made to Keyframes in code are not reflected in it.
func (c *Curriculum) Source() string { return c.source }

// MarshalJSON records c as its CSV source text (a JSON string; null when c was built in code and
// has no source), so that a Config holding it is serializable. Hooks are not recorded.
func (c *Curriculum) MarshalJSON() ([]byte, error) {
	if c == nil || c.source == "" {
		return []byte("null"), nil
	}
	return json.Marshal(c.source)
}

// UnmarshalJSON parses a curriculum recorded by MarshalJSON (see ParseCurriculum).
func (c *Curriculum) UnmarshalJSON(data []byte) error {
	var src string
	if err := json.Unmarshal(data, &src); err != nil {
		return fmt.Errorf("curriculum: want its CSV text as a JSON string: %w", err)
	}
	p, err := ParseCurriculum(strings.NewReader(src))
	if err != nil {
		return fmt.Errorf("recorded curriculum: %w", err)
	}
	*c = *p
	return nil
}

// On registers a hook for events of the given kind and returns c. Hooks run in registration
// order; the built-in anchor action runs before the hooks of its event.
func (c *Curriculum) On(kind EventKind, fn Hook) *Curriculum {
	if c.hooks == nil {
		c.hooks = map[EventKind][]Hook{}
	}
	c.hooks[kind] = append(c.hooks[kind], fn)
	return c
}

// Has reports whether the curriculum has a column for the property (an earlier name such as
// "separation" means its seed 003 name).
func (c *Curriculum) Has(prop string) bool {
	return c != nil && slices.Contains(c.Properties, canonProp(prop))
}

// canonProp returns the seed 003 name of a property given by an earlier name, else prop.
func canonProp(prop string) string {
	if a, ok := propAliases[prop]; ok {
		return a
	}
	return prop
}

// HasAction reports whether any keyframe fires the action.
func (c *Curriculum) HasAction(action string) bool {
	if c == nil {
		return false
	}
	for _, kf := range c.Keyframes {
		if slices.Contains(kf.Actions, action) {
			return true
		}
	}
	return false
}

// Value returns the interpolated value of prop at step; ok is false when the property has no
// column or no keyframe with a value.
func (c *Curriculum) Value(prop string, step int) (v float64, ok bool) {
	if c == nil {
		return 0, false
	}
	prop = canonProp(prop)
	// Keyframes of this property around step.
	prevIdx, nextIdx := -1, -1
	for i, kf := range c.Keyframes {
		if _, has := kf.Values[prop]; !has {
			continue
		}
		if kf.Step <= step {
			prevIdx = i
		} else {
			nextIdx = i
			break
		}
	}
	switch {
	case prevIdx < 0 && nextIdx < 0:
		return 0, false
	case prevIdx < 0:
		return c.Keyframes[nextIdx].Values[prop], true
	case nextIdx < 0:
		return c.Keyframes[prevIdx].Values[prop], true
	}
	a, b := c.Keyframes[prevIdx], c.Keyframes[nextIdx]
	t := float64(step-a.Step) / float64(b.Step-a.Step)
	s := t * t * (3 - 2*t)
	return a.Values[prop] + (b.Values[prop]-a.Values[prop])*s, true
}

// Values returns the interpolated values at step of every property that has at least one value.
func (c *Curriculum) Values(step int) map[string]float64 {
	out := map[string]float64{}
	if c == nil {
		return out
	}
	for _, p := range c.Properties {
		if v, ok := c.Value(p, step); ok {
			out[p] = v
		}
	}
	return out
}

// PhaseAt returns the phase in effect at step: the last keyframe phase at or before step ("" if none).
func (c *Curriculum) PhaseAt(step int) string {
	if c == nil {
		return ""
	}
	phase := ""
	for _, kf := range c.Keyframes {
		if kf.Step > step {
			break
		}
		if kf.Phase != "" {
			phase = kf.Phase
		}
	}
	return phase
}

// keyframeAt returns the keyframe at exactly step, or nil.
func (c *Curriculum) keyframeAt(step int) *Keyframe {
	if c == nil {
		return nil
	}
	i := sort.Search(len(c.Keyframes), func(i int) bool { return c.Keyframes[i].Step >= step })
	if i < len(c.Keyframes) && c.Keyframes[i].Step == step {
		return &c.Keyframes[i]
	}
	return nil
}

// events returns the keyframe events (phase-end, phase-start, actions) that fire at step, in
// order. When final is true (step is the last step of training) the phase in effect also ends.
func (c *Curriculum) events(step int, final bool) []Event {
	if c == nil {
		return nil
	}
	var evs []Event
	values := c.Values(step)
	prevPhase := ""
	if step > 0 {
		prevPhase = c.PhaseAt(step - 1)
	}
	phase := prevPhase
	if kf := c.keyframeAt(step); kf != nil {
		if kf.Phase != "" {
			if prevPhase != "" {
				evs = append(evs, Event{Kind: EventPhaseEnd, Step: step, Phase: prevPhase, Values: values})
			}
			phase = kf.Phase
			evs = append(evs, Event{Kind: EventPhaseStart, Step: step, Phase: phase, Values: values})
		}
		for _, a := range kf.Actions {
			evs = append(evs, Event{Kind: EventAction, Step: step, Phase: phase, Action: a, Values: values})
		}
	}
	if final && phase != "" {
		evs = append(evs, Event{Kind: EventPhaseEnd, Step: step, Phase: phase, Values: values})
	}
	return evs
}

// fire calls the hooks registered for ev.Kind.
func (c *Curriculum) fire(ev *Event) error {
	if c == nil {
		return nil
	}
	for _, h := range c.hooks[ev.Kind] {
		if err := h(ev); err != nil {
			if ev.Action != "" {
				return fmt.Errorf("training: curriculum %s hook (action %q) at step %d: %w", ev.Kind, ev.Action, ev.Step, err)
			}
			return fmt.Errorf("training: curriculum %s hook at step %d: %w", ev.Kind, ev.Step, err)
		}
	}
	return nil
}
