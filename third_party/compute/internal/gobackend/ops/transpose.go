// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

package ops

import (
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

func init() {
	gobackend.RegisterTranspose.Register(Transpose, gobackend.PriorityGeneric)
	gobackend.SetNodeExecutor(compute.OpTypeTranspose, gobackend.PriorityGeneric, execTranspose)
}

// Transpose axes of x.
// There must be one value in permutations for each axis in the operand.
// The output will have: output.Shape.Dimension[ii] = operand.Shape.Dimension[permutations[i]].
func Transpose(f *gobackend.Function, operandValue compute.Value, permutations ...int) (compute.Value, error) {
	opType := compute.OpTypeTranspose
	inputs, err := f.VerifyAndCastValues(opType.String(), operandValue)
	if err != nil {
		return nil, err
	}
	operand := inputs[0]

	outputShape, err := shapeinference.Transpose(operand.Shape, permutations)
	if err != nil {
		// This should have been validated during graph build, but we check again just in case.
		return nil, err
	}
	node, _ := f.GetOrCreateNode(opType, outputShape, inputs, permutations)
	return node, nil
}

// TransposeDTypeMap is used to dispatch Transpose to type-specific implementations.
// gobackend:dtypemap execTransposeGeneric ints,uints,floats,half,bool
var TransposeDTypeMap = gobackend.NewDTypeMap("Transpose")

func init() {
	TransposeDTypeMap.Register(dtypes.Float16, gobackend.PriorityTyped, execTransposeFloat16)
	TransposeDTypeMap.Register(dtypes.BFloat16, gobackend.PriorityTyped, execTransposeBFloat16)
}

// execTranspose implements Transpose.
// The output will have: output.Shape.Dimension[ii] = operand.Shape.Dimension[permutations[i]].
func execTranspose(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	operand := inputs[0]
	permutations := node.Data.([]int)
	_ = inputsOwned // We don't reuse the inputs.

	// We can't write to the same buffer we read from because it's not done with swaps.
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	it := NewTransposeIterator(operand.RawShape, permutations)
	dtype := node.Shape.DType
	tmpAny, tmpErr := TransposeDTypeMap.Get(dtype)
	if tmpErr != nil {
		panic(tmpErr)
	}
	transposeFn := tmpAny.(func(operand, output *gobackend.Buffer, it *TransposeIterator))
	transposeFn(operand, output, it)
	return output, nil
}

// TransposeIterator creates a dynamic iterator that yields output flat indices
// for the corresponding flat index on the input operand, assuming the operand flat index is moving
// incrementally.
type TransposeIterator struct {
	flatIdx                                int
	perAxisIdx, perAxisStrides, dimensions []int
}

// NewTransposeIterator creates a dynamic iterator that yields output flat indices
// for the corresponding flat index on the input operand, assuming the operand flat index is moving
// incrementally.
func NewTransposeIterator(operand shapes.Shape, permutations []int) *TransposeIterator {
	rank := operand.Rank()

	it := &TransposeIterator{
		perAxisIdx:     make([]int, rank),
		perAxisStrides: make([]int, rank),
		dimensions:     slices.Clone(operand.Dimensions),
	}

	// First, calculate strides on the output.
	stridesOnOutput := make([]int, rank)
	stride := 1
	reversePermutations := make([]int, rank)
	for outputAxis := rank - 1; outputAxis >= 0; outputAxis-- {
		stridesOnOutput[outputAxis] = stride
		operandAxis := permutations[outputAxis]
		stride *= operand.Dimensions[operandAxis]
		reversePermutations[operandAxis] = outputAxis
	}

	// Calculate per operand axis, what is the stride on the output.
	for operandAxis := range rank {
		outputAxis := reversePermutations[operandAxis]
		it.perAxisStrides[operandAxis] = stridesOnOutput[outputAxis]
	}
	return it
}

// Next returns the next flat index in the output.
func (it *TransposeIterator) Next() int {
	// Store current flatIdx first
	nextFlatIdx := it.flatIdx

	// Cache rank to avoid repeated len() calls
	rank := len(it.perAxisIdx)

	// Use local variables for array access to avoid repeated indirection
	perAxisIdx := it.perAxisIdx
	perAxisStrides := it.perAxisStrides
	dimensions := it.dimensions

	// Handle remaining axes only when needed
	for axis := rank - 1; axis >= 0; axis-- {
		perAxisIdx[axis]++
		it.flatIdx += perAxisStrides[axis]
		if perAxisIdx[axis] < dimensions[axis] {
			// We are done.
			return nextFlatIdx
		}
		perAxisIdx[axis] = 0
		it.flatIdx -= perAxisStrides[axis] * dimensions[axis]
	}

	return nextFlatIdx
}

func execTransposeGeneric[T gobackend.SupportedTypesConstraints](operand, output *gobackend.Buffer, it *TransposeIterator) {
	operandFlat := operand.Flat.([]T)
	outputFlat := output.Flat.([]T)
	if transposeRunsGeneric(operandFlat, outputFlat, it) || transposeTiledGeneric(operandFlat, outputFlat, it) ||
		transposeStridedGeneric(operandFlat, outputFlat, it) {
		return
	}
	for _, value := range operandFlat {
		outputFlat[it.Next()] = value
	}
}

func execTransposeFloat16(operand, output *gobackend.Buffer, it *TransposeIterator) {
	operandFlat := operand.Flat.([]float16.Float16)
	outputFlat := output.Flat.([]float16.Float16)
	for _, value := range operandFlat {
		outputFlat[it.Next()] = value
	}
}

func execTransposeBFloat16(operand, output *gobackend.Buffer, it *TransposeIterator) {
	operandFlat := operand.Flat.([]bfloat16.BFloat16)
	outputFlat := output.Flat.([]bfloat16.BFloat16)
	for _, value := range operandFlat {
		outputFlat[it.Next()] = value
	}
}

// transposeRunsGeneric is the fast path of execTransposeGeneric (an embviz patch, see
// third_party/README.md): when the operand's innermost axes keep their order and contiguity in
// the output (e.g. [batch, tokens, heads, dim] -> [batch, heads, tokens, dim]), it copies runs of
// them with copy() instead of one element at a time. It returns false (doing nothing) when the
// runs would be shorter than 8 elements.
func transposeRunsGeneric[T any](operandFlat, outputFlat []T, it *TransposeIterator) bool {
	dims, strides := it.dimensions, it.perAxisStrides
	run, runAxis := 1, len(dims)
	for runAxis > 0 && (strides[runAxis-1] == run || dims[runAxis-1] == 1) {
		run *= dims[runAxis-1]
		runAxis--
	}
	if runAxis == 0 {
		copy(outputFlat, operandFlat)
		return true
	}
	if run < 8 {
		return false
	}
	perAxisIdx := make([]int, runAxis)
	outputIdx := 0
	for operandIdx := 0; operandIdx < len(operandFlat); operandIdx += run {
		copy(outputFlat[outputIdx:outputIdx+run], operandFlat[operandIdx:operandIdx+run])
		for axis := runAxis - 1; axis >= 0; axis-- {
			perAxisIdx[axis]++
			outputIdx += strides[axis]
			if perAxisIdx[axis] < dims[axis] {
				break
			}
			perAxisIdx[axis] = 0
			outputIdx -= strides[axis] * dims[axis]
		}
	}
	return true
}

// transposeStridedGeneric is the second fast path of execTransposeGeneric (an embviz patch, see
// third_party/README.md), for the transposes transposeRunsGeneric leaves: it reads the operand's
// last non-trivial axis in one tight loop with a fixed output stride, and advances the outer axes
// once per such row, instead of calling the iterator (a loop over every axis) per element. It
// returns false (doing nothing) when that axis has fewer than 4 elements.
func transposeStridedGeneric[T any](operandFlat, outputFlat []T, it *TransposeIterator) bool {
	dims, strides := it.dimensions, it.perAxisStrides
	ax := len(dims) - 1
	for ax > 0 && dims[ax] == 1 {
		ax--
	}
	if ax < 0 || dims[ax] < 4 {
		return false
	}
	rowLen, rowStride := dims[ax], strides[ax]
	perAxisIdx := make([]int, ax)
	outputIdx := 0
	for operandIdx := 0; operandIdx < len(operandFlat); operandIdx += rowLen {
		o := outputIdx
		for _, v := range operandFlat[operandIdx : operandIdx+rowLen] {
			outputFlat[o] = v
			o += rowStride
		}
		for axis := ax - 1; axis >= 0; axis-- {
			perAxisIdx[axis]++
			outputIdx += strides[axis]
			if perAxisIdx[axis] < dims[axis] {
				break
			}
			perAxisIdx[axis] = 0
			outputIdx -= strides[axis] * dims[axis]
		}
	}
	return true
}

// transposeTiledGeneric is the third fast path of execTransposeGeneric (an embviz patch, see
// third_party/README.md): a batched matrix transpose, [batch..., r, c] -> [batch..., c, r] (the
// leading axes in place), runs in 32x32 tiles, so that both the reads and the scattered writes of
// a tile stay in cache (a dense layer's [tokens, d] activations transposed for its weight
// gradient: row-by-row strided writes touched a new cache line per element). It returns false
// (doing nothing) for other permutations or when r or c is below 8.
func transposeTiledGeneric[T any](operandFlat, outputFlat []T, it *TransposeIterator) bool {
	dims, strides := it.dimensions, it.perAxisStrides
	n := len(dims)
	if n < 2 {
		return false
	}
	r, c := dims[n-2], dims[n-1]
	if r < 8 || c < 8 || strides[n-2] != 1 || strides[n-1] != r {
		return false
	}
	stride := r * c
	for a := n - 3; a >= 0; a-- {
		if strides[a] != stride {
			return false
		}
		stride *= dims[a]
	}
	const tile = 32
	for base := 0; base < len(operandFlat); base += r * c {
		in, out := operandFlat[base:base+r*c], outputFlat[base:base+r*c]
		for i0 := 0; i0 < r; i0 += tile {
			i1 := min(i0+tile, r)
			for j0 := 0; j0 < c; j0 += tile {
				j1 := min(j0+tile, c)
				for i := i0; i < i1; i++ {
					row := in[i*c+j0 : i*c+j1]
					for j, v := range row {
						out[(j0+j)*r+i] = v
					}
				}
			}
		}
	}
	return true
}
