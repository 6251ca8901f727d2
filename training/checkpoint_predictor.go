package training

import (
	"fmt"
	"slices"
	"strings"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/reduce"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// KeepAlive returns a scalar float32 that depends on every variable the graph g reads: the sum
// of all their values. Add it to the outputs of a graph that uses a model's variables but not all
// of them (e.g. only the embedding of a classifier, or only a VAE's decoder): the Go backend of
// compute v0.1.6 fails with "index out of range" when a graph has parameters its outputs do not
// use. The value itself is meaningless; ignore it.
func KeepAlive(g *Graph) *Node {
	store := model.GetStore(g)
	sum := ScalarZero(g, dtypes.Float32)
	if store == nil {
		return sum
	}
	for v := range store.IterVariables() {
		if !v.InUseByGraph(g) {
			continue
		}
		x := v.NodeValue(g)
		if x.DType() == dtypes.Bool {
			continue
		}
		sum = Add(sum, ConvertDType(ReduceAllSum(x), dtypes.Float32))
	}
	return sum
}

// Predictor runs a trained run's model in inference mode on new inputs, for notebooks: the
// embedding, the logits or reconstruction, and layer taps.
type Predictor struct {
	// Model and Store are the rebuilt model and its trained weights (see LoadModel).
	Model models.Model
	Store *model.Store
	// InputShape is the shape of one example (the training data's).
	InputShape []int
	layers     []string
	exec       *model.Exec
	isAE       bool // set when the graph is built: the model returned no logits
}

// Prediction holds a Predictor's outputs for n examples.
type Prediction struct {
	// Embedding is [n, embedDim].
	Embedding *reduce.Matrix
	// Logits is [n, numClasses] for classifiers, nil for autoencoders.
	Logits *reduce.Matrix
	// Reconstruction is [n, prod(InputShape)] for autoencoders, nil for classifiers.
	Reconstruction *reduce.Matrix
	// Layers are the requested taps, flattened: [n, prod(activation shape)].
	Layers map[string]*reduce.Matrix
}

// NewPredictor loads the newest checkpoint of run (see LoadModel) and prepares inference that
// also returns the named layer taps.
func NewPredictor(run *Run, layers ...string) (*Predictor, error) {
	m, store, err := LoadModel(run)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		if !slices.Contains(m.TapNames(), l) {
			return nil, fmt.Errorf("training: model %s has no layer %q; known layers: %s", m.Name(), l, strings.Join(m.TapNames(), ", "))
		}
	}
	cfg, err := configFromInfo(run.Info())
	if err != nil {
		return nil, err
	}
	inputShape := cfg.ModelOptions.InputShape
	if inputShape == nil {
		inputShape = []int{3} // colormlp
	}
	b, err := ebackend.New()
	if err != nil {
		return nil, err
	}
	p := &Predictor{Model: m, Store: store, InputShape: inputShape, layers: slices.Clone(layers)}
	p.exec, err = model.NewExec(b, store, func(scope *model.Scope, x *Node) []*Node {
		out := m.Build(scope, x, false, p.layers)
		n := x.Shape().Dimensions[0]
		res := []*Node{out.Embedding}
		p.isAE = out.Logits == nil
		if out.Logits != nil {
			res = append(res, out.Logits)
		} else {
			res = append(res, Reshape(out.Reconstruction, n, -1))
		}
		for _, l := range p.layers {
			res = append(res, Reshape(out.Taps[l], n, -1))
		}
		return append(res, KeepAlive(x.Graph()))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Predict runs the model on n examples x, row-major [n, prod(InputShape)] (as datasets.Split.X
// or Split.Gather give them). Each distinct n compiles a graph once.
func (p *Predictor) Predict(x []float32, n int) (*Prediction, error) {
	dim := 1
	for _, d := range p.InputShape {
		dim *= d
	}
	if n < 1 || len(x) != n*dim {
		return nil, fmt.Errorf("training: Predict got %d values for %d examples of %d values each (want %d)", len(x), n, dim, n*dim)
	}
	var outs []*tensors.Tensor
	var execErr error
	if err := exceptions.TryCatch[error](func() {
		outs, execErr = p.exec.Exec(tensors.FromFlatDataAndDimensions(x, append([]int{n}, p.InputShape...)...))
	}); err != nil {
		return nil, err
	}
	if execErr != nil {
		return nil, execErr
	}
	defer finalizeAll(outs)
	mat := func(t *tensors.Tensor) *reduce.Matrix {
		dims := t.Shape().Dimensions
		return reduce.MatrixFrom(dims[0], dims[1], tensors.MustCopyFlatData[float32](t))
	}
	res := &Prediction{Embedding: mat(outs[0]), Layers: map[string]*reduce.Matrix{}}
	if p.isAE {
		res.Reconstruction = mat(outs[1])
	} else {
		res.Logits = mat(outs[1])
	}
	for i, l := range p.layers {
		res.Layers[l] = mat(outs[2+i])
	}
	return res, nil
}
