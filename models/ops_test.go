package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/embviz/embviz/backend"
)

// randTensor returns a tensor of the given dims with values uniform in [-1, 1) from seed.
func randTensor(seed uint64, dims ...int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// maxAbsDiff returns max |a-b| over two tensors of the same size, failing on size mismatch.
func maxAbsDiff(t *testing.T, a, b *tensors.Tensor) float64 {
	t.Helper()
	av, bv := tensors.MustCopyFlatData[float32](a), tensors.MustCopyFlatData[float32](b)
	if len(av) != len(bv) {
		t.Fatalf("sizes differ: %s vs %s", a.Shape(), b.Shape())
	}
	m := 0.0
	for i := range av {
		m = max(m, math.Abs(float64(av[i]-bv[i])))
	}
	return m
}

// refConv is a plain-Go convolution (cross-correlation) of x [b, h, w, cIn] with kernel
// [k, k, cIn, cOut], "same" padding as samePadding, the given stride: the reference for the
// graph implementations.
func refConv(x []float32, b, h, w, cIn int, kern []float32, k, cOut, stride int) ([]float32, int, int) {
	hLo, _ := samePadding(k)
	wLo, _ := samePadding(k)
	oh, ow := (h+stride-1)/stride, (w+stride-1)/stride
	out := make([]float32, b*oh*ow*cOut)
	for n := range b {
		for oy := range oh {
			for ox := range ow {
				for co := range cOut {
					var s float32
					for dy := range k {
						for dx := range k {
							iy, ix := oy*stride+dy-hLo, ox*stride+dx-wLo
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ci := range cIn {
								s += x[((n*h+iy)*w+ix)*cIn+ci] * kern[((dy*k+dx)*cIn+ci)*cOut+co]
							}
						}
					}
					out[((n*oh+oy)*ow+ox)*cOut+co] = s
				}
			}
		}
	}
	return out, oh, ow
}

func TestConvMatchesReference(t *testing.T) {
	be := backend.Must()
	for _, tc := range []struct{ b, h, w, cIn, k, cOut, stride int }{
		{2, 5, 6, 3, 3, 4, 1}, {1, 7, 7, 2, 3, 5, 2}, {2, 4, 4, 1, 1, 3, 1}, {1, 6, 5, 2, 5, 2, 1},
	} {
		x := randTensor(1, tc.b, tc.h, tc.w, tc.cIn)
		kern := randTensor(2, tc.k, tc.k, tc.cIn, tc.cOut)
		want, oh, ow := refConv(tensors.MustCopyFlatData[float32](x), tc.b, tc.h, tc.w, tc.cIn,
			tensors.MustCopyFlatData[float32](kern), tc.k, tc.cOut, tc.stride)
		wantT := tensors.FromFlatDataAndDimensions(want, tc.b, oh, ow, tc.cOut)
		outs := MustExecOnceN(be, func(x, kern *Node) []*Node {
			nhwc := Im2ColConv(x, kern, tc.stride, true)
			chwb := ConvCHWB(TransposeAllAxes(x, 3, 1, 2, 0), kern, nil, tc.stride, true)
			inference := ConvCHWBInference(TransposeAllAxes(x, 3, 1, 2, 0), kern, nil, tc.stride, true)
			gomlx := Convolve(x, kern).StridePerAxis(tc.stride, tc.stride).PadSame().Done()
			res := []*Node{gomlx, nhwc, TransposeAllAxes(chwb, 3, 1, 2, 0), TransposeAllAxes(inference, 3, 1, 2, 0)}
			if tc.stride == 1 {
				res = append(res, TransposeAllAxes(ConvCHWBImplicit(TransposeAllAxes(x, 3, 1, 2, 0), kern, nil, true), 3, 1, 2, 0))
			}
			return res
		}, x, kern)
		names := []string{"GoMLX Convolve", "Im2ColConv", "ConvCHWB", "ConvCHWBInference", "ConvCHWBImplicit"}
		for i, name := range names[:len(outs)] {
			outs[i].Shape().Check(dtypes.Float32, tc.b, oh, ow, tc.cOut)
			if d := maxAbsDiff(t, outs[i], wantT); d > 1e-4 {
				t.Errorf("%+v: %s differs from the reference by %g", tc, name, d)
			}
		}
	}
}

// TestConvGradients checks the hand-written gradient of ConvCHWB (and the autodiff one of
// Im2ColConv) against GoMLX's Convolve gradient, for the input, kernel and bias. The cases cover
// both orientations of ConvCHWB's kernel-gradient product (patch rows above and below the output
// channels), the bias folded into the product (few patch rows) or added after it, stride 2 and
// valid padding.
func TestConvGradients(t *testing.T) {
	be := backend.Must()
	for _, tc := range []struct {
		cIn, cOut, stride int
		padSame           bool
	}{{3, 4, 1, true}, {1, 16, 1, true}, {4, 5, 1, true}, {16, 8, 1, true}, {2, 3, 2, true}, {4, 5, 2, false}, {3, 2, 1, false}} {
		x := randTensor(3, 2, 6, 5, tc.cIn)
		kern := randTensor(4, 3, 3, tc.cIn, tc.cOut)
		bias := randTensor(5, tc.cOut)
		oh, ow := convOutSize(6, 3, tc.stride, tc.padSame), convOutSize(5, 3, tc.stride, tc.padSame)
		weights := randTensor(6, 2, oh, ow, tc.cOut) // Loss = sum(weights * conv): a non-uniform upstream gradient.
		outs := MustExecOnceN(be, func(x, kern, bias, wts *Node) []*Node {
			lossOf := func(y *Node) *Node { return ReduceAllSum(Mul(y, wts)) }
			conv := Convolve(x, kern).StridePerAxis(tc.stride, tc.stride)
			if tc.padSame {
				conv = conv.PadSame()
			} else {
				conv = conv.NoPadding()
			}
			ref := Add(conv.Done(), Reshape(bias, 1, 1, 1, tc.cOut))
			nhwc := Add(Im2ColConv(x, kern, tc.stride, tc.padSame), Reshape(bias, 1, 1, 1, tc.cOut))
			chwb := TransposeAllAxes(ConvCHWB(TransposeAllAxes(x, 3, 1, 2, 0), kern, bias, tc.stride, tc.padSame), 3, 1, 2, 0)
			ys := []*Node{ref, nhwc, chwb}
			if tc.stride == 1 {
				ys = append(ys, TransposeAllAxes(ConvCHWBImplicit(TransposeAllAxes(x, 3, 1, 2, 0), kern, bias, tc.padSame), 3, 1, 2, 0))
			}
			var res []*Node
			for _, y := range ys {
				res = append(res, Gradient(lossOf(y), x, kern, bias)...)
			}
			return res
		}, x, kern, bias, weights)
		names := []string{"Im2ColConv", "ConvCHWB", "ConvCHWBImplicit"}
		for impl, name := range names[:len(outs)/3-1] {
			for i, what := range []string{"x", "kernel", "bias"} {
				if d := maxAbsDiff(t, outs[3*(impl+1)+i], outs[i]); d > 1e-4 {
					t.Errorf("%+v: %s: gradient w.r.t. %s differs from GoMLX's by %g", tc, name, what, d)
				}
			}
		}
	}
}

func TestMaxPool2ReLU(t *testing.T) {
	be := backend.Must()
	x := randTensor(7, 2, 6, 7, 3) // Odd width: the last column is dropped, as in PyTorch.
	wts := randTensor(8, 2, 3, 3, 3)
	outs := MustExecOnceN(be, func(x, wts *Node) []*Node {
		ref := Max(MaxPool(x).Window(2).Done(), ZerosLike(wts))
		plain := MaxPool2(nil, x)
		fast := MaxPool2ReLU(nil, x, false)
		fastCB := TransposeAllAxes(MaxPool2ReLU(nil, TransposeAllAxes(x, 3, 1, 2, 0), true), 3, 1, 2, 0)
		res := []*Node{ref, Max(plain, ZerosLike(plain)), fast, fastCB}
		for _, y := range []*Node{ref, fast, fastCB} {
			res = append(res, Gradient(ReduceAllSum(Mul(y, wts)), x)[0])
		}
		return res
	}, x, wts)
	for i, name := range []string{"MaxPool2+ReLU", "MaxPool2ReLU", "MaxPool2ReLU(chwb)"} {
		outs[i+1].Shape().Check(dtypes.Float32, 2, 3, 3, 3)
		if d := maxAbsDiff(t, outs[i+1], outs[0]); d > 1e-6 {
			t.Errorf("%s differs from GoMLX's MaxPool by %g", name, d)
		}
	}
	for i, name := range []string{"MaxPool2ReLU", "MaxPool2ReLU(chwb)"} {
		if d := maxAbsDiff(t, outs[5+i], outs[4]); d > 1e-6 {
			t.Errorf("%s: gradient differs from GoMLX's by %g", name, d)
		}
	}
}

func TestGELUAndReLU(t *testing.T) {
	be := backend.Must()
	xs := []float32{-3, -1, -0.5, 0, 0.5, 1, 3}
	outs := MustExecOnceN(be, func(x *Node) []*Node {
		return []*Node{GELU(x), ReLU(x), Gradient(ReduceAllSum(ReLU(x)), x)[0]}
	}, xs)
	gelu := tensors.MustCopyFlatData[float32](outs[0])
	relu := tensors.MustCopyFlatData[float32](outs[1])
	drelu := tensors.MustCopyFlatData[float32](outs[2])
	for i, x := range xs {
		exact := 0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2))
		if math.Abs(float64(gelu[i])-exact) > 1e-3 {
			t.Errorf("GELU(%g) = %g, exact %g", x, gelu[i], exact)
		}
		if want := max(x, 0); relu[i] != want {
			t.Errorf("ReLU(%g) = %g", x, relu[i])
		}
		if want := float32(0); x > 0 && drelu[i] != 1 || x <= 0 && drelu[i] != want {
			t.Errorf("ReLU'(%g) = %g", x, drelu[i])
		}
	}
}
