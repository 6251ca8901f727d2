package vizlib

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"
	"sync"

	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// vaeJS is the in-browser VAE decoder and its two views (sliders, live manifold): it defines
// globalThis.embvizVAE.
//
//go:embed assets/vae.js
var vaeJS string

// browserModel is a VAE decoder as the browser runs it: the layers of models.VAE.DecoderLayers
// with float16 weights, base64.
type browserModel struct {
	Latent int            `json:"latent"`
	Shape  []int          `json:"shape"` // one image, [H, W, C]
	Layers []browserLayer `json:"layers"`
}

type browserLayer struct {
	Op    string `json:"op"`
	Shape []int  `json:"shape,omitempty"`
	// W and B are base64 little-endian float16 values, or float32 (W32, B32) for the tensors of
	// at most f32Max values (biases, the first dense layer, the last convolution: the precision
	// where it costs few bytes).
	W   string `json:"w,omitempty"`
	B   string `json:"b,omitempty"`
	W32 string `json:"w32,omitempty"`
	B32 string `json:"b32,omitempty"`
}

// f32Max is the size up to which a tensor travels as float32 rather than float16.
const f32Max = 8192

// browserModelOf converts decoder layers into the browser's form.
func browserModelOf(latent int, layers []models.DecoderLayer) *browserModel {
	m := &browserModel{Latent: latent, Shape: []int{28, 28, 1}}
	for _, l := range layers {
		bl := browserLayer{Op: l.Op, Shape: l.Shape}
		if len(l.W) <= f32Max {
			bl.W32 = f32Base64(l.W)
		} else {
			bl.W = f16Base64(l.W)
		}
		if len(l.B) <= f32Max {
			bl.B32 = f32Base64(l.B)
		} else {
			bl.B = f16Base64(l.B)
		}
		m.Layers = append(m.Layers, bl)
	}
	return m
}

// browserModels caches the browser model of each run (by *training.Run).
var browserModels sync.Map

type browserModelEntry struct {
	once  sync.Once
	model *browserModel
	err   error
}

// browserDecoder returns the decoder of the view's run (a VAE run, its newest checkpoint) in the
// browser's form, built once per run.
func (v *RunView) browserDecoder() (*browserModel, error) {
	if v.err != nil {
		return nil, v.err
	}
	e, _ := browserModels.LoadOrStore(v.run, &browserModelEntry{})
	b := e.(*browserModelEntry)
	b.once.Do(func() {
		m, store, err := training.LoadModel(v.run)
		if err != nil {
			b.err = fmt.Errorf("vizlib: the in-browser decoder needs a VAE run: %w", err)
			return
		}
		vae, ok := m.(*models.VAE)
		if !ok {
			b.err = fmt.Errorf("vizlib: the in-browser decoder needs a VAE run; run %s is a %s", v.run.ID(), m.Name())
			return
		}
		layers, err := vae.DecoderLayers(store)
		if err != nil {
			b.err = fmt.Errorf("vizlib: run %s: %w", v.run.ID(), err)
			return
		}
		b.model = browserModelOf(vae.Config().Latent, layers)
	})
	return b.model, b.err
}

// f16Base64 encodes x as IEEE float16 (round to nearest even; beyond ±65504 clamped), little
// endian, base64; nil for an empty x.
func f16Base64(x []float32) string {
	if len(x) == 0 {
		return ""
	}
	buf := make([]byte, 2*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint16(buf[2*i:], toFloat16(v))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// f32Base64 encodes x as little-endian float32, base64; "" for an empty x.
func f32Base64(x []float32) string {
	if len(x) == 0 {
		return ""
	}
	buf := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// toFloat16 rounds f to the nearest IEEE 754 half-precision value (ties to even); finite values
// beyond the largest half (65504) become ±65504, NaN stays NaN.
func toFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	e := int(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case e == 0xff && mant != 0:
		return sign | 0x7e00
	case e == 0xff:
		return sign | 0x7c00
	}
	exp := e - 127 + 15
	if exp >= 31 {
		return sign | 0x7bff
	}
	if exp <= 0 { // subnormal half (or zero)
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		h := mant >> shift
		rem, half := mant&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || rem == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++ // may carry into the exponent: still the right value
	}
	if h >= 0x7c00 {
		return sign | 0x7bff
	}
	return sign | uint16(h)
}

// vaeLive is a view decoded in the browser (sliders or a live manifold) over a static poster
// made in Go: where scripts do not run (an untrusted notebook, a code host's viewer) the poster
// is what shows.
type vaeLive struct {
	Title  string
	Poster string // HTML shown until the script mounts (and wherever scripts do not run)
	Spec   vaeLiveSpec
}

type vaeLiveSpec struct {
	Kind     string        `json:"kind"` // "sliders" or "manifold"
	Model    *browserModel `json:"model"`
	Base     []float64     `json:"base"`
	Dims     []int         `json:"dims"` // sliders: the dimensions with a slider; manifold: [columns, rows]
	DimNames []string      `json:"dimNames"`
	Extent   float64       `json:"extent"` // sliders' range (sliders); the grid's half side (manifold)
	Step     float64       `json:"step"`
	// SliderExtent is the range of the manifold's base sliders.
	SliderExtent float64 `json:"sliderExtent,omitempty"`
	Steps        int     `json:"steps,omitempty"` // manifold side
	Scale        int     `json:"scale,omitempty"` // CSS pixels per image pixel
}

func (l *vaeLive) html() string {
	data, err := json.Marshal(l.Spec)
	if err != nil {
		return errorHTML(fmt.Errorf("vizlib: encoding the in-browser decoder: %w", err))
	}
	id := newID()
	var b strings.Builder
	b.WriteString(`<div class="evz-frag"><div class="evz-vae" id="` + id + `" style="font-family:sans-serif;margin:4px 0">`)
	if l.Title != "" {
		b.WriteString(`<div style="font:600 13px sans-serif;margin:4px 0">` + htmlEscape(l.Title) + `</div>`)
	}
	b.WriteString(`<div class="evz-vae-poster">` + l.Poster + `</div></div>`)
	// json.Marshal escapes <, > and &, so the data cannot close the script element.
	fmt.Fprintf(&b, `<script type="application/json" id="%s-data">%s</script>`, id, data)
	b.WriteString("<script>" + vaeJS + "</script>")
	fmt.Fprintf(&b, `<script>(function(){var s=document.currentScript,p=s&&s.parentNode,n=0,f=function(){var r=(p&&p.querySelector&&p.querySelector("#%[1]s"))||document.getElementById(%[1]q);if(window.embvizVAE&&r){window.embvizVAE.mountRoot(r)}else if(n++<400){setTimeout(f,50)}};f()})();</script>`, id)
	b.WriteString(`</div>`)
	return b.String()
}

// pngDataURI encodes im as a PNG data URI.
func pngDataURI(im image.Image) (string, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// ExplorerOpts are the options of LatentExplorer. The zero value is the seed's explorer: one
// slider per latent dimension over [-3, 3] in steps of 0.1, starting at the origin.
type ExplorerOpts struct {
	// Class starts the sliders at that class's prototype (its mean latent code at the last
	// snapshot; the name, case-insensitive); "" starts at the origin z = 0.
	Class string
	// Extent is each slider's range, [-Extent, Extent]; 0 means 3.
	Extent float64
	// Step is the sliders' step; 0 means 0.1.
	Step float64
}

// LatentExplorer is the seed's latent explorer: one slider per latent dimension and the image
// decoded from the sliders' code, live. It needs no kernel: the decoder of the run's newest
// checkpoint travels in the output (float16 weights) and a small JavaScript forward pass decodes
// in the browser, in the notebook, an HTML export or a shared copy. Where scripts do not run (an
// untrusted notebook), the output shows the image of the starting code, decoded in Go.
func (v *RunView) LatentExplorer(opts ...ExplorerOpts) *Figure {
	return figureOf("LatentExplorer", opts, v.latentExplorer)
}

func (v *RunView) latentExplorer(o ExplorerOpts) (*vaeLive, error) {
	extent, step := orDefaultF(o.Extent, 3), orDefaultF(o.Step, 0.1)
	if !(extent > 0) || !(step > 0) || math.IsInf(extent, 0) {
		return nil, fmt.Errorf("vizlib: ExplorerOpts: Extent (%g) and Step (%g) must be positive and finite (0 means 3 and 0.1)", o.Extent, o.Step)
	}
	bm, err := v.browserDecoder()
	if err != nil {
		return nil, err
	}
	base, what, err := v.baseCode(o.Class)
	if err != nil {
		return nil, err
	}
	if len(base) != bm.Latent {
		return nil, fmt.Errorf("vizlib: run %s: the codes have %d dimensions, the decoder %d", v.run.ID(), len(base), bm.Latent)
	}
	decode, err := v.decoder(nil)
	if err != nil {
		return nil, err
	}
	im, err := decode(base)
	if err != nil {
		return nil, err
	}
	uri, err := pngDataURI(im)
	if err != nil {
		return nil, err
	}
	spec := vaeLiveSpec{Kind: "sliders", Model: bm, Extent: extent, Step: step, Scale: 6}
	vals := make([]string, len(base))
	for d, z := range base {
		spec.Base = append(spec.Base, float64(z))
		spec.Dims = append(spec.Dims, d)
		spec.DimNames = append(spec.DimNames, fmt.Sprintf("z%d", d))
		vals[d] = fmt.Sprintf("%.2f", z)
	}
	w, h := im.Bounds().Dx()*6, im.Bounds().Dy()*6
	poster := fmt.Sprintf(`<img width="%d" height="%d" style="image-rendering:pixelated;border:1px solid #ddd" src="%s" alt="decoded %s"><div style="font:11px monospace;color:#555">z = [%s] (%s) · the sliders decode in the browser where scripts run</div>`,
		w, h, uri, htmlEscape(what), strings.Join(vals, ", "), htmlEscape(what))
	return &vaeLive{Title: fmt.Sprintf("latent explorer · %s · sliders ±%g from %s", v.run.ID(), extent, what), Poster: poster, Spec: spec}, nil
}

// baseCode returns the origin (class "") or the prototype of class at the last snapshot, and
// what it is in words.
func (v *RunView) baseCode(class string) ([]float32, string, error) {
	d, x, _, err := v.latentCodes(-1)
	if err != nil {
		return nil, "", err
	}
	base := make([]float32, x.Cols)
	if class == "" {
		return base, "the origin", nil
	}
	names := d.classNames()
	k, err := classIndex(names, class)
	if err != nil {
		return nil, "", err
	}
	means, counts, err := reduce.ClassMeans(x, d.labels, len(names))
	if err != nil {
		return nil, "", err
	}
	if counts[k] == 0 {
		return nil, "", fmt.Errorf("vizlib: class %s has no evaluation points in run %s: it has no prototype", names[k], d.info.ID)
	}
	copy(base, means.Row(k))
	return base, "the " + names[k] + " prototype", nil
}
