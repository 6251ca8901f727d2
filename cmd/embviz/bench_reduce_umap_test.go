package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/embviz/embviz/reduce"
)

// TestBenchUMAPFrames runs the UMAP frames benchmark on 300 Fashion-MNIST points and 3 frames: a
// row for the defaults and one for the settings before 2026-12, each with a positive time, a last-frame
// trustworthiness well above chance and a displacement, and the per-frame line.
func TestBenchUMAPFrames(t *testing.T) {
	needFashion(t)
	x, err := benchFashion(fashionDir, 300)
	if err != nil {
		t.Fatal(err)
	}
	x50, err := reduce.PCAProject(x, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := benchUMAPFrames(&out, x50, 3, 10, time.Second, time.Second); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	t.Log(s)
	re := regexp.MustCompile(`(?m)^(UMAP defaults|UMAP before 2026-12)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$`)
	rows := re.FindAllStringSubmatch(s, -1)
	if len(rows) != 2 {
		t.Fatalf("want 2 UMAP frames rows, have %q", rows)
	}
	for _, r := range rows {
		w, _ := strconv.ParseFloat(r[2], 64)
		trust, _ := strconv.ParseFloat(r[6], 64)
		disp, _ := strconv.ParseFloat(r[7], 64)
		if !(w > 0) || trust < 0.8 || !(disp > 0) {
			t.Errorf("%s: wall %v s, trustworthiness %v, displacement %v", r[1], w, trust, disp)
		}
	}
	if !regexp.MustCompile(`UMAP frames: [0-9.]+ s a frame, [0-9.]+ static UMAPs; defaults vs before 2026-12: [0-9.]+x wall, [0-9.]+x CPU`).MatchString(s) {
		t.Errorf("no per-frame line")
	}
}
