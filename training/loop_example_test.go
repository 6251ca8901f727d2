package training_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/embviz/embviz/training"
)

// Train a small classifier and read its snapshots back, as a notebook would.
func ExampleTrain() {
	runsDir, _ := os.MkdirTemp("", "runs")
	defer os.RemoveAll(runsDir)
	run, err := training.Train(context.Background(), training.Config{
		RunsDir: runsDir, Model: "mlp", Dataset: "blobs",
		Steps: 200, Batch: 32, Snapshots: 10, SnapshotSchedule: training.ScheduleGeometric,
		EvalSize: 200, Layers: []string{"fc1"}, Seed: 1,
		OnProgress: training.HTMLProgress(func(html string) { /* gonbui.UpdateHTML(id, html) */ }),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	emb, _ := run.Embedding(run.NumSnapshots() - 1) // [200, 32]
	fmt.Println(run.ID(), emb.Rows, emb.Cols)
}

// A curriculum ("dopesheet"): keyframes with phases, actions and properties; empty cells are
// interpolated smoothly.
func ExampleParseCurriculum() {
	c, err := training.ParseCurriculum(strings.NewReader(`STEP,PHASE,ACTION,lr,separation
0,fit,,0.01,0
100,spread,anchor,,1
200,,,0.001,
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Hooks run during Train: c.On(training.EventAction, func(ev *training.Event) error {...}).
	for _, step := range []int{0, 50, 100, 150, 300} {
		lr, _ := c.Value("lr", step)
		sep, _ := c.Value("separation", step)
		fmt.Printf("step %3d: phase %-6s lr %.4f separation %.2f\n", step, c.PhaseAt(step), lr, sep)
	}
	// Output:
	// step   0: phase fit    lr 0.0100 separation 0.00
	// step  50: phase fit    lr 0.0086 separation 0.50
	// step 100: phase spread lr 0.0055 separation 1.00
	// step 150: phase spread lr 0.0024 separation 1.00
	// step 300: phase spread lr 0.0010 separation 1.00
}
