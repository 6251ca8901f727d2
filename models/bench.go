package models

import (
	_ "embed"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
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

// BenchTrain trains the benchmark network (the default CNN at 28x28x1: conv3x3(32)+ReLU+maxpool2,
// conv3x3(64)+ReLU+maxpool2, dense(32)+ReLU, dense(10); Adam, learning rate 1e-3) on random
// images [batch, 28, 28, 1] and random labels: warmup untimed steps (at least 1, which compiles
// the graph), then steps timed ones. Each step uses a fresh random batch, generated outside the
// timed region, from a fixed seed.
func BenchTrain(backend compute.Backend, steps, batch, warmup int) (BenchResult, error) {
	if steps < 1 || batch < 1 {
		return BenchResult{}, fmt.Errorf("models: bench needs steps (%d) and batch (%d) >= 1", steps, batch)
	}
	warmup = max(warmup, 1)
	cnn, err := NewCNN(CNNConfig{})
	if err != nil {
		return BenchResult{}, err
	}
	store := model.NewStore()
	store.SetParam(optimizer.ParamLearningRate, 1e-3)
	trainer := NewTrainer(backend, store, cnn, optimizer.Adam().Done(), nil, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	makeBatch := func() train.Batch {
		images := make([]float32, batch*28*28)
		for i := range images {
			images[i] = rng.Float32()
		}
		labels := make([]int32, batch)
		for i := range labels {
			labels[i] = int32(rng.IntN(10))
		}
		return train.Batch{
			Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(images, batch, 28, 28, 1)},
			Labels: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(labels, batch)},
		}
	}
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
	res := BenchResult{Steps: steps, Batch: batch}
	start := time.Now()
	for range warmup {
		if _, err := step(makeBatch()); err != nil {
			return res, fmt.Errorf("models: bench warmup step: %w", err)
		}
	}
	res.Warmup = time.Since(start)
	batches := make([]train.Batch, steps)
	for i := range batches {
		batches[i] = makeBatch()
	}
	start = time.Now()
	cpu0 := processCPU()
	for i := range steps {
		if res.FinalLoss, err = step(batches[i]); err != nil {
			return res, fmt.Errorf("models: bench step %d: %w", i, err)
		}
	}
	res.Elapsed = time.Since(start)
	res.CPU = processCPU() - cpu0
	return res, nil
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

// RunTorchBench runs TorchBenchScript with the given Python interpreter (Debian's
// /usr/bin/python3 with python3-torch) for steps timed steps of batch images after warmup steps,
// with threads PyTorch threads.
func RunTorchBench(python string, steps, batch, warmup, threads int) (TorchResult, error) {
	f, err := os.CreateTemp("", "embviz_torch_bench_*.py")
	if err != nil {
		return TorchResult{}, fmt.Errorf("models: torch bench: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(TorchBenchScript); err != nil {
		f.Close()
		return TorchResult{}, fmt.Errorf("models: torch bench: %w", err)
	}
	f.Close()
	out, err := exec.Command(python, f.Name(), "-steps", strconv.Itoa(steps), "-batch", strconv.Itoa(batch),
		"-warmup", strconv.Itoa(warmup), "-threads", strconv.Itoa(threads)).CombinedOutput()
	if err != nil {
		return TorchResult{}, fmt.Errorf("models: torch bench (%s): %w\n%s", python, err, out)
	}
	line := strings.TrimSpace(string(out))
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
