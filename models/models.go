// Package models holds the GoMLX model graphs that embviz trains and visualizes: a CNN (plain and
// residual), a small ViT, an MLP for vector data, the color-bottleneck autoencoder and a
// convolutional VAE. Every model returns its output and its embedding, and optionally named
// intermediate activations ("taps") so that per-layer representations can be recorded.
package models

import (
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Output is what a model's graph returns for a batch of inputs.
type Output struct {
	// Logits is [batch, numClasses] for classifiers; nil for autoencoders.
	Logits *Node
	// Reconstruction is the autoencoder output with the input's shape (colormlp: [batch, 3];
	// vae: [batch, 28, 28, 1]), values in [0, 1]; nil for classifiers.
	Reconstruction *Node
	// Embedding is [batch, embedDim]: the representation embviz visualizes (the layer before the
	// classifier, the bottleneck, or the VAE's latent mean).
	Embedding *Node
	// ExtraLoss is a scalar added to the task loss (e.g. the VAE's kld_weight*KLD); nil if none.
	ExtraLoss *Node
	// Taps maps layer names (e.g. "conv1", "fc1") to activations [batch, ...]; only the names
	// requested in the Build call are present.
	Taps map[string]*Node
}

// Model is implemented by every model in this package.
type Model interface {
	// Name is the short model name used in run ids, e.g. "CNN", "ResCNN", "ViT", "MLP", "ColorMLP", "VAE".
	Name() string
	// EmbedDim is the size of Output.Embedding's last axis.
	EmbedDim() int
	// TapNames lists the layer names that Build can return in Output.Taps.
	TapNames() []string
	// Build builds the graph for a batch x ([batch, H, W, C] images or [batch, features] vectors,
	// float32). train selects training behaviour (dropout, batch-norm updates). taps names the
	// intermediate activations to return; unknown names panic (graph-building code panics).
	Build(scope *model.Scope, x *Node, train bool, taps []string) Output
}
