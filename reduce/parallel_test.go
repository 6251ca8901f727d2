package reduce

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestParallelHelpers checks that parallelFor, parallelChunks, parallelBlocks and parallelRanges
// visit every index of [0, n) exactly once, with worker indices in range, for any GOMAXPROCS.
func TestParallelHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, tc := range []struct {
			name     string
			n, grain int
		}{
			{"empty", 0, 1},
			{"one", 1, 1},
			{"small", 5, 1},
			{"below grain", 100, 64},
			{"uneven", 1001, 7},
			{"large", 100_000, 64},
		} {
			check := func(how string, run func(visit func(w, i int))) {
				t.Helper()
				seen := make([]int32, tc.n)
				var badWorker atomic.Bool
				run(func(w, i int) {
					if w < 0 || w >= max(procs, 1) {
						badWorker.Store(true)
					}
					atomic.AddInt32(&seen[i], 1)
				})
				for i, c := range seen {
					if c != 1 {
						t.Fatalf("GOMAXPROCS %d, %s, %s: index %d of %d visited %d times", procs, tc.name, how, i, tc.n, c)
					}
				}
				if badWorker.Load() {
					t.Fatalf("GOMAXPROCS %d, %s, %s: worker index out of range", procs, tc.name, how)
				}
			}
			check("parallelFor", func(visit func(w, i int)) {
				parallelFor(tc.n, tc.grain, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						visit(0, i)
					}
				})
			})
			check("parallelChunks", func(visit func(w, i int)) {
				parallelChunks(tc.n, numWorkers(tc.n, tc.grain), func(w, lo, hi int) {
					for i := lo; i < hi; i++ {
						visit(w, i)
					}
				})
			})
			check("parallelBlocks", func(visit func(w, i int)) {
				parallelBlocks(tc.n, 0, visit)
			})
			check("parallelRanges", func(visit func(w, i int)) {
				parallelRanges(tc.n, 16, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						visit(0, i)
					}
				})
			})
		}
	}
}

// TestParallelBlocksAssignment checks the fixed round-robin assignment that reproducible
// per-worker sums rely on: worker w runs blocks w, w+W, ... in increasing order.
func TestParallelBlocksAssignment(t *testing.T) {
	const nblocks, workers = 23, 3
	order := make([][]int, workers)
	parallelBlocks(nblocks, workers, func(w, b int) { order[w] = append(order[w], b) })
	for w, bs := range order {
		for i, b := range bs {
			if b != w+i*workers {
				t.Fatalf("worker %d ran blocks %v, want %d, %d, ...", w, bs, w, w+workers)
			}
		}
	}
}

// TestParallelChunksSplit checks the chunk bounds: contiguous, ceil(n/workers) long, in worker order.
func TestParallelChunksSplit(t *testing.T) {
	got := make([][2]int, 4)
	parallelChunks(10, 4, func(w, lo, hi int) { got[w] = [2]int{lo, hi} })
	want := [][2]int{{0, 3}, {3, 6}, {6, 9}, {9, 10}}
	for w := range want {
		if got[w] != want[w] {
			t.Fatalf("chunks %v, want %v", got, want)
		}
	}
	done := false
	background(func() { done = true })()
	if !done {
		t.Fatal("background: wait returned before f finished")
	}
}
