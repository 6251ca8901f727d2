package models

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	. "github.com/gomlx/gomlx/support/exceptions"

	"github.com/embviz/embviz/backend"
)

// stepTimeout is the watchdog limit for one training step (including the first, which compiles).
const stepTimeout = 60 * time.Second

// watchdog crashes the test binary (with all goroutine stacks) if it is not stopped or reset
// within stepTimeout: a Go-backend scheduler deadlock then fails the test instead of hanging it.
func watchdog(t *testing.T, what string) *time.Timer {
	return time.AfterFunc(stepTimeout, func() {
		fmt.Fprintf(os.Stderr, "%s: watchdog: a step took more than %s (deadlock?)\n", t.Name(), stepTimeout)
		panic(fmt.Sprintf("%s: %s: step took more than %s", t.Name(), what, stepTimeout))
	})
}

// patternImages returns n images [n, h, w, c] in [0, 1] and labels [n] int32: class k (0..9) is
// a bright 4x4 square at a class-specific position on a dim noisy background.
func patternImages(rng *rand.Rand, n, h, w, c int) ([]float32, []int32) {
	x := make([]float32, n*h*w*c)
	labels := make([]int32, n)
	for i := range n {
		k := rng.IntN(10)
		labels[i] = int32(k)
		y0, x0 := (k/5)*(h/2)+2, (k%5)*(w/5)+1
		for y := range h {
			for xx := range w {
				for ch := range c {
					v := 0.2 * rng.Float32()
					if y >= y0 && y < y0+4 && xx >= x0 && xx < x0+4 {
						v += 0.8
					}
					x[((i*h+y)*w+xx)*c+ch] = v
				}
			}
		}
	}
	return x, labels
}

// trainSteps trains m for steps steps on batches from next and returns the per-step losses.
func trainSteps(t *testing.T, m Model, lr float64, steps int, next func() ([]float32, []int, []int32)) []float32 {
	t.Helper()
	return trainStepsStore(t, model.NewStore(), m, lr, steps, next)
}

// trainStepsStore is trainSteps with the given store, which holds the trained weights afterwards.
func trainStepsStore(t *testing.T, store *model.Store, m Model, lr float64, steps int, next func() ([]float32, []int, []int32)) []float32 {
	t.Helper()
	if err := store.SetRNGStateFromSeed(42); err != nil { // Deterministic initialization, dropout and VAE noise.
		t.Fatal(err)
	}
	store.SetParam(optimizer.ParamLearningRate, lr)
	trainer := NewTrainer(backend.Must(), store, m, optimizer.Adam().Done(), nil, nil)
	losses := make([]float32, steps)
	for i := range steps {
		x, dims, labels := next()
		dog := watchdog(t, fmt.Sprintf("%s step %d", m.Name(), i))
		metrics, err := trainer.TrainStep(train.Batch{
			Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, dims...)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, len(labels))},
		})
		dog.Stop()
		if err != nil {
			t.Fatalf("%s step %d: %+v", m.Name(), i, err)
		}
		losses[i] = tensors.ToScalar[float32](metrics[0])
	}
	return losses
}

// checkDecreasing fails unless the mean of the last 5 losses is below frac times the mean of the first 5.
func checkDecreasing(t *testing.T, losses []float32, frac float64) {
	t.Helper()
	mean := func(v []float32) float64 {
		s := 0.0
		for _, x := range v {
			s += float64(x)
		}
		return s / float64(len(v))
	}
	first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
	t.Logf("loss: first 5 steps %.4f, last 5 steps %.4f", first, last)
	if !(last < frac*first) {
		t.Errorf("loss did not decrease enough: first 5 mean %.4f, last 5 mean %.4f (want < %.2fx); all: %v",
			first, last, frac, losses)
	}
}

// imageBatches returns a batch source of pattern images [batch, h, w, c].
func imageBatches(seed uint64, batch, h, w, c int) func() ([]float32, []int, []int32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	return func() ([]float32, []int, []int32) {
		x, labels := patternImages(rng, batch, h, w, c)
		return x, []int{batch, h, w, c}, labels
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range Names() {
		m, err := New(name, Options{})
		if err != nil {
			t.Errorf("New(%q) with defaults: %v", name, err)
			continue
		}
		if m.EmbedDim() <= 0 || len(m.TapNames()) == 0 || m.Name() == "" {
			t.Errorf("%s: EmbedDim %d, TapNames %v, Name %q", name, m.EmbedDim(), m.TapNames(), m.Name())
		}
	}
	_, err := New("resnet", Options{})
	if err == nil || !strings.Contains(err.Error(), "cnn, colormlp, mlp, vae, vit") {
		t.Errorf("unknown model error should list the known names, got %v", err)
	}
	if _, err := New("cnn", Options{Norm: "group"}); err == nil {
		t.Errorf("cnn with norm \"group\" should fail")
	}
	m, err := New("CNN", Options{InputShape: []int{32, 32, 3}})
	if err != nil || m.EmbedDim() != 128 || len(m.TapNames()) != 5 {
		t.Errorf("cnn at 32x32x3: want embed 128 and taps conv1..conv3,fc1,fc2; got %v, %v", m, err)
	}
}

// TestCNNShapesAndTaps builds the CNN variants once (forward only) and checks every output shape.
func TestCNNShapesAndTaps(t *testing.T) {
	for _, cfg := range []CNNConfig{{}, {Residual: true, Norm: NormBatch}, {Norm: NormLayer, TapGrid: -1},
		{InputShape: []int{32, 32, 3}}} {
		m, err := NewCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config()
		x := randTensor(1, 3, c.InputShape[0], c.InputShape[1], c.InputShape[2])
		store := model.NewStore()
		names := m.TapNames()
		outs := model.MustExecOnceN(backend.Must(), store, func(scope *model.Scope, x *Node) []*Node {
			out := m.Build(scope, x, false, names)
			res := []*Node{out.Logits, out.Embedding}
			for _, n := range names {
				res = append(res, out.Taps[n])
			}
			return res
		}, x)
		outs[0].Shape().Check(dtypes.Float32, 3, 10)
		outs[1].Shape().Check(dtypes.Float32, 3, c.EmbedDim)
		h, w := c.InputShape[0], c.InputShape[1]
		for i, ch := range c.Channels {
			h, w = h/2, w/2
			want := ch
			if c.TapGrid == -1 {
				want = h * w * ch
			}
			if err := outs[2+i].Shape().CheckDims(3, want); err != nil {
				t.Errorf("%s %+v tap conv%d: %v", m.Name(), cfg, i+1, err)
			}
		}
		outs[len(outs)-1].Shape().Check(dtypes.Float32, 3, 10)
	}
}

// TestCNNFastMatchesGoMLXLayers checks that the im2col/CHWB CNN computes the same logits as the
// GoMLX-layer CNN (ParamFastOps="never") with the same weights, in inference mode (ConvGeneral
// convolutions, ReduceWindow pooling, the bias after the pooling when there is neither norm nor
// residual blocks) and in training mode (ConvCHWB, MaxPool2ReLU), for the plain, residual and
// batch-norm CNNs.
func TestCNNFastMatchesGoMLXLayers(t *testing.T) {
	for _, cfg := range []CNNConfig{{}, {Residual: true}, {Norm: NormBatch, Channels: []int{8, 16, 16}, InputShape: []int{20, 20, 3}}} {
		m, err := NewCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config()
		x := randTensor(2, 2, c.InputShape[0], c.InputShape[1], c.InputShape[2])
		store := model.NewStore()
		build := func(train bool) func(scope *model.Scope, x *Node) *Node {
			return func(scope *model.Scope, x *Node) *Node { return m.Build(scope, x, train, nil).Logits }
		}
		fast := model.MustExecOnce(backend.Must(), store, build(false), x)
		// The training graph's forward pass, with the same weights (batch norm: in training mode it
		// normalizes with the batch statistics, so only the inference graphs compare there).
		var trainFwd *tensors.Tensor
		if cfg.Norm == "" {
			trainFwd = model.MustExecOnce(backend.Must(), store, build(true), x)
		}
		store.SetParam(ParamFastOps, "never")
		dog := watchdog(t, "reference CNN forward")
		ref := model.MustExecOnce(backend.Must(), store, build(false), x)
		dog.Stop()
		if d := maxAbsDiff(t, fast, ref); d > 1e-4 {
			t.Errorf("%+v: fast CNN logits differ from the GoMLX-layers CNN by %g", cfg, d)
		}
		if trainFwd != nil {
			if d := maxAbsDiff(t, fast, trainFwd); d > 1e-4 {
				t.Errorf("%+v: inference-mode CNN logits differ from the training-mode forward pass by %g", cfg, d)
			}
		}
	}
}

// TestCNNGradientsMatchGoMLXLayers checks the training graph's gradients -- the CHWB convolutions
// with hand-written gradients (ConvCHWBImplicit), the pooling through ReduceWindow and
// SelectAndScatter, the bias after the pooling -- against the GoMLX-layer CNN's
// (ParamFastOps="never"), for the loss and every trainable variable, same weights and batch.
func TestCNNGradientsMatchGoMLXLayers(t *testing.T) {
	for _, cfg := range []CNNConfig{{}, {Residual: true, Channels: []int{4, 8}}} {
		m, err := NewCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		x := randTensor(3, 4, 28, 28, 1)
		labels := tensors.FromFlatDataAndDimensions([]int32{1, 7, 3, 0}, 4)
		store := model.NewStore()
		var names []string
		grads := func(scope *model.Scope, x, labels *Node) []*Node {
			loss := CrossEntropy(m.Build(scope, x, true, nil).Logits, labels)
			var vars []*Node
			names = names[:0]
			for v := range scope.Store().IterVariables() {
				if v.Trainable && v.InUseByGraph(x.Graph()) {
					vars = append(vars, v.NodeValue(x.Graph()))
					names = append(names, v.Scope()+"/"+v.Name())
				}
			}
			return append([]*Node{loss}, Gradient(loss, vars...)...)
		}
		fast := model.MustExecOnceN(backend.Must(), store, grads, x, labels)
		fastNames := slices.Clone(names)
		store.SetParam(ParamFastOps, "never")
		dog := watchdog(t, "reference CNN gradients")
		ref := model.MustExecOnceN(backend.Must(), store, grads, x, labels)
		dog.Stop()
		if !slices.Equal(fastNames, names) || len(fast) != len(ref) || len(fast) < 2 {
			t.Fatalf("%+v: variables differ: %v vs %v", cfg, fastNames, names)
		}
		for i := range fast {
			what := "loss"
			if i > 0 {
				what = names[i-1]
			}
			if d := maxAbsDiff(t, fast[i], ref[i]); d > 2e-4 {
				t.Errorf("%+v: %s differs from the GoMLX-layers CNN's by %g", cfg, what, d)
			}
		}
	}
}

func TestCNNTrains(t *testing.T) {
	for _, tc := range []struct {
		cfg   CNNConfig
		batch int
	}{{CNNConfig{}, 32}, {CNNConfig{Residual: true, Norm: NormBatch, Dropout: 0.1, Channels: []int{8, 16}}, 16}} {
		m, err := NewCNN(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(m.Name(), func(t *testing.T) {
			losses := trainSteps(t, m, 1e-3, 30, imageBatches(3, tc.batch, 28, 28, 1))
			checkDecreasing(t, losses, 0.7)
		})
	}
}

func TestMLPTrains(t *testing.T) {
	m, err := NewMLP(MLPConfig{InputDim: 2, NumClasses: 4, Norm: NormLayer})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 1))
	centers := [][2]float32{{-3, -3}, {3, -3}, {-3, 3}, {3, 3}}
	losses := trainSteps(t, m, 1e-2, 40, func() ([]float32, []int, []int32) {
		x := make([]float32, 64*2)
		labels := make([]int32, 64)
		for i := range labels {
			k := rng.IntN(4)
			labels[i] = int32(k)
			x[2*i] = centers[k][0] + float32(rng.NormFloat64())
			x[2*i+1] = centers[k][1] + float32(rng.NormFloat64())
		}
		return x, []int{64, 2}, labels
	})
	checkDecreasing(t, losses, 0.5)
}

// TestTapsShapes builds every model through the registry once (forward, all taps) and checks that
// every tap is [batch, features] and that an unknown tap name panics.
func TestTapsShapes(t *testing.T) {
	inputs := map[string]Options{
		"cnn":      {},
		"mlp":      {InputShape: []int{2}},
		"colormlp": {},
		"vae":      {Latent: 3},
		"vit":      {InputShape: []int{8, 8, 3}, EmbedDim: 16, Depth: 2, Heads: 2},
	}
	shapesOf := map[string][]int{"cnn": {28, 28, 1}, "mlp": {2}, "colormlp": {3}, "vae": {28, 28, 1}, "vit": {8, 8, 3}}
	for name, opts := range inputs {
		m, err := New(name, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("model %s", name)
		dims := append([]int{2}, shapesOf[name]...)
		x := randTensor(9, dims...)
		taps := m.TapNames()
		outs := model.MustExecOnceN(backend.Must(), model.NewStore(), func(scope *model.Scope, x *Node) []*Node {
			out := m.Build(scope, x, false, taps)
			res := []*Node{out.Embedding}
			for _, n := range taps {
				res = append(res, out.Taps[n])
			}
			return res
		}, x)
		if err := outs[0].Shape().CheckDims(2, m.EmbedDim()); err != nil {
			t.Errorf("%s embedding: %v", name, err)
		}
		for i, n := range taps {
			if outs[i+1].Rank() != 2 || outs[i+1].Shape().Dimensions[0] != 2 {
				t.Errorf("%s tap %q has shape %s, want [2, features]", name, n, outs[i+1].Shape())
			}
		}
		err = TryCatch[error](func() {
			model.MustExecOnce(backend.Must(), model.NewStore(), func(scope *model.Scope, x *Node) *Node {
				return m.Build(scope, x, false, []string{"no_such_layer"}).Embedding
			}, x)
		})
		if err == nil || !strings.Contains(err.Error(), "no_such_layer") {
			t.Errorf("%s: unknown tap should panic naming it, got %v", name, err)
		}
	}
}
