package models

import (
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/embviz/embviz/backend"
)

// BenchmarkOps times the pieces of the benchmark network's training step at its shapes (batch
// 64), forward alone and forward+backward, to see where a step's time goes (models/PERFORMANCE.md):
//
//	GOEXPERIMENT=simd go test ./models -run '^$' -bench Ops -benchtime 20x
func BenchmarkOps(b *testing.B) {
	be := backend.Must()
	type piece struct {
		name   string
		inputs []*tensors.Tensor
		fn     func(in []*Node) *Node // Returns the forward output.
	}
	const batch = 64
	pieces := []piece{
		{"conv1_chwb", []*tensors.Tensor{randTensor(1, 1, 28, 28, batch), randTensor(2, 3, 3, 1, 32)},
			func(in []*Node) *Node { return ConvCHWB(in[0], in[1], nil, 1, true) }},
		{"conv2_chwb", []*tensors.Tensor{randTensor(1, 32, 14, 14, batch), randTensor(2, 3, 3, 32, 64)},
			func(in []*Node) *Node { return ConvCHWB(in[0], in[1], nil, 1, true) }},
		{"conv1_chwb_implicit", []*tensors.Tensor{randTensor(1, 1, 28, 28, batch), randTensor(2, 3, 3, 1, 32)},
			func(in []*Node) *Node { return ConvCHWBImplicit(in[0], in[1], nil, true) }},
		{"conv2_chwb_implicit", []*tensors.Tensor{randTensor(1, 32, 14, 14, batch), randTensor(2, 3, 3, 32, 64)},
			func(in []*Node) *Node { return ConvCHWBImplicit(in[0], in[1], nil, true) }},
		{"conv2_nhwc_im2col", []*tensors.Tensor{randTensor(1, batch, 14, 14, 32), randTensor(2, 3, 3, 32, 64)},
			func(in []*Node) *Node { return Im2ColConv(in[0], in[1], 1, true) }},
		{"conv2_matmul_only", []*tensors.Tensor{randTensor(1, 288, batch*14*14), randTensor(2, 64, 288)},
			func(in []*Node) *Node { return Dot(in[1], in[0]).Product() }},
		{"pool1_relu_chwb", []*tensors.Tensor{randTensor(1, 32, 28, 28, batch)},
			func(in []*Node) *Node { return MaxPool2ReLU(nil, in[0], true) }},
		{"pool2_relu_chwb", []*tensors.Tensor{randTensor(1, 64, 14, 14, batch)},
			func(in []*Node) *Node { return MaxPool2ReLU(nil, in[0], true) }},
		{"to_nhwc_transpose", []*tensors.Tensor{randTensor(1, 64, 7, 7, batch)},
			func(in []*Node) *Node { return TransposeAllAxes(in[0], 3, 1, 2, 0) }},
		{"fc1_dense", []*tensors.Tensor{randTensor(1, batch, 3136), randTensor(2, 3136, 32)},
			func(in []*Node) *Node { return Dot(in[0], in[1]).Product() }},
	}
	for _, p := range pieces {
		for _, withGrad := range []bool{false, true} {
			name := p.name + "/fwd"
			if withGrad {
				name = p.name + "/fwd+bwd"
			}
			b.Run(name, func(b *testing.B) {
				exec := MustNewExec(be, func(in []*Node) []*Node {
					y := p.fn(in)
					if !withGrad {
						return []*Node{ReduceAllSum(y)}
					}
					// Gradient w.r.t. all inputs but the first (conv1's input image needs none).
					targets := in
					if strings.HasPrefix(p.name, "conv1_") {
						targets = in[1:]
					}
					return Gradient(ReduceAllSum(Mul(y, y)), targets...)
				})
				args := make([]any, len(p.inputs))
				for i, t := range p.inputs {
					args[i] = t
				}
				exec.MustExec(args...) // Compile.
				b.ResetTimer()
				cpu0 := processCPU()
				for range b.N {
					for _, t := range exec.MustExec(args...) {
						t.FinalizeAll()
					}
				}
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu_ms/op")
			})
		}
	}
}
