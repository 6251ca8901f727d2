package models

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ColorMLPConfig configures NewColorMLP. The zero value of each field means its stated default.
type ColorMLPConfig struct {
	// Hidden is the size of the encoder's and the decoder's hidden GELU layer. Default 16 (seed 003).
	Hidden int
	// EmbedDim is the bottleneck size E, 2 to 4. Default 4 (seed 003's E).
	EmbedDim int
	// UnitNorm projects the bottleneck onto the unit sphere (L2 normalization). Default false.
	UnitNorm bool
}

// ColorMLP is seed 003's color bottleneck autoencoder:
//
//	rgb [batch, 3] -> dense(Hidden)+GELU ("fc1") -> dense(EmbedDim) ("fc2", the bottleneck =
//	embedding; unit-norm if UnitNorm) -> dense(Hidden)+GELU ("fc3") -> dense(3)+sigmoid ("fc4",
//	the reconstruction).
//
// GELU is the exact x·Φ(x) (PyTorch's nn.GELU). Inputs are RGB values in [0, 1]; the
// reconstruction is [batch, 3] in [0, 1] and the training loss is the mean squared error against
// the input (ReconstructionLoss, the seed's nn.MSELoss). Taps "fc1".."fc4" are the layer outputs
// listed above.
type ColorMLP struct {
	cfg ColorMLPConfig
}

// colorMLPConfigFrom maps registry Options onto ColorMLPConfig.
func colorMLPConfigFrom(o Options) ColorMLPConfig {
	c := ColorMLPConfig{EmbedDim: o.EmbedDim, UnitNorm: o.UnitNorm}
	if len(o.Hidden) > 0 {
		c.Hidden = o.Hidden[0]
	}
	if len(o.InputShape) > 0 && !(len(o.InputShape) == 1 && o.InputShape[0] == 3) {
		c.Hidden = -1 // Rejected below with the input shape in the message.
		c.EmbedDim = -len(o.InputShape)
	}
	return c
}

// NewColorMLP validates cfg, fills in defaults and returns the model.
func NewColorMLP(cfg ColorMLPConfig) (*ColorMLP, error) {
	if cfg.Hidden == -1 && cfg.EmbedDim < 0 {
		return nil, fmt.Errorf("colormlp takes RGB vectors: input shape must be [3]")
	}
	cfg.Hidden = orDefault(cfg.Hidden, 16)
	cfg.EmbedDim = orDefault(cfg.EmbedDim, 4)
	if cfg.EmbedDim < 2 || cfg.EmbedDim > 4 {
		return nil, fmt.Errorf("colormlp bottleneck size must be 2..4, got %d", cfg.EmbedDim)
	}
	if cfg.Hidden < 1 {
		return nil, fmt.Errorf("colormlp hidden size must be >= 1, got %d", cfg.Hidden)
	}
	return &ColorMLP{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (m *ColorMLP) Config() ColorMLPConfig { return m.cfg }

// Name implements Model: "ColorMLP".
func (m *ColorMLP) Name() string { return "ColorMLP" }

// EmbedDim implements Model: the bottleneck size.
func (m *ColorMLP) EmbedDim() int { return m.cfg.EmbedDim }

// TapNames implements Model: "fc1" (encoder hidden), "fc2" (bottleneck), "fc3" (decoder
// hidden), "fc4" (reconstruction).
func (m *ColorMLP) TapNames() []string { return []string{"fc1", "fc2", "fc3", "fc4"} }

// Build implements Model: x is [batch, 3] RGB in [0, 1]; Reconstruction [batch, 3],
// Embedding [batch, EmbedDim].
func (m *ColorMLP) Build(scope *model.Scope, x *Node, train bool, taps []string) Output {
	checkInput("colormlp", x, []int{3})
	setTraining(scope, x, train)
	rec := newTapRecorder("colormlp", m.TapNames(), taps)
	h := gelu(dense(scope.In("fc1"), x, m.cfg.Hidden))
	rec.record("fc1", h)
	z := dense(scope.In("fc2"), h, m.cfg.EmbedDim)
	if m.cfg.UnitNorm {
		z = L2NormalizeWithEpsilon(z, 1e-6, -1)
	}
	rec.record("fc2", z)
	h = gelu(dense(scope.In("fc3"), z, m.cfg.Hidden))
	rec.record("fc3", h)
	recon := Sigmoid(dense(scope.In("fc4"), h, 3))
	rec.record("fc4", recon)
	return linkOutputs(Output{Reconstruction: recon, Embedding: z, Taps: rec.taps})
}

// ReconstructionLoss returns the colormlp's training loss: the mean squared error between the
// reconstruction recon [batch, 3] and the input target [batch, 3], mean over all values
// (PyTorch's nn.MSELoss(), seed 003).
func (m *ColorMLP) ReconstructionLoss(recon, target *Node) *Node {
	return ReduceAllMean(Square(Sub(recon, target)))
}

// gelu is the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)).
func gelu(x *Node) *Node {
	return Mul(MulScalar(x, 0.5), OnePlus(Erf(MulScalar(x, 1/math.Sqrt2))))
}
