package reduce

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/training/npy"
)

// tsneFashion returns the first n Fashion-MNIST test images as [n, 784] in [0, 1] and their labels
// (see anFashion).
func tsneFashion(t testing.TB, n int) (*Matrix, []int32) {
	t.Helper()
	return anFashion(t, n)
}

// tsneFashion50 returns the first n Fashion-MNIST test images projected on their first 50
// principal components (the usual t-SNE preprocessing).
func tsneFashion50(t testing.TB, n int) *Matrix {
	t.Helper()
	x, _ := tsneFashion(t, n)
	z, err := PCAProject(x, 50)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// tsneBlobs returns n points in d dimensions around k Gaussian centres (spread sd) and the labels.
func tsneBlobs(n, d, k int, sd float64, seed uint64) (*Matrix, []int32) {
	return gaussianBlobs(n, d, k, 6, sd, seed, 3)
}

type tsneRefResult struct {
	SklearnTrust   float64 `json:"sklearn_trust"`
	OursTrust      float64 `json:"ours_trust"`
	SklearnSeconds float64 `json:"sklearn_seconds"`
	SklearnKL      float64 `json:"sklearn_kl"`
}

// tsneReference runs testdata/tsne_ref.py: scikit-learn's t-SNE on x and the trustworthiness@10
// of both its embedding and ours, computed by sklearn.
func tsneReference(t testing.TB, x, ours *Matrix, method string, perplexity float64) tsneRefResult {
	t.Helper()
	py := testutil.Python(t, "sklearn", "numpy")
	dir := t.TempDir()
	xp, yp := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := npy.WriteFile(xp, npy.Float32(x.Data, x.Rows, x.Cols)); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFile(yp, npy.Float32(ours.Data, ours.Rows, ours.Cols)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/tsne_ref.py", xp, yp, method, strconv.FormatFloat(perplexity, 'g', -1, 64), "0")
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=2", "OMP_WAIT_POLICY=PASSIVE")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("tsne_ref.py: %v", err)
	}
	var r tsneRefResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("tsne_ref.py output %q: %v", b, err)
	}
	return r
}
