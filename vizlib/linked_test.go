package vizlib

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/embviz/embviz/reduce"
)

// linkedResult is what browsertest/check.mjs's checkLinked reports of a player: the samples its
// selections picked and the neighbours it listed, checked here against the run's data.
type linkedResult struct {
	OK     bool `json:"ok"`
	Box    int  `json:"box"`
	Lasso  int  `json:"lasso"`
	Trails bool `json:"trails"`
	Cell   *struct {
		Cell    string `json:"cell"` // "label,prediction,snapshot,run"
		Indices []int  `json:"indices"`
	} `json:"cell"`
	KeyboardCell string `json:"keyboardCell"`
	Queries      struct {
		Class1        []int `json:"class1"`
		Misclassified *struct {
			Snapshot int   `json:"snapshot"`
			Indices  []int `json:"indices"`
		} `json:"misclassified"`
		Changed12  []int `json:"changed12"`
		Index0to30 []int `json:"index0to30"`
	} `json:"queries"`
	Neighbors *struct {
		Point    int   `json:"point"`
		Snapshot int   `json:"snapshot"`
		Run      int   `json:"run"`
		List     []int `json:"list"`
		Thumbs   int   `json:"thumbs"`
	} `json:"neighbors"`
}

// checkLinkedData checks the selections and neighbour lists a browser made against the data of
// the runs shown (ds[r] for run r of the player; snapshots as the player aligns them).
func checkLinkedData(t *testing.T, name string, l *linkedResult, ds []*runData) {
	t.Helper()
	if l == nil || !l.OK {
		t.Fatalf("%s: linked checks did not run or failed: %+v", name, l)
	}
	d := ds[0]
	want := func(f func(j int) bool) []int {
		out := []int{}
		for j := range d.labels {
			if f(j) {
				out = append(out, j)
			}
		}
		return out
	}
	eq := func(what string, got, exp []int) {
		if got == nil {
			got = []int{}
		}
		if !slices.Equal(got, exp) {
			t.Errorf("%s: %s selected %d samples %v, the data says %d %v", name, what, len(got), head(got), len(exp), head(exp))
		}
	}
	if l.Cell == nil {
		t.Errorf("%s: no confusion-cell selection", name)
	} else {
		var v [4]int
		for i, s := range strings.Split(l.Cell.Cell, ",") {
			v[i], _ = strconv.Atoi(s)
		}
		dr := ds[v[3]]
		eq(fmt.Sprintf("confusion cell (label %d, prediction %d) at snapshot %d of run %d", v[0], v[1], v[2], v[3]), l.Cell.Indices,
			want(func(j int) bool { return dr.labels[j] == int32(v[0]) && dr.preds[v[2]][j] == int32(v[1]) }))
		if len(l.Cell.Indices) == 0 {
			t.Errorf("%s: the confusion cell selected nothing", name)
		}
	}
	if l.KeyboardCell == "" {
		t.Errorf("%s: the keyboard selected no confusion cell", name)
	}
	q := l.Queries
	eq("class 1", q.Class1, want(func(j int) bool { return d.labels[j] == 1 }))
	if q.Misclassified == nil {
		t.Errorf("%s: no misclassified query", name)
	} else {
		s := q.Misclassified.Snapshot
		eq(fmt.Sprintf("misclassified at snapshot %d", s), q.Misclassified.Indices, want(func(j int) bool { return d.preds[s][j] != d.labels[j] }))
	}
	eq("prediction changed between snapshots 1 and 2", q.Changed12, want(func(j int) bool { return d.preds[0][j] != d.preds[1][j] }))
	eq("indices #0-30", q.Index0to30, want(func(j int) bool {
		if d.index == nil {
			return j <= 30
		}
		return d.index[j] <= 30
	}))
	if nb := l.Neighbors; nb == nil {
		t.Errorf("%s: no neighbour list", name)
	} else {
		dr := ds[nb.Run]
		g, err := reduce.KNN(dr.seq[nb.Snapshot], len(nb.List), reduce.Euclidean)
		if err != nil {
			t.Fatal(err)
		}
		row, _ := g.Row(nb.Point)
		exp := make([]int, len(row))
		for i, v := range row {
			exp[i] = int(v)
		}
		if len(nb.List) != 6 || !slices.Equal(nb.List, exp) {
			t.Errorf("%s: neighbours of point %d at snapshot %d listed %v, reduce.KNN says %v", name, nb.Point, nb.Snapshot, nb.List, exp)
		}
	}
	if !l.Trails {
		t.Errorf("%s: trails did not draw", name)
	}
}

func head(v []int) []int {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
