package vizlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
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

// thumbLevels is the number of levels a hover thumbnail's pixels are quantized to: thumbnails stay
// recognizable at the size they are shown (2 and 3 CSS pixels per pixel). The coding below spends
// three binary decisions per level, and embviz.js accepts 8 only: change the three together.
const thumbLevels = 8

// thumbLevelIndex is the level (0 to thumbLevels−1) of a pixel value, rounded.
func thumbLevelIndex(v uint8) int { return (int(v)*(thumbLevels-1) + 127) / 255 }

// thumbLevel quantizes a thumbnail pixel to the value of its level (0, 36, 72, ..., 255), as the
// player shows it.
func thumbLevel(v uint8) uint8 { return uint8(thumbLevelIndex(v) * 255 / (thumbLevels - 1)) }

// Thumbnail coding: every pixel's level is coded with a binary range coder (LZMA's: 11-bit
// probabilities adapted with shift thumbShift, carries propagated through the output), as three
// binary decisions (the level's bits, high to low: nodes 1 to 7 of a binary tree) whose
// probabilities depend on the context of the pixel: the levels of its left, upper and upper-left
// neighbours in the same thumbnail and channel (0 outside it), and for channels after the first,
// the pixel's level in the previous channel. Thumbnails follow one another, each row-major, the
// channels of a pixel together (HWC). For 1000 Fashion-MNIST thumbnails this takes 88 KB where a
// 4-bit paletted PNG of the same levels takes 138 KB and an 8-bit gray PNG 162 KB
// (TestThumbCodecSize): the contexts predict the next level much better than PNG's filters and
// DEFLATE do. embviz.js decodes it (decodeThumbs) the first time a thumbnail is shown.
const (
	thumbShift    = 4 // probability adaptation rate: p moves 1/16 of the way per decision
	thumbContexts = (thumbLevels + 1) * thumbLevels * thumbLevels * thumbLevels
)

// thumbContext returns the index of the first of the 8 probabilities (tree nodes 1 to 7, slot 0
// unused) of the pixel at offset o of lv (levels of one thumbnail set, HWC), at (x, y) in a
// thumbnail w pixels wide with c channels, channel ch.
func thumbContext(lv []uint8, o, x, y, w, c, ch int) int {
	var left, up, upLeft, prev int
	if x > 0 {
		left = int(lv[o-c])
	}
	if y > 0 {
		up = int(lv[o-w*c])
		if x > 0 {
			upLeft = int(lv[o-w*c-c])
		}
	}
	if ch > 0 {
		prev = 1 + int(lv[o-1])
	}
	return (((prev*thumbLevels+left)*thumbLevels+up)*thumbLevels + upLeft) * thumbLevels
}

// rangeEncoder is LZMA's binary range encoder.
type rangeEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int
	out       []byte
}

func newRangeEncoder() *rangeEncoder { return &rangeEncoder{rng: 0xFFFFFFFF, cacheSize: 1} }

// encode codes bit (0 or 1) with probability *p/2048 of a 0, and adapts *p.
func (e *rangeEncoder) encode(p *uint16, bit int) {
	bound := (e.rng >> 11) * uint32(*p)
	if bit == 0 {
		e.rng = bound
		*p += (2048 - *p) >> thumbShift
	} else {
		e.low += uint64(bound)
		e.rng -= bound
		*p -= *p >> thumbShift
	}
	for e.rng < 1<<24 {
		e.rng <<= 8
		e.shiftLow()
	}
}

func (e *rangeEncoder) shiftLow() {
	if uint32(e.low) < 0xFF000000 || e.low>>32 != 0 {
		carry := byte(e.low >> 32)
		for b := e.cache; e.cacheSize > 0; b = 0xFF {
			e.out = append(e.out, b+carry)
			e.cacheSize--
		}
		e.cache = byte(e.low >> 24)
	}
	e.cacheSize++
	e.low = (e.low & 0x00FFFFFF) << 8
}

// finish flushes the coder and returns the coded bytes.
func (e *rangeEncoder) finish() []byte {
	for range 5 {
		e.shiftLow()
	}
	return e.out
}

// encodeThumbs codes the first n thumbnails' levels (see thumbContext).
func (t *thumbSet) encodeThumbs(n int) []byte {
	sz := t.W * t.H * t.C
	lv := make([]uint8, n*sz)
	for i, v := range t.Pixels[:n*sz] {
		lv[i] = uint8(thumbLevelIndex(v))
	}
	probs := make([]uint16, thumbContexts*thumbLevels)
	for i := range probs {
		probs[i] = 1024
	}
	e := newRangeEncoder()
	for j := 0; j < n; j++ {
		img := lv[j*sz : (j+1)*sz]
		for y, o := 0, 0; y < t.H; y++ {
			for x := 0; x < t.W; x++ {
				for ch := 0; ch < t.C; ch, o = ch+1, o+1 {
					k, v, node := thumbContext(img, o, x, y, t.W, t.C, ch), int(img[o]), 1
					for b := 2; b >= 0; b-- {
						bit := v >> b & 1
						e.encode(&probs[k+node], bit)
						node = node<<1 | bit
					}
				}
			}
		}
	}
	return e.finish()
}

// sprite returns the spec of the n thumbnails: their levels range-coded (encodeThumbs), base64.
func (t *thumbSet) sprite(n int) *thumbSpec {
	return &thumbSpec{W: t.W, H: t.H, C: t.C, Levels: thumbLevels, Data: base64.StdEncoding.EncodeToString(t.encodeThumbs(n))}
}
