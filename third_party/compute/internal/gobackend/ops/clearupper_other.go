//go:build !(amd64 && goexperiment.simd)

package ops

// clearAVXUpper is a no-op without the SIMD build (see clearupper_simd.go).
func clearAVXUpper() {}
