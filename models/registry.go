package models

import (
	"fmt"
	"sort"
	"strings"
)

// Options configures any model built through New. The zero value of every field means "the
// model's default", stated per field and in each model's config type.
type Options struct {
	// NumClasses is the number of output classes of classifiers (cnn, vit, mlp). Default 10.
	NumClasses int
	// EmbedDim is the embedding size. Defaults: cnn 32 for inputs up to 28x28 and 128 for larger
	// (e.g. 32x32 CIFAR-10); vit 256; mlp 32; colormlp 3 (must be 2..4); vae: see Latent.
	EmbedDim int
	// Residual selects the residual CNN variant (cnn only). Default false.
	Residual bool
	// Norm is the normalization after each conv/dense hidden layer: "none" (default), "batch" or
	// "layer". The ViT always uses layer norm (pre-norm blocks) and ignores it.
	Norm string
	// Dropout is the dropout rate applied to hidden dense layers during training. Default 0.
	Dropout float64
	// InputShape is the shape of one example, without the batch axis: [H, W, C] for images
	// (default [28, 28, 1] for cnn, vae; [32, 32, 3] for vit), [features] for vectors (mlp default
	// [2]; colormlp is always [3]).
	InputShape []int
	// Hidden are hidden layer sizes: mlp hidden layers before the embedding layer (default [64]);
	// colormlp encoder/decoder hidden size (first element, default 32); cnn conv channels
	// (default [32, 64]); vae conv channels (default [32, 64]).
	Hidden []int
	// Latent is the VAE latent size (default 2). EmbedDim, if set for vae, must equal it.
	Latent int
	// UnitNorm makes the colormlp bottleneck unit-norm. Default false.
	UnitNorm bool
	// KLDWeight is the VAE's weight of the KL divergence in its loss (the seed's kld_weight); nil
	// means 1, new(0.0) trains a plain autoencoder with a Gaussian encoder (no KL term).
	KLDWeight *float64 `json:"kld_weight,omitempty"`
	// PatchSize is the ViT patch size (default 4), Depth its number of blocks (default 4),
	// Heads its number of attention heads (default 4).
	PatchSize, Depth, Heads int
	// Pool is the ViT pooling: "cls" (class token, default) or "mean".
	Pool string
	// TapGrid is the tap mode of the cnn's conv layers (CNNConfig.TapGrid): 0 means the default 1
	// (each conv tap averaged over the image, one value per channel); n >= 1 average-pools to an
	// n x n grid; TapFull (-1) records the full activation maps, flattened (h*w*channels values).
	TapGrid int `json:",omitempty"`
}

// TapFull is the Options.TapGrid (and CNNConfig.TapGrid) that records the full activation maps of
// conv layers, flattened, as seed 002 does.
const TapFull = -1

// constructor builds one model from Options.
type constructor func(opts Options) (Model, error)

var registry = map[string]constructor{
	"cnn":      func(o Options) (Model, error) { return NewCNN(cnnConfigFrom(o)) },
	"mlp":      func(o Options) (Model, error) { return NewMLP(mlpConfigFrom(o)) },
	"colormlp": func(o Options) (Model, error) { return NewColorMLP(colorMLPConfigFrom(o)) },
	"vae":      func(o Options) (Model, error) { return NewVAE(vaeConfigFrom(o)) },
	"vit":      func(o Options) (Model, error) { return NewViT(vitConfigFrom(o)) },
}

// Names returns the names known to New, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the model registered under name ("cnn", "colormlp", "mlp", "vae", "vit"; case
// insensitive) configured by opts. Unknown names and invalid options return an error.
func New(name string, opts Options) (Model, error) {
	c, ok := registry[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, fmt.Errorf("models: unknown model %q; known models: %s", name, strings.Join(Names(), ", "))
	}
	m, err := c(opts)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", name, err)
	}
	return m, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
