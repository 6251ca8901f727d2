//go:build goexperiment.simd

package backend

// simdBuild reports whether this binary was built with GOEXPERIMENT=simd.
const simdBuild = true
