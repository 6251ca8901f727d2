package training_test

import (
	"context"
	"math"
	"strings"
	"testing"

	ebackend "github.com/embviz/embviz/backend"
	"github.com/embviz/embviz/models"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/training/datasets"
)

// tinyImages is a random 28x28 image data set of n train and n test images with 10 classes.
func tinyImages(n int) *datasets.Dataset { return training.RandomImages(n, n, 3) }

func TestVAEDecoder(t *testing.T) {
	runs := t.TempDir()
	run, err := training.Train(context.Background(), training.Config{RunsDir: runs, Model: "vae", Data: tinyImages(40),
		ModelOptions: models.Options{Latent: 3, Hidden: []int{4, 4}}, Steps: 2, Batch: 8, Snapshots: 2, EvalSize: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := training.NewVAEDecoder(run)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Latent != 3 {
		t.Fatalf("Latent = %d, want 3", dec.Latent)
	}
	z := [][]float32{{0, 0, 0}, {1, -2, 0.5}}
	got, err := dec.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != 784 {
		t.Fatalf("decoded %d images of %d values, want 2 of 784", len(got), len(got[0]))
	}
	// The same as the model's own (uncached) decoder with the run's weights.
	m, store, err := training.LoadModel(run)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.(*models.VAE).Decode(ebackend.Must(), store, z)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if math.Abs(float64(got[i][j]-want[i][j])) > 1e-5 || got[i][j] < 0 || got[i][j] > 1 {
				t.Fatalf("image %d pixel %d: %v, want %v in [0, 1]", i, j, got[i][j], want[i][j])
			}
		}
	}
	// One vector at a time (another batch size) gives the same image.
	one, err := dec.Decode(z[1:])
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(one[0][100]-got[1][100])) > 1e-5 {
		t.Errorf("batch of one differs: %v vs %v", one[0][100], got[1][100])
	}
	if _, err := dec.Decode([][]float32{{1, 2}}); err == nil || !strings.Contains(err.Error(), "length 2, want 3") {
		t.Errorf("wrong length: %v", err)
	}

	// A run of another model has no decoder.
	ds, err := datasets.Colors(datasets.ColorsOptions{Kind: datasets.ColorsHueRing})
	if err != nil {
		t.Fatal(err)
	}
	crun, err := training.Train(context.Background(), training.Config{RunsDir: runs, Model: "colormlp", Data: ds, Steps: 2, Batch: 8, Snapshots: 2, EvalSize: 12})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := training.NewVAEDecoder(crun); err == nil || !strings.Contains(err.Error(), "not a VAE") {
		t.Errorf("colormlp run: %v", err)
	}
}
