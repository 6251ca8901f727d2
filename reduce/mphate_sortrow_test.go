package reduce

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMPHATESortRow: rows of one run, two sorted runs (either longer) and shuffled rows come out
// sorted by column with the same entries.
func TestMPHATESortRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	mk := func(js ...int32) []mphateEntry {
		r := make([]mphateEntry, len(js))
		for i, j := range js {
			r[i] = mphateEntry{j, float32(j) / 10}
		}
		return r
	}
	shuffled := mk(func() []int32 {
		var js []int32
		for _, v := range rng.Perm(40) {
			js = append(js, int32(v))
		}
		return js
	}()...)
	for _, c := range []struct {
		name string
		row  []mphateEntry
	}{
		{"empty", nil},
		{"sorted", mk(1, 2, 5, 9)},
		{"diagonal first", mk(7, 0, 1, 2, 3, 8, 9)},
		{"intra then inter", mk(10, 11, 13, 14, 2, 12, 22, 32)},
		{"long second run", mk(50, 1, 2, 3, 4, 60, 70)},
		{"shuffled", shuffled},
	} {
		want := slices.Clone(c.row)
		slices.SortFunc(want, func(a, b mphateEntry) int { return int(a.j - b.j) })
		got := slices.Clone(c.row)
		mphateSortRow(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
}
