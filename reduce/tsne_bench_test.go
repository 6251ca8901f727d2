package reduce

import (
	"os"
	"path/filepath"
	"testing"
)

// tsneBenchData returns n Fashion-MNIST test images projected to 50 dimensions, or skips.
func tsneBenchData(b *testing.B, n int) *Matrix {
	if _, err := os.Stat(filepath.Join(anFashionDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		b.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	return tsneFashion50(b, n)
}

// BenchmarkTSNE5000 times a full default t-SNE (kNN, affinities, 750 Barnes-Hut iterations) of
// 5000 Fashion-MNIST test images after PCA to 50 dimensions.
func BenchmarkTSNE5000(b *testing.B) {
	x := tsneBenchData(b, 5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TSNE(x, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTSNEAffinities5000 times the kNN graph and the calibrated, symmetrized P alone.
func BenchmarkTSNEAffinities5000(b *testing.B) {
	x := tsneBenchData(b, 5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TSNEAffinities(x, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTSNEGradient5000 times one Barnes-Hut gradient evaluation at a converged layout.
func BenchmarkTSNEGradient5000(b *testing.B) {
	x := tsneBenchData(b, 5000)
	aff, err := TSNEAffinities(x, nil)
	if err != nil {
		b.Fatal(err)
	}
	emb, err := NewTSNEEmbedding(aff, x, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := emb.Run(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		emb.gradient(1, false)
	}
}

// BenchmarkTSNEFrames10x2000 times a 10-frame animation of 2000 points.
func BenchmarkTSNEFrames10x2000(b *testing.B) {
	x := tsneBenchData(b, 2000)
	seq := make([]*Matrix, 10)
	noise := tsneBlobsNoise(x.Rows, x.Cols)
	for t := range seq {
		a := 0.3 + 0.07*float32(t)
		m := NewMatrix(x.Rows, x.Cols)
		for k, v := range x.Data {
			m.Data[k] = (1-a)*noise[k] + a*v
		}
		seq[t] = m
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := TSNEFrames(seq, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func tsneBlobsNoise(n, d int) []float32 {
	m, _ := tsneBlobs(n, d, 1, 3, 9)
	return m.Data
}
