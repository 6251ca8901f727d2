package models

import (
	"os"
	"testing"

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
	tr, err := RunTorchBench(py, 2, 8, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tr.ImagesPerSecond <= 0 || tr.MsPerStep <= 0 {
		t.Errorf("unexpected torch result %+v", tr)
	}
}
