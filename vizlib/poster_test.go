package vizlib

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
)

var posterRE = regexp.MustCompile(`<img class="evz-poster" data-for="([^"]+)"[^>]* src="data:image/png;base64,([^"]+)">`)

// posterOfHTML returns the decoded poster of a fragment, its size in bytes, and checks that it
// names the fragment's mount point.
func posterOfHTML(t *testing.T, name, h string) (image.Image, int) {
	t.Helper()
	m := posterRE.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("%s: no poster <img> in the fragment", name)
	}
	if !strings.Contains(h, `<div class="evz" id="`+m[1]+`"`) {
		t.Errorf("%s: poster data-for=%q names no mount point", name, m[1])
	}
	raw, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil {
		t.Fatalf("%s: poster base64: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: poster PNG: %v", name, err)
	}
	return img, len(raw)
}

// ink counts the non-white pixels and the distinct colors of img.
func ink(img image.Image) (pixels, colors int) {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r < 0xf000 || g < 0xf000 || bb < 0xf000 {
				pixels++
			}
			seen[[3]uint32{r >> 8, g >> 8, bb >> 8}] = true
		}
	}
	return pixels, len(seen)
}

// TestPosters renders every kind of view drawn by the JavaScript library and checks that its
// fragment carries a non-blank poster of a modest size; the posters are saved in
// test-output/vizlib/posters for a look.
func TestPosters(t *testing.T) {
	out := filepath.Join(testutil.OutDir(t, "vizlib"), "posters")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	xs := []float64{0, 100, 200, 300, 400, 500, 600}
	loss := &lineChart{Title: "loss · run-0001-CNN_fashion-mnist_32", XLabel: "step", YLabel: "loss", LogToggle: true, LogY: true,
		Series: []lineSeries{{Name: "train_loss", X: xs, Y: []float64{2.3, 1.1, 0.7, 0.55, 0.5, 0.42, 0.4}},
			{Name: "eval_loss", X: xs, Y: []float64{2.2, 1.2, 0.8, math.NaN(), 0.6, 0.55, 0.5}, Dash: true}}}
	acc := &lineChart{Title: "accuracy", XLabel: "step", YLabel: "accuracy", VLines: []vline{{X: 300, Label: "anchor"}},
		Series: []lineSeries{{Name: "train_acc", X: xs, Y: []float64{0.1, 0.6, 0.75, 0.8, 0.83, 0.85, 0.86}},
			{Name: "eval_acc", X: xs, Y: []float64{0.1, 0.58, 0.7, 0.78, 0.8, 0.81, 0.82}, Dash: true, Color: "#d62728"}}}
	eig := &lineChart{Title: "top-3 PCA eigenvalues", XLabel: "step", YLabel: "eigenvalue"}
	for k := 0; k < 3; k++ {
		s := lineSeries{Name: fmt.Sprintf("λ%d", k+1), X: xs}
		for i := range xs {
			s.Y = append(s.Y, float64(3-k)*(1+float64(i)))
		}
		eig.Series = append(eig.Series, s)
	}
	names := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	heat := &heatmapChart{Title: "confusion matrices", RowLabels: names, ColLabels: names, XLabel: "prediction", YLabel: "label", Annotate: true, NormToggle: true}
	for f := 0; f < 3; f++ {
		v := make([]float64, 100)
		for i := range 10 {
			for j := range 10 {
				if i == j {
					v[i*10+j] = float64(50 + 20*f)
				} else {
					v[i*10+j] = float64((i*7 + j*3 + f) % 9)
				}
			}
		}
		heat.Frames = append(heat.Frames, heatmapFrame{Label: fmt.Sprintf("step %d · epoch %.1f", f*300, float64(f)), Values: v})
	}
	div := &heatmapChart{Title: "loadings", RowLabels: []string{"PC1", "PC2"}, ColLabels: []string{"a", "b", "c"}, Diverging: true,
		Frames: []heatmapFrame{{Values: []float64{-1, 0.5, 0.2, 0.3, -0.1, 0.9}}}}
	a := syntheticAnimation(600, 6, 10, 1)
	a.ClassNames = names
	b := syntheticAnimation(600, 6, 10, 2)
	b.Title = "t-SNE"
	x := reduce.NewMatrix(300, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i) * 0.37))
	}
	lab := make([]int32, 300)
	for i := range lab {
		lab[i] = int32(i % 3)
	}
	cases := []struct {
		name     string
		r        renderable
		maxBytes int
	}{
		{"chart_log", loss, 30 << 10},
		{"chart_eigenvalues", eig, 30 << 10},
		{"grid", &chartGrid{Title: "training records · run-0001", Cols: 2, Items: []renderable{loss, acc, eig}}, 80 << 10},
		{"heatmap", heat, 40 << 10},
		{"heatmap_diverging", div, 20 << 10},
		{"scatter_matrix", &scatterMatrix{Title: "latent scatter matrix", X: x, Labels: lab, ClassNames: []string{"a", "b", "c"}}, 60 << 10},
		{"scatter_grid", &scatterGrid{Title: "layers × snapshots", Cols: 2, Labels: a.Labels, ClassNames: names,
			Panels: []scatterPanel{{Title: "conv1 · ARI 0.21", Points: a.Frames[5]}, {Title: "fc2 · ARI 0.80", Points: b.Frames[5]}}}, 60 << 10},
		{"player", &playerView{Panels: []*Animation{a}}, 40 << 10},
		{"player_grid", &playerView{Panels: []*Animation{a, b, a}, Confusion: true, Cols: 2}, 120 << 10},
	}
	for _, c := range cases {
		h := c.r.html()
		if i := strings.Index(h, `class="evz-error"`); i >= 0 {
			t.Errorf("%s: error box: %.300s", c.name, h[i:])
			continue
		}
		img, size := posterOfHTML(t, c.name, h)
		px, colors := ink(img)
		bd := img.Bounds()
		t.Logf("%s: %dx%d, %d bytes, %d inked pixels, %d colors", c.name, bd.Dx(), bd.Dy(), size, px, colors)
		if px < bd.Dx()*bd.Dy()/100 || colors < 4 {
			t.Errorf("%s: poster looks blank: %d inked pixels, %d colors", c.name, px, colors)
		}
		if size > c.maxBytes {
			t.Errorf("%s: poster is %d bytes, want <= %d", c.name, size, c.maxBytes)
		}
		if err := os.WriteFile(filepath.Join(out, c.name+".png"), mustPNG(t, img), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A page's sections and a sideBySide carry posters too.
	page := (&htmlPage{Title: "report", Sections: []pageSection{{Heading: "loss", Content: loss}}}).html()
	if !strings.Contains(page, `class="evz-poster"`) {
		t.Errorf("report page section has no poster")
	}
}

func mustPNG(t *testing.T, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPosterText checks the bitmap font: ASCII and the extra glyphs ink pixels, and
// transliterated runes take their ASCII width.
func TestPosterText(t *testing.T) {
	c := newCanvas(200, 20)
	w := c.text(0, 0, "λ1 · μ σ Δ ok", pBlack)
	if w != textWidth("λ1 · μ σ Δ ok") || w != 13*fontAdvance {
		t.Errorf("width %d, want %d", w, 13*fontAdvance)
	}
	for i, r := range []rune("λ1·μσΔo") {
		n := 0
		posterGlyph(r, func(dx, dy int) { n++ })
		if n == 0 {
			t.Errorf("glyph %d (%q) has no ink", i, r)
		}
	}
	if got := posterText("1 − CKA(E_i, E_{i−k}) → ‖x‖ ≤ 2×"); got != "1 - CKA(E_i, E_{i-k}) -> ||x|| <= 2x" {
		t.Errorf("posterText: %q", got)
	}
	if got := fitText("a long title that does not fit", 70); got != "a long ..." {
		t.Errorf("fitText: %q", got)
	}
	for v, want := range map[float64]string{0: "0", 0.5: "0.5", 1200: "1200", 1e-4: "1e-4", 2e5: "2e5", 0.30000000000000004: "0.3"} {
		if got := posterTickLabel(v); got != want {
			t.Errorf("posterTickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}
