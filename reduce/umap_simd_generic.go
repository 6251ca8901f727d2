//go:build !(goexperiment.simd && amd64)

package reduce

// umapUseSIMD is false in builds without the AVX2 kernels.
const umapUseSIMD = false

// umapEdgeGrad2 is umapEdgeGrad2Generic in builds without the AVX2 kernel.
func umapEdgeGrad2(cx, cy float32, ox, oy *[8]float32, cnt int, k *umapEdgeConst, g *[4]float32) {
	umapEdgeGrad2Generic(cx, cy, ox, oy, cnt, k, g)
}

// umapEdgeGrad2x2 is umapEdgeGrad2Generic on two edges in builds without the AVX2 kernel.
func umapEdgeGrad2x2(cxA, cyA float32, oxA, oyA *[8]float32, cntA int, cxB, cyB float32, oxB, oyB *[8]float32, cntB int, k *umapEdgeConst, gA, gB *[4]float32) {
	umapEdgeGrad2Generic(cxA, cyA, oxA, oyA, cntA, k, gA)
	umapEdgeGrad2Generic(cxB, cyB, oxB, oyB, cntB, k, gB)
}
