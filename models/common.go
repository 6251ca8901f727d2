package models

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	. "github.com/gomlx/gomlx/support/exceptions"
)

// Normalization names accepted by Options.Norm and the model configs.
const (
	NormNone  = "none"
	NormBatch = "batch"
	NormLayer = "layer"
)

// checkNorm validates a normalization name ("" means NormNone).
func checkNorm(n string) (string, error) {
	switch n {
	case "", NormNone:
		return NormNone, nil
	case NormBatch, NormLayer:
		return n, nil
	}
	return "", fmt.Errorf("unknown norm %q; want %q, %q or %q", n, NormNone, NormBatch, NormLayer)
}

// applyNorm normalizes x ([batch, ..., features]) over its last axis with the named method.
// Batch norm normalizes each feature over all other axes; layer norm over the features axis.
func applyNorm(scope *model.Scope, x *Node, method string) *Node {
	return applyNormAxis(scope, x, method, -1)
}

// applyNormAxis is applyNorm with the features on the given axis.
func applyNormAxis(scope *model.Scope, x *Node, method string, axis int) *Node {
	switch method {
	case NormNone, "":
		return x
	case NormBatch:
		// The Go backend has no fused BatchNormForInference: always use the plain-op formulation.
		return norm.BatchNorm(scope, x, axis).UseBackendInference(false).Done()
	case NormLayer:
		return norm.LayerNorm(scope, x, axis).Done()
	}
	Panicf("models: unknown normalization %q", method)
	return nil
}

// dropout applies dropout with the given rate when the graph is training; no-op otherwise.
func dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 {
		return x
	}
	return layers.DropoutStatic(scope, x, rate)
}

// tapRecorder collects requested taps; it panics on names that the model does not know.
type tapRecorder struct {
	want map[string]bool
	taps map[string]*Node
}

// newTapRecorder checks the requested names against known and returns a recorder.
func newTapRecorder(modelName string, known, requested []string) *tapRecorder {
	r := &tapRecorder{want: map[string]bool{}, taps: map[string]*Node{}}
	for _, name := range requested {
		if !slices.Contains(known, name) {
			Panicf("models: %s has no layer tap %q; known taps: %s", modelName, name, strings.Join(known, ", "))
		}
		r.want[name] = true
	}
	return r
}

// record stores x, flattened to [batch, features], if name was requested.
func (r *tapRecorder) record(name string, x *Node) {
	if r.want[name] {
		r.taps[name] = flatten(x)
	}
}

// flatten reshapes x [batch, d1, d2, ...] to [batch, d1*d2*...].
func flatten(x *Node) *Node {
	if x.Rank() == 2 {
		return x
	}
	return Reshape(x, x.Shape().Dimensions[0], -1)
}

// setTraining marks the graph of x as training (or not) in the store, so that GoMLX layers
// (dropout, batch norm) follow the Build call's train argument.
func setTraining(scope *model.Scope, x *Node, train bool) {
	scope.Store().SetTraining(x.Graph(), train)
}

// checkInput panics unless x is [batch, want...].
func checkInput(modelName string, x *Node, want []int) {
	dims := x.Shape().Dimensions
	if len(dims) != len(want)+1 || !slices.Equal(dims[1:], want) {
		Panicf("models: %s expects input [batch, %v], got %s", modelName, want, x.Shape())
	}
}

// dense is a dense layer with bias: x [..., in] -> [..., out], with GoMLX's variable layout
// (sub-scope "dense", "weights" [in, out], "biases" [out]), so checkpoints match
// layers.DenseWithBias. It is plain Dot + Add: GoMLX's layer emits the Go backend's fused Dense
// op, and compute v0.1.6 crashes ("index out of range") executing a graph in which such a fused
// node is dead code -- e.g. when a caller fetches only the embedding, not the logits.
func dense(scope *model.Scope, x *Node, out int) *Node {
	scope = scope.In("dense")
	g := x.Graph()
	dims := x.Shape().Dimensions
	in := dims[len(dims)-1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(g)
	x2 := x
	if x.Rank() != 2 {
		x2 = Reshape(x, -1, in)
	}
	y := Add(Dot(x2, w).Product(), InsertAxes(b, 0))
	if x.Rank() != 2 {
		outDims := append(append([]int{}, dims[:len(dims)-1]...), out)
		y = Reshape(y, outDims...)
	}
	return y
}

// denseCHWB is dense(scope, flatten(x'), out), x' being x [c, h, w, batch] transposed to
// [batch, h, w, c]: same variables, same result [batch, out], but the weights' rows are reordered
// to (c, h, w) instead of transposing x (the weights are the smaller tensor), and the product is
// computed as Wᵀ·x, which the Go backend runs without transposing either operand.
func denseCHWB(scope *model.Scope, x *Node, out int) *Node {
	if x.Rank() != 4 {
		Panicf("models: denseCHWB wants x [c, h, w, batch], got %s", x.Shape())
	}
	scope = scope.In("dense")
	g := x.Graph()
	d := x.Shape().Dimensions
	c, h, w, batch := d[0], d[1], d[2], d[3]
	in := c * h * w
	wv := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(g) // Rows (h, w, c).
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(g)
	wT := Reshape(TransposeAllAxes(Reshape(wv, h, w, c, out), 3, 2, 0, 1), out, in) // [out, (c, h, w)]
	yT := Dot(wT, Reshape(x, in, batch)).Product()                                  // [out, batch]
	return Add(Transpose(yT, 0, 1), InsertAxes(b, 0))
}

// linkOutputs makes every node of out depend on every other one, by adding to each a scalar
// zero computed from the first element of all of them (one small extra addition per output).
//
// Why: compute v0.1.6's Go backend crashes ("index out of range" in FunctionExecutable.Execute)
// when a graph has a variable used only by dead code. A caller fetching just the embedding or a
// tap would otherwise leave the classifier head (or the VAE decoder) dead, its variables unused.
func linkOutputs(out Output) Output {
	var nodes []*Node
	for _, n := range []*Node{out.Logits, out.Reconstruction, out.Embedding, out.ExtraLoss} {
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	for _, n := range out.Taps {
		nodes = append(nodes, n)
	}
	if len(nodes) < 2 {
		return out
	}
	var sum *Node
	for _, n := range nodes {
		first := n
		if n.Rank() > 0 {
			specs := make([]SliceAxisSpec, n.Rank())
			for i := range specs {
				specs[i] = AxisRange(0, 1)
			}
			first = Reshape(Slice(n, specs...))
		}
		if sum == nil {
			sum = first
		} else {
			sum = Add(sum, first)
		}
	}
	zero := StopGradient(MulScalar(sum, 0))
	link := func(n *Node) *Node {
		if n == nil {
			return nil
		}
		return Add(n, zero)
	}
	res := Output{Logits: link(out.Logits), Reconstruction: link(out.Reconstruction), Embedding: link(out.Embedding),
		ExtraLoss: out.ExtraLoss}
	if out.ExtraLoss != nil && out.Logits == nil && out.Reconstruction == nil {
		res.ExtraLoss = link(out.ExtraLoss)
	}
	if out.Taps != nil {
		res.Taps = make(map[string]*Node, len(out.Taps))
		for k, n := range out.Taps {
			res.Taps[k] = link(n)
		}
	}
	return res
}
