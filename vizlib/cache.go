package vizlib

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"os"
	"path/filepath"
	"reflect"

	"github.com/embviz/embviz/internal/vecstate"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

// noCacheEnv names the environment variable that disables the reductions cache when set to 1.
const noCacheEnv = "EMBVIZ_NO_CACHE"

// cacheVersion is part of every cache key, with reduceSource (the reduce package's sources, so
// that any change there, defaults included, starts a new cache): bump it when vizlib's own
// preparation of a reduction's input or output changes.
//
//go:generate go run ./internal/reducehash/gen ../reduce reduce_source.go
const cacheVersion = "embviz-cache-v5"

// cacheDir is the subdirectory of a run directory where reductions are cached.
const cacheDir = "cache"

// cacheKey returns the content address of a derived result: the SHA-256 of the cache version, the
// method name, the whole options value (every field, recursively, except funcs: see hashValue) and
// the bytes of every input matrix. Any change of an input snapshot or of an option field changes
// the key; nothing is keyed by hand-picked fields.
func cacheKey(method string, opts any, inputs []*reduce.Matrix) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", cacheVersion, reduceSource, method)
	hashValue(h, reflect.ValueOf(opts))
	for _, m := range inputs {
		hashMatrix(h, m)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// hashMatrix writes the shape and the float32 bits of m ([rows, cols]).
func hashMatrix(h hash.Hash, m *reduce.Matrix) {
	if m == nil {
		h.Write([]byte{0})
		return
	}
	var buf [8]byte
	binary.LittleEndian.PutUint32(buf[:4], uint32(m.Rows))
	binary.LittleEndian.PutUint32(buf[4:], uint32(m.Cols))
	h.Write(buf[:])
	// In chunks, each after a VZEROUPPER: SHA-256 is SSE code, which runs many times slower after an
	// asynchronous preemption left the vector registers' upper halves dirty (package vecstate).
	const chunk = 1 << 14 // values
	b := make([]byte, 4*min(chunk, len(m.Data)))
	for lo := 0; lo < len(m.Data); lo += chunk {
		part := m.Data[lo:min(lo+chunk, len(m.Data))]
		for i, v := range part {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		vecstate.ClearUpper()
		h.Write(b[:4*len(part)])
	}
}

var matrixType = reflect.TypeOf((*reduce.Matrix)(nil))

// hashValue writes a canonical encoding of v: struct fields by name and value (recursively),
// pointers by what they point to (nil marked), slices and maps element by element, matrices by
// their data. Func fields (progress callbacks, warnings) are skipped: they never change a result.
// A kind it cannot encode (chan, unsafe pointer) panics: that is a programming error to fix here.
func hashValue(h hash.Hash, v reflect.Value) {
	if !v.IsValid() {
		h.Write([]byte("<invalid>"))
		return
	}
	if v.Type() == matrixType {
		if v.IsNil() {
			h.Write([]byte("<nil matrix>"))
		} else {
			hashMatrix(h, v.Interface().(*reduce.Matrix))
		}
		return
	}
	switch v.Kind() {
	case reflect.Func:
		// Callbacks do not change results.
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			h.Write([]byte("<nil>"))
			return
		}
		h.Write([]byte("&"))
		hashValue(h, v.Elem())
	case reflect.Struct:
		t := v.Type()
		fmt.Fprintf(h, "%s{", t.String())
		for i := 0; i < v.NumField(); i++ {
			fmt.Fprintf(h, "%s:", t.Field(i).Name)
			hashValue(h, v.Field(i))
			h.Write([]byte(";"))
		}
		h.Write([]byte("}"))
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			h.Write([]byte("<nil slice>"))
			return
		}
		fmt.Fprintf(h, "[%d:", v.Len())
		for i := 0; i < v.Len(); i++ {
			hashValue(h, v.Index(i))
			h.Write([]byte(","))
		}
		h.Write([]byte("]"))
	case reflect.Map:
		keys := v.MapKeys()
		enc := make([]string, len(keys))
		for i, k := range keys {
			enc[i] = fmt.Sprintf("%#v", k.Interface())
		}
		// Map order is random: hash the entries sorted by their key's encoding.
		idx := make([]int, len(keys))
		for i := range idx {
			idx[i] = i
		}
		sortByString(idx, enc)
		fmt.Fprintf(h, "map[%d:", len(keys))
		for _, i := range idx {
			h.Write([]byte(enc[i] + "="))
			hashValue(h, v.MapIndex(keys[i]))
			h.Write([]byte(","))
		}
		h.Write([]byte("]"))
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		fmt.Fprintf(h, "%s(%#v)", v.Type().String(), v.Interface())
	default:
		panic(fmt.Sprintf("vizlib: cache key: cannot hash a %s", v.Type()))
	}
}

func sortByString(idx []int, key []string) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && key[idx[j]] < key[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// cachedFrames returns the frames ([T] matrices [n, k]) of the reduction method with opts of the
// inputs, reading <run>/cache/<key>.npy ([T, n, k] float32) when an earlier call with the same
// content address stored it, else computing and storing them. Every notebook cell is a separate
// process in GoNB, so without this cache a grid would compute every reduction again. The cache is
// best effort: a read-only run directory, or a corrupt or mis-shaped cache file, only means the
// frames are computed (and the file rewritten). EMBVIZ_NO_CACHE=1 turns it off.
func cachedFrames(dir, method string, opts any, inputs []*reduce.Matrix, t, n int, compute func() ([]*reduce.Matrix, error)) ([]*reduce.Matrix, error) {
	if dir == "" || os.Getenv(noCacheEnv) == "1" {
		return compute()
	}
	path := filepath.Join(dir, cacheDir, method+"-"+cacheKey(method, opts, inputs)+".npy")
	if frames, ok := readFrames(path, t, n); ok {
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

// writeFrames stores frames as [T, n, k] float32 (npy.WriteFile writes atomically: temporary file
// + rename, so a concurrent reader never sees half a file).
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
