// embviz patch (third_party/README.md): a fast path of ReduceWindow for 2x2, stride-2 max pooling
// of float32 rank-4 tensors over axes 1 and 2, the pooling of embviz's CNNs in inference.

package ops

import (
	"slices"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

// isMaxPool2Inner reports whether a ReduceWindow is what execMaxPool2Inner handles: float32
// rank 4, Max, window and strides [1, 2, 2, 1], no dilations, no padding.
func isMaxPool2Inner(r *reduceWindowNode, dtype dtypes.DType, rank int) bool {
	ones := func(v []int) bool { return v == nil || slices.Equal(v, []int{1, 1, 1, 1}) }
	return dtype == dtypes.Float32 && rank == 4 && r.reductionType == compute.ReduceOpMax &&
		slices.Equal(r.windowDimensions, []int{1, 2, 2, 1}) && (r.strides == nil || slices.Equal(r.strides, []int{1, 2, 2, 1})) &&
		ones(r.inputDilations) && ones(r.windowDilations) &&
		(r.paddings == nil || slices.Equal(r.paddings, [][2]int{{0, 0}, {0, 0}, {0, 0}, {0, 0}}))
}

// execMaxPool2Inner computes out[a, i, j, b] = max over di, dj in {0, 1} of x[a, 2i+di, 2j+dj, b]
// for x [d0, h, w, d3] and out [d0, h/2, w/2, d3] (odd trailing rows and columns are dropped):
// one pass over contiguous d3 runs (16 lanes at a time with AVX-512, maxPool2Lanes), instead of
// the generic executor's per-element window iteration.
// Work is split by output rows among the free workers. NaN handling follows Go's max (a NaN in a
// window gives NaN), as the generic executor's does.
func execMaxPool2Inner(backend *gobackend.Backend, x []float32, dims []int, out []float32) {
	d0, h, w, d3 := dims[0], dims[1], dims[2], dims[3]
	oh, ow := h/2, w/2
	rows := d0 * oh // Output rows (a, i), each ow*d3 values.
	if rows == 0 || ow == 0 || d3 == 0 {
		return
	}
	row := func(r int) {
		a, i := r/oh, r%oh
		top := x[((a*h+2*i)*w)*d3 : ((a*h+2*i)*w+2*ow)*d3]
		bottom := x[((a*h+2*i+1)*w)*d3 : ((a*h+2*i+1)*w+2*ow)*d3]
		dst := out[r*ow*d3 : (r+1)*ow*d3]
		for j := range ow {
			t0, t1 := top[2*j*d3:(2*j+1)*d3], top[(2*j+1)*d3:(2*j+2)*d3]
			b0, b1 := bottom[2*j*d3:(2*j+1)*d3], bottom[(2*j+1)*d3:(2*j+2)*d3]
			o := dst[j*d3 : (j+1)*d3]
			for k := maxPool2Lanes(t0, t1, b0, b1, o); k < len(o); k++ {
				o[k] = max(max(t0[k], t1[k]), max(b0[k], b1[k]))
			}
		}
	}
	const chunkFloats = 64 * 1024 // Output values per chunk of work.
	chunkRows := max(1, chunkFloats/(ow*d3))
	numChunks := (rows + chunkRows - 1) / chunkRows
	if numChunks == 1 {
		for r := range rows {
			row(r)
		}
		return
	}
	var next atomic.Int64
	backend.Workers.Saturate(func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= numChunks {
				return
			}
			for r := c * chunkRows; r < min((c+1)*chunkRows, rows); r++ {
				row(r)
			}
		}
	})
}

// isMaxPool2InnerScatter reports whether a SelectAndScatter is what execMaxPool2InnerScatter
// handles: the gradient of isMaxPool2Inner's pooling (float32 rank 4, max, window and strides
// [1, 2, 2, 1], no padding).
func isMaxPool2InnerScatter(s *selectAndScatterNode, dtype dtypes.DType, rank int) bool {
	return dtype == dtypes.Float32 && rank == 4 && !s.isMin &&
		slices.Equal(s.windowDimensions, []int{1, 2, 2, 1}) && (s.strides == nil || slices.Equal(s.strides, []int{1, 2, 2, 1})) &&
		(s.paddings == nil || slices.Equal(s.paddings, [][2]int{{0, 0}, {0, 0}, {0, 0}, {0, 0}}))
}

// execMaxPool2InnerScatter is SelectAndScatter for 2x2, stride-2 max pooling over axes 1 and 2 of
// x [d0, h, w, d3] with source [d0, h/2, w/2, d3]: each window's first maximum, in the order
// (0,0), (0,1), (1,0), (1,1) and replaced only by a strictly greater value or a NaN (as the
// generic executor selects), receives the source value; every other element of out (x's shape)
// is 0, odd trailing rows and columns included. The windows do not overlap, so each output
// element is written once, in one pass, instead of zeroing the output and iterating windows
// element by element; with AVX-512, 16 lanes at a time without branches (maxPool2ScatterLanes).
// Work is split by output row pairs among the free workers.
func execMaxPool2InnerScatter(backend *gobackend.Backend, x []float32, dims []int, source, out []float32) {
	d0, h, w, d3 := dims[0], dims[1], dims[2], dims[3]
	oh, ow := h/2, w/2
	if d0 == 0 || d3 == 0 {
		return
	}
	if oh == 0 || ow == 0 {
		clear(out)
		return
	}
	// Unit r covers input rows 2i, 2i+1 of slice a (r = a*oh + i), and for the last i of each
	// slice the odd trailing row.
	row := func(r int) {
		a, i := r/oh, r%oh
		base := (a*h + 2*i) * w * d3
		top, bottom := out[base:base+w*d3], out[base+w*d3:base+2*w*d3]
		xt, xb := x[base:base+w*d3], x[base+w*d3:base+2*w*d3]
		src := source[r*ow*d3 : (r+1)*ow*d3]
		for j := range ow {
			t0, t1 := xt[2*j*d3:(2*j+1)*d3], xt[(2*j+1)*d3:(2*j+2)*d3]
			b0, b1 := xb[2*j*d3:(2*j+1)*d3], xb[(2*j+1)*d3:(2*j+2)*d3]
			o0, o1 := top[2*j*d3:(2*j+1)*d3], top[(2*j+1)*d3:(2*j+2)*d3]
			o2, o3 := bottom[2*j*d3:(2*j+1)*d3], bottom[(2*j+1)*d3:(2*j+2)*d3]
			s := src[j*d3 : (j+1)*d3]
			for k := maxPool2ScatterLanes(t0, t1, b0, b1, s, o0, o1, o2, o3); k < len(s); k++ {
				best, v := 0, t0[k]
				if c := t1[k]; c > v || c != c {
					best, v = 1, c
				}
				if c := b0[k]; c > v || c != c {
					best, v = 2, c
				}
				if c := b1[k]; c > v || c != c {
					best = 3
				}
				o0[k], o1[k], o2[k], o3[k] = 0, 0, 0, 0
				switch best {
				case 0:
					o0[k] = s[k]
				case 1:
					o1[k] = s[k]
				case 2:
					o2[k] = s[k]
				default:
					o3[k] = s[k]
				}
			}
		}
		if w%2 == 1 { // The trailing column of both rows.
			clear(top[(w-1)*d3:])
			clear(bottom[(w-1)*d3:])
		}
		if h%2 == 1 && i == oh-1 { // The trailing row of slice a.
			clear(out[(a*h+h-1)*w*d3 : (a*h+h)*w*d3])
		}
	}
	rows := d0 * oh
	const chunkFloats = 64 * 1024 // Input values per chunk of work.
	chunkRows := max(1, chunkFloats/(2*w*d3))
	numChunks := (rows + chunkRows - 1) / chunkRows
	if numChunks == 1 {
		for r := range rows {
			row(r)
		}
		return
	}
	var next atomic.Int64
	backend.Workers.Saturate(func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= numChunks {
				return
			}
			for r := c * chunkRows; r < min((c+1)*chunkRows, rows); r++ {
				row(r)
			}
		}
	})
}
