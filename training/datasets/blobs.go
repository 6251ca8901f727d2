package datasets

import (
	"fmt"
	"math"
)

// BlobsOptions configures Blobs. The zero value gives the documented defaults.
type BlobsOptions struct {
	// Classes is the number of clusters (classes). Default is 10.
	Classes int
	// Dim is the dimension d of the vectors. Default is 32.
	Dim int
	// PerClass is the number of Train examples of each class. Default is 500.
	PerClass int
	// TestPerClass is the number of Test examples of each class. Default is 100.
	TestPerClass int
	// Std is the standard deviation of each coordinate around its class centre. Default is 1.
	Std float64
	// Separation is the root-mean-square distance between two class centres, in units of Std: centres
	// are drawn from N(0, σ²I) with σ = Separation*Std/sqrt(2*Dim). Default is 6 (well separated
	// clusters that still overlap a little at the tails).
	Separation float64
	// Seed seeds the centres and the samples. Default is 0 (a valid seed).
	Seed int64
}

// maxGenerated bounds the number of float32 values a generated data set may hold (1 Gi values, 4 GiB).
const maxGenerated = 1 << 30

// Blobs returns Gaussian clusters: Classes centres in Dim dimensions, and around each, PerClass Train
// and TestPerClass Test vectors with independent N(0, Std²) coordinates. Vectors have Shape [Dim];
// examples are ordered class by class; ClassNames are "blob 0", "blob 1", ...; Name is "blobs". The
// result depends only on opts (the generator is this package's, stable across Go versions).
func Blobs(opts BlobsOptions) (*Dataset, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.Classes, 10)
	def(&opts.Dim, 32)
	def(&opts.PerClass, 500)
	def(&opts.TestPerClass, 100)
	if opts.Std == 0 {
		opts.Std = 1
	}
	if opts.Separation == 0 {
		opts.Separation = 6
	}
	switch {
	case opts.Classes < 1 || opts.Dim < 1 || opts.PerClass < 1 || opts.TestPerClass < 1:
		return nil, fmt.Errorf("datasets: blobs: Classes, Dim, PerClass and TestPerClass must not be negative (0 means the default), got %d, %d, %d, %d",
			opts.Classes, opts.Dim, opts.PerClass, opts.TestPerClass)
	case !(opts.Std > 0) || math.IsInf(opts.Std, 0):
		return nil, fmt.Errorf("datasets: blobs: Std must be positive and finite, got %v", opts.Std)
	case !(opts.Separation > 0) || math.IsInf(opts.Separation, 0):
		return nil, fmt.Errorf("datasets: blobs: Separation must be positive and finite, got %v", opts.Separation)
	}
	total := float64(opts.Classes) * float64(opts.PerClass+opts.TestPerClass) * float64(opts.Dim)
	if total > maxGenerated {
		return nil, fmt.Errorf("datasets: blobs: %d classes x (%d + %d) examples x %d dims is %.3g values, more than %d",
			opts.Classes, opts.PerClass, opts.TestPerClass, opts.Dim, total, maxGenerated)
	}
	d := opts.Dim
	sigma := opts.Separation * opts.Std / math.Sqrt(2*float64(d))
	centres := make([]float64, opts.Classes*d)
	rc := newRNG(opts.Seed, 1)
	for i := range centres {
		centres[i] = sigma * rc.norm()
	}
	gen := func(perClass int, stream uint64) *Split {
		s := &Split{N: opts.Classes * perClass, Shape: []int{d}}
		s.X = make([]float32, s.N*d)
		s.Labels = make([]int32, s.N)
		r := newRNG(opts.Seed, stream)
		for c := range opts.Classes {
			ctr := centres[c*d : (c+1)*d]
			for j := range perClass {
				i := c*perClass + j
				s.Labels[i] = int32(c)
				row := s.X[i*d : (i+1)*d]
				for k := range row {
					row[k] = float32(ctr[k] + opts.Std*r.norm())
				}
			}
		}
		return s
	}
	names := make([]string, opts.Classes)
	for c := range names {
		names[c] = fmt.Sprintf("blob %d", c)
	}
	return &Dataset{Name: "blobs", ClassNames: names, Train: gen(opts.PerClass, 2), Test: gen(opts.TestPerClass, 3)}, nil
}
