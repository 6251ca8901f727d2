package vizlib

import (
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
)

// TestOptionsAreTyped compiles small programs against the package: an option a view does not read
// must not compile (a UMAP option passed to the t-SNE view, a t-SNE field in UMAP's options, a
// perplexity in the grid's options), while the same programs with the right options do compile
// (so the test can fail). The programs live only in a `go build -overlay` (testutil.BuildProgram).
func TestOptionsAreTyped(t *testing.T) {
	cases := []struct {
		name, body string
		ok         bool
		wantErr    string
	}{
		{"tsne with its options", `v.TSNE(reduce.TSNEAnimOptions{Update: 0.2, TSNE: reduce.TSNEOptions{Perplexity: 30}}).Show()`, true, ""},
		{"umap with its options", `v.UMAP(reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{NNeighbors: 20, MinDist: new(0.2)}}).Show()`, true, ""},
		{"grid with its options", `vizlib.Grid(vizlib.GridOpts{Cols: 3}, v.PCA()).Show()`, true, ""},
		{"umap options to the t-SNE view", `v.TSNE(reduce.UMAPAnimOptions{}).Show()`, false, "cannot use"},
		{"n_neighbors in t-SNE options", `v.TSNE(reduce.TSNEAnimOptions{NNeighbors: 20}).Show()`, false, "unknown field"},
		{"perplexity in UMAP options", `v.UMAP(reduce.UMAPAnimOptions{UMAP: reduce.UMAPOptions{Perplexity: 30}}).Show()`, false, "unknown field"},
		{"perplexity in grid options", `vizlib.Grid(vizlib.GridOpts{Perplexity: 30}).Show()`, false, "unknown field"},
		{"annotate to the drift chart", `v.Drift(vizlib.ConfusionOpts{Annotate: true}).Show()`, false, "cannot use"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prog := "package main\n\nimport (\n\t\"github.com/embviz/embviz/reduce\"\n\t\"github.com/embviz/embviz/vizlib\"\n)\n\nvar _ = reduce.Cosine\n\nfunc main() {\n\tv := vizlib.View(nil)\n\t" + c.body + "\n}\n"
			out, err := testutil.BuildProgram(t, "vizlib/zz_typedtest", prog)
			if c.ok && err != nil {
				t.Fatalf("should compile: %v\n%s", err, out)
			}
			if !c.ok && (err == nil || !strings.Contains(string(out), c.wantErr)) {
				t.Fatalf("should not compile with %q: err %v\n%s", c.wantErr, err, out)
			}
		})
	}
}
