//go:build amd64 && goexperiment.simd

package ops

import "simd/archsimd"

var hasAVX = archsimd.X86.AVX()

// clearAVXUpper executes VZEROUPPER (an embviz patch, see third_party/README.md). In
// GOEXPERIMENT=simd builds the AVX/AVX-512 matmul kernels (and the runtime's register save and
// restore around asynchronous preemption) can leave the vector registers' upper halves dirty;
// the math package's scalar code, encoded as legacy SSE, then runs up to ~100x slower on Intel
// CPUs (math.Exp measured at 1-3 µs instead of ~15 ns).
func clearAVXUpper() {
	if hasAVX {
		archsimd.ClearAVXUpperBits()
	}
}
