package reduce

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/embviz/embviz/internal/testutil"
	"testing"
	"time"
)

// BenchmarkUMAPFashion5000 times UMAP on 5000 Fashion-MNIST test images (PCA to 50 dims), the
// size of the speed target (umap-learn: 4.9 s warm on the 2-core machine, trustworthiness 0.988).
// Run: GOEXPERIMENT=simd go test ./reduce -run '^$' -bench UMAPFashion5000 -benchtime 1x
func BenchmarkUMAPFashion5000(b *testing.B) {
	x, _ := umapFashionPCA(b, 5000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var stages []string
		var last time.Time
		start := time.Now()
		y, err := UMAP(x, &UMAPOptions{Seed: int64(i), Progress: func(done, total int, stage string) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				now := time.Now()
				if !last.IsZero() {
					stages[len(stages)-1] += " " + now.Sub(last).Round(time.Millisecond).String()
				}
				last = now
				stages = append(stages, stage)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.StopTimer()
		tw := umapTrust(b, x, y, 10)
		b.Logf("n=5000: %.2fs, trustworthiness@10 %.4f, stages %v (last until end)", el.Seconds(), tw, stages)
		b.StartTimer()
	}
}

// BenchmarkUMAPvsUMAPLearn5000 times UMAP and umap-learn (warm, after a JIT warm-up; random_state
// fixed) on the same 5000 Fashion-MNIST points (PCA 50) in one run, and reports both
// trustworthiness@10 values (sklearn's, computed by the reference script).
// Run: GOEXPERIMENT=simd go test ./reduce -run '^$' -bench UMAPvsUMAPLearn5000 -benchtime 1x
func BenchmarkUMAPvsUMAPLearn5000(b *testing.B) {
	py := testutil.Python(b, "umap", "sklearn")
	const n = 5000
	x, _ := umapFashionPCA(b, n)
	dir := b.TempDir()
	umapWriteF32(b, filepath.Join(dir, "x.f32"), x)
	b.ResetTimer()
	start := time.Now()
	y, err := UMAP(x, &UMAPOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	umapWriteF32(b, filepath.Join(dir, "ours.f32"), y)
	cmd := exec.Command(py, filepath.Join("testdata", "umap_reference.py"), filepath.Join(dir, "x.f32"), fmt.Sprint(n), "50", filepath.Join(dir, "ours.f32"))
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("umap_reference.py: %v\n%s", err, out)
	}
	var ref struct {
		Seconds   float64   `json:"umap_learn_seconds"`
		Trust     float64   `json:"umap_learn_trust"`
		OursTrust []float64 `json:"ours_trust"`
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	b.Logf("n=%d: embviz UMAP %.2fs trustworthiness@10 %.4f; umap-learn %.2fs (warm) %.4f; speed-up %.2fx",
		n, el.Seconds(), ref.OursTrust[0], ref.Seconds, ref.Trust, ref.Seconds/el.Seconds())
}
