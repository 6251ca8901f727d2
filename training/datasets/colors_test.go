package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestColorLabel(t *testing.T) {
	tests := []struct {
		r, g, b float32
		want    string
	}{
		{1, 0, 0, "red"},
		{1, 1, 0, "yellow"},
		{0, 1, 0, "green"},
		{0, 1, 1, "cyan"},
		{0, 0, 1, "blue"},
		{1, 0, 1, "magenta"},
		{0, 0, 0, "black"},
		{0.5, 0.5, 0.5, "gray"},
		{1, 1, 1, "white"},
		{0.9, 0.95, 0.85, "white"}, // chroma 0.1
		{0.3, 0, 0, "red"},         // dark but chromatic (chroma 0.3)
		{1, 0.5, 0, "yellow"},      // hue 30°: a boundary goes to the later sector
		{1, 0.49, 0, "red"},        // hue 29.4°
		{1, 0, 0.5, "red"},         // hue 330°
		{1, 0, 0.51, "magenta"},    // hue 329.4°
		{0.2, 0.25, 0.6, "blue"},   // hue 232.5°
		{0.1, 0.15, 0.2, "black"},  // chroma 0.1, value 0.2
		{0.55, 0.6, 0.45, "gray"},  // chroma 0.15, value 0.6
		{0.45, 0.6, 0.55, "gray"},  // greenish, but chroma 0.15 < 0.2
	}
	for _, tc := range tests {
		got := ColorLabel(tc.r, tc.g, tc.b)
		if ColorClassNames[got] != tc.want {
			t.Errorf("ColorLabel(%v, %v, %v) = %d (%s), want %s", tc.r, tc.g, tc.b, got, ColorClassNames[got], tc.want)
		}
	}
}

func TestHSVRoundTrip(t *testing.T) {
	r := newRNG(5, 0)
	for range 1000 {
		cr, cg, cb := r.float64(), r.float64(), r.float64()
		h, s, v := RGBToHSV(cr, cg, cb)
		if h < 0 || h >= 360 || s < 0 || s > 1 || v < 0 || v > 1 {
			t.Fatalf("RGBToHSV(%v, %v, %v) = %v, %v, %v out of range", cr, cg, cb, h, s, v)
		}
		gr, gg, gb := HSVToRGB(h, s, v)
		if math.Abs(gr-cr)+math.Abs(gg-cg)+math.Abs(gb-cb) > 1e-9 {
			t.Fatalf("round trip of (%v, %v, %v) gave (%v, %v, %v)", cr, cg, cb, gr, gg, gb)
		}
	}
	if r, g, b := HSVToRGB(-120, 1, 1); r != 0 || g != 0 || b != 1 {
		t.Errorf("HSVToRGB(-120, 1, 1) = %v, %v, %v, want blue", r, g, b)
	}
}

func TestColors(t *testing.T) {
	tests := []struct {
		name       string
		opts       ColorsOptions
		n          int   // grid size (Test.N)
		trainN     int   // Train.N
		numClasses int   // len(ClassNames)
		counts     []int // Test class counts, nil to skip
	}{
		{"default cube", ColorsOptions{}, 512, 512, 9, nil},
		{"cube 2 = corners", ColorsOptions{Steps: 2}, 8, 8, 9, []int{1, 1, 1, 1, 1, 1, 1, 0, 1}},
		{"cube 3", ColorsOptions{Kind: ColorsCube, Steps: 3, Copies: 4}, 27, 108, 9, nil},
		{"hue ring", ColorsOptions{Kind: ColorsHueRing}, 48, 48, 6, []int{8, 8, 8, 8, 8, 8}},
		{"hue ring 12", ColorsOptions{Kind: ColorsHueRing, Steps: 12}, 12, 12, 6, []int{2, 2, 2, 2, 2, 2}},
		{"hue rings", ColorsOptions{Kind: ColorsHueRing, Steps: 6, Saturations: []float64{1, 0.5, 0}, Values: []float64{1, 0.5}},
			36, 36, 9, []int{4, 4, 4, 4, 4, 4, 0, 6, 6}},
		{"primaries", ColorsOptions{Kind: ColorsPrimaries, Copies: 10, Jitter: 0.05, Seed: 3}, 8, 80, 9, []int{1, 1, 1, 1, 1, 1, 1, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := Colors(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Name != "colors" || ds.ImageShape != nil || ds.NumClasses() != tc.numClasses {
				t.Fatalf("name %q image shape %v classes %v", ds.Name, ds.ImageShape, ds.ClassNames)
			}
			for _, s := range []*Split{ds.Train, ds.Test} {
				if !slices.Equal(s.Shape, []int{3}) || len(s.X) != 3*s.N || len(s.Labels) != s.N {
					t.Fatalf("Shape %v, N %d, len(X) %d, len(Labels) %d", s.Shape, s.N, len(s.X), len(s.Labels))
				}
				for i := range s.N {
					x := s.Example(i)
					for _, v := range x {
						if v < 0 || v > 1 {
							t.Fatalf("example %d = %v outside [0, 1]", i, x)
						}
					}
					if l := s.Labels[i]; l != ColorLabel(x[0], x[1], x[2]) || int(l) >= ds.NumClasses() {
						t.Fatalf("example %d = %v has label %d, ColorLabel says %d", i, x, l, ColorLabel(x[0], x[1], x[2]))
					}
				}
			}
			if ds.Test.N != tc.n || ds.Train.N != tc.trainN {
				t.Errorf("Test.N %d Train.N %d, want %d and %d", ds.Test.N, ds.Train.N, tc.n, tc.trainN)
			}
			if tc.counts != nil && !slices.Equal(ds.Test.ClassCounts(), tc.counts) {
				t.Errorf("Test class counts %v, want %v", ds.Test.ClassCounts(), tc.counts)
			}
			again, _ := Colors(tc.opts)
			if !slices.Equal(again.Train.X, ds.Train.X) {
				t.Error("Colors is not deterministic")
			}
			if tc.opts.Jitter == 0 && !slices.Equal(ds.Train.X[:len(ds.Test.X)], ds.Test.X) {
				t.Error("without jitter, Train does not start with the Test grid")
			}
		})
	}
	// Cube levels are k/(Steps-1); the first entries of the 3-step cube are (0,0,0), (0,0,.5), (0,0,1).
	ds, _ := Colors(ColorsOptions{Steps: 3})
	if !slices.Equal(ds.Test.X[:9], []float32{0, 0, 0, 0, 0, 0.5, 0, 0, 1}) {
		t.Errorf("cube starts with %v", ds.Test.X[:9])
	}
	// Jitter: the seed matters and the noise has about the requested size.
	a, _ := Colors(ColorsOptions{Kind: ColorsHueRing, Saturations: []float64{0.5}, Values: []float64{0.5}, Copies: 20, Jitter: 0.05, Seed: 1})
	b, _ := Colors(ColorsOptions{Kind: ColorsHueRing, Saturations: []float64{0.5}, Values: []float64{0.5}, Copies: 20, Jitter: 0.05, Seed: 2})
	if slices.Equal(a.Train.X, b.Train.X) {
		t.Error("jitter with seeds 1 and 2 is the same")
	}
	var ss float64
	for i, v := range a.Train.X {
		d := float64(v - a.Test.X[i%len(a.Test.X)])
		ss += d * d
	}
	if std := math.Sqrt(ss / float64(len(a.Train.X))); std < 0.045 || std > 0.055 {
		t.Errorf("jitter std %v, want about 0.05", std)
	}
}

func TestColorsErrors(t *testing.T) {
	tests := []struct {
		opts ColorsOptions
		want string
	}{
		{ColorsOptions{Kind: "hsv"}, `unknown Kind "hsv"`},
		{ColorsOptions{Steps: -1}, "Steps must be >= 0"},
		{ColorsOptions{Steps: 1}, "cube Steps must be in [2, 256], got 1"},
		{ColorsOptions{Kind: ColorsPrimaries, Steps: 4}, "Steps must be 0"},
		{ColorsOptions{Copies: -2}, "Copies must be >= 0"},
		{ColorsOptions{Jitter: -0.1}, "Jitter must be >= 0"},
		{ColorsOptions{AchromaticChroma: 2}, "AchromaticChroma must be in [0, 1]"},
		{ColorsOptions{Values: []float64{1}}, "apply to kind"},
		{ColorsOptions{Kind: ColorsHueRing, Saturations: []float64{1.5}}, "saturation 1.5 not in [0, 1]"},
		{ColorsOptions{Kind: ColorsHueRing, Values: []float64{math.NaN()}}, "value NaN not in [0, 1]"},
		{ColorsOptions{Kind: ColorsHueRing, Values: []float64{}}, "grid is empty"},
	}
	for _, tc := range tests {
		_, err := Colors(tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Colors(%+v): err = %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
}
