package training

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
)

// Regularizers are the embedding regularizers of the color experiment. The fields are the
// default weights (0 = off), which a curriculum's property columns (PropSeparation, ...)
// override step by step. All act on the embedding z [batch, d] of the training batch, except the
// anchor regularizer, which acts on the anchor points.
type Regularizers struct {
	// Separation weights the mean inverse squared distance between the batch's points,
	// measured in SeparationDims: mean_{i≠j} 1 / (Σ_{k∈dims} (z_ik - z_jk)² + SeparationEps)
	// (seed 003's Separate((0, 1))). It pushes points apart.
	Separation float64 `json:"separation,omitempty"`
	// SeparationDims are the embedding dimensions the separation distance uses. nil means the
	// first two, (0, 1), as the seed.
	SeparationDims []int `json:"separation_dims,omitempty"`
	// SeparationEps keeps the inverse distance finite for coinciding points. Default 1e-6 (the
	// seed's epsilon).
	SeparationEps float64 `json:"separation_eps,omitempty"`
	// Planarity weights mean_{i, k>=2} z_ik² (seed 003's planarity: the mean over the batch and
	// the dimensions after the first two): it flattens the embedding onto its first two dims.
	Planarity float64 `json:"planarity,omitempty"`
	// UnitNorm weights mean_i (|z_i| - 1)²: it pulls points onto the unit sphere.
	UnitNorm float64 `json:"unit_norm,omitempty"`
	// Anchor weights mean_a |z(x_a) - z_a|², where x_a are the anchor points and z_a their
	// embeddings recorded when the ActionAnchor action fired (zero before it fires).
	Anchor float64 `json:"anchor,omitempty"`
	// AnchorIndices are the anchor points: indices into the training split. nil means up to 32
	// points spread evenly over the evaluation subset (which is class-balanced).
	AnchorIndices []int32 `json:"anchor_indices,omitempty"`
}

// any reports whether some regularizer has a non-zero default weight.
func (r Regularizers) any() bool {
	return r.Separation != 0 || r.Planarity != 0 || r.UnitNorm != 0 || r.Anchor != 0
}

// check validates dimensions against the embedding size d.
func (r Regularizers) check(d int) error {
	for _, k := range r.SeparationDims {
		if k < 0 || k >= d {
			return fmt.Errorf("training: separation dimension %d out of range [0, %d) for embedding dim %d", k, d, d)
		}
	}
	if r.SeparationEps < 0 {
		return fmt.Errorf("training: separation eps %g must be >= 0", r.SeparationEps)
	}
	return nil
}

// SeparationLoss returns the scalar mean over pairs i≠j of 1/(Σ_{k∈dims} (z_ik-z_jk)² + eps)
// for z [batch, d]; dims nil means (0, 1) (all dimensions when d < 2). batch must be >= 2.
func SeparationLoss(z *Node, dims []int, eps float64) *Node {
	g := z.Graph()
	n, d := z.Shape().Dimensions[0], z.Shape().Dimensions[1]
	mask := make([]float32, d)
	if dims == nil {
		for k := range mask {
			mask[k] = 1
		}
		if d > 2 {
			dims = []int{0, 1}
			clear(mask)
		}
	}
	for _, k := range dims {
		mask[k] = 1
	}
	diff := Sub(InsertAxes(z, 1), InsertAxes(z, 0)) // [n, n, d]
	sq := Mul(Square(diff), Reshape(Const(g, mask), 1, 1, d))
	dist := ReduceSum(sq, -1) // [n, n]
	inv := Reciprocal(AddScalar(dist, eps))
	offDiag := OneMinus(ConvertDType(Diagonal(g, n), dtypes.Float32))
	total := ReduceAllSum(Mul(inv, offDiag))
	return DivScalar(total, float64(n*(n-1)))
}

// PlanarityLoss returns mean_{i, k>=2} z_ik² for z [batch, d] (zero when d <= 2), seed 003's
// torch.mean(latents[:, 2:] ** 2).
func PlanarityLoss(z *Node) *Node {
	d := z.Shape().Dimensions[1]
	if d <= 2 {
		return ScalarZero(z.Graph(), z.DType())
	}
	rest := Slice(z, AxisRange(), AxisRange(2, d))
	return ReduceAllMean(Square(rest))
}

// UnitNormLoss returns mean_i (|z_i| - 1)² for z [batch, d].
func UnitNormLoss(z *Node) *Node {
	norm := Sqrt(AddScalar(ReduceSum(Square(z), -1), 1e-12))
	return ReduceAllMean(Square(AddScalar(norm, -1)))
}

// AnchorLoss returns mean_{a, k} (z_ak - target_ak)² for z, target [anchors, d], seed 003's
// torch.mean((latents - ref_latents) ** 2).
func AnchorLoss(z, target *Node) *Node {
	return ReduceAllMean(Square(Sub(z, target)))
}
