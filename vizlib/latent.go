package vizlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/widgets"
)

// Decoder maps a latent vector z ([d]) to an image (the VAE's decoder).
type Decoder func(z []float32) (image.Image, error)

// LatentTraversal decodes base with each dimension in dims swept over values: row r of the
// returned grid varies dims[r]. base is [d]; nil means zeros of length dim.
func LatentTraversal(decode Decoder, dim int, base []float32, dims []int, values []float64) (*ImageGrid, error) {
	if base == nil {
		base = make([]float32, dim)
	}
	if len(base) != dim {
		return nil, fmt.Errorf("vizlib: latent base has %d values, want %d", len(base), dim)
	}
	g := &ImageGrid{Title: "latent traversal", Cols: len(values)}
	for _, d := range dims {
		if d < 0 || d >= dim {
			return nil, fmt.Errorf("vizlib: latent dimension %d outside [0, %d)", d, dim)
		}
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("z%d", d))
		for _, v := range values {
			z := append([]float32(nil), base...)
			z[d] = float32(v)
			im, err := decode(z)
			if err != nil {
				return nil, fmt.Errorf("vizlib: decoding z%d=%.2f: %w", d, v, err)
			}
			g.Images = append(g.Images, im)
		}
	}
	for _, v := range values {
		g.Captions = append(g.Captions, fmt.Sprintf("%+.1f", v))
	}
	// Captions only under the last row.
	caps := make([]string, len(g.Images))
	copy(caps[len(caps)-len(values):], g.Captions)
	g.Captions = caps
	return g, nil
}

// LatentManifold decodes a steps x steps grid over latent dimensions dx (columns) and dy (rows)
// in [-extent, extent], the other dimensions at 0: the 2-D latent manifold of a VAE.
func LatentManifold(decode Decoder, dim, dx, dy, steps int, extent float64) (*ImageGrid, error) {
	if dx < 0 || dx >= dim || dy < 0 || dy >= dim || dx == dy {
		return nil, fmt.Errorf("vizlib: latent manifold dimensions (%d, %d) must differ and lie in [0, %d)", dx, dy, dim)
	}
	if steps < 2 {
		return nil, fmt.Errorf("vizlib: latent manifold needs at least 2 steps, got %d", steps)
	}
	g := &ImageGrid{Title: fmt.Sprintf("latent manifold z%d x z%d", dx, dy), Cols: steps, Scale: 1}
	for r := 0; r < steps; r++ {
		yv := extent - 2*extent*float64(r)/float64(steps-1)
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("%+.1f", yv))
		for c := 0; c < steps; c++ {
			z := make([]float32, dim)
			z[dx] = float32(-extent + 2*extent*float64(c)/float64(steps-1))
			z[dy] = float32(yv)
			im, err := decode(z)
			if err != nil {
				return nil, err
			}
			g.Images = append(g.Images, im)
		}
	}
	return g, nil
}

// LatentExplorer shows the VAE's latent space. Its static part, always returned (and shown in a
// notebook), is a traversal grid of every latent dimension over [-extent, extent], which is what a
// static export keeps. In a running GoNB notebook it also shows one slider per latent dimension
// (GoNB widgets) and a live image decoded from the sliders' vector; it then blocks, serving the
// sliders, until the "Done" button is pressed or the ExploreFor duration (default 10 minutes)
// passes. ExploreFor(0), or EMBVIZ_STATIC=1 in the environment (headless notebook execution),
// skips the live part.
func LatentExplorer(decode Decoder, dim int, opts ...Option) (string, error) {
	c := newConfig(opts)
	extent := 3.0
	values := make([]float64, 7)
	for i := range values {
		values[i] = -extent + 2*extent*float64(i)/float64(len(values)-1)
	}
	dims := make([]int, dim)
	for i := range dims {
		dims[i] = i
	}
	g, err := LatentTraversal(decode, dim, nil, dims, values)
	if err != nil {
		display(errorHTML(err))
		return errorHTML(err), err
	}
	static := g.HTML()
	display(static)
	if !gonbui.IsNotebook || os.Getenv("EMBVIZ_STATIC") == "1" || (c.exploreSet && c.explore <= 0) {
		return static, nil
	}
	return static, liveExplorer(decode, dim, extent, c)
}

// liveExplorer runs the GoNB-widget sliders until Done or the deadline.
func liveExplorer(decode Decoder, dim int, extent float64, c *config) (err error) {
	defer func() {
		if r := recover(); r != nil { // widgets panic on protocol misuse; never crash a notebook
			err = fmt.Errorf("vizlib: latent explorer: %v", r)
			display(errorHTML(err))
		}
	}()
	rootID := "evz-latent-" + gonbui.UniqueID()
	imgID := rootID + "-img"
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="evz-frag" style="font-family:sans-serif;font-size:12px"><b>latent explorer</b> (live while this cell runs)<div style="display:flex;gap:16px"><div id="%s"></div><div id="%s"></div></div></div>`, rootID, imgID)
	gonbui.DisplayHTML(b.String())
	const steps = 100 // slider units per latent unit / (extent/steps)
	z := make([]float32, dim)
	sliders := make([]*widgets.SliderBuilder, dim)
	cases := make([]reflect.SelectCase, 0, dim+2)
	for d := 0; d < dim; d++ {
		sliders[d] = widgets.Slider(-steps, steps, 0).AppendTo(rootID).Done()
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(sliders[d].Listen().LatestOnly().C)})
	}
	done := widgets.Button("Done").AppendTo(rootID).Done()
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(done.Listen().C)})
	limit := 10 * time.Minute
	if c.exploreSet {
		limit = c.explore
	}
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(time.After(limit))})
	update := func() {
		im, err := decode(z)
		if err != nil {
			gonbui.UpdateHTML(imgID, errorHTML(err))
			return
		}
		var buf bytes.Buffer
		_ = png.Encode(&buf, im)
		w := im.Bounds().Dx() * max(1, 168/max(1, im.Bounds().Dx()))
		gonbui.UpdateHTML(imgID, fmt.Sprintf(`<img style="image-rendering:pixelated" width="%d" src="data:image/png;base64,%s"><div>%s</div>`,
			w, base64.StdEncoding.EncodeToString(buf.Bytes()), html.EscapeString(fmt.Sprintf("z = %.2f", z))))
	}
	update()
	for {
		i, v, ok := reflect.Select(cases)
		if i >= dim || !ok {
			return nil
		}
		z[i] = float32(float64(v.Int()) * extent / steps)
		update()
	}
}
