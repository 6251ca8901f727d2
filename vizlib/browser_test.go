package vizlib

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
)

// browserResult mirrors one JSON line printed by browsertest/check.mjs.
type browserResult struct {
	File     string   `json:"file"`
	Failures []string `json:"failures"`
	Players  []struct {
		ID           string        `json:"id"`
		Panels       int           `json:"panels"`
		Checks       []string      `json:"checks"`
		Tooltip      string        `json:"tooltip"`
		TooltipImage bool          `json:"tooltipImage"`
		Static       bool          `json:"static"`
		Linked       *linkedResult `json:"linked"`
	} `json:"players"`
	Charts   int           `json:"charts"`
	Heatmaps int           `json:"heatmaps"`
	Bench    []benchResult `json:"bench"`
}

// benchResult is one player's playback benchmark (check.mjs -bench), measured inside the player.
type benchResult struct {
	Frames     int     `json:"frames"`
	MeanDrawMs float64 `json:"meanDrawMs"`
	P95DrawMs  float64 `json:"p95DrawMs"`
	MaxDrawMs  float64 `json:"maxDrawMs"`
	FPS        float64 `json:"fps"`
	Seconds    float64 `json:"seconds"`
	Points     int     `json:"points"`
	Snapshots  int     `json:"snapshots"`
	Panels     int     `json:"panels"`
	Selected   int     `json:"selected"` // points selected (with trails of 8 snapshots)
}

// runBrowser runs browsertest/check.mjs on files and returns its results. It skips (or fails under
// EMBVIZ_STRICT=1) when node, Chromium or the npm packages are missing.
func runBrowser(t *testing.T, extra []string, files ...string) []browserResult {
	t.Helper()
	node := testutil.Tool(t, "node")
	chromium := "/usr/bin/chromium"
	if c := os.Getenv("EMBVIZ_CHROMIUM"); c != "" {
		chromium = c
	}
	if _, err := os.Stat(chromium); err != nil {
		testutil.Missing(t, "%s not found (apt-get install chromium)", chromium)
	}
	dir, _ := filepath.Abs("browsertest")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		testutil.Missing(t, "playwright-core not installed: run `npm ci --prefix vizlib/browsertest`")
	}
	args := append([]string{filepath.Join(dir, "check.mjs"), "-shot", testutil.OutDir(t, "vizlib")}, extra...)
	args = append(args, files...)
	cmd := exec.Command(node, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res []browserResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r browserResult
		if jerr := json.Unmarshal([]byte(line), &r); jerr != nil {
			t.Fatalf("bad JSON from check.mjs: %v\n%s", jerr, line)
		}
		res = append(res, r)
	}
	if len(res) != len(files) {
		t.Fatalf("check.mjs returned %d results for %d files (err %v)\nstdout:\n%s\nstderr:\n%s", len(res), len(files), err, out, stderr.String())
	}
	for _, r := range res {
		for _, f := range r.Failures {
			t.Errorf("%s: %s", filepath.Base(r.File), f)
		}
	}
	return res
}

// writeDemo writes a page with every kind of visualization on synthetic data.
func writeDemo(t *testing.T, dir string) string {
	t.Helper()
	a := syntheticAnimation(1500, 12, 10, 1)
	b := syntheticAnimation(1500, 12, 10, 1)
	// A second, different layout of the same points (sheared).
	for _, m := range b.Frames {
		for i := 0; i < m.Rows; i++ {
			m.Data[2*i] += 0.5 * m.Data[2*i+1]
		}
	}
	th := &thumbSet{W: 8, H: 8, C: 1, Pixels: make([]uint8, 1500*64)}
	for i := range th.Pixels {
		th.Pixels[i] = uint8((i * 37) % 251)
	}
	a.Thumbs = th
	steps := []float64{0, 100, 200, 300, 400, 500, 600}
	loss := []float64{2.3, 1.2, 0.8, 0.6, 0.5, math.NaN(), 0.4}
	acc := []float64{0.1, 0.6, 0.75, 0.8, 0.85, 0.86, 0.88}
	chart := &lineChart{Title: "training records", XLabel: "step", YLabel: "loss", LogToggle: true,
		Series: []lineSeries{{Name: "train_loss", X: steps, Y: loss}, {Name: "train_acc", X: steps, Y: acc}},
		VLines: []vline{{X: 300, Label: "keyframe"}}}
	var frames []heatmapFrame
	for f := range a.Frames {
		m, err := reduce.ConfusionMatrix(a.Labels, a.Predictions[f], 10)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, heatmapFrame{Label: a.Captions[f], Values: m})
	}
	heat := &heatmapChart{Title: "confusion", RowLabels: a.ClassNames, ColLabels: a.ClassNames, Frames: frames, Annotate: true, NormToggle: true, XLabel: "prediction", YLabel: "label"}
	// Per-point RGB colors (the colors experiment), no labels.
	col := syntheticAnimation(800, 6, 6, 3)
	col.Labels, col.Predictions, col.ClassNames = nil, nil, nil
	col.Colors = make([][3]uint8, 800)
	for i := range col.Colors {
		col.Colors[i] = [3]uint8{uint8(i % 256), uint8((i * 7) % 256), uint8(255 - i%256)}
	}
	last := a.Frames[len(a.Frames)-1]
	grid := &scatterGrid{Title: "layers x epochs", Labels: a.Labels, ClassNames: a.ClassNames, Cols: 3, Size: 180}
	for _, f := range []int{0, 5, 11} {
		grid.Panels = append(grid.Panels, scatterPanel{Title: fmt.Sprintf("epoch %d · ARI 0.%d", f, f), Points: a.Frames[f]})
	}
	x := reduce.NewMatrix(last.Rows, 3)
	for i := 0; i < last.Rows; i++ {
		x.Set(i, 0, last.At(i, 0))
		x.Set(i, 1, last.At(i, 1))
		x.Set(i, 2, last.At(i, 0)*last.At(i, 1))
	}
	pix := make([]float32, 6*8*8)
	for i := range pix {
		pix[i] = float32(i%64) / 63
	}
	ims, err := imagesFromFloats(pix, 6, 8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	page := &htmlPage{Title: "vizlib demo", Subtitle: "synthetic data", Sections: []pageSection{
		{Heading: "chart", Content: chart},
		{Heading: "heatmap", Content: heat},
		{Heading: "player", Content: &playerView{Panels: []*Animation{a, b}, Titles: []string{"A", "B"}, Confusion: true, Interpolate: 2}},
		{Heading: "colors", Content: &playerView{Panels: []*Animation{col}, Size: 240}},
		{Heading: "scatter grid", Content: grid},
		{Heading: "scatter matrix", Content: &scatterMatrix{Title: "pairs", X: x, DimNames: []string{"x", "y", "xy"}, Labels: a.Labels, ClassNames: a.ClassNames, KDE: true}},
		{Heading: "images", Content: &imageGrid{Title: "samples", Images: ims, Captions: []string{"a", "b", "c", "d", "e", "f"}, Cols: 3}},
		{Heading: "loadings", Content: &heatmapChart{Title: "PCA loadings", RowLabels: []string{"d0", "d1"}, ColLabels: []string{"PC1", "PC2"}, Diverging: true, Annotate: true,
			Frames: []heatmapFrame{{Values: []float64{0.8, -0.3, -0.5, 0.9}}}}},
	}}
	p := filepath.Join(dir, "demo.html")
	if err := page.writeFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowser opens the demo page (every kind of visualization) and the report of a small
// synthetic run in headless Chromium with the network blocked, and runs check.mjs's checks.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := testutil.OutDir(t, "vizlib")
	demo := writeDemo(t, dir)
	run := syntheticRun(t, t.TempDir(), 300, 8, 6)
	page := ViewOf(run, ViewOptions{MaxPoints: 100}).Report(ReportOpts{MPHATE: &reduce.MPHATEOptions{}})
	if err := page.Err(); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.html")
	if err := page.WriteFile(report); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := runBrowser(t, nil, demo, report)
	t.Logf("browser checks took %v; screenshots in %s", time.Since(start), dir)
	r := res[0]
	if r.Charts < 1 || r.Heatmaps < 1 || len(r.Players) != 3 {
		t.Errorf("demo: found %d charts, %d heatmaps, %d players; want >=1, >=1, 3", r.Charts, r.Heatmaps, len(r.Players))
	}
	full := []string{"canvases drawn", "play changes canvas", "space toggles", "slider reaches last frame", "confusion follows frame", "hover tooltip", "legend toggles", "linked selection"}
	if len(r.Players) == 3 {
		pl := r.Players[0]
		if pl.Panels != 2 || !pl.TooltipImage || fmt.Sprint(pl.Checks) != fmt.Sprint(full) {
			t.Errorf("demo player: %d panels (want 2), thumbnail in tooltip %v, checks %v", pl.Panels, pl.TooltipImage, pl.Checks)
		}
		if !strings.Contains(r.Players[1].Tooltip, "rgb:") {
			t.Errorf("colors player tooltip %q lacks the rgb value", r.Players[1].Tooltip)
		}
		if !r.Players[2].Static || r.Players[2].Panels != 3 {
			t.Errorf("scatter grid: static %v, %d panels", r.Players[2].Static, r.Players[2].Panels)
		}
	}
	r = res[1]
	if len(r.Players) != 1 || r.Charts < 5 || r.Heatmaps != 1 {
		t.Fatalf("report: %d players, %d charts, %d heatmaps", len(r.Players), r.Charts, r.Heatmaps)
	}
	if pl := r.Players[0]; pl.Panels != 4 || fmt.Sprint(pl.Checks) != fmt.Sprint(full) {
		t.Errorf("report player: %d panels, checks %v", pl.Panels, pl.Checks)
	}
	d, err := ViewOf(run, ViewOptions{MaxPoints: 100}).load(true)
	if err != nil {
		t.Fatal(err)
	}
	checkLinkedData(t, "report", r.Players[0].Linked, []*runData{d})
}
