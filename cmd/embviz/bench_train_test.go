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
	out.Reset()
	errb.Reset()
	if code := runMain([]string{"bench", "train", "-steps", "0"}, &out, &errb); code == 0 || !strings.Contains(errb.String(), "-steps") {
		t.Errorf("-steps 0: exit %d, stderr %q", code, errb.String())
	}
}
