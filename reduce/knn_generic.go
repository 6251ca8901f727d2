//go:build !(goexperiment.simd && amd64)

package reduce

// knnTile computes tile[r*16+c] = nrm[c] - 2 <q_r, b_c> for 4 query rows and one packed panel of 16
// reference rows ([d][16]) (portable build) and returns the mask of keys below tops (see knnTileGeneric).
func knnTile(q0, q1, q2, q3, panel, nrm []float32, tops *[4]float32, tile *[4 * knnPanel]float32) uint64 {
	return knnTileGeneric(q0, q1, q2, q3, panel, nrm, tops, tile)
}

// knnTilePair computes the keys of 4 query rows against the two packed panels of pair ([2][d][16],
// squared norms nrm[32]) and returns one mask per panel (portable build: two calls of knnTile; see
// the amd64 version for the layout).
func knnTilePair(q0, q1, q2, q3, pair, nrm []float32, tops *[4]float32, tile *[2][4 * knnPanel]float32) (uint64, uint64) {
	d := len(q0)
	m0 := knnTile(q0, q1, q2, q3, pair[:d*knnPanel], nrm[:knnPanel], tops, &tile[0])
	m1 := knnTile(q0, q1, q2, q3, pair[d*knnPanel:2*d*knnPanel], nrm[knnPanel:2*knnPanel], tops, &tile[1])
	return m0, m1
}
