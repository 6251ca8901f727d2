package reduce

import "math"

// Barnes-Hut quadtree for the t-SNE repulsive forces (van der Maaten 2014, "Accelerating t-SNE
// using tree-based algorithms"). The tree lives in one flat node slice reused across iterations:
// no allocation per node or per iteration once the slice has grown.

// qtNode is a square cell of the quadtree.
type qtNode struct {
	cx, cy, hw float64 // cell center and half-width
	w2         float64 // squared cell width (2 hw)^2
	sumX, sumY float64 // sum of the positions of the points inside (center of mass * count)
	count      int32   // number of points inside
	child      int32   // index of the first of 4 children (quadrants 0..3), -1 for a leaf
	point      int32   // the point of a leaf holding exactly one, else -1
	depth      int32
}

// qtMaxDepth bounds the depth: cells that small hold duplicates (their points stay together in
// one leaf). It also bounds the traversal stack (3*depth + 4 entries).
const qtMaxDepth = 60

type quadTree struct {
	nodes []qtNode
	// flat is the compact copy of nodes that the traversal reads (20 bytes a node instead of 72,
	// so the whole tree of a few thousand points stays in L2 cache).
	flat []qtFlat
	// order lists the points in depth-first tree order (spatially coherent), so that points
	// processed one after the other traverse mostly the same cells; the points under node k are
	// order[start[k] : start[k]+count].
	order []int32
	start []int32
	// groups are the nodes whose points share one interaction list (see groupRepulse): the
	// largest nodes with at most qtGroupMax points, and leaves.
	groups []int32
}

// qtGroupMax is the largest number of points that share one interaction list.
const qtGroupMax = 24

// qtFlat is the traversal view of a node.
type qtFlat struct {
	comX, comY float32 // center of mass
	w2         float32 // squared cell width
	count      float32 // number of points
	child      int32   // first child, -1 for a leaf
}

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
	t.nodes = t.nodes[:0]
	t.nodes = append(t.nodes, qtNode{cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, hw: hw, w2: 4 * hw * hw, child: -1, point: -1})
	for i := 0; i < n; i++ {
		t.insert(int32(i), y[2*i], y[2*i+1])
	}
	if cap(t.flat) < len(t.nodes) {
		t.flat = make([]qtFlat, len(t.nodes), cap(t.nodes))
	}
	t.flat = t.flat[:len(t.nodes)]
	for k := range t.nodes {
		nd := &t.nodes[k]
		var cx, cy float32
		if nd.count > 0 {
			cx, cy = float32(nd.sumX/float64(nd.count)), float32(nd.sumY/float64(nd.count))
		}
		if nd.count == 1 {
			cx, cy = float32(nd.sumX), float32(nd.sumY) // exactly the point (self test in repulse)
		}
		t.flat[k] = qtFlat{comX: cx, comY: cy, w2: float32(nd.w2), count: float32(nd.count), child: nd.child}
	}
	t.order = t.order[:0]
	t.groups = t.groups[:0]
	if cap(t.start) < len(t.nodes) {
		t.start = make([]int32, len(t.nodes), cap(t.nodes))
	}
	t.start = t.start[:len(t.nodes)]
	t.collect(0, y, false)
}

// collect appends the points under node ni to t.order, depth first.
func (t *quadTree) collect(ni int32, y []float64, grouped bool) {
	nd := &t.nodes[ni]
	t.start[ni] = int32(len(t.order))
	if nd.count == 0 {
		return
	}
	if !grouped && (nd.count <= qtGroupMax || nd.child < 0) {
		t.groups = append(t.groups, ni)
		grouped = true
	}
	if nd.child >= 0 {
		for q := nd.child; q < nd.child+4; q++ {
			t.collect(q, y, grouped)
		}
		return
	}
	if nd.count == 1 {
		t.order = append(t.order, nd.point)
		return
	}
	// A leaf of duplicates keeps only a count: find its points by position (rare).
	for i := 0; i < len(y)/2; i++ {
		if math.Abs(y[2*i]-nd.cx) <= nd.hw && math.Abs(y[2*i+1]-nd.cy) <= nd.hw && t.leafOf(y[2*i], y[2*i+1]) == ni {
			t.order = append(t.order, int32(i))
		}
	}
}

// leafOf returns the leaf whose cell contains (x, y).
func (t *quadTree) leafOf(x, y float64) int32 {
	ni := int32(0)
	for t.nodes[ni].child >= 0 {
		nd := &t.nodes[ni]
		ni = nd.child + quadrant(nd, x, y)
	}
	return ni
}

func (t *quadTree) split(ni int32) {
	nd := t.nodes[ni]
	h := nd.hw / 2
	first := int32(len(t.nodes))
	for q := 0; q < 4; q++ {
		cx, cy := nd.cx-h, nd.cy-h
		if q&1 != 0 {
			cx = nd.cx + h
		}
		if q&2 != 0 {
			cy = nd.cy + h
		}
		t.nodes = append(t.nodes, qtNode{cx: cx, cy: cy, hw: h, w2: 4 * h * h, child: -1, point: -1, depth: nd.depth + 1})
	}
	t.nodes[ni].child = first
}

func quadrant(nd *qtNode, x, y float64) int32 {
	var q int32
	if x > nd.cx {
		q |= 1
	}
	if y > nd.cy {
		q |= 2
	}
	return q
}

func (t *quadTree) insert(i int32, x, y float64) {
	ni := int32(0)
	for {
		nd := &t.nodes[ni]
		if nd.child < 0 && nd.count == 1 && nd.depth < qtMaxDepth && nd.hw >= 1e-10 && (nd.sumX != x || nd.sumY != y) {
			// A leaf holding one point p: split it and move p down to its quadrant.
			p, px, py := nd.point, nd.sumX, nd.sumY
			t.split(ni)
			nd = &t.nodes[ni] // split may have reallocated
			nd.point = -1
			cn := &t.nodes[nd.child+quadrant(nd, px, py)]
			cn.sumX, cn.sumY, cn.count, cn.point = px, py, 1, p
		}
		nd.sumX += x
		nd.sumY += y
		nd.count++
		if nd.child >= 0 {
			ni = nd.child + quadrant(nd, x, y)
			continue
		}
		if nd.count == 1 {
			nd.point = i
		} else {
			nd.point = -1 // a leaf of (near) duplicates
		}
		return
	}
}

// repulse returns, for the point (x, y), the Barnes-Hut estimates of
//
//	z  = sum_j w_j,  (fx, fy) = sum_j w_j^2 (x - x_j, y - y_j),  w_j = 1 / (1 + |p - p_j|^2)
//
// over all points j except those at the same position (the point itself, duplicates). A cell is
// summarized by its center of mass (times its count) when it is a leaf or width^2 < theta2 * r^2.
func (t *quadTree) repulse(x, y, theta2 float64) (fx, fy, z float64) {
	nodes := t.flat
	var stack [3*qtMaxDepth + 8]int32
	sp := 0
	// visit evaluates node k: summarize it, or push it to be opened.
	root := &nodes[0]
	if root.child < 0 {
		dx, dy := x-float64(root.comX), y-float64(root.comY)
		d2 := dx*dx + dy*dy
		if root.comX == float32(x) && root.comY == float32(y) {
			return
		}
		w := 1 / (1 + d2)
		cw := float64(root.count) * w
		return cw * w * dx, cw * w * dy, cw
	}
	xf, yf := float32(x), float32(y)
	stack[0] = 0
	sp = 1
	for sp > 0 {
		sp--
		c := nodes[stack[sp]].child
		for q := c; q < c+4; q++ {
			nd := &nodes[q]
			if nd.count == 0 {
				continue
			}
			dx, dy := x-float64(nd.comX), y-float64(nd.comY)
			d2 := dx*dx + dy*dy
			if nd.child < 0 {
				if nd.comX == xf && nd.comY == yf {
					continue // the point itself, or a duplicate of it
				}
			} else if float64(nd.w2) >= theta2*d2 {
				stack[sp] = q
				sp++
				continue
			}
			w := 1 / (1 + d2)
			cw := float64(nd.count) * w
			z += cw
			cw *= w
			fx += cw * dx
			fy += cw * dy
		}
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
// w^2 < theta2 (D - r)^2 with r the group's radius, which implies w < theta |p - com| for every
// point p of the group: at least as accurate as the per-point criterion. Cells that contain group
// points are always opened down to their leaves, so each point meets itself as a leaf (w = 1, no
// force), which is subtracted. Writes rep[2i], rep[2i+1] for the group's points and returns their
// sum of z.
func (t *quadTree) groupRepulse(g int32, pos []float64, theta2 float64, l *qtList, rep []float64) float64 {
	nd := &t.nodes[g]
	pts := t.order[t.start[g] : t.start[g]+nd.count]
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, i := range pts {
		minX, maxX = min(minX, pos[2*i]), max(maxX, pos[2*i])
		minY, maxY = min(minY, pos[2*i+1]), max(maxY, pos[2*i+1])
	}
	gx, gy := (minX+maxX)/2, (minY+maxY)/2
	r := math.Hypot(maxX-minX, maxY-minY)/2 + 1e-12
	l.x, l.y, l.c = l.x[:0], l.y[:0], l.c[:0]
	nodes := t.flat
	var stack [3*qtMaxDepth + 8]int32
	sp := 1
	for sp > 0 {
		sp--
		ni := stack[sp]
		fn := &nodes[ni]
		if fn.child < 0 {
			if fn.count > 0 {
				l.x = append(l.x, float64(fn.comX))
				l.y = append(l.y, float64(fn.comY))
				l.c = append(l.c, float64(fn.count))
			}
			continue
		}
		dx, dy := gx-float64(fn.comX), gy-float64(fn.comY)
		dist := math.Sqrt(dx*dx+dy*dy) - r
		if dist > 0 && float64(fn.w2) < theta2*dist*dist {
			l.x = append(l.x, float64(fn.comX))
			l.y = append(l.y, float64(fn.comY))
			l.c = append(l.c, float64(fn.count))
			continue
		}
		for q := fn.child; q < fn.child+4; q++ {
			if nodes[q].count > 0 {
				stack[sp] = q
				sp++
			}
		}
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
