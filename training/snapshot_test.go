package training

import (
	"slices"
	"testing"
)

func TestSnapshotSteps(t *testing.T) {
	cases := []struct {
		schedule        string
		steps, n, every int
		want            []int
	}{
		{ScheduleLinear, 600, 20, 0, nil},
		{ScheduleLinear, 10, 3, 0, []int{0, 5, 10}},
		{ScheduleLinear, 4, 5, 0, []int{0, 1, 2, 3, 4}},
		{ScheduleGeometric, 1000, 5, 0, []int{0, 1, 10, 100, 1000}},
		{ScheduleGeometric, 5, 6, 0, []int{0, 1, 2, 3, 4, 5}},
		{ScheduleEvery, 10, 0, 4, []int{0, 4, 8, 10}},
		{ScheduleEvery, 8, 0, 4, []int{0, 4, 8}},
	}
	for _, c := range cases {
		got, err := SnapshotSteps(c.schedule, c.steps, c.n, c.every)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%s(%d, %d, %d) = %v, want %v", c.schedule, c.steps, c.n, c.every, got, c.want)
		}
		if got[0] != 0 || got[len(got)-1] != c.steps {
			t.Errorf("%s: %v does not start at 0 and end at %d", c.schedule, got, c.steps)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("%s: %v not strictly increasing", c.schedule, got)
			}
		}
		if c.schedule != ScheduleEvery && len(got) != c.n {
			t.Errorf("%s: %d snapshots, want exactly %d", c.schedule, len(got), c.n)
		}
	}
	// Geometric is denser early than linear.
	g, _ := SnapshotSteps(ScheduleGeometric, 600, 20, 0)
	l, _ := SnapshotSteps(ScheduleLinear, 600, 20, 0)
	if !(g[5] < l[5]) {
		t.Errorf("geometric %v not denser early than linear %v", g, l)
	}
	for _, bad := range []struct {
		s               string
		steps, n, every int
	}{{ScheduleLinear, 10, 1, 0}, {ScheduleLinear, 10, 12, 0}, {ScheduleEvery, 10, 0, 0}, {"weird", 10, 3, 0}, {ScheduleLinear, 0, 2, 0}} {
		if _, err := SnapshotSteps(bad.s, bad.steps, bad.n, bad.every); err == nil {
			t.Errorf("SnapshotSteps%+v: no error", bad)
		}
	}
}
