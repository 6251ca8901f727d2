package reduce

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/embviz/embviz/internal/testutil"
)

// umapFashion returns the first n Fashion-MNIST test images as [n, 784] in [0, 1] and their labels
// as ints (see anFashion).
func umapFashion(t testing.TB, n int) (*Matrix, []int) {
	t.Helper()
	x, lab := anFashion(t, n)
	labels := make([]int, n)
	for i, v := range lab {
		labels[i] = int(v)
	}
	return x, labels
}

// umapFashionPCA returns Fashion-MNIST test images projected on their top 50 principal axes.
func umapFashionPCA(t testing.TB, n int) (*Matrix, []int) {
	x, labels := umapFashion(t, n)
	p, err := PCAProject(x, 50)
	if err != nil {
		t.Fatal(err)
	}
	return p, labels
}

func umapWriteF32(t testing.TB, path string, m *Matrix) {
	t.Helper()
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, m.Data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// umapTrust is a direct trustworthiness@k (Venna & Kaski; sklearn's definition) for tests.
func umapTrust(t testing.TB, high, low *Matrix, k int) float64 {
	t.Helper()
	n := high.Rows
	hk, err := KNN(high, n-1, Euclidean) // full ranks in the input space
	if err != nil {
		t.Fatal(err)
	}
	lk, err := KNN(low, k, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	rank := make([]int32, n)
	var s float64
	for i := 0; i < n; i++ {
		for r, j := range hk.Index[i*(n-1) : (i+1)*(n-1)] {
			rank[j] = int32(r + 1)
		}
		for _, j := range lk.Index[i*k : (i+1)*k] {
			if r := int(rank[j]); r > k {
				s += float64(r - k)
			}
		}
	}
	return 1 - 2/(float64(n)*float64(k)*(2*float64(n)-3*float64(k)-1))*s
}

func TestFitAB(t *testing.T) {
	for _, c := range []struct{ spread, minDist, a, b float64 }{
		// umap-learn 0.5.3's find_ab_params (scipy curve_fit).
		{1, 0.1, 1.5769434603113077, 0.8950608779109733},
		{1, 0.001, 1.9290892014642613, 0.7915135567218113},
	} {
		a, b := FitAB(c.spread, c.minDist)
		if math.Abs(a-c.a) > 2e-3 || math.Abs(b-c.b) > 2e-3 {
			t.Errorf("FitAB(%v, %v) = (%.5f, %.5f), umap-learn gives (%.5f, %.5f)", c.spread, c.minDist, a, b, c.a, c.b)
		}
	}
}

func TestUMAPFashionVsUMAPLearn(t *testing.T) {
	py := testutil.Python(t, "umap", "sklearn")
	const n = 2000
	x, _ := umapFashionPCA(t, n)
	dir := t.TempDir()
	umapWriteF32(t, filepath.Join(dir, "x.f32"), x)
	start := time.Now()
	ours, err := UMAP(x, &UMAPOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tExact := time.Since(start)
	start = time.Now()
	oursNN, err := UMAP(x, &UMAPOptions{Seed: 2, KNNMethod: "nndescent"})
	if err != nil {
		t.Fatal(err)
	}
	tNN := time.Since(start)
	umapWriteF32(t, filepath.Join(dir, "ours.f32"), ours)
	umapWriteF32(t, filepath.Join(dir, "oursnn.f32"), oursNN)
	cmd := exec.Command(py, filepath.Join("testdata", "umap_reference.py"), filepath.Join(dir, "x.f32"), fmt.Sprint(n), "50",
		filepath.Join(dir, "ours.f32"), filepath.Join(dir, "oursnn.f32"))
	cmd.Env = append(os.Environ(), "NUMBA_NUM_THREADS=2")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("umap_reference.py: %v\n%s", err, out)
	}
	var ref struct {
		Seconds   float64   `json:"umap_learn_seconds"`
		Trust     float64   `json:"umap_learn_trust"`
		OursTrust []float64 `json:"ours_trust"`
		AB01      []float64 `json:"ab_0.1"`
		AB0001    []float64 `json:"ab_0.001"`
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Logf("n=%d: umap-learn %.2fs trust %.4f; ours exact kNN %.2fs trust %.4f; ours NN-descent %.2fs trust %.4f",
		n, ref.Seconds, ref.Trust, tExact.Seconds(), ref.OursTrust[0], tNN.Seconds(), ref.OursTrust[1])
	for i, name := range []string{"exact kNN", "NN-descent"} {
		if ref.OursTrust[i] < ref.Trust-0.01 {
			t.Errorf("UMAP (%s) trustworthiness@10 = %.4f, more than 0.01 below umap-learn's %.4f", name, ref.OursTrust[i], ref.Trust)
		}
	}
	for _, c := range []struct {
		minDist float64
		want    []float64
	}{{0.1, ref.AB01}, {0.001, ref.AB0001}} {
		a, b := FitAB(1, c.minDist)
		if math.Abs(a-c.want[0]) > 2e-3 || math.Abs(b-c.want[1]) > 2e-3 {
			t.Errorf("FitAB(1, %v) = (%.5f, %.5f), umap-learn's find_ab_params gives (%.5f, %.5f)", c.minDist, a, b, c.want[0], c.want[1])
		}
	}
}
