package vizlib

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/datasets"
)

// nodeCodec runs script with node on the embedded (minified) library: window.embviz.codec holds
// the player's decoders, and inp is the JSON value the script reads as `inp`. It returns what the
// script writes with out(v).
func nodeCodec(t *testing.T, script string, inp any, res any) {
	t.Helper()
	node := testutil.Tool(t, "node")
	dir := t.TempDir()
	lib := filepath.Join(dir, "embviz.min.js")
	input := filepath.Join(dir, "input.json")
	data, err := json.Marshal(inp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, []byte(libJS), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	prog := `const fs = require("fs");
globalThis.window = globalThis;
eval(fs.readFileSync(process.argv[1], "utf8"));
const codec = window.embviz.codec, inp = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = v => process.stdout.write(JSON.stringify(v));
` + script
	cmd := exec.Command(node, "-e", prog, lib, input)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outBytes, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(outBytes, res); err != nil {
		t.Fatalf("node output %.300q: %v", outBytes, err)
	}
}

// TestInflateMatchesGo inflates, in node with the embedded library, streams written by Go's
// compress/flate at every kind of block (stored, fixed and dynamic Huffman; long matches; empty
// input) and checks the bytes; damaged streams must raise an error, not return garbage.
func TestInflateMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 200_000) // incompressible: stored blocks
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := []byte(strings.Repeat("the player's binary fields travel DEFLATEd; ", 3000))
	runs := make([]byte, 150_000) // long matches (258) at distances up to 32 KB
	for i := range runs {
		if i < 40_000 {
			runs[i] = byte(rng.IntN(4))
		} else {
			runs[i] = runs[i-32768+rng.IntN(2)]
		}
	}
	skewed := make([]byte, 100_000) // dynamic Huffman codes with long code lengths
	for i := range skewed {
		skewed[i] = byte(min(255, int(rng.ExpFloat64()*3)))
	}
	type tc struct {
		Name  string `json:"name"`
		Level int    `json:"-"`
		Raw   []byte `json:"-"`
		Z     string `json:"z"`
	}
	var cases []tc
	for _, c := range []struct {
		name string
		raw  []byte
	}{{"empty", nil}, {"one byte", []byte{7}}, {"random", random}, {"text", text}, {"runs", runs}, {"skewed", skewed}} {
		for _, level := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
			var buf bytes.Buffer
			w, _ := flate.NewWriter(&buf, level)
			w.Write(c.raw)
			w.Close()
			cases = append(cases, tc{Name: fmt.Sprintf("%s/level %d", c.name, level), Level: level, Raw: c.raw, Z: base64.StdEncoding.EncodeToString(buf.Bytes())})
		}
	}
	// Fixed Huffman codes: compress/flate picks them for short inputs.
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write([]byte("abcabcabcabc xyz"))
	w.Close()
	cases = append(cases, tc{Name: "short", Raw: []byte("abcabcabcabc xyz"), Z: base64.StdEncoding.EncodeToString(buf.Bytes())})
	z, _ := base64.StdEncoding.DecodeString(cases[len(cases)-1].Z)
	if z[0]&6 != 2 {
		t.Fatalf("the short case's first block is of type %d, want fixed Huffman (1)", z[0]>>1&3)
	}
	var got []struct {
		Out string `json:"out"`
		Err string `json:"err"`
	}
	nodeCodec(t, `out(inp.map(c => { try { return { out: Buffer.from(codec.inflate(Buffer.from(c.z, "base64"))).toString("base64") }; } catch (e) { return { err: e.message }; } }));`, cases, &got)
	if len(got) != len(cases) {
		t.Fatalf("node answered %d cases of %d", len(got), len(cases))
	}
	for i, c := range cases {
		if got[i].Err != "" {
			t.Errorf("%s: %s", c.Name, got[i].Err)
			continue
		}
		if want := base64.StdEncoding.EncodeToString(c.Raw); got[i].Out != want {
			t.Errorf("%s: inflated to %d base64 chars, want %d (content differs)", c.Name, len(got[i].Out), len(want))
		}
	}
	// Damaged streams: truncated, an invalid block type, a stored block whose length check fails.
	good, _ := base64.StdEncoding.DecodeString(cases[3*5+4].Z) // text, best compression
	bad := []string{
		base64.StdEncoding.EncodeToString(good[:len(good)/2]),
		base64.StdEncoding.EncodeToString([]byte{0x07}),
		base64.StdEncoding.EncodeToString([]byte{0x01, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5}),
	}
	var errs []string
	nodeCodec(t, `out(inp.map(z => { try { codec.inflate(Buffer.from(z, "base64")); return ""; } catch (e) { return e.message; } }));`, bad, &errs)
	for i, e := range errs {
		if !strings.HasPrefix(e, "inflate: ") {
			t.Errorf("damaged stream %d: error %q, want an inflate error", i, e)
		}
	}
}

// TestPlayerFieldsDecode encodes players (one run and two runs, with neighbour lists, labels,
// predictions, colors, indices) and decodes every binary field in node with the embedded
// library's decoders: the coordinates must be quantize's codes, the rest exactly the Go values.
func TestPlayerFieldsDecode(t *testing.T) {
	const n, f, k = 300, 9, 5
	a := syntheticAnimation(n, f, 7, 5)
	b := syntheticAnimation(n, f, 7, 6) // a second run: its own predictions and neighbours
	rng := rand.New(rand.NewPCG(7, 8))
	a.Indices = make([]int32, n)
	a.Colors = make([][3]uint8, n)
	for i := range a.Indices {
		a.Indices[i] = int32(i*7 + rng.IntN(7))
		a.Colors[i] = [3]uint8{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32())}
	}
	a.Indices[5] = 1<<31 - 1 // wraps in the deltas
	a.Predictions[3][0] = -1 // "no prediction"
	for _, x := range []*Animation{a, b} {
		x.snapshots = x.Frames
	}
	a.run, b.run = "run-a", "run-b"
	p := &playerView{Panels: []*Animation{a, b}, Neighbors: k}
	spAny, err := p.spec()
	if err != nil {
		t.Fatal(err)
	}
	sp := spAny.(playerSpec)
	if len(sp.Runs) != 2 || sp.KnnK != k || sp.KnnBytes != 2 {
		t.Fatalf("spec: %d runs, knnK %d, knnBytes %d", len(sp.Runs), sp.KnnK, sp.KnnBytes)
	}
	var got struct {
		Coords  [][]float64 `json:"coords"`
		Preds   [][]int32   `json:"preds"`
		Knn     [][]int32   `json:"knn"`
		Labels  []int32     `json:"labels"`
		Colors  []byte      `json:"colors"`
		Indices []int32     `json:"indices"`
	}
	nodeCodec(t, `const s = inp, F = s.f, n = s.n, A = x => Array.from(x);
out({ coords: s.panels.map(p => A(codec.coords(p.data, F, n, p.title))),
  preds: s.runs.map(r => A(codec.preds(r.preds, s.lbytes, F, n))),
  knn: s.runs.map(r => A(codec.knn(r.knn, s.knnBytes, F, n, s.knnK))),
  labels: A(codec.ints(codec.unz(s.labels), s.lbytes, n)),
  colors: A(codec.unz(s.colors)), indices: codec.indices(s.indices, n) });`, sp, &got)
	boxes := p.panelBoxes()
	for i, x := range []*Animation{a, b} {
		xs, ys := decode12(quantize(x.Frames, boxes[i][0], boxes[i][1], boxes[i][2]))
		if len(got.Coords[i]) != 2*n*f {
			t.Fatalf("panel %d: %d coordinates, want %d", i, len(got.Coords[i]), 2*n*f)
		}
		for j := range xs {
			if got.Coords[i][2*j] != float64(float32(xs[j])) || got.Coords[i][2*j+1] != float64(float32(ys[j])) {
				t.Fatalf("panel %d point %d of frame %d: (%v, %v), want (%v, %v)", i, j%n, j/n, got.Coords[i][2*j], got.Coords[i][2*j+1], xs[j], ys[j])
			}
		}
		for fr := 0; fr < f; fr++ {
			for j := 0; j < n; j++ {
				want := x.Predictions[fr][j]
				if want < 0 {
					want = 255
				}
				if g := got.Preds[i][fr*n+j]; g != want {
					t.Fatalf("run %d frame %d point %d: prediction %d, want %d", i, fr, j, g, want)
				}
			}
			nb, err := reduce.KNN(x.Frames[fr], k, reduce.Euclidean)
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range nb.Index {
				if g := got.Knn[i][fr*n*k+j]; g != v {
					t.Fatalf("run %d snapshot %d point %d rank %d: neighbour %d, want %d", i, fr, j/k, j%k, g, v)
				}
			}
		}
	}
	for j := 0; j < n; j++ {
		if got.Labels[j] != a.Labels[j] || got.Indices[j] != a.Indices[j] ||
			!bytes.Equal(got.Colors[3*j:3*j+3], a.Colors[j][:]) {
			t.Fatalf("point %d: label %d index %d color %v, want %d %d %v", j, got.Labels[j], got.Indices[j], got.Colors[3*j:3*j+3], a.Labels[j], a.Indices[j], a.Colors[j])
		}
	}
}

// fashionThumbs returns the hover thumbnails of the default run's points: 1000 images of the
// Fashion-MNIST test split (the balanced subset of seed 42), with their labels and indices.
func fashionThumbs(t *testing.T) (*thumbSet, []int32, []int32) {
	t.Helper()
	if _, err := os.Stat(datasets.DefaultFashionMNISTDir); err != nil {
		testutil.Missing(t, "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	ds, err := datasets.Load("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := ds.Test.EvalSubset(1000, 42)
	if err != nil {
		t.Fatal(err)
	}
	th, err := thumbnailsFromFloats(ds.Test.X, ds.Test.N, 28, 28, 1, idx)
	if err != nil {
		t.Fatal(err)
	}
	return th, ds.Test.GatherLabels(idx, nil), idx
}

// TestThumbSpriteLayouts measures the PNG bytes of 1000 Fashion-MNIST thumbnails (8 levels) for
// sprites of 1 to 32 columns, 4-bit paletted and 8-bit gray, and checks that sprite's choice is
// within 2% of the smallest, and at least 10% below the former sprite (8-bit gray, 32 columns).
func TestThumbSpriteLayouts(t *testing.T) {
	th, _, _ := fashionThumbs(t)
	const n = 1000
	best, former := 1<<30, 0
	var rows []string
	for _, cols := range []int{1, 2, 4, 8, 32} {
		line := fmt.Sprintf("%2d columns:", cols)
		for _, pal := range []bool{true, false} {
			b, err := th.spritePNG(n, cols, pal)
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, len(b))
			if cols == 32 && !pal {
				former = len(b)
			}
			line += fmt.Sprintf("  %s %7d", map[bool]string{true: "4-bit paletted", false: "8-bit gray"}[pal], len(b))
		}
		rows = append(rows, line)
	}
	sp := th.sprite(n)
	raw, err := base64.StdEncoding.DecodeString(sp.PNG)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dy() > thumbSpriteHeight || b.Dx() != sp.Cols*28 {
		t.Errorf("sprite of %v for %d columns", b, sp.Cols)
	}
	t.Logf("PNG bytes of the sprite of %d Fashion-MNIST thumbnails (28x28, 8 levels):\n  %s\nchosen: %d columns, %d bytes (%d base64)", n, strings.Join(rows, "\n  "), sp.Cols, len(raw), len(sp.PNG))
	if float64(len(raw)) > 1.02*float64(best) {
		t.Errorf("the sprite takes %d bytes, the best layout %d", len(raw), best)
	}
	if float64(len(raw)) > 0.9*float64(former) {
		t.Errorf("the sprite takes %d bytes, the former one %d: want at least 10%% less", len(raw), former)
	}
}

// playerBudget is the most bytes per point that one animation output of the default run (1000
// Fashion-MNIST points, 20 snapshots, hover thumbnails, predictions, dataset indices) may take:
// its HTML, library included (the former encoding took about 400: PNG sprite of 8-bit gray in 32
// columns, plain 3-byte coordinates, unminified library). The main notebook shows six of them
// (make demo: <= 3.5 MB in all).
const playerBudget = 320

// TestPlayerOutputBudget renders one animation output the size of the default run's and checks
// its bytes per point against playerBudget, logging what each part takes.
func TestPlayerOutputBudget(t *testing.T) {
	th, labels, idx := fashionThumbs(t)
	const n, f = 1000, 20
	a := syntheticAnimation(n, f, 10, 1)
	a.Labels, a.Indices, a.Thumbs = labels, idx, th
	h := a.HTML()
	sp := specOf(t, h)
	parts := map[string]int{"library": len(libJS) + len(libCSS), "thumbnails": len(sp["thumbs"].(map[string]any)["png"].(string)),
		"coordinates": len(sp["panels"].([]any)[0].(map[string]any)["data"].(string)), "predictions": len(sp["preds"].(string)),
		"labels+indices": len(sp["labels"].(string)) + len(sp["indices"].(string))}
	rest := len(h)
	var desc []string
	for _, k := range []string{"library", "thumbnails", "coordinates", "predictions", "labels+indices"} {
		rest -= parts[k]
		desc = append(desc, fmt.Sprintf("%s %d", k, parts[k]))
	}
	per := float64(len(h)) / n
	t.Logf("one animation output of %d points x %d snapshots: %d bytes, %.0f per point (budget %d): %s, poster and the rest %d",
		n, f, len(h), per, playerBudget, strings.Join(desc, ", "), rest)
	if per > playerBudget {
		t.Errorf("%.0f bytes per point, budget %d", per, playerBudget)
	}
}

// panelCodes inflates a panel's data (deflate64 of packFrames) and returns quantize's codes
// (3 bytes per point and frame) for decode12.
func panelCodes(t *testing.T, data string, n int) []byte {
	t.Helper()
	z, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)%(4*n) != 0 {
		t.Fatalf("panel data of %d bytes for %d points", len(raw), n)
	}
	out := make([]byte, 0, len(raw)/4*3)
	px, py := make([]int32, n), make([]int32, n)
	unzig := func(hi, lo byte) int32 { z := int32(hi)<<8 | int32(lo); return z>>1 ^ -(z & 1) }
	for o := 0; o < len(raw); o += 4 * n {
		for j := 0; j < n; j++ {
			px[j] += unzig(raw[o+j], raw[o+n+j])
			py[j] += unzig(raw[o+2*n+j], raw[o+3*n+j])
			x, y := px[j], py[j]
			out = append(out, byte(x>>4), byte(x&15<<4|y>>8), byte(y))
		}
	}
	return out
}

// TestPackFramesRoundTrip checks packFrames' inverse (panelCodes, as the player's decodeCoords)
// on quantized frames that jump across the whole range, and that smooth motion packs small.
func TestPackFramesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name      string
		a         *Animation
		maxRatio  float64 // deflated bytes / quantized bytes
		scrambled bool
	}{
		{"smooth", syntheticAnimation(400, 10, 5, 1), 0.9, false},
		{"jumps", syntheticAnimation(400, 10, 5, 2), 1.1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.scrambled { // every point jumps to a random place each frame, incl. the extremes
				rng := rand.New(rand.NewPCG(1, 1))
				for _, m := range tc.a.Frames {
					for i := range m.Data {
						m.Data[i] = float32(rng.IntN(3)) * 10
					}
				}
			}
			x0, y0, side := square(tc.a.bounds())
			q := quantize(tc.a.Frames, x0, y0, side)
			z := deflate64(packFrames(q, 400))
			if got := panelCodes(t, z, 400); !bytes.Equal(got, q) {
				t.Fatal("packFrames does not round-trip")
			}
			raw, _ := base64.StdEncoding.DecodeString(z)
			if r := float64(len(raw)) / float64(len(q)); r > tc.maxRatio {
				t.Errorf("deflated %d bytes for %d quantized: ratio %.2f > %.2f", len(raw), len(q), r, tc.maxRatio)
			}
		})
	}
}
