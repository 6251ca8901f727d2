//go:build !(goexperiment.simd && amd64)

package vecstate

func clearUpper() {}
