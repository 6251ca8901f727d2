package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/embviz/embviz/reduce"
	"github.com/embviz/embviz/training"
	"github.com/embviz/embviz/vizlib"
)

// splitRuns splits the -run flag's comma-separated run ids.
func splitRuns(s string) []string {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// writeComparison implements `embviz report -run A,B,...`: the runs' PCA animations side by side
// with one selection, their accuracy and cross-run CKA (vizlib.Compare), written to out (default
// A-vs-B.html). Runs with different evaluation sets are refused.
func writeComparison(ids []string, runsDir, out string, maxPoints, interp int, seed int64, stdout io.Writer) error {
	start := time.Now()
	var views []*vizlib.RunView
	var names []string
	for _, id := range ids {
		run, err := training.OpenRun(runsDir, id)
		if err != nil {
			return err
		}
		names = append(names, run.ID())
		views = append(views, vizlib.ViewOf(run, vizlib.ViewOptions{MaxPoints: maxPoints, Seed: seed, Quiet: true}))
	}
	if out == "" {
		out = strings.Join(names, "-vs-") + ".html"
	}
	fig := vizlib.Compare(vizlib.CompareOpts{
		Anim: func(v *vizlib.RunView) *vizlib.Animation { return v.PCA(reduce.PCAAnimOptions{}) },
		Grid: vizlib.GridOpts{Interpolate: max(0, interp)},
	}, views...)
	if err := fig.Err(); err != nil {
		return err
	}
	if err := fig.WriteFile(out); err != nil {
		return err
	}
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(stdout, "wrote %s (%.1fs)\n", abs, time.Since(start).Seconds())
	return nil
}
