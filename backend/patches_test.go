package backend_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/embviz/embviz/backend"
)

// The tests below check the ops that embviz's patched copy of the Go backend
// (third_party/compute, see third_party/README.md) executes through new fast paths -- Slice,
// broadcasting binary ops, reductions and ConvertDType from bool -- against naive reference
// implementations, on shapes that take both the fast and the fallback paths.

// randFlat returns n uniform values in [-2, 2) rounded to quarters, so that ties (equal values)
// are common, as they are in max-pooling masks.
func randFlat(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.IntN(16)-8) / 4
	}
	return v
}

// filled returns n copies of v.
func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// strides returns the row-major strides of dims.
func strides(dims []int) []int {
	s := make([]int, len(dims))
	st := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = st
		st *= dims[i]
	}
	return s
}

// unflatten returns the multi-index of flat index i in dims.
func unflatten(i int, dims []int) []int {
	idx := make([]int, len(dims))
	for a := len(dims) - 1; a >= 0; a-- {
		idx[a] = i % dims[a]
		i /= dims[a]
	}
	return idx
}

func exec1(t *testing.T, fn func(g *Graph, in []*Node) *Node, inputs ...*tensors.Tensor) *tensors.Tensor {
	t.Helper()
	args := make([]any, len(inputs))
	for i, x := range inputs {
		args[i] = x
	}
	out := MustExecOnce(backend.Must(), func(in []*Node) *Node { return fn(in[0].Graph(), in) }, args...)
	return out
}

func TestPatchedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		dims, starts, limits, strides []int
	}{
		{[]int{32, 30, 30, 64}, []int{0, 1, 2, 0}, []int{32, 29, 30, 64}, []int{1, 1, 1, 1}},     // im2col window, runs of 28*64.
		{[]int{32, 30, 30, 64}, []int{0, 0, 1, 0}, []int{32, 30, 29, 64}, []int{1, 2, 2, 1}},     // strided outer axes, runs of 64.
		{[]int{288, 1000}, []int{32, 0}, []int{64, 1000}, []int{1, 1}},                           // rows: one run.
		{[]int{10, 12}, []int{1, 2}, []int{9, 11}, []int{1, 3}},                                  // strided inner axis: fallback.
		{[]int{5, 6, 7}, []int{1, 0, 3}, []int{4, 6, 7}, []int{2, 1, 1}},                         // runs of 4 < 8: fallback.
		{[]int{4, 9, 16}, []int{0, 0, 0}, []int{4, 9, 16}, []int{1, 1, 1}},                       // whole tensor.
		{[]int{3, 1, 40}, []int{1, 0, 5}, []int{3, 1, 37}, []int{1, 1, 1}},                       // size-1 axis.
		{[]int{2, 3, 4, 5, 6}, []int{1, 0, 1, 0, 0}, []int{2, 3, 4, 5, 6}, []int{1, 2, 2, 1, 1}}, // rank 5, runs of 30.
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, size(c.dims))
			specs := make([]SliceAxisSpec, len(c.dims))
			outDims := make([]int, len(c.dims))
			for a := range c.dims {
				specs[a] = AxisRange(c.starts[a], c.limits[a]).Stride(c.strides[a])
				outDims[a] = (c.limits[a] - c.starts[a] + c.strides[a] - 1) / c.strides[a]
			}
			got := exec1(t, func(_ *Graph, in []*Node) *Node { return Slice(in[0], specs...) },
				tensors.FromFlatDataAndDimensions(x, c.dims...))
			if !slices.Equal(got.Shape().Dimensions, outDims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
			}
			flat := tensors.MustCopyFlatData[float32](got)
			st := strides(c.dims)
			for i, v := range flat {
				idx := unflatten(i, outDims)
				src := 0
				for a := range idx {
					src += (c.starts[a] + idx[a]*c.strides[a]) * st[a]
				}
				if v != x[src] {
					t.Fatalf("element %v = %g, want %g", idx, v, x[src])
				}
			}
		})
	}
}

func TestPatchedBroadcastBinaryOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapePairs := [][2][]int{
		{{32, 50}, {32, 1}},                      // bias add: runs of 50 with the rhs fixed.
		{{32, 1}, {32, 50}},                      // broadcast lhs.
		{{4, 7, 1, 5, 1, 8}, {4, 7, 2, 5, 2, 8}}, // max-pool gradient mask.
		{{1, 6, 1}, {5, 6, 9}},                   // broadcast on both sides of a kept axis.
		{{5, 1, 9}, {1, 6, 1}},                   // both operands broadcast on different axes.
		{{3, 4}, {3, 4}},                         // same shape.
		{{2, 1, 3, 1, 1}, {2, 5, 3, 4, 1}},       // size-1 output axis inside.
	}
	type binOp struct {
		name string
		fn   func(a, b *Node) *Node
		ref  func(a, b float32) float32
	}
	b2f := func(b bool) float32 {
		if b {
			return 1
		}
		return 0
	}
	ops := []binOp{
		{"Add", Add, func(a, b float32) float32 { return a + b }},
		{"Mul", Mul, func(a, b float32) float32 { return a * b }},
		{"Sub", Sub, func(a, b float32) float32 { return a - b }},
		{"Max", Max, func(a, b float32) float32 { return max(a, b) }},
		{"Equal", func(a, b *Node) *Node { return ConvertDType(Equal(a, b), a.DType()) },
			func(a, b float32) float32 { return b2f(a == b) }},
		{"GreaterThan", func(a, b *Node) *Node { return ConvertDType(GreaterThan(a, b), a.DType()) },
			func(a, b float32) float32 { return b2f(a > b) }},
	}
	for _, pair := range shapePairs {
		lDims, rDims := pair[0], pair[1]
		outDims := make([]int, len(lDims))
		for a := range outDims {
			outDims[a] = max(lDims[a], rDims[a])
		}
		l, r := randFlat(rng, size(lDims)), randFlat(rng, size(rDims))
		lSt, rSt := strides(lDims), strides(rDims)
		for _, op := range ops {
			t.Run(fmt.Sprintf("%s%v%v", op.name, lDims, rDims), func(t *testing.T) {
				got := exec1(t, func(_ *Graph, in []*Node) *Node {
					return op.fn(BroadcastToDims(in[0], outDims...), BroadcastToDims(in[1], outDims...))
				}, tensors.FromFlatDataAndDimensions(l, lDims...), tensors.FromFlatDataAndDimensions(r, rDims...))
				got2 := exec1(t, func(_ *Graph, in []*Node) *Node { return op.fn(in[0], in[1]) },
					tensors.FromFlatDataAndDimensions(l, lDims...), tensors.FromFlatDataAndDimensions(r, rDims...))
				for _, res := range []*tensors.Tensor{got, got2} {
					flat := tensors.MustCopyFlatData[float32](res)
					if len(flat) != size(outDims) {
						t.Fatalf("got %d elements, want %d", len(flat), size(outDims))
					}
					for i, v := range flat {
						idx := unflatten(i, outDims)
						li, ri := 0, 0
						for a := range idx {
							li += min(idx[a], lDims[a]-1) * lSt[a]
							ri += min(idx[a], rDims[a]-1) * rSt[a]
						}
						if want := op.ref(l[li], r[ri]); v != want {
							t.Fatalf("element %v = %g, want %g", idx, v, want)
						}
					}
				}
			})
		}
	}
}

func TestPatchedReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		dims []int
		axes []int
	}{
		{[]int{32, 500}, []int{1}},             // bias gradient: inner runs folded.
		{[]int{500, 32}, []int{0}},             // batch sum: outer axis, runs kept.
		{[]int{4, 7, 2, 5, 2, 8}, []int{2, 4}}, // max-pool windows: interleaved.
		{[]int{3, 1, 4, 1, 6}, []int{1, 2}},    // size-1 axes.
		{[]int{6, 5, 4}, []int{0, 1, 2}},       // everything.
		{[]int{6, 5, 4}, []int{0, 2}},
	}
	type redOp struct {
		name string
		fn   func(x *Node, axes ...int) *Node
		init float32
		ref  func(acc, v float32) float32
	}
	ops := []redOp{
		{"Sum", ReduceSum, 0, func(acc, v float32) float32 { return acc + v }},
		{"Max", ReduceMax, float32(-1e30), func(acc, v float32) float32 { return max(acc, v) }},
		{"Min", ReduceMin, float32(1e30), func(acc, v float32) float32 { return min(acc, v) }},
		{"Product", ReduceMultiply, 1, func(acc, v float32) float32 { return acc * v }},
	}
	for _, c := range cases {
		x := randFlat(rng, size(c.dims))
		var outDims []int
		for a, d := range c.dims {
			if !slices.Contains(c.axes, a) {
				outDims = append(outDims, d)
			}
		}
		for _, op := range ops {
			t.Run(fmt.Sprintf("%s%v%v", op.name, c.dims, c.axes), func(t *testing.T) {
				got := exec1(t, func(_ *Graph, in []*Node) *Node { return op.fn(in[0], c.axes...) },
					tensors.FromFlatDataAndDimensions(x, c.dims...))
				want := filled(size(outDims), op.init)
				outSt := strides(outDims)
				// Same order as the backend's original element-by-element loop: flat operand order.
				for i, v := range x {
					idx := unflatten(i, c.dims)
					o, k := 0, 0
					for a := range idx {
						if !slices.Contains(c.axes, a) {
							o += idx[a] * outSt[k]
							k++
						}
					}
					want[o] = op.ref(want[o], v)
				}
				if flat := tensors.MustCopyFlatData[float32](got); !slices.Equal(flat, want) {
					t.Fatalf("got %v\nwant %v", flat, want)
				}
			})
		}
	}
}

func TestPatchedWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 1000
	cond, onTrue, onFalse := make([]bool, n), randFlat(rng, n), randFlat(rng, n)
	for i := range cond {
		cond[i] = rng.IntN(2) == 0
	}
	for _, c := range []struct {
		name                    string
		scalarTrue, scalarFalse bool
	}{{"arrays", false, false}, {"scalar false", false, true}, {"scalar true", true, false}, {"scalars", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			got := exec1(t, func(g *Graph, in []*Node) *Node {
				tr, fa := in[1], in[2]
				if c.scalarTrue {
					tr = Const(g, float32(7))
				}
				if c.scalarFalse {
					fa = Const(g, float32(-7))
				}
				return Where(in[0], tr, fa)
			}, tensors.FromValue(cond), tensors.FromValue(onTrue), tensors.FromValue(onFalse))
			for i, v := range tensors.MustCopyFlatData[float32](got) {
				want := onFalse[i]
				if c.scalarFalse {
					want = -7
				}
				if cond[i] {
					want = onTrue[i]
					if c.scalarTrue {
						want = 7
					}
				}
				if v != want {
					t.Fatalf("element %d (condition %v) = %g, want %g", i, cond[i], v, want)
				}
			}
		})
	}
}

func TestPatchedPad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cases := []struct {
		dims []int
		pads [][3]int // Per axis: start, end, interior.
		fill float32
	}{
		{[]int{3, 14, 14, 8}, [][3]int{{0, 0, 0}, {1, 1, 0}, {1, 1, 0}, {0, 0, 0}}, 0}, // im2col "same" padding.
		{[]int{3, 14, 14, 8}, [][3]int{{0, 0, 0}, {2, 0, 0}, {0, 2, 0}, {0, 0, 0}}, 0}, // a window's gradient.
		{[]int{4, 5}, [][3]int{{1, 2, 0}, {3, 0, 0}}, 0},
		{[]int{4, 5}, [][3]int{{1, 2, 0}, {0, 0, 0}}, 0},   // rows only: one block per row group.
		{[]int{4, 5}, [][3]int{{0, 1, 1}, {1, 0, 2}}, 0},   // interior: zero-then-copy path.
		{[]int{4, 5}, [][3]int{{1, 1, 0}, {1, 1, 0}}, 2.5}, // non-zero fill.
		{[]int{0, 5}, [][3]int{{1, 1, 0}, {0, 0, 0}}, 0},   // empty operand.
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, size(c.dims))
			outDims := make([]int, len(c.dims))
			cfg := make([]compute.PadAxis, len(c.dims))
			for a, d := range c.dims {
				p := c.pads[a]
				cfg[a] = compute.PadAxis{Start: p[0], End: p[1], Interior: p[2]}
				outDims[a] = d + p[0] + p[1] + max(d-1, 0)*p[2]
			}
			want := filled(size(outDims), c.fill)
			outSt := strides(outDims)
			for i, v := range x {
				idx := unflatten(i, c.dims)
				o := 0
				for a := range idx {
					o += (c.pads[a][0] + idx[a]*(1+c.pads[a][2])) * outSt[a]
				}
				want[o] = v
			}
			got := exec1(t, func(g *Graph, in []*Node) *Node { return Pad(in[0], Const(g, c.fill), cfg...) },
				tensors.FromFlatDataAndDimensions(x, c.dims...))
			if !slices.Equal(got.Shape().Dimensions, outDims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
			}
			if flat := tensors.MustCopyFlatData[float32](got); !slices.Equal(flat, want) {
				t.Fatalf("got %v\nwant %v", flat, want)
			}
			// Stale data in a buffer reused from the backend's pool must not leak through the gaps:
			// free a buffer of the output's shape full of 7s, then pad again.
			// In one graph: a buffer of the output's size full of 7s is freed just before Pad runs.
			for range 5 {
				got = exec1(t, func(g *Graph, in []*Node) *Node {
					dirty := AddScalar(Zeros(g, shapes.Make(dtypes.Float32, outDims...)), 7)
					xs := Add(in[0], MulScalar(ReduceAllMax(dirty), 0))
					return Pad(xs, Const(g, c.fill), cfg...)
				}, tensors.FromFlatDataAndDimensions(x, c.dims...))
				if flat := tensors.MustCopyFlatData[float32](got); !slices.Equal(flat, want) {
					t.Fatalf("after a reused buffer: got %v\nwant %v", flat, want)
				}
			}
		})
	}
}

// TestPatchedNoDeadlock runs graphs whose independent ops split their work across the backend's
// worker pool from inside the pool: eight matrix products (each one calls the pool's Saturate)
// and eight chunked element-wise Erf or fused GELU ops (PLATFORM.md's hang). Upstream, a full pool of such callers waited on each
// other forever (the process sat at 0% CPU); the patched pool never makes a caller wait.
func TestPatchedNoDeadlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a, b := randFlat(rng, 64*288), randFlat(rng, 288*2048)
	x := randFlat(rng, 1<<17)
	// sum8 adds up ReduceAllSum(op(i)) for 8 independent ops.
	sum8 := func(op func(i int) *Node) *Node {
		sum := ReduceAllSum(op(0))
		for i := 1; i < 8; i++ {
			sum = Add(sum, ReduceAllSum(op(i)))
		}
		return sum
	}
	graphs := []struct {
		name string
		fn   func(g *Graph, in []*Node) *Node
	}{
		{"8 products", func(g *Graph, in []*Node) *Node {
			return sum8(func(i int) *Node { return Dot(AddScalar(in[0], float64(i)), in[1]).Product() })
		}},
		{"8 fused GELU", func(g *Graph, in []*Node) *Node {
			return sum8(func(i int) *Node { return BackendFusedGelu(AddScalar(in[2], float64(i)/8), true) })
		}},
		{"8 Erf", func(g *Graph, in []*Node) *Node {
			return sum8(func(i int) *Node { return Erf(AddScalar(in[2], float64(i)/8)) })
		}},
	}
	for _, gr := range graphs {
		t.Run(gr.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				var err error
				for range 20 { // The hang was intermittent upstream: run it a few times.
					if err = exceptionsTry(func() {
						exec1(t, gr.fn, tensors.FromFlatDataAndDimensions(a, 64, 288),
							tensors.FromFlatDataAndDimensions(b, 288, 2048), tensors.FromFlatDataAndDimensions(x, len(x)))
					}); err != nil {
						break
					}
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("the graph did not finish in 2 minutes: the backend's worker pool deadlocked")
			}
		})
	}
}

// exceptionsTry runs fn and returns its panic as an error.
func exceptionsTry(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	fn()
	return nil
}

func TestPatchedTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		dims, perm []int
	}{
		{[]int{4, 50, 4, 64}, []int{0, 2, 1, 3}}, // attention heads: runs of 64.
		{[]int{4, 50, 4, 64}, []int{2, 0, 1, 3}},
		{[]int{3, 5, 16, 8}, []int{1, 0, 2, 3}},   // runs of 16*8.
		{[]int{3, 5, 16, 1}, []int{1, 0, 2, 3}},   // a size-1 axis inside the run.
		{[]int{6, 7, 8}, []int{0, 1, 2}},          // identity: one copy.
		{[]int{64, 7, 7, 64}, []int{3, 1, 2, 0}},  // CHWB <-> NHWC: no run; strided rows of 64.
		{[]int{64, 28, 28, 1}, []int{3, 1, 2, 0}}, // trailing size-1 axis: strided rows of 28.
		{[]int{7, 7, 64, 32}, []int{3, 2, 0, 1}},  // denseCHWB's weights: strided rows of 32.
		{[]int{5, 4, 3}, []int{0, 2, 1}},          // rows of 3 < 4: the iterator.
		{[]int{4160, 256}, []int{1, 0}},           // a dense layer's activations: 32x32 tiles.
		{[]int{2, 3, 65, 40}, []int{0, 1, 3, 2}},  // batched, partial tiles.
		{[]int{3, 70, 9}, []int{0, 2, 1}},         // batched, one partial tile wide.
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, size(c.dims))
			got := exec1(t, func(_ *Graph, in []*Node) *Node { return TransposeAllAxes(in[0], c.perm...) },
				tensors.FromFlatDataAndDimensions(x, c.dims...))
			outDims := make([]int, len(c.dims))
			for a, p := range c.perm {
				outDims[a] = c.dims[p]
			}
			if !slices.Equal(got.Shape().Dimensions, outDims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
			}
			inSt := strides(c.dims)
			for i, v := range tensors.MustCopyFlatData[float32](got) {
				idx := unflatten(i, outDims)
				src := 0
				for a, p := range c.perm {
					src += idx[a] * inSt[p]
				}
				if v != x[src] {
					t.Fatalf("output %v = %g, want %g", idx, v, x[src])
				}
			}
		})
	}
}

// TestPatchedUnaryChunks checks the math-based unary ops, which now run in chunks of 1024 elements
// (clearing the AVX upper state between chunks), against the math package on 3000 values.
func TestPatchedUnaryChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	x := randFlat(rng, 3000)
	for i := range x {
		x[i] += rng.Float32() / 8 // Not only quarters.
	}
	ops := []struct {
		name string
		fn   func(*Node) *Node
		ref  func(float64) float64
	}{
		{"Exp", Exp, math.Exp},
		{"Tanh", Tanh, math.Tanh},
		{"Log", func(x *Node) *Node { return Log(AddScalar(Abs(x), 1)) }, func(v float64) float64 { return math.Log(float64(float32(math.Abs(v)) + 1)) }},
		{"Logistic", Sigmoid, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
	}
	for _, op := range ops {
		got := tensors.MustCopyFlatData[float32](exec1(t, func(_ *Graph, in []*Node) *Node { return op.fn(in[0]) },
			tensors.FromFlatDataAndDimensions(x, len(x))))
		for i, v := range got {
			if want := float32(op.ref(float64(x[i]))); math.Abs(float64(v-want)) > 1e-6*math.Max(1, math.Abs(float64(want))) {
				t.Fatalf("%s(%g) at %d = %g, want %g", op.name, x[i], i, v, want)
			}
		}
	}
}

// TestPatchedConvCHWB checks ConvGeneral in the channels-first, batch-last layout (input
// [cIn, h, w, batch], kernel [kh, kw, cIn, cOut], output [cOut, outH, outW, batch]), which the
// patched backend runs as an implicit im2col product in blocks of columns, against direct loops:
// the benchmark CNN's two layers, strides, asymmetric and valid paddings, a 5x5 kernel, odd batch
// sizes (blocks that start inside a batch run and cross output rows), and an output buffer
// reused from the backend's pool (every element must be written).
func TestPatchedConvCHWB(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		cIn, h, w, batch, kh, kw, cOut int
		strides                        []int
		pads                           [][2]int
	}{
		{1, 28, 28, 8, 3, 3, 32, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}},   // conv1.
		{32, 14, 14, 64, 3, 3, 64, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}}, // conv2: 288 rows, many blocks.
		{3, 9, 11, 5, 3, 3, 7, []int{2, 2}, [][2]int{{1, 1}, {0, 1}}},     // strides, asymmetric padding.
		{2, 8, 7, 3, 3, 2, 5, []int{1, 2}, [][2]int{{0, 0}, {0, 0}}},      // valid, rectangular kernel.
		{4, 10, 10, 7, 5, 5, 3, []int{1, 1}, [][2]int{{2, 2}, {2, 2}}},    // 5x5 kernel.
		{64, 20, 20, 33, 3, 3, 16, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}}, // blocks start inside batch runs.
		{2, 3, 3, 2, 3, 3, 4, []int{1, 1}, [][2]int{{3, 0}, {0, 3}}},      // windows entirely in the padding.
	}
	axes := compute.ConvolveAxesConfig{
		InputChannels: 0, InputSpatial: []int{1, 2}, InputBatch: 3,
		KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
		OutputChannels: 0, OutputSpatial: []int{1, 2}, OutputBatch: 3,
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, c.cIn*c.h*c.w*c.batch)
			k := randFlat(rng, c.kh*c.kw*c.cIn*c.cOut)
			outH := (c.h+c.pads[0][0]+c.pads[0][1]-c.kh)/c.strides[0] + 1
			outW := (c.w+c.pads[1][0]+c.pads[1][1]-c.kw)/c.strides[1] + 1
			outDims := []int{c.cOut, outH, outW, c.batch}
			want := make([]float32, size(outDims))
			for o := range c.cOut {
				for oh := range outH {
					for ow := range outW {
						for b := range c.batch {
							var sum float32
							for dy := range c.kh {
								ih := oh*c.strides[0] + dy - c.pads[0][0]
								if ih < 0 || ih >= c.h {
									continue
								}
								for dx := range c.kw {
									iw := ow*c.strides[1] + dx - c.pads[1][0]
									if iw < 0 || iw >= c.w {
										continue
									}
									for ci := range c.cIn {
										sum += x[((ci*c.h+ih)*c.w+iw)*c.batch+b] * k[((dy*c.kw+dx)*c.cIn+ci)*c.cOut+o]
									}
								}
							}
							want[((o*outH+oh)*outW+ow)*c.batch+b] = sum
						}
					}
				}
			}
			conv := func(x, k *Node) *Node {
				return ConvGeneral(x, k, axes, c.strides, c.pads, nil, nil, 1, 1)
			}
			for _, dirty := range []bool{false, true} {
				got := exec1(t, func(g *Graph, in []*Node) *Node {
					xs := in[0]
					if dirty { // A freed buffer of the output's shape full of 7s, just before the conv.
						d := AddScalar(Zeros(g, shapes.Make(dtypes.Float32, outDims...)), 7)
						xs = Add(xs, MulScalar(ReduceAllMax(d), 0))
					}
					return conv(xs, in[1])
				}, tensors.FromFlatDataAndDimensions(x, c.cIn, c.h, c.w, c.batch),
					tensors.FromFlatDataAndDimensions(k, c.kh, c.kw, c.cIn, c.cOut))
				if !slices.Equal(got.Shape().Dimensions, outDims) {
					t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
				}
				flat := tensors.MustCopyFlatData[float32](got)
				for j, v := range flat {
					if d := math.Abs(float64(v - want[j])); d > 1e-4*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("dirty=%v: element %v = %g, want %g", dirty, unflatten(j, outDims), v, want[j])
					}
				}
			}
		})
	}
}

// TestPatchedMaxPool2 checks ReduceWindow's fast path for 2x2, stride-2 max pooling over axes 1
// and 2 of float32 rank-4 tensors (embviz's CNN pooling in inference) against direct loops: the
// CNN's two pooling shapes (one of them split in chunks among workers), odd sizes (trailing
// rows/columns dropped), a batch of 1, and a 3x3 window, which takes the generic executor.
func TestPatchedMaxPool2(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	cases := []struct {
		dims   []int
		window int
	}{
		{[]int{32, 28, 28, 64}, 2},
		{[]int{64, 14, 14, 8}, 2},
		{[]int{3, 7, 9, 5}, 2},
		{[]int{2, 5, 4, 1}, 2},
		{[]int{2, 7, 8, 3}, 3},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, size(c.dims))
			k := c.window
			d0, h, w, d3 := c.dims[0], c.dims[1], c.dims[2], c.dims[3]
			oh, ow := (h-k)/k+1, (w-k)/k+1
			outDims := []int{d0, oh, ow, d3}
			want := make([]float32, size(outDims))
			for a := range d0 {
				for i := range oh {
					for j := range ow {
						for b := range d3 {
							m := float32(math.Inf(-1))
							for di := range k {
								for dj := range k {
									m = max(m, x[((a*h+i*k+di)*w+j*k+dj)*d3+b])
								}
							}
							want[((a*oh+i)*ow+j)*d3+b] = m
						}
					}
				}
			}
			win := []int{1, k, k, 1}
			got := exec1(t, func(_ *Graph, in []*Node) *Node {
				return BackendReduceWindow(in[0], compute.ReduceOpMax, win, win, nil, nil, nil)
			}, tensors.FromFlatDataAndDimensions(x, c.dims...))
			if !slices.Equal(got.Shape().Dimensions, outDims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
			}
			if flat := tensors.MustCopyFlatData[float32](got); !slices.Equal(flat, want) {
				t.Fatalf("pooled values differ from the reference")
			}
		})
	}
}

// TestPatchedConvCHWBKernelGrad checks ConvGeneral's fast path for the kernel gradient of a
// stride-1 CHWB convolution (x [cIn, h, w, batch] as the input with cIn as its batch axis, dY
// [cOut, outH, outW, batch] as the kernel, output [kh, kw, cIn, cOut]: how GoMLX and embviz's
// models write it) against direct loops: the benchmark CNN's two layers, valid and asymmetric
// paddings, a 5x5 kernel, blocks that split batch runs, and a reused output buffer.
func TestPatchedConvCHWBKernelGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	cases := []struct {
		cIn, h, w, batch, kh, kw, cOut int
		pads                           [][2]int
	}{
		{1, 28, 28, 8, 3, 3, 32, [][2]int{{1, 1}, {1, 1}}},   // conv1.
		{32, 14, 14, 64, 3, 3, 64, [][2]int{{1, 1}, {1, 1}}}, // conv2: many blocks.
		{3, 8, 9, 5, 3, 3, 4, [][2]int{{0, 0}, {0, 0}}},      // valid.
		{2, 7, 6, 3, 3, 2, 5, [][2]int{{2, 0}, {0, 1}}},      // asymmetric, rectangular kernel.
		{4, 10, 10, 7, 5, 5, 3, [][2]int{{2, 2}, {2, 2}}},    // 5x5.
		{64, 20, 20, 33, 3, 3, 16, [][2]int{{1, 1}, {1, 1}}}, // blocks start inside batch runs.
	}
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
		KernelOutputChannels: 0, KernelSpatial: []int{1, 2}, KernelInputChannels: 3,
		OutputSpatial: []int{0, 1}, OutputBatch: 2, OutputChannels: 3,
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			outH := c.h + c.pads[0][0] + c.pads[0][1] - c.kh + 1
			outW := c.w + c.pads[1][0] + c.pads[1][1] - c.kw + 1
			x := randFlat(rng, c.cIn*c.h*c.w*c.batch)
			dy := randFlat(rng, c.cOut*outH*outW*c.batch)
			outDims := []int{c.kh, c.kw, c.cIn, c.cOut}
			want := make([]float32, size(outDims))
			for ky := range c.kh {
				for kx := range c.kw {
					for ci := range c.cIn {
						for o := range c.cOut {
							var sum float32
							for oh := range outH {
								ih := oh + ky - c.pads[0][0]
								if ih < 0 || ih >= c.h {
									continue
								}
								for ow := range outW {
									iw := ow + kx - c.pads[1][0]
									if iw < 0 || iw >= c.w {
										continue
									}
									for b := range c.batch {
										sum += x[((ci*c.h+ih)*c.w+iw)*c.batch+b] * dy[((o*outH+oh)*outW+ow)*c.batch+b]
									}
								}
							}
							want[((ky*c.kw+kx)*c.cIn+ci)*c.cOut+o] = sum
						}
					}
				}
			}
			for _, dirty := range []bool{false, true} {
				got := exec1(t, func(g *Graph, in []*Node) *Node {
					xs := in[0]
					if dirty { // A freed buffer of the output's shape full of 7s, just before the conv.
						d := AddScalar(Zeros(g, shapes.Make(dtypes.Float32, outDims...)), 7)
						xs = Add(xs, MulScalar(ReduceAllMax(d), 0))
					}
					return ConvGeneral(xs, in[1], axes, []int{1, 1}, c.pads, nil, nil, 1, 1)
				}, tensors.FromFlatDataAndDimensions(x, c.cIn, c.h, c.w, c.batch),
					tensors.FromFlatDataAndDimensions(dy, c.cOut, outH, outW, c.batch))
				if !slices.Equal(got.Shape().Dimensions, outDims) {
					t.Fatalf("shape %v, want %v", got.Shape().Dimensions, outDims)
				}
				for j, v := range tensors.MustCopyFlatData[float32](got) {
					if d := math.Abs(float64(v - want[j])); d > 1e-3*(1+math.Abs(float64(want[j]))) {
						t.Fatalf("dirty=%v: element %v = %g, want %g", dirty, unflatten(j, outDims), v, want[j])
					}
				}
			}
		})
	}
}

// TestPatchedMatMul checks float32 matrix products, which the patched backend's AVX-512 path
// runs with a hand-written assembly micro-kernel (4 rows x 32 columns per tile), against float64
// loops: products with partial tiles on every side, several contracting panels (k > 128), a k of
// 1, both operand layouts (x·y and x·yᵀ) and a batched product.
func TestPatchedMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	cases := []struct {
		batch, m, k, n int
		transposed     bool
	}{
		{1, 64, 288, 12544, false}, // conv2's forward at batch 64.
		{1, 37, 300, 45, false},
		{1, 5, 1, 70, false},
		{1, 130, 129, 33, true},
		{3, 17, 260, 100, false},
		{1, 288, 900, 64, true},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, c.batch*c.m*c.k)
			y := randFlat(rng, c.batch*c.k*c.n)
			got := exec1(t, func(_ *Graph, in []*Node) *Node {
				if c.transposed { // y holds [batch, n, k].
					return DotGeneral(in[0], []int{2}, []int{0}, in[1], []int{2}, []int{0})
				}
				return DotGeneral(in[0], []int{2}, []int{0}, in[1], []int{1}, []int{0})
			}, tensors.FromFlatDataAndDimensions(x, c.batch, c.m, c.k), func() *tensors.Tensor {
				if c.transposed {
					return tensors.FromFlatDataAndDimensions(y, c.batch, c.n, c.k)
				}
				return tensors.FromFlatDataAndDimensions(y, c.batch, c.k, c.n)
			}())
			if want := []int{c.batch, c.m, c.n}; !slices.Equal(got.Shape().Dimensions, want) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, want)
			}
			flat := tensors.MustCopyFlatData[float32](got)
			for b := range c.batch {
				for r := range c.m {
					for col := 0; col < c.n; col += 1 + c.n/97 { // A sample of the columns.
						var want float64
						for j := range c.k {
							yv := y[(b*c.k+j)*c.n+col]
							if c.transposed {
								yv = y[(b*c.n+col)*c.k+j]
							}
							want += float64(x[(b*c.m+r)*c.k+j]) * float64(yv)
						}
						if v := flat[(b*c.m+r)*c.n+col]; math.Abs(float64(v)-want) > 1e-3*(1+math.Abs(want)) {
							t.Fatalf("[%d, %d, %d] = %g, want %g", b, r, col, v, want)
						}
					}
				}
			}
		})
	}
}

// TestPatchedMaxPool2Grad checks SelectAndScatter's fast path -- the gradient of 2x2, stride-2 max
// pooling over axes 1 and 2 (GoMLX's ReduceWindow gradient) -- against direct loops with the
// generic executor's selection rule: each window's first maximum in row-major order receives the
// upstream value (the quarter-step test values make ties common), everything else, odd trailing
// rows and columns included, is 0; also through a buffer reused from the backend's pool.
func TestPatchedMaxPool2Grad(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for i, dims := range [][]int{{32, 28, 28, 16}, {64, 14, 14, 8}, {3, 7, 9, 5}, {2, 5, 4, 1}} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			x := randFlat(rng, size(dims))
			d0, h, w, d3 := dims[0], dims[1], dims[2], dims[3]
			oh, ow := h/2, w/2
			v := randFlat(rng, d0*oh*ow*d3)
			want := make([]float32, len(x))
			for a := range d0 {
				for i := range oh {
					for j := range ow {
						for b := range d3 {
							best := -1
							for _, p := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
								idx := ((a*h+2*i+p[0])*w+2*j+p[1])*d3 + b
								if best < 0 || x[idx] > x[best] {
									best = idx
								}
							}
							want[best] += v[((a*oh+i)*ow+j)*d3+b]
						}
					}
				}
			}
			win := []int{1, 2, 2, 1}
			for _, dirty := range []bool{false, true} {
				got := exec1(t, func(g *Graph, in []*Node) *Node {
					xs := in[0]
					if dirty { // A freed buffer of x's shape full of 7s, just before the gradient.
						d := AddScalar(Zeros(g, shapes.Make(dtypes.Float32, dims...)), 7)
						xs = Add(xs, MulScalar(ReduceAllMax(d), 0))
					}
					pooled := BackendReduceWindow(xs, compute.ReduceOpMax, win, win, nil, nil, nil)
					return Gradient(ReduceAllSum(Mul(pooled, in[1])), xs)[0]
				}, tensors.FromFlatDataAndDimensions(x, dims...), tensors.FromFlatDataAndDimensions(v, d0, oh, ow, d3))
				if flat := tensors.MustCopyFlatData[float32](got); !slices.Equal(flat, want) {
					t.Fatalf("dirty=%v: gradient differs from the reference", dirty)
				}
			}
		})
	}
}

// TestPatchedMaxPool2SpecialValues checks the pooling fast path's vector lanes against Go's max
// on the values where a plain VMAXPS differs: NaN in any window position, +0 against -0 in either
// order, and infinities (bit patterns compared).
func TestPatchedMaxPool2SpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	vals := []float32{nan, negZero, 0, inf, -inf, 1, -1}
	const d3 = 32 // Two full vectors per window position.
	dims := []int{1, 2, 2 * len(vals) * len(vals), d3}
	x := make([]float32, size(dims))
	rng := rand.New(rand.NewPCG(21, 22))
	at := func(i, j, b int) *float32 { return &x[(i*dims[2]+j)*d3+b] }
	for p := range len(vals) * len(vals) {
		for b := range d3 { // Each window: two special values in random positions, randoms elsewhere.
			cells := [4]float32{float32(rng.IntN(3) - 1), float32(rng.IntN(3) - 1), vals[p/len(vals)], vals[p%len(vals)]}
			rng.Shuffle(4, func(i, j int) { cells[i], cells[j] = cells[j], cells[i] })
			*at(0, 2*p, b), *at(0, 2*p+1, b), *at(1, 2*p, b), *at(1, 2*p+1, b) = cells[0], cells[1], cells[2], cells[3]
		}
	}
	win := []int{1, 2, 2, 1}
	got := tensors.MustCopyFlatData[float32](exec1(t, func(_ *Graph, in []*Node) *Node {
		return BackendReduceWindow(in[0], compute.ReduceOpMax, win, win, nil, nil, nil)
	}, tensors.FromFlatDataAndDimensions(x, dims...)))
	for p := range len(vals) * len(vals) {
		for b := range d3 {
			want := max(max(*at(0, 2*p, b), *at(0, 2*p+1, b)), max(*at(1, 2*p, b), *at(1, 2*p+1, b)))
			if g := got[p*d3+b]; math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
				t.Fatalf("window %d lane %d: %v, want %v", p, b, g, want)
			}
		}
	}
}

// TestPatchedTanhFloat32 checks the AVX-512 float32 Tanh (ops/tanh_simd.go) against
// float32(math.Tanh(x)): at most one ulp apart everywhere, and equal on all but a 1e-4 share of
// the inputs; special values (±0, ±Inf, NaN, subnormals, the branch boundary 0.625, the clamp 9.5)
// exactly; lengths that leave a scalar tail. Inputs: a dense sweep of [-10, 10], the bit patterns
// of small magnitudes, and random normal values (GELU's inputs).
func TestPatchedTanhFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var x []float32
	for v := float32(-10); v <= 10; v += 1.0 / 4096 {
		x = append(x, v)
	}
	for b := uint32(0); b < 0x3f800000; b += 0x3f800000 / 40000 { // 0 .. 1 by bit pattern
		x = append(x, math.Float32frombits(b), -math.Float32frombits(b))
	}
	for range 100000 {
		x = append(x, float32(rng.NormFloat64()*3))
	}
	x = append(x, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(1), 1e-30, 0.625, -0.625, math.Nextafter32(0.625, 0), 9.5, -9.5, 9.0, 20, -1e30, 3)
	got := tensors.MustCopyFlatData[float32](exec1(t, func(_ *Graph, in []*Node) *Node { return Tanh(in[0]) },
		tensors.FromFlatDataAndDimensions(x, len(x))))
	off := 0
	for i, v := range got {
		want := float32(math.Tanh(float64(x[i])))
		if math.IsNaN(float64(want)) {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("Tanh(%g) = %g, want NaN", x[i], v)
			}
			continue
		}
		if v == want && math.Signbit(float64(v)) == math.Signbit(float64(want)) {
			continue
		}
		ulps := int64(math.Float32bits(v)) - int64(math.Float32bits(want))
		if math.Signbit(float64(v)) != math.Signbit(float64(want)) || ulps < -1 || ulps > 1 {
			t.Fatalf("Tanh(%g) at %d = %g (bits %08x), want %g (bits %08x)", x[i], i, v, math.Float32bits(v), want, math.Float32bits(want))
		}
		off++
	}
	if share := float64(off) / float64(len(x)); share > 1e-4 {
		t.Errorf("Tanh differs from float32(math.Tanh) by one ulp on %d of %d inputs (%.2g), want at most 1e-4", off, len(x), share)
	}
	t.Logf("%d of %d inputs one ulp from float32(math.Tanh), the rest equal", off, len(x))
	for _, n := range []int{1, 7, 9, 23} { // scalar tails
		xs := x[:n]
		g := tensors.MustCopyFlatData[float32](exec1(t, func(_ *Graph, in []*Node) *Node { return Tanh(in[0]) },
			tensors.FromFlatDataAndDimensions(xs, n)))
		for i := range g {
			if want := float32(math.Tanh(float64(xs[i]))); math.Abs(float64(g[i]-want)) > 1.2e-7 {
				t.Fatalf("n=%d: Tanh(%g) = %g, want %g", n, xs[i], g[i], want)
			}
		}
	}
}
