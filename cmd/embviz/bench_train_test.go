package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/internal/testutil"
)

// TestBenchTrainCLI runs `embviz bench train` with the PyTorch reference for two tiny rounds and
// checks the per-round lines and the summary's fields (no timing assertions: speed targets live in
// the benchmark itself and in models/PERFORMANCE.md).
func TestBenchTrainCLI(t *testing.T) {
	py := testutil.Python(t, "torch")
	var out, errb bytes.Buffer
	code := runMain([]string{"bench", "train", "-steps", "2", "-batch", "8", "-warmup", "1", "-rounds", "2", "-torch", "-python", py},
		&out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if warned := strings.Contains(errb.String(), "without GOEXPERIMENT=simd"); warned == backend.SIMD() {
		t.Errorf("SIMD build %v, but the speed warning shown is %v: stderr %q", backend.SIMD(), warned, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 2 rounds x (ours, PyTorch) + summary = 5 lines, got %d:\n%s", len(lines), out.String())
	}
	ips := regexp.MustCompile(`images_per_second=([0-9.]+)`)
	for _, l := range lines[:4] {
		m := ips.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("no images_per_second= in %q", l)
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v <= 0 {
			t.Errorf("images_per_second %s <= 0 in %q", m[1], l)
		}
	}
	summary := lines[4]
	for _, field := range []string{"summary rounds=2", " ratio=", " best_ratio=", " cpu_ratio=", "torch_cpu_ms_per_step="} {
		if !strings.Contains(summary, field) {
			t.Errorf("summary lacks %q: %q", field, summary)
		}
	}

	// Bad flags are refused before any work.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-steps", "0"}, "-steps"},
		{[]string{"-infer", "-infer-batch", "0"}, "-infer-batch"},
		{[]string{"-layers", "conv1"}, "add -infer"},
		{[]string{"-infer-steps", "3"}, "add -infer"},
		{[]string{"-model", "resnet"}, "resnet"},
	} {
		out.Reset()
		errb.Reset()
		if code := runMain(append([]string{"bench", "train"}, tc.args...), &out, &errb); code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want it to name %q)", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestBenchTrainInferCLI runs one tiny round of training and inference (-infer, with a layer tap)
// next to PyTorch's and checks the lines and both summaries; then the ViT without PyTorch.
func TestBenchTrainInferCLI(t *testing.T) {
	py := testutil.Python(t, "torch")
	var out, errb bytes.Buffer
	code := runMain([]string{"bench", "train", "-steps", "2", "-batch", "8", "-warmup", "1", "-torch", "-python", py,
		"-infer", "-infer-batch", "16", "-infer-steps", "2", "-layers", "conv1"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantPrefixes := []string{"bench train: round=1 model=cnn", "bench train: round=1 bench train: model=CNN backend=torch",
		"bench infer: round=1 model=cnn", "bench infer: round=1 bench infer: model=CNN backend=torch",
		"bench train: summary rounds=1 model=cnn median", "bench train: summary infer rounds=1 model=cnn batch=16 median"}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("want %d lines, got %d:\n%s", len(wantPrefixes), len(lines), out.String())
	}
	for i, p := range wantPrefixes {
		if !strings.HasPrefix(lines[i], p) {
			t.Errorf("line %d: want prefix %q, got %q", i+1, p, lines[i])
		}
	}
	if !strings.Contains(lines[2], "layers=embedding,logits,conv1 steps=2 batch=16") {
		t.Errorf("inference line lacks its layers, steps and batch: %q", lines[2])
	}
	if !strings.Contains(lines[3], "steps=2 batch=16") {
		t.Errorf("PyTorch inference line lacks its steps and batch: %q", lines[3])
	}
	for _, l := range lines[4:] {
		if !strings.Contains(l, " ratio=") || !strings.Contains(l, " cpu_ratio=") {
			t.Errorf("summary lacks ratio= or cpu_ratio=: %q", l)
		}
	}

	out.Reset()
	errb.Reset()
	if code := runMain([]string{"bench", "train", "-model", "vit", "-steps", "1", "-batch", "2", "-warmup", "1"}, &out, &errb); code != 0 {
		t.Fatalf("vit: exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "bench train: round=1 model=vit") || !strings.Contains(out.String(), "images_per_second=") {
		t.Errorf("vit: unexpected output %q", out.String())
	}
}
