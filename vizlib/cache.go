package vizlib

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

// NoCacheEnv disables the frames cache when set to 1.
const NoCacheEnv = "EMBVIZ_NO_CACHE"

// CacheDir is the subdirectory of a run directory where reductions are cached.
const CacheDir = "cache"

// cachedFrames returns the frames of a reduction of a run, reading them from
// <run>/cache/<hash>.npy ([T, n, 2] float32) when a previous call with the same key (method,
// options, evaluation subset, snapshots) stored them, else computing and storing them.
// Every notebook cell is a separate process in GoNB, so without this cache the side-by-side grid
// would compute every reduction again. The cache is best effort: a read-only run directory or a
// corrupt cache file only means the frames are computed.
func cachedFrames(d *runData, key string, compute func() ([]*reduce.Matrix, error)) ([]*reduce.Matrix, error) {
	if d.dir == "" || os.Getenv(NoCacheEnv) == "1" {
		return compute()
	}
	full := fmt.Sprintf("v1|%s|%s|%d|%v|%v|%d", key, d.info.ID, len(d.info.Snapshots), d.info.Finished, d.subset, len(d.labels))
	sum := sha256.Sum256([]byte(full))
	path := filepath.Join(d.dir, CacheDir, hex.EncodeToString(sum[:12])+".npy")
	if frames, ok := readFrames(path, len(d.info.Snapshots), len(d.labels)); ok {
		return frames, nil
	}
	frames, err := compute()
	if err != nil {
		return nil, err
	}
	writeFrames(path, frames)
	return frames, nil
}

func readFrames(path string, t, n int) ([]*reduce.Matrix, bool) {
	a, err := npy.ReadFile(path)
	if err != nil || len(a.Shape) != 3 || a.Shape[0] != t || a.Shape[1] != n || a.F32 == nil {
		return nil, false
	}
	k := a.Shape[2]
	frames := make([]*reduce.Matrix, t)
	for i := range frames {
		frames[i] = reduce.MatrixFrom(n, k, a.F32[i*n*k:(i+1)*n*k])
		if frames[i].Validate() != nil {
			return nil, false
		}
	}
	return frames, true
}

func writeFrames(path string, frames []*reduce.Matrix) {
	if len(frames) == 0 {
		return
	}
	n, k := frames[0].Rows, frames[0].Cols
	data := make([]float32, 0, len(frames)*n*k)
	for _, f := range frames {
		if f.Rows != n || f.Cols != k {
			return
		}
		data = append(data, f.Data...)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	_ = npy.WriteFile(path, npy.Float32(data, len(frames), n, k))
}
