package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const fashionDir = "/usr/share/datasets/fashion-mnist"

func needFashion(t *testing.T) {
	t.Helper()
	for _, f := range []string{"t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz"} {
		if _, err := os.Stat(fashionDir + "/" + f); err != nil {
			t.Skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
		}
	}
}

// TestBenchReduceFrames runs `embviz bench reduce` on a few points and frames without the Python
// references: our t-SNE and UMAP run in child processes (the test binary as embviz) that report
// their peak memory, and the frames table shows the defaults next to the settings before 2026-12.
func TestBenchReduceFrames(t *testing.T) {
	needFashion(t)
	defer func(f func(...string) *exec.Cmd) { benchSelf = f }(benchSelf)
	benchSelf = embvizProcess
	var out, errb bytes.Buffer
	if code := runMain([]string{"bench", "reduce", "-n", "300", "-frames", "3", "-no-ref"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	t.Log(s)
	for _, want := range []string{"trust_last", "mean_disp", "\ndefaults ", "\nbefore 2026-12 ", "defaults vs before 2026-12:", "ours_MB"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Each of ours: a positive time and peak memory, and a trustworthiness computed in Go.
	re := regexp.MustCompile(`(?m)^ours (t-SNE|UMAP): ([0-9.]+) s wall, ([0-9.]+) s CPU, ([0-9.]+) MB peak$`)
	m := re.FindAllStringSubmatch(s, -1)
	if len(m) != 2 {
		t.Fatalf("want 2 'ours' lines, have %q", m)
	}
	for _, l := range m {
		w, _ := strconv.ParseFloat(l[2], 64)
		mb, _ := strconv.ParseFloat(l[4], 64)
		if !(w > 0) || !(mb > 5) {
			t.Errorf("%s: wall %v s, peak %v MB", l[1], w, mb)
		}
	}
	tr := regexp.MustCompile(`(?m)^t-SNE  scikit-learn .* (0\.[0-9]{4})\s+NaN`).FindStringSubmatch(s)
	if tr == nil {
		t.Fatalf("no t-SNE row with our trustworthiness and no reference:\n%s", s)
	}
	if v, _ := strconv.ParseFloat(tr[1], 64); v < 0.9 {
		t.Errorf("our t-SNE trustworthiness %v < 0.9", v)
	}
}

// TestBenchFashionRows: n images are the test images first, then the training images.
func TestBenchFashionRows(t *testing.T) {
	needFashion(t)
	test, err := benchFashion(fashionDir, 10000)
	if err != nil {
		t.Fatal(err)
	}
	train := make([]float32, 2*784)
	if err := readIDXImages(fashionDir+"/train-images-idx3-ubyte.gz", 2, train); err != nil {
		t.Fatal(err)
	}
	both, err := benchFashion(fashionDir, 10002)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		row  int
		want []float32
	}{
		{0, test.Row(0)},
		{9999, test.Row(9999)},
		{10000, train[:784]},
		{10001, train[784:]},
	} {
		if got := both.Row(c.row); !slices.Equal(got, c.want) {
			t.Errorf("row %d of 10002 differs from the expected image", c.row)
		}
	}
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{{"-n", "70001"}, {"-n", "99"}, {"-one", "pca", "-in", "a", "-out", "b"}, {"-in", "a"}} {
		if code := runMain(append([]string{"bench", "reduce"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("bench reduce %v: exit %d, want 2 (usage)", args, code)
		}
	}
}
