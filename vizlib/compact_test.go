package vizlib

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
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

// decodeThumbsGo is the Go twin of embviz.js's decodeThumbs: it decodes n thumbnails of h x w x c
// levels from encodeThumbs' bytes and reports how many bytes the decoder read.
func decodeThumbsGo(b []byte, n, w, h, c int) ([]uint8, int, error) {
	if len(b) < 5 || b[0] != 0 {
		return nil, 0, fmt.Errorf("bad stream header")
	}
	pos, rng, code := 5, uint32(0xFFFFFFFF), uint32(0)
	for _, x := range b[1:5] {
		code = code<<8 | uint32(x)
	}
	probs := make([]uint16, thumbContexts*thumbLevels)
	for i := range probs {
		probs[i] = 1024
	}
	bit := func(p *uint16) int {
		bound := (rng >> 11) * uint32(*p)
		r := 0
		if code < bound {
			rng = bound
			*p += (2048 - *p) >> thumbShift
		} else {
			code -= bound
			rng -= bound
			*p -= *p >> thumbShift
			r = 1
		}
		for rng < 1<<24 {
			rng <<= 8
			var x byte
			if pos < len(b) {
				x = b[pos]
			}
			pos++
			code = code<<8 | uint32(x)
		}
		return r
	}
	sz := w * h * c
	lv := make([]uint8, n*sz)
	for j := 0; j < n; j++ {
		img := lv[j*sz : (j+1)*sz]
		for y, o := 0, 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch, o = ch+1, o+1 {
					k, node := thumbContext(img, o, x, y, w, c, ch), 1
					for range 3 {
						node = node<<1 | bit(&probs[k+node])
					}
					img[o] = uint8(node - 8)
				}
			}
		}
	}
	return lv, pos, nil
}

// testThumbs returns n thumbnails of w x h x c pixels: smooth shapes with noise, and a run of
// extreme values (all 0, all 255) to exercise long stretches of certain bits.
func testThumbs(n, w, h, c int, seed uint64) *thumbSet {
	rng := rand.New(rand.NewPCG(seed, 9))
	th := &thumbSet{W: w, H: h, C: c, Pixels: make([]uint8, n*w*h*c)}
	for j := 0; j < n; j++ {
		cx, cy, r := rng.Float64()*float64(w), rng.Float64()*float64(h), 1+rng.Float64()*float64(w)/2
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
					v := 255*math.Exp(-d/(r*r)) + 40*rng.NormFloat64() + float64(60*ch)
					switch {
					case j%10 == 3:
						v = 0
					case j%10 == 4:
						v = 255
					}
					th.Pixels[((j*h+y)*w+x)*c+ch] = uint8(max(0, min(255, v)))
				}
			}
		}
	}
	return th
}

// TestThumbCodec checks the thumbnails' coding both ways: Go's decoder (the twin of the player's)
// gives back every pixel's level and reads exactly the coded bytes, and the player's decodeThumbs,
// in node with the embedded library, gives every pixel's shown value (thumbLevel), for gray and
// RGB thumbnails.
func TestThumbCodec(t *testing.T) {
	levels := map[uint8]bool{}
	for v := 0; v < 256; v++ {
		levels[thumbLevel(uint8(v))] = true
	}
	if len(levels) != thumbLevels || !levels[0] || !levels[255] {
		t.Fatalf("thumbLevel gives %d levels, want %d from 0 to 255: %v", len(levels), thumbLevels, levels)
	}
	type nodeCase struct {
		N, W, H, C, L int
		RC            string
	}
	var cases []nodeCase
	var sets []*thumbSet
	for _, tc := range []struct{ n, w, h, c int }{{70, 5, 4, 1}, {40, 28, 28, 1}, {30, 8, 6, 3}, {1, 1, 1, 1}} {
		th := testThumbs(tc.n, tc.w, tc.h, tc.c, uint64(tc.w))
		sp := th.sprite(tc.n)
		b, err := base64.StdEncoding.DecodeString(sp.Data)
		if err != nil {
			t.Fatal(err)
		}
		got, read, err := decodeThumbsGo(b, tc.n, tc.w, tc.h, tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if read != len(b) {
			t.Errorf("%+v: the decoder read %d bytes of %d", tc, read, len(b))
		}
		for i, v := range th.Pixels {
			if int(got[i]) != thumbLevelIndex(v) {
				t.Fatalf("%+v: pixel value %d of thumbnail %d: level %d, want %d (from %d)", tc, i, i/(tc.w*tc.h*tc.c), got[i], thumbLevelIndex(v), v)
			}
		}
		cases = append(cases, nodeCase{tc.n, tc.w, tc.h, tc.c, sp.Levels, sp.Data})
		sets = append(sets, th)
	}
	var decoded [][]uint8
	nodeCodec(t, `out(inp.map(c => Array.from(codec.thumbs(c.RC, c.N, c.W, c.H, c.C, c.L))));`, cases, &decoded)
	for ci, th := range sets {
		for i, v := range th.Pixels {
			if decoded[ci][i] != thumbLevel(v) {
				t.Fatalf("case %d: the player decodes pixel value %d as %d, want %d (from %d)", ci, i, decoded[ci][i], thumbLevel(v), v)
			}
		}
	}
	// A truncated stream is an error in the player.
	var msg string
	trunc := cases[1]
	b, _ := base64.StdEncoding.DecodeString(trunc.RC)
	trunc.RC = base64.StdEncoding.EncodeToString(b[:len(b)/2])
	nodeCodec(t, `try { codec.thumbs(inp.RC, inp.N, inp.W, inp.H, inp.C, inp.L); out(""); } catch (e) { out(e.message); }`, trunc, &msg)
	if !strings.Contains(msg, "stream ends") {
		t.Errorf("truncated thumbnails: %q, want an error", msg)
	}
}

// TestThumbCodecSize measures the bytes of 1000 Fashion-MNIST thumbnails (8 levels) range-coded
// against PNG sprites of the same levels (a 4-bit paletted PNG in one column, the best PNG layout;
// the former sprite, 8-bit gray in 32 columns) and checks the coding takes at most 70% of the
// best PNG.
func TestThumbCodecSize(t *testing.T) {
	th, _, _ := fashionThumbs(t)
	const n = 1000
	spritePNG := func(cols int, paletted bool) int {
		rows := (n + cols - 1) / cols
		rect := image.Rect(0, 0, cols*th.W, rows*th.H)
		var pal color.Palette
		for l := range thumbLevels {
			pal = append(pal, color.Gray{Y: uint8(l * 255 / (thumbLevels - 1))})
		}
		pm, gm := image.NewPaletted(rect, pal), image.NewGray(rect)
		for j := 0; j < n; j++ {
			for y := 0; y < th.H; y++ {
				for x := 0; x < th.W; x++ {
					v := th.Pixels[(j*th.H+y)*th.W+x]
					px, py := (j%cols)*th.W+x, (j/cols)*th.H+y
					pm.Pix[py*pm.Stride+px] = uint8(thumbLevelIndex(v))
					gm.Pix[py*gm.Stride+px] = thumbLevel(v)
				}
			}
		}
		var buf bytes.Buffer
		var img image.Image = gm
		if paletted {
			img = pm
		}
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Len()
	}
	var rows []string
	best := 1 << 30
	for _, cols := range []int{1, 2, 32} {
		p, g := spritePNG(cols, true), spritePNG(cols, false)
		best = min(best, p, g)
		rows = append(rows, fmt.Sprintf("PNG sprite, %2d columns: 4-bit paletted %7d, 8-bit gray %7d", cols, p, g))
	}
	rc := th.encodeThumbs(n)
	t.Logf("bytes of %d Fashion-MNIST thumbnails (28x28, 8 levels):\n  %s\n  range-coded in context (sent): %d (%d base64)",
		n, strings.Join(rows, "\n  "), len(rc), base64.StdEncoding.EncodedLen(len(rc)))
	if float64(len(rc)) > 0.7*float64(best) {
		t.Errorf("range-coded thumbnails take %d bytes, the best PNG %d: want <= 70%%", len(rc), best)
	}
}

// playerBudget is the most bytes per point that one animation output of the default run (1000
// Fashion-MNIST points, 20 snapshots, hover thumbnails, predictions, dataset indices) may take:
// its HTML, library included. Measured: 239 (thumbnails 118, coordinates 55, library 43); the
// former encoding took about 400 (an 8-bit gray PNG sprite, plain 3-byte coordinates, the
// unminified library). The main notebook shows six of them (make demo: <= 3.5 MB in all).
const playerBudget = 260

// TestPlayerOutputBudget renders one animation output the size of the default run's and checks
// its bytes per point against playerBudget, logging what each part takes.
func TestPlayerOutputBudget(t *testing.T) {
	th, labels, idx := fashionThumbs(t)
	const n, f = 1000, 20
	a := syntheticAnimation(n, f, 10, 1)
	a.Labels, a.Indices, a.Thumbs = labels, idx, th
	h := a.HTML()
	sp := specOf(t, h)
	parts := map[string]int{"library": len(libJS) + len(libCSS), "thumbnails": len(sp["thumbs"].(map[string]any)["rc"].(string)),
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
