package vizlib

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
)

// Benchmark scale from the issue: 5 panels x 10,000 points x 50 frames.
const (
	benchPanels = 5
	benchPoints = 10000
	benchFrames = 50
)

func benchPlayer() *playerView {
	p := &playerView{Title: "benchmark", Cols: 3, Confusion: true}
	for k := range benchPanels {
		a := syntheticAnimation(benchPoints, benchFrames, 10, uint64(k+1))
		p.Panels = append(p.Panels, a)
	}
	return p
}

// TestPayloadBytesPerPoint checks the coordinate payload: at most 5 bytes per point per frame
// (measured on the whole fragment, labels, predictions and the library included).
func TestPayloadBytesPerPoint(t *testing.T) {
	p := benchPlayer()
	h := p.html()
	perPoint := float64(len(h)) / float64(benchPanels*benchPoints*benchFrames)
	t.Logf("fragment: %d bytes for %d panels x %d points x %d frames = %.3f bytes/point/frame", len(h), benchPanels, benchPoints, benchFrames, perPoint)
	if perPoint > 5 {
		t.Errorf("payload %.3f bytes/point/frame, want <= 5", perPoint)
	}
}

// TestBrowserBenchmark plays the 5 x 10,000 x 50 player at "max" speed in headless Chromium and
// reads the frame times measured inside the player. The >= 30 fps target is enforced when
// EMBVIZ_BENCH=1 (timings on a loaded 2-core machine are noisy); the numbers are always logged.
//
//	EMBVIZ_BENCH=1 GOEXPERIMENT=simd go test ./vizlib -run TestBrowserBenchmark -v
func TestBrowserBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := testutil.OutDir(t, "vizlib")
	path := filepath.Join(dir, "bench.html")
	if err := figure(benchPlayer(), nil).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	seconds := "3"
	if os.Getenv("EMBVIZ_BENCH") == "1" {
		seconds = "6"
	}
	start := time.Now()
	res := runBrowser(t, []string{"-bench", seconds, "-bench-select", "1000"}, path)
	t.Logf("benchmark page %d bytes; browser run %v", st.Size(), time.Since(start))
	if len(res[0].Bench) != 2 {
		t.Fatalf("got %d benchmark results, want 2 (no selection; 1000 points selected with trails)", len(res[0].Bench))
	}
	for _, b := range res[0].Bench {
		t.Logf("%d panels x %d points x %d snapshots, %d selected (trails 8): %d frames in %.2fs = %.1f fps; draw (all panels) mean %.2f ms, p95 %.2f ms, max %.2f ms",
			b.Panels, b.Points, b.Snapshots, b.Selected, b.Frames, b.Seconds, b.FPS, b.MeanDrawMs, b.P95DrawMs, b.MaxDrawMs)
	}
	if s := res[0].Bench[1].Selected; s != 1000 {
		t.Errorf("selection benchmark ran with %d points selected, want 1000", s)
	}
	for _, b := range res[0].Bench {
		checkBench(t, b)
	}
}

// checkBench checks one benchmark result (the >= 30 fps target only with EMBVIZ_BENCH=1).
func checkBench(t *testing.T, b benchResult) {
	t.Helper()
	if b.Panels != benchPanels || b.Points != benchPoints || b.Snapshots != benchFrames {
		t.Errorf("benchmark ran %d panels x %d points x %d snapshots, want %d x %d x %d", b.Panels, b.Points, b.Snapshots, benchPanels, benchPoints, benchFrames)
	}
	if b.Frames < 10 {
		t.Errorf("only %d frames drawn", b.Frames)
	}
	drawFPS := 1000 / b.MeanDrawMs
	if os.Getenv("EMBVIZ_BENCH") == "1" {
		if b.FPS < 30 {
			t.Errorf("played at %.1f fps with %d points selected, want >= 30", b.FPS, b.Selected)
		}
	} else if b.FPS < 30 {
		t.Logf("below 30 fps (%.1f; draw-limited rate %.0f fps) on this loaded machine; not enforced without EMBVIZ_BENCH=1", b.FPS, drawFPS)
	}
}
