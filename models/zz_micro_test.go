package models

import (
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/embviz/embviz/backend"
)

func BenchmarkMicro(b *testing.B) {
	be := backend.Must()
	type piece struct {
		name   string
		inputs []*tensors.Tensor
		fn     func(in []*Node) *Node
	}
	dY := randTensor(1, 64, 12544)
	P := randTensor(2, 288, 12544)
	dY1 := randTensor(1, 32, 50176)
	P1 := randTensor(2, 9, 50176)
	pieces := []piece{
		{"dW2_transposed", []*tensors.Tensor{dY, P}, func(in []*Node) *Node { return DotGeneral(in[0], []int{1}, nil, in[1], []int{1}, nil) }},
		{"dW2_P_dYT", []*tensors.Tensor{dY, P}, func(in []*Node) *Node { return Dot(in[1], Transpose(in[0], 0, 1)).Product() }},
		{"dW2_chunk8", []*tensors.Tensor{dY, P}, func(in []*Node) *Node {
			a := Reshape(in[0], 64, 8, 1568)
			bb := Reshape(in[1], 288, 8, 1568)
			return ReduceSum(DotGeneral(a, []int{2}, []int{1}, bb, []int{2}, []int{1}), 0)
		}},
		{"dW2_chunk4_T", []*tensors.Tensor{dY, P}, func(in []*Node) *Node {
			a := TransposeAllAxes(Reshape(in[0], 64, 4, 3136), 1, 0, 2)
			bb := TransposeAllAxes(Reshape(in[1], 288, 4, 3136), 1, 0, 2)
			return ReduceSum(DotGeneral(a, []int{2}, []int{0}, bb, []int{2}, []int{0}), 0)
		}},
		{"dW1_transposed", []*tensors.Tensor{dY1, P1}, func(in []*Node) *Node { return DotGeneral(in[0], []int{1}, nil, in[1], []int{1}, nil) }},
		{"dW1_P_dYT", []*tensors.Tensor{dY1, P1}, func(in []*Node) *Node { return Dot(in[1], Transpose(in[0], 0, 1)).Product() }},
		{"dW1_rev", []*tensors.Tensor{dY1, P1}, func(in []*Node) *Node { return DotGeneral(in[1], []int{1}, nil, in[0], []int{1}, nil) }},
		{"dW1_mulsum", []*tensors.Tensor{dY1, P1}, func(in []*Node) *Node {
			return ReduceSum(Mul(Reshape(in[0], 32, 1, 50176), Reshape(in[1], 1, 9, 50176)), 2)
		}},
		{"fwd2", []*tensors.Tensor{randTensor(1, 64, 288), P}, func(in []*Node) *Node { return Dot(in[0], in[1]).Product() }},
		{"fwd2_289", []*tensors.Tensor{randTensor(1, 64, 289), randTensor(2, 289, 12544)}, func(in []*Node) *Node { return Dot(in[0], in[1]).Product() }},
		{"dP2", []*tensors.Tensor{randTensor(1, 288, 64), dY}, func(in []*Node) *Node { return Dot(in[0], in[1]).Product() }},
		{"copy_dY", []*tensors.Tensor{dY}, func(in []*Node) *Node { return in[0] }},
		{"copy_P", []*tensors.Tensor{P}, func(in []*Node) *Node { return in[0] }},
	}
	for _, p := range pieces {
		b.Run(p.name, func(b *testing.B) {
			exec := MustNewExec(be, func(in []*Node) *Node { return p.fn(in) })
			args := make([]any, len(p.inputs))
			for i, t := range p.inputs {
				args[i] = t
			}
			exec.MustExec(args...)[0].FinalizeAll()
			b.ResetTimer()
			t0 := time.Now()
			cpu0 := processCPU()
			for range b.N {
				exec.MustExec(args...)[0].FinalizeAll()
			}
			b.ReportMetric(float64(time.Since(t0).Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu_ms/op")
		})
	}
}
