package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	. "github.com/gomlx/gomlx/support/exceptions"
)

// VAEConfig configures NewVAE. The zero value of each field means its stated default.
type VAEConfig struct {
	// Latent is the latent size (the embedding size). Default 2.
	Latent int
	// Channels are the encoder's two stride-2 conv channel counts (the decoder mirrors them).
	// Default [32, 64].
	Channels []int
	// Hidden is the dense layer size between the conv stack and the latent. Default 128.
	Hidden int
	// KLDWeight multiplies the KL divergence in the loss (the seed's kld_weight). nil means 1;
	// new(0.0) drops the KL term (the encoder's variance is then unconstrained: a plain
	// autoencoder whose codes are the means). Must be >= 0.
	KLDWeight *float64
}

// VAE is a convolutional variational autoencoder for 28x28x1 images in [0, 1]:
//
//	encoder: conv3x3 stride 2 (Channels[0]) + ReLU ("enc1", [batch, 14*14*Channels[0]])
//	         conv3x3 stride 2 (Channels[1]) + ReLU ("enc2", [batch, 7*7*Channels[1]])
//	         dense(Hidden) + ReLU ("enc3") -> mean, log-variance: dense(Latent) each
//	z = mean + exp(logvar/2)*eps while training (eps ~ N(0, 1)); z = mean otherwise
//	decoder (Decode): dense(Hidden)+ReLU, dense(7*7*Channels[1])+ReLU, upsample 2x + conv3x3
//	         (Channels[0]) + ReLU, upsample 2x + conv3x3(1) + sigmoid -> [batch, 28, 28, 1]
//
// The embedding is the latent mean [batch, Latent] (tap "mean"; "logvar" is also a tap). The
// training loss is BCE(reconstruction, x) summed per image + KLDWeight*KLD, both averaged
// over the batch, KLD = -1/2 sum(1 + logvar - mean^2 - exp(logvar)); Output.ExtraLoss carries
// KLDWeight*KLD.
type VAE struct {
	cfg VAEConfig
}

// vaeConfigFrom maps registry Options onto VAEConfig.
func vaeConfigFrom(o Options) VAEConfig {
	c := VAEConfig{Latent: o.Latent, Channels: o.Hidden, KLDWeight: o.KLDWeight}
	if c.Latent == 0 {
		c.Latent = o.EmbedDim
	} else if o.EmbedDim != 0 && o.EmbedDim != o.Latent {
		c.Latent = -1 // Rejected by NewVAE.
	}
	if o.InputShape != nil && !(len(o.InputShape) == 3 && o.InputShape[0] == 28 && o.InputShape[1] == 28 && o.InputShape[2] == 1) {
		c.Hidden = -1 // Rejected by NewVAE.
	}
	return c
}

// NewVAE validates cfg, fills in defaults and returns the model.
func NewVAE(cfg VAEConfig) (*VAE, error) {
	if cfg.Hidden == -1 {
		return nil, fmt.Errorf("vae takes 28x28x1 images: input shape must be [28, 28, 1]")
	}
	cfg.Latent = orDefault(cfg.Latent, 2)
	if cfg.Channels == nil {
		cfg.Channels = []int{32, 64}
	}
	cfg.Hidden = orDefault(cfg.Hidden, 128)
	if cfg.KLDWeight == nil {
		cfg.KLDWeight = new(1.0)
	} else {
		cfg.KLDWeight = new(*cfg.KLDWeight) // the model keeps its own copy
	}
	if cfg.Latent < 1 {
		return nil, fmt.Errorf("vae latent size must be >= 1 (and equal to the embed dim if both are set), got %d", cfg.Latent)
	}
	if len(cfg.Channels) != 2 || cfg.Channels[0] < 1 || cfg.Channels[1] < 1 {
		return nil, fmt.Errorf("vae takes 2 conv channel counts >= 1, got %v", cfg.Channels)
	}
	if cfg.Hidden < 1 || !(*cfg.KLDWeight >= 0) || math.IsInf(*cfg.KLDWeight, 1) {
		return nil, fmt.Errorf("vae hidden size %d must be >= 1 and kld weight %g finite and >= 0", cfg.Hidden, *cfg.KLDWeight)
	}
	return &VAE{cfg: cfg}, nil
}

// Config returns the configuration with defaults filled in.
func (m *VAE) Config() VAEConfig {
	c := m.cfg
	c.KLDWeight = new(*m.cfg.KLDWeight)
	c.Channels = append([]int(nil), m.cfg.Channels...)
	return c
}

// Name implements Model: "VAE".
func (m *VAE) Name() string { return "VAE" }

// EmbedDim implements Model: the latent size.
func (m *VAE) EmbedDim() int { return m.cfg.Latent }

// TapNames implements Model: "enc1", "enc2", "enc3", "mean", "logvar".
func (m *VAE) TapNames() []string { return []string{"enc1", "enc2", "enc3", "mean", "logvar"} }

// Build implements Model: x is [batch, 28, 28, 1] in [0, 1]; Reconstruction [batch, 28, 28, 1],
// Embedding (latent mean) [batch, Latent], ExtraLoss KLDWeight*KLD.
func (m *VAE) Build(scope *model.Scope, x *Node, train bool, taps []string) Output {
	checkInput("vae", x, []int{28, 28, 1})
	setTraining(scope, x, train)
	rec := newTapRecorder("vae", m.TapNames(), taps)
	enc := scope.In("encoder")
	h := ReLU(Conv2D(enc.In("enc1"), x).Channels(m.cfg.Channels[0]).Strides(2).Done()) // [batch, 14, 14, c0]
	rec.record("enc1", h)
	h = ReLU(Conv2D(enc.In("enc2"), h).Channels(m.cfg.Channels[1]).Strides(2).Done()) // [batch, 7, 7, c1]
	rec.record("enc2", h)
	h = ReLU(dense(enc.In("enc3"), flatten(h), m.cfg.Hidden))
	rec.record("enc3", h)
	mean := dense(enc.In("mean"), h, m.cfg.Latent)
	logVar := dense(enc.In("logvar"), h, m.cfg.Latent)
	rec.record("mean", mean)
	rec.record("logvar", logVar)
	z := mean
	if train {
		eps := scope.RandomNormal(x.Graph(), mean.Shape())
		z = Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
	}
	recon := m.DecodeGraph(scope, z)
	// KLD per example, averaged over the batch.
	kld := MulScalar(ReduceSum(Sub(Sub(OnePlus(logVar), Square(mean)), Exp(logVar)), -1), -0.5)
	extra := MulScalar(ReduceAllMean(kld), *m.cfg.KLDWeight)
	return linkOutputs(Output{Reconstruction: recon, Embedding: mean, ExtraLoss: extra, Taps: rec.taps})
}

// DecodeGraph builds the decoder under scope's "decoder" sub-scope (the same variables as
// Build): z [batch, Latent] -> images [batch, 28, 28, 1] in [0, 1].
func (m *VAE) DecodeGraph(scope *model.Scope, z *Node) *Node {
	if z.Rank() != 2 || z.Shape().Dimensions[1] != m.cfg.Latent {
		Panicf("models: VAE decoder takes z [batch, %d], got %s", m.cfg.Latent, z.Shape())
	}
	dec := scope.In("decoder")
	c0, c1 := m.cfg.Channels[0], m.cfg.Channels[1]
	h := ReLU(dense(dec.In("dec1"), z, m.cfg.Hidden))
	h = ReLU(dense(dec.In("dec2"), h, 7*7*c1))
	h = Reshape(h, -1, 7, 7, c1)
	h = ReLU(Conv2D(dec.In("dec3"), upsample2(h)).Channels(c0).Done()) // [batch, 14, 14, c0]
	h = Conv2D(dec.In("dec4"), upsample2(h)).Channels(1).Done()        // [batch, 28, 28, 1]
	return Sigmoid(h)
}

// upsample2 is 2x nearest-neighbor upsampling of x [batch, h, w, c] -> [batch, 2h, 2w, c].
func upsample2(x *Node) *Node {
	d := x.Shape().Dimensions
	x = Reshape(x, d[0], d[1], 1, d[2], 1, d[3])
	x = BroadcastToDims(x, d[0], d[1], 2, d[2], 2, d[3])
	return Reshape(x, d[0], 2*d[1], 2*d[2], d[3])
}

// Decode runs the decoder with the weights in store (e.g. restored from a run's checkpoint with
// checkpoint.Build(store).Dir(dir).Done()): z is a list of latent vectors, each of length
// Latent; it returns one 28*28 image per vector, row-major, values in [0, 1]. The store must
// hold trained decoder variables: Decode fails rather than decode with fresh random weights.
func (m *VAE) Decode(backend compute.Backend, store *model.Store, z [][]float32) (images [][]float32, err error) {
	if len(z) == 0 {
		return nil, nil
	}
	flat := make([]float32, 0, len(z)*m.cfg.Latent)
	for i, v := range z {
		if len(v) != m.cfg.Latent {
			return nil, fmt.Errorf("models: VAE.Decode: latent vector %d has length %d, want %d", i, len(v), m.cfg.Latent)
		}
		flat = append(flat, v...)
	}
	if store.GetVariable(model.JoinPath(model.RootScopePath, "decoder", "dec1", "dense", "weights")) == nil {
		return nil, fmt.Errorf("models: VAE.Decode: the store has no decoder weights (train the model or load its checkpoint first)")
	}
	err = TryCatch[error](func() {
		out := model.MustExecOnce(backend, store, func(scope *model.Scope, z *Node) *Node {
			return Reshape(m.DecodeGraph(scope, z), -1, 28*28)
		}, tensors.FromFlatDataAndDimensions(flat, len(z), m.cfg.Latent))
		pixels := tensors.MustCopyFlatData[float32](out)
		images = make([][]float32, len(z))
		for i := range images {
			images[i] = pixels[i*28*28 : (i+1)*28*28]
		}
	})
	if err != nil {
		return nil, fmt.Errorf("models: VAE.Decode: %w", err)
	}
	return images, nil
}

// DecoderLayer is one step of a decoder's forward pass with its parameters, for running the
// decoder outside a graph (vizlib's in-browser decoder). Activations are [h, w, c] row-major
// (HWC) for one latent vector, or [n] vectors.
type DecoderLayer struct {
	// Op is one of
	//   "dense":     y = x·W + b, x [in], W [in, out] (row-major), b [out];
	//   "reshape":   x [n] -> Shape (no data moves);
	//   "upsample2": nearest-neighbour 2x, [h, w, c] -> [2h, 2w, c];
	//   "conv":      same-padded, stride-1 KxK convolution (cross-correlation, padding (K-1)/2
	//                before and K/2 after), x [h, w, cin], W [K, K, cin, cout], b [cout];
	//   "relu", "sigmoid": elementwise.
	Op string
	// Shape is W's shape (dense, conv) or the output shape (reshape); nil for the others.
	Shape []int
	// W and B are the weights and biases (dense, conv), float32, in GoMLX's variable layouts.
	W, B []float32
}

// DecoderLayers returns the decoder of DecodeGraph as a list of layers with the weights held in
// store (e.g. restored from a run's checkpoint): running them in order on z [Latent] gives the
// image [28, 28, 1] that Decode gives. The store must hold trained decoder variables.
func (m *VAE) DecoderLayers(store *model.Store) ([]DecoderLayer, error) {
	c0, c1 := m.cfg.Channels[0], m.cfg.Channels[1]
	param := func(layer, kind, name string, shape ...int) ([]float32, error) {
		path := model.JoinPath(model.RootScopePath, "decoder", layer, kind, name)
		v := store.GetVariable(path)
		if v == nil {
			return nil, fmt.Errorf("models: VAE.DecoderLayers: the store has no variable %s (train the model or load its checkpoint first)", path)
		}
		t, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("models: VAE.DecoderLayers: %s: %w", path, err)
		}
		size := 1
		for _, d := range shape {
			size *= d
		}
		if !slices.Equal(t.Shape().Dimensions, shape) {
			return nil, fmt.Errorf("models: VAE.DecoderLayers: %s is %s, want %v", path, t.Shape(), shape)
		}
		data, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("models: VAE.DecoderLayers: %s: %w", path, err)
		}
		if len(data) != size {
			return nil, fmt.Errorf("models: VAE.DecoderLayers: %s has %d values, want %d", path, len(data), size)
		}
		return data, nil
	}
	layer := func(op, name, kind string, shape ...int) (DecoderLayer, error) {
		w, err := param(name, kind, "weights", shape...)
		if err != nil {
			return DecoderLayer{}, err
		}
		b, err := param(name, kind, "biases", shape[len(shape)-1])
		if err != nil {
			return DecoderLayer{}, err
		}
		return DecoderLayer{Op: op, Shape: shape, W: w, B: b}, nil
	}
	var out []DecoderLayer
	for _, l := range []struct {
		op, name, kind string
		shape          []int
		then           []DecoderLayer
	}{
		{"dense", "dec1", "dense", []int{m.cfg.Latent, m.cfg.Hidden}, []DecoderLayer{{Op: "relu"}}},
		{"dense", "dec2", "dense", []int{m.cfg.Hidden, 7 * 7 * c1}, []DecoderLayer{{Op: "relu"}, {Op: "reshape", Shape: []int{7, 7, c1}}, {Op: "upsample2"}}},
		{"conv", "dec3", "conv", []int{3, 3, c1, c0}, []DecoderLayer{{Op: "relu"}, {Op: "upsample2"}}},
		{"conv", "dec4", "conv", []int{3, 3, c0, 1}, []DecoderLayer{{Op: "sigmoid"}}},
	} {
		d, err := layer(l.op, l.name, l.kind, l.shape...)
		if err != nil {
			return nil, err
		}
		out = append(append(out, d), l.then...)
	}
	return out, nil
}
