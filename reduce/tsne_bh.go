package reduce

import (
	"math"
	"math/bits"
)

// Barnes-Hut quadtree for the t-SNE repulsive forces (van der Maaten 2014, "Accelerating t-SNE
// using tree-based algorithms"). Each build sorts the points by their Morton (Z-order) code on a
// 2^qtBits x 2^qtBits grid over the bounding square (a radix sort, O(n)), then lays the tree out
// from the sorted codes in one flat slice in depth-first preorder: a cell's points are a contiguous
// range of the sorted order, its children follow it, and each node stores the index just past its
// subtree, so the traversals need no stack and read the slice front to back. Only non-empty cells
// are stored, and a cell whose points all lie in one quadrant is replaced by that quadrant (a
// compressed quadtree: the smaller cell, holding the same points with the same center of mass, is
// summarized at least as early and as accurately). Nothing is allocated per iteration once the
// slices have grown.

// qtBits is the resolution of the Morton grid per axis: cells of width 2^-30 of the layout's
// extent (below float32's resolution of the positions that the traversal reads) hold points that
// coincide there (duplicates) in one leaf.
const qtBits = 30

// qtFlat is a node of the tree.
type qtFlat struct {
	comX, comY float32 // center of mass (exactly the point for a leaf of one point)
	width      float32 // cell width
	count      float32 // number of points
	next       int32   // index of the node after this one's subtree (index+1 for a leaf)
	start      int32   // the node's points are order[start : start+count]
}

type quadTree struct {
	flat []qtFlat
	// order lists the points in Z order (spatially coherent, the depth-first order of the tree),
	// so that points processed one after the other traverse mostly the same cells.
	order []int32
	// groups are the nodes whose points share one interaction list (see groupRepulse): the
	// largest nodes with at most qtGroupMax points, and leaves.
	groups []int32
	// sort buffers: Morton codes and point indices, and their radix-sort scratch copies.
	codes, codes2 []uint64
	order2        []int32
	pos           []float64
}

// qtGroupMax is the largest number of points that share one interaction list.
const qtGroupMax = 24

// build rebuilds the tree over the points y ([n, 2] row-major).
func (t *quadTree) build(y []float64) {
	clearUpper()
	n := len(y) / 2
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for i := 0; i < n; i++ {
		x0, y0 := y[2*i], y[2*i+1]
		minX, maxX = min(minX, x0), max(maxX, x0)
		minY, maxY = min(minY, y0), max(maxY, y0)
	}
	hw := max(maxX-minX, maxY-minY)/2*(1+1e-6) + 1e-12
	x0, y0 := (minX+maxX)/2-hw, (minY+maxY)/2-hw
	scale := float64(uint64(1)<<qtBits) / (2 * hw)
	t.codes = grow(t.codes, n)
	t.order = growI32(t.order, n)
	const top = 1<<qtBits - 1
	for i := 0; i < n; i++ {
		qx := min(uint64(max((y[2*i]-x0)*scale, 0)), top)
		qy := min(uint64(max((y[2*i+1]-y0)*scale, 0)), top)
		t.codes[i] = spread(qx) | spread(qy)<<1
		t.order[i] = int32(i)
	}
	t.radixSort()
	// The positions in Z order, for the sums of the centers of mass.
	t.pos = growF64(t.pos, 2*n)
	for k, i := range t.order {
		t.pos[2*k], t.pos[2*k+1] = y[2*i], y[2*i+1]
	}
	t.flat = t.flat[:0]
	t.groups = t.groups[:0]
	t.node(0, n, 2*qtBits, 2*hw, false)
}

// node appends the subtree of the points order[a:b], whose codes agree above bit level (their
// cell has width w), and returns their sums of positions.
func (t *quadTree) node(a, b, level int, w float64, grouped bool) (sx, sy float64) {
	codes := t.codes
	// Compress: descend while all the points fall into one quadrant.
	if b-a > 1 {
		if diff := codes[a] ^ codes[b-1]; diff == 0 {
			w = math.Ldexp(w, -level/2)
			level = 0
		} else {
			l := (bits.Len64(diff) + 1) &^ 1 // the level at which the first and last codes split
			w = math.Ldexp(w, (l-level)/2)
			level = l
		}
	}
	idx := int32(len(t.flat))
	t.flat = append(t.flat, qtFlat{width: float32(w), count: float32(b - a), start: int32(a)})
	if !grouped && (b-a <= qtGroupMax || b-a == 1 || level == 0) {
		t.groups = append(t.groups, idx)
		grouped = true
	}
	if b-a == 1 || level == 0 { // a leaf: one point, or points on one grid cell
		for k := a; k < b; k++ {
			sx += t.pos[2*k]
			sy += t.pos[2*k+1]
		}
		cx, cy := float32(sx), float32(sy) // exactly the point (self test in repulse)
		if b-a > 1 {
			cx, cy = float32(sx/float64(b-a)), float32(sy/float64(b-a))
		}
		f := &t.flat[idx]
		f.comX, f.comY, f.next = cx, cy, idx+1
		return sx, sy
	}
	// Split [a, b) into the 4 quadrants by the 2 code bits below level.
	shift := uint(level - 2)
	for lo := a; lo < b; {
		q := (codes[lo] >> shift) & 3
		hi := lo + 1
		// Binary search for the end of quadrant q.
		for l, h := hi, b; l < h; {
			m := int(uint(l+h) >> 1)
			if (codes[m]>>shift)&3 == q {
				l = m + 1
				hi = l
			} else {
				h = m
			}
		}
		cx, cy := t.node(lo, hi, level-2, w/2, grouped)
		sx += cx
		sy += cy
		lo = hi
	}
	f := &t.flat[idx]
	f.comX, f.comY, f.next = float32(sx/float64(b-a)), float32(sy/float64(b-a)), int32(len(t.flat))
	return sx, sy
}

// radixSort sorts t.order by t.codes (least significant digit first, 8 bits a pass, stable).
func (t *quadTree) radixSort() {
	n := len(t.codes)
	t.codes2 = grow(t.codes2, n)
	t.order2 = growI32(t.order2, n)
	src, dst := t.codes, t.codes2
	osrc, odst := t.order, t.order2
	var all, any uint64 = ^uint64(0), 0
	for _, c := range src {
		all &= c
		any |= c
	}
	varying := all ^ any // bits that differ between some codes
	for shift := uint(0); shift < 2*qtBits; shift += 8 {
		if (varying>>shift)&0xff == 0 {
			continue
		}
		var cnt [256]int
		for _, c := range src {
			cnt[(c>>shift)&0xff]++
		}
		s := 0
		for d := range cnt {
			s, cnt[d] = s+cnt[d], s
		}
		for k, c := range src {
			d := (c >> shift) & 0xff
			dst[cnt[d]] = c
			odst[cnt[d]] = osrc[k]
			cnt[d]++
		}
		src, dst = dst, src
		osrc, odst = odst, osrc
	}
	t.codes, t.codes2 = src, dst
	t.order, t.order2 = osrc, odst
}

// spread interleaves zeros into the low 32 bits of v: bit k moves to bit 2k.
func spread(v uint64) uint64 {
	v &= 0xffffffff
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growF64(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// repulse returns, for the point (x, y), the Barnes-Hut estimates of
//
//	z  = sum_j w_j,  (fx, fy) = sum_j w_j^2 (x - x_j, y - y_j),  w_j = 1 / (1 + |p - p_j|^2)
//
// over all points j except those at the same position (the point itself, duplicates). A cell is
// summarized by its center of mass (times its count) when it is a leaf or width^2 < theta2 * r^2.
func (t *quadTree) repulse(x, y, theta2 float64) (fx, fy, z float64) {
	nodes := t.flat
	xf, yf := float32(x), float32(y)
	for k := 0; k < len(nodes); {
		nd := &nodes[k]
		dx, dy := x-float64(nd.comX), y-float64(nd.comY)
		d2 := dx*dx + dy*dy
		if nd.next == int32(k+1) { // a leaf
			k++
			if nd.comX == xf && nd.comY == yf {
				continue // the point itself, or a duplicate of it
			}
		} else if w := float64(nd.width); w*w >= theta2*d2 {
			k++ // open it: its children follow
			continue
		} else {
			k = int(nd.next)
		}
		w := 1 / (1 + d2)
		cw := float64(nd.count) * w
		z += cw
		cw *= w
		fx += cw * dx
		fy += cw * dy
	}
	return
}

// qtList is a reusable interaction list: positions and counts of the cells a group interacts with.
type qtList struct {
	x, y, c []float64
}

// groupRepulse computes the repulsive sums of repulse for all the points of group node g at once
// (the grouping of Barnes 1990): one traversal builds the list of cells that every point of the
// group may summarize, then each point is evaluated against the list in a branch-free loop. A cell
// of width w whose center of mass lies at distance D from the group's center is summarized when
// w < theta (D - r) with r the group's radius, which implies w < theta |p - com| for every point p
// of the group: at least as accurate as the per-point criterion. Cells that contain group points
// are always opened down to their leaves, so each point meets itself as a leaf (w = 1, no force),
// which is subtracted. Writes rep[2i], rep[2i+1] for the group's points and returns their sum of z.
func (t *quadTree) groupRepulse(g int32, pos []float64, theta2 float64, l *qtList, rep []float64) float64 {
	gn := &t.flat[g]
	pts := t.order[gn.start : gn.start+int32(gn.count)]
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, i := range pts {
		minX, maxX = min(minX, pos[2*i]), max(maxX, pos[2*i])
		minY, maxY = min(minY, pos[2*i+1]), max(maxY, pos[2*i+1])
	}
	gx, gy := (minX+maxX)/2, (minY+maxY)/2
	r := math.Hypot(maxX-minX, maxY-minY)/2 + 1e-12
	invTheta := 1 / math.Sqrt(theta2)
	l.x, l.y, l.c = l.x[:0], l.y[:0], l.c[:0]
	nodes := t.flat
	for k := 0; k < len(nodes); {
		fn := &nodes[k]
		if fn.next != int32(k+1) { // not a leaf: summarize it if far enough, else open it
			dx, dy := gx-float64(fn.comX), gy-float64(fn.comY)
			// |g - com| - r > w / theta, squared (both sides positive).
			lim := r + float64(fn.width)*invTheta
			if dx*dx+dy*dy <= lim*lim {
				k++
				continue
			}
		}
		l.x = append(l.x, float64(fn.comX))
		l.y = append(l.y, float64(fn.comY))
		l.c = append(l.c, float64(fn.count))
		k = int(fn.next)
	}
	for len(l.x)%4 != 0 { // pad to whole SIMD vectors with zero-count entries
		l.x = append(l.x, 0)
		l.y = append(l.y, 0)
		l.c = append(l.c, 0)
	}
	lx, ly, lc := l.x, l.y, l.c
	var zsum float64
	clearUpper()
	for _, i := range pts {
		px, py := float64(float32(pos[2*i])), float64(float32(pos[2*i+1])) // as stored in the tree
		fx, fy, z := tsneListEval(px, py, lx, ly, lc)
		rep[2*i], rep[2*i+1] = fx, fy
		zsum += z - 1
	}
	return zsum
}

// tsneListEvalGeneric is the scalar interaction-list kernel: for the point (px, py) and the list
// (lx, ly, lc) it returns z = sum_k c_k w_k and (fx, fy) = sum_k c_k w_k^2 (p - p_k),
// w_k = 1 / (1 + |p - p_k|^2).
func tsneListEvalGeneric(px, py float64, lx, ly, lc []float64) (fx, fy, z float64) {
	ly, lc = ly[:len(lx)], lc[:len(lx)]
	for k := range lx {
		dx, dy := px-lx[k], py-ly[k]
		w := 1 / (1 + dx*dx + dy*dy)
		cw := lc[k] * w
		z += cw
		cw *= w
		fx += cw * dx
		fy += cw * dy
	}
	return
}

// tsneAttrRowGeneric is the scalar attractive kernel of one row of P: for the point (px, py), its
// neighbours cols (positions in y, [n, 2]) and their affinities vals (float32), it returns
// sum_k vals_k w_k (p - y_cols_k), w_k = 1 / (1 + |p - y_cols_k|^2). dx and dy are scratch of
// len(cols).
func tsneAttrRowGeneric(px, py float64, y []float64, cols []int32, vals []float32, dx, dy []float64) (fx, fy float64) {
	vals = vals[:len(cols)]
	for k, j := range cols {
		ddx, ddy := px-y[2*j], py-y[2*j+1]
		pw := float64(vals[k]) / (1 + ddx*ddx + ddy*ddy)
		fx += pw * ddx
		fy += pw * ddy
	}
	return
}
