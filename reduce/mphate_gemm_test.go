package reduce

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
)

// TestMPHATEGEMM checks c = a b against t-order fused multiply-adds bit for bit, and against a
// plain float64 sum within rounding, for shapes that exercise the 32- and 16-column stripes, the
// scalar tail and a last block of fewer than 4 rows.
func TestMPHATEGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 9, 16}, {5, 17, 32}, {7, 33, 49}, {13, 64, 100}, {33, 100, 65}} {
		m, kk, n := sh[0], sh[1], sh[2]
		a, b := make([]float64, m*kk), make([]float64, kk*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		c := make([]float64, m*n)
		for i := range c {
			c[i] = math.NaN() // every entry must be written
		}
		mphateGEMM(c, a, b, m, kk, n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var fma, plain float64
				for k := 0; k < kk; k++ {
					fma = math.FMA(a[i*kk+k], b[k*n+j], fma)
					plain += a[i*kk+k] * b[k*n+j]
				}
				if got := c[i*n+j]; got != fma || math.Abs(got-plain) > 1e-12*float64(kk) {
					t.Fatalf("%v: c[%d, %d] = %v, want %v (plain sum %v)", sh, i, j, got, fma, plain)
				}
			}
		}
	}
}

// TestSmacofRow checks the SMACOF row kernel against the portable loop on 1-, 2- and 3-D
// configurations with coincident points (the 1e-5 guard) and sizes around the 8-point steps.
func TestSmacofRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range []int{1, 2, 3} {
		for _, M := range []int{1, 7, 8, 9, 23, 64, 1000} {
			cols, di := make([]float64, k*M), make([]float64, M)
			for i := range cols {
				cols[i] = rng.NormFloat64()
			}
			if M > 3 { // point 1 coincides with point 0
				for c := 0; c < k; c++ {
					cols[c*M+1] = cols[c*M]
				}
			}
			for i := range di {
				di[i] = rng.Float64() * 3
			}
			yi := make([]float64, k)
			for c := range yi {
				yi[c] = cols[c*M] // the row of point 0
			}
			di[0] = 0
			got, want := make([]float64, k), make([]float64, k)
			gd, gs := smacofRow(cols, di, yi, got)
			wd, ws := smacofRowGeneric(cols, di, yi, want)
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(b)) }
			if !close(gd, wd) || !close(gs, ws) {
				t.Fatalf("k %d, M %d: diag %v stress %v, want %v %v", k, M, gd, gs, wd, ws)
			}
			for c := range got {
				if !close(got[c], want[c]) {
					t.Fatalf("k %d, M %d: sum[%d] = %v, want %v", k, M, c, got[c], want[c])
				}
			}
		}
	}
}

// TestProcrustesOntoMatchesScipy checks procrustesOnto against scipy.spatial.procrustes(ref, y)'s
// second output (PHATE's re-orientation of the metric MDS onto the classical one), which fixes the
// layout's centre, orientation and scale; with a reflection and a shift in y.
func TestProcrustesOntoMatchesScipy(t *testing.T) {
	py := testutil.Python(t, "scipy", "numpy")
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range []int{2, 3} {
		M := 40
		ref, y := make([]float64, M*k), make([]float64, M*k)
		for i := 0; i < M; i++ {
			for c := 0; c < k; c++ {
				ref[i*k+c] = rng.NormFloat64() * float64(c+1)
			}
			// y: ref reflected, scaled by 7, shifted and perturbed
			for c := 0; c < k; c++ {
				v := ref[i*k+c]
				if c == 0 {
					v = -v
				}
				y[i*k+c] = 7*v + 3 + 0.3*rng.NormFloat64()
			}
		}
		in, _ := json.Marshal(map[string]any{"ref": ref, "y": y, "k": k})
		script := "import json,sys,numpy as np\nfrom scipy.spatial import procrustes\nd=json.load(sys.stdin)\nk=d['k']\n_,b,_=procrustes(np.array(d['ref']).reshape(-1,k),np.array(d['y']).reshape(-1,k))\nprint(json.dumps(b.ravel().tolist()))"
		cmd := exec.Command(py, "-c", script)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("scipy: %v", err)
		}
		var want []float64
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		procrustesOnto(y, ref, M, k)
		for i := range want {
			if math.Abs(y[i]-want[i]) > 1e-12 {
				t.Fatalf("k %d: entry %d = %v, scipy %v", k, i, y[i], want[i])
			}
		}
	}
}
