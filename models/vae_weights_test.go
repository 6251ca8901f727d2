package models

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/embviz/embviz/backend"
)

// TestVAEKLDWeight checks that kld_weight = 0 is a valid setting, distinct from the default 1:
// the loss's KL term (Output.ExtraLoss) is 0 with it and positive by default.
func TestVAEKLDWeight(t *testing.T) {
	for _, c := range []struct {
		w    *float64
		want float64
	}{{nil, 1}, {new(0.0), 0}, {new(0.25), 0.25}} {
		m, err := New("vae", Options{Latent: 2, Hidden: []int{4, 8}, KLDWeight: c.w})
		if err != nil {
			t.Fatal(err)
		}
		cfg := m.(*VAE).Config()
		if cfg.KLDWeight == nil || *cfg.KLDWeight != c.want {
			t.Fatalf("KLDWeight %v: the model's weight is %v, want %g", c.w, cfg.KLDWeight, c.want)
		}
		*cfg.KLDWeight = 7 // Config returns a copy
		if got := *m.(*VAE).Config().KLDWeight; got != c.want {
			t.Errorf("changing Config's KLDWeight changed the model's: %g", got)
		}
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		x, _ := patternImages(rng, 4, 28, 28, 1)
		for i := range x {
			x[i] = min(x[i], 1)
		}
		out := model.MustExecOnce(backend.Must(), store, func(scope *model.Scope, x *Node) *Node {
			return m.Build(scope, x, false, nil).ExtraLoss
		}, tensors.FromFlatDataAndDimensions(x, 4, 28, 28, 1))
		extra := tensors.MustCopyFlatData[float32](out)[0]
		if c.want == 0 && extra != 0 || c.want > 0 && !(extra > 0) {
			t.Errorf("KLDWeight %g: ExtraLoss = %g", c.want, extra)
		}
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := NewVAE(VAEConfig{KLDWeight: new(bad)}); err == nil {
			t.Errorf("NewVAE accepted kld weight %g", bad)
		}
	}
}

// runDecoderLayers runs layers (VAE.DecoderLayers) on z in plain Go, float64.
func runDecoderLayers(t *testing.T, layers []DecoderLayer, z []float32) []float32 {
	t.Helper()
	x := make([]float64, len(z))
	for i, v := range z {
		x[i] = float64(v)
	}
	shape := []int{len(z)}
	for _, l := range layers {
		switch l.Op {
		case "dense":
			in, out := l.Shape[0], l.Shape[1]
			y := make([]float64, out)
			for o := range out {
				s := float64(l.B[o])
				for i := range in {
					s += x[i] * float64(l.W[i*out+o])
				}
				y[o] = s
			}
			x, shape = y, []int{out}
		case "reshape":
			shape = l.Shape
		case "upsample2":
			h, w, c := shape[0], shape[1], shape[2]
			y := make([]float64, 4*h*w*c)
			for i := range 2 * h {
				for j := range 2 * w {
					copy(y[(i*2*w+j)*c:(i*2*w+j+1)*c], x[((i/2)*w+j/2)*c:((i/2)*w+j/2+1)*c])
				}
			}
			x, shape = y, []int{2 * h, 2 * w, c}
		case "conv":
			k, cin, cout := l.Shape[0], l.Shape[2], l.Shape[3]
			h, w := shape[0], shape[1]
			lo := (k - 1) / 2
			y := make([]float64, h*w*cout)
			for i := range h {
				for j := range w {
					for o := range cout {
						s := float64(l.B[o])
						for di := range k {
							for dj := range k {
								ii, jj := i+di-lo, j+dj-lo
								if ii < 0 || ii >= h || jj < 0 || jj >= w {
									continue
								}
								for c := range cin {
									s += x[(ii*w+jj)*cin+c] * float64(l.W[((di*k+dj)*cin+c)*cout+o])
								}
							}
						}
						y[(i*w+j)*cout+o] = s
					}
				}
			}
			x, shape = y, []int{h, w, cout}
		case "relu":
			for i := range x {
				x[i] = max(x[i], 0)
			}
		case "sigmoid":
			for i := range x {
				x[i] = 1 / (1 + math.Exp(-x[i]))
			}
		default:
			t.Fatalf("unknown decoder op %q", l.Op)
		}
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// TestVAEDecoderLayers checks that the exported decoder layers, run in plain Go, decode as the
// graph does (the contract vizlib's in-browser decoder relies on).
func TestVAEDecoderLayers(t *testing.T) {
	m, err := NewVAE(VAEConfig{Latent: 3, Channels: []int{4, 8}, Hidden: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.DecoderLayers(model.NewStore()); err == nil {
		t.Errorf("DecoderLayers of an empty store should fail")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	store := model.NewStore()
	trainStepsStore(t, store, m, 3e-3, 20, func() ([]float32, []int, []int32) {
		x, labels := patternImages(rng, 16, 28, 28, 1)
		for i := range x {
			x[i] = min(x[i], 1)
		}
		return x, []int{16, 28, 28, 1}, labels
	})
	layers, err := m.DecoderLayers(store)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, l := range layers {
		ops = append(ops, l.Op)
	}
	if len(layers) != 11 || layers[0].Op != "dense" || len(layers[0].W) != 3*16 || len(layers[2].W) != 16*7*7*8 || len(layers[6].W) != 9*8*4 || len(layers[9].B) != 1 {
		t.Fatalf("decoder layers %v", ops)
	}
	z := make([][]float32, 5)
	for i := range z {
		z[i] = []float32{float32(3 * rng.NormFloat64()), float32(3 * rng.NormFloat64()), float32(3 * rng.NormFloat64())}
	}
	want, err := m.Decode(backend.Must(), store, z)
	if err != nil {
		t.Fatal(err)
	}
	for i := range z {
		got := runDecoderLayers(t, layers, z[i])
		if d := maxAbs(got, want[i]); len(got) != 784 || d > 1e-5 {
			t.Errorf("z %v: the layers decode %d pixels, max |difference| %g from Decode", z[i], len(got), d)
		}
	}
}
