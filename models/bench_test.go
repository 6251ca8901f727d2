package models

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/internal/testutil"
)

// BenchmarkTrainCNN times training steps of the benchmark network (see BenchTrain) and reports
// images/s and CPU ms/step. With EMBVIZ_BENCH_TORCH=1 it then runs the PyTorch reference
// (RunTorchBench, 2 threads, same network and step count) in the same run and reports its
// numbers as torch_images/s and torch_cpu_ms/step:
//
//	GOEXPERIMENT=simd EMBVIZ_BENCH_TORCH=1 go test ./models -run '^$' -bench TrainCNN -benchtime 30x
func BenchmarkTrainCNN(b *testing.B) {
	res, err := BenchTrain(backend.Must(), b.N, 64, 3)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.ImagesPerSecond(), "images/s")
	b.ReportMetric(res.CPUMsPerStep(), "cpu_ms/step")
	if os.Getenv("EMBVIZ_BENCH_TORCH") == "1" {
		py := testutil.Python(b, "torch")
		tr, err := RunTorchBench(py, b.N, 64, 3, 2)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(tr.ImagesPerSecond, "torch_images/s")
		b.ReportMetric(tr.CPUMsPerStep, "torch_cpu_ms/step")
	}
}

// BenchmarkTrainViT is BenchmarkTrainCNN for the ViT (BenchTrainModel "vit": 32x32x3, batch 64),
// with EMBVIZ_BENCH_TORCH=1 next to the same ViT in PyTorch (RunTorch "vit", 2 threads):
//
//	GOEXPERIMENT=simd EMBVIZ_BENCH_TORCH=1 go test ./models -run '^$' -bench TrainViT -benchtime 3x
func BenchmarkTrainViT(b *testing.B) {
	res, err := BenchTrainModel(backend.Must(), "vit", b.N, 64, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.ImagesPerSecond(), "images/s")
	b.ReportMetric(res.CPUMsPerStep(), "cpu_ms/step")
	if os.Getenv("EMBVIZ_BENCH_TORCH") == "1" {
		tr, err := RunTorch(testutil.Python(b, "torch"), "vit", "train", b.N, 64, 1, 2)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(tr.ImagesPerSecond, "torch_images/s")
		b.ReportMetric(tr.CPUMsPerStep, "torch_cpu_ms/step")
	}
}

// TestBenchTrainRuns checks that BenchTrain runs and reports consistent numbers (no timing
// assertion: speed targets live in the benchmarks).
func TestBenchTrainRuns(t *testing.T) {
	res, err := BenchTrain(backend.Must(), 2, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 2 || res.Batch != 8 || res.Elapsed <= 0 || res.ImagesPerSecond() <= 0 || res.FinalLoss <= 0 {
		t.Errorf("unexpected result %+v", res)
	}
}

func TestRunTorchBench(t *testing.T) {
	py := testutil.Python(t, "torch")
	for _, mode := range []string{"train", "infer"} {
		tr, err := RunTorch(py, "cnn", mode, 2, 8, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if tr.ImagesPerSecond <= 0 || tr.MsPerStep <= 0 || !strings.HasPrefix(tr.Line, "bench "+mode+": model=CNN") {
			t.Errorf("%s: unexpected torch result %+v", mode, tr)
		}
	}
	if _, err := RunTorch(py, "mlp", "train", 2, 8, 1, 1); err == nil {
		t.Error("RunTorch accepted an unknown model")
	}
	if _, err := RunTorch(py, "cnn", "eval", 2, 8, 1, 1); err == nil {
		t.Error("RunTorch accepted an unknown mode")
	}
}

// TestBenchInfer checks that BenchInfer computes the same embedding and logits as the model's
// graph run directly (same seeded weights), with and without taps, and rejects unknown taps.
func TestBenchInfer(t *testing.T) {
	for _, tc := range []struct {
		name string
		taps []string
	}{
		{"cnn", nil},
		{"cnn", []string{"conv1", "conv2", "fc1"}},
		{"vit", []string{"block1"}},
	} {
		t.Run(fmt.Sprintf("%s%v", tc.name, tc.taps), func(t *testing.T) {
			res, err := BenchInfer(backend.Must(), tc.name, tc.taps, 2, 4, 1)
			if err != nil {
				t.Fatal(err)
			}
			// Random logits of 10 classes at initialization: the loss is finite and near log 10.
			if res.Steps != 2 || res.Batch != 4 || res.ImagesPerSecond() <= 0 || !(res.FinalLoss > 1 && res.FinalLoss < 5) {
				t.Errorf("unexpected result %+v", res)
			}
		})
	}
	if _, err := BenchInfer(backend.Must(), "cnn", []string{"conv9"}, 1, 2, 1); err == nil || !strings.Contains(err.Error(), "conv9") {
		t.Errorf("unknown tap: err %v", err)
	}
	if _, err := BenchInfer(backend.Must(), "resnet", nil, 1, 2, 1); err == nil {
		t.Error("unknown model accepted")
	}
}

// TestBenchModelsMatchTorch checks that each benchmark network has the same number of trainable
// parameters in Go as in the PyTorch reference (TorchBenchScript).
func TestBenchModelsMatchTorch(t *testing.T) {
	py := testutil.Python(t, "torch")
	for _, name := range BenchModels {
		want, err := TorchParams(py, name)
		if err != nil {
			t.Fatal(err)
		}
		m, shape, err := benchModel(name)
		if err != nil {
			t.Fatal(err)
		}
		store := model.NewStore()
		exec, err := model.NewExec(backend.Must(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return m.Build(scope, x, false, nil).Logits
		})
		if err != nil {
			t.Fatal(err)
		}
		exec.MustExec(tensors.FromShape(shapes.Make(dtypes.Float32, append([]int{1}, shape...)...)))
		got := 0
		for v := range store.IterVariables() {
			if v.Trainable {
				got += v.Shape().Size()
			}
		}
		if got != want {
			t.Errorf("%s: %d trainable parameters in Go, %d in PyTorch", name, got, want)
		}
	}
}

// BenchmarkInfer times inference of the benchmark networks (BenchInfer: the embedding and the
// logits of batches of 500 images, as a training run's snapshot evaluation computes them) and
// reports images/s and CPU ms per batch; with EMBVIZ_BENCH_TORCH=1 the PyTorch reference
// (RunTorch "infer", 2 threads, same batches) runs in the same run:
//
//	GOEXPERIMENT=simd EMBVIZ_BENCH_TORCH=1 go test ./models -run '^$' -bench Infer/cnn -benchtime 20x
func BenchmarkInfer(b *testing.B) {
	for _, name := range BenchModels {
		b.Run(name, func(b *testing.B) {
			const batch = 500
			res, err := BenchInfer(backend.Must(), name, nil, b.N, batch, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.ImagesPerSecond(), "images/s")
			b.ReportMetric(res.CPUMsPerStep(), "cpu_ms/batch")
			if os.Getenv("EMBVIZ_BENCH_TORCH") == "1" {
				tr, err := RunTorch(testutil.Python(b, "torch"), name, "infer", b.N, batch, 1, 2)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(tr.ImagesPerSecond, "torch_images/s")
				b.ReportMetric(tr.CPUMsPerStep, "torch_cpu_ms/batch")
			}
		})
	}
}
