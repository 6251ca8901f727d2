package vizlib

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// GIFOptions configures WriteGIF and WritePNG. The zero value means every default.
type GIFOptions struct {
	// Size is each panel's side in pixels; 0 means 240.
	Size int
	// PointSize is the side of a point's square in pixels; 0 means 2.
	PointSize int
	// Delay is the time per frame in 1/100 s; 0 means 12 (the last frame holds 4x longer).
	Delay int
	// Interpolate draws this many in-between frames between snapshots; negative means the
	// player's Interpolate.
	Interpolate int
	// Cols overrides the number of grid columns; 0 means the player's.
	Cols int
}

func (o *GIFOptions) withDefaults(p *playerView) GIFOptions {
	var r GIFOptions
	if o != nil {
		r = *o
	} else {
		r.Interpolate = -1
	}
	if r.Size <= 0 {
		r.Size = 240
	}
	if r.PointSize <= 0 {
		r.PointSize = 2
	}
	if r.Delay <= 0 {
		r.Delay = 12
	}
	if r.Interpolate < 0 {
		r.Interpolate = max(0, p.Interpolate)
	}
	if r.Cols <= 0 {
		r.Cols = p.Cols
	}
	return r
}

// raster draws frames of a Player into paletted images.
type raster struct {
	p        *playerView
	o        GIFOptions
	n, f     int
	panels   int // animation panels (+1 when a confusion panel is drawn)
	cols     int
	boxes    [][3]float64 // per panel x0, y0, side
	pal      color.Palette
	ptIdx    []uint8 // palette index per point
	labels   []int32
	preds    [][]int32
	classes  int
	confRamp []uint8 // palette indices of a 16-step white->blue ramp
}

const (
	palWhite = 0
	palGray  = 1
	palBlack = 2
	palBar   = 3
)

func newRaster(p *playerView, o *GIFOptions) (*raster, error) {
	ps, err := p.meta() // validates
	if err != nil {
		return nil, err
	}
	r := &raster{p: p, o: o.withDefaults(p), n: ps.N, f: ps.F}
	r.boxes = p.panelBoxes()
	for _, a := range p.Panels {
		if r.labels == nil {
			r.labels = a.Labels
		}
		if r.preds == nil {
			r.preds = a.Predictions
		}
	}
	r.panels = len(p.Panels)
	if ps.Confusion {
		r.panels++
	}
	r.cols = r.o.Cols
	if r.cols <= 0 {
		r.cols = min(3, r.panels)
	}
	var colors [][3]uint8
	for _, a := range p.Panels {
		if a.Colors != nil {
			colors = a.Colors
			break
		}
	}
	r.classes = len(ps.ClassNames)
	for _, l := range r.labels {
		r.classes = max(r.classes, int(l)+1)
	}
	r.ptIdx = make([]uint8, r.n)
	if colors != nil {
		r.pal = append(color.Palette{}, palette.Plan9...)
		r.pal[palWhite], r.pal[palGray], r.pal[palBlack], r.pal[palBar] = color.White, color.RGBA{0xcc, 0xcc, 0xcc, 255}, color.Black, color.RGBA{0x1f, 0x77, 0xb4, 255}
		for i, c := range colors {
			r.ptIdx[i] = uint8(r.pal.Index(color.RGBA{c[0], c[1], c[2], 255}))
		}
	} else {
		r.pal = color.Palette{color.White, color.RGBA{0xcc, 0xcc, 0xcc, 255}, color.Black, color.RGBA{0x1f, 0x77, 0xb4, 255}}
		nc := min(max(r.classes, 1), 200)
		for c := 0; c < nc; c++ {
			r.pal = append(r.pal, classColor(c))
		}
		for i := range r.ptIdx {
			l := 0
			if r.labels != nil {
				l = min(int(r.labels[i]), nc-1)
			}
			r.ptIdx[i] = uint8(4 + l)
		}
	}
	if ps.Confusion {
		for k := 0; k < 16; k++ {
			t := float64(k) / 15
			c := color.RGBA{uint8(247 + (8-247)*t), uint8(251 + (48-251)*t), uint8(255 + (107-255)*t), 255}
			if len(r.pal) < 256 {
				r.pal = append(r.pal, c)
				r.confRamp = append(r.confRamp, uint8(len(r.pal)-1))
			} else {
				r.confRamp = append(r.confRamp, uint8(r.pal.Index(c)))
			}
		}
	}
	return r, nil
}

// classColor is the categorical palette of the player (tab20, then golden-angle hues).
func classColor(c int) color.RGBA {
	tab := []uint32{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
		0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5}
	if c < len(tab) {
		v := tab[c]
		return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
	}
	h := math.Mod(float64(c)*137.508, 360) / 360
	s, l := 0.65, 0.45
	q := l + s - l*s
	p := 2*l - q
	f := func(t float64) uint8 {
		if t < 0 {
			t++
		}
		if t > 1 {
			t--
		}
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < 0.5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return color.RGBA{f(h + 1.0/3), f(h), f(h - 1.0/3), 255}
}

// frame draws display frame t (snapshot index t/(k+1) with linear interpolation in between).
func (r *raster) frame(t float64) *image.Paletted {
	S, gap := r.o.Size, 4
	rows := (r.panels + r.cols - 1) / r.cols
	W, H := r.cols*S+(r.cols-1)*gap, rows*S+(rows-1)*gap+6
	img := image.NewPaletted(image.Rect(0, 0, W, H), r.pal)
	k := float64(r.o.Interpolate + 1)
	s := t / k
	i0 := int(math.Floor(s))
	a := s - float64(i0)
	if i0 >= r.f-1 {
		i0, a = r.f-1, 0
	}
	i1 := min(r.f-1, i0+1)
	ps := r.o.PointSize
	for pi, an := range r.p.Panels {
		ox, oy := (pi%r.cols)*(S+gap), (pi/r.cols)*(S+gap)
		drawBorder(img, ox, oy, S)
		box := r.boxes[pi]
		m0, m1 := an.Frames[i0], an.Frames[i1]
		scale := float64(S-2*ps-4) / box[2]
		for j := 0; j < r.n; j++ {
			x := float64(m0.Data[j*m0.Cols])*(1-a) + float64(m1.Data[j*m1.Cols])*a
			y := float64(m0.Data[j*m0.Cols+1])*(1-a) + float64(m1.Data[j*m1.Cols+1])*a
			if math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			px := ox + 2 + ps + int((x-box[0])*scale)
			py := oy + S - 2 - ps - int((y-box[1])*scale)
			for dy := 0; dy < ps; dy++ {
				for dx := 0; dx < ps; dx++ {
					if px+dx > ox && px+dx < ox+S-1 && py+dy > oy && py+dy < oy+S-1 {
						img.Pix[(py+dy)*img.Stride+px+dx] = r.ptIdx[j]
					}
				}
			}
		}
	}
	if r.panels > len(r.p.Panels) { // confusion panel
		pi := len(r.p.Panels)
		ox, oy := (pi%r.cols)*(S+gap), (pi/r.cols)*(S+gap)
		drawBorder(img, ox, oy, S)
		si := min(r.f-1, int(math.Round(s)))
		C := max(1, r.classes)
		m, err := rowNormalizedConfusion(r.labels, r.preds[si], C)
		if err == nil {
			cs := float64(S-8) / float64(C)
			for i := 0; i < C; i++ {
				for j := 0; j < C; j++ {
					v := m[i*C+j]
					idx := r.confRamp[int(math.Round(v*15))]
					x0, y0 := ox+4+int(float64(j)*cs), oy+4+int(float64(i)*cs)
					x1, y1 := ox+4+int(float64(j+1)*cs)-1, oy+4+int(float64(i+1)*cs)-1
					draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{r.pal[idx]}, image.Point{}, draw.Src)
				}
			}
		}
	}
	// progress bar along the bottom
	total := float64((r.f-1)*int(k) + 1)
	bw := int(float64(W) * (t + 1) / total)
	for x := 0; x < bw && x < W; x++ {
		for y := H - 4; y < H; y++ {
			img.Pix[y*img.Stride+x] = palBar
		}
	}
	return img
}

func drawBorder(img *image.Paletted, ox, oy, S int) {
	for i := 0; i < S; i++ {
		img.SetColorIndex(ox+i, oy, palGray)
		img.SetColorIndex(ox+i, oy+S-1, palGray)
		img.SetColorIndex(ox, oy+i, palGray)
		img.SetColorIndex(ox+S-1, oy+i, palGray)
	}
}

// writeGIF encodes the player's panels (and its confusion panel) as a looping animated GIF: for
// slides and downloads. o may be nil.
func (p *playerView) writeGIF(w io.Writer, o *GIFOptions) error {
	r, err := newRaster(p, o)
	if err != nil {
		return err
	}
	total := (r.f-1)*(r.o.Interpolate+1) + 1
	g := &gif.GIF{LoopCount: 0}
	for t := 0; t < total; t++ {
		g.Image = append(g.Image, r.frame(float64(t)))
		d := r.o.Delay
		if t == total-1 {
			d *= 4
		}
		g.Delay = append(g.Delay, d)
	}
	if err := gif.EncodeAll(w, g); err != nil {
		return fmt.Errorf("vizlib: encoding GIF: %w", err)
	}
	return nil
}

// writePNG encodes snapshot frame (0-based; negative counts from the end) as a PNG.
func (p *playerView) writePNG(w io.Writer, frame int, o *GIFOptions) error {
	r, err := newRaster(p, o)
	if err != nil {
		return err
	}
	if frame < 0 {
		frame += r.f
	}
	if frame < 0 || frame >= r.f {
		return fmt.Errorf("vizlib: frame %d out of range [0, %d)", frame, r.f)
	}
	if err := png.Encode(w, r.frame(float64(frame*(r.o.Interpolate+1)))); err != nil {
		return fmt.Errorf("vizlib: encoding PNG: %w", err)
	}
	return nil
}

// WriteGIF encodes the animation as an animated GIF (see playerView.writeGIF).
func (a *Animation) WriteGIF(w io.Writer, o *GIFOptions) error {
	return (&playerView{Panels: []*Animation{a}}).writeGIF(w, o)
}

// WritePNG encodes one snapshot of the animation as a PNG (see playerView.writePNG).
func (a *Animation) WritePNG(w io.Writer, frame int, o *GIFOptions) error {
	return (&playerView{Panels: []*Animation{a}}).writePNG(w, frame, o)
}

// WriteFramePNGs writes one PNG per snapshot of the animation into dir (created if missing), as
// seed 001 writes one image per training step: the poster of that frame, with the title, the
// frame's caption (step, epoch, accuracy), axes' panel and the class legend. Files are named
// frame-000.png, frame-001.png, ... in snapshot order; files of that pattern already in dir that
// the animation does not produce (an older, longer run) are removed so that the directory holds
// exactly this animation's frames. Returns the paths written.
func (a *Animation) WriteFramePNGs(dir string) ([]string, error) {
	if a.err != nil {
		return nil, a.err
	}
	if len(a.Frames) == 0 {
		return nil, errors.New("vizlib: WriteFramePNGs: the animation has no frames")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vizlib: WriteFramePNGs: %w", err)
	}
	p := &playerView{Title: a.Title, Panels: []*Animation{a}}
	paths := make([]string, len(a.Frames))
	for t := range a.Frames {
		img, err := p.posterAt(t)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, compactPalette(img)); err != nil {
			return nil, fmt.Errorf("vizlib: encoding frame %d: %w", t, err)
		}
		paths[t] = filepath.Join(dir, fmt.Sprintf("frame-%03d.png", t))
		if err := writeFileAtomic(paths[t], buf.Bytes()); err != nil {
			return nil, fmt.Errorf("vizlib: WriteFramePNGs: %w", err)
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "frame-[0-9][0-9][0-9]*.png"))
	for _, f := range old {
		var t int
		if _, err := fmt.Sscanf(filepath.Base(f), "frame-%d.png", &t); err == nil && t >= len(a.Frames) {
			os.Remove(f)
		}
	}
	return paths, nil
}

// gifLink returns HTML with a download link (a data: URL, so it works offline and in exports)
// for the player as an animated GIF named name+".gif".
func (p *playerView) gifLink(name string, o *GIFOptions) (string, error) {
	var buf bytes.Buffer
	if err := p.writeGIF(&buf, o); err != nil {
		return errorHTML(err), err
	}
	if name == "" {
		name = "embviz-animation"
	}
	return `<div class="evz-frag" style="font-family:sans-serif;font-size:12px;margin:4px 0"><a download="` + html.EscapeString(name) +
		`.gif" href="data:image/gif;base64,` + base64.StdEncoding.EncodeToString(buf.Bytes()) + `">⬇ download ` + html.EscapeString(name) +
		`.gif</a> <span style="color:#777">(` + strconv.Itoa(buf.Len()/1024) + ` KiB)</span></div>`, nil
}

// posterHTML returns the player's poster <img> (every panel at the last frame, titles, caption,
// legend; see playerView.poster), shown only where scripts do not run (untrusted notebooks); the
// mount script hides it when the player mounts.
func (p *playerView) posterHTML() string { return posterOf(p) }
