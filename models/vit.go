package models

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// ViT pooling modes (ViTConfig.Pool, Options.Pool).
const (
	PoolCLS  = "cls"
	PoolMean = "mean"
)

// ViTConfig configures NewViT. The zero value of each field means its stated default.
type ViTConfig struct {
	// InputShape is one image's [height, width, channels]. Default [32, 32, 3] (CIFAR-10).
	InputShape []int
	// PatchSize is the side of the square patches; it must divide height and width. Default 4.
	PatchSize int
	// EmbedDim is the token width of the transformer and the embedding size. Default 256.
	EmbedDim int
	// Depth is the number of transformer blocks. Default 4.
	Depth int
	// Heads is the number of attention heads; it must divide EmbedDim. Default 4.
	Heads int
	// MLPRatio is the blocks' MLP hidden size over EmbedDim. Default 2.
	MLPRatio int
	// Pool is "cls" (a learned class token, the default) or "mean" (mean over patch tokens).
	Pool string
	// NumClasses is the number of logits. Default 10.
	NumClasses int
	// Dropout is applied to the embedding before the classifier during training. Default 0.
	Dropout float64
}

// ViT is a small Vision Transformer:
//
//	patches (PatchSize x PatchSize, flattened) -> dense(EmbedDim) -> [+ class token] + learned
//	positional embedding -> Depth pre-norm blocks (x += MHA(LN(x)); x += MLP(LN(x)), MLP =
//	dense(MLPRatio*EmbedDim) + GELU + dense(EmbedDim)) -> LN -> pool (class token or mean)
//	-> embedding [batch, EmbedDim] -> dense(NumClasses) logits.
//
// GELU is the plain-op tanh approximation (models.GELU) and softmax is written with plain ops,
// so the model runs on the Go backend without its hang-prone fused ops. Taps: "patch_embed"
// (mean over patch tokens after the patch projection) and "block1".."block<Depth>" (each block's
// output pooled like the embedding: class token or mean), all [batch, EmbedDim].
type ViT struct {
	cfg ViTConfig
}

// vitConfigFrom maps registry Options onto ViTConfig.
func vitConfigFrom(o Options) ViTConfig {
	return ViTConfig{InputShape: o.InputShape, PatchSize: o.PatchSize, EmbedDim: o.EmbedDim, Depth: o.Depth,
		Heads: o.Heads, Pool: o.Pool, NumClasses: o.NumClasses, Dropout: o.Dropout}
}

// NewViT validates cfg, fills in defaults and returns the model.
func NewViT(cfg ViTConfig) (*ViT, error) {
	if cfg.InputShape == nil {
		cfg.InputShape = []int{32, 32, 3}
	}
	cfg.PatchSize = orDefault(cfg.PatchSize, 4)
	cfg.EmbedDim = orDefault(cfg.EmbedDim, 256)
	cfg.Depth = orDefault(cfg.Depth, 4)
	cfg.Heads = orDefault(cfg.Heads, 4)
	cfg.MLPRatio = orDefault(cfg.MLPRatio, 2)
	cfg.Pool = orDefault(cfg.Pool, PoolCLS)
	cfg.NumClasses = orDefault(cfg.NumClasses, 10)
	if len(cfg.InputShape) != 3 || cfg.InputShape[2] < 1 {
		return nil, fmt.Errorf("vit input shape must be [height, width, channels], got %v", cfg.InputShape)
	}
	p := cfg.PatchSize
	if p < 1 || cfg.InputShape[0]%p != 0 || cfg.InputShape[1]%p != 0 {
		return nil, fmt.Errorf("vit patch size %d must divide the image size %dx%d", p, cfg.InputShape[0], cfg.InputShape[1])
	}
	if cfg.EmbedDim < 1 || cfg.Heads < 1 || cfg.EmbedDim%cfg.Heads != 0 {
		return nil, fmt.Errorf("vit heads (%d) must divide the embed dim (%d)", cfg.Heads, cfg.EmbedDim)
	}
	if cfg.Depth < 1 || cfg.MLPRatio < 1 || cfg.NumClasses < 2 {
		return nil, fmt.Errorf("vit depth %d, mlp ratio %d must be >= 1 and num classes %d >= 2", cfg.Depth, cfg.MLPRatio, cfg.NumClasses)
	}
	if cfg.Pool != PoolCLS && cfg.Pool != PoolMean {
		return nil, fmt.Errorf("vit pool must be %q or %q, got %q", PoolCLS, PoolMean, cfg.Pool)
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("dropout %g must be in [0, 1)", cfg.Dropout)
	}
	return &ViT{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (m *ViT) Config() ViTConfig { return m.cfg }

// Name implements Model: "ViT".
func (m *ViT) Name() string { return "ViT" }

// EmbedDim implements Model.
func (m *ViT) EmbedDim() int { return m.cfg.EmbedDim }

// TapNames implements Model: "patch_embed", "block1".."block<Depth>".
func (m *ViT) TapNames() []string {
	names := []string{"patch_embed"}
	for i := range m.cfg.Depth {
		names = append(names, fmt.Sprintf("block%d", i+1))
	}
	return names
}

// Build implements Model: x is [batch, H, W, C] float32; Logits [batch, NumClasses],
// Embedding [batch, EmbedDim].
func (m *ViT) Build(scope *model.Scope, x *Node, train bool, taps []string) Output {
	checkInput("vit", x, m.cfg.InputShape)
	setTraining(scope, x, train)
	rec := newTapRecorder("vit", m.TapNames(), taps)
	g := x.Graph()
	d := m.cfg.EmbedDim
	batch := x.Shape().Dimensions[0]
	h, w, c, p := m.cfg.InputShape[0], m.cfg.InputShape[1], m.cfg.InputShape[2], m.cfg.PatchSize
	numPatches := (h / p) * (w / p)
	// Patchify: [batch, h/p, p, w/p, p, c] -> [batch, h/p, w/p, p, p, c] -> [batch, T, p*p*c].
	x = Reshape(x, batch, h/p, p, w/p, p, c)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5)
	x = Reshape(x, batch, numPatches, p*p*c)
	x = dense(scope.In("patch_embed"), x, d) // [batch, T, d]
	rec.record("patch_embed", ReduceMean(x, 1))
	tokens := numPatches
	if m.cfg.Pool == PoolCLS {
		cls := scope.In("cls").WithInitializer(initializer.RandomNormalFn(scope, 0.02)).
			VariableWithShape("token", shapes.Make(x.DType(), 1, 1, d)).NodeValue(g)
		x = Concatenate([]*Node{BroadcastToDims(cls, batch, 1, d), x}, 1)
		tokens++
	}
	pos := scope.In("pos_embed").WithInitializer(initializer.RandomNormalFn(scope, 0.02)).
		VariableWithShape("embeddings", shapes.Make(x.DType(), 1, tokens, d)).NodeValue(g)
	x = Add(x, pos)
	pool := func(x *Node) *Node {
		if m.cfg.Pool == PoolCLS {
			return Reshape(Slice(x, AxisRange(), AxisRange(0, 1), AxisRange()), batch, d)
		}
		return ReduceMean(x, 1)
	}
	for i := range m.cfg.Depth {
		name := fmt.Sprintf("block%d", i+1)
		bs := scope.In("%s", name)
		x = Add(x, m.attention(bs.In("attention"), norm.LayerNorm(bs.In("ln1"), x, -1).Done()))
		y := norm.LayerNorm(bs.In("ln2"), x, -1).Done()
		y = GELU(dense(bs.In("mlp1"), y, m.cfg.MLPRatio*d))
		x = Add(x, dense(bs.In("mlp2"), y, d))
		if rec.want[name] {
			rec.record(name, pool(x))
		}
	}
	x = norm.LayerNorm(scope.In("ln_final"), x, -1).Done()
	embedding := pool(x)
	logits := dense(scope.In("head"), dropout(scope, embedding, m.cfg.Dropout), m.cfg.NumClasses)
	return linkOutputs(Output{Logits: logits, Embedding: embedding, Taps: rec.taps})
}

// attention is multi-head self-attention of x [batch, tokens, d] -> [batch, tokens, d], with the
// softmax written with plain ops.
func (m *ViT) attention(scope *model.Scope, x *Node) *Node {
	dims := x.Shape().Dimensions
	batch, tokens, d := dims[0], dims[1], dims[2]
	heads := m.cfg.Heads
	dh := d / heads
	split := func(name string) *Node { // [batch, heads, tokens, dh]
		y := dense(scope.In("%s", name), x, d)
		return TransposeAllAxes(Reshape(y, batch, tokens, heads, dh), 0, 2, 1, 3)
	}
	q, k, v := split("query"), split("key"), split("value")
	scores := MulScalar(Einsum("bhqd,bhkd->bhqk", q, k), 1/math.Sqrt(float64(dh)))
	scores = Sub(scores, StopGradient(ReduceAndKeep(scores, ReduceMax, -1)))
	e := Exp(scores)
	attn := Div(e, ReduceAndKeep(e, ReduceSum, -1))
	out := Einsum("bhqk,bhkd->bhqd", attn, v) // [batch, heads, tokens, dh]
	out = Reshape(TransposeAllAxes(out, 0, 2, 1, 3), batch, tokens, d)
	return dense(scope.In("output"), out, d)
}
