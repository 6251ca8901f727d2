//go:build !(goexperiment.simd && amd64)

package reduce

// smacofRow is smacofRowGeneric without SIMD.
func smacofRow(cols, di, yi, sum []float64) (diag, stress float64) {
	return smacofRowGeneric(cols, di, yi, sum)
}
