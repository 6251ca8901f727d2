package training

import (
	"math"
	"testing"

	ebackend "github.com/embviz/embviz/backend"
	. "github.com/gomlx/gomlx/core/graph"
)

func TestRegularizerValues(t *testing.T) {
	z := [][]float32{{1, 0, 2}, {0, 2, 0}, {0.5, 0.5, -1}}
	target := [][]float32{{1, 0, 1}, {0, 0, 0}, {0, 0, 0}}
	exec, err := NewExec(ebackend.Must(), func(z, target *Node) []*Node {
		return []*Node{
			SeparationLoss(z, nil, 0.01), SeparationLoss(z, []int{0, 1}, 0.01),
			PlanarityLoss(z), UnitNormLoss(z), AnchorLoss(z, target),
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(z, target)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, len(outs))
	for i, o := range outs {
		got[i] = float64(o.Value().(float32))
	}
	// Go references.
	sep := func(dims []int) float64 {
		var s float64
		for i := range z {
			for j := range z {
				if i == j {
					continue
				}
				var d2 float64
				for _, k := range dims {
					d := float64(z[i][k] - z[j][k])
					d2 += d * d
				}
				s += 1 / (d2 + 0.01)
			}
		}
		return s / 6
	}
	var planar, unit, anchor float64
	for i, row := range z {
		planar += float64(row[2] * row[2])
		n := math.Sqrt(float64(row[0]*row[0] + row[1]*row[1] + row[2]*row[2]))
		unit += (n - 1) * (n - 1)
		for k := range row {
			d := float64(row[k] - target[i][k])
			anchor += d * d
		}
	}
	// Seed 003's forms: separation in channels (0, 1) by default, means over all elements.
	want := []float64{sep([]int{0, 1}), sep([]int{0, 1}), planar / 3, unit / 3, anchor / 9}
	names := []string{"separation(default dims = 0, 1)", "separation(0,1)", "planarity", "unit norm", "anchor"}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-4*max(1, math.Abs(want[i])) {
			t.Errorf("%s = %.6f, want %.6f", names[i], got[i], want[i])
		}
	}
}
