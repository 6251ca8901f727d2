package vizlib

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/embviz/embviz/reduce"
)

// syntheticAnimation returns a seeded animation of n points in classes clusters over frames
// snapshots: points start mixed and separate into class clusters, rotating slowly; predictions
// improve from chance to ~95%. It is used by tests, benchmarks and examples.
func syntheticAnimation(n, frames, classes int, seed uint64) *Animation {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	a := &Animation{Title: fmt.Sprintf("synthetic %d points", n)}
	a.Labels = make([]int32, n)
	start := make([][2]float64, n)
	end := make([][2]float64, n)
	for i := range n {
		c := rng.IntN(classes)
		a.Labels[i] = int32(c)
		start[i] = [2]float64{rng.NormFloat64(), rng.NormFloat64()}
		ang := 2 * math.Pi * float64(c) / float64(classes)
		end[i] = [2]float64{4*math.Cos(ang) + 0.5*rng.NormFloat64(), 4*math.Sin(ang) + 0.5*rng.NormFloat64()}
	}
	for c := range classes {
		a.ClassNames = append(a.ClassNames, fmt.Sprintf("class %d", c))
	}
	for t := range frames {
		s := float64(t) / math.Max(1, float64(frames-1))
		rot := 0.6 * s
		cr, sr := math.Cos(rot), math.Sin(rot)
		m := reduce.NewMatrix(n, 2)
		pred := make([]int32, n)
		correct := 0
		for i := range n {
			x := (1-s)*start[i][0] + s*end[i][0]
			y := (1-s)*start[i][1] + s*end[i][1]
			m.Data[2*i] = float32(cr*x - sr*y)
			m.Data[2*i+1] = float32(sr*x + cr*y)
			if rng.Float64() < 0.1+0.85*s {
				pred[i] = a.Labels[i]
			} else {
				pred[i] = int32(rng.IntN(classes))
			}
			if pred[i] == a.Labels[i] {
				correct++
			}
		}
		a.Frames = append(a.Frames, m)
		a.Predictions = append(a.Predictions, pred)
		a.Captions = append(a.Captions, fmt.Sprintf("step %d · epoch %.1f · eval acc %.3f", t*100, float64(t)*0.5, float64(correct)/float64(n)))
	}
	return a
}
