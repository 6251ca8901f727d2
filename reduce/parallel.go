package reduce

import (
	"runtime"
	"sync"

	"github.com/embviz/embviz/internal/vecstate"
)

// clearUpper executes VZEROUPPER where the CPU has AVX (vecstate.ClearUpper). In GOEXPERIMENT=simd
// builds the upper halves of the vector registers can be left dirty (by AVX code, and by the
// runtime's register save/restore around asynchronous preemption); scalar float code, which the
// compiler and math's assembly encode as legacy SSE, then runs up to 100x slower on this machine
// (math.Exp measured at 1-3 µs instead of 15 ns). Hot scalar loops call clearUpper every row or block.
func clearUpper() { vecstate.ClearUpper() }

// The one place where reduce starts goroutines. Every parallel loop of the package goes through
// parallelChunks (contiguous ranges) or parallelBlocks (a fixed round-robin of blocks), which call
// clearUpper at the start of every chunk or block: a goroutine may start with dirty upper halves of
// the AVX registers (see clearUpper), which slows the scalar float code after it up to 100x.

// numWorkers returns how many workers share n items when every worker should get at least grain
// of them: min(GOMAXPROCS, n/grain), at least 1. grain <= 0 counts as 1.
func numWorkers(n, grain int) int {
	return min(runtime.GOMAXPROCS(0), max(1, n/max(grain, 1)))
}

// parallelChunks splits [0, n) into contiguous chunks [w*step, min(n, (w+1)*step)),
// step = ceil(n/workers), and calls body(w, lo, hi) for each, all but the last on their own
// goroutines, after clearUpper; it returns when all are done. The worker index w is in
// [0, workers) (there can be fewer chunks than workers when n is small), so body may use
// per-worker scratch space or partial sums, combined afterwards in worker order for results that do
// not depend on scheduling. workers <= 1 runs body(0, 0, n) inline; n <= 0 does nothing.
func parallelChunks(n, workers int, body func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = min(workers, n)
	if workers <= 1 {
		clearUpper()
		body(0, 0, n)
		return
	}
	step := (n + workers - 1) / workers
	var wg sync.WaitGroup
	w := 0
	for ; (w+1)*step < n; w++ {
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			clearUpper()
			body(w, lo, hi)
		}(w, w*step, (w+1)*step)
	}
	clearUpper()
	body(w, w*step, n)
	wg.Wait()
}

// parallelFor calls body(lo, hi) over [0, n) split into contiguous chunks of at least grain items
// (numWorkers(n, grain) of them, one per goroutine; inline when that is 1). See parallelChunks.
func parallelFor(n, grain int, body func(lo, hi int)) {
	parallelChunks(n, numWorkers(n, grain), func(_, lo, hi int) { body(lo, hi) })
}

// parallelBlocks calls body(w, b) for every block b in [0, nblocks) on min(workers, nblocks)
// goroutines, worker w taking the blocks w, w+workers, w+2*workers, ... in that order: a fixed
// assignment, so per-worker partial sums are reproducible for a given worker count, and the
// interleaving balances blocks whose cost drifts along the range. clearUpper runs before each
// block, and the worker yields between blocks (a goroutine that runs 10 ms without a scheduling
// point is preempted by a signal, and in GOEXPERIMENT=simd binaries those asynchronous
// preemptions were measured to cost up to half of the CPU time). workers <= 0 means GOMAXPROCS.
func parallelBlocks(nblocks, workers int, body func(worker, b int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nblocks)
	parallelChunks(workers, workers, func(w, _, _ int) {
		for b := w; b < nblocks; b += workers {
			if b > w {
				if workers > 1 {
					runtime.Gosched()
				}
				clearUpper()
			}
			body(w, b)
		}
	})
}

// background runs f on its own goroutine (after clearUpper) and returns a function that waits for
// it to finish: for overlapping one serial task with a parallel loop.
func background(f func()) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		clearUpper()
		f()
	}()
	return wg.Wait
}

// serialRanges calls body(lo, hi) for the blocks [b*block, min(n, (b+1)*block)) one after the
// other on the calling goroutine, with clearUpper before each and a yield between them (as
// parallelBlocks): the serial counterpart of parallelRanges, for loops that run inside a parallel
// loop.
func serialRanges(n, block int, body func(lo, hi int)) {
	for b := 0; b*block < n; b++ {
		if b > 0 {
			runtime.Gosched()
		}
		clearUpper()
		body(b*block, min(n, (b+1)*block))
	}
}

// parallelRanges calls body(lo, hi) for the blocks [b*block, min(n, (b+1)*block)) of [0, n),
// distributed over GOMAXPROCS workers by parallelBlocks: for rows of uneven cost.
func parallelRanges(n, block int, body func(lo, hi int)) {
	parallelBlocks((n+block-1)/block, 0, func(_, b int) { body(b*block, min(n, (b+1)*block)) })
}
