package vizlib

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFramesCache checks that a reduction is stored in the run's cache directory and reused, and
// that a different option or a corrupt cache file recomputes instead of returning stale frames.
func TestFramesCache(t *testing.T) {
	t.Setenv(NoCacheEnv, "")
	run := syntheticRun(t, t.TempDir(), 60, 8, 4)
	first := PCAAnimation(run, FitBasis("all"), NoDisplay())
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	files, _ := filepath.Glob(filepath.Join(run.Dir(), CacheDir, "*.npy"))
	if len(files) != 1 {
		t.Fatalf("want one cache file after one reduction, found %v", files)
	}
	// Overwrite the cached frames with a marker: a cache hit must return it.
	marked := first.Frames
	marked[0].Data[0] = 12345
	writeFrames(files[0], marked)
	second := PCAAnimation(run, FitBasis("all"), NoDisplay())
	if second.Err != nil || second.Frames[0].Data[0] != 12345 {
		t.Fatalf("second call did not read the cache (err %v)", second.Err)
	}
	// Other options are another cache entry.
	if a := PCAAnimation(run, FitBasis("frame"), NoDisplay()); a.Err != nil || a.Frames[0].Data[0] == 12345 {
		t.Fatalf("a different basis must not hit the cache (err %v)", a.Err)
	}
	files, _ = filepath.Glob(filepath.Join(run.Dir(), CacheDir, "*.npy"))
	if len(files) != 2 {
		t.Fatalf("want two cache files, found %d", len(files))
	}
	// A corrupt cache file is ignored and replaced.
	for _, f := range files {
		os.WriteFile(f, []byte("garbage"), 0o644)
	}
	third := PCAAnimation(run, FitBasis("all"), NoDisplay())
	if third.Err != nil || third.Frames[0].Data[0] == 12345 || third.Frames[0].Rows != 60 {
		t.Fatalf("corrupt cache should be recomputed: err %v", third.Err)
	}
	// Disabled cache computes every time.
	t.Setenv(NoCacheEnv, "1")
	writeFrames(files[0], marked)
	if a := PCAAnimation(run, FitBasis("all"), NoDisplay()); a.Err != nil || a.Frames[0].Data[0] == 12345 {
		t.Fatalf("EMBVIZ_NO_CACHE=1 must not read the cache (err %v)", a.Err)
	}
}
