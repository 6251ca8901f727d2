//go:build !(goexperiment.simd && amd64)

package reduce

// mphateSqDist returns ||a - b||^2 (len(b) >= len(a)) accumulated in float64, in the order of
// mphateSqDistGeneric.
func mphateSqDist(a, b []float32) float64 { return mphateSqDistGeneric(a, b) }
