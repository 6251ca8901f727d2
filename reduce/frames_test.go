package reduce

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// anTrajectory returns T snapshots [n, d] of k clusters whose centres move smoothly, plus
// independent noise per frame (sd noise), and the clean snapshots.
func anTrajectory(T, n, d, k int, noise float64, seed uint64) (noisy, clean []*Matrix, labels []int32) {
	r := rand.New(rand.NewPCG(seed, 3))
	base, lab := anBlobs(n, d, k, 0.3, seed)
	vel := anRandom(k, d, seed+1)
	for t := 0; t < T; t++ {
		c := base.Clone()
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				c.Data[i*d+j] += float32(0.2 * float64(t) * float64(vel.At(int(lab[i]), j)))
			}
		}
		x := c.Clone()
		for p := range x.Data {
			x.Data[p] += float32(noise * r.NormFloat64())
		}
		clean = append(clean, c)
		noisy = append(noisy, x)
	}
	return noisy, clean, lab
}

func anMSE(a, b []*Matrix) float64 {
	var s float64
	var cnt int
	for t := range a {
		for p := range a[t].Data {
			e := float64(a[t].Data[p]) - float64(b[t].Data[p])
			s += e * e
			cnt++
		}
	}
	return s / float64(cnt)
}

func TestPCAFramesAll(t *testing.T) {
	seq, _, _ := anTrajectory(6, 120, 8, 3, 0.1, 1)
	frames, err := PCAFrames(seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same as PCA fitted on the stacked snapshots, up to the sign of each axis.
	stack := NewMatrix(6*120, 8)
	for i, x := range seq {
		copy(stack.Data[i*120*8:], x.Data)
	}
	m, _ := PCA(stack, 2)
	for t0, x := range seq {
		y, _ := m.Transform(x)
		for c := 0; c < 2; c++ {
			sign := float32(1)
			if y.At(0, c)*frames[0].At(0, c) < 0 {
				sign = -1
			}
			for i := 0; i < 120; i++ {
				if d := math.Abs(float64(frames[t0].At(i, c) - sign*y.At(i, c))); d > 1e-3 {
					t.Fatalf("frame %d point %d axis %d: %v vs PCA %v", t0, i, c, frames[t0].At(i, c), sign*y.At(i, c))
				}
			}
		}
	}
}

func TestPCAFramesWindowAligned(t *testing.T) {
	seq, _, _ := anTrajectory(12, 150, 6, 3, 0.05, 2)
	for _, fit := range []string{FitWindow, FitFrame} {
		calls := 0
		frames, err := PCAFrames(seq, &PCAAnimOptions{FitBasis: fit, Window: 4, Progress: func(d, n int, s string) { calls++ }})
		if err != nil {
			t.Fatal(err)
		}
		if len(frames) != 12 || frames[0].Rows != 150 || frames[0].Cols != 2 || calls != 12 {
			t.Fatalf("%s: %d frames [%d, %d], %d progress calls", fit, len(frames), frames[0].Rows, frames[0].Cols, calls)
		}
		// Aligned frames change little from one to the next: no sign flips or spins. Compare the
		// consecutive change with the change that a Procrustes fit cannot remove.
		for t0 := 1; t0 < 12; t0++ {
			raw := anMaxDiff(frames[t0], frames[t0-1])
			reg, _ := Procrustes(frames[t0-1], frames[t0], &ProcrustesOptions{NoTranslate: true})
			best := anMaxDiff(reg, frames[t0-1])
			if raw > 2*best+0.5 {
				t.Errorf("%s frame %d: change %.3f, best rotation leaves %.3f: frames not aligned", fit, t0, raw, best)
			}
		}
	}
	// Nearly isotropic data in a plane: per-frame axes are arbitrary within it, so without rotation
	// alignment the frames spin. Aligned, consecutive frames differ only by the small noise.
	r := rand.New(rand.NewPCG(4, 4))
	disk := anRandom(200, 6, 3) // points evenly on a circle (exactly isotropic) plus small other dims
	for i := 0; i < 200; i++ {
		disk.Set(i, 0, float32(math.Cos(2*math.Pi*float64(i)/200)))
		disk.Set(i, 1, float32(math.Sin(2*math.Pi*float64(i)/200)))
		for j := 2; j < 6; j++ {
			disk.Set(i, j, 0.1*disk.At(i, j))
		}
	}
	var iso []*Matrix
	for t0 := 0; t0 < 8; t0++ {
		x := disk.Clone()
		for p := range x.Data {
			x.Data[p] += float32(0.02 * r.NormFloat64())
		}
		iso = append(iso, x)
	}
	frames, err := PCAFrames(iso, &PCAAnimOptions{FitBasis: FitFrame})
	if err != nil {
		t.Fatal(err)
	}
	for t0 := 1; t0 < 8; t0++ {
		if d := anMaxDiff(frames[t0], frames[t0-1]); d > 0.3 {
			t.Errorf("isotropic frame %d moved by %.3f: axes not rotation-aligned", t0, d)
		}
	}
	if _, err := PCAFrames(seq, &PCAAnimOptions{FitBasis: "sliding"}); err == nil {
		t.Error("unknown fit basis accepted")
	}
	if _, err := PCAFrames(seq, &PCAAnimOptions{Components: 7}); err == nil {
		t.Error("components > d accepted")
	}
}

func TestRegisterFrames(t *testing.T) {
	base := anRandom(80, 2, 1)
	var frames []*Matrix
	for i := 0; i < 5; i++ {
		frames = append(frames, anTransform2D(base, float64(i)*0.9, 1, i%2 == 1, float64(i), 0))
	}
	reg, err := RegisterFrames(frames, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 5; i++ {
		if e := anMaxDiff(reg[i], reg[0]); e > 1e-4 {
			t.Fatalf("frame %d differs by %v after registration", i, e)
		}
	}
}

func TestDenoise(t *testing.T) {
	noisy, clean, labels := anTrajectory(20, 200, 2, 4, 0.4, 5)
	den, err := Denoise(noisy, &DenoiseOptions{Sigma: 2})
	if err != nil {
		t.Fatal(err)
	}
	before, after := anMSE(noisy, clean), anMSE(den, clean)
	t.Logf("MSE to clean frames: noisy %.4f, denoised %.4f", before, after)
	if after > 0.5*before {
		t.Errorf("denoising did not remove the noise: MSE %.4f -> %.4f", before, after)
	}
	// Cluster structure is kept (even sharpened): silhouette of the true labels does not drop.
	for _, ti := range []int{0, 10, 19} {
		sb, _ := Silhouette(noisy[ti], labels, Euclidean)
		sa, _ := Silhouette(den[ti], labels, Euclidean)
		if sa < sb-1e-3 {
			t.Errorf("frame %d: silhouette dropped %.3f -> %.3f", ti, sb, sa)
		}
	}
	// Spread is kept by default.
	for _, ti := range []int{0, 19} {
		_, s1 := rmsSpread(noisy[ti])
		_, s2 := rmsSpread(den[ti])
		if math.Abs(s1-s2) > 1e-4*s1 {
			t.Errorf("frame %d spread %v -> %v", ti, s1, s2)
		}
	}
}

func TestDenoiseCKAWeightsKeepTransitions(t *testing.T) {
	// High-dimensional snapshots that change abruptly at t = 10; frames are 2-D views of them.
	T, n := 20, 150
	a, b := anRandom(n, 10, 1), anRandom(n, 10, 2)
	var snaps, frames []*Matrix
	r := rand.New(rand.NewPCG(9, 9))
	for t0 := 0; t0 < T; t0++ {
		src := a
		if t0 >= 10 {
			src = b
		}
		s := src.Clone()
		for p := range s.Data {
			s.Data[p] += float32(0.05 * r.NormFloat64())
		}
		snaps = append(snaps, s)
		f := NewMatrix(n, 2)
		for i := 0; i < n; i++ {
			f.Set(i, 0, s.At(i, 0))
			f.Set(i, 1, s.At(i, 1))
		}
		frames = append(frames, f)
	}
	plain, err := Denoise(frames, &DenoiseOptions{Sigma: 2, NoRescale: true})
	if err != nil {
		t.Fatal(err)
	}
	weighted, err := Denoise(frames, &DenoiseOptions{Sigma: 2, NoRescale: true, Snapshots: snaps})
	if err != nil {
		t.Fatal(err)
	}
	// Frame 9 (last before the jump) should stay close to frame 9's input with CKA weights.
	ep, ew := anMaxDiff(plain[9], frames[9]), anMaxDiff(weighted[9], frames[9])
	t.Logf("frame 9 error: plain %.3f, CKA-weighted %.3f", ep, ew)
	if !(ew < 0.3*ep) {
		t.Errorf("CKA weighting did not keep the transition: errors %.3f vs %.3f", ew, ep)
	}
	if _, err := Denoise(frames, &DenoiseOptions{Snapshots: snaps[:5]}); err == nil {
		t.Error("snapshot count mismatch accepted")
	}
}

func TestInterpolate(t *testing.T) {
	frames := []*Matrix{MatrixFrom(1, 2, []float32{0, 0}), MatrixFrom(1, 2, []float32{1, 2}), MatrixFrom(1, 2, []float32{2, 4})}
	out, err := Interpolate(frames, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 9 {
		t.Fatalf("%d frames, want 9", len(out))
	}
	// Linear motion is reproduced exactly (Catmull-Rom is exact on lines).
	for k, f := range out {
		u := float64(k) / 4
		if math.Abs(float64(f.At(0, 0))-u) > 1e-6 || math.Abs(float64(f.At(0, 1))-2*u) > 1e-6 {
			t.Fatalf("frame %d = %v, want [%v %v]", k, f.Data, u, 2*u)
		}
	}
	if _, err := Interpolate(frames, -1); err == nil {
		t.Error("negative steps accepted")
	}
	same, _ := Interpolate(frames, 0)
	if len(same) != 3 || same[1] == frames[1] {
		t.Error("steps 0 should return 3 copies")
	}
}

func ExampleInterpolate() {
	frames := []*Matrix{MatrixFrom(1, 2, []float32{0, 0}), MatrixFrom(1, 2, []float32{4, 2})}
	out, _ := Interpolate(frames, 1)
	for _, f := range out {
		fmt.Println(f.Data)
	}
	// Output:
	// [0 0]
	// [2 1]
	// [4 2]
}

func ExamplePCAFrames() {
	// Three snapshots of four samples in 3-D; one basis fitted on all of them.
	seq := []*Matrix{
		MatrixFrom(4, 3, []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0}),
		MatrixFrom(4, 3, []float32{0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 1, 0}),
		MatrixFrom(4, 3, []float32{0, 0, 0, 3, 0, 0, 0, 1, 0, 3, 1, 0}),
	}
	frames, err := PCAFrames(seq, &PCAAnimOptions{FitBasis: FitAll})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(frames), frames[0].Rows, frames[0].Cols)
	// Output: 3 4 2
}
