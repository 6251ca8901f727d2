package reduce

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/training/npy"
)

// anRandom returns a seeded [n, d] matrix of standard normal values.
func anRandom(n, d int, seed uint64) *Matrix {
	r := rand.New(rand.NewPCG(seed, 7))
	m := NewMatrix(n, d)
	for i := range m.Data {
		m.Data[i] = float32(r.NormFloat64())
	}
	return m
}

// anBlobs returns n points in d dimensions around k well-separated centres (spread sd) and labels.
func anBlobs(n, d, k int, sd float64, seed uint64) (*Matrix, []int32) {
	return gaussianBlobs(n, d, k, 10, sd, seed, 11)
}

// gaussianBlobs returns n points in d dimensions around k centres drawn with standard deviation
// spread (point i belongs to centre i%k, spread sd around it) and the labels, from the random
// stream (seed, stream).
func gaussianBlobs(n, d, k int, spread, sd float64, seed, stream uint64) (*Matrix, []int32) {
	r := rand.New(rand.NewPCG(seed, stream))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = spread * r.NormFloat64()
	}
	m := NewMatrix(n, d)
	lab := make([]int32, n)
	for i := 0; i < n; i++ {
		c := i % k
		lab[i] = int32(c)
		for j := 0; j < d; j++ {
			m.Data[i*d+j] = float32(centres[c*d+j] + sd*r.NormFloat64())
		}
	}
	return m, lab
}

const anFashionDir = "/usr/share/datasets/fashion-mnist"

// anFashion returns the first n Fashion-MNIST test images as [n, 784] values in [0, 1] and their
// labels, read from the Debian package's IDX gz files; it skips (fails under EMBVIZ_STRICT=1) if absent.
func anFashion(t testing.TB, n int) (*Matrix, []int32) {
	t.Helper()
	read := func(name string, header, size int) []byte {
		f, err := os.Open(filepath.Join(anFashionDir, name))
		if err != nil {
			testutil.Missing(t, "Fashion-MNIST (apt-get install dataset-fashion-mnist): %v", err)
			return nil
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, header+size)
		if _, err := io.ReadFull(z, buf); err != nil {
			t.Fatal(err)
		}
		return buf[header:]
	}
	img := read("t10k-images-idx3-ubyte.gz", 16, n*784)
	lb := read("t10k-labels-idx1-ubyte.gz", 8, n)
	m := NewMatrix(n, 784)
	for i, b := range img {
		m.Data[i] = float32(b) / 255
	}
	lab := make([]int32, n)
	for i, b := range lb {
		lab[i] = int32(b)
	}
	return m, lab
}

// anNpy writes m (or labels) to dir/name.npy and returns the path.
func anNpy(t testing.TB, dir, name string, m *Matrix) string {
	t.Helper()
	p := filepath.Join(dir, name+".npy")
	if err := npy.WriteFile(p, npy.Float32(m.Data, m.Rows, m.Cols)); err != nil {
		t.Fatal(err)
	}
	return p
}

func anNpyLabels(t testing.TB, dir, name string, lab []int32) string {
	t.Helper()
	p := filepath.Join(dir, name+".npy")
	if err := npy.WriteFile(p, npy.Int32(lab, len(lab))); err != nil {
		t.Fatal(err)
	}
	return p
}

// anReference runs testdata/reference.py with args (a JSON object) and decodes its output into out.
func anReference(t testing.TB, args map[string]any, out any) {
	t.Helper()
	py := testutil.Python(t, "sklearn", "numpy")
	js, _ := json.Marshal(args)
	cmd := exec.Command(py, "testdata/reference.py", string(js))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference.py %s: %v", js, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("reference.py output %q: %v", b, err)
	}
}

// anTransform returns scale * x q + shift for x [n, d] and q [d, d] (e.g. the orthogonal matrix of
// a PCA's axes), in float32.
func anTransform(x, q *Matrix, scale, shift float32) *Matrix {
	out := NewMatrix(x.Rows, q.Cols)
	for i := 0; i < x.Rows; i++ {
		for b := 0; b < q.Cols; b++ {
			var s float32
			for a := 0; a < x.Cols; a++ {
				s += x.At(i, a) * q.At(a, b)
			}
			out.Set(i, b, scale*s+shift)
		}
	}
	return out
}
