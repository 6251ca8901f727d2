package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training/npy"
)

// metricsRun runs the CLI and returns exit status, stdout and stderr.
func metricsRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func metricsRandom(n, d int, seed uint64) *reduce.Matrix {
	r := rand.New(rand.NewPCG(seed, 1))
	m := reduce.NewMatrix(n, d)
	for i := range m.Data {
		m.Data[i] = float32(r.NormFloat64())
	}
	return m
}

func metricsWrite(t *testing.T, dir, name string, a *npy.Array) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := npy.WriteFile(p, a); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMetricsCommand(t *testing.T) {
	dir := t.TempDir()
	a := metricsRandom(200, 6, 1)
	b := metricsRandom(200, 6, 2)
	for i := range b.Data {
		b.Data[i] = 0.5*b.Data[i] + a.Data[i]
	}
	pa := metricsWrite(t, dir, "a.npy", npy.Float32(a.Data, 200, 6))
	// B as float64 to check the conversion.
	b64 := make([]float64, len(b.Data))
	for i, v := range b.Data {
		b64[i] = float64(v)
	}
	pb := metricsWrite(t, dir, "b.npy", &npy.Array{Shape: []int{200, 6}, F64: b64})

	code, out, errs := metricsRun("metrics", "-method", "cka", "-in", pa, "-b", pb)
	if code != 0 {
		t.Fatalf("cka: exit %d: %s", code, errs)
	}
	var got map[string]float64
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cka output %q: %v", out, err)
	}
	want, _ := reduce.LinearCKA(a, b)
	if math.Abs(got["cka"]-want) > 1e-12 || len(got) != 1 {
		t.Fatalf("cka output %v, want %v", got, want)
	}
	code, out, errs = metricsRun("metrics", "-method", "drift", "-in", pa, "-b", pb)
	if code != 0 {
		t.Fatalf("drift: exit %d: %s", code, errs)
	}
	json.Unmarshal([]byte(out), &got)
	wantD, _ := reduce.MeanDistance(a, b)
	if math.Abs(got["drift"]-wantD) > 1e-12 {
		t.Fatalf("drift output %v, want %v", got, wantD)
	}
	code, out, errs = metricsRun("metrics", "-method", "eigen", "-in", pa, "-k", "3")
	if code != 0 {
		t.Fatalf("eigen: exit %d: %s", code, errs)
	}
	var eig map[string][]float64
	json.Unmarshal([]byte(out), &eig)
	wantE, _ := reduce.PCAEigenvalues(a, 3)
	if len(eig["eigenvalues"]) != 3 || eig["eigenvalues"][0] != wantE[0] || eig["eigenvalues"][0] < eig["eigenvalues"][2] {
		t.Fatalf("eigen output %v, want %v", eig, wantE)
	}
	// Without -k: min(10, n, d) = 6 eigenvalues.
	if code, out, errs = metricsRun("metrics", "-method", "eigen", "-in", pa); code != 0 {
		t.Fatalf("eigen without -k: exit %d: %s", code, errs)
	}
	json.Unmarshal([]byte(out), &eig)
	if len(eig["eigenvalues"]) != 6 {
		t.Fatalf("eigen without -k: %v", eig)
	}
}

func TestMetricsAndClusterBadInput(t *testing.T) {
	dir := t.TempDir()
	good := metricsWrite(t, dir, "good.npy", npy.Float32(make([]float32, 12), 4, 3))
	other := metricsWrite(t, dir, "other.npy", npy.Float32(metricsRandom(5, 3, 1).Data, 5, 3))
	wide := metricsWrite(t, dir, "wide.npy", npy.Float32(metricsRandom(4, 2, 1).Data, 4, 2))
	rank3 := metricsWrite(t, dir, "rank3.npy", npy.Float32(make([]float32, 24), 2, 3, 4))
	nan := metricsRandom(4, 3, 2)
	nan.Data[5] = float32(math.NaN())
	pnan := metricsWrite(t, dir, "nan.npy", npy.Float32(nan.Data, 4, 3))
	inf := metricsWrite(t, dir, "inf.npy", &npy.Array{Shape: []int{2, 2}, F64: []float64{1, math.Inf(1), 0, 0}})
	ints := metricsWrite(t, dir, "ints.npy", npy.Int32([]int32{1, 2, 3, 4}, 2, 2))
	labs := metricsWrite(t, dir, "labs.npy", npy.Int32([]int32{0, 1, 0}, 3))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"metrics", "-method", "cka", "-in", good, "-b", other}, 1, "4 and 5 rows"},
		{[]string{"metrics", "-method", "drift", "-in", good, "-b", wide}, 1, "shapes must match"},
		{[]string{"metrics", "-method", "cka", "-in", rank3, "-b", good}, 1, "rank 3"},
		{[]string{"metrics", "-method", "cka", "-in", pnan, "-b", good}, 1, "non-finite"},
		{[]string{"metrics", "-method", "eigen", "-in", inf, "-k", "1"}, 1, "non-finite"},
		{[]string{"metrics", "-method", "eigen", "-in", ints, "-k", "1"}, 1, "want float32 or float64"},
		{[]string{"metrics", "-method", "eigen", "-in", other, "-k", "9"}, 1, "k = 9"},
		{[]string{"metrics", "-method", "cka", "-in", good}, 2, "needs -b"},
		{[]string{"metrics", "-method", "eigen", "-in", good, "-k", "-1"}, 2, "-k must be >= 0 (0: min(10, n, d)), got -1"},
		{[]string{"metrics", "-method", "pca", "-in", good}, 2, "unknown -method"},
		{[]string{"metrics", "-method", "cka", "-in", filepath.Join(dir, "missing.npy"), "-b", good}, 1, "missing.npy"},
		{[]string{"cluster", "-in", other, "-k", "2", "-labels", labs}, 1, "3 labels for 5 rows"},
		{[]string{"cluster", "-in", rank3, "-k", "2"}, 1, "rank 3"},
		{[]string{"cluster", "-in", pnan, "-k", "2"}, 1, "non-finite"},
		{[]string{"cluster", "-in", other, "-k", "6"}, 1, "k = 6"},
		{[]string{"cluster", "-in", other, "-k", "2", "-metric", "l1"}, 2, "unknown -metric"},
		{[]string{"cluster", "-in", other}, 2, "-k must be at least 1"},
	} {
		code, out, errs := metricsRun(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
}

func TestClusterCommand(t *testing.T) {
	dir := t.TempDir()
	// Three well separated blobs.
	r := rand.New(rand.NewPCG(3, 3))
	n := 150
	x := reduce.NewMatrix(n, 2)
	labels := make([]int64, n)
	for i := 0; i < n; i++ {
		c := i % 3
		labels[i] = int64(c) + 10
		x.Set(i, 0, float32(10*c)+float32(r.NormFloat64()))
		x.Set(i, 1, float32(5*c*c)+float32(r.NormFloat64()))
	}
	px := metricsWrite(t, dir, "x.npy", npy.Float32(x.Data, n, 2))
	py := metricsWrite(t, dir, "y.npy", &npy.Array{Shape: []int{n}, I64: labels})
	for _, metric := range []string{"euclidean", "cosine"} {
		code, out, errs := metricsRun("cluster", "-in", px, "-labels", py, "-k", "3", "-seed", "4", "-metric", metric)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got struct {
			Assignments []int32
			Inertia     float64
			Silhouette  *float64
			ARI         *float64
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		if len(got.Assignments) != n || got.ARI == nil || *got.ARI != 1 || got.Silhouette == nil {
			t.Fatalf("%s: output %s", metric, out)
		}
		res, _ := reduce.KMeans(x, 3, &reduce.KMeansOptions{Seed: 4})
		sil, _ := reduce.Silhouette(x, res.Assignments, reduce.Metric(metric))
		if got.Inertia != res.Inertia || *got.Silhouette != sil {
			t.Fatalf("%s: inertia %v silhouette %v, library %v %v", metric, got.Inertia, *got.Silhouette, res.Inertia, sil)
		}
	}
	// Without labels there is no "ari".
	code, out, _ := metricsRun("cluster", "-in", px, "-k", "2")
	if code != 0 || strings.Contains(out, "ari") || !strings.Contains(out, `"silhouette":`) {
		t.Fatalf("no labels: exit %d, %s", code, out)
	}
}
