package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/training/npy"
)

func reduceRun(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := runMain(args, &out, &errb)
	return code, errb.String()
}

// reduceBlobs returns n points in d dims around 3 centres, as float64 data.
func reduceBlobs(n, d int) []float64 {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = float64((i%3)*8) + r.NormFloat64()
		}
	}
	return x
}

func TestReduceCommand(t *testing.T) {
	dir := t.TempDir()
	const n, d = 120, 6
	x64 := filepath.Join(dir, "x64.npy")
	if err := npy.WriteFile(x64, &npy.Array{Shape: []int{n, d}, F64: reduceBlobs(n, d)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method string
		extra  []string
	}{
		{"pca", nil},
		{"tsne", []string{"-perplexity", "10", "-seed", "3"}},
		{"tsne", []string{"-perplexity", "10", "-metric", "cosine"}},
		{"umap", []string{"-neighbors", "10", "-min-dist", "0.2", "-seed", "1"}},
	} {
		out := filepath.Join(dir, c.method+".npy")
		args := append([]string{"reduce", "-method", c.method, "-in", x64, "-out", out, "-q"}, c.extra...)
		if code, stderr := reduceRun(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		a, err := npy.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Shape) != 2 || a.Shape[0] != n || a.Shape[1] != 2 || a.F32 == nil {
			t.Fatalf("%s: output shape %v (float32 %v), want [%d, 2] float32", c.method, a.Shape, a.F32 != nil, n)
		}
		for _, v := range a.F32 {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: non-finite output", c.method)
			}
		}
	}
	// mphate: [T, n, d] -> [T, n, 2].
	const T = 3
	seq := make([]float32, 0, T*n*d)
	for tt := 0; tt < T; tt++ {
		for _, v := range reduceBlobs(n, d) {
			seq = append(seq, float32(v*(1+0.1*float64(tt))))
		}
	}
	sp := filepath.Join(dir, "seq.npy")
	if err := npy.WriteFile(sp, npy.Float32(seq, T, n, d)); err != nil {
		t.Fatal(err)
	}
	mo := filepath.Join(dir, "mphate.npy")
	if code, stderr := reduceRun("reduce", "-method", "mphate", "-in", sp, "-out", mo, "-q"); code != 0 {
		t.Fatalf("mphate: exit %d: %s", code, stderr)
	}
	if a, err := npy.ReadFile(mo); err != nil || len(a.Shape) != 3 || a.Shape[0] != T || a.Shape[1] != n || a.Shape[2] != 2 {
		t.Fatalf("mphate output: %v %v", a, err)
	}
}

func TestReduceCommandErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "x.npy")
	if err := npy.WriteFile(good, &npy.Array{Shape: []int{60, 4}, F64: reduceBlobs(60, 4)}); err != nil {
		t.Fatal(err)
	}
	nanData := reduceBlobs(60, 4)
	nanData[17] = math.NaN()
	nan := filepath.Join(dir, "nan.npy")
	if err := npy.WriteFile(nan, &npy.Array{Shape: []int{60, 4}, F64: nanData}); err != nil {
		t.Fatal(err)
	}
	vec := filepath.Join(dir, "vec.npy")
	if err := npy.WriteFile(vec, npy.Float32(make([]float32, 10), 10)); err != nil {
		t.Fatal(err)
	}
	ints := filepath.Join(dir, "ints.npy")
	if err := npy.WriteFile(ints, npy.Int32(make([]int32, 20), 10, 2)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "y.npy")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-method", "tsne", "-in", good}, 2, "-in and -out are required"},
		{[]string{"-in", good, "-out", out}, 2, "-method is required"},
		{[]string{"-method", "lle", "-in", good, "-out", out}, 2, "unknown -method \"lle\""},
		{[]string{"-method", "tsne", "-in", good, "-out", out, "-neighbors", "5"}, 2, "-neighbors does not apply to -method tsne"},
		{[]string{"-method", "umap", "-in", good, "-out", out, "-metric", "manhattan"}, 2, "unknown -metric"},
		{[]string{"-method", "tsne", "-in", good, "-out", out}, 0, "warning: reduce: perplexity 30 is too high for 60 points (needs n-1 >= 3*perplexity); using 19.67"},
		{[]string{"-method", "tsne", "-in", nan, "-out", out, "-perplexity", "5"}, 1, "non-finite value NaN at row 4, column 1"},
		{[]string{"-method", "pca", "-in", vec, "-out", out}, 1, "needs an [n, d] matrix, got shape [10]"},
		{[]string{"-method", "mphate", "-in", good, "-out", out}, 1, "needs a [T, n, d] snapshot sequence"},
		{[]string{"-method", "tsne", "-in", filepath.Join(dir, "missing.npy"), "-out", out}, 1, "missing.npy"},
		{[]string{"-method", "umap", "-in", good, "-out", out, "-neighbors", "80"}, 1, "too few for n_neighbors"},
		{[]string{"-method", "pca", "-in", ints, "-out", out}, 1, "ints.npy"},
	} {
		code, stderr := reduceRun(append([]string{"reduce"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if strings.Contains(stderr, "panic") {
			t.Errorf("%v panicked: %s", c.args, stderr)
		}
	}
}
