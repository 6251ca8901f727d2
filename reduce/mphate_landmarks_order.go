package reduce

// mphateLocalityOrder returns a new index for every vertex of the multislice kernel K (N = slices ·
// items vertices, vertex t·items+i): vertex t·items+i becomes t·items+pos[i], where pos orders the
// items breadth first on the intraslice graph of the middle snapshot (from item 0, neighbours in
// K's row order, the next unvisited item when a component is done). Neighbours then sit a few
// hundred rows apart instead of anywhere in the snapshot, so the randomized SVD's sparse
// products, which gather one row of the [N, q] block per kernel entry, mostly find them in cache
// (the neighbourhoods of the other snapshots overlap the middle one's); one order for all
// snapshots keeps an item's rows at the same offset in every snapshot, so the interslice entries
// are still gathered item by item in order. Depends on K only.
func mphateLocalityOrder(K *Graph, slices int) []int32 {
	N := K.N
	items := N / slices
	base := slices / 2 * items
	seen := make([]bool, items)
	queue := make([]int32, 0, items)
	for s := 0; s < items; s++ {
		if seen[s] {
			continue
		}
		seen[s] = true
		queue = append(queue, int32(s))
		for h := len(queue) - 1; h < len(queue); h++ {
			i := base + int(queue[h])
			for p := K.RowPtr[i]; p < K.RowPtr[i+1]; p++ {
				j := int(K.Col[p]) - base
				if j >= 0 && j < items && !seen[j] {
					seen[j] = true
					queue = append(queue, int32(j))
				}
			}
		}
	}
	pos := make([]int32, N)
	for t := 0; t < slices; t++ {
		for k, it := range queue {
			pos[t*items+int(it)] = int32(t*items + k)
		}
	}
	return pos
}
