package vizlib

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
)

// The posters of the views drawn by the JavaScript library: the same layout as the interactive
// view in its first state (players: the last frame), without the controls.

// poster draws the line chart: title, axes with ticks, grid lines, labels, vertical markers,
// the series (dashed ones dashed; series that start hidden are left out) and the legend.
func (ch *lineChart) poster() (*image.Paletted, error) {
	if _, err := ch.spec(); err != nil {
		return nil, err
	}
	W, H := ch.Width, ch.Height
	if W <= 0 {
		W = 560
	}
	if H <= 0 {
		H = 300
	}
	ml, mr, mt, mb := 64, 14, 10, 26
	if ch.XLabel != "" {
		mb += 16
	}
	c := newCanvas(W, H)
	plot := image.Rect(ml, mt, W-mr, H-mb)
	// Data ranges.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	ty := func(y float64) float64 {
		if ch.LogY {
			if !(y > 0) {
				return math.NaN()
			}
			return math.Log10(y)
		}
		return y
	}
	for _, s := range ch.Series {
		for i, x := range s.X {
			y := ty(s.Y[i])
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			xlo, xhi = min(xlo, x), max(xhi, x)
			if !s.Hidden {
				ylo, yhi = min(ylo, y), max(yhi, y)
			}
		}
	}
	if math.IsInf(xlo, 0) {
		c.textAt(plot.Min.X+plot.Dx()/2, plot.Min.Y+plot.Dy()/2-6, "no data", pMuted, 0)
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	if math.IsInf(ylo, 0) {
		ylo, yhi = 0, 1
	}
	if ch.YMax > ch.YMin && (!ch.LogY || ch.YMin > 0) {
		ylo, yhi = ty(ch.YMin), ty(ch.YMax)
	} else {
		span := yhi - ylo
		if span <= 0 {
			span = max(math.Abs(yhi)*0.1, 1)
			if ch.LogY {
				span = 1
			}
			ylo, yhi = ylo-span/2, yhi+span/2
		} else {
			ylo, yhi = ylo-0.05*span, yhi+0.05*span
		}
		if !ch.LogY && ylo < 0 && ylo+0.05*(yhi-ylo)/1.1 >= 0 {
			ylo = 0 // non-negative data: the axis starts at 0
		}
	}
	if !(xhi > xlo) {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	px := func(x float64) float64 {
		return float64(plot.Min.X) + (x-xlo)/(xhi-xlo)*float64(plot.Dx()-1)
	}
	py := func(y float64) float64 {
		return float64(plot.Max.Y-1) - (y-ylo)/(yhi-ylo)*float64(plot.Dy()-1)
	}
	// Y ticks and grid lines.
	var yt []float64
	var ylab []string
	if ch.LogY {
		for e := math.Ceil(ylo - 1e-9); e <= yhi+1e-9; e++ {
			yt, ylab = append(yt, e), append(ylab, posterTickLabel(math.Pow(10, e)))
		}
		if len(yt) < 2 {
			yt, ylab = nil, nil
			for _, v := range posterTicks(math.Pow(10, ylo), math.Pow(10, yhi), 4) {
				if v > 0 {
					yt, ylab = append(yt, math.Log10(v)), append(ylab, posterTickLabel(v))
				}
			}
		}
	} else {
		for _, v := range posterTicks(ylo, yhi, max(2, plot.Dy()/50)) {
			yt, ylab = append(yt, v), append(ylab, posterTickLabel(v))
		}
	}
	for i, v := range yt {
		y := int(math.Round(py(v)))
		if y < plot.Min.Y || y >= plot.Max.Y {
			continue
		}
		c.fill(image.Rect(plot.Min.X+1, y, plot.Max.X, y+1), pGrid)
		c.fill(image.Rect(plot.Min.X-4, y, plot.Min.X, y+1), pAxis)
		c.textAt(plot.Min.X-6, y-6, fitText(ylab[i], ml-10), pText, 1)
	}
	// X ticks.
	for _, v := range posterTicks(xlo, xhi, max(2, plot.Dx()/90)) {
		x := int(math.Round(px(v)))
		if x < plot.Min.X || x >= plot.Max.X {
			continue
		}
		c.fill(image.Rect(x, plot.Max.Y, x+1, plot.Max.Y+4), pAxis)
		c.textAt(x, plot.Max.Y+5, posterTickLabel(v), pText, 0)
	}
	if ch.XLabel != "" {
		c.textAt(plot.Min.X+plot.Dx()/2, H-15, fitText(ch.XLabel, plot.Dx()), pText, 0)
	}
	if ch.YLabel != "" {
		c.textUp(1, plot.Min.Y+plot.Dy()/2, fitText(ch.YLabel, plot.Dy()), pText, 0)
	}
	// Vertical markers.
	for _, v := range ch.VLines {
		x := px(v.X)
		c.line(x, float64(plot.Min.Y), x, float64(plot.Max.Y-1), pFaint, 1, true, plot)
		if v.Label != "" {
			c.text(int(x)+3, plot.Min.Y+1, fitText(v.Label, 90), pMuted)
		}
	}
	// Series.
	var items []legendItem
	for i, s := range ch.Series {
		ci := cssColorIndex(s.Color, classPal(i))
		items = append(items, legendItem{name: s.Name, ci: ci, dash: s.Dash, off: s.Hidden})
		if s.Hidden {
			continue
		}
		prevOK := false
		var x0, y0 float64
		for k, x := range s.X {
			y := ty(s.Y[k])
			if math.IsNaN(y) || math.IsInf(y, 0) {
				prevOK = false
				continue
			}
			x1, y1 := px(x), py(y)
			if prevOK {
				c.line(x0, y0, x1, y1, ci, 2, s.Dash, plot)
			} else if k+1 >= len(s.X) || math.IsNaN(ty(s.Y[k+1])) { // an isolated point
				c.fill(image.Rect(int(x1)-1, int(y1)-1, int(x1)+2, int(y1)+2).Intersect(plot), ci)
			}
			x0, y0, prevOK = x1, y1, true
		}
	}
	// Axes.
	c.fill(image.Rect(plot.Min.X, plot.Min.Y, plot.Min.X+1, plot.Max.Y), pAxis)
	c.fill(image.Rect(plot.Min.X, plot.Max.Y-1, plot.Max.X, plot.Max.Y), pAxis)
	if ch.LogY {
		c.text(plot.Max.X-textWidth("log y")-2, plot.Min.Y+1, "log y", pMuted)
	}
	var leg *image.Paletted
	if len(items) > 0 {
		lc := newCanvas(W, legendHeight(items, W-ml)+2)
		lc.legend(ml, 1, W-ml, items)
		leg = lc.Paletted
	}
	return stackPosters(0, titleBlock(W, ch.Title), c.Paletted, leg), nil
}

// poster draws the grid's title and its items' posters in Cols columns.
func (g *chartGrid) poster() (*image.Paletted, error) {
	cols := g.Cols
	if cols <= 0 {
		cols = 2
	}
	var imgs []*image.Paletted
	for i, it := range g.Items {
		p, ok := it.(posterer)
		if !ok {
			return nil, fmt.Errorf("vizlib: grid item %d (%T) draws no poster", i, it)
		}
		im, err := p.poster()
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, im)
	}
	return gridPosters(g.Title, cols, 12, imgs), nil
}

// gridPosters lays images out in cols columns (each column as wide as its widest image) under a
// title.
func gridPosters(title string, cols, gap int, imgs []*image.Paletted) *image.Paletted {
	cols = max(1, min(cols, len(imgs)))
	rows := (len(imgs) + cols - 1) / cols
	colW, rowH := make([]int, cols), make([]int, rows)
	for i, im := range imgs {
		colW[i%cols] = max(colW[i%cols], im.Bounds().Dx())
		rowH[i/cols] = max(rowH[i/cols], im.Bounds().Dy())
	}
	W, H := gap*(cols-1), gap*max(0, rows-1)
	for _, w := range colW {
		W += w
	}
	for _, h := range rowH {
		H += h
	}
	c := newCanvas(W, H)
	y := 0
	for r := 0; r < rows; r++ {
		x := 0
		for k := 0; k < cols; k++ {
			if i := r*cols + k; i < len(imgs) {
				c.paste(imgs[i], x, y)
			}
			x += colW[k] + gap
		}
		y += rowH[r] + gap
	}
	return stackPosters(4, titleBlock(W, title), c.Paletted)
}

// poster draws the heatmap's last frame (the one the view starts on) with its label, the row and
// column labels, the annotations and the color bar.
func (h *heatmapChart) poster() (*image.Paletted, error) {
	if _, err := h.spec(); err != nil {
		return nil, err
	}
	R, C := len(h.RowLabels), len(h.ColLabels)
	cell := h.Cell
	if cell <= 0 {
		cell = max(12, min(44, 440/max(R, C)))
	}
	maxRow, maxCol := 0, 0
	for _, s := range h.RowLabels {
		maxRow = max(maxRow, textWidth(s))
	}
	for _, s := range h.ColLabels {
		maxCol = max(maxCol, textWidth(s))
	}
	rot := maxCol > cell-2
	ml := min(160, 10+maxRow)
	if h.YLabel != "" {
		ml += 16
	}
	mt, mr := 4, 80
	mb := 18
	if rot {
		mb = min(120, maxCol) + 8
	}
	if h.XLabel != "" {
		mb += 16
	}
	W, H := ml+C*cell+mr, mt+R*cell+mb
	c := newCanvas(W, H)
	fr := h.Frames[len(h.Frames)-1]
	v := append([]float64(nil), fr.Values...)
	if h.Normalize {
		for r := 0; r < R; r++ {
			s := 0.0
			for k := 0; k < C; k++ {
				s += v[r*C+k]
			}
			for k := 0; k < C; k++ {
				if s > 0 {
					v[r*C+k] /= s
				} else {
					v[r*C+k] = 0
				}
			}
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	isInt := !h.Normalize
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			lo, hi = min(lo, x), max(hi, x)
			if x != math.Round(x) {
				isInt = false
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	amax := max(math.Abs(lo), math.Abs(hi))
	if amax == 0 {
		amax = 1
	}
	if !h.Diverging {
		lo = min(0, lo)
		if !(hi > lo) {
			hi = lo + 1
		}
	}
	for i := 0; i < R; i++ {
		for j := 0; j < C; j++ {
			x := v[i*C+j]
			var ci uint8
			t := 0.0
			switch {
			case math.IsNaN(x):
				ci = pGrid
			case h.Diverging:
				t = x / amax
				ci = divIndex(t)
			default:
				t = (x - lo) / (hi - lo)
				ci = seqIndex(t)
			}
			x0, y0 := ml+j*cell, mt+i*cell
			c.fill(image.Rect(x0, y0, x0+cell-1, y0+cell-1), ci)
			if h.Annotate && !math.IsNaN(x) {
				var s string
				switch {
				case isInt:
					s = strconv.FormatFloat(x, 'f', 0, 64)
				case math.Abs(x) >= 10:
					s = strconv.FormatFloat(x, 'f', 0, 64)
				default:
					s = strconv.FormatFloat(x, 'f', 2, 64)
					if len(s) > 2 && s[:2] == "0." {
						s = s[1:]
					} else if len(s) > 3 && s[:3] == "-0." {
						s = "-" + s[2:]
					}
				}
				if textWidth(s) <= cell-2 {
					tc := uint8(pText)
					if math.Abs(t) > 0.55 {
						tc = pWhite
					}
					c.textAt(x0+cell/2, y0+cell/2-7, s, tc, 0)
				}
			}
		}
	}
	labelW := ml - 6
	if h.YLabel != "" {
		labelW -= 16
	}
	for i, s := range h.RowLabels {
		c.textAt(ml-4, mt+i*cell+cell/2-7, fitText(s, labelW), pText, 1)
	}
	for j, s := range h.ColLabels {
		x := ml + j*cell + cell/2
		if rot {
			c.textUp(x-6, mt+R*cell+3, fitText(s, 120), pText, 1)
		} else {
			c.textAt(x, mt+R*cell+3, s, pText, 0)
		}
	}
	if h.XLabel != "" {
		c.textAt(ml+C*cell/2, H-15, fitText(h.XLabel, C*cell+mr), pText, 0)
	}
	if h.YLabel != "" {
		c.textUp(1, mt+R*cell/2, fitText(h.YLabel, R*cell), pText, 0)
	}
	// Color bar.
	bx, bh := ml+C*cell+10, R*cell
	for k := 0; k < bh; k++ {
		tt := 1 - float64(k)/float64(max(1, bh-1))
		ci := seqIndex(tt)
		if h.Diverging {
			ci = divIndex(2*tt - 1)
		}
		c.fill(image.Rect(bx, mt+k, bx+12, mt+k+1), ci)
	}
	top, bottom := hi, lo
	if h.Diverging {
		top, bottom = amax, -amax
	}
	c.text(bx+16, mt, fitText(posterTickLabel(roundSig(top, 3)), mr-28), pText)
	c.text(bx+16, mt+bh-13, fitText(posterTickLabel(roundSig(bottom, 3)), mr-28), pText)
	caption := fr.Label
	if len(h.Frames) > 1 && caption == "" {
		caption = fmt.Sprintf("snapshot %d/%d", len(h.Frames), len(h.Frames))
	}
	if h.Normalize {
		caption += " (rows normalized)"
	}
	return stackPosters(2, titleBlock(max(W, min(720, textWidth(h.Title)+8)), h.Title, caption), c.Paletted), nil
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// poster draws the scatter matrix: points colored by class off the diagonal, per-class
// histograms on it, the dimensions' names and the class legend.
func (s *scatterMatrix) poster() (*image.Paletted, error) {
	spAny, err := s.spec()
	if err != nil {
		return nil, err
	}
	sp := spAny.(scatterMatrixSpec)
	n, d, x := sp.N, sp.D, s.X
	cs := s.Cell
	if cs <= 0 {
		cs = max(60, min(120, 560/d))
	}
	ml, mb, gap := 18, 18, 4
	W, H := ml+d*cs, d*cs+mb
	c := newCanvas(W, H)
	lo, hi := make([]float64, d), make([]float64, d)
	for j := range lo {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
		for i := 0; i < n; i++ {
			if v := float64(x.Data[i*d+j]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
			}
		}
		if !(hi[j] > lo[j]) {
			lo[j], hi[j] = lo[j]-0.5, lo[j]+0.5
		}
	}
	classes := len(s.ClassNames)
	for _, l := range s.Labels {
		classes = max(classes, int(l)+1)
	}
	label := func(i int) int {
		if s.Labels == nil {
			return 0
		}
		return int(s.Labels[i])
	}
	ptColor := func(i int) uint8 {
		if s.Labels == nil {
			return classPal(0)
		}
		return classPal(label(i))
	}
	inner := cs - gap
	ps := 2
	if n > 2000 {
		ps = 1
	}
	norm := func(v float64, j int) float64 { return (v - lo[j]) / (hi[j] - lo[j]) }
	for r := 0; r < d; r++ {
		for k := 0; k < d; k++ {
			ox, oy := ml+k*cs, r*cs
			box := image.Rect(ox, oy, ox+inner, oy+inner)
			c.rect(box, pBorder)
			in := box.Inset(2)
			if r == k { // histograms per class
				const bins = 20
				nc := max(1, classes)
				if s.Labels == nil {
					nc = 1
				}
				hist := make([][]float64, nc)
				for q := range hist {
					hist[q] = make([]float64, bins)
				}
				top := 0.0
				for i := 0; i < n; i++ {
					v := float64(x.Data[i*d+k])
					if math.IsNaN(v) || math.IsInf(v, 0) {
						continue
					}
					b := min(bins-1, max(0, int(norm(v, k)*bins)))
					q := 0
					if s.Labels != nil {
						q = min(nc-1, label(i))
					}
					hist[q][b]++
					top = max(top, hist[q][b])
				}
				if top == 0 {
					continue
				}
				bw := float64(in.Dx()) / bins
				for q := range hist {
					ci := classPal(q)
					prev := float64(in.Max.Y - 1)
					for b := 0; b < bins; b++ {
						y := float64(in.Max.Y-1) - hist[q][b]/top*float64(in.Dy()-1)
						xa, xb := float64(in.Min.X)+float64(b)*bw, float64(in.Min.X)+float64(b+1)*bw
						c.line(xa, prev, xa, y, ci, 1, false, in)
						c.line(xa, y, xb, y, ci, 1, false, in)
						prev = y
					}
					c.line(float64(in.Max.X-1), prev, float64(in.Max.X-1), float64(in.Max.Y-1), ci, 1, false, in)
				}
				continue
			}
			for i := 0; i < n; i++ {
				vx, vy := float64(x.Data[i*d+k]), float64(x.Data[i*d+r])
				if math.IsNaN(vx) || math.IsNaN(vy) || math.IsInf(vx, 0) || math.IsInf(vy, 0) {
					continue
				}
				px := in.Min.X + int(norm(vx, k)*float64(in.Dx()-ps))
				py := in.Max.Y - ps - int(norm(vy, r)*float64(in.Dy()-ps))
				c.fill(image.Rect(px, py, px+ps, py+ps), ptColor(i))
			}
		}
	}
	for j, name := range sp.Dims {
		c.textAt(ml+j*cs+inner/2, d*cs+2, fitText(name, inner), pText, 0)
		c.textUp(2, j*cs+inner/2, fitText(name, inner), pText, 0)
	}
	var leg *image.Paletted
	if s.Labels != nil {
		items := classLegend(s.ClassNames, classes)
		lc := newCanvas(W, legendHeight(items, W)+2)
		lc.legend(0, 1, W, items)
		leg = lc.Paletted
	}
	return stackPosters(2, titleBlock(max(W, min(720, textWidth(s.Title)+8)), s.Title), c.Paletted, leg), nil
}

// poster draws the scatter grid's panels (a static player).
func (g *scatterGrid) poster() (*image.Paletted, error) { return g.player().poster() }

// poster draws every panel of the player at its last frame (the only one of a static grid), the
// confusion-matrix panel, the title, the frame's caption and the class legend.
func (p *playerView) poster() (*image.Paletted, error) { return p.posterAt(-1) }

// posterAt draws the poster at snapshot fi (0-based; negative counts from the end).
func (p *playerView) posterAt(fi int) (*image.Paletted, error) {
	ps, err := p.meta()
	if err != nil {
		return nil, err
	}
	n, f := ps.N, ps.F
	if fi < 0 {
		fi += f
	}
	if fi < 0 || fi >= f {
		return nil, fmt.Errorf("vizlib: frame %d out of range [0, %d)", fi, f)
	}
	size := p.Size
	if size <= 0 {
		size = 320
	}
	S := max(120, min(240, size*3/4))
	if p.Static {
		S = max(100, min(200, size*3/4))
	}
	panels := len(p.Panels)
	if ps.Confusion {
		panels++
	}
	cols := p.Cols
	if cols <= 0 {
		cols = min(3, panels)
	}
	cols = max(1, min(cols, panels))
	rows := (panels + cols - 1) / cols
	const gap, titleH = 8, 16
	W, H := cols*S+(cols-1)*gap, rows*(titleH+S)+(rows-1)*gap
	c := newCanvas(W, H)
	var labels []int32
	var preds [][]int32
	var colors [][3]uint8
	for _, a := range p.Panels {
		if labels == nil {
			labels = a.Labels
		}
		if preds == nil {
			preds = a.Predictions
		}
		if colors == nil {
			colors = a.Colors
		}
	}
	classes := len(ps.ClassNames)
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	pt := make([]uint8, n)
	for i := range pt {
		switch {
		case colors != nil:
			pt[i] = colorIndex(rgbaOf(colors[i]))
		case labels != nil:
			pt[i] = classPal(int(labels[i]))
		default:
			pt[i] = classPal(0)
		}
	}
	psz := p.PointSize
	if psz <= 0 {
		psz = 3
		if n > 3000 {
			psz = 2
		}
	}
	dot := max(1, int(math.Round(psz*float64(S)/float64(size))))
	boxes := p.panelBoxes()
	for pi := 0; pi < panels; pi++ {
		ox, oy := (pi%cols)*(S+gap), (pi/cols)*(S+gap+titleH)
		sq := image.Rect(ox, oy+titleH, ox+S, oy+titleH+S)
		c.rect(sq, pBorder)
		if pi == len(p.Panels) { // the confusion-matrix panel
			c.textAt(ox+S/2, oy+1, fitText("confusion (rows normalized)", S), pText, 0)
			C := max(1, classes)
			m, err := rowNormalizedConfusion(labels, preds[fi], C)
			if err != nil {
				continue
			}
			cs := float64(S-8) / float64(C)
			for i := 0; i < C; i++ {
				for j := 0; j < C; j++ {
					v := m[i*C+j]
					x0, y0 := sq.Min.X+4+int(float64(j)*cs), sq.Min.Y+4+int(float64(i)*cs)
					x1, y1 := sq.Min.X+4+int(float64(j+1)*cs)-1, sq.Min.Y+4+int(float64(i+1)*cs)-1
					c.fill(image.Rect(x0, y0, max(x0+1, x1), max(y0+1, y1)), seqIndex(v))
				}
			}
			continue
		}
		c.textAt(ox+S/2, oy+1, fitText(ps.Panels[pi].Title, S), pText, 0)
		box := boxes[pi]
		m := p.Panels[pi].Frames[fi]
		in := sq.Inset(1)
		scale := float64(in.Dx()-dot) / box[2]
		for j := 0; j < n; j++ {
			x, y := float64(m.Data[j*m.Cols]), float64(m.Data[j*m.Cols+1])
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				continue
			}
			px := in.Min.X + int((x-box[0])*scale)
			py := in.Max.Y - dot - int((y-box[1])*scale)
			c.fill(image.Rect(px, py, px+dot, py+dot).Intersect(in), pt[j])
		}
	}
	caption := ""
	if fi < len(ps.Captions) {
		caption = ps.Captions[fi]
	}
	if f > 1 && caption == "" {
		caption = fmt.Sprintf("frame %d/%d", fi+1, f)
	}
	// The title, caption and legend may be wider than a single panel.
	wide := max(W, min(720, max(textWidth(p.Title), textWidth(caption))+8))
	var leg *image.Paletted
	if colors == nil && labels != nil {
		items := classLegend(ps.ClassNames, classes)
		lw := max(W, 480)
		lc := newCanvas(lw, legendHeight(items, lw)+2)
		lc.legend(0, 1, lw, items)
		leg = lc.Paletted
	}
	return stackPosters(2, titleBlock(wide, p.Title, caption), c.Paletted, leg), nil
}

// rgbaOf converts an RGB triple to a color.
func rgbaOf(c [3]uint8) color.RGBA { return color.RGBA{c[0], c[1], c[2], 255} }
