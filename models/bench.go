package models

import (
	_ "embed"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// BenchResult is the outcome of BenchTrain.
type BenchResult struct {
	// Steps and Batch are the timed training steps and the batch size.
	Steps, Batch int
	// Warmup is the time of the untimed first steps (graph compilation included).
	Warmup time.Duration
	// Elapsed is the wall time of the timed steps.
	Elapsed time.Duration
	// CPU is the process CPU time (user+system, all threads) used during the timed steps: less
	// sensitive than Elapsed to other processes competing for the cores.
	CPU time.Duration
	// FinalLoss is the batch loss of the last step.
	FinalLoss float32
}

// CPUMsPerStep is the mean CPU time of one timed step in milliseconds.
func (r BenchResult) CPUMsPerStep() float64 {
	return float64(r.CPU.Microseconds()) / 1000 / float64(r.Steps)
}

// MsPerStep is the mean wall time of one timed training step in milliseconds.
func (r BenchResult) MsPerStep() float64 {
	return float64(r.Elapsed.Microseconds()) / 1000 / float64(r.Steps)
}

// ImagesPerSecond is the training throughput: Steps*Batch / Elapsed.
func (r BenchResult) ImagesPerSecond() float64 {
	return float64(r.Steps*r.Batch) / r.Elapsed.Seconds()
}

// BenchModels are the networks that BenchTrain and BenchInfer time, by name: "cnn" is the
// benchmark CNN at 28x28x1 (NewCNN's defaults: conv3x3(32)+ReLU+maxpool2, conv3x3(64)+ReLU+maxpool2,
// dense(32)+ReLU, dense(10)) and "vit" the ViT at 32x32x3 (NewViT's defaults: 4x4 patches, width
// 256, 4 blocks of 4 heads, MLP 512, class token). The PyTorch reference (TorchBenchScript) has
// the same two networks, with the same parameter counts.
var BenchModels = []string{"cnn", "vit"}

// benchModel returns the named benchmark network and its input shape [h, w, c].
func benchModel(name string) (Model, []int, error) {
	switch name {
	case "cnn":
		m, err := NewCNN(CNNConfig{})
		return m, []int{28, 28, 1}, err
	case "vit":
		m, err := NewViT(ViTConfig{})
		return m, []int{32, 32, 3}, err
	}
	return nil, nil, fmt.Errorf("models: unknown benchmark model %q (want one of %s)", name, strings.Join(BenchModels, ", "))
}

// benchBatches returns n batches of batch random images [batch, shape...] (uniform in [0, 1)) and
// random labels [batch] in [0, 10), drawn from rng.
func benchBatches(rng *rand.Rand, n, batch int, shape []int) []train.Batch {
	size := shape[0] * shape[1] * shape[2]
	out := make([]train.Batch, n)
	for i := range out {
		images := make([]float32, batch*size)
		for j := range images {
			images[j] = rng.Float32()
		}
		labels := make([]int32, batch)
		for j := range labels {
			labels[j] = int32(rng.IntN(10))
		}
		out[i] = train.Batch{
			Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(images, append([]int{batch}, shape...)...)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, batch)},
		}
	}
	return out
}

// BenchTrain is BenchTrainModel for the benchmark CNN ("cnn").
func BenchTrain(backend compute.Backend, steps, batch, warmup int) (BenchResult, error) {
	return BenchTrainModel(backend, "cnn", steps, batch, warmup)
}

// BenchTrainModel trains the named benchmark network (see BenchModels; Adam, learning rate 1e-3)
// on random images [batch, h, w, c] and random labels: warmup untimed steps (at least 1, which
// compiles the graph), then steps timed ones. Each step uses a fresh random batch, generated
// outside the timed region, from a fixed seed.
func BenchTrainModel(backend compute.Backend, name string, steps, batch, warmup int) (BenchResult, error) {
	m, shape, warmup, err := benchSetup(name, steps, batch, warmup)
	if err != nil {
		return BenchResult{}, err
	}
	store := model.NewStore()
	store.SetParam(optimizer.ParamLearningRate, 1e-3)
	trainer := NewTrainer(backend, store, m, optimizer.Adam().Done(), nil, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	step := func(b train.Batch) (float32, error) {
		metrics, err := trainer.TrainStep(b)
		if err != nil {
			return 0, err
		}
		lossValue := tensors.ToScalar[float32](metrics[0])
		for _, m := range metrics {
			m.FinalizeAll()
		}
		return lossValue, nil
	}
	return timeSteps(step, rng, steps, batch, warmup, shape)
}

// benchSetup checks the step and batch counts (>= 1), raises warmup to at least 1 (the step that
// compiles the graph) and returns the named benchmark network with its image shape.
func benchSetup(name string, steps, batch, warmup int) (Model, []int, int, error) {
	if steps < 1 || batch < 1 {
		return nil, nil, 0, fmt.Errorf("models: bench needs steps (%d) and batch (%d) >= 1", steps, batch)
	}
	m, shape, err := benchModel(name)
	return m, shape, max(warmup, 1), err
}

// timeSteps runs step on warmup untimed random batches [batch, shape...] and then on steps timed
// ones (generated before the timed region from rng), and returns the timings and the last
// step's loss.
func timeSteps(step func(train.Batch) (float32, error), rng *rand.Rand, steps, batch, warmup int, shape []int) (BenchResult, error) {
	res := BenchResult{Steps: steps, Batch: batch}
	start := time.Now()
	for _, b := range benchBatches(rng, warmup, batch, shape) {
		if _, err := step(b); err != nil {
			return res, fmt.Errorf("models: bench warmup step: %w", err)
		}
	}
	res.Warmup = time.Since(start)
	batches := benchBatches(rng, steps, batch, shape)
	start = time.Now()
	cpu0 := processCPU()
	for i := range steps {
		var err error
		if res.FinalLoss, err = step(batches[i]); err != nil {
			return res, fmt.Errorf("models: bench step %d: %w", i, err)
		}
	}
	res.Elapsed = time.Since(start)
	res.CPU = processCPU() - cpu0
	return res, nil
}

// BenchInfer times inference of the named benchmark network (see BenchModels) the way a training
// run evaluates its snapshots (training's evaluation graph): the graph built in inference mode
// (no gradient), returning the embedding [batch, d], the logits [batch, 10] and the requested
// layer taps (nil: none; e.g. "conv1", "conv2" for the CNN), all copied back to Go slices, one
// compiled executable reused for every batch. warmup untimed batches (at least 1, which compiles
// the graph) come first, then steps timed ones, each of batch fresh random images [batch, h, w, c]
// drawn from a fixed seed outside the timed region; the weights are the seeded initialization.
// FinalLoss is the last batch's mean cross-entropy against random labels (a check that the logits
// were computed: finite, near log 10 at initialization).
func BenchInfer(backend compute.Backend, name string, taps []string, steps, batch, warmup int) (BenchResult, error) {
	m, shape, warmup, err := benchSetup(name, steps, batch, warmup)
	if err != nil {
		return BenchResult{}, err
	}
	for _, t := range taps {
		if !slices.Contains(m.TapNames(), t) {
			return BenchResult{}, fmt.Errorf("models: %s has no tap %q (taps: %s)", m.Name(), t, strings.Join(m.TapNames(), ", "))
		}
	}
	store := model.NewStore()
	store.RootScope().SetParam(model.ParamInitialSeed, int64(1))
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, x *Node) []*Node {
		out := m.Build(scope, x, false, taps)
		res := []*Node{out.Embedding, out.Logits}
		for _, t := range taps {
			res = append(res, out.Taps[t])
		}
		return res
	})
	if err != nil {
		return BenchResult{}, err
	}
	defer exec.Finalize()
	var sink float32
	step := func(b train.Batch) (float32, error) {
		var outs []*tensors.Tensor
		if e := exceptions.TryCatch[error](func() { outs, err = exec.Exec(b.Inputs[0]) }); e != nil {
			return 0, e
		}
		if err != nil {
			return 0, err
		}
		var loss float32
		for i, t := range outs {
			tensors.MustConstFlatData(t, func(flat []float32) {
				if i == 1 {
					loss = crossEntropyRows(flat, b.Labels[0])
				} else {
					sink += flat[len(flat)-1]
				}
			})
			t.FinalizeAll()
		}
		return loss, nil
	}
	res, err := timeSteps(step, rand.New(rand.NewPCG(1, 2)), steps, batch, warmup, shape)
	if err != nil {
		return res, err
	}
	if math.IsNaN(float64(sink)) {
		return res, fmt.Errorf("models: bench: NaN in %s's outputs", m.Name())
	}
	return res, nil
}

// crossEntropyRows is the mean softmax cross-entropy of logits [n, classes] (row-major) against
// labels [n] int32.
func crossEntropyRows(logits []float32, labels *tensors.Tensor) float32 {
	var sum float64
	tensors.MustConstFlatData(labels, func(ls []int32) {
		classes := len(logits) / len(ls)
		for i, l := range ls {
			row := logits[i*classes : (i+1)*classes]
			mx := float64(slices.Max(row))
			var se float64
			for _, v := range row {
				se += math.Exp(float64(v) - mx)
			}
			sum += math.Log(se) + mx - float64(row[l])
		}
		sum /= float64(len(ls))
	})
	return float32(sum)
}

// processCPU returns the user+system CPU time used so far by this process (all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TorchBenchScript is testdata/torch_bench.py: the PyTorch reference for BenchTrain (same
// network, optimizer, batch and timing protocol), run with 2 threads by default.
//
//go:embed testdata/torch_bench.py
var TorchBenchScript string

// TorchResult is what RunTorchBench measured.
type TorchResult struct {
	// MsPerStep, CPUMsPerStep and ImagesPerSecond are as in BenchResult.
	MsPerStep, CPUMsPerStep, ImagesPerSecond float64
	// Line is the script's output line.
	Line string
}

// TorchParams returns the parameter count of the named network (one of BenchModels) in
// TorchBenchScript, run with the given Python interpreter.
func TorchParams(python, name string) (int, error) {
	line, err := runTorchScript(python, "-model", name, "-params")
	if err != nil {
		return 0, err
	}
	v, ok := strings.CutPrefix(line, "params=")
	n, err := strconv.Atoi(v)
	if !ok || err != nil {
		return 0, fmt.Errorf("models: torch bench: want params=N, got %q", line)
	}
	return n, nil
}

// runTorchScript runs TorchBenchScript with args and returns its trimmed output.
func runTorchScript(python string, args ...string) (string, error) {
	f, err := os.CreateTemp("", "embviz_torch_bench_*.py")
	if err != nil {
		return "", fmt.Errorf("models: torch bench: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(TorchBenchScript); err != nil {
		f.Close()
		return "", fmt.Errorf("models: torch bench: %w", err)
	}
	f.Close()
	out, err := exec.Command(python, append([]string{f.Name()}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("models: torch bench (%s): %w\n%s", python, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// RunTorchBench is RunTorch for training the benchmark CNN ("cnn", "train").
func RunTorchBench(python string, steps, batch, warmup, threads int) (TorchResult, error) {
	return RunTorch(python, "cnn", "train", steps, batch, warmup, threads)
}

// RunTorch runs TorchBenchScript with the given Python interpreter (Debian's /usr/bin/python3
// with python3-torch) on the named network (one of BenchModels) in mode "train" (the reference
// for BenchTrainModel) or "infer" (eval mode under torch.no_grad(), embedding and logits: the
// reference for BenchInfer), for steps timed steps of batch images after warmup steps, with
// threads PyTorch threads.
func RunTorch(python, name, mode string, steps, batch, warmup, threads int) (TorchResult, error) {
	if !slices.Contains(BenchModels, name) || (mode != "train" && mode != "infer") {
		return TorchResult{}, fmt.Errorf("models: torch bench: unknown model %q or mode %q", name, mode)
	}
	line, err := runTorchScript(python, "-model", name, "-mode", mode, "-steps", strconv.Itoa(steps), "-batch", strconv.Itoa(batch),
		"-warmup", strconv.Itoa(warmup), "-threads", strconv.Itoa(threads))
	if err != nil {
		return TorchResult{}, err
	}
	res := TorchResult{Line: line}
	fields := map[string]*float64{"ms_per_step": &res.MsPerStep, "cpu_ms_per_step": &res.CPUMsPerStep,
		"images_per_second": &res.ImagesPerSecond}
	for _, kv := range strings.Fields(line) {
		k, v, _ := strings.Cut(kv, "=")
		if p := fields[k]; p != nil {
			if *p, err = strconv.ParseFloat(v, 64); err != nil {
				return res, fmt.Errorf("models: torch bench: bad %s in %q", k, line)
			}
			delete(fields, k)
		}
	}
	if len(fields) > 0 {
		return res, fmt.Errorf("models: torch bench: output lacks some of ms_per_step, cpu_ms_per_step, images_per_second: %q", line)
	}
	return res, nil
}
