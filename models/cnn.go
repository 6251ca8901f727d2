package models

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	. "github.com/gomlx/gomlx/support/exceptions"
)

// CNNConfig configures NewCNN. The zero value of each field means its stated default.
type CNNConfig struct {
	// InputShape is one image's [height, width, channels]. Default [28, 28, 1].
	InputShape []int
	// Channels are the output channels of the conv stages, 1 to 3 of them (taps "conv1".."conv3").
	// Default [32, 64] for inputs up to 28x28, [32, 64, 128] for larger inputs (e.g. CIFAR-10).
	Channels []int
	// EmbedDim is the size of the dense layer before the classifier (the embedding, tap "fc1").
	// Default 32 for inputs up to 28x28, 128 for larger inputs.
	EmbedDim int
	// NumClasses is the number of logits (tap "fc2"). Default 10.
	NumClasses int
	// Residual adds, after each stage's first conv, a residual block x + conv(ReLU(conv(x))).
	// Default false.
	Residual bool
	// Norm is applied after every conv and after the embedding dense layer, before the ReLU:
	// "none" (default), "batch" or "layer".
	Norm string
	// Dropout is the dropout rate applied to the embedding before the classifier during training.
	// Default 0.
	Dropout float64
	// TapGrid is the spatial grid that conv taps are average-pooled to, keeping recorded layers
	// small: a conv tap is [batch, TapGrid*TapGrid*channels]. Default 1 (global average pooling,
	// [batch, channels]); -1 records the full stage output flattened, [batch, h*w*channels].
	TapGrid int
}

// CNN is a plain or residual convolutional classifier for images [batch, H, W, C]:
//
//	for each stage i (1..len(Channels)):  y = norm(conv3x3(Channels[i]))
//	    [residual: y = y + norm(conv3x3(ReLU(norm(conv3x3(ReLU(y))))))]
//	    ReLU + maxpool 2x2                                  -> tap "conv<i>"
//	flatten -> dense(EmbedDim) + norm + ReLU (the embedding) -> tap "fc1"
//	dropout -> dense(NumClasses) (the logits)              -> tap "fc2"
//
// With the defaults at 28x28 this is the benchmark network of `embviz bench train`:
// conv3x3(32)+ReLU+maxpool2, conv3x3(64)+ReLU+maxpool2, dense(32)+ReLU, dense(10).
//
// Convolution and pooling use Conv2D and MaxPool2 (im2col and reshape pooling on the Go
// backend). Taps: "conv1".."conv<len(Channels)>" are the stage outputs after pooling, average
// pooled to TapGrid x TapGrid (see CNNConfig.TapGrid); "fc1" is the embedding [batch, EmbedDim];
// "fc2" the logits [batch, NumClasses].
type CNN struct {
	cfg CNNConfig
}

// cnnConfigFrom maps registry Options onto CNNConfig.
func cnnConfigFrom(o Options) CNNConfig {
	return CNNConfig{InputShape: o.InputShape, Channels: o.Hidden, EmbedDim: o.EmbedDim, NumClasses: o.NumClasses,
		Residual: o.Residual, Norm: o.Norm, Dropout: o.Dropout, TapGrid: o.TapGrid}
}

// NewCNN validates cfg, fills in defaults and returns the model.
func NewCNN(cfg CNNConfig) (*CNN, error) {
	if cfg.InputShape == nil {
		cfg.InputShape = []int{28, 28, 1}
	}
	if len(cfg.InputShape) != 3 || cfg.InputShape[0] < 4 || cfg.InputShape[1] < 4 || cfg.InputShape[2] < 1 {
		return nil, fmt.Errorf("cnn input shape must be [height >= 4, width >= 4, channels >= 1], got %v", cfg.InputShape)
	}
	small := cfg.InputShape[0] <= 28 && cfg.InputShape[1] <= 28
	if cfg.Channels == nil {
		if small {
			cfg.Channels = []int{32, 64}
		} else {
			cfg.Channels = []int{32, 64, 128}
		}
	}
	if n := len(cfg.Channels); n < 1 || n > 3 {
		return nil, fmt.Errorf("cnn takes 1 to 3 conv stages, got %d (%v)", n, cfg.Channels)
	}
	h, w := cfg.InputShape[0], cfg.InputShape[1]
	for i, c := range cfg.Channels {
		if c < 1 {
			return nil, fmt.Errorf("conv%d has %d channels, want >= 1", i+1, c)
		}
		if h < 2 || w < 2 {
			return nil, fmt.Errorf("input %dx%d is too small for %d pooling stages", cfg.InputShape[0], cfg.InputShape[1], len(cfg.Channels))
		}
		h, w = h/2, w/2
	}
	cfg.EmbedDim = orDefault(cfg.EmbedDim, map[bool]int{true: 32, false: 128}[small])
	cfg.NumClasses = orDefault(cfg.NumClasses, 10)
	cfg.TapGrid = orDefault(cfg.TapGrid, 1)
	var err error
	if cfg.Norm, err = checkNorm(cfg.Norm); err != nil {
		return nil, err
	}
	if cfg.EmbedDim < 1 || cfg.NumClasses < 2 {
		return nil, fmt.Errorf("embed dim %d and num classes %d must be >= 1 and >= 2", cfg.EmbedDim, cfg.NumClasses)
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("dropout %g must be in [0, 1)", cfg.Dropout)
	}
	if cfg.TapGrid < -1 || cfg.TapGrid == 0 {
		return nil, fmt.Errorf("tap grid %d must be >= 1 or -1", cfg.TapGrid)
	}
	return &CNN{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (m *CNN) Config() CNNConfig { return m.cfg }

// Name implements Model: "CNN", or "ResCNN" for the residual variant.
func (m *CNN) Name() string {
	if m.cfg.Residual {
		return "ResCNN"
	}
	return "CNN"
}

// EmbedDim implements Model.
func (m *CNN) EmbedDim() int { return m.cfg.EmbedDim }

// TapNames implements Model: "conv1".."conv<len(Channels)>", "fc1", "fc2".
func (m *CNN) TapNames() []string {
	var names []string
	for i := range m.cfg.Channels {
		names = append(names, fmt.Sprintf("conv%d", i+1))
	}
	return append(names, "fc1", "fc2")
}

// Build implements Model: x is [batch, H, W, C] float32 (InputShape); Logits [batch, NumClasses],
// Embedding [batch, EmbedDim].
func (m *CNN) Build(scope *model.Scope, x *Node, train bool, taps []string) Output {
	checkInput("cnn", x, m.cfg.InputShape)
	setTraining(scope, x, train)
	rec := newTapRecorder("cnn", m.TapNames(), taps)
	// On the Go backend the conv stack runs in the [channels, h, w, batch] layout (see ConvCHWB);
	// elsewhere in GoMLX's [batch, h, w, channels]. Variables are the same in both.
	chwb := useFastOps(scope, x.Graph())
	chAxis := -1
	if chwb {
		chAxis = 0
		x = TransposeAllAxes(x, 3, 1, 2, 0)
	}
	// On the Go backend the pooling is one ReduceWindow (MaxPool2BiasReLU) and, in inference, the
	// convolutions forward-only ConvGeneral ops (Conv2DBuilder.Inference); without norm or
	// residual blocks, each stage's bias is added after the pooling, to the 4x smaller tensor
	// (max(x)+b = max(x+b)). Same variables, same outputs.
	inference := chwb && !train
	lateBias := chwb && m.cfg.Norm == NormNone && !m.cfg.Residual
	conv := func(s *model.Scope, x *Node, channels int) *Node {
		b := Conv2D(s, x).Channels(channels)
		if chwb {
			b = b.ChannelsFirstBatchLast().Inference(inference).UseBias(!lateBias)
		}
		return applyNormAxis(s, b.Done(), m.cfg.Norm, chAxis)
	}
	for i, channels := range m.cfg.Channels {
		name := fmt.Sprintf("conv%d", i+1)
		s := scope.In("%s", name)
		x = conv(s, x, channels)
		if m.cfg.Residual {
			rs := s.In("residual")
			y := ReLU(conv(rs.In("a"), ReLU(x), channels))
			x = Add(x, conv(rs.In("b"), y, channels))
		}
		switch {
		case lateBias:
			x = MaxPool2BiasReLU(scope, x, convBias(s, x.Graph(), x.DType(), channels), true)
		case chwb:
			x = MaxPool2BiasReLU(scope, x, nil, true)
		default:
			x = MaxPool2ReLU(scope, x, chwb) // == maxpool(relu(x)).
		}
		if rec.want[name] {
			t := x
			if chwb {
				t = TransposeAllAxes(t, 3, 1, 2, 0)
			}
			rec.record(name, avgPoolGrid(t, m.cfg.TapGrid))
		}
	}
	s := scope.In("fc1")
	if chwb {
		x = denseCHWB(s, x, m.cfg.EmbedDim)
	} else {
		x = dense(s, flatten(x), m.cfg.EmbedDim)
	}
	embedding := ReLU(applyNorm(s, x, m.cfg.Norm))
	rec.record("fc1", embedding)
	x = dropout(scope, embedding, m.cfg.Dropout)
	logits := dense(scope.In("fc2"), x, m.cfg.NumClasses)
	rec.record("fc2", logits)
	return linkOutputs(Output{Logits: logits, Embedding: embedding, Taps: rec.taps})
}

// avgPoolGrid average-pools x [batch, h, w, c] to [batch, grid, grid, c] with non-overlapping
// windows of floor(h/grid) x floor(w/grid) (trailing rows/columns dropped). grid -1 returns x.
// When the input is smaller than the grid, the grid shrinks to the input size.
func avgPoolGrid(x *Node, grid int) *Node {
	if grid < 0 {
		return x
	}
	d := x.Shape().Dimensions
	gh, gw := min(grid, d[1]), min(grid, d[2])
	if gh <= 0 || gw <= 0 {
		Panicf("models: cannot pool %s to a %dx%d grid", x.Shape(), grid, grid)
	}
	wh, ww := d[1]/gh, d[2]/gw
	if wh*gh != d[1] || ww*gw != d[2] {
		x = Slice(x, AxisRange(), AxisRange(0, wh*gh), AxisRange(0, ww*gw), AxisRange())
	}
	return ReduceMean(Reshape(x, d[0], gh, wh, gw, ww, d[3]), 2, 4)
}
