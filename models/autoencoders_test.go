package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/embviz/embviz/backend"
)

func TestColorMLPTrains(t *testing.T) {
	for _, unit := range []bool{false, true} {
		m, err := NewColorMLP(ColorMLPConfig{EmbedDim: 3, UnitNorm: unit})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 1))
		losses := trainSteps(t, m, 1e-2, 60, func() ([]float32, []int, []int32) {
			x := make([]float32, 64*3)
			for i := range x {
				x[i] = rng.Float32()
			}
			return x, []int{64, 3}, make([]int32, 64)
		})
		checkDecreasing(t, losses, 0.95)
	}
	if _, err := NewColorMLP(ColorMLPConfig{EmbedDim: 5}); err == nil {
		t.Errorf("bottleneck 5 should be rejected")
	}
}

// TestColorMLPUnitNorm checks that the unit-norm bottleneck has norm 1 and the output is in (0, 1).
func TestColorMLPUnitNorm(t *testing.T) {
	m, _ := NewColorMLP(ColorMLPConfig{EmbedDim: 2, UnitNorm: true})
	outs := model.MustExecOnceN(backend.Must(), model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		out := m.Build(scope, x, false, []string{"fc2"})
		return []*Node{out.Embedding, out.Reconstruction, out.Taps["fc2"]}
	}, [][]float32{{0.1, 0.5, 0.9}, {1, 0, 0}})
	outs[0].Shape().Check(dtypes.Float32, 2, 2)
	outs[1].Shape().Check(dtypes.Float32, 2, 3)
	emb := outs[0].Value().([][]float32)
	for _, e := range emb {
		if n := math.Hypot(float64(e[0]), float64(e[1])); math.Abs(n-1) > 1e-4 {
			t.Errorf("unit-norm bottleneck has norm %g", n)
		}
	}
	for _, r := range outs[1].Value().([][]float32) {
		for _, v := range r {
			if v <= 0 || v >= 1 {
				t.Errorf("reconstruction %g outside (0, 1)", v)
			}
		}
	}
}

// TestVAETrainsAndDecodes trains the VAE, then decodes latent vectors with the trained store and
// with a store restored from a checkpoint: both must give the same images, in [0, 1], and the
// decoder must refuse a store without weights.
func TestVAETrainsAndDecodes(t *testing.T) {
	m, err := NewVAE(VAEConfig{Latent: 2, Channels: []int{8, 16}, Hidden: 32})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 1))
	store := model.NewStore()
	losses := trainStepsStore(t, store, m, 2e-3, 60, func() ([]float32, []int, []int32) {
		x, labels := patternImages(rng, 32, 28, 28, 1)
		for i := range x {
			x[i] = min(x[i], 1)
		}
		return x, []int{32, 28, 28, 1}, labels
	})
	checkDecreasing(t, losses, 0.8)

	be := backend.Must()
	z := [][]float32{{0, 0}, {1, -1}, {-2, 0.5}}
	imgs, err := m.Decode(be, store, z)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 || len(imgs[0]) != 28*28 {
		t.Fatalf("Decode returned %d images of %d pixels, want 3 of 784", len(imgs), len(imgs[0]))
	}
	for _, img := range imgs {
		for _, v := range img {
			if v < 0 || v > 1 || math.IsNaN(float64(v)) {
				t.Fatalf("decoded pixel %g outside [0, 1]", v)
			}
		}
	}
	if maxAbs(imgs[0], imgs[2]) < 1e-6 {
		t.Errorf("different latents decoded to the same image")
	}

	dir := t.TempDir()
	ckpt, err := checkpoint.Build(store).Dir(dir).Done()
	if err != nil {
		t.Fatal(err)
	}
	if err := ckpt.Save(); err != nil {
		t.Fatal(err)
	}
	restored := model.NewStore()
	if _, err := checkpoint.Build(restored).Dir(dir).Done(); err != nil {
		t.Fatal(err)
	}
	imgs2, err := m.Decode(be, restored, z)
	if err != nil {
		t.Fatal(err)
	}
	for i := range imgs {
		if d := maxAbs(imgs[i], imgs2[i]); d > 1e-6 {
			t.Errorf("image %d decoded from the checkpoint differs by %g", i, d)
		}
	}
	if _, err := m.Decode(be, model.NewStore(), z); err == nil {
		t.Errorf("Decode with an empty store should fail")
	}
	if _, err := m.Decode(be, store, [][]float32{{1, 2, 3}}); err == nil {
		t.Errorf("Decode with a wrong latent length should fail")
	}
}

func maxAbs(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

func TestViTTrains(t *testing.T) {
	for _, pool := range []string{PoolCLS, PoolMean} {
		m, err := NewViT(ViTConfig{InputShape: []int{20, 20, 3}, EmbedDim: 32, Depth: 2, Heads: 2, Pool: pool})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(pool, func(t *testing.T) {
			losses := trainSteps(t, m, 2e-3, 30, imageBatches(7, 32, 20, 20, 3))
			checkDecreasing(t, losses, 0.8)
		})
	}
	m, _ := NewViT(ViTConfig{InputShape: []int{8, 8, 3}, EmbedDim: 16, Depth: 2, Heads: 2})
	outs := model.MustExecOnceN(backend.Must(), model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
		out := m.Build(scope, x, false, m.TapNames())
		return []*Node{out.Logits, out.Embedding, out.Taps["patch_embed"], out.Taps["block2"]}
	}, randTensor(1, 3, 8, 8, 3))
	outs[0].Shape().Check(dtypes.Float32, 3, 10)
	for _, o := range outs[1:] {
		o.Shape().Check(dtypes.Float32, 3, 16)
	}
}
