package notebooks

import (
	"strings"
	"testing"
	"time"
)

// countImageGrids counts the image grids (static HTML with inline PNGs and no "kind") in the HTML
// outputs.
func countImageGrids(htmls []string) int {
	n := 0
	for _, h := range htmls {
		n += strings.Count(h, `class="evz-images"`)
	}
	return n
}

// TestColorBottleneckNotebook executes color_bottleneck_superposition.ipynb in quick mode on an
// empty runs directory (it trains colormlp through the scaled curriculum) and checks its outputs:
// the dopesheet table, the curriculum timeline, training records and eigenvalue charts, the
// phase-end scatter grid and the synced animation of the code (points in their RGB colors).
func TestColorBottleneckNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook with training: minutes")
	}
	runs := t.TempDir()
	start := time.Now()
	_, htmls := Execute(t, notebookPath(t, "color_bottleneck_superposition.ipynb"),
		[]string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + runs}, 10*time.Minute)
	t.Logf("executed in %v", time.Since(start).Round(time.Second))
	kinds := countKinds(t, htmls)
	all := strings.Join(htmls, "\n")
	if n := strings.Count(all, `class="evz-frag embviz-curriculum"`); n != 1 {
		t.Errorf("want 1 curriculum table, got %d", n)
	}
	// The seed's dopesheet: its phases in the table, the timeline and the phase-end figure.
	for _, phase := range []string{"Primary &amp; secondary", "All hues", "Full color space"} {
		if !strings.Contains(all, phase) && !strings.Contains(all, strings.ReplaceAll(phase, "&amp;", `\u0026`)) {
			t.Errorf("phase %q missing from the outputs", phase)
		}
	}
	// Timeline (grid of charts), training records (grid of charts), eigenvalues (chart): >= 4
	// charts, >= 2 grids. The synced animation: 1 player.
	if kinds["chart"] < 4 || kinds["grid"] < 2 || kinds["player"] != 1 {
		t.Errorf("expected >= 4 charts, >= 2 grids, 1 player; got %v", kinds)
	}
	// Seed 003's phase-end figure: one row per phase, dims (0,1), (0,2), (0,3), zero lines and
	// unit circle, points in their own RGB colors (the 1,000 colors of the RGB cube per panel).
	for _, want := range []string{"Phase: Primary &amp; secondary", "Phase: All hues", "Phase: Full color space",
		"(End Step: 300)", "(End Step: 1000)", "(End Step: 2000)", "Dims 0 vs 1", "Dims 0 vs 2", "Dims 0 vs 3", `stroke-dasharray="5 4"`} {
		if !strings.Contains(all, want) {
			t.Errorf("phase-end figure lacks %q", want)
		}
	}
	if n := strings.Count(all, `<circle cx=`); n < 9*1000 {
		t.Errorf("phase-end figure has %d points, want 3 phases x 3 pairs x 1,000 colors", n)
	}
	if !strings.Contains(all, `fill="rgb(255,0,0)"`) {
		t.Error("phase-end points are not drawn in their own RGB colors")
	}
	// The animation's points carry their own colors (Animation.WithColors).
	if n := strings.Count(all, `"colors":`); n < 1 {
		t.Errorf("want per-point colors in the player, got %d", n)
	}
}

// TestVAELatentExplorerNotebook executes vae_latent_explorer.ipynb in quick mode on an empty
// runs directory (it trains a tiny VAE on Fashion-MNIST) and checks every expected output.
func TestVAELatentExplorerNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook with training: minutes")
	}
	runs := t.TempDir()
	start := time.Now()
	executed, htmls := Execute(t, notebookPath(t, "vae_latent_explorer.ipynb"),
		[]string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + runs}, 15*time.Minute)
	t.Logf("executed in %v", time.Since(start).Round(time.Second))
	kinds := countKinds(t, htmls)
	// Training records and latent activity: grids of charts; prototypes: a heatmap; the latent
	// scatter matrix; players: the PCA/t-SNE/UMAP animation, the three path maps, the two planes of
	// latent dimensions and the three sampled maps.
	if kinds["chart"] < 3 || kinds["heatmap"] != 1 || kinds["scattermatrix"] != 1 || kinds["player"] != 9 {
		t.Errorf("expected >= 3 charts, 1 heatmap, 1 scattermatrix, 9 players; got %v", kinds)
	}
	// Image grids: reconstructions, samples, decoded prototypes, the Sneaker traversal, the two
	// latent manifolds (the live one's poster), the three decoded paths, the two sampled planes of
	// latent dimensions and the three sampled maps.
	if n := countImageGrids(htmls); n != 14 {
		t.Errorf("want 14 image grids, got %d", n)
	}
	all := strings.Join(htmls, "\n")
	// The in-browser views: the explorer and the live manifold, each with its poster.
	if n := strings.Count(all, `class="evz-vae-poster"`); n != 2 || strings.Count(all, `"kind":"sliders"`) != 1 || strings.Count(all, `"kind":"manifold"`) != 1 {
		t.Errorf("want the explorer and the live manifold with posters, got %d posters", n)
	}
	for _, want := range []string{"binarized reconstructed", "samples from the prior", "latent explorer", "latent activations", ">25%<",
		"decoded class prototypes", "prototype values", "Sneaker prototype", "latent manifold", "linear inverse", "knn inverse",
		"latent plane z", "nearest-neighbour inverse", "10-nearest-neighbour interpolated inverse"} {
		if !strings.Contains(all, want) {
			t.Errorf("no output mentions %q", want)
		}
	}
	// The HTML export plays in Chromium with the network blocked (screenshots of every output in
	// test-output/notebooks/vae_latent_explorer.executed/).
	if players := browserCheck(t, exportHTML(t, executed)); players < 9 {
		t.Errorf("the HTML export mounted %d players, want >= 9", players)
	}
}
