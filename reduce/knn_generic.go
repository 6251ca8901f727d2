//go:build !(goexperiment.simd && amd64)

package reduce

// knnTile computes tile[r*16+c] = nrm[c] - 2 <q_r, b_c> for 4 query rows and one packed panel of 16
// reference rows ([d][16]) (portable build) and returns the mask of keys below tops (see knnTileGeneric).
func knnTile(q0, q1, q2, q3, panel, nrm []float32, tops *[4]float32, tile *[4 * knnPanel]float32) uint64 {
	return knnTileGeneric(q0, q1, q2, q3, panel, nrm, tops, tile)
}
