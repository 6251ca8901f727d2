package vizlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/gif"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// LayerEvolution renders seed 002's animation: one panel per layer side by side, one frame per
// snapshot (snapshots: indices, negative counts from the end; nil means every snapshot), each
// panel a t-SNE map colored by the true class and titled in the frame itself
// "layer (Epoch e, ARI=…)" (the ARI between k-means clusters and the classes; ClusterOpts as
// LayerTSNEGrid, whose cached maps it shares). The figure is the GIF, shown inline (it needs no
// script) with a link that downloads it as latent_evolution.gif. ClusterOpts.Snapshot must be nil.
func (v *RunView) LayerEvolution(layers []string, snapshots []int, opts ...ClusterOpts) *Figure {
	o, err := one("LayerEvolution", opts)
	if err == nil {
		err = o.check("LayerEvolution", true, true)
	}
	if err != nil {
		return figure(nil, err)
	}
	if len(layers) == 0 || (snapshots != nil && len(snapshots) == 0) {
		return figure(nil, fmt.Errorf("vizlib: LayerEvolution needs layers and snapshots (got %d and %d; nil snapshots mean all)", len(layers), len(snapshots)))
	}
	d, err := v.load(false)
	if err != nil {
		return figure(nil, err)
	}
	ts := make([]int, 0, len(d.info.Snapshots))
	if snapshots == nil {
		for t := range d.info.Snapshots {
			ts = append(ts, t)
		}
	} else if ts, err = d.snapshotList(snapshots); err != nil {
		return figure(nil, err)
	}
	cells, err := v.layerCells(d, layers, ts, o, "layer evolution")
	if err != nil {
		return figure(nil, err)
	}
	names := make([]string, len(layers))
	for j, l := range layers {
		names[j] = layerName(l)
	}
	var buf bytes.Buffer
	if err := writeLayerGIF(&buf, cells, names, d.labels, o.Size); err != nil {
		return figure(nil, err)
	}
	b64 := base64.StdEncoding.EncodeToString(buf.Bytes())
	h := fmt.Sprintf(`<div class="evz-frag embviz-layer-gif"><div style="font:600 13px sans-serif;margin:4px 0">%s</div>`+
		`<img alt="t-SNE of each layer over training" style="max-width:100%%" src="data:image/gif;base64,%s"/>`+
		`<div><a download="latent_evolution.gif" href="data:image/gif;base64,%s">Download latent_evolution.gif</a> (%d frames, %d KB)</div></div>`,
		html.EscapeString("latent evolution · "+o.recipe()), b64, b64, len(ts), buf.Len()/1024)
	return &Figure{content: rawHTML(h), notes: perplexityNotes(o.TSNE.Perplexity, len(d.labels))}
}

// writeLayerGIF draws cells[frame][panel] (t-SNE layouts with their epoch and ARI) as a looping
// GIF at 5 frames per second (the seed's fps), each panel side×side pixels under a title line.
func writeLayerGIF(w io.Writer, cells [][]layerCell, names []string, labels []int32, side int) error {
	if side <= 0 {
		side = 240
	}
	const titleH, gap = 18, 6
	pal := color.Palette{color.White, color.Black, color.RGBA{0xcc, 0xcc, 0xcc, 255}}
	classes := 0
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	for c := 0; c < min(classes, 200); c++ {
		pal = append(pal, classColor(c))
	}
	W := len(names)*side + (len(names)-1)*gap
	H := side + titleH
	g := &gif.GIF{}
	for _, row := range cells {
		img := image.NewPaletted(image.Rect(0, 0, W, H), pal)
		for j, c := range row {
			ox := j * (side + gap)
			title := fmt.Sprintf("%s (Epoch %s, ARI=%.3f)", names[j], epochLabel(c.epoch), c.ari)
			dr := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13,
				Dot: fixed.P(ox+max(0, (side-7*len(title))/2), 13)}
			dr.DrawString(title)
			oy := titleH
			for i := 0; i < side; i++ {
				img.SetColorIndex(ox+i, oy, 2)
				img.SetColorIndex(ox+i, oy+side-1, 2)
				img.SetColorIndex(ox, oy+i, 2)
				img.SetColorIndex(ox+side-1, oy+i, 2)
			}
			x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
			for i := 0; i < c.y.Rows; i++ {
				x, y := float64(c.y.At(i, 0)), float64(c.y.At(i, 1))
				x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
			}
			span := max(x1-x0, y1-y0, 1e-9)
			for i := 0; i < c.y.Rows; i++ {
				px := ox + 4 + int((float64(c.y.At(i, 0))-x0)/span*float64(side-10))
				py := oy + side - 6 - int((float64(c.y.At(i, 1))-y0)/span*float64(side-10))
				idx := uint8(3 + min(int(labels[i]), 199))
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						img.SetColorIndex(px+dx, py+dy, idx)
					}
				}
			}
		}
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 20)
	}
	if err := gif.EncodeAll(w, g); err != nil {
		return fmt.Errorf("vizlib: encoding the layer GIF: %w", err)
	}
	return nil
}
