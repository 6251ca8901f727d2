package training

import (
	"math/rand/v2"
	"testing"
	"time"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training/datasets"
)

// RandomImages is randomImages for the external tests (package training_test).
var RandomImages = randomImages

// randomImages is a synthetic data set of nTrain train and nTest test 28x28x1 images with
// uniform pixels and 10 classes (i%10), drawn from PCG(seed, seed+1).
func randomImages(nTrain, nTest int, seed uint64) *datasets.Dataset {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	split := func(n int) *datasets.Split {
		s := &datasets.Split{N: n, Shape: []int{28, 28, 1}, X: make([]float32, n*784), Labels: make([]int32, n)}
		for i := range s.X {
			s.X[i] = rng.Float32()
		}
		for i := range s.Labels {
			s.Labels[i] = int32(i % 10)
		}
		return s
	}
	names := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	return &datasets.Dataset{Name: "random", ClassNames: names, Train: split(nTrain), Test: split(nTest), ImageShape: []int{28, 28, 1}}
}

// BenchmarkTrainStepCNN times the loop's training step (AdamW, clipping, cosine lr) of the
// default CNN at batch 64 next to models.BenchTrain (GoMLX's train.Trainer, plain Adam), both in
// this process: the ratio shows the loop's overhead independently of the machine's load.
//
//	GOEXPERIMENT=simd go test ./training -run '^$' -bench TrainStepCNN -benchtime 1x
func BenchmarkTrainStepCNN(b *testing.B) {
	const steps = 20
	for range b.N {
		s, err := newSession(Config{RunsDir: b.TempDir(), Model: "cnn", Data: randomImages(640, 128, 1), Steps: steps + 2, Batch: 64, Snapshots: 2, EvalSize: 100})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.setupStore(); err != nil {
			b.Fatal(err)
		}
		for i := range 2 { // Compile.
			if _, _, err := s.trainStep(i, 1e-3, nil); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		for i := range steps {
			if _, _, err := s.trainStep(2+i, 1e-3, nil); err != nil {
				b.Fatal(err)
			}
		}
		loopMs := float64(time.Since(start).Microseconds()) / 1000 / steps
		ref, err := models.BenchTrain(ebackend.Must(), steps, 64, 2)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(loopMs, "loop-ms/step")
		b.ReportMetric(ref.MsPerStep(), "trainer-ms/step")
	}
}

// BenchmarkSnapshotEval10k times what a training run spends per snapshot on a 10,000-image
// evaluation subset: the loop's inference pass (session.forward: the compiled evaluation graph,
// reused across snapshots, in batches of EvalBatch) over all 10,000 images, on the default CNN.
// It reports images/s, the seconds that 50 such snapshots take, and that cost in training steps
// of batch 64 (models.BenchTrain measured in the same process), the issue's yardstick ("50
// snapshots of 10k images cost about as much as 1,000 training steps"):
//
//	GOEXPERIMENT=simd go test ./training -run '^$' -bench SnapshotEval10k -benchtime 2x
func BenchmarkSnapshotEval10k(b *testing.B) {
	const n = 10000
	s, err := newSession(Config{RunsDir: b.TempDir(), Model: "cnn", Data: randomImages(640, n, 1), Steps: 10, Batch: 64, Snapshots: 2, EvalSize: n})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.setupStore(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.forward(s.evalX[:s.cfg.EvalBatch*s.train.Dim()], s.cfg.EvalBatch); err != nil { // Compile.
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		fw, err := s.forward(s.evalX, n)
		if err != nil {
			b.Fatal(err)
		}
		if len(fw.embedding) != n*s.model.EmbedDim() {
			b.Fatalf("embedding has %d values, want %d", len(fw.embedding), n*s.model.EmbedDim())
		}
	}
	perSnapshot := time.Since(start).Seconds() / float64(b.N)
	b.StopTimer()
	ref, err := models.BenchTrain(ebackend.Must(), 20, 64, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(n/perSnapshot, "images/s")
	b.ReportMetric(50*perSnapshot, "s/50_snapshots")
	b.ReportMetric(50*perSnapshot/ref.Elapsed.Seconds()*float64(ref.Steps), "train_steps/50_snapshots")
}
