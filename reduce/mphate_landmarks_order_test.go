package reduce

import (
	"math/rand/v2"
	"testing"
)

// TestMPHATELocalityOrder: on a multislice kernel whose snapshots are rings of shuffled items
// (each item linked to its two ring neighbours in its snapshot and to itself in the other
// snapshots), mphateLocalityOrder keeps every vertex in its snapshot's block, gives an item the
// same offset in every snapshot, is a permutation, and puts the middle snapshot's ring
// neighbours at most 2 rows apart (breadth first from one item along a ring), where the
// shuffled labels put them about items/3 apart; a second component (two rings) is ordered too.
func TestMPHATELocalityOrder(t *testing.T) {
	for _, c := range []struct{ items, slices, rings int }{{50, 3, 1}, {200, 4, 1}, {60, 5, 2}, {7, 1, 1}} {
		rng := rand.New(rand.NewPCG(uint64(c.items), uint64(c.slices)))
		N := c.items * c.slices
		label := rng.Perm(c.items) // ring position k holds item label[k]
		per := c.items / c.rings
		adj := make([][]int32, N)
		for tt := 0; tt < c.slices; tt++ {
			for k := 0; k < c.items; k++ {
				r0 := k / per * per
				next := r0 + (k-r0+1)%per
				a, b := tt*c.items+label[k], tt*c.items+label[next]
				adj[a] = append(adj[a], int32(b))
				adj[b] = append(adj[b], int32(a))
				for u := 0; u < c.slices; u++ {
					if u != tt {
						adj[a] = append(adj[a], int32(u*c.items+label[k]))
					}
				}
			}
		}
		K := &Graph{N: N, RowPtr: make([]int32, N+1)}
		for i, a := range adj {
			K.RowPtr[i+1] = K.RowPtr[i] + int32(len(a))
			K.Col = append(K.Col, a...)
			for range a {
				K.Val = append(K.Val, 1)
			}
		}
		pos := mphateLocalityOrder(K, c.slices)
		seen := make([]bool, N)
		for i, r := range pos {
			tt, it := i/c.items, i%c.items
			if int(r)/c.items != tt {
				t.Fatalf("%+v: vertex %d (snapshot %d) moved to row %d", c, i, tt, r)
			}
			if int(r)-tt*c.items != int(pos[it]) {
				t.Fatalf("%+v: item %d at offset %d in snapshot %d, %d in snapshot 0", c, it, int(r)-tt*c.items, tt, pos[it])
			}
			if seen[r] {
				t.Fatalf("%+v: row %d given twice", c, r)
			}
			seen[r] = true
		}
		mid := c.slices / 2 * c.items
		for k := 0; k < c.items; k++ {
			r0 := k / per * per
			next := r0 + (k-r0+1)%per
			if d := pos[mid+label[k]] - pos[mid+label[next]]; d > 2 || d < -2 {
				t.Fatalf("%+v: ring neighbours %d and %d are %d rows apart", c, label[k], label[next], d)
			}
		}
	}
}
