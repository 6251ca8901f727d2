package vizlib

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
)

// decode12 mirrors the JavaScript decoder of the 12-bit coordinates.
func decode12(b []byte) (xs, ys []float64) {
	for o := 0; o+2 < len(b); o += 3 {
		xs = append(xs, float64(int(b[o])<<4|int(b[o+1])>>4)/4095)
		ys = append(ys, float64(int(b[o+1])&15<<8|int(b[o+2]))/4095)
	}
	return
}

func TestQuantizeRoundTrip(t *testing.T) {
	a := syntheticAnimation(500, 4, 5, 2)
	b := a.bounds()
	x0, y0, side := square(b)
	q := quantize(a.Frames, x0, y0, side)
	if len(q) != 3*500*4 {
		t.Fatalf("quantized %d bytes, want %d", len(q), 3*500*4)
	}
	xs, ys := decode12(q)
	for f, m := range a.Frames {
		for i := 0; i < m.Rows; i++ {
			k := f*m.Rows + i
			gx, gy := x0+xs[k]*side, y0+ys[k]*side
			if math.Abs(gx-float64(m.At(i, 0))) > side/4095 || math.Abs(gy-float64(m.At(i, 1))) > side/4095 {
				t.Fatalf("frame %d point %d: (%v, %v) decoded as (%v, %v), step %v", f, i, m.At(i, 0), m.At(i, 1), gx, gy, side/4095)
			}
		}
	}
	// Non-finite coordinates do not break encoding.
	m := reduce.MatrixFrom(2, 2, []float32{float32(math.NaN()), 1, float32(math.Inf(1)), 2})
	if got := quantize([]*reduce.Matrix{m}, 0, 0, 4); len(got) != 6 {
		t.Errorf("got %d bytes", len(got))
	}
}

func TestPlayerValidation(t *testing.T) {
	a := syntheticAnimation(100, 3, 4, 1)
	b := syntheticAnimation(90, 3, 4, 1)
	if _, err := (&playerView{Panels: []*Animation{a, b}}).spec(); err == nil || !strings.Contains(err.Error(), "same points") {
		t.Errorf("mismatched panels: %v", err)
	}
	c := syntheticAnimation(100, 3, 4, 1)
	c.Labels = c.Labels[:50]
	if _, err := c.spec(); err == nil || !strings.Contains(err.Error(), "50 labels for 100 points") {
		t.Errorf("bad labels: %v", err)
	}
	d := syntheticAnimation(100, 3, 4, 1)
	d.Captions = d.Captions[:1]
	if h := d.HTML(); !strings.Contains(h, "evz-error") || !strings.Contains(h, "1 captions for 3 frames") {
		t.Errorf("bad captions should render an error box: %.200s", h)
	}
	if h := (&playerView{}).html(); !strings.Contains(h, "no animations") {
		t.Errorf("empty player: %.200s", h)
	}
	// Shared axes: both panels quantized in one range, so a panel with half the spread uses half the codes.
	e := syntheticAnimation(200, 2, 3, 1)
	f := syntheticAnimation(200, 2, 3, 1)
	for _, m := range f.Frames {
		for i := range m.Data {
			m.Data[i] *= 0.5
		}
	}
	sp, err := (&playerView{Panels: []*Animation{e, f}, SharedAxes: true}).spec()
	if err != nil {
		t.Fatal(err)
	}
	spread := func(p panelSpec) float64 {
		xs, _ := decode12(panelCodes(t, p.Data, 200))
		lo, hi := 1.0, 0.0
		for _, x := range xs {
			lo, hi = min(lo, x), max(hi, x)
		}
		return hi - lo
	}
	ps := sp.(playerSpec)
	if r := spread(ps.Panels[1]) / spread(ps.Panels[0]); math.Abs(r-0.5) > 0.01 {
		t.Errorf("shared axes: spread ratio %v, want 0.5", r)
	}
}

func TestChartAndHeatmapSpecs(t *testing.T) {
	c := &lineChart{Title: "t", Series: []lineSeries{{Name: "a", X: []float64{0, 1}, Y: []float64{1}}}}
	if h := c.html(); !strings.Contains(h, "1 y values") {
		t.Errorf("length mismatch should be reported: %.200s", h)
	}
	c = &lineChart{Title: "</script><b>x", Series: []lineSeries{{Name: "a", X: []float64{0, 1, 2}, Y: []float64{1, math.NaN(), math.Inf(1)}}}, YMax: 2}
	h := c.html()
	s := specOf(t, h)
	if y := s["series"].([]any)[0].(map[string]any)["y"].([]any); y[1] != nil || y[2] != nil {
		t.Errorf("NaN/Inf should become null: %v", y)
	}
	if strings.Contains(h, "</script><b>") {
		t.Errorf("title not escaped inside the data script")
	}
	if s["ymin"] != 0.0 || s["ymax"] != 2.0 {
		t.Errorf("ylim: %v %v", s["ymin"], s["ymax"])
	}
	hm := &heatmapChart{RowLabels: []string{"a", "b"}, ColLabels: []string{"x"}, Frames: []heatmapFrame{{Values: []float64{1}}}}
	if h := hm.html(); !strings.Contains(h, "want rows*cols = 2*1 = 2") {
		t.Errorf("bad heatmap: %.200s", h)
	}
	m, err := reduce.ConfusionMatrix([]int32{0, 1, 1, 2}, []int32{0, 1, 2, -1}, 3)
	if err != nil || fmt.Sprint(m) != "[1 0 0 0 1 1 0 0 0]" {
		t.Errorf("confusion %v %v", m, err)
	}
	if _, err := reduce.ConfusionMatrix([]int32{5}, []int32{0}, 3); err == nil {
		t.Errorf("label out of range accepted")
	}
	// Ids are unique across fragments.
	if a, b := newID(), newID(); a == b {
		t.Errorf("duplicate ids %s", a)
	}
	g := &chartGrid{Items: []renderable{&imageGrid{}}}
	if h := g.html(); !strings.Contains(h, "cannot be placed in a grid") {
		t.Errorf("grid of non-JS item: %.200s", h)
	}
}

func TestGIFAndPNG(t *testing.T) {
	a := syntheticAnimation(300, 4, 5, 3)
	p := &playerView{Panels: []*Animation{a, a}, Confusion: true, Interpolate: 2}
	var buf bytes.Buffer
	if err := p.writeGIF(&buf, &GIFOptions{Size: 100, Interpolate: -1}); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := (4-1)*3 + 1; len(g.Image) != want {
		t.Errorf("GIF has %d frames, want %d", len(g.Image), want)
	}
	if b := g.Image[0].Bounds(); b.Dx() != 3*100+2*4 || b.Dy() != 100+6 {
		t.Errorf("GIF frame is %v", b)
	}
	if bytes.Equal(g.Image[0].Pix, g.Image[len(g.Image)-1].Pix) {
		t.Errorf("first and last GIF frames are identical")
	}
	// Class colors are drawn: the class-0 color appears in the last frame.
	c0 := classColor(0)
	found := false
	last := g.Image[len(g.Image)-1]
	for _, ix := range last.Pix {
		if r, gg, b, _ := last.Palette[ix].RGBA(); uint8(r>>8) == c0.R && uint8(gg>>8) == c0.G && uint8(b>>8) == c0.B {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("class 0 color not in the last frame")
	}
	buf.Reset()
	if err := a.WritePNG(&buf, -1, nil); err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds().Dx() != 240 {
		t.Errorf("PNG width %d, want 240", im.Bounds().Dx())
	}
	if err := a.WritePNG(&buf, 10, nil); err == nil {
		t.Errorf("frame out of range accepted")
	}
	link, err := p.gifLink("x", &GIFOptions{Size: 60})
	if err != nil || !strings.Contains(link, `download="x.gif" href="data:image/gif;base64,`) {
		t.Errorf("GIF link: %v %.120s", err, link)
	}
	// Per-point colors use the Plan 9 palette.
	col := syntheticAnimation(50, 2, 2, 1)
	col.Colors = make([][3]uint8, 50)
	for i := range col.Colors {
		col.Colors[i] = [3]uint8{255, 0, 0}
	}
	buf.Reset()
	if err := col.WriteGIF(&buf, nil); err != nil {
		t.Fatal(err)
	}
}

func TestStaticVisualizations(t *testing.T) {
	x := reduce.NewMatrix(10, 20)
	if h := (&scatterMatrix{X: x}).html(); !strings.Contains(h, "at most 16") {
		t.Errorf("too many dims: %.200s", h)
	}
	x = reduce.MatrixFrom(3, 2, []float32{0, 1, 2, 3, 4, 5})
	s := specOf(t, (&scatterMatrix{X: x, Labels: []int32{0, 1, 300}}).html())
	if s["lbytes"] != 2.0 || s["d"] != 2.0 || s["diag"] != "hist" {
		t.Errorf("scatter matrix spec %v", s)
	}
	raw, _ := base64.StdEncoding.DecodeString(s["data"].(string))
	if v := int(raw[2*4]) | int(raw[2*4+1])<<8; v != 65535 { // point 2, dim 0 is the max
		t.Errorf("max of dim 0 quantized to %d", v)
	}
	ims := []image.Image{image.NewGray(image.Rect(0, 0, 4, 4)), image.NewGray(image.Rect(0, 0, 4, 4))}
	h := (&imageGrid{Images: ims, Captions: []string{"<a>"}}).html()
	if strings.Count(h, "<img ") != 2 || !strings.Contains(h, "&lt;a&gt;") {
		t.Errorf("image grid: %.300s", h)
	}
	if _, err := imageFromFloats(make([]float32, 10), 2, 2, 2); err == nil {
		t.Errorf("bad image accepted")
	}
	th, err := thumbnailsFromFloats([]float32{0, 0.5, 1, 2}, 4, 1, 1, 1, []int32{3, 1})
	if err != nil || fmt.Sprint(th.Pixels) != "[255 128]" {
		t.Errorf("thumbnails %v %v", th, err)
	}
	grid := &scatterGrid{Panels: []scatterPanel{{Title: "a", Points: x}, {Title: "b", Points: x}}, Labels: []int32{0, 1, 1}}
	s = specOf(t, grid.html())
	if s["static"] != true || len(s["panels"].([]any)) != 2 {
		t.Errorf("scatter grid spec: %v", s)
	}
}

func TestLatent(t *testing.T) {
	calls := 0
	decode := func(z []float32) (image.Image, error) {
		calls++
		im := image.NewGray(image.Rect(0, 0, 4, 4))
		v := uint8(math.Max(0, math.Min(255, float64(z[0])*40+128)))
		for i := range im.Pix {
			im.Pix[i] = v
		}
		return im, nil
	}
	g, err := traversal(decode, make([]float32, 3), []int{0, 2}, []float64{-1, 0, 1})
	if err != nil || len(g.Images) != 6 || calls != 6 || fmt.Sprint(g.RowLabels) != "[z0 z2]" {
		t.Fatalf("traversal: %v images, %d calls, rows %v, err %v", len(g.Images), calls, g.RowLabels, err)
	}
	if g.Images[0].At(0, 0) == g.Images[2].At(0, 0) {
		t.Errorf("traversal of z0 does not change the image")
	}
	if _, err := traversal(decode, make([]float32, 3), []int{5}, []float64{0}); err == nil {
		t.Errorf("bad dimension accepted")
	}
	m, err := manifold(decode, make([]float32, 2), 0, 1, 4, 2)
	if err != nil || len(m.Images) != 16 {
		t.Fatalf("manifold: %v %v", m, err)
	}
}

func TestPageWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/x.html"
	if err := figure(&lineChart{Series: []lineSeries{{Name: "a", X: []float64{0}, Y: []float64{1}}}}, nil).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Errorf("written page: %v %.100s", err, b)
	}
	if err := figure(nil, errors.New("boom")).WriteFile(path); err == nil || err.Error() != "boom" {
		t.Errorf("a failed figure should return its error, not write: %v", err)
	}
	if err := figure(&lineChart{}, nil).WriteFile(dir + "/missing/x.html"); err == nil {
		t.Errorf("writing into a missing directory should fail")
	}
}

func TestRunsTable(t *testing.T) {
	dir := t.TempDir()
	h, err := html2(Runs(dir))
	if err != nil || !strings.Contains(h, "No runs in") {
		t.Errorf("empty dir: %v %.200s", err, h)
	}
	run := syntheticRun(t, dir, 20, 3, 2)
	h, err = html2(Runs(dir))
	if err != nil || !strings.Contains(h, run.ID()) || !strings.Contains(h, "0.9000") {
		t.Errorf("runs table lacks the run: %v %.300s", err, h)
	}
}
