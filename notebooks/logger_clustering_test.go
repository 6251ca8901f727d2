package notebooks

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
)

// TestNotebookCellsCompile checks the cells of every notebook without executing them: no notebook defines or calls a must
// helper (views carry their errors; cells call .Show()), every cell that ends with a view shows it,
// and every cell compiles against the packages: the declarations and each cell's body (a function,
// as GoNB runs it after %%) are built as one program in a `go build -overlay`.
func TestNotebookCellsCompile(t *testing.T) {
	importRE := regexp.MustCompile(`(?s)^import \((.*?)\n\)\n`)
	mustRE := regexp.MustCompile(`\bmust\b`)
	names, err := filepath.Glob("*.ipynb")
	if err != nil || len(names) < 5 {
		t.Fatalf("want the five notebooks, found %v (%v)", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(notebookPath(t, name))
			if err != nil {
				t.Fatal(err)
			}
			var nb struct {
				Cells []struct {
					CellType string `json:"cell_type"`
					Source   any    `json:"source"`
				} `json:"cells"`
			}
			if err := json.Unmarshal(data, &nb); err != nil {
				t.Fatal(err)
			}
			imports := map[string]bool{`"fmt"`: true}
			var decls, bodies strings.Builder
			for i, c := range nb.Cells {
				src := join(c.Source)
				if c.CellType != "code" || strings.HasPrefix(src, "!") {
					continue
				}
				if mustRE.MatchString(src) {
					t.Errorf("cell %d uses a must helper:\n%s", i, src)
				}
				decl, body, ok := strings.Cut(src, "%%")
				if !ok {
					decl, body = src, ""
				}
				if m := importRE.FindStringSubmatch(decl); m != nil {
					for _, imp := range strings.Fields(m[1]) {
						imports[imp] = true
					}
					decl = decl[len(m[0]):]
				}
				decls.WriteString(decl + "\n")
				body = strings.TrimSpace(body)
				if body == "" {
					continue
				}
				lines := strings.Split(body, "\n")
				if last := lines[len(lines)-1]; strings.Contains(body, "vizlib.") || strings.HasPrefix(last, "v.") {
					if !strings.HasSuffix(last, ".Show()") && !strings.HasPrefix(last, "fmt.") {
						t.Errorf("cell %d ends without showing its view: %q", i, last)
					}
				}
				fmt.Fprintf(&bodies, "func cell%d() {\n%s\n}\n\n", i, body)
			}
			var prog strings.Builder
			prog.WriteString("package main\n\nimport (\n")
			for _, imp := range slices.Sorted(maps.Keys(imports)) {
				prog.WriteString("\t" + imp + "\n")
			}
			prog.WriteString(")\n\n" + decls.String() + "\n" + bodies.String() + "func main() {}\n")
			if out, err := testutil.BuildProgram(t, "notebooks/zz_cells", prog.String()); err != nil {
				t.Fatalf("the cells do not compile: %v\n%s\nprogram:\n%s", err, out, prog.String())
			}
		})
	}
}

// TestTSNELoggerNotebook executes embedding_tsne_logger.ipynb in quick mode on an empty runs
// directory (it trains its run first) and checks its outputs: the training records, the full
// t-SNE pipeline, the side-by-side comparisons with and without registration and normalization,
// the frame-to-frame displacement chart, and the check that recomputed embeddings equal the last
// logged snapshot. The HTML export is played in Chromium with the network blocked.
func TestTSNELoggerNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook with training: minutes")
	}
	runs := t.TempDir()
	start := time.Now()
	executed, htmls := Execute(t, notebookPath(t, "embedding_tsne_logger.ipynb"),
		[]string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + runs}, 15*time.Minute)
	t.Logf("executed in %v", time.Since(start).Round(time.Second))
	kinds := countKinds(t, htmls)
	// Training records (a grid of charts) and the displacement chart; the full pipeline, the
	// three-way comparison and the normalization comparison: players.
	if kinds["chart"] < 3 || kinds["grid"] < 1 || kinds["player"] < 3 {
		t.Errorf("expected >= 3 charts, >= 1 grid, >= 3 players; got %v", kinds)
	}
	all := strings.Join(htmls, "\n")
	if !strings.Contains(all, "frame-to-frame displacement") {
		t.Errorf("no displacement chart")
	}
	for _, title := range []string{"warm start, no registration", "independent, no registration", "not normalized"} {
		if !strings.Contains(all, title) {
			t.Errorf("no panel titled %q", title)
		}
	}
	page := exportHTML(t, executed)
	if players := browserCheck(t, page); players < 3 {
		t.Errorf("the HTML export mounted %d players, want >= 3", players)
	}
	text := streamText(t, executed)
	if !strings.Contains(text, "recomputed vs. last logged snapshot") {
		t.Errorf("the embedding check printed nothing; stdout:\n%s", tail(text, 2000))
	} else if !strings.Contains(text, "relative ‖Δ‖/‖b‖ ") || strings.Contains(text, "relative ‖Δ‖/‖b‖ NaN") {
		t.Errorf("embedding check: %s", tail(text, 2000))
	}
	// One PNG per snapshot next to the player, as the seed writes one image per step.
	pngs, _ := filepath.Glob(filepath.Join(runs, "*", "tsne-frames", "frame-*.png"))
	if len(pngs) < 2 || !strings.Contains(text, "images in ") {
		t.Errorf("per-step PNGs: %d files under %s; stdout:\n%s", len(pngs), runs, tail(text, 1000))
	}
}

// TestLatentClusteringNotebook executes latent_clustering_evolution.ipynb in quick mode on an empty
// runs directory and checks its outputs: two cluster views (pixels and the embedding), the
// per-layer scores, the t-SNE grid in the seed's orientation (rows epochs, columns layers, ARI in the
// titles), the PCA layer grid, the seed's GIF (inline, with its download link), and the summary table with a row per layer and the pixel baseline. The HTML export
// is played in Chromium with the network blocked.
func TestLatentClusteringNotebook(t *testing.T) {
	if testing.Short() {
		t.Skip("executes a notebook with training: minutes")
	}
	runs := t.TempDir()
	start := time.Now()
	executed, htmls := Execute(t, notebookPath(t, "latent_clustering_evolution.ipynb"),
		[]string{"EMBVIZ_QUICK=1", "EMBVIZ_RUNS=" + runs}, 15*time.Minute)
	t.Logf("executed in %v", time.Since(start).Round(time.Second))
	kinds := countKinds(t, htmls)
	// Cluster views: 2 static players each; layer scores: a grid of 2 charts; t-SNE and PCA layer
	// grids: 1 static player each; the seed's GIF is an image (no player).
	if kinds["grid"] < 1 || kinds["chart"] < 2 || kinds["player"] < 6 {
		t.Errorf("expected >= 1 grid, >= 2 charts, >= 6 players; got %v", kinds)
	}
	all := strings.Join(htmls, "\n")
	if !strings.Contains(all, `<img alt="t-SNE of each layer over training"`) ||
		!strings.Contains(all, `download="latent_evolution.gif" href="data:image/gif;base64,`) {
		t.Errorf("no inline GIF with its download link")
	}
	if !strings.Contains(all, "layers (columns) × epochs (rows), t-SNE") || !strings.Contains(all, "conv1 @ Epoch 0 (ARI=") ||
		!strings.Contains(all, "layers × snapshots (PCA)") {
		t.Errorf("missing a layer grid")
	}
	page := exportHTML(t, executed)
	if players := browserCheck(t, page); players < 6 {
		t.Errorf("the HTML export mounted %d players, want >= 6", players)
	}
	i := strings.Index(all, `class="embviz-table"`)
	if i < 0 {
		t.Fatalf("no summary table")
	}
	table := all[i:]
	for _, row := range []string{">pixels<", ">conv1<", ">conv2<", ">fc1<", ">fc2<"} {
		if !strings.Contains(table, row) {
			t.Errorf("summary table has no row %s", row)
		}
	}
}

// streamText returns the text of every stream output (stdout and stderr) of an executed notebook.
func streamText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb executed
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "stream" {
				b.WriteString(join(o.Text))
			}
		}
	}
	return b.String()
}
