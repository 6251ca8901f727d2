//go:build goexperiment.simd && amd64

package vecstate

import "simd/archsimd"

var hasAVX = archsimd.X86.AVX()

func clearUpper() {
	if hasAVX {
		archsimd.ClearAVXUpperBits()
	}
}
