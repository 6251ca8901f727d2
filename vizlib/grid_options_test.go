package vizlib

import (
	"strings"
	"testing"
)

// TestGridSeedParameters: the seed's show_animations parameters map onto GridOpts:
// figsize_per_plot (w, h), annotate_confusion_matrix, the confusion panel with class names, shared_axes.
func TestGridSeedParameters(t *testing.T) {
	a := syntheticAnimation(60, 4, 3, 1)
	b := syntheticAnimation(60, 4, 3, 1)
	g := Grid(GridOpts{FigSizePerPlot: [2]float64{5, 4}, Confusion: true, NoConfusionAnnotate: true, SharedAxes: true}, a, b)
	if g.Err() != nil {
		t.Fatal(g.Err())
	}
	h := g.HTML()
	for _, want := range []string{`"size":320`, `"confNoAnnot":true`, `"confusion":true`, `"classNames":["class 0","class 1","class 2"]`} {
		if !strings.Contains(h, want) {
			t.Errorf("grid spec lacks %s", want)
		}
	}
	h2 := Grid(GridOpts{FigSizePerPlot: [2]float64{3, 6}, Confusion: true}, a).HTML()
	if !strings.Contains(h2, `"size":240`) || strings.Contains(h2, `"confNoAnnot":true`) {
		t.Errorf("figsize (3, 6): want panels of 240 px and annotated confusion cells")
	}
	if h3 := Grid(GridOpts{Size: 200, FigSizePerPlot: [2]float64{5, 5}}, a).HTML(); !strings.Contains(h3, `"size":200`) {
		t.Errorf("Size wins over FigSizePerPlot")
	}
}
