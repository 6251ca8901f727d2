//go:build !(amd64 && goexperiment.simd)

package ops

// tanhFloat32Lanes is the AVX-512 fast path of tanh_simd.go; without it no element is handled here.
func tanhFloat32Lanes(in, out []float32) int { return 0 }
