package vizlib

import (
	"fmt"

	"github.com/embviz/embviz/reduce"
)

// HeatmapFrame is one matrix of a Heatmap: Values is row-major [rows, cols].
type heatmapFrame struct {
	// Label is shown next to the slider (e.g. "step 1200 · epoch 3.0").
	Label  string
	Values []float64
}

// Heatmap draws one or more matrices with row/column labels, optional annotations and, when it
// has several frames, a slider over them (e.g. confusion matrices over snapshots).
type heatmapChart struct {
	Title, XLabel, YLabel string
	RowLabels, ColLabels  []string
	Frames                []heatmapFrame
	// Annotate writes each cell's value in it.
	Annotate bool
	// Normalize divides each row by its sum (confusion matrix -> per-class recall).
	Normalize bool
	// NormToggle shows a checkbox to switch between counts and normalized rows.
	NormToggle bool
	// Diverging uses a blue-white-red scale symmetric about 0 (loadings, correlations).
	Diverging bool
	// Cell is the cell size in CSS pixels; 0 picks one from the matrix size.
	Cell int
}

type heatFrameSpec struct {
	Label  string `json:"label,omitempty"`
	Values []any  `json:"values"`
}

type heatmapSpec struct {
	Kind       string          `json:"kind"`
	Title      string          `json:"title,omitempty"`
	XLabel     string          `json:"xlabel,omitempty"`
	YLabel     string          `json:"ylabel,omitempty"`
	Rows       []string        `json:"rows"`
	Cols       []string        `json:"cols"`
	Frames     []heatFrameSpec `json:"frames"`
	Annotate   bool            `json:"annotate,omitempty"`
	Normalize  string          `json:"normalize,omitempty"`
	NormToggle bool            `json:"normToggle,omitempty"`
	Diverging  bool            `json:"diverging,omitempty"`
	Cell       int             `json:"cell,omitempty"`
}

func (h *heatmapChart) spec() (any, error) {
	r, c := len(h.RowLabels), len(h.ColLabels)
	if r == 0 || c == 0 {
		return nil, fmt.Errorf("vizlib: heatmap %q needs row and column labels (got %d and %d)", h.Title, r, c)
	}
	if len(h.Frames) == 0 {
		return nil, fmt.Errorf("vizlib: heatmap %q has no frames", h.Title)
	}
	s := heatmapSpec{Kind: "heatmap", Title: h.Title, XLabel: h.XLabel, YLabel: h.YLabel, Rows: h.RowLabels, Cols: h.ColLabels,
		Annotate: h.Annotate, NormToggle: h.NormToggle, Diverging: h.Diverging, Cell: h.Cell}
	if h.Normalize {
		s.Normalize = "row"
	}
	for i, f := range h.Frames {
		if len(f.Values) != r*c {
			return nil, fmt.Errorf("vizlib: heatmap %q frame %d has %d values, want rows*cols = %d*%d = %d", h.Title, i, len(f.Values), r, c, r*c)
		}
		s.Frames = append(s.Frames, heatFrameSpec{Label: f.Label, Values: nullable(f.Values)})
	}
	return s, nil
}

// HTML returns the heatmap as a self-contained fragment.
func (h *heatmapChart) html() string { return render(h, true) }

// rowNormalizedConfusion returns the confusion matrix of labels and preds ([n] each, classes
// 0..c-1; reduce.ConfusionMatrix) with each row divided by its sum (per-class recall): [c, c]
// row-major, rows without samples all zero.
func rowNormalizedConfusion(labels, preds []int32, c int) ([]float64, error) {
	m, err := reduce.ConfusionMatrix(labels, preds, c)
	if err != nil {
		return nil, err
	}
	for i := 0; i < c; i++ {
		sum := 0.0
		for _, v := range m[i*c : (i+1)*c] {
			sum += v
		}
		if sum > 0 {
			for j := i * c; j < (i+1)*c; j++ {
				m[j] /= sum
			}
		}
	}
	return m, nil
}
