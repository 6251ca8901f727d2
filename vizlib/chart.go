package vizlib

import (
	"fmt"
	"math"
)

// Series is one line of a Chart: Y[i] is drawn at X[i]; NaN values break the line.
type lineSeries struct {
	Name string
	X, Y []float64
	// Color is a CSS color; empty picks the categorical palette by position.
	Color string
	// Dash draws a dashed line.
	Dash bool
	// Hidden starts the series toggled off in the legend.
	Hidden bool
}

// VLine is a dashed vertical marker (e.g. a curriculum keyframe) at X with an optional label.
type vline struct {
	X     float64
	Label string
}

// Chart is an SVG line chart with hover values, legend toggles, optional log scale and y-limits.
// Its zero value (plus Series) is a valid chart.
type lineChart struct {
	Title, XLabel, YLabel string
	Series                []lineSeries
	VLines                []vline
	// LogY draws the y axis in log10 scale (non-positive values are skipped).
	LogY bool
	// LogToggle shows a "log y" checkbox.
	LogToggle bool
	// YMin and YMax fix the y range when YMax > YMin; otherwise the range follows the data.
	YMin, YMax float64
	// Width and Height in CSS pixels; 0 means 560x300.
	Width, Height int
}

type chartSeriesSpec struct {
	Name   string    `json:"name"`
	X      []float64 `json:"x"`
	Y      []any     `json:"y"`
	Color  string    `json:"color,omitempty"`
	Dash   bool      `json:"dash,omitempty"`
	Hidden bool      `json:"hidden,omitempty"`
}

type vlineSpec struct {
	X     float64 `json:"x"`
	Label string  `json:"label,omitempty"`
}

type chartSpec struct {
	Kind      string            `json:"kind"`
	Title     string            `json:"title,omitempty"`
	XLabel    string            `json:"xlabel,omitempty"`
	YLabel    string            `json:"ylabel,omitempty"`
	Series    []chartSeriesSpec `json:"series"`
	VLines    []vlineSpec       `json:"vlines,omitempty"`
	LogY      bool              `json:"logy,omitempty"`
	LogToggle bool              `json:"logToggle,omitempty"`
	YMin      *float64          `json:"ymin"`
	YMax      *float64          `json:"ymax"`
	Width     int               `json:"width,omitempty"`
	Height    int               `json:"height,omitempty"`
}

func (c *lineChart) spec() (any, error) {
	s := chartSpec{Kind: "chart", Title: c.Title, XLabel: c.XLabel, YLabel: c.YLabel, LogY: c.LogY,
		LogToggle: c.LogToggle, Width: c.Width, Height: c.Height}
	for i, se := range c.Series {
		if len(se.X) != len(se.Y) {
			return nil, fmt.Errorf("vizlib: chart %q: series %d (%q) has %d x values and %d y values", c.Title, i, se.Name, len(se.X), len(se.Y))
		}
		for _, x := range se.X {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("vizlib: chart %q: series %q has a non-finite x value", c.Title, se.Name)
			}
		}
		s.Series = append(s.Series, chartSeriesSpec{Name: se.Name, X: se.X, Y: nullable(se.Y), Color: se.Color, Dash: se.Dash, Hidden: se.Hidden})
	}
	for _, v := range c.VLines {
		s.VLines = append(s.VLines, vlineSpec{X: v.X, Label: v.Label})
	}
	if c.YMax > c.YMin {
		lo, hi := c.YMin, c.YMax
		s.YMin, s.YMax = &lo, &hi
	}
	return s, nil
}

// HTML returns the chart as a self-contained fragment.
func (c *lineChart) html() string { return render(c, true) }

// Grid lays out several charts, heatmaps or scatter matrices in Cols columns (0 means 2).
type chartGrid struct {
	Title string
	Cols  int
	Items []renderable
}

type gridSpec struct {
	Kind  string `json:"kind"`
	Title string `json:"title,omitempty"`
	Cols  int    `json:"cols"`
	Items []any  `json:"items"`
}

func (g *chartGrid) spec() (any, error) {
	s := gridSpec{Kind: "grid", Title: g.Title, Cols: g.Cols}
	if s.Cols <= 0 {
		s.Cols = 2
	}
	for i, it := range g.Items {
		sp, ok := it.(specer)
		if !ok {
			return nil, fmt.Errorf("vizlib: grid item %d (%T) cannot be placed in a grid", i, it)
		}
		v, err := sp.spec()
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, v)
	}
	return s, nil
}

// HTML returns the grid as a self-contained fragment.
func (g *chartGrid) html() string { return render(g, true) }
