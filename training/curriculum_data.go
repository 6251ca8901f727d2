package training

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/datasets"
)

// PhaseData is what one curriculum phase trains on and validates with: seed 003's datasets dict,
// phase name -> (train loader, validation tensor). Register it with Curriculum.SetPhaseData;
// phases without data train on the run's training split (Config.Data or Config.Dataset).
type PhaseData struct {
	// Train holds the examples the phase draws its batches from; they must have the shape of the
	// run's examples. Required.
	Train *datasets.Split
	// Batch is the phase's batch size. 0 means Config.Batch; FullBatch (-1) means every example of
	// Train, in its order, at every step (seed 003's first phase: its 6 colors in each batch,
	// which the separation regularizer needs distinct).
	Batch int
	// Focus, when not nil, is each Train example's focus in [0, 1], read through data-fraction
	// (see PropDataFraction); [Train.N]. nil means the colors' vibrancy (datasets.Vibrancy) when
	// the examples are RGB vectors, else no focus.
	Focus []float64
	// Bias, when not nil, are the base sampling weights of the Train examples (seed 003's
	// ColorCube.bias, e.g. datasets.HSVCubeBias); [Train.N], non-negative. nil means 1 each.
	Bias []float64
	// Validation is the data the phase-end event runs the model on (Event.Validation); nil means
	// the run's evaluation subset.
	Validation *datasets.Split
}

// Inference is the model's output on a set of n examples (seed 003's InferenceResult).
type Inference struct {
	// Latents is the embedding (the bottleneck of colormlp), [n, embedDim].
	Latents *reduce.Matrix
	// Outputs are the reconstruction (autoencoders, flattened) or the logits, [n, outputs].
	Outputs *reduce.Matrix
}

// Infer runs the model as trained so far (in inference mode) on x, n examples of the run's
// example shape flattened row-major ([n, dim]): seed 003's event.model, for hooks that inspect
// the model. It fails for an event that was not fired by Train.
func (ev *Event) Infer(x []float32) (*Inference, error) {
	if ev == nil || ev.infer == nil {
		return nil, fmt.Errorf("training: Event.Infer: the event was not fired by a training run")
	}
	return ev.infer(x)
}

// SetPhaseData registers the training and validation data of curriculum phases by phase name
// (seed 003's datasets dict) and returns c. Train checks that every name is a phase of c and that
// the examples have the run's shape. Like hooks, phase data are not recorded in run.json: give
// Config.Data (or Config.Dataset) a name that says which data the run trained on.
func (c *Curriculum) SetPhaseData(data map[string]PhaseData) *Curriculum {
	if c.phaseData == nil {
		c.phaseData = map[string]PhaseData{}
	}
	for k, v := range data {
		c.phaseData[k] = v
	}
	return c
}

// checkPhaseData validates the registered phase data against the run's example shape.
func (c *Curriculum) checkPhaseData(shape []int) error {
	if c == nil || len(c.phaseData) == 0 {
		return nil
	}
	names := map[string]bool{}
	for _, kf := range c.Keyframes {
		if kf.Phase != "" {
			names[kf.Phase] = true
		}
	}
	keys := make([]string, 0, len(c.phaseData))
	for k := range c.phaseData {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		d := c.phaseData[name]
		if !names[name] {
			return fmt.Errorf("training: phase data for %q, which is not a phase of the curriculum", name)
		}
		for what, sp := range map[string]*datasets.Split{"training": d.Train, "validation": d.Validation} {
			if sp == nil {
				if what == "training" {
					return fmt.Errorf("training: phase %q: PhaseData.Train is nil", name)
				}
				continue
			}
			if sp.N == 0 || !slices.Equal(sp.Shape, shape) || len(sp.X) != sp.N*sp.Dim() {
				return fmt.Errorf("training: phase %q: %s data has %d examples of shape %v, want examples of shape %v", name, what, sp.N, sp.Shape, shape)
			}
		}
		if d.Batch < FullBatch {
			return fmt.Errorf("training: phase %q: batch %d must be >= 1, 0 (Config.Batch) or %d (all its examples)", name, d.Batch, FullBatch)
		}
		for what, w := range map[string][]float64{"Focus": d.Focus, "Bias": d.Bias} {
			if w == nil {
				continue
			}
			if len(w) != d.Train.N {
				return fmt.Errorf("training: phase %q: %d %s weights for %d training examples", name, len(w), what, d.Train.N)
			}
			for i, v := range w {
				if !(v >= 0) || math.IsInf(v, 0) {
					return fmt.Errorf("training: phase %q: %s[%d] = %v must be finite and >= 0", name, what, i, v)
				}
			}
		}
	}
	return nil
}

// firstPhaseTrain returns the training examples of the curriculum's first phase when it has
// phase data (seed 003 anchors the colors of its first phase), else nil.
func (c *Curriculum) firstPhaseTrain() *datasets.Split {
	if c == nil {
		return nil
	}
	for _, kf := range c.Keyframes {
		if kf.Phase != "" {
			if d, ok := c.phaseData[kf.Phase]; ok {
				return d.Train
			}
			return nil
		}
	}
	return nil
}

// focusWeights are seed 003's sampling weights for data fraction f in [0, 1] (its
// update_sampler_weights): each focus passes through a levels filter,
//
//	w = outLow + (1−outLow)·clip((focus−inLow)/(1−inLow), 0, 1)
//
// with inLow falling linearly from 0.99 at f = 0 to 0 at f = 0.5 and outLow rising linearly from
// 0 at f = 0.5 to 1 at f = 1: at 0 only the examples of focus ≥ 0.99 are drawn, at 0.5 the
// weights are the focus, at 1 all examples weigh the same. focus is [n]; returns [n].
func focusWeights(focus []float64, f float64, dst []float64) []float64 {
	f = min(max(f, 0), 1)
	inLow := 0.99 * max(0, 1-f/0.5)
	outLow := max(0, (f-0.5)/0.5)
	dst = slices.Grow(dst[:0], len(focus))[:len(focus)]
	for i, x := range focus {
		a := min(max((x-inLow)/(1-inLow), 0), 1)
		dst[i] = outLow + a*(1-outLow)
	}
	return dst
}

// sampler caches what the batches of one split need.
type sampler struct {
	focus, bias []float64 // nil when none
	weights     []float64 // scratch: cumulative weights
}

// batch returns the split and the example indices of the training step: the phase's data when
// the phase in effect has PhaseData, else the run's training split. Indices are a function of
// (Config.Seed, step), so a resumed run sees the same batches.
//
//   - Batch FullBatch: every example, in order.
//   - With a data-fraction value and a focus (PhaseData.Focus, or the vibrancy of RGB colors):
//     draws with replacement, with probability ∝ bias·focusWeights(focus, fraction) (see PropDataFraction) (seed 003's
//     DynamicWeightedRandomBatchSampler; uniform when every weight is 0, as the seed).
//   - With a data-fraction value and no focus (not colors): uniform draws from the first
//     max(1, ceil(fraction·N)) examples.
//   - Otherwise, the run's split: epoch-wise permutations; phase data: draws with replacement
//     weighted by Bias (uniform when nil).
func (s *session) batch(step int, values map[string]float64) (*datasets.Split, []int32) {
	cur := s.cfg.Curriculum
	split, b := s.train, s.cfg.Batch
	var pd *PhaseData
	if cur != nil {
		if d, ok := cur.phaseData[cur.PhaseAt(step)]; ok {
			pd = &d
			split = d.Train
			if d.Batch != 0 {
				b = d.Batch
			}
		}
	}
	if b == FullBatch {
		b = split.N
		s.idxBuf = slices.Grow(s.idxBuf[:0], b)[:b]
		for i := range b {
			s.idxBuf[i] = int32(i)
		}
		return split, s.idxBuf
	}
	fraction, hasFraction := values[PropDataFraction]
	sm := s.samplerFor(split, pd)
	if !hasFraction && pd == nil {
		return split, s.batchIndices(step, 1)
	}
	if hasFraction && sm.focus == nil && sm.bias == nil && split == s.train {
		return split, s.batchIndices(step, min(max(fraction, 1e-9), 1))
	}
	// Weighted draws with replacement.
	var w []float64
	if hasFraction && sm.focus != nil {
		w = focusWeights(sm.focus, fraction, sm.weights)
	} else {
		m := split.N // the first max(1, ceil(fraction·N)) examples when there is no focus
		if hasFraction {
			m = max(1, int(math.Ceil(min(max(fraction, 0), 1)*float64(split.N))))
		}
		w = slices.Grow(sm.weights[:0], split.N)[:split.N]
		for i := range w {
			w[i] = 0
			if i < m {
				w[i] = 1
			}
		}
	}
	total := 0.0
	for i := range w {
		if sm.bias != nil {
			w[i] *= sm.bias[i]
		}
		total += w[i]
		w[i] = total
	}
	sm.weights = w
	r := rand.New(rand.NewPCG(uint64(s.cfg.Seed)^0x5851f42d4c957f2d, uint64(step)))
	s.idxBuf = slices.Grow(s.idxBuf[:0], b)[:b]
	for j := range b {
		if total <= 1e-9 {
			s.idxBuf[j] = int32(r.IntN(split.N))
			continue
		}
		u := r.Float64() * total
		i := sort.SearchFloat64s(w, u)
		for i < len(w)-1 && w[i] <= u { // skip zero-weight examples at the boundary
			i++
		}
		s.idxBuf[j] = int32(min(i, len(w)-1))
	}
	return split, s.idxBuf
}

// samplerFor returns the cached sampler of split (with pd's focus and bias when not nil).
func (s *session) samplerFor(split *datasets.Split, pd *PhaseData) *sampler {
	if s.samplers == nil {
		s.samplers = map[*datasets.Split]*sampler{}
	}
	if sm, ok := s.samplers[split]; ok {
		return sm
	}
	sm := &sampler{}
	if pd != nil {
		sm.focus, sm.bias = pd.Focus, pd.Bias
	}
	if sm.focus == nil && len(split.Shape) == 1 && split.Shape[0] == 3 {
		sm.focus = datasets.Vibrancy(split)
	}
	s.samplers[split] = sm
	return sm
}

// prepareEvent gives ev what seed 003's handlers use: the model (Event.Infer) and, for a phase
// end, the phase's validation data and the model's inference on it.
func (s *session) prepareEvent(ev *Event) error {
	ev.infer = s.infer
	if ev.Kind != EventPhaseEnd {
		return nil
	}
	val := &datasets.Split{N: len(s.evalIdx), Shape: s.test.Shape, X: s.evalX, Labels: s.evalLabels}
	if d, ok := s.cfg.Curriculum.phaseData[ev.Phase]; ok && d.Validation != nil {
		val = d.Validation
	}
	res, err := s.infer(val.X)
	if err != nil {
		return fmt.Errorf("training: phase %q end at step %d: validation: %w", ev.Phase, ev.Step, err)
	}
	ev.Validation, ev.Result = val, res
	return nil
}

// infer runs the eval graph on x ([n, dim] flattened).
func (s *session) infer(x []float32) (*Inference, error) {
	d := s.train.Dim()
	if d == 0 || len(x)%d != 0 || len(x) == 0 {
		return nil, fmt.Errorf("training: Infer: %d values are not whole examples of %d values", len(x), d)
	}
	n := len(x) / d
	fw, err := s.forward(x, n)
	if err != nil {
		return nil, err
	}
	return &Inference{Latents: reduce.MatrixFrom(n, s.model.EmbedDim(), fw.embedding),
		Outputs: reduce.MatrixFrom(n, fw.outCols, fw.output)}, nil
}

// anchorRows returns up to 32 evenly spaced rows of sp as anchor points.
func anchorRows(sp *datasets.Split) ([]float32, int) {
	n := min(32, sp.N)
	d := sp.Dim()
	x := make([]float32, 0, n*d)
	for j := range n {
		pos := j * sp.N / n
		x = append(x, sp.X[pos*d:(pos+1)*d]...)
	}
	return x, n
}
