package vizlib_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
	"github.com/embviz/embviz/vizlib"
)

// patternSplit returns n 28x28 images of 3 classes: a bright square at a class-dependent place,
// jittered, on a noisy background.
func patternSplit(rng *rand.Rand, n int) *datasets.Split {
	s := &datasets.Split{N: n, Shape: []int{28, 28, 1}, X: make([]float32, n*784), Labels: make([]int32, n)}
	for i := 0; i < n; i++ {
		k := i % 3
		s.Labels[i] = int32(k)
		y0, x0 := 2+8*k+rng.IntN(3), 6+6*k+rng.IntN(3)
		for p := 0; p < 784; p++ {
			s.X[i*784+p] = 0.1 * rng.Float32()
		}
		for y := y0; y < y0+8; y++ {
			for x := x0; x < x0+8; x++ {
				s.X[i*784+y*28+x] = 0.8 + 0.2*rng.Float32()
			}
		}
	}
	return s
}

var (
	vaeRunOnce sync.Once
	vaeRun     *training.Run
	vaeRunErr  error
)

// tinyVAERun trains (once per test binary) a small VAE on synthetic 28x28 patterns: a run with a
// checkpoint whose decoder the views load. EMBVIZ_TEST_VAE_RUN=<runs dir>:<run id> uses that run
// instead (e.g. the notebook's trained run, to measure the in-browser decoder on real weights).
func tinyVAERun(t *testing.T) *training.Run {
	t.Helper()
	vaeRunOnce.Do(func() {
		if spec := os.Getenv("EMBVIZ_TEST_VAE_RUN"); spec != "" {
			dir, id, _ := strings.Cut(spec, ":")
			vaeRun, vaeRunErr = training.OpenRun(dir, id)
			return
		}
		dir, err := os.MkdirTemp("", "embviz-vae-test")
		if err != nil {
			vaeRunErr = err
			return
		}
		rng := rand.New(rand.NewPCG(7, 8))
		data := &datasets.Dataset{Name: "patterns", ClassNames: []string{"top", "middle", "bottom"},
			Train: patternSplit(rng, 192), Test: patternSplit(rng, 48), ImageShape: []int{28, 28, 1}}
		vaeRun, vaeRunErr = training.Train(context.Background(), training.Config{
			RunsDir: dir, Model: "vae", Data: data, Dataset: "patterns",
			ModelOptions: models.Options{Latent: 3, Hidden: []int{4, 8}},
			Steps:        40, Batch: 16, LR: 3e-3, Snapshots: 2, EvalSize: 48, Seed: 3,
		})
	})
	if vaeRunErr != nil {
		t.Fatal(vaeRunErr)
	}
	return vaeRun
}

var liveData = regexp.MustCompile(`<script type="application/json" id="[^"]*-data">([^<]*)</script>`)

// TestInBrowserDecoderMatchesGo runs the in-browser decoder (assets/vae.js) with node on the
// weights a LatentExplorer output carries (float16) and compares its images with the Go decoder's
// (training.VAEDecoder, float32 weights) on random latent codes: max |pixel difference| <= 1e-3.
func TestInBrowserDecoderMatchesGo(t *testing.T) {
	node := testutil.Tool(t, "node")
	run := tinyVAERun(t)
	f := vizlib.View(run).LatentExplorer()
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	h := f.HTML()
	m := liveData.FindStringSubmatch(h)
	if m == nil {
		t.Fatal("the explorer carries no data")
	}
	var spec struct {
		Model json.RawMessage `json:"model"`
		Base  []float64       `json:"base"`
	}
	if err := json.Unmarshal([]byte(m[1]), &spec); err != nil {
		t.Fatal(err)
	}
	dec, err := training.NewVAEDecoder(run)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([][]float32, 24)
	for i := range z {
		z[i] = make([]float32, dec.Latent)
		for j := range z[i] {
			z[i][j] = float32(2 * rng.NormFloat64())
		}
	}
	want, err := dec.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{"model": spec.Model, "z": z})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "input.json")
	if err := os.WriteFile(input, in, 0o644); err != nil {
		t.Fatal(err)
	}
	js, err := filepath.Abs(filepath.Join("assets", "vae.js"))
	if err != nil {
		t.Fatal(err)
	}
	script := `const fs = require("fs");
eval(fs.readFileSync(process.argv[1], "utf8"));
const inp = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const dec = globalThis.embvizVAE.load(inp.model);
const t0 = Date.now();
const out = inp.z.map(z => Array.from(dec.decode(z)));
process.stdout.write(JSON.stringify({images: out, ms: (Date.now() - t0) / inp.z.length}));`
	cmd := exec.Command(node, "-e", script, js, input)
	cmd.Stderr = os.Stderr
	outBytes, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got struct {
		Images [][]float64 `json:"images"`
		Ms     float64     `json:"ms"`
	}
	if err := json.Unmarshal(outBytes, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Images) != len(z) {
		t.Fatalf("node decoded %d images, want %d", len(got.Images), len(z))
	}
	maxDiff, spread := 0.0, 0.0
	for i := range z {
		if len(got.Images[i]) != len(want[i]) {
			t.Fatalf("image %d: node gives %d pixels, Go %d", i, len(got.Images[i]), len(want[i]))
		}
		for p, v := range want[i] {
			maxDiff = max(maxDiff, math.Abs(got.Images[i][p]-float64(v)))
			spread = max(spread, math.Abs(float64(v-want[0][p])))
		}
	}
	t.Logf("run %s: in-browser (float16 weights, float32 for tensors of <= 8192 values) vs Go decoder on %d random codes: max |pixel difference| %.2e; %.1f ms per image in node; images differ by up to %.2f",
		run.ID(), len(z), maxDiff, got.Ms, spread)
	if maxDiff > 1e-3 {
		t.Errorf("the in-browser decoder differs from the Go decoder by %g > 1e-3", maxDiff)
	}
	if spread < 1e-3 {
		t.Errorf("the decoded images do not depend on the code (max spread %g): the comparison proves nothing", spread)
	}
}

// TestLatentExplorer checks the explorer's fragment: a static poster image of the decoded base
// code (what shows where scripts do not run), the decoder's data and the script.
func TestLatentExplorer(t *testing.T) {
	run := tinyVAERun(t)
	v := vizlib.View(run)
	f := v.LatentExplorer()
	h := f.HTML()
	if f.Err() != nil {
		t.Fatal(f.Err())
	}
	for _, want := range []string{`class="evz-vae-poster"><img`, `src="data:image/png;base64,`, "embvizVAE", `"kind":"sliders"`, "the origin"} {
		if !strings.Contains(h, want) {
			t.Errorf("the explorer lacks %q", want)
		}
	}
	// The poster comes before any script: a sanitizer that strips scripts keeps it.
	if strings.Index(h, "<img") > strings.Index(h, "<script") {
		t.Errorf("the poster is not before the scripts")
	}
	if f := v.LatentExplorer(vizlib.ExplorerOpts{Class: "Middle", Extent: 2}); f.Err() != nil || !strings.Contains(f.HTML(), "middle prototype") || !strings.Contains(f.HTML(), `"extent":2`) {
		t.Errorf("explorer from a prototype: %v", f.Err())
	}
	for name, o := range map[string]vizlib.ExplorerOpts{"an unknown class": {Class: "zebra"}, "a negative extent": {Extent: -1}} {
		if v.LatentExplorer(o).Err() == nil {
			t.Errorf("LatentExplorer accepted %s", name)
		}
	}
	// A run that is not a VAE has no decoder to carry.
	if f := vizlib.View(latentRun(t, t.TempDir(), 10, 2, []int{0, 5}, false)).LatentExplorer(); f.Err() == nil {
		t.Errorf("LatentExplorer of a run without a VAE checkpoint did not fail")
	}
	// The live manifold: the static grid as the poster, sliders for the other dimension.
	f = v.LatentManifold(vizlib.ManifoldOpts{Steps: 4, Dims: []int{0, 1}, Class: "top", Sliders: true})
	h = f.HTML()
	if f.Err() != nil || !strings.Contains(h, `"kind":"manifold"`) || strings.Count(h, "<img") != 16 || !strings.Contains(h, "top prototype") {
		t.Errorf("live manifold: %v, %d images", f.Err(), strings.Count(h, "<img"))
	}
}

var pngData = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)

// TestReconstructionsSeedRows checks the seed's four rows on a tiny Fashion-MNIST VAE: original,
// binarized original, reconstructed, binarized reconstructed (row 4 is row 3 thresholded at 0.5).
func TestReconstructionsSeedRows(t *testing.T) {
	if _, err := datasets.Load("fashion-mnist", ""); err != nil {
		if os.Getenv("EMBVIZ_STRICT") == "1" {
			t.Fatal(err)
		}
		t.Skipf("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	run, err := training.Train(context.Background(), training.Config{
		RunsDir: t.TempDir(), Model: "vae", Dataset: "fashion-mnist",
		ModelOptions: models.Options{Latent: 2, Hidden: []int{4, 8}, KLDWeight: new(0.0)},
		Steps:        10, Batch: 16, Snapshots: 2, EvalSize: 20, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := vizlib.View(run).Reconstructions()
	h := f.HTML()
	if f.Err() != nil || !strings.Contains(h, "binarized reconstructed") {
		t.Fatalf("Reconstructions: %v", f.Err())
	}
	var ims []image.Image
	for _, m := range pngData.FindAllStringSubmatch(h, -1) {
		b, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		ims = append(ims, im)
	}
	if len(ims) != 40 {
		t.Fatalf("%d images, want 4 rows of 10 classes", len(ims))
	}
	gray := func(im image.Image, x, y int) uint8 { return color.GrayModel.Convert(im.At(x, y)).(color.Gray).Y }
	for c := 0; c < 10; c++ {
		orig, bin, rec, recBin := ims[c], ims[10+c], ims[20+c], ims[30+c]
		for y := 0; y < 28; y++ {
			for x := 0; x < 28; x++ {
				if want := gray(orig, x, y) > 127; (gray(bin, x, y) == 255) != want && gray(orig, x, y) != 128 {
					t.Fatalf("class %d (%d, %d): binarized original %d of %d", c, x, y, gray(bin, x, y), gray(orig, x, y))
				}
				r, rb := gray(rec, x, y), gray(recBin, x, y)
				if rb != 0 && rb != 255 || (rb == 255) != (r > 127) && r != 128 {
					t.Fatalf("class %d (%d, %d): binarized reconstruction %d of %d", c, x, y, rb, r)
				}
			}
		}
	}
	if f := vizlib.View(run).Reconstructions(vizlib.ReconOpts{BinarizedInput: true, Threshold: 0.3}); f.Err() != nil || len(pngData.FindAllString(f.HTML(), -1)) != 50 || !strings.Contains(f.HTML(), "(&gt; 0.3)") {
		t.Errorf("Reconstructions with the fifth row: %v", f.Err())
	}
	if vizlib.View(run).Reconstructions(vizlib.ReconOpts{Threshold: 1}).Err() == nil {
		t.Errorf("Reconstructions accepted threshold 1")
	}
}

// TestBrowserVAEViews opens the explorer and the live manifold in Chromium (browsertest/vae.mjs):
// with scripts off each shows its poster image; with scripts on each mounts, draws, and moving a
// slider changes the decoded image. Screenshots go to test-output/vizlib.
func TestBrowserVAEViews(t *testing.T) {
	node := testutil.Tool(t, "node")
	chromium := cmpOr(os.Getenv("EMBVIZ_CHROMIUM"), "/usr/bin/chromium")
	if _, err := os.Stat(chromium); err != nil {
		testutil.Missing(t, "%s not found (apt-get install chromium)", chromium)
	}
	dir, _ := filepath.Abs("browsertest")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		testutil.Missing(t, "playwright-core not installed: run `npm ci --prefix vizlib/browsertest`")
	}
	v := vizlib.View(tinyVAERun(t))
	page := filepath.Join(t.TempDir(), "vae-views.html")
	body := ""
	for _, f := range []*vizlib.Figure{v.LatentExplorer(vizlib.ExplorerOpts{Class: "top"}), v.LatentManifold(vizlib.ManifoldOpts{Steps: 6, Sliders: true})} {
		if f.Err() != nil {
			t.Fatal(f.Err())
		}
		body += f.HTML()
	}
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>`+body+`</body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "vae.mjs"), testutil.OutDir(t, "vizlib"), page)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct {
		Failures []string `json:"failures"`
		Views    []struct {
			Changed bool `json:"changed"`
		} `json:"views"`
		Posters int `json:"postersWithoutScripts"`
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		t.Fatalf("vae.mjs: %v %v\n%s\n%s", err, jerr, out, stderr.String())
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	if len(res.Views) != 2 || res.Posters != 2 {
		t.Errorf("%d live views, %d posters without scripts; want 2 and 2: %s", len(res.Views), res.Posters, out)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
