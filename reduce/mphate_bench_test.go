package reduce_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// mphateWandering returns T snapshots [n, d] of a training-like run, as the synthetic run of
// cmd/embviz's BenchmarkReport10k: every point is a stationary random walk (keeping its identity)
// and its class's coordinate (n/k points per class, k classes) grows from 0 to 4 over the run.
func mphateWandering(n, T, d, k int) []*reduce.Matrix {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float64, n*d)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	seq := make([]*reduce.Matrix, T)
	for s := range seq {
		m := reduce.NewMatrix(n, d)
		for i := range m.Data {
			if s > 0 {
				noise[i] = 0.95*noise[i] + 0.31*rng.NormFloat64()
			}
			m.Data[i] = float32(noise[i])
		}
		for i := 0; i < n; i++ {
			c := (i % k) % d
			m.Data[i*d+c] += float32(s) * 4 / float32(T)
		}
		seq[s] = m
	}
	return seq
}

// mphateFashionSequence returns T snapshots [n, 50] of a training-like sequence built from the
// first n Fashion-MNIST test images (dir: the Debian package dataset-fashion-mnist's files): X,
// their projection on the top 50 principal axes, and snapshot t = X + s_t R with R a fixed
// Gaussian matrix of X's overall scale and s_t falling linearly from 0.3 to 0 (the classes'
// neighbourhoods sharpen over the run, as in training). Its multislice kernel has 438 entries
// per row at n = 10,000 (the real CNN run: 128; mphateWandering's: most of the snapshot): a
// local kernel, but denser than on trained embeddings, so this case is pessimistic.
func mphateFashionSequence(dir string, n, T int) ([]*reduce.Matrix, error) {
	dims, pix, err := datasets.ReadIDXFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	if len(dims) != 3 || dims[0] < n {
		return nil, fmt.Errorf("%s: dimensions %v, want [>= %d, 28, 28]", dir, dims, n)
	}
	d := dims[1] * dims[2]
	x := reduce.NewMatrix(n, d)
	for i := range x.Data {
		x.Data[i] = float32(pix[i]) / 255
	}
	p, err := reduce.PCAProject(x, 50)
	if err != nil {
		return nil, err
	}
	var ss float64
	for _, v := range p.Data {
		ss += float64(v) * float64(v)
	}
	scale := math.Sqrt(ss / float64(len(p.Data)))
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float32, len(p.Data))
	for i := range noise {
		noise[i] = float32(scale * rng.NormFloat64())
	}
	seq := make([]*reduce.Matrix, T)
	for t := range seq {
		s := 0.3 * (1 - float64(t)/float64(max(1, T-1)))
		m := reduce.NewMatrix(p.Rows, p.Cols)
		for i, v := range p.Data {
			m.Data[i] = v + float32(s)*noise[i]
		}
		seq[t] = m
	}
	return seq, nil
}

// BenchmarkMPHATE times M-PHATE with its defaults (1000 landmarks) on 50 snapshots and logs the
// time of each stage (kernel, landmarks, diffusion, mds) and the multislice kernel's entries per
// row. Issue 14's target is 50 × 10,000 in at most 30 s on 2 cores, on the embeddings M-PHATE is
// run on: those of a training run. Cases (select one with -bench, e.g. 'MPHATE/fashion'):
//
//   - fashion50x10000: mphateFashionSequence on the 10,000 Fashion-MNIST test images
//     (/usr/share/datasets/fashion-mnist, or $EMBVIZ_FASHION_MNIST_DIR); skipped without them.
//     Needs no run, but its kernel is 3.4 times as dense as the real run's (peak RSS 8.3 GB).
//   - real50x10000: the embeddings of run run-0001 in the runs directory $EMBVIZ_BENCH_REAL_RUNS,
//     where cmd/embviz's BenchmarkReport10k/cnn trains and keeps its run (a CNN on Fashion-MNIST,
//     50 snapshots of 10,000 evaluation points); skipped when the variable is unset.
//   - wandering50x500, wandering50x2000: mphateWandering (64-dimensional random walks). Their
//     distances concentrate, so the kernel's radius (1.56 times the distance to the 2nd
//     neighbour) covers nearly the whole snapshot: about 550 and 2000 intraslice entries per row,
//     and about 10,000 at n = 10,000 (5e9 entries, tens of GB, which is why there is no 10,000
//     case). They time the kernel and landmark stages on a dense kernel, a worst case, not M-PHATE
//     on training embeddings (a real 10,000-point CNN run has about 100 entries per row).
func BenchmarkMPHATE(b *testing.B) {
	cases := []struct {
		name string
		seq  func(b *testing.B) []*reduce.Matrix
	}{
		{"fashion50x10000", func(b *testing.B) []*reduce.Matrix {
			dir := os.Getenv("EMBVIZ_FASHION_MNIST_DIR")
			if dir == "" {
				dir = datasets.DefaultFashionMNISTDir
			}
			if _, err := os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")); err != nil {
				b.Skipf("no Fashion-MNIST test images (%v): install the Debian package dataset-fashion-mnist", err)
			}
			seq, err := mphateFashionSequence(dir, 10000, 50)
			if err != nil {
				b.Fatal(err)
			}
			return seq
		}},
		{"real50x10000", func(b *testing.B) []*reduce.Matrix {
			dir := os.Getenv("EMBVIZ_BENCH_REAL_RUNS")
			if dir == "" {
				b.Skip("EMBVIZ_BENCH_REAL_RUNS does not name a runs directory with a run run-0001 (go test -bench Report10k/cnn ./cmd/embviz trains one there)")
			}
			run, err := training.OpenRun(dir, "run-0001")
			if err != nil {
				b.Fatal(err)
			}
			seq, err := run.Embeddings()
			if err != nil {
				b.Fatal(err)
			}
			return seq
		}},
		{"wandering50x500", func(*testing.B) []*reduce.Matrix { return mphateWandering(500, 50, 64, 10) }},
		{"wandering50x2000", func(*testing.B) []*reduce.Matrix { return mphateWandering(2000, 50, 64, 10) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			seq := c.seq(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var stages []string
				last, stage := time.Now(), ""
				start := last
				opts := &reduce.MPHATEOptions{Progress: func(done, total int, s string) {
					if s != stage {
						if stage != "" {
							stages = append(stages, fmt.Sprintf("%s %.1fs", strings.TrimPrefix(stage, "mphate "), time.Since(last).Seconds()))
						}
						stage, last = s, time.Now()
					}
				}}
				r, err := reduce.MPHATEFit(seq, opts)
				if err != nil {
					b.Fatal(err)
				}
				stages = append(stages, fmt.Sprintf("%s %.1fs", strings.TrimPrefix(stage, "mphate "), time.Since(last).Seconds()))
				N := len(seq) * seq[0].Rows
				b.Logf("%d × %d × %d: %.1fs (t = %d, %d landmarks, %.1f kernel entries per row): %s", len(seq), seq[0].Rows, seq[0].Cols,
					time.Since(start).Seconds(), r.T, r.Landmarks, float64(r.KernelEntries)/float64(N), strings.Join(stages, ", "))
			}
		})
	}
}
