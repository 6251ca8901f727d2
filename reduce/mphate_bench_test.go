package reduce

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// mphateWandering returns T snapshots [n, d] of a training-like run, as the synthetic run of
// cmd/embviz's BenchmarkReport10k: every point is a stationary random walk (keeping its identity)
// and its class's coordinate (n/k points per class, k classes) grows from 0 to 4 over the run.
func mphateWandering(n, T, d, k int) []*Matrix {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float64, n*d)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	seq := make([]*Matrix, T)
	for s := range seq {
		m := NewMatrix(n, d)
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

// BenchmarkMPHATE times M-PHATE with its defaults (1000 landmarks) on 50 snapshots of n points
// in 64 dimensions and logs the time of each stage (kernel, landmarks, diffusion, mds). Issue 14's
// target is 50 × 10,000 in at most 30 s on 2 cores. On this data (64-dimensional random walks,
// distances concentrated) the kernel's radius, 1.56 times the distance to the 2nd neighbour, covers
// nearly the whole snapshot: 549 and 2048 entries per row at n = 500 and 2000, about 10,000 at
// n = 10,000 (5e9 entries, tens of GB), so the products of the spectral landmarks grow with
// T n² and dominate; the real CNN fixture has 49 per row. Select one size, e.g.
// -bench 'MPHATE/50x500$'.
func BenchmarkMPHATE(b *testing.B) {
	for _, n := range []int{500, 2000, 10000} {
		b.Run(fmt.Sprintf("50x%d", n), func(b *testing.B) {
			seq := mphateWandering(n, 50, 64, 10)
			for i := 0; i < b.N; i++ {
				var stages []string
				last, stage := time.Now(), ""
				start := last
				opts := &MPHATEOptions{Progress: func(done, total int, s string) {
					if s != stage {
						if stage != "" {
							stages = append(stages, fmt.Sprintf("%s %.1fs", strings.TrimPrefix(stage, "mphate "), time.Since(last).Seconds()))
						}
						stage, last = s, time.Now()
					}
				}}
				r, err := MPHATEFit(seq, opts)
				if err != nil {
					b.Fatal(err)
				}
				stages = append(stages, fmt.Sprintf("%s %.1fs", strings.TrimPrefix(stage, "mphate "), time.Since(last).Seconds()))
				b.Logf("50 × %d: %.1fs (t = %d, %d landmarks): %s", n, time.Since(start).Seconds(), r.T, r.Landmarks, strings.Join(stages, ", "))
			}
		})
	}
}
