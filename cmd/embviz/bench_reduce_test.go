package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestBenchReduceFrames runs `embviz bench reduce` on a few points and frames without the Python
// references: the frames table shows the defaults next to the settings before 2026-12.
func TestBenchReduceFrames(t *testing.T) {
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"); err != nil {
		t.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
	}
	var out, errb bytes.Buffer
	if code := runMain([]string{"bench", "reduce", "-n", "300", "-frames", "3", "-no-ref"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	t.Log(s)
	for _, want := range []string{"trust_last", "mean_disp", "\ndefaults ", "\nbefore 2026-12 ", "defaults vs before 2026-12:"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
