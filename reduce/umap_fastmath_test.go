package reduce

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestUMAPPowAccuracy(t *testing.T) {
	var worst float64
	for _, b := range []float32{0.5, 0.7915, 0.895, 1, -0.105} {
		for e := -30.0; e <= 30; e += 0.0137 {
			x := float32(math.Pow(2, e))
			want := math.Pow(float64(x), float64(b))
			got := float64(umapPow(x, b))
			if r := math.Abs(got-want) / want; r > worst {
				worst = r
			}
		}
	}
	if worst > 1e-5 {
		t.Errorf("umapPow max relative error %.3g > 1e-5", worst)
	}
}

// TestUMAPEdgeGrad2 checks the SGD kernel (AVX2 where available) against umapEdgeGrad2Generic and
// against the formulas in float64 with math.Pow, for attraction-only, mixed and full calls,
// including a negative sample and a tail that coincide with the point (d = 0).
func TestUMAPEdgeGrad2(t *testing.T) {
	a, b := FitAB(1, 0.1)
	gamma := 1.0
	k := newUMAPEdgeConst(float32(a), float32(b), float32(-2*a*b), float32(2*gamma*b))
	ref := func(cx, cy float32, ox, oy *[8]float32, cnt int) [4]float64 {
		var g [4]float64
		clip := func(v float64) float64 { return math.Max(-4, math.Min(4, v)) }
		for l := 0; l <= cnt; l++ {
			dx, dy := float64(cx-ox[l]), float64(cy-oy[l])
			d2 := dx*dx + dy*dy
			switch {
			case d2 > 0 && l == 0:
				gc := -2 * a * b * math.Pow(d2, b-1) / (1 + a*math.Pow(d2, b))
				g[0], g[1] = clip(gc*dx), clip(gc*dy)
			case d2 > 0:
				gc := 2 * gamma * b / ((0.001 + d2) * (1 + a*math.Pow(d2, b)))
				g[2] += clip(gc * dx)
				g[3] += clip(gc * dy)
			case l > 0:
				g[2] += 4
				g[3] += 4
			}
		}
		return g
	}
	for _, tc := range []struct {
		name   string
		cnt    int
		same   int     // lane placed on the point itself (-1: none)
		scale  float32 // spread of the other points
		trials int
	}{
		{"attraction only", 0, -1, 3, 200},
		{"five negatives", 5, -1, 3, 500},
		{"seven negatives", 7, -1, 10, 500},
		{"tail on the point", 4, 0, 3, 100},
		{"negative on the point", 6, 3, 3, 100},
		{"close points", 7, -1, 0.01, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(tc.cnt)))
			for trial := 0; trial < tc.trials; trial++ {
				cx, cy := float32(r.NormFloat64()), float32(r.NormFloat64())
				var ox, oy [8]float32
				for l := range ox {
					ox[l] = cx + tc.scale*float32(r.NormFloat64())
					oy[l] = cy + tc.scale*float32(r.NormFloat64())
				}
				if tc.same >= 0 {
					ox[tc.same], oy[tc.same] = cx, cy
				}
				var got, gen, x2a, x2b, other [4]float32
				umapEdgeGrad2(cx, cy, &ox, &oy, tc.cnt, k, &got)
				// The two-edge kernel gives each edge what the one-edge kernel does.
				ox2, oy2 := oy, ox
				umapEdgeGrad2(cy, cx, &ox2, &oy2, 7-tc.cnt, k, &other)
				umapEdgeGrad2x2(cx, cy, &ox, &oy, tc.cnt, cy, cx, &ox2, &oy2, 7-tc.cnt, k, &x2a, &x2b)
				if x2a != got || x2b != other {
					t.Fatalf("trial %d: two-edge kernel %v %v, one-edge kernel %v %v", trial, x2a, x2b, got, other)
				}
				umapEdgeGrad2Generic(cx, cy, &ox, &oy, tc.cnt, k, &gen)
				want := ref(cx, cy, &ox, &oy, tc.cnt)
				for i := range got {
					tol := 1e-4 * (1 + math.Abs(want[i]))
					if math.Abs(float64(got[i])-want[i]) > tol || math.Abs(float64(gen[i])-want[i]) > tol {
						t.Fatalf("trial %d, output %d: kernel %v, generic %v, float64 reference %v", trial, i, got, gen, want)
					}
				}
			}
		})
	}
}
