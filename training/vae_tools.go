package training

import (
	"errors"
	"fmt"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// VAEDecoder decodes latent vectors with the trained decoder of a VAE run (its newest
// checkpoint), for notebooks: samples, traversals, manifolds, prototypes. Unlike
// models.VAE.Decode, which compiles a graph at every call, it compiles the decoder once per
// batch size, so decoding one vector at a time (sliders, grids) is cheap.
type VAEDecoder struct {
	// VAE is the rebuilt model.
	VAE *models.VAE
	// Latent is the latent size d.
	Latent int
	// ImageShape is one decoded image's shape [H, W, C] ([28, 28, 1]).
	ImageShape []int
	exec       *model.Exec
}

// NewVAEDecoder loads the decoder of a run trained with the "vae" model.
func NewVAEDecoder(run *Run) (*VAEDecoder, error) {
	m, store, err := LoadModel(run)
	if err != nil {
		return nil, err
	}
	vae, ok := m.(*models.VAE)
	if !ok {
		return nil, fmt.Errorf("training: run %s is a %s, not a VAE: it has no decoder", run.ID(), m.Name())
	}
	b, err := ebackend.New()
	if err != nil {
		return nil, err
	}
	d := &VAEDecoder{VAE: vae, Latent: vae.Config().Latent, ImageShape: []int{28, 28, 1}}
	d.exec, err = model.NewExec(b, store, func(scope *model.Scope, z *Node) []*Node {
		n := z.Shape().Dimensions[0]
		return []*Node{Reshape(vae.DecodeGraph(scope, z), n, -1), KeepAlive(z.Graph())}
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Decode decodes z, a list of latent vectors of length Latent, into one image per vector: [k]
// rows of H*W*C values in [0, 1] (HWC, row-major).
func (d *VAEDecoder) Decode(z [][]float32) ([][]float32, error) {
	if d == nil || d.exec == nil {
		return nil, errors.New("training: VAEDecoder not loaded (use NewVAEDecoder)")
	}
	if len(z) == 0 {
		return nil, nil
	}
	flat := make([]float32, 0, len(z)*d.Latent)
	for i, v := range z {
		if len(v) != d.Latent {
			return nil, fmt.Errorf("training: VAEDecoder: latent vector %d has length %d, want %d", i, len(v), d.Latent)
		}
		flat = append(flat, v...)
	}
	var outs []*tensors.Tensor
	var execErr error
	if err := exceptions.TryCatch[error](func() {
		outs, execErr = d.exec.Exec(tensors.FromFlatDataAndDimensions(flat, len(z), d.Latent))
	}); err != nil {
		return nil, err
	}
	if execErr != nil {
		return nil, execErr
	}
	defer finalizeAll(outs)
	pixels := tensors.MustCopyFlatData[float32](outs[0])
	size := len(pixels) / len(z)
	images := make([][]float32, len(z))
	for i := range images {
		images[i] = pixels[i*size : (i+1)*size : (i+1)*size]
	}
	return images, nil
}
