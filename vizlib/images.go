package vizlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
)

// imageGrid shows images in a grid with optional captions and row labels (reconstructions,
// samples, latent traversals, 2-D latent manifolds). It needs no JavaScript and no stylesheet:
// each image is an inline PNG in a table cell, laid out by the table and inline styles only, so
// it looks the same where Jupyter's sanitizer strips <style> and <script> (untrusted notebooks).
type imageGrid struct {
	Title    string
	Images   []image.Image
	Captions []string
	// RowLabels label the rows (e.g. "z3" for a traversal of latent dimension 3).
	RowLabels []string
	// Cols is the number of columns; 0 means min(10, len(Images)).
	Cols int
	// Scale magnifies each image (nearest neighbour); 0 means enough to be ~56 px wide.
	Scale int
}

// HTML returns the grid as a self-contained fragment.
func (g *imageGrid) html() string {
	if len(g.Images) == 0 {
		return errorHTML(fmt.Errorf("vizlib: image grid %q has no images", g.Title))
	}
	cols := g.Cols
	if cols <= 0 {
		cols = min(10, len(g.Images))
	}
	scale := g.Scale
	w0 := g.Images[0].Bounds().Dx()
	if scale <= 0 {
		scale = max(1, 56/max(1, w0))
	}
	const cell = `padding:2px;text-align:center;vertical-align:top;font-size:11px;border:none`
	var b strings.Builder
	b.WriteString(`<div class="evz-frag"><style>` + libCSS + `</style><div class="evz">`)
	if g.Title != "" {
		fmt.Fprintf(&b, `<div class="evz-title" style="font-weight:600;font-size:14px;margin:4px 0">%s</div>`, html.EscapeString(g.Title))
	}
	// The div keeps the class the tests and the stylesheet know; display:block overrides the
	// stylesheet's grid so that the table lays the images out.
	b.WriteString(`<div class="evz-images" style="display:block"><table style="border-collapse:collapse;border:none;margin:0">`)
	for i, im := range g.Images {
		if i%cols == 0 {
			if i > 0 {
				b.WriteString(`</tr>`)
			}
			b.WriteString(`<tr style="border:none;background:none">`)
			if len(g.RowLabels) > 0 {
				lab := ""
				if r := i / cols; r < len(g.RowLabels) {
					lab = g.RowLabels[r]
				}
				fmt.Fprintf(&b, `<td style="padding:2px 6px 2px 0;vertical-align:middle;text-align:right;font-size:11px;border:none">%s</td>`, html.EscapeString(lab))
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, im); err != nil {
			return errorHTML(fmt.Errorf("vizlib: image %d: %w", i, err))
		}
		bw, bh := im.Bounds().Dx(), im.Bounds().Dy()
		cap := ""
		if i < len(g.Captions) {
			cap = "<figcaption>" + html.EscapeString(g.Captions[i]) + "</figcaption>"
		}
		fmt.Fprintf(&b, `<td style="%s"><figure style="margin:0"><img width="%d" height="%d" style="image-rendering:pixelated;display:block;margin:auto" src="data:image/png;base64,%s" alt="image %d">%s</figure></td>`,
			cell, bw*scale, bh*scale, base64.StdEncoding.EncodeToString(buf.Bytes()), i, cap)
	}
	b.WriteString(`</tr></table></div></div></div>`)
	return b.String()
}

// imageFromFloats turns one [h, w, c] image (HWC, c = 1 or 3, values in [0, 1], clamped) into an
// image.Image.
func imageFromFloats(pix []float32, h, w, c int) (image.Image, error) {
	if len(pix) != h*w*c || (c != 1 && c != 3) {
		return nil, fmt.Errorf("vizlib: image of %d values, want %d*%d*%d with 1 or 3 channels", len(pix), h, w, c)
	}
	to8 := func(v float32) uint8 {
		if !(v > 0) {
			return 0
		}
		if v >= 1 {
			return 255
		}
		return uint8(math.Round(float64(v) * 255))
	}
	if c == 1 {
		im := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range pix {
			im.Pix[i] = to8(v)
		}
		return im, nil
	}
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < h*w; i++ {
		im.Pix[4*i], im.Pix[4*i+1], im.Pix[4*i+2], im.Pix[4*i+3] = to8(pix[3*i]), to8(pix[3*i+1]), to8(pix[3*i+2]), 255
	}
	return im, nil
}

// imagesFromFloats splits x ([n, h*w*c] HWC values in [0, 1]) into n images.
func imagesFromFloats(x []float32, n, h, w, c int) ([]image.Image, error) {
	if len(x) != n*h*w*c {
		return nil, fmt.Errorf("vizlib: %d values for %d images of %dx%dx%d", len(x), n, h, w, c)
	}
	out := make([]image.Image, n)
	for i := range out {
		var err error
		if out[i], err = imageFromFloats(x[i*h*w*c:(i+1)*h*w*c], h, w, c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// thumbnailsFromFloats converts images x ([n, h*w*c] in [0, 1]) selected by index (nil: all n)
// into the player's hover thumbnails.
func thumbnailsFromFloats(x []float32, n, h, w, c int, index []int32) (*thumbSet, error) {
	sz := h * w * c
	if len(x) != n*sz || (c != 1 && c != 3) {
		return nil, fmt.Errorf("vizlib: %d values for %d images of %dx%dx%d", len(x), n, h, w, c)
	}
	if index == nil {
		index = make([]int32, n)
		for i := range index {
			index[i] = int32(i)
		}
	}
	t := &thumbSet{W: w, H: h, C: c, Pixels: make([]uint8, len(index)*sz)}
	for k, i := range index {
		if i < 0 || int(i) >= n {
			return nil, fmt.Errorf("vizlib: thumbnail index %d outside [0, %d)", i, n)
		}
		for j, v := range x[int(i)*sz : (int(i)+1)*sz] {
			switch {
			case !(v > 0):
			case v >= 1:
				t.Pixels[k*sz+j] = 255
			default:
				t.Pixels[k*sz+j] = uint8(math.Round(float64(v) * 255))
			}
		}
	}
	return t, nil
}

// thumbLevel quantizes a thumbnail pixel to 8 levels (0, 36, 72, ..., 255): hover images stay
// recognizable, and the sprite compresses to about a third of its raw size.
func thumbLevel(v uint8) uint8 { return uint8((int(v)*7 + 127) / 255 * 255 / 7) }

// thumbSpriteHeight is the sprite's largest height in pixels: the player draws it into a canvas,
// and browsers' canvases go up to 32767 pixels a side.
const thumbSpriteHeight = 32000

// thumbCols is the number of thumbnails per row of the sprite of n thumbnails h pixels high: the
// fewest that keep the sprite within thumbSpriteHeight. A narrow sprite compresses best (1000
// Fashion-MNIST thumbnails at 8 levels, bytes of the PNG: 1 column 138 244, 2 columns 141 215, 4
// 141 906, 8 142 590, 32 144 063 — TestThumbSpriteLayouts measures them), since each thumbnail's
// rows then follow one another in the compressed stream.
func thumbCols(n, h int) int {
	rows := max(1, thumbSpriteHeight/max(1, h))
	return max(1, min(n, (n+rows-1)/rows))
}

// sprite encodes the n thumbnails as one PNG of tiles (thumbSpec), quantized to 8 levels
// (thumbLevel), thumbCols(n, H) tiles per row; nil if encoding fails (the player then shows no
// thumbnails). Gray thumbnails are a 4-bit paletted PNG whose palette is the 8 levels (two pixels
// per byte: 138 KB for 1000 Fashion-MNIST thumbnails, against 162 KB as 8-bit gray with PNG's
// filters), RGB ones an 8-bit RGB PNG.
func (t *thumbSet) sprite(n int) *thumbSpec {
	cols := thumbCols(n, t.H)
	b, err := t.spritePNG(n, cols, true)
	if err != nil {
		return nil
	}
	return &thumbSpec{W: t.W, H: t.H, C: t.C, Cols: cols, PNG: base64.StdEncoding.EncodeToString(b)}
}

// spritePNG encodes the sprite of n thumbnails with cols tiles per row; paletted picks the 4-bit
// paletted form for gray thumbnails (else 8-bit gray).
func (t *thumbSet) spritePNG(n, cols int, paletted bool) ([]byte, error) {
	rows := (n + cols - 1) / cols
	rect := image.Rect(0, 0, cols*t.W, rows*t.H)
	q := thumbLevel
	var img image.Image
	if t.C == 1 && !paletted {
		g := image.NewGray(rect)
		for j := 0; j < n; j++ {
			x0, y0 := (j%cols)*t.W, (j/cols)*t.H
			for y := 0; y < t.H; y++ {
				for x := 0; x < t.W; x++ {
					g.Pix[(y0+y)*g.Stride+x0+x] = q(t.Pixels[(j*t.H+y)*t.W+x])
				}
			}
		}
		img = g
	} else if t.C == 1 {
		pal := make(color.Palette, 0, 8)
		var index [256]uint8
		for v := 0; v < 256; v++ {
			l := q(uint8(v))
			if len(pal) == 0 || pal[len(pal)-1] != (color.Gray{Y: l}) {
				pal = append(pal, color.Gray{Y: l})
			}
			index[v] = uint8(len(pal) - 1)
		}
		g := image.NewPaletted(rect, pal)
		for j := 0; j < n; j++ {
			x0, y0 := (j%cols)*t.W, (j/cols)*t.H
			for y := 0; y < t.H; y++ {
				for x := 0; x < t.W; x++ {
					g.Pix[(y0+y)*g.Stride+x0+x] = index[t.Pixels[(j*t.H+y)*t.W+x]]
				}
			}
		}
		img = g
	} else {
		c := image.NewNRGBA(rect)
		for i := 3; i < len(c.Pix); i += 4 {
			c.Pix[i] = 255
		}
		for j := 0; j < n; j++ {
			x0, y0 := (j%cols)*t.W, (j/cols)*t.H
			for y := 0; y < t.H; y++ {
				for x := 0; x < t.W; x++ {
					o, src := (y0+y)*c.Stride+4*(x0+x), ((j*t.H+y)*t.W+x)*3
					c.Pix[o], c.Pix[o+1], c.Pix[o+2] = q(t.Pixels[src]), q(t.Pixels[src+1]), q(t.Pixels[src+2])
				}
			}
		}
		img = c
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
