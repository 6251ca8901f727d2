package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// writeTinyIDX writes MNIST-format IDX files (uncompressed) of n images and labels.
func writeTinyIDX(t *testing.T, dir, prefix string, n int) {
	t.Helper()
	img := make([]byte, 16+n*28*28)
	binary.BigEndian.PutUint32(img[0:], 0x803)
	binary.BigEndian.PutUint32(img[4:], uint32(n))
	binary.BigEndian.PutUint32(img[8:], 28)
	binary.BigEndian.PutUint32(img[12:], 28)
	lab := make([]byte, 8+n)
	binary.BigEndian.PutUint32(lab[0:], 0x801)
	binary.BigEndian.PutUint32(lab[4:], uint32(n))
	for i := 0; i < n; i++ {
		lab[8+i] = byte(i % 10)
		for p := 0; p < 28*28; p++ {
			img[16+i*28*28+p] = byte((i%10)*20 + p%7)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lab, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyCIFAR returns n CHW images and labels i%10.
func tinyCIFAR(n int) ([]byte, []uint8) {
	img := make([]byte, n*datasets.CIFARImageBytes)
	lab := make([]uint8, n)
	for i := range lab {
		lab[i] = uint8(i % 10)
		for p := 0; p < datasets.CIFARImageBytes; p++ {
			img[i*datasets.CIFARImageBytes+p] = byte(int(lab[i])*25 + p%5)
		}
	}
	return img, lab
}

// TestTrainPresetSeed000 trains seed 000's run matrix (13 runs) for 2 steps each from a data
// directory the test writes: MNIST IDX files in DIR/mnist and the CIFAR-10 python version
// (cifar-10-batches-py pickles) in DIR/cifar-10-batches-py. A second invocation finds every run.
func TestTrainPresetSeed000(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 13 tiny runs")
	}
	root := t.TempDir()
	mn := filepath.Join(root, "mnist")
	os.MkdirAll(mn, 0o755)
	writeTinyIDX(t, mn, "train", 40)
	writeTinyIDX(t, mn, "t10k", 20)
	trImg, trLab := tinyCIFAR(40)
	teImg, teLab := tinyCIFAR(20)
	if err := datasets.WriteCIFARPickleDir(filepath.Join(root, "cifar-10-batches-py"), trImg, trLab, teImg, teLab, nil); err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	args := []string{"train", "-preset", "seed000", "-runs", runs, "-data-dir", root,
		"-steps", "2", "-snapshots", "2", "-eval-size", "10", "-batch", "8", "-q"}
	var stdout, stderr strings.Builder
	if code := runMain(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	ids := strings.Fields(stdout.String())
	if len(ids) != 13 {
		t.Fatalf("%d run ids, want 13:\n%s", len(ids), stdout.String())
	}
	want := []string{"CNN_mnist_32", "CNN_mnist_32", "CNN_mnist_32", "CNN_mnist_32",
		"ResCNN_cifar10_128", "CNN_cifar10_128", "ResCNN_cifar10_128", "CNN_cifar10_128",
		"ResCNN_cifar10_128", "CNN_cifar10_128", "ResCNN_cifar10_128", "CNN_cifar10_128", "ViT_cifar10_256"}
	for i, id := range ids {
		re := regexp.MustCompile(`^run-\d{4}-` + want[i] + `_\d\.\d{4}$`)
		if !re.MatchString(id) {
			t.Errorf("run %d: id %q, want the seed's form run-NNNN-%s_0.xxxx", i+1, id, want[i])
		}
	}
	// Seed 42 residual SAM is the seed's run-0016 (fifth run here): SAM on, seed 42, residual.
	r, err := training.OpenRun(runs, ids[4])
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); info.Seed != 42 || info.Dataset != "cifar10" || len(info.Snapshots) != 2 {
		t.Errorf("fifth run: %+v", info)
	}
	// Again: every run is found, none trained.
	stdout.Reset()
	stderr.Reset()
	if code := runMain(args[:len(args)-1], &stdout, &stderr); code != 0 {
		t.Fatalf("second invocation: exit %d\n%s", code, stderr.String())
	}
	if got := strings.Fields(stdout.String()); strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("second invocation printed %v, want the same runs %v", got, ids)
	}
	if n := strings.Count(stderr.String(), "already trained"); n != 13 {
		t.Errorf("second invocation: %d runs found, want 13:\n%s", n, stderr.String())
	}
	// A flag that the preset sets itself is refused.
	stderr.Reset()
	if code := runMain([]string{"train", "-preset", "seed000", "-runs", runs, "-model", "cnn"}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "-model cannot be combined") {
		t.Errorf("-preset with -model: exit %d, stderr %q", code, stderr.String())
	}
}
