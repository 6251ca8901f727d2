//go:build !(amd64 && goexperiment.simd)

// embviz patch (third_party/README.md): without SIMD the 2x2 max-pooling fast paths run their
// scalar loops only.

package ops

func maxPool2ScatterLanes(t0, t1, b0, b1, s, o0, o1, o2, o3 []float32) int { return 0 }

func maxPool2Lanes(t0, t1, b0, b1, o []float32) int { return 0 }
