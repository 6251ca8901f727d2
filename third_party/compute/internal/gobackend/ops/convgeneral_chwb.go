// embviz patch (third_party/README.md): a fast path of ConvGeneral for 2-D float32 convolutions in
// the channels-first, batch-last layout ("CHWB") that embviz's models use on this backend.

package ops

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
)

// convCHWBBlockFloats is the target size, in floats, of one block of patches (im2col columns):
// ~1 MiB, so that a block is written and then read by the matrix product within one core's L2.
const convCHWBBlockFloats = 256 * 1024

// convCHWBPatches pools the per-worker patch and product blocks.
var convCHWBPatches = sync.Pool{New: func() any { return new([]float32) }}

// isCHWBConv reports whether params and the shapes describe what execConvCHWB handles: float32,
// rank 4, input [cIn, h, w, batch], kernel [kh, kw, cIn, cOut], output [cOut, outH, outW, batch],
// no dilations, no grouping, non-negative paddings.
func isCHWBConv(params *convNode, dtype dtypes.DType, rank int) bool {
	a := params.axes
	if dtype != dtypes.Float32 || rank != 4 || params.hasInputDilations || params.hasKernelDilations ||
		params.channelGroupCount != 1 || params.batchGroupCount != 1 {
		return false
	}
	if len(params.kernelDilations) > 0 && slices.Max(params.kernelDilations) > 1 {
		return false
	}
	for _, p := range params.paddings {
		if p[0] < 0 || p[1] < 0 {
			return false
		}
	}
	return a.InputChannels == 0 && slices.Equal(a.InputSpatial, []int{1, 2}) && a.InputBatch == 3 &&
		slices.Equal(a.KernelSpatial, []int{0, 1}) && a.KernelInputChannels == 2 && a.KernelOutputChannels == 3 &&
		a.OutputChannels == 0 && slices.Equal(a.OutputSpatial, []int{1, 2}) && a.OutputBatch == 3
}

// execConvCHWB computes a CHWB convolution (see isCHWBConv) as an implicit im2col product: the
// output columns (outH*outW*batch, in memory order) are cut in blocks; for each block the patch
// matrix P [kh*kw*cIn, cols] is built in a per-worker buffer -- each row a run of batch-contiguous
// copies from the input, zeros where the window falls in the padding -- and multiplied by the
// transposed kernel Wᵀ [cOut, kh*kw*cIn] with the backend's SIMD matrix product; the product
// [cOut, cols] is copied to the output rows. Blocks are shared among the free workers. Compared
// with materializing the whole [kh*kw*cIn, outH*outW*batch] patch matrix (Pad, k*k Slices, a
// Concatenate, then the product), each patch value is written once, into cache, instead of three
// times through memory. Returns false, having written nothing, when no float32 matrix product is
// registered.
func execConvCHWB(backend *gobackend.Backend, params *convNode, input, kernel []float32, inDims, kDims []int,
	output []float32, outDims []int) bool {
	matmul := dot.ImplementationFn[float32, float32](dot.FindRegisteredImplementation(dot.LayoutNonTransposed, dtypes.Float32, dtypes.Float32))
	if matmul == nil {
		return false
	}
	cIn, h, w, batch := inDims[0], inDims[1], inDims[2], inDims[3]
	kh, kw, cOut := kDims[0], kDims[1], kDims[3]
	outH, outW := outDims[1], outDims[2]
	sh, sw := params.strides[0], params.strides[1]
	padTop, padLeft := params.paddings[0][0], params.paddings[1][0]
	rows := kh * kw * cIn
	n := outH * outW * batch
	if n == 0 || cOut == 0 {
		return true
	}
	if rows == 0 {
		clear(output)
		return true
	}
	// Wᵀ [cOut, rows]: the kernel is [rows, cOut] in memory, rows ordered (dy, dx, ci).
	wT := make([]float32, cOut*rows)
	for r := range rows {
		for o, v := range kernel[r*cOut : (r+1)*cOut] {
			wT[o*rows+r] = v
		}
	}
	blockCols := max(convCHWBBlockFloats/rows, 64)
	blockCols = min((blockCols+15)/16*16, n)
	numBlocks := (n + blockCols - 1) / blockCols
	rowLen := outW * batch // Output columns per output row.
	var next atomic.Int64
	task := func() {
		bufPtr := convCHWBPatches.Get().(*[]float32)
		defer convCHWBPatches.Put(bufPtr)
		if need := (rows + cOut) * blockCols; cap(*bufPtr) < need {
			*bufPtr = make([]float32, need)
		}
		patches := (*bufPtr)[:rows*blockCols]
		prod := (*bufPtr)[rows*blockCols : (rows+cOut)*blockCols]
		for {
			blk := int(next.Add(1) - 1)
			if blk >= numBlocks {
				return
			}
			c0 := blk * blockCols
			c1 := min(c0+blockCols, n)
			nc := c1 - c0
			for dy := range kh {
				for dx := range kw {
					for ci := range cIn {
						r := (dy*kw+dx)*cIn + ci
						dst := patches[r*nc : (r+1)*nc]
						src := input[ci*h*w*batch : (ci+1)*h*w*batch]
						convCHWBFillRow(dst, src, c0, c1, rowLen, batch, w, h, dy-padTop, dx-padLeft, sh, sw)
					}
				}
			}
			matmul(backend, dot.LayoutNonTransposed, wT, patches, 1, cOut, nc, rows, prod[:cOut*nc])
			for o := range cOut {
				copy(output[o*n+c0:o*n+c1], prod[o*nc:(o+1)*nc])
			}
		}
	}
	if numBlocks == 1 {
		task()
	} else {
		backend.Workers.Saturate(task)
	}
	return true
}

// convCHWBFillRow fills dst with output columns [c0, c1) of one patch row: for column
// (oh, ow, b), src [h, w, batch] (one input channel) at (oh*sh+offH, ow*sw+offW, b), or 0 outside
// the input. rowLen is outW*batch.
func convCHWBFillRow(dst, src []float32, c0, c1, rowLen, batch, w, h, offH, offW, sh, sw int) {
	for c := c0; c < c1; {
		oh := c / rowLen
		segEnd := min(c1, (oh+1)*rowLen)
		d := dst[c-c0 : segEnd-c0]
		ih := oh*sh + offH
		if ih < 0 || ih >= h {
			clear(d)
			c = segEnd
			continue
		}
		rowSrc := src[ih*w*batch : (ih+1)*w*batch]
		q0, q1 := c-oh*rowLen, segEnd-oh*rowLen // Offsets within the output row.
		if sw == 1 {
			// Input offset of output offset q is q + offW*batch, valid for ow in [-offW, w-offW).
			v0 := max(q0, -offW*batch)
			v1 := min(q1, (w-offW)*batch)
			if v1 <= v0 {
				clear(d)
			} else {
				clear(d[:v0-q0])
				copy(d[v0-q0:v1-q0], rowSrc[v0+offW*batch:v1+offW*batch])
				clear(d[v1-q0:])
			}
		} else {
			for q := q0; q < q1; {
				ow, b := q/batch, q%batch
				runEnd := min(q1, (ow+1)*batch)
				iw := ow*sw + offW
				if iw < 0 || iw >= w {
					clear(d[q-q0 : runEnd-q0])
				} else {
					copy(d[q-q0:runEnd-q0], rowSrc[iw*batch+b:iw*batch+b+runEnd-q])
				}
				q = runEnd
			}
		}
		c = segEnd
	}
}

// isCHWBKernelGradConv reports whether params and the shapes describe what execConvCHWBKernelGrad
// handles: the kernel gradient of a stride-1 CHWB convolution written as a ConvGeneral (as GoMLX
// writes a convolution's kernel gradient): float32, input x [cIn, h, w, batch] with cIn as the
// "batch" axis and batch as the "channels" axis, kernel dY [cOut, outH, outW, batch] (cOut the
// output channels, batch the input channels), output [kh, kw, cIn, cOut]; stride 1, no dilation
// or grouping, non-negative paddings.
func isCHWBKernelGradConv(params *convNode, dtype dtypes.DType, rank int) bool {
	a := params.axes
	if dtype != dtypes.Float32 || rank != 4 || params.hasInputDilations || params.hasKernelDilations ||
		params.channelGroupCount != 1 || params.batchGroupCount != 1 || !slices.Equal(params.strides, []int{1, 1}) {
		return false
	}
	if len(params.kernelDilations) > 0 && slices.Max(params.kernelDilations) > 1 {
		return false
	}
	for _, p := range params.paddings {
		if p[0] < 0 || p[1] < 0 {
			return false
		}
	}
	return a.InputBatch == 0 && slices.Equal(a.InputSpatial, []int{1, 2}) && a.InputChannels == 3 &&
		a.KernelOutputChannels == 0 && slices.Equal(a.KernelSpatial, []int{1, 2}) && a.KernelInputChannels == 3 &&
		slices.Equal(a.OutputSpatial, []int{0, 1}) && a.OutputBatch == 2 && a.OutputChannels == 3
}

// execConvCHWBKernelGrad computes dW [kh, kw, cIn, cOut] = P · dYᵀ, P [kh*kw*cIn, outH*outW*batch]
// being the stride-1 patches of x [cIn, h, w, batch] (as in execConvCHWB) and dY [cOut, outH,
// outW, batch], without materializing P: the columns are cut in blocks, each worker builds a
// block of P and copies the matching block of dY into its buffers, multiplies them (contracting
// the columns) with the backend's SIMD matrix product and accumulates into its own [rows, cOut]
// sum; the workers' sums are added at the end. The product splits among the free workers, where
// the materialized [cOut, N]·[N, rows] product of a 288-row patch matrix ran on one.
// Returns false, having written nothing, when no float32 matrix product is registered.
func execConvCHWBKernelGrad(backend *gobackend.Backend, params *convNode, input, dy []float32, inDims, dyDims []int,
	output []float32, outDims []int) bool {
	matmul := dot.ImplementationFn[float32, float32](dot.FindRegisteredImplementation(dot.LayoutTransposed, dtypes.Float32, dtypes.Float32))
	if matmul == nil {
		return false
	}
	cIn, h, w, batch := inDims[0], inDims[1], inDims[2], inDims[3]
	cOut, outH, outW := dyDims[0], dyDims[1], dyDims[2]
	kh, kw := outDims[0], outDims[1]
	padTop, padLeft := params.paddings[0][0], params.paddings[1][0]
	rows := kh * kw * cIn
	n := outH * outW * batch
	clear(output)
	if n == 0 || rows == 0 || cOut == 0 {
		return true
	}
	blockCols := max(convCHWBBlockFloats/(rows+cOut), 64)
	blockCols = min((blockCols+15)/16*16, n)
	numBlocks := (n + blockCols - 1) / blockCols
	rowLen := outW * batch
	var next atomic.Int64
	var mu sync.Mutex
	task := func() {
		bufPtr := convCHWBPatches.Get().(*[]float32)
		defer convCHWBPatches.Put(bufPtr)
		if need := (rows+cOut)*blockCols + 2*rows*cOut; cap(*bufPtr) < need {
			*bufPtr = make([]float32, need)
		}
		buf := *bufPtr
		patches := buf[:rows*blockCols]
		dyBlock := buf[rows*blockCols : (rows+cOut)*blockCols]
		prod := buf[(rows+cOut)*blockCols : (rows+cOut)*blockCols+rows*cOut]
		sum := buf[(rows+cOut)*blockCols+rows*cOut : (rows+cOut)*blockCols+2*rows*cOut]
		clear(sum)
		worked := false
		for {
			blk := int(next.Add(1) - 1)
			if blk >= numBlocks {
				break
			}
			worked = true
			c0 := blk * blockCols
			c1 := min(c0+blockCols, n)
			nc := c1 - c0
			for dy := range kh {
				for dx := range kw {
					for ci := range cIn {
						r := (dy*kw+dx)*cIn + ci
						convCHWBFillRow(patches[r*nc:(r+1)*nc], input[ci*h*w*batch:(ci+1)*h*w*batch],
							c0, c1, rowLen, batch, w, h, dy-padTop, dx-padLeft, 1, 1)
					}
				}
			}
			for o := range cOut {
				copy(dyBlock[o*nc:(o+1)*nc], dy[o*n+c0:o*n+c1])
			}
			matmul(backend, dot.LayoutTransposed, patches[:rows*nc], dyBlock[:cOut*nc], 1, rows, cOut, nc, prod)
			for i, v := range prod {
				sum[i] += v
			}
		}
		if !worked {
			return
		}
		mu.Lock()
		for i, v := range sum {
			output[i] += v
		}
		mu.Unlock()
	}
	if numBlocks == 1 {
		task()
	} else {
		backend.Workers.Saturate(task)
	}
	return true
}
