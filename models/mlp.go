package models

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// MLPConfig configures NewMLP. The zero value of each field means its stated default.
type MLPConfig struct {
	// InputDim is the number of input features. Default 2 (the 2-D blobs dataset).
	InputDim int
	// Hidden are the sizes of the hidden ReLU layers before the embedding layer. Default [64].
	Hidden []int
	// EmbedDim is the size of the last hidden (ReLU) layer, the embedding. Default 32.
	EmbedDim int
	// NumClasses is the number of output logits. Default 10.
	NumClasses int
	// Norm is the normalization after each hidden dense layer: "none" (default), "batch", "layer".
	Norm string
	// Dropout is the dropout rate after each hidden layer during training. Default 0.
	Dropout float64
}

// MLP is a plain multi-layer perceptron classifier for vector data:
//
//	x [batch, InputDim] -> dense(Hidden[i]) + norm + ReLU + dropout ... -> dense(EmbedDim) + ReLU
//	  (the embedding) -> dense(NumClasses) (the logits).
//
// Layer taps are "fc1" ... "fcN" for the N = len(Hidden)+2 dense layers (after the activation;
// the last one is the logits); all are [batch, layer size].
type MLP struct {
	cfg MLPConfig
}

// mlpConfigFrom maps registry Options onto MLPConfig.
func mlpConfigFrom(o Options) MLPConfig {
	c := MLPConfig{Hidden: o.Hidden, EmbedDim: o.EmbedDim, NumClasses: o.NumClasses, Norm: o.Norm, Dropout: o.Dropout}
	if len(o.InputShape) == 1 {
		c.InputDim = o.InputShape[0]
	} else if len(o.InputShape) > 1 {
		c.InputDim = -1 // Rejected by NewMLP.
	}
	return c
}

// NewMLP validates cfg, fills in defaults and returns the model.
func NewMLP(cfg MLPConfig) (*MLP, error) {
	cfg.InputDim = orDefault(cfg.InputDim, 2)
	if cfg.Hidden == nil {
		cfg.Hidden = []int{64}
	}
	cfg.EmbedDim = orDefault(cfg.EmbedDim, 32)
	cfg.NumClasses = orDefault(cfg.NumClasses, 10)
	var err error
	if cfg.Norm, err = checkNorm(cfg.Norm); err != nil {
		return nil, err
	}
	if cfg.InputDim < 1 {
		return nil, fmt.Errorf("mlp takes vectors: input shape must be [features], got input dim %d", cfg.InputDim)
	}
	for i, h := range cfg.Hidden {
		if h < 1 {
			return nil, fmt.Errorf("hidden layer %d has size %d, want >= 1", i, h)
		}
	}
	if cfg.EmbedDim < 1 || cfg.NumClasses < 2 {
		return nil, fmt.Errorf("embed dim %d and num classes %d must be >= 1 and >= 2", cfg.EmbedDim, cfg.NumClasses)
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("dropout %g must be in [0, 1)", cfg.Dropout)
	}
	return &MLP{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (m *MLP) Config() MLPConfig { return m.cfg }

// Name implements Model: "MLP".
func (m *MLP) Name() string { return "MLP" }

// EmbedDim implements Model.
func (m *MLP) EmbedDim() int { return m.cfg.EmbedDim }

// TapNames implements Model: "fc1" ... "fc<len(Hidden)+2>".
func (m *MLP) TapNames() []string {
	n := len(m.cfg.Hidden) + 2
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("fc%d", i+1)
	}
	return names
}

// Build implements Model: x is [batch, InputDim] float32; Logits [batch, NumClasses],
// Embedding [batch, EmbedDim].
func (m *MLP) Build(scope *model.Scope, x *Node, train bool, taps []string) Output {
	checkInput("mlp", x, []int{m.cfg.InputDim})
	setTraining(scope, x, train)
	rec := newTapRecorder("mlp", m.TapNames(), taps)
	sizes := append(append([]int{}, m.cfg.Hidden...), m.cfg.EmbedDim)
	for i, size := range sizes {
		name := fmt.Sprintf("fc%d", i+1)
		s := scope.In("%s", name)
		x = dense(s, x, size)
		x = applyNorm(s, x, m.cfg.Norm)
		x = activation.Relu(x)
		rec.record(name, x)
		if i < len(sizes)-1 {
			x = dropout(s, x, m.cfg.Dropout)
		}
	}
	embedding := x
	x = dropout(scope, x, m.cfg.Dropout)
	name := fmt.Sprintf("fc%d", len(sizes)+1)
	logits := dense(scope.In("%s", name), x, m.cfg.NumClasses)
	rec.record(name, logits)
	return linkOutputs(Output{Logits: logits, Embedding: embedding, Taps: rec.taps})
}
