package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// nearestMeanAccuracy classifies test by the nearest class mean of train.
func nearestMeanAccuracy(ds *Dataset) float64 {
	k, d := ds.NumClasses(), ds.Train.Dim()
	means := make([]float64, k*d)
	counts := make([]int, k)
	for i := range ds.Train.N {
		c := int(ds.Train.Labels[i])
		counts[c]++
		for j, v := range ds.Train.Example(i) {
			means[c*d+j] += float64(v)
		}
	}
	for c := range k {
		for j := range d {
			means[c*d+j] /= float64(counts[c])
		}
	}
	correct := 0
	for i := range ds.Test.N {
		x := ds.Test.Example(i)
		best, bestD := -1, math.Inf(1)
		for c := range k {
			var dist float64
			for j, v := range x {
				e := float64(v) - means[c*d+j]
				dist += e * e
			}
			if dist < bestD {
				best, bestD = c, dist
			}
		}
		if int32(best) == ds.Test.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(ds.Test.N)
}

func TestBlobs(t *testing.T) {
	tests := []struct {
		name                 string
		opts                 BlobsOptions
		classes, dim         int
		trainN, testN        int
		minAcc, maxAcc       float64 // nearest-mean accuracy on Test
		wantStd, wantCentreD float64 // per-coordinate spread and RMS centre distance
	}{
		{"defaults", BlobsOptions{}, 10, 32, 5000, 1000, 0.93, 1, 1, 6},
		{"small", BlobsOptions{Classes: 3, Dim: 2, PerClass: 400, TestPerClass: 300, Std: 0.5, Separation: 10, Seed: 4}, 3, 2, 1200, 900, 0.85, 1, 0.5, 5},
		{"overlapping", BlobsOptions{Classes: 5, Dim: 8, PerClass: 300, TestPerClass: 300, Separation: 0.2, Seed: 1}, 5, 8, 1500, 1500, 0, 0.45, 1, 0.2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := Blobs(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Name != "blobs" || ds.NumClasses() != tc.classes || ds.ImageShape != nil || ds.ClassNames[tc.classes-1] != "blob "+string(rune('0'+tc.classes-1)) {
				t.Fatalf("name %q classes %v", ds.Name, ds.ClassNames)
			}
			for _, sc := range []struct {
				s *Split
				n int
			}{{ds.Train, tc.trainN}, {ds.Test, tc.testN}} {
				if sc.s.N != sc.n || !slices.Equal(sc.s.Shape, []int{tc.dim}) || len(sc.s.X) != sc.n*tc.dim {
					t.Fatalf("N %d Shape %v len(X) %d, want N %d", sc.s.N, sc.s.Shape, len(sc.s.X), sc.n)
				}
				for c, n := range sc.s.ClassCounts() {
					if n != sc.n/tc.classes {
						t.Errorf("class %d has %d examples", c, n)
					}
				}
			}
			acc := nearestMeanAccuracy(ds)
			if acc < tc.minAcc || acc > tc.maxAcc {
				t.Errorf("nearest-mean accuracy %.3f, want in [%v, %v]", acc, tc.minAcc, tc.maxAcc)
			}
			// Spread around the class mean of Train.
			d := tc.dim
			per := ds.Train.N / tc.classes
			var ss float64
			means := make([]float64, tc.classes*d)
			for i := range ds.Train.N {
				c := int(ds.Train.Labels[i])
				for j, v := range ds.Train.Example(i) {
					means[c*d+j] += float64(v) / float64(per)
				}
			}
			for i := range ds.Train.N {
				c := int(ds.Train.Labels[i])
				for j, v := range ds.Train.Example(i) {
					e := float64(v) - means[c*d+j]
					ss += e * e
				}
			}
			if std := math.Sqrt(ss / float64(len(ds.Train.X))); math.Abs(std-tc.wantStd) > 0.05*tc.wantStd {
				t.Errorf("within-class std %v, want about %v", std, tc.wantStd)
			}
			var cd float64
			pairs := 0
			for a := range tc.classes {
				for b := a + 1; b < tc.classes; b++ {
					var s float64
					for j := range d {
						e := means[a*d+j] - means[b*d+j]
						s += e * e
					}
					cd += s
					pairs++
				}
			}
			// Loose: with few classes the RMS centre distance is itself random.
			if rms := math.Sqrt(cd / float64(pairs)); rms < 0.4*tc.wantCentreD*tc.opts.stdOr1() || rms > 2*tc.wantCentreD*tc.opts.stdOr1()+0.3 {
				t.Errorf("RMS centre distance %v, want about %v", rms, tc.wantCentreD*tc.opts.stdOr1())
			}
			again, _ := Blobs(tc.opts)
			if !slices.Equal(again.Train.X, ds.Train.X) || !slices.Equal(again.Test.X, ds.Test.X) {
				t.Error("Blobs is not deterministic")
			}
			other := tc.opts
			other.Seed++
			o, _ := Blobs(other)
			if slices.Equal(o.Train.X, ds.Train.X) {
				t.Error("another seed gives the same data")
			}
		})
	}
}

func (o BlobsOptions) stdOr1() float64 {
	if o.Std == 0 {
		return 1
	}
	return o.Std
}

func TestBlobsErrors(t *testing.T) {
	tests := []struct {
		opts BlobsOptions
		want string
	}{
		{BlobsOptions{Classes: -1}, "must not be negative"},
		{BlobsOptions{Dim: -3}, "must not be negative"},
		{BlobsOptions{Std: -1}, "Std must be positive"},
		{BlobsOptions{Std: math.Inf(1)}, "Std must be positive and finite"},
		{BlobsOptions{Separation: math.NaN()}, "Separation must be positive"},
		{BlobsOptions{Classes: 1000, PerClass: 100000, Dim: 1000}, "more than 1073741824"},
	}
	for _, tc := range tests {
		_, err := Blobs(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Blobs(%+v): err = %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
}
