package models

// Fast convolution, pooling and GELU built only from ops that run well on GoMLX's pure-Go
// backend (Pad, Slice, Concatenate, Reshape, Dot, ReduceMax, Tanh). GoMLX's ConvGeneral,
// ReduceWindow/SelectAndScatter (MaxPool) are slow there (conv kernels are not SIMD; upstream
// they could also deadlock its scheduler, which third_party/compute fixes), so on the Go backend
// the models in this package use the functions below. On other backends (XLA) the GoMLX layers
// are used, with the same variables, so checkpoints move between backends.

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	. "github.com/gomlx/gomlx/support/exceptions"
)

// ParamFastOps is the scope hyperparameter that selects the implementation of Conv2D, MaxPool2
// and MaxPool2ReLU: "auto" (the default: the fast formulations on the Go backend, GoMLX's own ops
// elsewhere), "always" (fast formulations on every backend) or "never" (GoMLX's own ops always;
// slow on the Go backend).
const ParamFastOps = "fast_ops"

// goBackendName is what the Go backend's Name returns.
const goBackendName = "Go Backend"

// useFastOps reports whether the fast formulations apply to graph g under scope's ParamFastOps.
func useFastOps(scope *model.Scope, g *Graph) bool {
	mode := "auto"
	if scope != nil {
		mode = model.GetParamOr(scope, ParamFastOps, "auto")
	}
	switch mode {
	case "auto":
		return g.Backend().Name() == goBackendName
	case "always":
		return true
	case "never":
		return false
	}
	Panicf("models: hyperparameter %q must be \"auto\", \"always\" or \"never\", got %q", ParamFastOps, mode)
	return false
}

// Conv2DBuilder configures a 2-D convolution created by Conv2D. Set Channels, then call Done.
type Conv2DBuilder struct {
	scope      *model.Scope
	x          *Node
	channels   int
	kernelSize int
	stride     int
	padSame    bool
	useBias    bool
	chwb       bool
	inference  bool
}

// Conv2D prepares a 2-D convolution of x, shaped [batch, height, width, inChannels] (channels
// last; see ChannelsFirstBatchLast for the [inChannels, height, width, batch] layout). Its variables live in the sub-scope "conv": "weights" [k, k, inChannels, channels] and
// "biases" [channels], the same names and layout as layers.Convolution, so that the GoMLX layer
// (used on non-Go backends) and the im2col formulation read the same checkpoint.
//
// Defaults: KernelSize 3, Strides 1, PadSame (output spatial size = ceil(input/stride)), with bias.
// Channels must be set before Done.
func Conv2D(scope *model.Scope, x *Node) *Conv2DBuilder {
	if x.Rank() != 4 {
		Panicf("models.Conv2D: x must be [batch, height, width, channels], got %s", x.Shape())
	}
	return &Conv2DBuilder{scope: scope, x: x, kernelSize: 3, stride: 1, padSame: true, useBias: true}
}

// Channels sets the number of output channels. There is no default: it must be set before Done.
func (c *Conv2DBuilder) Channels(n int) *Conv2DBuilder { c.channels = n; return c }

// KernelSize sets the (square) kernel size. Default is 3.
func (c *Conv2DBuilder) KernelSize(k int) *Conv2DBuilder { c.kernelSize = k; return c }

// Strides sets the stride on both spatial axes. Default is 1.
func (c *Conv2DBuilder) Strides(s int) *Conv2DBuilder { c.stride = s; return c }

// PadSame pads the input so that the output has ceil(input/stride) rows and columns. The default.
func (c *Conv2DBuilder) PadSame() *Conv2DBuilder { c.padSame = true; return c }

// NoPadding makes a "valid" convolution: output (input-k)/stride+1 rows and columns.
func (c *Conv2DBuilder) NoPadding() *Conv2DBuilder { c.padSame = false; return c }

// ChannelsFirstBatchLast selects the "CHWB" layout for input and output: x is
// [inChannels, height, width, batch] and the result [channels, outH, outW, batch]. On the Go
// backend this is the fastest layout: every matrix product of the forward and backward pass runs
// without transposing a large operand, and paddings copy whole batch rows (see ConvCHWB).
// Default is channels last, [batch, h, w, c].
func (c *Conv2DBuilder) ChannelsFirstBatchLast() *Conv2DBuilder { c.chwb = true; return c }

// Inference selects, with ChannelsFirstBatchLast on the Go backend, the forward-only formulation
// ConvCHWBInference (one ConvGeneral op, run by the patched backend as an implicit im2col product)
// instead of ConvCHWB, whose hand-written gradients need the patch matrix in memory. For graphs
// that are not differentiated, such as a model built with train false: its gradient is GoMLX's
// generic one, slow on this backend. On other backends GoMLX's layer is used either way. Done
// panics when it is set without ChannelsFirstBatchLast. Default false.
func (c *Conv2DBuilder) Inference(b bool) *Conv2DBuilder { c.inference = b; return c }

// UseBias sets whether a bias is added per output channel. Default is true.
func (c *Conv2DBuilder) UseBias(b bool) *Conv2DBuilder { c.useBias = b; return c }

// Done creates the variables and returns the convolution, [batch, outH, outW, channels] (or
// [channels, outH, outW, batch] with ChannelsFirstBatchLast). On the Go backend it is Im2ColConv
// (channels last) or ConvCHWB; elsewhere layers.Convolution.
func (c *Conv2DBuilder) Done() *Node {
	if c.channels <= 0 || c.kernelSize <= 0 || c.stride <= 0 {
		Panicf("models.Conv2D: channels (%d), kernel size (%d) and stride (%d) must be > 0",
			c.channels, c.kernelSize, c.stride)
	}
	if c.inference && !c.chwb {
		Panicf("models.Conv2D: Inference needs ChannelsFirstBatchLast")
	}
	g := c.x.Graph()
	if !useFastOps(c.scope, g) {
		x := c.x
		if c.chwb {
			x = TransposeAllAxes(x, 3, 1, 2, 0) // -> [batch, h, w, c]
		}
		b := layers.Convolution(c.scope, x).Channels(c.channels).KernelSize(c.kernelSize).
			Strides(c.stride).UseBias(c.useBias)
		if c.padSame {
			b = b.PadSame()
		} else {
			b = b.NoPadding()
		}
		y := b.Done()
		if c.chwb {
			y = TransposeAllAxes(y, 3, 1, 2, 0) // -> [c, h, w, batch]
		}
		return y
	}
	scope := c.scope.In("conv")
	inChannels := c.x.Shape().Dimensions[3]
	if c.chwb {
		inChannels = c.x.Shape().Dimensions[0]
	}
	kernel := scope.VariableWithShape("weights",
		shapes.Make(c.x.DType(), c.kernelSize, c.kernelSize, inChannels, c.channels)).NodeValue(g)
	var bias *Node
	if c.useBias {
		bias = scope.VariableWithShape("biases", shapes.Make(c.x.DType(), c.channels)).NodeValue(g)
	}
	if c.chwb && c.inference {
		return ConvCHWBInference(c.x, kernel, bias, c.stride, c.padSame)
	}
	if c.chwb && c.stride == 1 {
		return ConvCHWBImplicit(c.x, kernel, bias, c.padSame)
	}
	if c.chwb {
		return ConvCHWB(c.x, kernel, bias, c.stride, c.padSame)
	}
	y := Im2ColConv(c.x, kernel, c.stride, c.padSame)
	if bias != nil {
		y = Add(y, Reshape(bias, 1, 1, 1, c.channels))
	}
	return y
}

// biasFoldMaxRows is the patch-row count (k*k*cIn) below which ConvCHWB folds the bias into its
// matrix product (measured: a gain for conv1's 9 rows, a loss for conv2's 288).
const biasFoldMaxRows = 32

// convOutSize is the output size of one spatial axis of size n for kernel k and stride s.
func convOutSize(n, k, s int, padSame bool) int {
	if padSame {
		return (n + s - 1) / s
	}
	return (n-k)/s + 1
}

// samePadding returns the (low, high) padding of one spatial axis for "same" padding with
// kernel k (any stride), matching GoMLX's ConvolutionBuilder.PadSame (so that the Go-backend
// formulation and GoMLX's layers, used on other backends, align strided outputs the same way):
// (k-1)/2 before and k/2 after, whatever the stride; the output has ceil(n/s) positions.
// (XLA/TensorFlow's SAME differs for strides > 1 on some sizes: it pads max((ceil(n/s)-1)*s+k-n, 0)
// in total, the smaller half first.)
func samePadding(k int) (lo, hi int) {
	return (k - 1) / 2, k / 2
}

// im2colWindows pads x (rank 4, spatial axes 1 and 2 of sizes h and w) for "same" output when
// padSame, takes the k*k shifted, strided windows with Slice and concatenates them on axis
// concatAxis (-1 for [batch, h, w, c] inputs, 0 for [c, h, w, batch]). It returns the patches and
// the output's spatial size; name prefixes the panic when the kernel does not fit. A non-nil extra
// (shaped like one window) is concatenated after the windows.
//
// zero, when not nil, is a scalar 0 computed from other nodes (see customGradients): it is used as
// the padding value, or added to x when there is no padding.
func im2colWindows(x, zero *Node, h, w, k, stride int, padSame bool, concatAxis int, name string, extra *Node) (patches *Node, outH, outW int) {
	padded := false
	if padSame {
		hLo, hHi := samePadding(k)
		wLo, wHi := samePadding(k)
		if hLo+hHi+wLo+wHi > 0 {
			fill := zero
			if fill == nil {
				fill = ScalarZero(x.Graph(), x.DType())
			}
			padded = true
			x = Pad(x, fill,
				compute.PadAxis{}, compute.PadAxis{Start: hLo, End: hHi}, compute.PadAxis{Start: wLo, End: wHi}, compute.PadAxis{})
		}
		h, w = h+hLo+hHi, w+wLo+wHi
	}
	if zero != nil && !padded {
		x = Add(x, zero)
	}
	outH, outW = (h-k)/stride+1, (w-k)/stride+1
	if outH <= 0 || outW <= 0 {
		Panicf("%s: kernel %d larger than (padded) input %dx%d", name, k, h, w)
	}
	windows := make([]*Node, 0, k*k)
	for dy := range k {
		for dx := range k {
			windows = append(windows, Slice(x, AxisRange(),
				AxisRange(dy, dy+(outH-1)*stride+1).Stride(stride),
				AxisRange(dx, dx+(outW-1)*stride+1).Stride(stride),
				AxisRange()))
		}
	}
	if extra != nil {
		windows = append(windows, extra)
	}
	patches = windows[0]
	if len(windows) > 1 {
		patches = Concatenate(windows, concatAxis)
	}
	return patches, outH, outW
}

// Im2ColConv convolves x [batch, h, w, cIn] with kernel [k, k, cIn, cOut] (cross-correlation, as
// GoMLX/XLA/PyTorch define convolution) as one matrix multiplication: it pads x, takes the k*k
// shifted (strided) windows with Slice, concatenates them on the channels axis into patches
// [batch*outH*outW, k*k*cIn] and multiplies by the kernel reshaped to [k*k*cIn, cOut].
// Returns [batch, outH, outW, cOut]. Differentiable with the standard gradients of its ops.
func Im2ColConv(x, kernel *Node, stride int, padSame bool) *Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	if x.Rank() != 4 || kernel.Rank() != 4 || kd[0] != kd[1] || kd[2] != xd[3] {
		Panicf("models.Im2ColConv: want x [batch, h, w, cIn] and kernel [k, k, cIn, cOut], got x %s and kernel %s",
			x.Shape(), kernel.Shape())
	}
	batch, h, w, cIn := xd[0], xd[1], xd[2], xd[3]
	k, cOut := kd[0], kd[3]
	if k == 1 && stride == 1 {
		y := Dot(Reshape(x, batch*h*w, cIn), Reshape(kernel, cIn, cOut)).Product()
		return Reshape(y, batch, h, w, cOut)
	}
	// [batch, outH, outW, k*k*cIn], ordered (dy, dx, cIn).
	patches, outH, outW := im2colWindows(x, nil, h, w, k, stride, padSame, -1, "models.Im2ColConv", nil)
	patches = Reshape(patches, batch*outH*outW, k*k*cIn)
	y := Dot(patches, Reshape(kernel, k*k*cIn, cOut)).Product()
	return Reshape(y, batch, outH, outW, cOut)
}

// MaxPool2 is 2x2 max pooling with stride 2 of x [batch, h, w, c], returning
// [batch, h/2, w/2, c] (odd trailing rows/columns are dropped, like PyTorch's MaxPool2d(2)).
// On the Go backend (see ParamFastOps) it is Reshape to [batch, h/2, 2, w/2, 2, c] + ReduceMax,
// whose gradient is built from plain ops; elsewhere GoMLX's MaxPool. scope may be nil (auto mode).
func MaxPool2(scope *model.Scope, x *Node) *Node {
	if x.Rank() != 4 {
		Panicf("models.MaxPool2: x must be [batch, height, width, channels], got %s", x.Shape())
	}
	d := x.Shape().Dimensions
	if d[1] < 2 || d[2] < 2 {
		Panicf("models.MaxPool2: spatial size %dx%d smaller than the 2x2 window", d[1], d[2])
	}
	if !useFastOps(scope, x.Graph()) {
		return MaxPool(x).Window(2).Done()
	}
	h2, w2 := d[1]/2, d[2]/2
	if d[1]%2 != 0 || d[2]%2 != 0 {
		x = Slice(x, AxisRange(), AxisRange(0, 2*h2), AxisRange(0, 2*w2), AxisRange())
	}
	return ReduceMax(Reshape(x, d[0], h2, 2, w2, 2, d[3]), 2, 4)
}

// GELU is the tanh approximation of the Gaussian error linear unit,
// 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))), written with plain ops so that every backend computes
// the same function (upstream, the Go backend's fused GELU could also deadlock; see
// third_party/README.md). Same shape as x.
func GELU(x *Node) *Node {
	inner := MulScalar(Add(x, MulScalar(Mul(Mul(x, x), x), 0.044715)), math.Sqrt(2/math.Pi))
	return Mul(MulScalar(x, 0.5), OnePlus(Tanh(inner)))
}

// ConvCHWB convolves x [cIn, h, w, batch] with kernel [k, k, cIn, cOut] (plus bias [cOut], which
// may be nil) and returns [cOut, outH, outW, batch]. It is im2col in the channels-first,
// batch-last layout: the padded input's k*k shifted windows are concatenated on the channels axis
// into patches P [k*k*cIn, outH*outW*batch], and Y = Wᵀ·P with Wᵀ [cOut, k*k*cIn].
//
// Why this layout, on the Go backend: its matmul wants the contracted axis last on the left
// operand, so Wᵀ·P and the kernel gradient dY·Pᵀ run without transposing P or dY; the gradient
// with respect to the patches, W·dY, is set by hand (customGradient), because GoMLX's generic rule
// would contract over dY's first axis and transpose both dY and the [k*k*cIn, N] result. And with
// the batch axis last and never padded, the padding of the input and of the windows' gradients
// copies whole batch rows instead of single values.
func ConvCHWB(x, kernel, bias *Node, stride int, padSame bool) *Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	if x.Rank() != 4 || kernel.Rank() != 4 || kd[0] != kd[1] || kd[2] != xd[0] {
		Panicf("models.ConvCHWB: want x [cIn, h, w, batch] and kernel [k, k, cIn, cOut], got x %s and kernel %s",
			x.Shape(), kernel.Shape())
	}
	cIn, h, w, batch := xd[0], xd[1], xd[2], xd[3]
	k, cOut := kd[0], kd[3]
	if bias != nil && (bias.Rank() != 1 || bias.Shape().Dimensions[0] != cOut) {
		Panicf("models.ConvCHWB: bias must be [%d], got %s", cOut, bias.Shape())
	}
	rows := k * k * cIn
	w2 := Reshape(kernel, rows, cOut) // [K, cOut]
	// With few patch rows (a first layer), the bias rides in the product as one more kernel row
	// against a row of ones in the patches: cheaper than a broadcast Add over [cOut, N] and its
	// ReduceSum gradient. With many rows the odd row count slows the products down more.
	foldBias := bias != nil && rows < biasFoldMaxRows
	var extra *Node
	if foldBias {
		outH, outW := convOutSize(h, k, stride, padSame), convOutSize(w, k, stride, padSame)
		extra = Ones(x.Graph(), shapes.Make(x.DType(), 1, outH, outW, batch))
		w2 = Concatenate([]*Node{w2, Reshape(bias, 1, cOut)}, 0)
		rows++
	}
	// [rows, outH, outW, batch], rows ordered (dy, dx, cIn) [, ones]. The gradient with respect
	// to x is written by hand (col2imCHWB): autodiff would pad each window's gradient to the
	// padded input's size, add them there and then crop the padding.
	var outH, outW int
	patches := customGradient(x,
		func(xs, zero *Node) *Node {
			var p *Node
			p, outH, outW = im2colWindows(xs, zero, h, w, k, stride, padSame, 0, "models.ConvCHWB", extra)
			return p
		},
		func(_, v *Node) *Node { return col2imCHWB(v, cIn, h, w, k, stride, padSame) })
	n := outH * outW * batch
	patches = Reshape(patches, rows, n)
	y := customGradients([]*Node{patches, w2},
		func(in []*Node, zero *Node) *Node {
			wT := Transpose(Add(in[1], zero), 0, 1) // [cOut, K], small.
			return Dot(wT, in[0]).Product()         // [cOut, N]
		},
		func(in []*Node, v *Node) []*Node {
			p, w := in[0], in[1]
			dP := Dot(w, v).Product() // [K, cOut]·[cOut, N] -> [K, N]
			// The kernel gradient P·vᵀ contracts the long N axis of both; the Go backend's
			// product is fastest with the larger of K and cOut as the right operand's rows.
			var dW *Node
			if rows < cOut {
				dW = DotGeneral(p, []int{1}, nil, v, []int{1}, nil) // [K, cOut]
			} else {
				dW = Transpose(DotGeneral(v, []int{1}, nil, p, []int{1}, nil), 0, 1) // [cOut, K] -> [K, cOut]
			}
			return []*Node{dP, dW}
		})
	if bias != nil && !foldBias {
		y = Add(y, Reshape(bias, cOut, 1))
	}
	return Reshape(y, cOut, outH, outW, batch)
}

// chwbConvAxes is the ConvGeneral axes configuration of a CHWB convolution: input
// [cIn, h, w, batch], kernel [kh, kw, cIn, cOut], output [cOut, outH, outW, batch].
var chwbConvAxes = ConvolveAxesConfig{
	InputChannels: 0, InputSpatial: []int{1, 2}, InputBatch: 3,
	KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
	OutputChannels: 0, OutputSpatial: []int{1, 2}, OutputBatch: 3,
}

// chwbKernelGradAxes is the ConvGeneral axes configuration of a stride-1 CHWB convolution's
// kernel gradient: x [cIn, h, w, batch] as the input (cIn its batch axis, batch its channels), dY
// [cOut, outH, outW, batch] as the kernel (batch its input channels), output [kh, kw, cIn, cOut].
var chwbKernelGradAxes = ConvolveAxesConfig{
	InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
	KernelOutputChannels: 0, KernelSpatial: []int{1, 2}, KernelInputChannels: 3,
	OutputSpatial: []int{0, 1}, OutputBatch: 2, OutputChannels: 3,
}

// ConvCHWBImplicit is ConvCHWB for stride 1 (same arguments and result: x [cIn, h, w, batch],
// kernel [k, k, cIn, cOut], bias [cOut] or nil -> [cOut, outH, outW, batch]) written as three
// ConvGeneral ops that the patched Go backend runs as implicit im2col products (third_party/README.md),
// so that the [k*k*cIn, outH*outW*batch] patch matrix is never materialized:
//
//   - forward: Y = conv(x, W);
//   - input gradient: dX = conv(dY, W flipped in space with its channel axes swapped), padded by
//     k-1 minus the forward padding (a "full" convolution; replaces W·dY and its col2im);
//   - kernel gradient: dW = conv(x, dY) with the batch axis contracted (P·dYᵀ, split by
//     columns among the workers).
//
// The gradients are set by hand (customGradients): GoMLX's generic convolution gradient would
// transpose the operands into layouts the backend runs element by element.
func ConvCHWBImplicit(x, kernel, bias *Node, padSame bool) *Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	if x.Rank() != 4 || kernel.Rank() != 4 || kd[0] != kd[1] || kd[2] != xd[0] {
		Panicf("models.ConvCHWBImplicit: want x [cIn, h, w, batch] and kernel [k, k, cIn, cOut], got x %s and kernel %s",
			x.Shape(), kernel.Shape())
	}
	k, cOut := kd[0], kd[3]
	if bias != nil && (bias.Rank() != 1 || bias.Shape().Dimensions[0] != cOut) {
		Panicf("models.ConvCHWBImplicit: bias must be [%d], got %s", cOut, bias.Shape())
	}
	pads := [][2]int{{0, 0}, {0, 0}}
	if padSame {
		lo, hi := samePadding(k)
		pads = [][2]int{{lo, hi}, {lo, hi}}
	}
	if outH, outW := convOutSize(xd[1], k, 1, padSame), convOutSize(xd[2], k, 1, padSame); outH <= 0 || outW <= 0 {
		Panicf("models.ConvCHWBImplicit: kernel %d larger than input %dx%d", k, xd[1], xd[2])
	}
	full := [][2]int{{k - 1 - pads[0][0], k - 1 - pads[0][1]}, {k - 1 - pads[1][0], k - 1 - pads[1][1]}}
	stride1 := []int{1, 1}
	y := customGradients([]*Node{x, kernel},
		func(in []*Node, zero *Node) *Node {
			return ConvGeneral(in[0], Add(in[1], zero), chwbConvAxes, stride1, pads, nil, nil, 1, 1)
		},
		func(in []*Node, v *Node) []*Node {
			flipped := TransposeAllAxes(Reverse(in[1], 0, 1), 0, 1, 3, 2) // [k, k, cOut, cIn]
			dX := ConvGeneral(v, flipped, chwbConvAxes, stride1, full, nil, nil, 1, 1)
			dW := ConvGeneral(in[0], v, chwbKernelGradAxes, stride1, pads, nil, nil, 1, 1)
			return []*Node{dX, dW}
		})
	if bias != nil {
		y = Add(y, Reshape(bias, cOut, 1, 1, 1))
	}
	return y
}

// ConvCHWBInference is ConvCHWB's forward pass as one ConvGeneral op (plus the bias Add): x
// [cIn, h, w, batch], kernel [k, k, cIn, cOut], bias [cOut] or nil; returns [cOut, outH, outW, batch].
// The patched Go backend runs this layout as an implicit im2col product (third_party/README.md):
// each block of patch columns is built in cache and multiplied at once, instead of the k*k Slices,
// the Concatenate and the product reading the [k*k*cIn, outH*outW*batch] patch matrix from memory.
// Meant for graphs that are not differentiated (snapshot evaluation): its gradient is GoMLX's
// generic one, which this backend runs slowly.
func ConvCHWBInference(x, kernel, bias *Node, stride int, padSame bool) *Node {
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	if x.Rank() != 4 || kernel.Rank() != 4 || kd[0] != kd[1] || kd[2] != xd[0] {
		Panicf("models.ConvCHWBInference: want x [cIn, h, w, batch] and kernel [k, k, cIn, cOut], got x %s and kernel %s",
			x.Shape(), kernel.Shape())
	}
	k, cOut := kd[0], kd[3]
	if bias != nil && (bias.Rank() != 1 || bias.Shape().Dimensions[0] != cOut) {
		Panicf("models.ConvCHWBInference: bias must be [%d], got %s", cOut, bias.Shape())
	}
	pads := [][2]int{{0, 0}, {0, 0}}
	if padSame {
		lo, hi := samePadding(k)
		pads = [][2]int{{lo, hi}, {lo, hi}}
	}
	if outH, outW := convOutSize(xd[1], k, stride, padSame), convOutSize(xd[2], k, stride, padSame); outH <= 0 || outW <= 0 {
		Panicf("models.ConvCHWBInference: kernel %d larger than input %dx%d", k, xd[1], xd[2])
	}
	y := ConvGeneral(x, kernel, chwbConvAxes, []int{stride, stride}, pads, nil, nil, 1, 1)
	if bias != nil {
		y = Add(y, Reshape(bias, cOut, 1, 1, 1))
	}
	return y
}

// col2imCHWB is the gradient of the CHWB im2col of x [cIn, h, w, batch] (im2colWindows with
// concatAxis 0) given the patches' gradient v [rows, outH, outW, batch] (rows beyond k*k*cIn,
// such as ConvCHWB's row of ones, are ignored): the sum over the k*k windows of each window's
// gradient, cropped to the positions that fall inside x and padded to x's shape (with interior
// padding for strides > 1). Returns [cIn, h, w, batch].
func col2imCHWB(v *Node, cIn, h, w, k, stride int, padSame bool) *Node {
	vd := v.Shape().Dimensions
	outH, outW := vd[1], vd[2]
	hLo, wLo := 0, 0
	if padSame {
		hLo, _ = samePadding(k)
		wLo, _ = samePadding(k)
	}
	// validRange returns the output indices [lo, hi] whose window offset d lands inside [0, n),
	// and the input positions they land on (first, last).
	validRange := func(d, out, lo, n int) (iLo, iHi, first, last int) {
		iLo = max(0, (lo-d+stride-1)/stride) // ceil((lo-d)/stride), or 0 when the offset is past lo.
		iHi = min(out-1, floorDiv(n-1+lo-d, stride))
		return iLo, iHi, d + iLo*stride - lo, d + iHi*stride - lo
	}
	var sum *Node
	for dy := range k {
		iLo, iHi, rowFirst, rowLast := validRange(dy, outH, hLo, h)
		if iLo > iHi {
			continue
		}
		for dx := range k {
			jLo, jHi, colFirst, colLast := validRange(dx, outW, wLo, w)
			if jLo > jHi {
				continue
			}
			s := dy*k + dx
			g := Slice(v, AxisRange(s*cIn, (s+1)*cIn), AxisRange(iLo, iHi+1), AxisRange(jLo, jHi+1), AxisRange())
			g = Pad(g, ScalarZero(v.Graph(), v.DType()), compute.PadAxis{},
				compute.PadAxis{Start: rowFirst, End: h - 1 - rowLast, Interior: stride - 1},
				compute.PadAxis{Start: colFirst, End: w - 1 - colLast, Interior: stride - 1},
				compute.PadAxis{})
			if sum == nil {
				sum = g
			} else {
				sum = Add(sum, g)
			}
		}
	}
	if sum == nil {
		return Zeros(v.Graph(), shapes.Make(v.DType(), cIn, h, w, vd[3]))
	}
	return sum
}

// floorDiv is a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// customGradient is customGradients for a single input x.
func customGradient(x *Node, forward func(xs, zero *Node) *Node, grad func(xs, v *Node) *Node) *Node {
	return customGradients([]*Node{x},
		func(xs []*Node, zero *Node) *Node { return forward(xs[0], zero) },
		func(xs []*Node, v *Node) []*Node { return []*Node{grad(xs[0], v)} })
}

// customGradients returns forward(xs, zero) -- where xs are the inputs x (same values), and zero
// is a scalar 0 that forward must add to one of its (preferably small) operands -- and makes the
// gradients with respect to the inputs equal to grad(xs, v), one per input, v being the gradient
// with respect to the returned node. Gradients with respect to other nodes that forward uses
// flow through forward normally.
//
// GoMLX only offers IdentityWithCustomGradient, so this chains them: one on the output records
// v; one on each input, linked to the output through zero (its first element times 0), replaces
// the gradient autodiff would have computed for it by grad(xs, v) (built once, on the first
// request). Reverse autodiff visits the output before the inputs, so v is known by then. The
// bypassed gradients -- what autodiff derives through forward and zero -- are never used and the
// backend drops them; that is also why forward may use the inputs directly (no StopGradient,
// whose identity would copy a large input).
func customGradients(xs []*Node, forward func(xs []*Node, zero *Node) *Node, grad func(xs []*Node, v *Node) []*Node) *Node {
	var captured *Node
	var grads []*Node
	xcs := make([]*Node, len(xs))
	var zero *Node
	for i, x := range xs {
		xcs[i] = IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			if captured == nil {
				Panicf("models: customGradients: the gradient of input #%d %s was requested before the output's", i, x.Shape())
			}
			if grads == nil {
				grads = grad(xcs, captured)
			}
			return grads[i]
		})
		first := make([]SliceAxisSpec, x.Rank())
		for a := range first {
			first[a] = AxisRange(0, 1)
		}
		z := MulScalar(Reshape(Slice(xcs[i], first...)), 0)
		if zero == nil {
			zero = z
		} else {
			zero = Add(zero, z)
		}
	}
	y := forward(xcs, zero)
	return IdentityWithCustomGradient(y, func(_, v *Node) *Node {
		captured = v
		return v
	})
}

// ReLU is max(x, 0) written as Where(x > 0, x, 0), whose gradient is one Where; GoMLX's
// activation.Relu differentiates Max through two Sign ops and several full-size passes, which
// the Go backend runs slowly. Same shape as x.
func ReLU(x *Node) *Node {
	zero := ScalarZero(x.Graph(), x.DType())
	return Where(GreaterThan(x, zero), x, zero)
}

// MaxPool2BiasReLU is ReLU(MaxPool2(x) + bias) -- equal to MaxPool2(ReLU(x + bias)), since the
// bias is constant over each window and ReLU is monotonic -- for x [c, h, w, batch] (chwb) or
// [batch, h, w, c], bias [c] or nil; returns [c, h/2, w/2, batch] or [batch, h/2, w/2, c] (odd
// trailing rows/columns dropped). On the Go backend (ParamFastOps) the pooling is one ReduceWindow
// op and its gradient (GoMLX's) one SelectAndScatter, which the patched backend runs in one pass
// each (third_party/README.md; the gradient goes to the first maximum of each window, as in
// PyTorch), and the bias and the ReLU apply to the 4x smaller pooled tensor. Elsewhere GoMLX's
// MaxPool. scope may be nil (auto mode).
func MaxPool2BiasReLU(scope *model.Scope, x, bias *Node, chwb bool) *Node {
	if x.Rank() != 4 {
		Panicf("models.MaxPool2BiasReLU: x must have rank 4, got %s", x.Shape())
	}
	d := x.Shape().Dimensions
	if d[1] < 2 || d[2] < 2 {
		Panicf("models.MaxPool2BiasReLU: spatial size %dx%d smaller than the 2x2 window", d[1], d[2])
	}
	chAxis := 3
	if chwb {
		chAxis = 0
	}
	if bias != nil && (bias.Rank() != 1 || bias.Shape().Dimensions[0] != d[chAxis]) {
		Panicf("models.MaxPool2BiasReLU: bias must be [%d], got %s", d[chAxis], bias.Shape())
	}
	var pooled *Node
	if useFastOps(scope, x.Graph()) {
		win := []int{1, 2, 2, 1}
		pooled = BackendReduceWindow(x, compute.ReduceOpMax, win, win, nil, nil, nil)
	} else {
		if chwb {
			x = TransposeAllAxes(x, 3, 1, 2, 0)
		}
		pooled = MaxPool(x).Window(2).Done()
		if chwb {
			pooled = TransposeAllAxes(pooled, 3, 1, 2, 0)
		}
	}
	if bias != nil {
		dims := []int{1, 1, 1, 1}
		dims[chAxis] = d[chAxis]
		pooled = Add(pooled, Reshape(bias, dims...))
	}
	// ReLU as one Max forward (ReLU's Where needs a comparison pass first) with the gradient of
	// ReLU, one Where (Max's own goes through Sign ops).
	return customGradient(pooled,
		func(xs, zero *Node) *Node { return Max(xs, zero) },
		func(xs, v *Node) *Node {
			zero := ScalarZero(v.Graph(), v.DType())
			return Where(GreaterThan(xs, zero), v, zero)
		})
}

// convBias returns the bias variable [channels] of the Conv2D built in scope (sub-scope "conv",
// "biases", as Conv2D names it), for a convolution built with UseBias(false) whose bias is added
// later (MaxPool2BiasReLU). The Conv2D must have been built first (it visits the sub-scope).
func convBias(scope *model.Scope, g *Graph, dtype dtypes.DType, channels int) *Node {
	return scope.Shared("conv").VariableWithShape("biases", shapes.Make(dtype, channels)).NodeValue(g)
}

// MaxPool2ReLU is ReLU(MaxPool2(x)) -- equal to MaxPool2(ReLU(x)), since ReLU is monotonic --
// for x [batch, h, w, c], or [c, h, w, batch] when chwb is set (see ConvCHWB); returns the pooled
// shape ([batch, h/2, w/2, c] or [c, h/2, w/2, batch]). On the Go backend (ParamFastOps) the
// ReLU runs on the 4x smaller pooled tensor and the gradient is set by hand to two full-size
// passes: v routed to the maximum of each window where the maximum is positive (all tied maxima
// receive it). Elsewhere it is GoMLX's MaxPool followed by ReLU.
func MaxPool2ReLU(scope *model.Scope, x *Node, chwb bool) *Node {
	if x.Rank() != 4 {
		Panicf("models.MaxPool2ReLU: x must have rank 4, got %s", x.Shape())
	}
	if !useFastOps(scope, x.Graph()) {
		if chwb {
			x = TransposeAllAxes(x, 3, 1, 2, 0)
		}
		y := ReLU(MaxPool(x).Window(2).Done())
		if chwb {
			y = TransposeAllAxes(y, 3, 1, 2, 0)
		}
		return y
	}
	// Both layouts have the spatial axes at 1 and 2.
	d := x.Shape().Dimensions
	h, w := d[1], d[2]
	if h < 2 || w < 2 {
		Panicf("models.MaxPool2ReLU: spatial size %dx%d smaller than the 2x2 window", h, w)
	}
	h2, w2 := h/2, w/2
	if h%2 != 0 || w%2 != 0 {
		x = Slice(x, AxisRange(), AxisRange(0, 2*h2), AxisRange(0, 2*w2), AxisRange())
	}
	// The four window positions as same-shape tensors [d0*h2, w2, d3] (Slices of contiguous d3
	// runs), so that every element-wise op below runs without broadcasting.
	rows, outDims := d[0]*h2, []int{d[0], h2, w2, d[3]}
	var parts [2][2]*Node // parts[i][j]: row i, column j of each window; set by forward.
	var pooled *Node      // [rows, w2, d3], the window maxima before the ReLU.
	return customGradient(Reshape(x, rows, 2, w2, 2, d[3]),
		func(xs, zero *Node) *Node {
			for i := range 2 {
				for j := range 2 {
					parts[i][j] = Reshape(Slice(xs, AxisRange(), AxisElem(i), AxisRange(), AxisElem(j), AxisRange()),
						rows, w2, d[3])
				}
			}
			pooled = Max(Max(parts[0][0], parts[0][1]), Max(parts[1][0], parts[1][1]))
			return Reshape(Max(pooled, zero), outDims...) // zero is a scalar 0: the ReLU.
		},
		func(_, v *Node) *Node {
			zero := ScalarZero(v.Graph(), v.DType())
			v = Where(GreaterThan(pooled, zero), Reshape(v, rows, w2, d[3]), zero)
			var windowRows [2]*Node // [rows, 1, w2*2*d3] each.
			for i := range 2 {
				var cols [2]*Node // [rows, w2, 1, d3] each.
				for j := range 2 {
					cols[j] = Reshape(Where(Equal(parts[i][j], pooled), v, zero), rows, w2, 1, d[3])
				}
				windowRows[i] = Reshape(Concatenate(cols[:], 2), rows, 1, w2*2*d[3])
			}
			return Reshape(Concatenate(windowRows[:], 1), rows, 2, w2, 2, d[3])
		})
}
