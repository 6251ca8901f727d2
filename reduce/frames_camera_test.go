package reduce

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// growingSeq returns T snapshots [n, d] of 3 clusters whose scale grows 30-fold over time.
func growingSeq(n, d, T int) []*Matrix {
	rng := rand.New(rand.NewPCG(3, 9))
	base := make([]float64, n*d)
	for i := range base {
		base[i] = rng.NormFloat64() + 3*float64((i/d)%3)*float64(i%d%2)
	}
	var seq []*Matrix
	for t := 0; t < T; t++ {
		s := math.Pow(30, float64(t)/float64(T-1))
		m := NewMatrix(n, d)
		for i := range m.Data {
			m.Data[i] = float32(s*base[i] + 5)
		}
		seq = append(seq, m)
	}
	return seq
}

func TestPCAFramesCamera(t *testing.T) {
	seq := growingSeq(90, 6, 12)
	spread := func(f *Matrix) float64 { _, s := rmsSpread(f); return s }
	for _, c := range []struct {
		name   string
		opts   PCAAnimOptions
		follow bool
	}{
		{"all (default fixed)", PCAAnimOptions{}, false},
		{"all follow", PCAAnimOptions{Camera: CameraFollow}, true},
		{"window (default follow)", PCAAnimOptions{FitBasis: FitWindow, Window: 4}, true},
		{"frame (default follow)", PCAAnimOptions{FitBasis: FitFrame}, true},
		{"window fixed", PCAAnimOptions{FitBasis: FitWindow, Window: 4, Camera: CameraFixed}, false},
	} {
		fr, err := PCAFrames(seq, &c.opts)
		if err != nil {
			t.Fatal(err)
		}
		ratio := spread(fr[0]) / spread(fr[len(fr)-1])
		t.Logf("%s: spread of frame 0 / last frame = %.3f", c.name, ratio)
		if c.follow && (ratio < 0.5 || ratio > 2) {
			t.Errorf("%s: frame 0 spread is %.3f of the last frame's, want about 1 (the camera follows)", c.name, ratio)
		}
		if !c.follow && ratio > 0.1 {
			t.Errorf("%s: frame 0 spread is %.3f of the last frame's, want the true ~1/30 (fixed camera)", c.name, ratio)
		}
	}
	// The follow camera keeps each frame's shape: frame t is a similarity transform of the fixed one.
	fixed, _ := PCAFrames(seq, &PCAAnimOptions{FitBasis: FitFrame, Camera: CameraFixed})
	follow, _ := PCAFrames(seq, &PCAAnimOptions{FitBasis: FitFrame, CameraSmooth: -1})
	for f := range fixed {
		if d := procrustesDisparity(fixed[f], follow[f]); d > 1e-6 {
			t.Fatalf("frame %d: follow camera changed the shape (disparity %g)", f, d)
		}
		if r := spread(follow[f]) / spread(follow[len(follow)-1]); math.Abs(r-1) > 1e-4 {
			t.Fatalf("frame %d: unsmoothed follow camera spread ratio %.5f, want 1", f, r)
		}
	}
	if _, err := PCAFrames(seq, &PCAAnimOptions{Camera: "orbit"}); err == nil || !strings.Contains(err.Error(), "unknown camera") {
		t.Errorf("unknown camera: err = %v", err)
	}
}

func TestDenoiseNoCKA(t *testing.T) {
	seq := growingSeq(30, 4, 8)
	frames, err := PCAFrames(seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Denoise(frames, nil)
	if err != nil {
		t.Fatal(err)
	}
	noCKA, err := Denoise(frames, &DenoiseOptions{Snapshots: seq, NoCKA: true})
	if err != nil {
		t.Fatal(err)
	}
	withCKA, err := Denoise(frames, &DenoiseOptions{Snapshots: seq, Tau: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	differs := false
	for f := range plain {
		for i, v := range plain[f].Data {
			if noCKA[f].Data[i] != v {
				t.Fatalf("NoCKA differs from plain Gaussian smoothing at frame %d", f)
			}
			if withCKA[f].Data[i] != v {
				differs = true
			}
		}
	}
	if !differs {
		t.Errorf("CKA weighting (tau 1e-6) had no effect; the NoCKA comparison proves nothing")
	}
}
