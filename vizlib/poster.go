package vizlib

// Posters: a static PNG of every view, drawn in Go with the standard library's image packages
// and a small bitmap font (golang.org/x/image/font/basicfont). A fragment carries its poster as
// an <img src="data:image/png;base64,..."> next to the interactive view's mount point: it is what
// a person sees where scripts do not run (an untrusted notebook, a code host's viewer, Jupyter's
// sanitizer keeps data-URI images), and the mount script hides it where they do.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// posterer is implemented by the views that draw a static picture of themselves.
type posterer interface {
	// poster draws the view as it first appears (players: the last frame), with its titles,
	// axes, legend and the caption of the frame shown, in the poster palette.
	poster() (*image.Paletted, error)
}

// Poster palette: fixed entries, the categorical palette, a sequential and a diverging ramp
// (the JavaScript's seqColor and divColor) and a 5x5x5 color cube for any other color.
const (
	pWhite  = 0
	pBlack  = 1
	pText   = 2  // #333
	pAxis   = 3  // #888
	pGrid   = 4  // #ececec
	pBorder = 5  // #d0d0d0
	pMuted  = 6  // #777
	pFaint  = 7  // #bbb
	pClass0 = 8  // 20 entries: classColor(0..19)
	pSeq0   = 28 // seqSteps entries: white -> dark blue
	pDiv0   = pSeq0 + seqSteps
	pCube0  = pDiv0 + divSteps

	seqSteps = 32
	divSteps = 33 // blue ... white (middle) ... red
)

var posterPalette = func() color.Palette {
	p := color.Palette{
		color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}, color.RGBA{0x33, 0x33, 0x33, 255},
		color.RGBA{0x88, 0x88, 0x88, 255}, color.RGBA{0xec, 0xec, 0xec, 255}, color.RGBA{0xd0, 0xd0, 0xd0, 255},
		color.RGBA{0x77, 0x77, 0x77, 255}, color.RGBA{0xbb, 0xbb, 0xbb, 255},
	}
	for c := 0; c < 20; c++ {
		p = append(p, classColor(c))
	}
	for k := 0; k < seqSteps; k++ {
		p = append(p, seqRGB(float64(k)/(seqSteps-1)))
	}
	for k := 0; k < divSteps; k++ {
		p = append(p, divRGB(2*float64(k)/(divSteps-1)-1))
	}
	lv := []uint8{0, 64, 128, 191, 255}
	for _, r := range lv {
		for _, g := range lv {
			for _, b := range lv {
				p = append(p, color.RGBA{r, g, b, 255})
			}
		}
	}
	return p
}()

// seqRGB is the heatmaps' white -> dark blue scale at t in [0, 1].
func seqRGB(t float64) color.RGBA {
	t = max(0, min(1, t))
	f := func(a, b float64) uint8 { return uint8(math.Round(a + (b-a)*t)) }
	return color.RGBA{f(247, 8), f(251, 48), f(255, 107), 255}
}

// divRGB is the diverging blue (-1) - white (0) - red (1) scale.
func divRGB(t float64) color.RGBA {
	t = max(-1, min(1, t))
	c := [3]float64{178, 24, 43}
	if t < 0 {
		c = [3]float64{33, 102, 172}
	}
	k := math.Abs(t)
	f := func(v float64) uint8 { return uint8(math.Round(255 + (v-255)*k)) }
	return color.RGBA{f(c[0]), f(c[1]), f(c[2]), 255}
}

// seqIndex and divIndex return the palette index of the ramps at t.
func seqIndex(t float64) uint8 {
	if !(t > 0) {
		t = 0
	}
	return uint8(pSeq0 + int(math.Round(min(1, t)*(seqSteps-1))))
}

func divIndex(t float64) uint8 {
	if t != t {
		t = 0
	}
	t = max(-1, min(1, t))
	return uint8(pDiv0 + int(math.Round((t+1)/2*(divSteps-1))))
}

// classPal returns the palette index of class c's color.
func classPal(c int) uint8 {
	if c >= 0 && c < 20 {
		return uint8(pClass0 + c)
	}
	return colorIndex(classColor(max(0, c)))
}

// colorIndex returns the palette entry nearest to c.
func colorIndex(c color.Color) uint8 { return uint8(posterPalette.Index(c)) }

// cssColorIndex parses "#rgb" or "#rrggbb"; anything else gives fallback.
func cssColorIndex(s string, fallback uint8) uint8 {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) != 6 {
		return fallback
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return fallback
	}
	return colorIndex(color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255})
}

// canvas is a paletted image in the poster palette with drawing helpers; pixels outside it are
// ignored, so callers need not clip.
type canvas struct{ *image.Paletted }

func newCanvas(w, h int) *canvas {
	return &canvas{image.NewPaletted(image.Rect(0, 0, max(1, w), max(1, h)), posterPalette)}
}

func (c *canvas) set(x, y int, ci uint8) {
	if image.Pt(x, y).In(c.Rect) {
		c.Pix[(y-c.Rect.Min.Y)*c.Stride+x-c.Rect.Min.X] = ci
	}
}

func (c *canvas) fill(r image.Rectangle, ci uint8) {
	r = r.Intersect(c.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.Pix[(y-c.Rect.Min.Y)*c.Stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			row[x-c.Rect.Min.X] = ci
		}
	}
}

// rect draws the outline of r (inclusive of Min, exclusive of Max).
func (c *canvas) rect(r image.Rectangle, ci uint8) {
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), ci)
	c.fill(image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), ci)
	c.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), ci)
	c.fill(image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), ci)
}

// line draws a segment from (x0, y0) to (x1, y1) clipped to clip, width pixels wide; dash draws
// 5 on, 4 off.
func (c *canvas) line(x0, y0, x1, y1 float64, ci uint8, width int, dash bool, clip image.Rectangle) {
	dx, dy := x1-x0, y1-y0
	steps := int(math.Ceil(max(math.Abs(dx), math.Abs(dy))))
	if steps > 100000 || math.IsNaN(dx) || math.IsNaN(dy) {
		return
	}
	for i := 0; i <= steps; i++ {
		t := 0.0
		if steps > 0 {
			t = float64(i) / float64(steps)
		}
		if dash && (i%9) >= 5 {
			continue
		}
		x, y := int(math.Round(x0+dx*t)), int(math.Round(y0+dy*t))
		for w := 0; w < width; w++ {
			p := image.Pt(x, y+w)
			if math.Abs(dy) > math.Abs(dx) {
				p = image.Pt(x+w, y)
			}
			if p.In(clip) {
				c.set(p.X, p.Y, ci)
			}
		}
	}
}

// paste copies src (same palette) with its top-left corner at (x, y).
func (c *canvas) paste(src *image.Paletted, x, y int) {
	b := src.Bounds()
	for sy := b.Min.Y; sy < b.Max.Y; sy++ {
		for sx := b.Min.X; sx < b.Max.X; sx++ {
			c.set(x+sx-b.Min.X, y+sy-b.Min.Y, src.ColorIndexAt(sx, sy))
		}
	}
}

// Text: basicfont's 7x13 face (ASCII), with a few glyphs the views' titles use drawn here and
// the rest spelled in ASCII.
const (
	fontAdvance = 7
	fontHeight  = 13
	fontAscent  = 11
)

var textReplacer = strings.NewReplacer("−", "-", "–", "-", "—", "-", "→", "->", "←", "<-", "≤", "<=", "≥", ">=",
	"…", "...", "‖", "||", "×", "x", "²", "^2", "≈", "~", "’", "'", "‘", "'", "“", `"`, "”", `"`, "α", "a", "β", "b",
	"ε", "e", "θ", "th", "π", "pi", "τ", "t", "Σ", "S", "∑", "S", "√", "sqrt", "∞", "inf", "±", "+-", "°", "deg",
	"é", "e", "è", "e", "ü", "u", "ö", "o", "ä", "a", "ₖ", "k", "ᵢ", "i", "₀", "0", "₁", "1", "₂", "2")

// extraGlyphs are 6x13 bitmaps (rows from the top of the ascent; '#' is ink) for runes that
// read badly spelled in ASCII.
var extraGlyphs = map[rune][13]string{
	'·': {5: "..##..", 6: "..##.."},
	'λ': {2: ".#....", 3: "..#...", 4: "..#...", 5: "...#..", 6: "..##..", 7: "..#.#.", 8: ".#..#.", 9: ".#...#", 10: "#....#"},
	'μ': {4: "#...#.", 5: "#...#.", 6: "#...#.", 7: "#...#.", 8: "#..##.", 9: "###.#.", 10: "#.....", 11: "#....."},
	'σ': {4: ".#####", 5: "#..#..", 6: "#...#.", 7: "#...#.", 8: "#...#.", 9: "#...#.", 10: ".###.."},
	'Δ': {2: "..#...", 3: "..#...", 4: ".#.#..", 5: ".#.#..", 6: ".#.#..", 7: "#...#.", 8: "#...#.", 9: "#...#.", 10: "#####."},
}

// posterText spells s in the runes the poster font has.
func posterText(s string) string { return textReplacer.Replace(s) }

// textWidth is the width of s in pixels.
func textWidth(s string) int { return fontAdvance * len([]rune(posterText(s))) }

// fitText shortens s with "..." to at most w pixels.
func fitText(s string, w int) string {
	r := []rune(posterText(s))
	n := w / fontAdvance
	if len(r) <= n {
		return string(r)
	}
	if n <= 3 {
		return string(r[:max(0, n)])
	}
	return string(r[:n-3]) + "..."
}

// posterGlyph calls ink(dx, dy) for every inked pixel of r (dx in [0, 6), dy in [0, 13) from the top).
func posterGlyph(r rune, ink func(dx, dy int)) {
	if g, ok := extraGlyphs[r]; ok {
		for dy, row := range g {
			for dx := 0; dx < len(row); dx++ {
				if row[dx] == '#' {
					ink(dx, dy)
				}
			}
		}
		return
	}
	face := basicfont.Face7x13
	dr, mask, mp, _, ok := face.Glyph(fixed.P(0, fontAscent), r)
	if !ok {
		dr, mask, mp, _, _ = face.Glyph(fixed.P(0, fontAscent), '?')
	}
	if mask == nil {
		return
	}
	for y := dr.Min.Y; y < dr.Max.Y; y++ {
		for x := dr.Min.X; x < dr.Max.X; x++ {
			if _, _, _, a := mask.At(mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y).RGBA(); a > 0x8000 {
				ink(x, y)
			}
		}
	}
}

// text draws s with its top-left corner at (x, y) and returns its width.
func (c *canvas) text(x, y int, s string, ci uint8) int {
	rs := []rune(posterText(s))
	for i, r := range rs {
		ox := x + i*fontAdvance
		posterGlyph(r, func(dx, dy int) { c.set(ox+dx, y+dy, ci) })
	}
	return len(rs) * fontAdvance
}

// bold draws s twice, one pixel apart.
func (c *canvas) bold(x, y int, s string, ci uint8) {
	c.text(x, y, s, ci)
	c.text(x+1, y, s, ci)
}

// textAt draws s anchored at x: align -1 left, 0 centered, 1 right.
func (c *canvas) textAt(x, y int, s string, ci uint8, align int) {
	w := textWidth(s)
	switch align {
	case 0:
		x -= w / 2
	case 1:
		x -= w
	}
	c.text(x, y, s, ci)
}

// textUp draws s rotated by -90° (reading upwards), its baseline's middle at (x, y) with the
// text's top facing left: x is the left edge of the glyphs' column.
func (c *canvas) textUp(x, y int, s string, ci uint8, align int) {
	rs := []rune(posterText(s))
	w := len(rs) * fontAdvance
	y0 := y // the text runs from y0 upwards
	switch align {
	case 0:
		y0 = y + w/2
	case 1:
		y0 = y + w
	}
	for i, r := range rs {
		oy := y0 - i*fontAdvance
		posterGlyph(r, func(dx, dy int) { c.set(x+dy, oy-dx, ci) })
	}
}

// legendItem is one entry of a legend: a swatch (or a dashed line) and a name.
type legendItem struct {
	name string
	ci   uint8
	dash bool
	off  bool // drawn muted (a series that starts hidden)
}

// legendHeight is the height of a legend of items wrapped to width w.
func legendHeight(items []legendItem, w int) int {
	if len(items) == 0 {
		return 0
	}
	rows, x := 1, 0
	for _, it := range items {
		iw := 18 + textWidth(it.name) + 12
		if x > 0 && x+iw > w {
			rows, x = rows+1, 0
		}
		x += iw
	}
	return rows * 16
}

// legend draws items from (x, y) wrapped to width w and returns its height.
func (c *canvas) legend(x, y, w int, items []legendItem) int {
	if len(items) == 0 {
		return 0
	}
	cx, cy := 0, 0
	for _, it := range items {
		name := fitText(it.name, w-18)
		iw := 18 + textWidth(name) + 12
		if cx > 0 && cx+iw > w {
			cx, cy = 0, cy+16
		}
		ci, tc := it.ci, uint8(pText)
		if it.off {
			ci, tc = pFaint, pFaint
		}
		if it.dash {
			c.line(float64(x+cx), float64(y+cy+7), float64(x+cx+13), float64(y+cy+7), ci, 2, false, c.Rect)
			c.fill(image.Rect(x+cx+5, y+cy+6, x+cx+8, y+cy+9), pWhite)
		} else {
			c.fill(image.Rect(x+cx+1, y+cy+2, x+cx+12, y+cy+13), ci)
		}
		c.text(x+cx+17, y+cy+1, name, tc)
		cx += iw
	}
	return cy + 16
}

// classLegend lists the classes (at most 40; more are summarized in one entry).
func classLegend(names []string, classes int) []legendItem {
	var items []legendItem
	for k := 0; k < classes; k++ {
		if k == 40 {
			items = append(items, legendItem{name: fmt.Sprintf("+ %d more classes", classes-40), ci: pFaint})
			break
		}
		name := strconv.Itoa(k)
		if k < len(names) {
			name = names[k]
		}
		items = append(items, legendItem{name: name, ci: classPal(k)})
	}
	return items
}

// posterTicks returns round tick values covering [lo, hi], about n of them (the JavaScript's).
func posterTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	span := hi - lo
	step := math.Pow(10, math.Floor(math.Log10(span/float64(n))))
	switch e := span / float64(n) / step; {
	case e >= 7.5:
		step *= 10
	case e >= 3.5:
		step *= 5
	case e >= 1.5:
		step *= 2
	}
	var t []float64
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+step*1e-9 && len(t) < 50; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		t = append(t, v)
	}
	return t
}

// posterTickLabel formats a tick value like the JavaScript's (6 significant digits, exponent when tiny
// or huge).
func posterTickLabel(v float64) string {
	a := math.Abs(v)
	if a != 0 && (a < 1e-3 || a >= 1e5) {
		s := strconv.FormatFloat(v, 'e', 0, 64) // 1e-04
		if i := strings.Index(s, "e"); i >= 0 {
			mant, exp := s[:i], s[i+1:]
			sign := ""
			if exp[0] == '-' {
				sign = "-"
			}
			exp = strings.TrimLeft(exp[1:], "0")
			if exp == "" {
				exp = "0"
			}
			return mant + "e" + sign + exp
		}
		return s
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// compactPalette returns img with a palette of only the colors it uses (a smaller PNG: 4 bits per pixel
// or fewer for most charts).
func compactPalette(img *image.Paletted) *image.Paletted {
	var used [256]bool
	for _, v := range img.Pix {
		used[v] = true
	}
	var remap [256]uint8
	var pal color.Palette
	for i, u := range used {
		if u && i < len(img.Palette) {
			remap[i] = uint8(len(pal))
			pal = append(pal, img.Palette[i])
		}
	}
	if len(pal) == 0 {
		pal = color.Palette{color.White}
	}
	out := &image.Paletted{Pix: make([]uint8, len(img.Pix)), Stride: img.Stride, Rect: img.Rect, Palette: pal}
	for i, v := range img.Pix {
		out.Pix[i] = remap[v]
	}
	return out
}

// posterImg renders a poster as the <img> a fragment carries: data-for names the mount point
// that hides it ({{ID}} is replaced by renderSpec). An empty string when there is none.
func posterImg(img *image.Paletted, alt string) string {
	if img == nil {
		return ""
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, compactPalette(img)); err != nil {
		return ""
	}
	b := img.Bounds()
	return fmt.Sprintf(`<img class="evz-poster" data-for="{{ID}}" width="%d" height="%d" style="max-width:100%%;height:auto" alt="%s" src="data:image/png;base64,%s">`,
		b.Dx(), b.Dy(), html.EscapeString(alt+" (a static picture: the interactive view needs JavaScript, e.g. a trusted notebook)"),
		base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// posterOf returns the poster <img> of s, or "" when it draws none.
func posterOf(s any) string {
	p, ok := s.(posterer)
	if !ok {
		return ""
	}
	img, err := p.poster()
	if err != nil || img == nil {
		return ""
	}
	return posterImg(img, posterAlt(s))
}

// posterAlt describes a poster for the alt text.
func posterAlt(s any) string {
	switch v := s.(type) {
	case *lineChart:
		return "chart: " + v.Title
	case *chartGrid:
		return "charts: " + v.Title
	case *heatmapChart:
		return "heatmap: " + v.Title
	case *scatterMatrix:
		return "scatter matrix: " + v.Title
	case *scatterGrid:
		return "scatter plots: " + v.Title
	case *playerView:
		return "last frame of the animation"
	}
	return "figure"
}

// stackPosters places images one under the other (left-aligned) with gap pixels between them.
func stackPosters(gap int, imgs ...*image.Paletted) *image.Paletted {
	w, h := 0, 0
	var keep []*image.Paletted
	for _, im := range imgs {
		if im == nil {
			continue
		}
		keep = append(keep, im)
		w = max(w, im.Bounds().Dx())
		h += im.Bounds().Dy()
	}
	h += gap * max(0, len(keep)-1)
	c := newCanvas(w, h)
	y := 0
	for _, im := range keep {
		c.paste(im, 0, y)
		y += im.Bounds().Dy() + gap
	}
	return c.Paletted
}

// titleBlock is a canvas w wide with a bold title and optional caption lines under it.
func titleBlock(w int, title string, lines ...string) *image.Paletted {
	h := 0
	if title != "" {
		h += 18
	}
	for _, l := range lines {
		if l != "" {
			h += 15
		}
	}
	if h == 0 {
		return nil
	}
	c := newCanvas(w, h+2)
	y := 0
	if title != "" {
		c.bold(2, y+2, fitText(title, w-4), pBlack)
		y += 18
	}
	for _, l := range lines {
		if l != "" {
			c.text(2, y+1, fitText(l, w-4), pText)
			y += 15
		}
	}
	return c.Paletted
}
