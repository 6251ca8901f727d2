package reduce

import (
	"math"
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
