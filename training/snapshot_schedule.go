package training

import (
	"fmt"
	"math"
)

// Snapshot schedules accepted by Config.SnapshotSchedule and SnapshotSteps.
const (
	// ScheduleLinear spreads the snapshots evenly: step round(i*steps/(n-1)) for i = 0..n-1.
	ScheduleLinear = "linear"
	// ScheduleGeometric takes snapshot 0 at step 0 and the others at geometrically spaced steps
	// from 1 to steps (denser early, where representations change fastest), bumped apart so that
	// no two coincide.
	ScheduleGeometric = "geometric"
	// ScheduleEvery takes a snapshot every K steps (0, K, 2K, ...) plus one at the last step.
	ScheduleEvery = "every"
)

// SnapshotSteps returns the training steps (strictly increasing, starting with 0 = the untrained
// model and ending with steps) at which snapshots are taken.
//
// For ScheduleLinear and ScheduleGeometric, n is the exact number of snapshots including
// snapshot 0 and the final one: it must be in [2, steps+1]. For ScheduleEvery, every is K (>= 1)
// and n is ignored. "" means ScheduleLinear.
func SnapshotSteps(schedule string, steps, n, every int) ([]int, error) {
	if steps < 1 {
		return nil, fmt.Errorf("training: snapshot schedule needs steps >= 1, got %d", steps)
	}
	switch schedule {
	case "", ScheduleLinear, ScheduleGeometric:
		if n < 2 || n > steps+1 {
			return nil, fmt.Errorf("training: %d snapshots (including snapshot 0 and the final one) must be in [2, steps+1 = %d]", n, steps+1)
		}
	case ScheduleEvery:
		if every < 1 {
			return nil, fmt.Errorf("training: snapshot schedule %q needs every >= 1, got %d", schedule, every)
		}
	default:
		return nil, fmt.Errorf("training: unknown snapshot schedule %q; want %q, %q or %q", schedule, ScheduleLinear, ScheduleGeometric, ScheduleEvery)
	}
	var out []int
	switch schedule {
	case "", ScheduleLinear:
		out = make([]int, n)
		for i := range out {
			out[i] = int(math.Round(float64(i) * float64(steps) / float64(n-1)))
		}
	case ScheduleGeometric:
		out = make([]int, n)
		for i := 1; i < n; i++ {
			if n == 2 {
				out[i] = steps
				continue
			}
			out[i] = int(math.Round(math.Pow(float64(steps), float64(i-1)/float64(n-2))))
		}
		out[n-1] = steps
		for i := 1; i < n; i++ { // Bump forward so the steps strictly increase ...
			out[i] = max(out[i], out[i-1]+1)
		}
		out[n-1] = steps
		for i := n - 2; i >= 1; i-- { // ... and back so they stay below the next one.
			out[i] = min(out[i], out[i+1]-1)
		}
	case ScheduleEvery:
		for s := 0; s < steps; s += every {
			out = append(out, s)
		}
		out = append(out, steps)
	}
	return out, nil
}
