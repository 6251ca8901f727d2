package vizlib

import (
	"encoding/base64"
	"fmt"
	"math"

	"github.com/embviz/embviz/reduce"
)

// Scatter is one static 2-D scatter panel: Points is [n, 2].
type scatterPanel struct {
	Title  string
	Points *reduce.Matrix
}

// ScatterGrid draws static scatter panels of the same n points in a grid (e.g. layers x epochs
// with the ARI in each title), with the class legend and hover of the player.
type scatterGrid struct {
	Title      string
	Panels     []scatterPanel
	Labels     []int32
	ClassNames []string
	Colors     [][3]uint8
	Indices    []int32
	Thumbs     *thumbSet
	// Cols is the number of columns; 0 means min(4, panels).
	Cols int
	// Size is each panel's side in CSS pixels; 0 means 220.
	Size int
}

func (g *scatterGrid) player() *playerView {
	p := &playerView{Title: g.Title, Cols: g.Cols, Size: g.Size, Static: true}
	if p.Cols <= 0 {
		p.Cols = min(4, len(g.Panels))
	}
	if p.Size <= 0 {
		p.Size = 220
	}
	for _, s := range g.Panels {
		p.Panels = append(p.Panels, &Animation{Title: s.Title, Frames: []*reduce.Matrix{s.Points}, Labels: g.Labels,
			ClassNames: g.ClassNames, Colors: g.Colors, Indices: g.Indices, Thumbs: g.Thumbs})
	}
	return p
}

func (g *scatterGrid) spec() (any, error) { return g.player().spec() }

// HTML returns the grid as a self-contained fragment.
func (g *scatterGrid) html() string { return render(g, true) }

// ScatterMatrix is a pairwise scatter matrix of the d columns of X ([n, d]) with per-class
// histograms (or KDEs) on the diagonal.
type scatterMatrix struct {
	Title      string
	X          *reduce.Matrix
	DimNames   []string
	Labels     []int32
	ClassNames []string
	// KDE draws Gaussian kernel density estimates on the diagonal instead of histograms.
	KDE bool
	// Cell is each cell's side in CSS pixels; 0 picks one from d.
	Cell int
}

type scatterMatrixSpec struct {
	Kind       string   `json:"kind"`
	Title      string   `json:"title,omitempty"`
	N          int      `json:"n"`
	D          int      `json:"d"`
	Dims       []string `json:"dims"`
	Data       string   `json:"data"`
	Labels     string   `json:"labels,omitempty"`
	LBytes     int      `json:"lbytes,omitempty"`
	ClassNames []string `json:"classNames,omitempty"`
	Diag       string   `json:"diag"`
	Cell       int      `json:"cell,omitempty"`
}

func (s *scatterMatrix) spec() (any, error) {
	x := s.X
	if x == nil || x.Rows == 0 || x.Cols == 0 || len(x.Data) != x.Rows*x.Cols {
		return nil, fmt.Errorf("vizlib: scatter matrix %q needs a non-empty [n, d] matrix", s.Title)
	}
	if x.Cols > 16 {
		return nil, fmt.Errorf("vizlib: scatter matrix %q has %d dimensions; at most 16 fit (project first, e.g. with PCA)", s.Title, x.Cols)
	}
	n, d := x.Rows, x.Cols
	if s.Labels != nil && len(s.Labels) != n {
		return nil, fmt.Errorf("vizlib: scatter matrix %q has %d labels for %d points", s.Title, len(s.Labels), n)
	}
	sp := scatterMatrixSpec{Kind: "scattermatrix", Title: s.Title, N: n, D: d, ClassNames: s.ClassNames, Diag: "hist", Cell: s.Cell}
	if s.KDE {
		sp.Diag = "kde"
	}
	for j := 0; j < d; j++ {
		if j < len(s.DimNames) {
			sp.Dims = append(sp.Dims, s.DimNames[j])
		} else {
			sp.Dims = append(sp.Dims, fmt.Sprintf("dim %d", j))
		}
	}
	lo, hi := make([]float64, d), make([]float64, d)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := float64(x.Data[i*d+j])
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
			}
		}
	}
	b := make([]byte, 2*n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			span := hi[j] - lo[j]
			q := 0.0
			if span > 0 {
				q = (float64(x.Data[i*d+j]) - lo[j]) / span * 65535
			}
			if !(q > 0) {
				q = 0
			}
			u := uint16(min(q+0.5, 65535))
			b[2*(i*d+j)], b[2*(i*d+j)+1] = byte(u), byte(u>>8)
		}
	}
	sp.Data = base64.StdEncoding.EncodeToString(b)
	if s.Labels != nil {
		sp.LBytes = 1
		for _, l := range s.Labels {
			if l < 0 || l > 65535 {
				return nil, fmt.Errorf("vizlib: scatter matrix %q: label %d outside [0, 65535]", s.Title, l)
			}
			if l > 255 {
				sp.LBytes = 2
			}
		}
		sp.Labels = encodeInts(s.Labels, sp.LBytes)
	}
	return sp, nil
}

// HTML returns the scatter matrix as a self-contained fragment.
func (s *scatterMatrix) html() string { return render(s, true) }
