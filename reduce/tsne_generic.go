//go:build !(goexperiment.simd && amd64)

package reduce

// tsneListEval is the portable build of the interaction-list kernel (see tsneListEvalGeneric).
func tsneListEval(px, py float64, lx, ly, lc []float64) (fx, fy, z float64) {
	return tsneListEvalGeneric(px, py, lx, ly, lc)
}

// tsneSqDist returns ||a - b||^2 (len(b) >= len(a)): sqDist32 in the portable build.
func tsneSqDist(a, b []float32) float32 { return sqDist32(a, b) }

// tsneAttrRow is the portable build of the attractive kernel (see tsneAttrRowGeneric).
func tsneAttrRow(px, py float64, y []float64, cols []int32, vals []float32, dx, dy []float64) (fx, fy float64) {
	return tsneAttrRowGeneric(px, py, y, cols, vals, dx, dy)
}
