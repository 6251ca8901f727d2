package vizlib

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/embviz/embviz/internal/testutil"
	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
)

// seededRun writes a run of the same evaluation set as syntheticRun (n points, labels i%4,
// indices 3i) whose embeddings and predictions depend on seed; steps are every `every` steps.
func seededRun(t testing.TB, dir string, n, d, snaps, every int, seed uint64) *training.Run {
	t.Helper()
	run, err := training.CreateRun(dir, training.RunInfo{Dataset: "blobs", Model: "MLP", EmbedDim: d,
		ClassNames: []string{"a", "b", "c", "d"}, Steps: snaps * every, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	labels, index := make([]int32, n), make([]int32, n)
	for i := range labels {
		labels[i], index[i] = int32(i%4), int32(3*i)
	}
	if err := run.SetEvalSet(labels, index); err != nil {
		t.Fatal(err)
	}
	for s := 0; s < snaps; s++ {
		a := float32(s) / float32(snaps-1)
		m := reduce.NewMatrix(n, d)
		preds := make([]int32, n)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				v := float32(rng.NormFloat64())
				if j == (int(labels[i])+int(seed))%d {
					v += 4 * a
				}
				m.Set(i, j, v)
			}
			preds[i] = labels[i]
			if rng.Float32() > 0.3+0.65*a {
				preds[i] = int32(rng.IntN(4))
			}
		}
		if _, err := run.AppendSnapshot(s*every, float64(s)/2, m, preds, nil); err != nil {
			t.Fatal(err)
		}
		if err := run.AppendMetrics(training.MetricRecord{Step: s * every, Epoch: float64(s) / 2, Values: map[string]float64{"train_loss": 1 / (1 + float64(s))}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := run.Finish(0.9); err != nil {
		t.Fatal(err)
	}
	r, err := training.OpenRun(dir, run.ID())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// chartSpecs returns the chart specs in a page's JSON data blocks.
func chartSpecs(t *testing.T, page string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range regexp.MustCompile(`<script type="application/json" id="[^"]+">(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		var sp map[string]any
		if err := json.Unmarshal([]byte(m[1]), &sp); err != nil {
			t.Fatal(err)
		}
		if sp["kind"] == "chart" {
			out = append(out, sp)
		}
	}
	return out
}

func TestCompareRefusesDifferentEvalSets(t *testing.T) {
	dir := t.TempDir()
	a := seededRun(t, dir, 80, 6, 4, 10, 1)
	b := seededRun(t, dir, 60, 6, 4, 10, 2)
	err := Compare(CompareOpts{}, View(a), View(b)).Err()
	if err == nil || !strings.Contains(err.Error(), "different evaluation sets (80 and 60 evaluation points)") {
		t.Errorf("different eval sets: got %v", err)
	}
	err = Compare(CompareOpts{}, ViewOf(a, ViewOptions{MaxPoints: 50, Seed: 1}), ViewOf(a, ViewOptions{MaxPoints: 50, Seed: 2})).Err()
	if err == nil || !strings.Contains(err.Error(), "different evaluation sets") {
		t.Errorf("different subsamples: got %v", err)
	}
	c := seededRun(t, dir, 80, 6, 4, 7, 3) // steps 0, 7, 14, 21 vs 0, 10, 20, 30: only step 0 shared
	if err := Compare(CompareOpts{}, View(a), View(c)).Err(); err != nil {
		t.Errorf("runs sharing step 0: %v", err)
	}
	if err := Compare(CompareOpts{}, View(a)).Err(); err == nil {
		t.Error("one run: no error")
	}
}

// TestBrowserCompare writes the comparison page of two runs, checks the cross-run CKA chart's
// values against reduce.LinearCKA, and plays the page in Chromium: both runs' panels share one
// selection (a brush in run A's panel changes run B's), confusion cells and neighbours follow
// each run's data.
func TestBrowserCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	dir := t.TempDir()
	a := seededRun(t, dir, 120, 6, 5, 10, 1)
	b := seededRun(t, dir, 120, 6, 5, 10, 2)
	va, vb := View(a), View(b)
	fig := Compare(CompareOpts{Grid: GridOpts{Interpolate: 1}}, va, vb)
	if err := fig.Err(); err != nil {
		t.Fatal(err)
	}
	out := testutil.OutDir(t, "vizlib")
	path := filepath.Join(out, "compare.html")
	if err := fig.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(path)
	da, _ := va.load(true)
	db, _ := vb.load(true)
	var cka map[string]any
	for _, c := range chartSpecs(t, string(page)) {
		if strings.HasPrefix(c["title"].(string), "cross-run CKA") {
			cka = c
		}
	}
	if cka == nil {
		t.Fatal("no cross-run CKA chart")
	}
	ys := cka["series"].([]any)[0].(map[string]any)["y"].([]any)
	if len(ys) != 5 {
		t.Fatalf("CKA chart has %d values, want 5", len(ys))
	}
	for s, y := range ys {
		want, err := reduce.LinearCKA(da.seq[s], db.seq[s])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(y.(float64)-want) > 1e-9 {
			t.Errorf("cross-run CKA at snapshot %d: chart %v, reduce.LinearCKA %v", s, y, want)
		}
	}
	res := runBrowser(t, nil, path)
	r := res[0]
	if len(r.Players) != 1 || r.Charts < 2 {
		t.Fatalf("compare page: %d players, %d charts", len(r.Players), r.Charts)
	}
	if pl := r.Players[0]; pl.Panels != 2 {
		t.Errorf("compare player has %d panels, want 2", pl.Panels)
	}
	checkLinkedData(t, "compare", r.Players[0].Linked, []*runData{da, db})
}
